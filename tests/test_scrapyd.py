"""Scheduled runs: the project deployed to a real scrapyd on 127.0.0.1 with
`scrapyd-deploy`, a crawl of a fixture site scheduled through its HTTP API
(`schedule.json`), the rows found in the database; a second scheduled run adds
none. Also `scripts/crawlall-locked`, the cron / systemd entry point."""
from __future__ import annotations

import configparser
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from sqlalchemy import create_engine, text

from tests.crawl_runner import fixture_settings, window_start
from tests.replay_runner import REPO
from tests.sites.server import FixtureServer, load_expected

BIN = Path(sys.executable).parent
SCRAPYD = BIN / "scrapyd"
SCRAPYD_DEPLOY = BIN / "scrapyd-deploy"
HOST = "aawsat.com"
JOB_TIMEOUT = 90  # seconds; a fixture crawl takes a few

pytestmark = pytest.mark.skipif(not (SCRAPYD.exists() and SCRAPYD_DEPLOY.exists()),
                                reason="scrapyd / scrapyd-client not installed (pip install -e '.[test]')")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env() -> dict:
    """No DATABASE_URL (it would win over the job's setting) and no PYTHONPATH:
    jobs must import the project from the deployed egg, not from the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}


class Scrapyd:
    """A scrapyd process with all its state in one folder."""

    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {home / 'eggs'}\n"
            f"logs_dir = {home / 'logs'}\n"
            f"dbs_dir = {home / 'dbs'}\n"
            "items_dir =\n"
            "jobs_to_keep = 5\n"
            "finished_to_keep = 10\n"
            "max_proc = 1\n"
            "poll_interval = 0.2\n"
        )
        self.output = open(home / "scrapyd.out", "w+b")
        # Its working directory holds no project: the jobs run from the egg.
        self.process = subprocess.Popen([str(SCRAPYD)], cwd=home, env=clean_env(),
                                        stdout=self.output, stderr=subprocess.STDOUT)

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")[-3000:]

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"scrapyd exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return
            except (URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError(f"scrapyd did not answer within {timeout} s:\n{self.log()}")

    def get(self, endpoint: str, **params) -> dict:
        query = f"?{urlencode(params)}" if params else ""
        with urlopen(self.url + endpoint + query, timeout=10) as response:
            return json.load(response)

    def get_text(self, path: str) -> str:
        with urlopen(self.url + path.lstrip("/"), timeout=10) as response:
            return response.read().decode("utf-8", errors="replace")

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        with urlopen(self.url + endpoint, data=urlencode(fields).encode(), timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


def project_copy(target: Path) -> Path:
    """What an egg is built from: scrapy.cfg, setup.py, pyproject.toml and the
    packages pyproject.toml names. A copy, because building writes build/ and
    *.egg-info/ next to setup.py."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = [name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    target.mkdir()
    for name in ("scrapy.cfg", "setup.py", "pyproject.toml"):
        shutil.copy2(REPO / name, target / name)
    for package in packages:
        shutil.copytree(REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def deploy_project(scrapyd: Scrapyd, source: Path) -> tuple[str, dict]:
    """`scrapyd-deploy` to a target added next to the repo's [deploy] section,
    which names the project. Returns the project name and the server's answer."""
    config = configparser.ConfigParser()
    config.read(source / "scrapy.cfg")
    project = config["deploy"]["project"]
    config["deploy:test"] = {"url": scrapyd.url, "project": project}
    with open(source / "scrapy.cfg", "w") as cfg:
        config.write(cfg)
    result = subprocess.run([str(SCRAPYD_DEPLOY), "test", "--version", "r1"], cwd=source, env=clean_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    # scrapyd-deploy can exit 0 while the server refused the egg: read its answer.
    return project, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server():
    with FixtureServer(slow_delay=0.2) as fixture_server:
        yield fixture_server


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A running scrapyd with the project deployed: (scrapyd, project, deploy answer)."""
    home = tmp_path_factory.mktemp("scrapyd")
    scrapyd = Scrapyd(home)
    try:
        scrapyd.wait_ready()
        project, answer = deploy_project(scrapyd, project_copy(home / "project"))
        yield scrapyd, project, answer
    finally:
        scrapyd.stop()


def wait_finished(scrapyd: Scrapyd, project: str, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        jobs = scrapyd.get("listjobs.json", project=project)
        for job in jobs["finished"]:
            if job["id"] == job_id:
                return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not finished after {JOB_TIMEOUT} s: {jobs}\n{scrapyd.log()}")


def schedule_crawl(scrapyd: Scrapyd, project: str, server: FixtureServer, db_url: str, workdir: Path) -> str:
    """One crawl of the fixture site through schedule.json; returns the job's log.
    Settings as the command-line crawl tests give them (`setting=NAME=VALUE`);
    other fields are spider arguments."""
    overrides = fixture_settings(server, workdir)[1::2]  # the values of the "-s" pairs
    fields = [("project", project), ("spider", load_expected(HOST)["outlet"]), ("since", window_start(HOST)),
              ("setting", f"DATABASE_URL={db_url}"), *(("setting", value) for value in overrides)]
    answer = scrapyd.post("schedule.json", fields)
    assert answer["status"] == "ok", answer
    job = wait_finished(scrapyd, project, answer["jobid"])
    return scrapyd.get_text(job["log_url"])


def table(db_url: str, query: str) -> list[dict]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def test_deploy_uploads_an_egg_with_the_spiders_and_the_migrations(deployed):
    scrapyd, project, answer = deployed
    assert answer["status"] == "ok", answer
    assert answer["project"] == project and answer["version"] == "r1"
    spiders = scrapyd.get("listspiders.json", project=project)
    assert spiders["status"] == "ok", spiders
    assert {"24ae", "aawsat", "khaberain", "thenewkhalij", "generic"} <= set(spiders["spiders"])
    # The jobs create their schema from the migrations inside the egg.
    [egg] = (scrapyd.home / "eggs" / project).glob("*.egg")
    with zipfile.ZipFile(egg) as archive:
        packed = {name for name in archive.namelist() if name.startswith("db/migrations/")}
    shipped = {path.relative_to(REPO).as_posix() for path in (REPO / "db" / "migrations").rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert shipped and shipped <= packed


def test_scheduled_crawl_stores_the_fixture_articles_and_a_second_run_adds_none(deployed, server, tmp_path):
    scrapyd, project, _ = deployed
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    expected_urls = {article["url"] for article in load_expected(HOST)["articles"]}

    first_log = schedule_crawl(scrapyd, project, server, db_url, tmp_path)
    assert "Spider closed (finished)" in first_log, first_log[-3000:]
    assert "Traceback" not in first_log, first_log[-3000:]
    rows = table(db_url, "SELECT url, outlet, version, content_hash FROM articles")
    assert {row["url"] for row in rows} == expected_urls
    assert {row["outlet"] for row in rows} == {load_expected(HOST)["outlet"]}
    assert list((tmp_path / "warc").glob("*.warc.gz")), "the job did not archive to its WARC_DIR"

    second_log = schedule_crawl(scrapyd, project, server, db_url, tmp_path)
    assert "Spider closed (finished)" in second_log, second_log[-3000:]
    assert "Traceback" not in second_log, second_log[-3000:]
    assert table(db_url, "SELECT url, outlet, version, content_hash FROM articles") == rows
    assert table(db_url, "SELECT COUNT(*) AS n FROM article_versions") == [{"n": 0}]
    runs = table(db_url, "SELECT finish_reason, new, updated FROM crawl_runs ORDER BY id")
    assert runs == [{"finish_reason": "finished", "new": len(expected_urls), "updated": 0},
                    {"finish_reason": "finished", "new": 0, "updated": 0}]


# --- scripts/crawlall-locked ---------------------------------------------------

CRAWLALL_LOCKED = REPO / "scripts" / "crawlall-locked"


def run_locked(lock: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CRAWLALL_LOCKED), *args], env={**clean_env(), "CRAWLALL_LOCK": str(lock)},
                          cwd="/", capture_output=True, text=True, timeout=60)


def test_crawlall_locked_runs_crawlall_from_the_repo_with_the_arguments(tmp_path):
    result = run_locked(tmp_path / "crawlall.lock", "--help")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "scrapy crawlall [options]" in result.stdout


def test_crawlall_locked_skips_while_another_run_holds_the_lock(tmp_path):
    lock = tmp_path / "crawlall.lock"
    # A process group, so that the holder and its child (which may inherit the lock) both end.
    holder = subprocess.Popen(["flock", str(lock), "sh", "-c", "echo locked; exec sleep 30"],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_locked(lock, "--help")
    finally:
        os.killpg(holder.pid, signal.SIGTERM)
        holder.wait()
        holder.stdout.close()
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stderr
    assert "crawlall" not in result.stdout  # scrapy never started
