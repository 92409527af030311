"""Incremental crawls end to end: real crawl subprocesses of the fixture sites
(tests/sites, served from 127.0.0.1) into real SQLite and PostgreSQL databases.

- the outlet spiders (`scrapy crawlall`, routed by FIXTURE_SERVER): a second
  crawl of the unchanged sites downloads no article page and writes no row; a
  changed article updates its row once and keeps its previous text in
  article_versions; crawl_runs has one row per spider and run with its counters;
- with tests/incremental_spider.py (sitemap discovery only, and a routing that
  keeps Scrapy's download delays): the skip policy on the sitemap's lastmod,
  and a crawl killed midway (SIGKILL, two SIGINTs) or paused (SIGTERM) and
  resumed with the same JOBDIR, which must store exactly what an uninterrupted
  crawl stores;
- the store, crawl_state and crawl_runs code on both engines.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy.exceptions import IgnoreRequest
from sqlalchemy import create_engine, select, text

from crawler.items import ArticleItem
from crawler.middlewares.incremental import NotModified, lastmod_end
from crawler.middlewares.runs import CLOSE_RECORD, prepare_jobdir, requests_sent, run_errors
from db.models import Base
from db.session import normalize_url, prepare_database
from db.store import Answer, ArticleStore, CrawlRunLog, CrawlStateStore
from tests.crawl_runner import fixture_settings, run_scrapy, window_start
from tests.replay_runner import REPO, SCRAPY
from tests.sites.server import SITES_DIR, FixtureServer, load_expected, route_key, site_hosts

SPIDER = "incremental_fixture"
HOSTS = site_hosts()
EXPECTED = {host: load_expected(host) for host in HOSTS}
ARTICLES = {article["url"]: (host, article) for host in HOSTS for article in EXPECTED[host]["articles"]}
# (host, route key) of every article page, as the server logs requests.
ARTICLE_ROUTES = {(host, route_key(article["path"])): url for url, (host, article) in ARTICLES.items()}
UNDATED = {url for host in HOSTS for url in EXPECTED[host]["sitemap_window"]["undated_urls"] if url in ARTICLES}
COMPARED = "url, outlet, title, body, content_hash, published_at, section, authors, tags, word_count"


# --- running crawls ------------------------------------------------------------


def crawl_command(server: FixtureServer, tmp_path: Path, *settings: str, jobdir: Path | None = None) -> list[str]:
    command = [
        str(SCRAPY), "crawl", SPIDER,
        "-s", "SPIDER_MODULES=tests.incremental_spider",
        "-s", f"FIXTURE_BASE={server.base_url}",
        "-s", f"WARC_DIR={tmp_path / 'warc'}",
        "-s", "LOG_LEVEL=INFO",
    ]
    if jobdir is not None:
        command += ["-s", f"JOBDIR={jobdir}"]
    for setting in settings:
        command += ["-s", setting]
    return command


def environment(db_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": db_url}


def crawl(db_url: str, server: FixtureServer, tmp_path: Path, *settings: str,
          jobdir: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(crawl_command(server, tmp_path, *settings, jobdir=jobdir), cwd=REPO,
                            env=environment(db_url), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    return result


# --- reading the database and the server log -------------------------------------


def query(db_url: str, sql: str, **params) -> list[dict]:
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def articles(db_url: str) -> list[dict]:
    return query(db_url, f"SELECT {COMPARED} FROM articles ORDER BY url")


def runs(db_url: str) -> list[dict]:
    return query(db_url, "SELECT * FROM crawl_runs ORDER BY id")


def article_count(db_url: str) -> int:
    return query(db_url, "SELECT count(*) AS n FROM articles")[0]["n"]


def article_hits(served) -> list:
    """The requests for article pages among `served` (redirect sources excluded)."""
    return [r for r in served if (r.host, r.path) in ARTICLE_ROUTES]


def url_of(request) -> str:
    return ARTICLE_ROUTES[(request.host, request.path)]


@pytest.fixture
def server():
    with FixtureServer(slow_delay=0.2) as running:
        yield running


@pytest.fixture(scope="module")
def reference_articles(tmp_path_factory) -> list[dict]:
    """The articles an uninterrupted first crawl stores."""
    folder = tmp_path_factory.mktemp("reference")
    db_url = f"sqlite:///{folder / 'news.db'}"
    with FixtureServer(slow_delay=0.2) as server:
        crawl(db_url, server, folder)
    stored = articles(db_url)
    assert {row["url"] for row in stored} == set(ARTICLES)
    return stored


# --- changing the fixture sites -------------------------------------------------


def sitemap_route_listing(host: str, url: str) -> tuple[str, str]:
    """The regular (not news) sitemap of `host` that lists `url`: (route, text)."""
    routes = json.loads((SITES_DIR / host / "routes.json").read_text(encoding="utf-8"))["routes"]
    for path, spec in routes.items():
        name = spec.get("file", "")
        if name.startswith("sitemaps/") and "news" not in name:
            content = (SITES_DIR / host / name).read_text(encoding="utf-8")
            if f"<loc>{url}</loc>" in content:
                return path, content
    raise LookupError(url)


def announce_change(host: str, url: str, server: FixtureServer) -> None:
    """Serve the site's regular sitemap with a <lastmod> of now for `url`, as a CMS does on an edit."""
    sitemap_path, sitemap = sitemap_route_listing(host, url)
    newer = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat(timespec="seconds")
    changed = re.sub(rf"(<loc>{re.escape(url)}</loc>\s*<lastmod>)[^<]+", rf"\g<1>{newer}", sitemap)
    assert changed != sitemap
    server.set_override(host, sitemap_path, changed)


