"""Nothing lost: database outages and unusable databases, with real parts.

`scrapy replay` and `scrapy crawl` run as subprocesses while the session's real
PostgreSQL server is stopped (`pg_ctl stop -m immediate`, connections cut) and
started again, or while another connection holds a SQLite file locked; and
every command meets each kind of bad DATABASE_URL. The retry delays are shrunk
by settings so each test takes seconds.
"""
from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from sqlalchemy.exc import DBAPIError

from crawler.extensions import ProgressLine
from crawler.middlewares.runs import CLOSE_RECORD, ResumableScheduler
from db.session import prepare_database
from tests.conftest import free_port
from tests.crawl_runner import run_scrapy
from tests.replay_runner import REPO, SCRAPY, run_replay
from tests.sites.server import FixtureServer
from tests.test_incremental import (
    ARTICLES, SLOW, crawl, crawl_command, environment, fetched_urls, query, stored_urls, wait_for,
)

TEMPLATE = REPO / "seeds" / "004_e9620a58fadc7eaf.txt"
PHRASE = "وزير الخارجية الصيني"
CAPTURES = 300
# Retries in fractions of a second; the files read at a pace (one slot, 20 ms
# apart) so that an outage falls in the middle of the run.
FAST = ("STORAGE_RETRY_DELAY=0.2", "STORAGE_RETRY_DELAY_MAX=0.5", "DATABASE_TIMEOUT=2", "STORAGE_BATCH_SIZE=20")
PACED = ("DOWNLOAD_DELAY=0.02", "DOWNLOAD_DELAY_JITTER=0")
COUNT_LINE = re.compile(r"^(\d+) files read, (\d+) stored, (\d+) rejected(?:, (\d+) not stored)?$", re.M)
SPOOL_LINE = re.compile(r"^not stored: (\d+), spooled to (\S+)$", re.M)


def write_captures(folder: Path, count: int = CAPTURES) -> Path:
    """Text captures of one article, each with its own number in the body (so
    dedupe keeps them apart)."""
    template = TEMPLATE.read_text(encoding="utf-8")
    assert PHRASE in template
    folder.mkdir()
    for n in range(count):
        text = template.replace(PHRASE, f"{PHRASE} ({n})", 1)
        (folder / f"capture-{n:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def settings(*pairs: str) -> tuple[str, ...]:
    return tuple(arg for pair in pairs for arg in ("-s", pair))


class Replay:
    """`scrapy replay` in the background, its output in files."""

    def __init__(self, db_url: str, folder: Path, workdir: Path, *extra: str):
        self.out, self.err = workdir / "replay.out", workdir / "replay.err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [str(SCRAPY), "replay", str(folder), *settings(f"STORAGE_SPOOL_DIR={workdir / 'spool'}", *extra)],
                cwd=REPO, env=environment(db_url), stdout=out, stderr=err,
            )

    def wait(self) -> tuple[int, str, str]:
        code = self.process.wait(timeout=120)
        return code, self.out.read_text(), self.err.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def article_count(db_url: str) -> int:
    try:
        return query(db_url, "SELECT count(*) AS n FROM articles")[0]["n"]
    except DBAPIError:  # no schema yet: the run creates it
        return 0


def assert_each_capture_once(db_url: str, count: int = CAPTURES) -> None:
    [row] = query(db_url, "SELECT count(*) AS n, count(DISTINCT url) AS urls, "
                          "count(DISTINCT content_hash) AS texts FROM articles")
    assert (row["n"], row["urls"], row["texts"]) == (count, count, count)


@pytest.fixture
def postgres(postgres_server):
    """A fresh database on the session's server, which is running again after the test."""
    url = postgres_server.create_database(f"outage_{next(postgres_server.database_numbers)}")
    yield url
    if not postgres_server.is_running():
        postgres_server.start_server()


# --- PostgreSQL stopped during a replay ---------------------------------------------------


def test_replay_rides_out_a_postgres_outage(tmp_path, postgres_server, postgres):
    folder = write_captures(tmp_path / "in")
    replay = Replay(postgres, folder, tmp_path, *FAST, *PACED)
    try:
        wait_for(lambda: article_count(postgres) >= 40, process=replay.process)
        postgres_server.stop("immediate")
        time.sleep(3)
        assert replay.process.poll() is None, "the replay ended before the outage did"
        postgres_server.start_server()
        code, out, err = replay.wait()
    finally:
        replay.kill()
    assert code == 0, out + err[-3000:]
    assert f"{CAPTURES} files read, {CAPTURES} stored, 0 rejected" in out
    assert_each_capture_once(postgres)
    assert "The database is unavailable" in err and "The database is back" in err
    assert "Traceback" not in err, err[-3000:]
    assert not list((tmp_path / "spool").rglob("*.jsonl"))


