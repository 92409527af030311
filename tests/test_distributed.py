"""Distributed crawls (crawler/distributed): worker processes sharing one crawl
through a real Redis server, into a real PostgreSQL, against a loopback site
of 400 articles (tests/sites/generated.py). The server's request log tells
which worker (its User-Agent) fetched what."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text
from warcio.archiveiterator import ArchiveIterator

from crawler.distributed.scheduler import RedisScheduler
from tests.distributed_runner import RedisServer, start_worker
from tests.sites.generated import HOST, write_news_site
from tests.sites.server import FixtureServer

ARTICLES = 400
CRAWL = f"generic:{HOST}"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server (bootstrap --test installs it); SKIP_REDIS=1 skips these tests instead."""
    if os.environ.get("SKIP_REDIS") == "1":
        pytest.skip("SKIP_REDIS=1")
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sites = tmp_path_factory.mktemp("sites")
    urls = write_news_site(sites, articles=ARTICLES)
    with FixtureServer(sites_dir=sites) as server:
        server.article_urls = urls
        yield server


def stored_urls(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT url FROM articles"))]
    finally:
        engine.dispose()


def article_fetches(site: FixtureServer, since: int = 0) -> list[tuple[str, str]]:
    """(worker, path) of every article page served in full, in order."""
    return [(r.headers.get("User-Agent"), r.path) for r in site.requests_for(HOST)[since:]
            if r.path.startswith("/news/") and r.status == 200]


def wait_all(workers: list[subprocess.Popen], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.wait(timeout=max(1.0, deadline - time.monotonic()))


def assert_redis_clean(client: redis.Redis) -> None:
    """The run is over: nothing queued, nothing leased, no worker registered."""
    assert client.zcard(f"{CRAWL}:requests") == 0
    assert not client.keys(f"{CRAWL}:leases:*")
    assert client.hlen(f"{CRAWL}:workers") == 0
    assert client.hget(f"{CRAWL}:run", "state") == b"finished"


def test_two_workers_split_the_crawl_and_the_next_run(site, redis_server, postgres_server, tmp_path):
    db_url = postgres_server.create_database("distributed_split")
    redis_url = redis_server.url(1)
    client = redis.Redis.from_url(redis_url)
    site.reset()
    workers = [start_worker(site, redis_url, db_url, tmp_path, name) for name in ("worker-1", "worker-2")]
    wait_all(workers)
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("worker-1", "worker-2")}
    assert [w.returncode for w in workers] == [0, 0], logs

    # Every article stored once, fetched once across the workers, each worker a real share.
    urls = stored_urls(db_url)
    assert sorted(urls) == sorted(site.article_urls)
    fetches = article_fetches(site)
    assert len(fetches) == ARTICLES and len({path for _, path in fetches}) == ARTICLES
    shares = Counter(worker for worker, _ in fetches)
    assert set(shares) == {"worker-1", "worker-2"} and min(shares.values()) >= ARTICLES // 10, shares
    # The entry points once per run, whichever worker read them.
    for path in ("/sitemap.xml", "/sitemap-1.xml", "/"):
        assert len(site.requests_for(HOST, path)) == 1, path
    assert_redis_clean(client)
    assert all("Run of generic:news.example finished" in log or "Closing spider (finished)" in log
               for log in logs.values())

    # One WARC file set per worker; together they hold each article answer once.
    warc_files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len({path.name.rsplit("-", 1)[0] for path in warc_files}) == 2, warc_files
    archived = []
    for path in warc_files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response" and "/news/" in uri and record.http_headers.get_statuscode() == "200":
                    archived.append(uri)
    assert sorted(archived) == sorted(site.article_urls)

    # The next run: the entry points again, the known articles skipped by the crawl state.
    served_before = len(site.requests_for(HOST))
    worker = start_worker(site, redis_url, db_url, tmp_path, "worker-1", "-s", "REDIS_RUN_MIN_INTERVAL=0")
    assert worker.wait(timeout=60) == 0
    assert client.hget(f"{CRAWL}:run", "number") == b"2"
    later = site.requests_for(HOST)[served_before:]
    assert [r.path for r in later].count("/sitemap.xml") == 1
    assert not article_fetches(site, served_before)
    assert len(stored_urls(db_url)) == ARTICLES
    assert_redis_clean(client)
    # A worker of the same schedule starting late joins the finished run: nothing fetched again.
    served_before = len(site.requests_for(HOST))
    late = start_worker(site, redis_url, db_url, tmp_path, "late")
    assert late.wait(timeout=60) == 0
    assert client.hget(f"{CRAWL}:run", "number") == b"2"
    assert not [r for r in site.requests_for(HOST)[served_before:] if r.path != "/robots.txt"]


def test_stopped_and_killed_workers_leave_their_requests_to_the_others(site, redis_server, postgres_server,
                                                                         tmp_path):
    """One worker stopped (SIGTERM: it finishes what it took, stores it and
    leaves), one killed (SIGKILL: its heartbeat stops and the survivor puts
    its requests back in the queue); the survivor ends the crawl with every
    article stored, and fetches again only what the killed one lost."""
    db_url = postgres_server.create_database("distributed_kill")
    redis_url = redis_server.url(2)
    client = redis.Redis.from_url(redis_url)
    site.reset()
    # A short heartbeat, so the survivor notices the death soon.
    workers = {name: start_worker(site, redis_url, db_url, tmp_path, name, "-s", "REDIS_WORKER_TIMEOUT=2")
               for name in ("survivor", "stopped", "killed")}
    deadline = time.monotonic() + 90
    while min(Counter(worker for worker, _ in article_fetches(site))[name] for name in ("stopped", "killed")) < 30:
        assert time.monotonic() < deadline and workers["killed"].poll() is None, "the workers never got going"
        time.sleep(0.05)
    os.kill(workers["killed"].pid, signal.SIGKILL)
    os.kill(workers["stopped"].pid, signal.SIGTERM)
    workers["killed"].wait(timeout=10)
    killed_at = len(site.requests_for(HOST))
    stored_at_kill = set(stored_urls(db_url))
    # Its pages were held for a batch of 100: none stored, all to be fetched again.
    killed_paths = {path for worker, path in article_fetches(site) if worker == "killed"}

    wait_all([workers["stopped"], workers["survivor"]])
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("survivor", "stopped")}
    assert workers["survivor"].returncode == 0, logs["survivor"]
    assert workers["stopped"].returncode >= 0  # it exited by itself
    assert "'finish_reason': 'shutdown'" in logs["stopped"]
    # Put back by whichever live worker noticed first (the stopped one beats while it closes).
    assert "stopped answering" in logs["survivor"] + logs["stopped"]

    assert sorted(stored_urls(db_url)) == sorted(site.article_urls)  # all 400, each once
    refetched = {path for worker, path in article_fetches(site, killed_at) if worker == "survivor"}
    unstored = {path for path in killed_paths if site.sites[HOST].url(path) not in stored_at_kill}
    assert unstored and unstored <= refetched
    # What the stopped worker fetched, it stored: nothing of it fetched again.
    stopped_paths = [path for worker, path in article_fetches(site) if worker == "stopped"]
    assert len(stopped_paths) >= 30 and not set(stopped_paths) & refetched
    assert_redis_clean(client)