def dated_article(host: str) -> tuple[str, dict]:
    """An article found only through its sitemap entry, which has a <lastmod>."""
    redirected = {redirect["to"] for redirect in EXPECTED[host]["redirects"]}
    for url, (site, article) in ARTICLES.items():
        if site == host and url not in UNDATED | redirected:
            return url, article
    raise LookupError(host)


def changed_page(host: str, article: dict, new_sentence: str) -> str:
    """The article's page with its first body snippet replaced."""
    route = json.loads((SITES_DIR / host / "routes.json").read_text(encoding="utf-8"))["routes"][article["path"]]
    page = (SITES_DIR / host / route["file"]).read_text(encoding="utf-8")
    snippet = article["body_snippets"][0]
    assert snippet in page
    return page.replace(snippet, new_sentence)


# --- the outlet spiders ---------------------------------------------------------

OUTLET_HOSTS = [host for host in HOSTS if EXPECTED[host]["outlet"]]
OUTLET_ARTICLES = {url for url, (host, _) in ARTICLES.items() if host in OUTLET_HOSTS}


def crawl_all(db_url: str, server: FixtureServer, workdir: Path, *settings: str) -> subprocess.CompletedProcess:
    """`scrapy crawlall` of the outlet spiders, as if at the sites' reference time."""
    [since] = {window_start(host) for host in OUTLET_HOSTS}
    extra = [arg for setting in settings for arg in ("-s", setting)]
    result = run_scrapy(db_url, "crawlall", "-a", f"since={since}", *fixture_settings(server, workdir), *extra)
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    return result


def runs_by_spider(db_url: str, count: int) -> list[dict[str, dict]]:
    """The crawl_runs rows, one {spider: row} per crawlall run."""
    rows = runs(db_url)
    assert len(rows) == count * len(OUTLET_HOSTS)
    per_run = len(OUTLET_HOSTS)
    return [{row["spider"]: row for row in rows[n * per_run:(n + 1) * per_run]} for n in range(count)]


