"""Distributed crawls the way a user runs them: a real `redis-server` (Debian's
package, started on a free loopback port in its own folder) and worker
processes, each `scrapy crawl generic ...` with `-s REDIS_URL=...`, against a
`FixtureServer` serving a site of `tests/sites/generated.py`.

    with RedisServer(tmp_path / "redis") as redis_server, FixtureServer(sites_dir=sites) as site:
        workers = [start_worker(site, redis_server.url(1), db_url, tmp_path, f"worker-{n}") for n in (1, 2)]
        for worker in workers: worker.wait(timeout=120)

Each worker sends its name as its User-Agent, so the server's request log
tells which worker fetched what.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import free_port
from tests.replay_runner import REPO, SCRAPY
from tests.sites.generated import HOST, SINCE
from tests.sites.server import FixtureServer

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A throwaway Redis server: loopback only, no persistence, its folder of its own."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        if not Path(REDIS_SERVER).exists():
            raise RuntimeError("redis-server not found: install it (apt-get install redis-server, "
                               "or bash scripts/bootstrap --test)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def start_worker(site: FixtureServer, redis_url: str, db_url: str, workdir: Path, name: str,
                 *extra: str) -> subprocess.Popen:
    """One worker of the crawl of the generated site; its log in workdir/<name>.log."""
    log = open(workdir / f"{name}.log", "ab")
    command = [
        str(SCRAPY), "crawl", "generic", "-a", f"url=https://{HOST}/", "-a", f"since={SINCE}",
        "-s", f"REDIS_URL={redis_url}", "-s", f"USER_AGENT={name}",
        "-s", f"FIXTURE_SERVER={site.base_url}", "-s", f"WARC_DIR={workdir / 'warc'}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO", *extra,
    ]
    try:
        return subprocess.Popen(command, cwd=REPO, env={**os.environ, "DATABASE_URL": db_url},
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    finally:
        log.close()