def test_requests_made_while_redis_refuses_writes_are_kept_and_queued_after(redis_server):
    """Redis out of memory (maxmemory 1 byte: every write refused) stands for an outage:
    the scheduler keeps the requests, takes none, does not let the worker finish, and
    queues them once Redis takes writes again."""
    redis_url = redis_server.url(3)
    client = redis.Redis.from_url(redis_url)
    crawler = get_crawler(Spider, {"REDIS_URL": redis_url, "REDIS_WORKER_TIMEOUT": 5,
                                   "DUPEFILTER_CLASS": "crawler.distributed.scheduler.SharedDupeFilter"})
    spider = Spider.from_crawler(crawler, name="outage")
    scheduler = RedisScheduler.from_crawler(crawler)
    scheduler.open(spider)
    try:
        assert scheduler.enqueue_request(Request("https://news.example/news/1"))
        client.config_set("maxmemory", 1)
        try:
            assert scheduler.enqueue_request(Request("https://news.example/news/2"))
            assert scheduler.next_request() is None  # nothing taken while the request waits here
            assert scheduler.has_pending_requests()
            with pytest.raises(DontCloseSpider):
                scheduler.spider_idle()
            assert crawler.stats.get_value("distributed/redis_errors") >= 2
        finally:
            client.config_set("maxmemory", 0)
        taken = [scheduler.next_request() for _ in range(3)]
        assert sorted(r.url for r in taken if r) == ["https://news.example/news/1", "https://news.example/news/2"]
        assert taken[2] is None
        assert not scheduler.enqueue_request(Request("https://news.example/news/2"))  # seen in this run
        assert client.zcard("outage:leases:" + scheduler.worker) == 2
    finally:
        scheduler.close("finished")
    assert not client.keys("outage:leases:*") and client.hlen("outage:workers") == 0