def test_outlet_spiders_recrawl_downloads_no_unchanged_article_and_keeps_changed_text(db_url, tmp_path, server):
    slugs = {EXPECTED[host]["outlet"]: host for host in OUTLET_HOSTS}
    crawl_all(db_url, server, tmp_path)
    before = {row["url"]: row for row in query(db_url, "SELECT * FROM articles")}
    assert set(before) == OUTLET_ARTICLES

    mark = len(server.requests)
    crawl_all(db_url, server, tmp_path)
    served = server.requests[mark:]
    hits = article_hits(served)
    assert all(r.conditional and r.status == 304 for r in hits), [r for r in hits if r.status != 304]
    assert not [r for r in served if r.status == 200 and (r.host, r.path) in ARTICLE_ROUTES]
    assert {row["url"]: row["content_hash"] for row in query(db_url, "SELECT * FROM articles")} == {
        url: row["content_hash"] for url, row in before.items()}
    first, second = runs_by_spider(db_url, 2)
    for slug, host in slugs.items():
        stored = sum(1 for url in OUTLET_ARTICLES if ARTICLES[url][0] == host)
        assert (first[slug]["new"], first[slug]["unchanged"]) == (stored, 0)
        row = second[slug]
        assert (row["new"], row["updated"], row["unchanged"], row["rejected"]) == (0, 0, stored, 0)
        site_hits = [r for r in hits if r.host == host]
        assert (row["responses_304"], row["skipped"]) == (len(site_hits), stored - len(site_hits))
        assert row["finish_reason"] == "finished"

    # One article changes, and the site's sitemap says so.
    url, article = dated_article("24.ae")
    edit = "وأكد المتحدث باسم الخارجية أن الجانبين اتفقا على مواصلة التنسيق في المحافل الدولية كافة."
    server.set_override("24.ae", article["path"], changed_page("24.ae", article, edit))
    announce_change("24.ae", url, server)
    mark = len(server.requests)
    crawl_all(db_url, server, tmp_path)
    fetched = [r for r in article_hits(server.requests[mark:]) if r.status == 200]
    assert [url_of(r) for r in fetched] == [url]
    after = {row["url"]: row for row in query(db_url, "SELECT * FROM articles")}
    assert set(after) == OUTLET_ARTICLES
    assert edit in after[url]["body"] and after[url]["version"] == 2 and after[url]["id"] == before[url]["id"]
    assert all(after[u]["content_hash"] == before[u]["content_hash"] for u in OUTLET_ARTICLES - {url})
    [version] = query(db_url, "SELECT * FROM article_versions")
    assert (version["article_id"], version["version"], version["body"], version["title"]) == (
        before[url]["id"], 1, before[url]["body"], before[url]["title"])
    third = runs_by_spider(db_url, 3)[2]
    assert (third["24ae"]["updated"], third["24ae"]["new"]) == (1, 0)
    assert sum(row["updated"] for row in third.values()) == 1
    assert sum(row["unchanged"] for row in third.values()) == len(OUTLET_ARTICLES) - 1


# --- the skip policy (incremental_spider) ----------------------------------------


def test_second_crawl_of_an_unchanged_site_downloads_no_article_page(tmp_path, server, reference_articles):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    crawl(db_url, server, tmp_path)
    first_rows = query(db_url, "SELECT id, url, last_seen_at FROM articles")
    assert articles(db_url) == reference_articles
    states = {row["url"]: row for row in query(db_url, "SELECT * FROM crawl_state")}
    stored = query(db_url, "SELECT id, url, content_hash FROM articles")
    hashes = {row["url"]: (row["id"], row["content_hash"]) for row in stored}
    assert set(states) == set(ARTICLES)
    for url, state in states.items():
        assert state["etag"] and state["last_modified"] and state["last_status"] == 200
        assert (state["article_id"], state["content_hash"]) == hashes[url]

    # Default policy: articles whose sitemap lastmod is older than the last fetch are skipped,
    # the others are asked for conditionally.
    mark = len(server.requests)
    crawl(db_url, server, tmp_path)
    served = server.requests[mark:]
    hits = article_hits(served)
    assert hits and all(r.conditional and r.status == 304 for r in hits), hits
    assert UNDATED <= {url_of(r) for r in hits}  # no lastmod anywhere: asked, not skipped
    index_requests = [r for r in served if r.path in {route_key("/sitemap.xml"), route_key("/sitemap_index.xml")}]
    assert len(index_requests) == len(HOSTS) and all(r.status == 200 and not r.conditional for r in index_requests)
    assert articles(db_url) == reference_articles
    assert query(db_url, "SELECT count(*) AS n FROM article_versions")[0]["n"] == 0
    seen_again = {row["url"]: row["last_seen_at"] for row in query(db_url, "SELECT url, last_seen_at FROM articles")}
    assert all(seen_again[row["url"]] > row["last_seen_at"] for row in first_rows)

    first, second = runs(db_url)
    assert (first["new"], first["updated"], first["unchanged"], first["rejected"]) == (len(ARTICLES), 0, 0, 0)
    assert (second["new"], second["updated"], second["unchanged"], second["rejected"]) == (0, 0, len(ARTICLES), 0)
    assert second["responses_304"] == len(hits)
    assert second["skipped"] == len(ARTICLES) - len(hits) > 0
    assert second["requests"] == second["responses"] == len(served)
    assert second["finish_reason"] == "finished" and second["finished_at"] > second["started_at"]
    not_found = sum(1 for r in served if r.status == 404)
    assert json.loads(second["errors"]) == ({"http/404": not_found} if not_found else {})
    assert json.loads(second["stats"])["incremental/not_modified"] == len(hits)

    # Without skipping, every known article is asked for conditionally: 304s only.
    mark = len(server.requests)
    crawl(db_url, server, tmp_path, "INCREMENTAL_SKIP_KNOWN=False")
    hits = article_hits(server.requests[mark:])
    assert {url_of(r) for r in hits} == set(ARTICLES)
    assert all(r.conditional and r.status == 304 for r in hits)
    third = runs(db_url)[-1]
    assert (third["skipped"], third["responses_304"], third["unchanged"], third["new"]) == (
        0, len(ARTICLES), len(ARTICLES), 0)
    assert len(runs(db_url)) == 3