def test_replay_spools_what_a_lasting_outage_keeps_and_the_next_run_stores_it(tmp_path, postgres_server, postgres):
    folder = write_captures(tmp_path / "in")
    # Gives up one second into the outage at the end; holds 50 pages in memory, spools the rest as they come.
    replay = Replay(postgres, folder, tmp_path, *FAST, *PACED, "STORAGE_RETRY_MAX_WAIT=1", "STORAGE_MAX_HELD=50")
    try:
        wait_for(lambda: article_count(postgres) >= 40, process=replay.process)
        postgres_server.stop("immediate")
        code, out, err = replay.wait()
    finally:
        replay.kill()
        postgres_server.start_server()
    assert code == 1, out + err[-3000:]
    files, stored, rejected, not_stored = map(int, COUNT_LINE.search(out).groups())
    assert (files, rejected) == (CAPTURES, 0) and stored >= 40 and stored + not_stored == CAPTURES
    [total] = [line for line in out.splitlines() if line.startswith("total")]
    assert total.split()[1:6] == [str(stored), "0", "0", "0", str(not_stored)]
    spooled, path = SPOOL_LINE.search(out).groups()
    spool = Path(path)
    assert int(spooled) == not_stored and spool.is_relative_to(tmp_path / "spool")
    assert len(spool.read_text(encoding="utf-8").splitlines()) == not_stored
    assert f"not stored: {not_stored}, spooled to {spool}" in err
    assert "Traceback" not in err, err[-3000:]
    assert article_count(postgres) >= stored  # a batch cut off in flight may have been committed

    # The server is back: the next run stores the spool first, then finds every file stored.
    again = run_replay(postgres, folder, extra=settings(f"STORAGE_SPOOL_DIR={tmp_path / 'spool'}"))
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert f"stored from the spool of earlier runs: {not_stored} " in again.stdout
    assert f"{CAPTURES} files read, {CAPTURES} stored, 0 rejected" in again.stdout
    assert_each_capture_once(postgres)
    assert not spool.exists()


# --- PostgreSQL stopped during a crawl with a JOBDIR -----------------------------------------


