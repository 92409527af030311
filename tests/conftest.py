"""Database fixtures: a SQLite file per test and a real PostgreSQL 15 server per session.

The PostgreSQL server is started from the Debian binaries (`PG_BIN`, by default
/usr/lib/postgresql/15/bin). `pg_ctl` refuses to run as root, so as root the
server runs as the `postgres` OS user. Missing binaries fail the tests that need
the server (CI installs them); set SKIP_POSTGRES=1 to skip those tests instead.
"""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


@pytest.fixture(autouse=True)
def no_database_url_from_environment(monkeypatch):
    """Tests choose their database; an exported DATABASE_URL would win over it."""
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'news.db'}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self, base: Path):
        self.base = base
        self.data = base / "data"
        self.sockets = base / "sockets"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
        self.user = PG_USER if os.geteuid() == 0 else os.environ.get("USER", PG_USER)
        self.database_numbers = itertools.count(1)

    def run(self, *command: str) -> None:
        result = subprocess.run([*self.as_postgres, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.base / "server.log"
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{server_log}")

    def start(self) -> None:
        self.sockets.mkdir()
        if self.as_postgres:
            shutil.chown(self.base, PG_USER)
            shutil.chown(self.sockets, PG_USER)
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                 "-E", "UTF8", "--no-locale", "--no-sync")
        self.start_server()

    def start_server(self) -> None:
        """Start the initialized server (again, after a stop)."""
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                 "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is an outage: connections cut, no clean shutdown."""
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        command = [*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def create_database(self, name: str) -> str:
        admin = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres_server():
    if os.environ.get("SKIP_POSTGRES") == "1":
        pytest.skip("SKIP_POSTGRES=1")
    missing = [name for name in ("initdb", "pg_ctl") if not (PG_BIN / name).exists()]
    if missing:
        pytest.fail(
            f"PostgreSQL binaries {missing} not found in {PG_BIN}: install PostgreSQL 15 "
            "(apt-get install postgresql-15), point PG_BIN at them, or set SKIP_POSTGRES=1"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail("running as root needs `runuser` to start PostgreSQL as the postgres user")
    # Not under pytest's own temporary directory: that one is private to root.
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="news-postgres-")))
    try:
        server.start()
        yield server
        server.stop()
    finally:
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """A database on the session's PostgreSQL server, shared by the session."""
    return postgres_server.create_database("news_test")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty database on each engine (a new PostgreSQL database per test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'news.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{next(server.database_numbers)}")


@pytest.fixture(scope="session")
def replayed_seeds(tmp_path_factory) -> Path:
    """The seeds stored by `scrapy replay` into a SQLite file, shared by the
    session (copy it to change it), with the feed of what the replay stored
    (`seeds.jsonl` beside it)."""
    import json

    from tests.replay_runner import run_replay

    folder = tmp_path_factory.mktemp("replayed-seeds")
    feeds = json.dumps({str(folder / "seeds.jsonl"): {"format": "jsonl"}})
    result = run_replay(f"sqlite:///{folder / 'news.db'}", "seeds", extra=("-j", "1", "-s", f"FEEDS={feeds}"))
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return folder / "news.db"