# --- changed articles (incremental_spider) -------------------------------------------


def test_a_changed_article_updates_its_row_once_and_keeps_the_previous_text(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    crawl(db_url, server, tmp_path)
    before = {row["url"]: row for row in query(db_url, "SELECT * FROM articles")}
    states = {row["url"]: row for row in query(db_url, "SELECT * FROM crawl_state")}

    # An edit the site announces in its sitemap (a later <lastmod>) is fetched
    # even with skipping on; an edit without one is skipped by that policy.
    url, article = dated_article("aawsat.com")
    edit = "وأضاف الوزير في تصريح جديد أن المحادثات ستستأنف الأسبوع المقبل في العاصمة الروسية موسكو."
    server.set_override("aawsat.com", article["path"], changed_page("aawsat.com", article, edit))
    old_state = states[url]
    announce_change("aawsat.com", url, server)
    quiet_url, quiet_article = dated_article("24.ae")
    quiet_edit = "وأكد المتحدث باسم الخارجية أن الجانبين اتفقا على مواصلة التنسيق في المحافل الدولية كافة."
    server.set_override("24.ae", quiet_article["path"], changed_page("24.ae", quiet_article, quiet_edit))

    mark = len(server.requests)
    crawl(db_url, server, tmp_path)
    fetched = [r for r in article_hits(server.requests[mark:]) if r.status == 200]
    assert [url_of(r) for r in fetched] == [url]
    after = {row["url"]: row for row in query(db_url, "SELECT * FROM articles")}
    assert set(after) == set(before)
    changed = after[url]
    assert changed["id"] == before[url]["id"] and changed["version"] == 2
    assert edit in changed["body"] and changed["content_hash"] != before[url]["content_hash"]
    assert quiet_edit not in after[quiet_url]["body"]
    for other in set(before) - {url}:
        assert (after[other]["body"], after[other]["version"]) == (before[other]["body"], 1)

    [version] = query(db_url, "SELECT * FROM article_versions")
    assert (version["article_id"], version["version"]) == (before[url]["id"], 1)
    assert (version["title"], version["body"], version["content_hash"]) == (
        before[url]["title"], before[url]["body"], before[url]["content_hash"])
    assert version["published_at"] == before[url]["published_at"]
    assert version["fetched_at"] == before[url]["fetched_at"]
    [state] = query(db_url, "SELECT * FROM crawl_state WHERE url = :url", url=url)
    assert state["content_hash"] == changed["content_hash"]
    assert state["etag"] and state["etag"] != old_state["etag"]
    assert fetched[0].headers["If-None-Match"] == old_state["etag"]  # asked conditionally, got the new page
    second = runs(db_url)[-1]
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 1, len(ARTICLES) - 1)

    # Without skipping, the conditional request finds the unannounced edit too.
    crawl(db_url, server, tmp_path, "INCREMENTAL_SKIP_KNOWN=False")
    assert quiet_edit in query(db_url, "SELECT body FROM articles WHERE url = :url", url=quiet_url)[0]["body"]
    versions = query(db_url, "SELECT a.url, v.version FROM article_versions v JOIN articles a ON a.id = v.article_id "
                             "ORDER BY v.id")
    assert [(row["url"], row["version"]) for row in versions] == [(url, 1), (quiet_url, 1)]
    third = runs(db_url)[-1]
    assert (third["new"], third["updated"], third["unchanged"], third["responses_304"]) == (
        0, 1, len(ARTICLES) - 1, len(ARTICLES) - 1)
    assert len(runs(db_url)) == 3