def test_crawl_paused_during_an_outage_loses_nothing_when_resumed(tmp_path, postgres_server, postgres):
    jobdir, spool_dir = tmp_path / "job", tmp_path / "spool"
    options = (*SLOW, "STORAGE_RETRY_DELAY=0.2", "STORAGE_RETRY_MAX_WAIT=1", "DATABASE_TIMEOUT=2",
               f"STORAGE_SPOOL_DIR={spool_dir}")
    with FixtureServer(slow_delay=0.2) as server:
        process = subprocess.Popen(crawl_command(server, tmp_path, *options, jobdir=jobdir), cwd=REPO,
                                   env=environment(postgres), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
        try:
            wait_for(lambda: article_count(postgres) >= 3, process=process)
            stored_before = stored_urls(postgres)
            postgres_server.stop("immediate")
            # Pages fetched during the outage, held by the pipeline; then a pause (Ctrl-C once).
            wait_for(lambda: len(fetched_urls(server.requests) - stored_before) >= 4, process=process)
            process.send_signal(signal.SIGTERM)
            _, log = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            postgres_server.start_server()
        assert process.returncode == 1, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
        spooled = int(SPOOL_LINE.search(log).group(1))
        assert spooled >= 4 and (jobdir / CLOSE_RECORD).read_text().strip() == "shutdown"
        paused_at = len(server.requests)

        resumed = crawl(postgres, server, tmp_path, *options, jobdir=jobdir)
        assert "Resuming crawl" in resumed.stderr
        assert f"Stored {spooled} pages spooled by earlier runs" in resumed.stderr
        assert stored_urls(postgres) == set(ARTICLES)
        assert article_count(postgres) == len(ARTICLES)
        # What was spooled is safe: the resumed job did not fetch it again, nor what was stored.
        assert not fetched_urls(server.requests[paused_at:]) & (fetched_urls(server.requests[:paused_at]))
    assert not list(spool_dir.rglob("*.jsonl"))


def test_jobdir_forgets_its_seen_requests_when_pages_were_neither_stored_nor_spooled(tmp_path):
    for lost in (0, 2):
        jobdir = tmp_path / f"job{lost}"
        # Scrapy's plain priority queue: the default one needs a running engine.
        crawler = get_crawler(Spider, {"JOBDIR": str(jobdir), "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
        scheduler = ResumableScheduler.from_crawler(crawler)
        scheduler.open(Spider("test"))
        scheduler.enqueue_request(Request("https://aawsat.com/a/1"))
        if lost:
            crawler.stats.set_value("articles/storage_lost", lost)
        scheduler.close("shutdown")
        assert (jobdir / "requests.seen").exists() == (not lost)
        assert (jobdir / CLOSE_RECORD).read_text().strip() == "shutdown"


def test_progress_line_counts_the_pages_queued_for_the_database():
    crawler = get_crawler(Spider)
    stats = crawler.stats
    for key, value in {"response_received_count": 120, "replay/files": 300, "articles/new": 80,
                       "articles/unchanged": 20, "articles/queued": 15, "articles/rejected": 5}.items():
        stats.set_value(key, value)
    line = ProgressLine(stats, 1.0).line()
    assert line.startswith("read 120/300 pages, stored 100, queued 15, rejected 5 (")
    stats.set_value("articles/not_stored", 15)
    assert ", rejected 5, not stored 15 (" in ProgressLine(stats, 1.0).line()


# --- a locked SQLite file ------------------------------------------------------------------


def lock(path: Path) -> sqlite3.Connection:
    """Another writer holding the file: BEGIN EXCLUSIVE on its own connection."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def test_replay_waits_for_a_locked_sqlite_file(tmp_path):
    db = tmp_path / "news.db"
    url = f"sqlite:///{db}"
    folder = write_captures(tmp_path / "in", 200)
    # Without story assignment: the lock is taken between two of the replay's
    # transactions, which on a busy machine may follow each other without a gap.
    replay = Replay(url, folder, tmp_path, *FAST, *PACED, "DATABASE_TIMEOUT=0.5", "STORIES_ENABLED=False")
    try:
        wait_for(lambda: article_count(url) >= 40, process=replay.process)
        holder = lock(db)
        time.sleep(3)
        assert replay.process.poll() is None, "the replay ended before the lock did"
        holder.rollback()
        holder.close()
        code, out, err = replay.wait()
    finally:
        replay.kill()
    assert code == 0, out + err[-3000:]
    assert "200 files read, 200 stored, 0 rejected" in out
    assert_each_capture_once(url, 200)
    assert "The database is unavailable (database is locked)" in err and "Traceback" not in err


def test_a_database_locked_at_the_start_ends_with_one_line(tmp_path):
    db = tmp_path / "news.db"
    prepare_database(f"sqlite:///{db}").dispose()
    holder = lock(db)
    try:
        result = run_replay(f"sqlite:///{db}", REPO / "seeds", extra=settings("DATABASE_TIMEOUT=0.5"))
    finally:
        holder.close()
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: cannot use the database sqlite:///{db}: database is locked"]
    assert result.stdout == ""


# --- databases that cannot be used ---------------------------------------------------------

BAD_URLS = {
    "unknown_driver": ("nosuch://crawler:s3cret@db.example/news", "unknown database type or driver"),
    "typo": ("postgresql+psycopg//crawler:s3cret@db.example/news", "not a database URL"),
    "unwritable_path": ("sqlite:///{tmp}/a-file/news.db", "unable to open database file"),
    "no_server": ("postgresql+psycopg://crawler:s3cret@127.0.0.1:{port}/news", "Connection refused"),
}


def bad_url(kind: str, tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "a-file").write_text("a file, not a folder")
    template, cause = BAD_URLS[kind]
    return template.format(tmp=tmp_path, port=free_port()), cause


def assert_one_line(result: subprocess.CompletedProcess, url: str, cause: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "cannot use the database" in line]
    assert len(errors) == 1 and errors[0].startswith("error: cannot use the database ") and cause in errors[0]
    assert "s3cret" not in result.stderr + result.stdout
    assert url.replace("s3cret", "***") in errors[0]
    for noise in ("Traceback", "AssertionError", "ERROR"):
        assert noise not in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("kind", list(BAD_URLS))
def test_replay_with_an_unusable_database_says_why_in_one_line(kind, tmp_path):
    url, cause = bad_url(kind, tmp_path)
    result = run_replay(url, REPO / "seeds", extra=settings("DATABASE_TIMEOUT=2"))
    assert_one_line(result, url, cause)
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


@pytest.mark.parametrize("command", [("crawl", "aawsat"), ("crawlall",), ("runspider", "tests/warc_fixture_spider.py")],
                         ids=["crawl", "crawlall", "runspider"])
def test_every_command_with_an_unusable_database_says_why_in_one_line(command, tmp_path):
    url, cause = bad_url("no_server", tmp_path)
    result = run_scrapy(url, *command, "-s", "DATABASE_TIMEOUT=2", timeout=60)
    assert_one_line(result, url, cause)
