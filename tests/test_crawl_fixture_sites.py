"""Live crawls end to end: each outlet's fixture site (tests/sites/) served on
127.0.0.1, crawled by `scrapy crawl` / `scrapy crawlall` in a subprocess with
the spiders' real URLs, into SQLite and PostgreSQL. What must be stored is in
each site's expected.json."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from tests.crawl_runner import fixture_settings, run_crawl, run_scrapy, window_start
from tests.sites.server import FixtureServer, load_expected, route_key, site_hosts

HOSTS = site_hosts()
OUTLET_HOSTS = [h for h in HOSTS if load_expected(h)["outlet"]]
MOJIBAKE = "ط§ظ„"  # UTF-8 Arabic read as Windows-1256


@pytest.fixture(scope="module")
def server():
    with FixtureServer(slow_delay=0.2) as fixture_server:
        yield fixture_server


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def db_rows(db_url: str, table: str = "articles") -> list[dict]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def as_utc(value) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(timezone.utc)


def joined(value: str | None) -> list[str]:
    return value.split("; ") if value else []


class SiteCrawl:
    """One crawl of one site: the command's result, the rows, the server's log."""

    def __init__(self, server: FixtureServer, db_url: str, host: str, workdir, **options):
        server.reset()
        self.host = host
        self.result = run_crawl(server, db_url, host, workdir=workdir, **options)
        self.rows = {row["url"]: row for row in db_rows(db_url)}
        self.rejected = db_rows(db_url, "rejected_pages")
        self.requests = server.requests_for(host)

    def statuses(self, url: str) -> list[int]:
        route = route_key(path_of(url))
        return [r.status for r in self.requests if r.path == route]

    def requested(self, url: str) -> bool:
        return bool(self.statuses(url))


@pytest.fixture(scope="module")
def sqlite_crawls(server, tmp_path_factory):
    """Each site crawled once into its own SQLite file, on first use."""
    crawls: dict[str, SiteCrawl] = {}

    def crawl(host: str) -> SiteCrawl:
        if host not in crawls:
            workdir = tmp_path_factory.mktemp(host)
            crawls[host] = SiteCrawl(server, f"sqlite:///{workdir / 'news.db'}", host, workdir)
        return crawls[host]

    return crawl


def check_rows(expected: dict, rows: dict[str, dict]) -> None:
    """The stored rows are exactly the expected articles, with their fields."""
    assert set(rows) == {a["url"] for a in expected["articles"]}
    for article in expected["articles"]:
        row = rows[article["url"]]
        where = article["path"]
        assert row["outlet"] == article["outlet"], where
        assert row["title"] == article["title"], where
        assert row["section"] == article["section"], where
        assert joined(row["authors"]) == article["authors"], where
        expected_time = as_utc(article["published_at"])
        assert as_utc(row["published_at"]) == expected_time, where
        body = row["body"] or ""
        for snippet in article["body_snippets"]:
            assert snippet in body, (where, snippet)
        for boilerplate in article["boilerplate_absent"]:
            assert boilerplate not in body, (where, boilerplate)
        assert MOJIBAKE not in body and MOJIBAKE not in row["title"], where
        assert row["fetched_at"] is not None, where


@pytest.mark.parametrize("host", HOSTS)
def test_site_crawl_stores_exactly_the_expected_articles(sqlite_crawls, host):
    crawl = sqlite_crawls(host)
    expected = load_expected(host)
    assert crawl.result.returncode == 0, crawl.result.stderr[-3000:]
    assert "Traceback" not in crawl.result.stderr, crawl.result.stderr[-3000:]
    check_rows(expected, crawl.rows)
    # Listings, deleted articles and redirect sources are neither articles nor rejected pages.
    assert crawl.rejected == [], [(r["url"], r["reason"]) for r in crawl.rejected]
    for page in expected["not_stored"]:
        assert page["url"] not in crawl.rows, page


@pytest.mark.parametrize("host", HOSTS)
def test_site_crawl_obeys_robots_retries_and_follows_redirects(sqlite_crawls, host):
    crawl = sqlite_crawls(host)
    expected = load_expected(host)
    for url in expected["disallowed"]:
        assert not crawl.requested(url), f"robots.txt disallows {url}"
    for article in expected["articles"]:
        served = article["served"]
        if served.get("fail_first"):
            assert crawl.statuses(article["url"]) == [500, 200], article["path"]
        if served.get("encoding"):
            assert article["url"] in crawl.rows, "the Windows-1256 page is stored"
    assert "'retry/backoff_seconds'" in crawl.result.stderr, "the 500 was retried after a backoff"
    for redirect in expected["redirects"]:
        assert redirect["status"] in crawl.statuses(redirect["from"]), f"{redirect['from']} was requested"
        assert redirect["from"] not in crawl.rows
        assert redirect["to"] in crawl.rows
    # Listings are read for their links.
    listings = [p for p in expected["not_stored"] if p["kind"] == "section"]
    assert all(crawl.requested(p["url"]) for p in listings), "every section page, page 2 included"


@pytest.mark.parametrize("host", HOSTS)
def test_dated_entries_older_than_the_window_are_skipped(server, tmp_path, host):
    """Only sitemaps and feeds, no link following: what they date before the
    window is never requested; what they leave undated is."""
    expected = load_expected(host)
    window = expected["sitemap_window"]
    crawl = SiteCrawl(server, f"sqlite:///{tmp_path / 'news.db'}", host, tmp_path,
                      extra=("-a", "sources=sitemaps,feeds", "-s", "DISCOVERY_DEPTH=1"))
    assert crawl.result.returncode == 0, crawl.result.stderr[-3000:]
    for url in window["older_urls"]:
        assert not crawl.requested(url), url
    for url in window["undated_urls"]:
        assert crawl.requested(url), url
    recent = {a["url"] for a in expected["articles"]} - set(window["older_urls"])
    assert set(crawl.rows) == recent
    assert re.search(r"'discovery/skipped_old/(sitemap|feed)': [1-9]", crawl.result.stderr)
    # Listings are not read without the "pages" source.
    assert not any(crawl.requested(p["url"]) for p in expected["not_stored"] if p["kind"] == "section")


def test_crawlall_runs_every_outlet_spider_and_prints_the_summary(server, tmp_path):
    server.reset()
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    result = run_scrapy(db_url, "crawlall", "-a", f"since={window_start(OUTLET_HOSTS[0])}",
                        *fixture_settings(server, tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    rows = {row["url"]: row for row in db_rows(db_url)}
    for host in OUTLET_HOSTS:
        expected = load_expected(host)
        line = next(l for l in lines if l.split()[:1] == [expected["outlet"]])
        assert line.split()[1:5] == [str(len(expected["articles"])), "0", "0", "0"], line
        mine = {url: row for url, row in rows.items() if row["outlet"] == expected["outlet"]}
        check_rows(expected, mine)
    total = next(l for l in lines if l.startswith("total"))
    assert total.split()[1] == str(len(rows))
    # The generic site is not an outlet: crawlall leaves it alone.
    generic_hosts = [h for h in HOSTS if h not in OUTLET_HOSTS]
    assert not any(server.requests_for(h) for h in generic_hosts)


def test_crawlall_gives_each_spider_its_own_job_directory(server, tmp_path):
    server.reset()
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    jobdir = tmp_path / "job"
    args = ("crawlall", "-a", f"since={window_start(OUTLET_HOSTS[0])}", "-s", f"JOBDIR={jobdir}",
            *fixture_settings(server, tmp_path))
    first = run_scrapy(db_url, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    outlets = sorted(load_expected(h)["outlet"] for h in OUTLET_HOSTS)
    assert sorted(p.name for p in jobdir.iterdir()) == outlets
    assert all((jobdir / slug / "run.closed").exists() for slug in outlets)
    stored = len(db_rows(db_url))
    second = run_scrapy(db_url, *args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Traceback" not in second.stderr
    assert len(db_rows(db_url)) == stored


def test_crawlall_into_postgresql_gives_the_same_rows(server, sqlite_crawls, postgres_server, tmp_path):
    server.reset()
    pg_url = postgres_server.create_database("crawl_fixture_sites")
    result = run_scrapy(pg_url, "crawlall", "-a", f"since={window_start(OUTLET_HOSTS[0])}",
                        *fixture_settings(server, tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {row["url"]: row for row in db_rows(pg_url)}
    columns = ["outlet", "title", "subtitle", "body", "section", "authors", "tags", "agency", "via",
               "canonical_url", "word_count", "content_hash", "search_text"]
    for host in OUTLET_HOSTS:
        expected = load_expected(host)
        mine = {url: row for url, row in rows.items() if row["outlet"] == expected["outlet"]}
        check_rows(expected, mine)
        lite = sqlite_crawls(host).rows
        assert set(mine) == set(lite)
        for url, row in mine.items():
            for column in columns:
                assert row[column] == lite[url][column], (url, column)
            assert as_utc(row["published_at"]) == as_utc(lite[url]["published_at"]), url