# --- interrupted crawls ---------------------------------------------------------------

SLOW = ("CONCURRENT_REQUESTS=1", "DOWNLOAD_DELAY=0.1", "RANDOMIZE_DOWNLOAD_DELAY=False", "STORAGE_BATCH_SIZE=3")


def wait_for(condition, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the crawl ended first: {process.stderr.read()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def stored_urls(db_url: str) -> set[str]:
    return {row["url"] for row in query(db_url, "SELECT url FROM articles")}


def fetched_urls(served) -> set[str]:
    return {url_of(r) for r in article_hits(served) if r.status == 200}


@pytest.mark.parametrize("interrupt", ["SIGKILL", "2xSIGINT"])
def test_crawl_killed_midway_resumes_with_nothing_lost_or_stored_twice(interrupt, tmp_path, server,
                                                                        reference_articles):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    jobdir = tmp_path / "job"
    prepare_database(db_url).dispose()
    process = subprocess.Popen(crawl_command(server, tmp_path, *SLOW, jobdir=jobdir), cwd=REPO,
                               env=environment(db_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Midway, with pages fetched but not stored yet (the batch not flushed).
        wait_for(lambda: article_count(db_url) >= 3
                 and len(fetched_urls(server.requests)) >= article_count(db_url) + 2, process=process)
        if interrupt == "SIGKILL":
            process.kill()
        else:
            process.send_signal(signal.SIGINT)
            time.sleep(0.05)  # one signal at a time: two at once arrive as one
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    killed_at = len(server.requests)
    stored_before = stored_urls(db_url)
    assert 0 < len(stored_before) < len(ARTICLES)
    if interrupt == "SIGKILL":
        assert fetched_urls(server.requests) - stored_before  # lost with the unflushed batch

    resumed = crawl(db_url, server, tmp_path, *SLOW, jobdir=jobdir)
    assert articles(db_url) == reference_articles
    assert query(db_url, "SELECT count(*) AS n FROM article_versions")[0]["n"] == 0
    after = server.requests[killed_at:]
    # Stored before the kill: not downloaded again. The rest: downloaded once.
    for request in article_hits(after):
        if url_of(request) in stored_before:
            assert request.conditional and request.status == 304, request
    assert fetched_urls(after) == set(ARTICLES) - stored_before
    if interrupt == "SIGKILL":
        assert "did not close cleanly" in resumed.stderr

    killed, finished = runs(db_url)
    assert killed["finished_at"] is None
    assert (finished["finish_reason"], finished["jobdir"]) == ("finished", str(jobdir))
    assert finished["new"] == len(ARTICLES) - len(stored_before)
    assert finished["new"] + finished["unchanged"] == len(ARTICLES)


def test_sigterm_pauses_with_everything_fetched_stored_and_the_job_resumes(tmp_path, server, reference_articles):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    jobdir = tmp_path / "job"
    process = subprocess.Popen(crawl_command(server, tmp_path, *SLOW, jobdir=jobdir), cwd=REPO,
                               env=environment(db_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(fetched_urls(server.requests)) >= 5, process=process)
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, log[-3000:]
    paused_at = len(server.requests)
    # Every article page fetched before the pause is stored (the batch was flushed).
    stored_before = stored_urls(db_url)
    assert stored_before == fetched_urls(server.requests)
    assert len(stored_before) < len(ARTICLES)
    [paused] = runs(db_url)
    assert paused["finish_reason"] == "shutdown" and paused["new"] == len(stored_before)
    assert (jobdir / CLOSE_RECORD).read_text().strip() == "shutdown"

    resumed = crawl(db_url, server, tmp_path, *SLOW, jobdir=jobdir)
    assert "Resuming crawl" in resumed.stderr
    assert articles(db_url) == reference_articles
    after = server.requests[paused_at:]
    assert not fetched_urls(after) & stored_before
    assert fetched_urls(after) == set(ARTICLES) - stored_before
    assert runs(db_url)[-1]["new"] == len(ARTICLES) - len(stored_before)

    # A finished job in the same JOBDIR: the next run is a new job, not an empty one.
    mark = len(server.requests)
    again = crawl(db_url, server, tmp_path, jobdir=jobdir)
    assert "starting a new one" in again.stderr
    assert {url_of(r) for r in article_hits(server.requests[mark:])} >= UNDATED
    last = runs(db_url)[-1]
    assert (last["new"], last["unchanged"]) == (0, len(ARTICLES))


# --- the parts, on both engines ------------------------------------------------------


def page(url: str, body: str, **fields) -> ArticleItem:
    fields.setdefault("outlet", "aawsat")
    fields.setdefault("title", "عنوان")
    return ArticleItem(url=url, body=body, content_hash=str(hash(body)), fetched_url=url, http_status=200, **fields)


@pytest.fixture
def engine(db_url):
    engine = prepare_database(db_url)
    yield engine
    engine.dispose()


def table(engine, name: str, **where) -> list[dict]:
    """Rows of a table with their column types applied (aware datetimes on SQLite too)."""
    columns = Base.metadata.tables[name]
    with engine.connect() as connection:
        query = select(columns).filter_by(**where).order_by(*columns.primary_key.columns)
        return [dict(row._mapping) for row in connection.execute(query)]


def test_store_writes_crawl_state_and_versions_with_the_articles(engine):
    store = ArticleStore(engine)
    fetched = datetime(2024, 11, 20, 8, 0, tzinfo=timezone.utc)
    first = page("https://aawsat.com/a/1", "نص أول", http_etag='"v1"',
                 http_last_modified="Wed, 20 Nov 2024 08:00:00 GMT", fetched_at=fetched)
    mirror = page("https://m.aawsat.com/a/1", "نص أول", http_etag='"m1"')
    replay = ArticleItem(url="file:///x.html", body="نص مستقل", content_hash="replay", outlet="aawsat")
    assert store.write_articles([first, mirror, replay]) == ["new", "unchanged", "new"]
    [article_row] = table(engine, "articles", url=first.url)
    states = {row["url"]: row for row in table(engine, "crawl_state")}
    assert set(states) == {first.url, mirror.url}  # a replayed page has no crawl state
    assert states[first.url]["article_id"] == states[mirror.url]["article_id"] == article_row["id"]
    state = states[first.url]
    assert (state["etag"], state["host"], state["last_status"]) == ('"v1"', "aawsat.com", 200)
    assert states[first.url]["last_fetched_at"] == fetched

    last_read = article_row["fetched_at"]  # the mirror's sighting: the same text, read later
    assert last_read > fetched
    edited = page(first.url, "نص معدل", title="عنوان جديد", http_etag='"v2"', fetched_at=fetched + timedelta(days=1))
    retitled = page(first.url, "نص معدل", title="عنوان ثالث", http_etag='"v3"', fetched_at=fetched + timedelta(days=2))
    assert store.write_articles([edited, retitled]) == ["updated", "updated"]
    versions = table(engine, "article_versions")
    assert [(v["version"], v["title"], v["body"]) for v in versions] == [
        (1, "عنوان", "نص أول"), (2, "عنوان جديد", "نص معدل")]
    assert versions[0]["fetched_at"] == last_read and versions[0]["content_hash"] == first.content_hash
    assert versions[1]["fetched_at"] == edited.fetched_at
    [row] = table(engine, "articles", url=first.url)
    assert (row["version"], row["title"]) == (3, "عنوان ثالث")
    [state] = table(engine, "crawl_state", url=first.url)
    assert (state["etag"], state["content_hash"]) == ('"v3"', retitled.content_hash)

    # Derived fields alone (warnings) update the row but keep no version.
    warned = page(first.url, "نص معدل", title="عنوان ثالث", warnings=["no_date"])
    assert store.write_articles([warned]) == ["updated"]
    assert len(table(engine, "article_versions")) == 2


def test_a_failed_batch_writes_no_crawl_state(engine):
    store = ArticleStore(engine)
    with pytest.raises(Exception):
        store.write_articles([page("https://aawsat.com/a/1", "نص"), page(None, "بلا رابط")])
    assert table(engine, "crawl_state") == []


def test_crawl_state_store_loads_a_host_and_records_unchanged_pages(engine):
    ArticleStore(engine).write_articles([
        page("https://aawsat.com/a/1", "أ", http_etag='"a"'),
        page("https://aawsat.com/a/2", "ب", http_last_modified="Tue, 19 Nov 2024 10:00:00 GMT"),
        page("https://24.ae/article/3/x", "ج", outlet="24ae"),
    ])
    state = CrawlStateStore(engine)
    known = state.known_pages("aawsat.com")
    assert set(known) == {"https://aawsat.com/a/1", "https://aawsat.com/a/2"}
    assert (known["https://aawsat.com/a/1"].etag, known["https://aawsat.com/a/2"].last_modified) == (
        '"a"', "Tue, 19 Nov 2024 10:00:00 GMT")
    assert known["https://aawsat.com/a/1"].outlet == "aawsat"

    later = datetime.now(timezone.utc) + timedelta(hours=1)
    first, second = known["https://aawsat.com/a/1"], known["https://aawsat.com/a/2"]
    gone = state.known_pages("24.ae")["https://24.ae/article/3/x"]
    state.record_answers(
        {"https://aawsat.com/a/1": Answer(first.article_id, later, 304, '"a"', "Wed, 20 Nov 2024 10:00:00 GMT", 1)},
        {"https://aawsat.com/a/2": Answer(second.article_id, later)},
        {"https://24.ae/article/3/x": Answer(gone.article_id, later, 410, runs=1)},
    )
    rows = {r["url"]: r for r in table(engine, "crawl_state")}
    answered, listed = rows["https://aawsat.com/a/1"], rows["https://aawsat.com/a/2"]
    assert (answered["last_status"], answered["last_fetched_at"], answered["last_seen_at"]) == (304, later, later)
    # The 304 sent a newer Last-Modified: kept for the next conditional request.
    assert (answered["last_modified"], answered["not_modified_runs"]) == ("Wed, 20 Nov 2024 10:00:00 GMT", 1)
    assert (listed["last_status"], listed["last_seen_at"]) == (200, later) and listed["last_fetched_at"] < later
    missing = rows["https://24.ae/article/3/x"]
    assert (missing["last_status"], missing["last_fetched_at"], missing["gone_runs"]) == (410, later, 1)
    articles_by_url = {r["url"]: r for r in table(engine, "articles")}
    assert articles_by_url["https://aawsat.com/a/1"]["last_seen_at"] == later
    assert articles_by_url["https://aawsat.com/a/2"]["last_seen_at"] == later
    removed = articles_by_url["https://24.ae/article/3/x"]
    assert removed["last_seen_at"] < later and removed["removed_at"] == later and removed["body"] == "ج"
    assert gone.gone_runs == 0
    assert CrawlStateStore(engine).known_pages("24.ae")["https://24.ae/article/3/x"].gone_runs == 1

    # Stored again (it came back): no longer removed, no longer counted gone.
    ArticleStore(engine).write_articles([page("https://24.ae/article/3/x", "ج", outlet="24ae")])
    assert [r["removed_at"] for r in table(engine, "articles", url="https://24.ae/article/3/x")] == [None]
    assert [r["gone_runs"] for r in table(engine, "crawl_state", url="https://24.ae/article/3/x")] == [0]

    # A deleted article leaves its state without an article: not known any more.
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE url = 'https://aawsat.com/a/1'"))
    assert set(state.known_pages("aawsat.com")) == {"https://aawsat.com/a/2"}


def test_crawl_run_log(engine):
    log = CrawlRunLog(engine)
    started = datetime(2024, 11, 20, 12, 0, tzinfo=timezone.utc)
    run_id = log.start("aawsat", started, "/var/jobs/aawsat")
    [row] = table(engine, "crawl_runs")
    assert (row["id"], row["finished_at"], row["requests"], row["new"]) == (run_id, None, 0, 0)
    log.finish(run_id, finished_at=started + timedelta(minutes=3), finish_reason="finished",
               counters={"requests": 12, "responses_304": 4, "new": 2, "response_bytes": 5_000_000_000},
               errors={"http/404": 1}, stats={"start_time": started, "articles/new": 2})
    [row] = table(engine, "crawl_runs")
    assert (row["finish_reason"], row["requests"], row["responses_304"], row["new"], row["updated"]) == (
        "finished", 12, 4, 2, 0)
    assert row["response_bytes"] == 5_000_000_000
    assert json.loads(row["errors"]) == {"http/404": 1}
    assert json.loads(row["stats"])["start_time"].startswith("2024-11-20 12:00")


# --- pure functions ---------------------------------------------------------------------


def test_lastmod_is_read_to_the_end_of_its_precision():
    utc = timezone.utc
    # Whole seconds or minutes name the whole second or minute: an edit within it is not older than a fetch in it.
    assert lastmod_end("2024-11-20T09:10:00+03:00") == datetime(2024, 11, 20, 6, 10, 1, tzinfo=utc)
    assert lastmod_end("2024-11-20T06:10Z") == datetime(2024, 11, 20, 6, 11, tzinfo=utc)
    assert lastmod_end("Wed, 20 Nov 2024 09:10:00 +0300") == datetime(2024, 11, 20, 6, 10, 1, tzinfo=utc)
    assert lastmod_end("2024-11-20T06:10:00.250Z") == datetime(2024, 11, 20, 6, 10, 0, 250000, tzinfo=utc)
    # A date alone: its last possible instant, so an edit later that day is not skipped.
    assert lastmod_end("2024-11-20") == datetime(2024, 11, 21, 12, 0, tzinfo=utc)
    assert lastmod_end(date(2024, 11, 20)) == lastmod_end("2024-11-20")
    assert lastmod_end("2024-11") == datetime(2024, 12, 1, 12, 0, tzinfo=utc)
    assert lastmod_end(datetime(2024, 11, 20, 6, 10)) == datetime(2024, 11, 20, 6, 10, tzinfo=utc)
    for unreadable in (None, "", "yesterday", "2024-13-45"):
        assert lastmod_end(unreadable) is None
    assert issubclass(NotModified, IgnoreRequest)


def test_prepare_jobdir_resumes_only_a_paused_run(tmp_path):
    def job(record: str | None) -> Path:
        folder = tmp_path / str(record)
        (folder / "requests.queue").mkdir(parents=True)
        (folder / "requests.seen").write_bytes(b"\x00\x01x")
        if record is not None:
            (folder / CLOSE_RECORD).write_text(record + "\n")
        prepare_jobdir(folder)
        assert not (folder / CLOSE_RECORD).exists()  # a crash of the coming run must show
        return folder

    paused = job("shutdown")
    assert (paused / "requests.seen").exists() and (paused / "requests.queue").exists()
    for record in ("finished", None):
        fresh = job(record)
        assert not (fresh / "requests.seen").exists() and not (fresh / "requests.queue").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_jobdir(empty)
    assert list(empty.iterdir()) == []


def test_run_errors_and_requests_sent():
    stats = {
        "downloader/response_count": 40,
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 3,
        "retry/reason_count/twisted.internet.error.TimeoutError": 2,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 5,
        "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 1,
        "httperror/response_ignored_status_count/404": 2,
        "retry/reason_count/500 Internal Server Error": 1,
        "spider_exceptions/count": 1,
        "spider_exceptions/KeyError": 1,
        "articles/storage_errors": 1,
        "discovery/errors/sitemap": 2,
    }
    assert run_errors(stats) == {
        "download/TimeoutError": 1, "download/ConnectionRefusedError": 1, "http/404": 2,
        "spider/KeyError": 1, "storage_error": 1, "discovery/sitemap": 2,
    }
    assert requests_sent(stats) == 44
