"""Incremental crawls that lose no edit and make no duplicate: real crawl
subprocesses of the fixture sites (tests/sites, on 127.0.0.1) whose pages
change between two crawls, into real SQLite databases.

- an article known at two URLs (its crawl state; `?ref=home` on another
  spider's crawl) keeps one row when it is edited;
- a fetch counts from when its request left: an edit made while a slow
  answer was on its way is fetched by the next crawl;
- a sitemap `lastmod` in whole minutes or seconds covers that minute or
  second: an edit in the minute of the fetch is not skipped;
- a weak ETag's 304 is trusted for INCREMENTAL_WEAK_REFETCH_RUNS runs at most;
  a new Last-Modified sent with a 304 is kept;
- a 404 or 410 marks the article removed, counted once, and after
  INCREMENTAL_GONE_RUNS runs the page is asked for no more;
- the generic spider passes the sitemap's lastmod on, so known articles are skipped.
"""
from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawl_runner import fixture_settings, run_crawl, run_scrapy, window_start
from tests.replay_runner import REPO
from tests.sites.server import FixtureServer, route_key
from tests.test_incremental import (
    ARTICLES, EXPECTED, UNDATED, changed_page, crawl_command, environment, query, runs, sitemap_route_listing,
)

HOST = "24.ae"  # its slow page is in its regular sitemap only, undated
# Two dated articles that are no redirect's target.
EDITED_HOST = "aawsat.com"
EDIT = "وأكد المتحدث باسم الخارجية أن الجانبين اتفقا على مواصلة التنسيق في المحافل الدولية كافة."


@pytest.fixture
def server():
    with FixtureServer(slow_delay=0.2) as running:
        yield running


def crawl_site(db_url: str, server: FixtureServer, tmp_path: Path, *settings: str,
               lastmod: bool = True) -> subprocess.CompletedProcess:
    """tests/incremental_spider.py over one site: its sitemaps, and the links that redirect to an article."""
    command = crawl_command(server, tmp_path, *settings) + [
        "-a", f"hosts={EDITED_HOST}", "-a", f"lastmod={int(lastmod)}"]
    result = subprocess.run(command, cwd=REPO, env=environment(db_url), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-5000:]
    return result


def outlet_crawl(db_url: str, server: FixtureServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`scrapy crawl 24ae` from the sitemaps only."""
    result = run_crawl(server, db_url, HOST, workdir=tmp_path, extra=("-a", "sources=sitemaps", *args))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-5000:]
    return result


def site_articles() -> list[tuple[str, dict]]:
    """The articles of EDITED_HOST with a sitemap lastmod, not reached through a redirect."""
    redirected = {redirect["to"] for redirect in EXPECTED[EDITED_HOST]["redirects"]}
    return [(url, article) for url, (host, article) in ARTICLES.items()
            if host == EDITED_HOST and url not in UNDATED | redirected]


def article_rows(db_url: str) -> dict[str, dict]:
    return {row["url"]: row for row in query(db_url, "SELECT * FROM articles")}


def states(db_url: str) -> dict[str, dict]:
    return {row["url"]: row for row in query(db_url, "SELECT * FROM crawl_state")}


def when(value) -> datetime:
    """A timestamp read with plain SQL (ISO text on SQLite), as an aware datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(timezone.utc)


def served(server: FixtureServer, url: str, since: int = 0) -> list:
    parts = urlsplit(url)
    path = route_key(parts.path + (f"?{parts.query}" if parts.query else ""))
    return [r for r in server.requests[since:] if r.host == parts.hostname and r.path == path]


def set_lastmod(server: FixtureServer, url: str, lastmod: str, sitemap: str | None = None) -> str:
    """Serve the regular sitemap listing `url` (or the `sitemap` text given
    for it) with that <lastmod> for it, added if it had none."""
    host = urlsplit(url).hostname
    path, text = sitemap_route_listing(host, url)
    text = sitemap or text
    entry = re.compile(rf"(<loc>{re.escape(url)}</loc>)\s*(<lastmod>[^<]*</lastmod>)?")
    changed = entry.sub(rf"\g<1><lastmod>{lastmod}</lastmod>", text)
    assert changed != text
    server.set_override(host, path, changed)
    return changed


# --- one row for an article known at two URLs ----------------------------------------------


def test_an_article_known_at_two_urls_keeps_one_row_when_edited(tmp_path, server):
    """Its text was stored under one URL and found again at another (its AMP
    copy): edited, and then fetched at that other URL only, it updates the row
    its crawl state names."""
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    (url, article), *_ = site_articles()
    short, short_path = url + "/amp", article["path"] + "/amp"  # its AMP copy, with the same text
    page = changed_page(EDITED_HOST, article, article["body_snippets"][0])  # the page as it is
    server.set_override(EDITED_HOST, short_path, page)
    sitemap_path, sitemap = sitemap_route_listing(EDITED_HOST, url)
    listed = re.sub(rf"<url>\s*<loc>{re.escape(url)}</loc>", lambda m: f"<url><loc>{short}</loc></url>" + m.group(0),
                    sitemap)
    assert listed != sitemap
    server.set_override(EDITED_HOST, sitemap_path, listed)
    crawl_site(db_url, server, tmp_path, lastmod=False)
    before = article_rows(db_url)
    # One row, under the URL whose page was stored first; the other URL's crawl state names it.
    [holder] = {url, short} & set(before)
    other = short if holder == url else url
    assert states(db_url)[other]["article_id"] == before[holder]["id"]

    edited = changed_page(EDITED_HOST, article, EDIT)
    server.set_override(EDITED_HOST, article["path"], edited)
    server.set_override(EDITED_HOST, short_path, edited)
    server.set_override(EDITED_HOST, sitemap_path, sitemap.replace(f"<loc>{url}</loc>", f"<loc>{other}</loc>"))
    mark = len(server.requests)
    crawl_site(db_url, server, tmp_path, lastmod=False)
    assert [r.status for r in served(server, other, mark)] == [200] and not served(server, holder, mark)
    after = article_rows(db_url)
    assert set(after) == set(before)
    row = after[holder]
    assert (row["id"], row["version"]) == (before[holder]["id"], 2) and EDIT in row["body"]
    assert runs(db_url)[-1]["updated"] == 1 and runs(db_url)[-1]["new"] == 0


def test_the_generic_spider_updates_the_outlet_spiders_row_at_a_tracked_url(tmp_path, server):
    """The outlet spider stored a page that names no canonical URL under the
    URL it fetched; the generic spider, on the same database, finds it edited
    at that URL with `?ref=home`."""
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    [url] = UNDATED & {u for u, (host, _) in ARTICLES.items() if host == HOST}  # only in the regular sitemap
    article = ARTICLES[url][1]
    # No <link rel=canonical>, og:url nor JSON-LD @id: the page is stored under the URL fetched.
    uncanonical = changed_page(HOST, article, article["body_snippets"][0]).replace(url, "")
    server.set_override(HOST, article["path"], uncanonical)
    outlet_crawl(db_url, server, tmp_path)
    before = article_rows(db_url)
    assert before[url]["outlet"] == "24ae"

    edited = uncanonical.replace(article["body_snippets"][0], EDIT)
    tracked = url + "?ref=home"
    server.set_override(HOST, article["path"], edited)
    server.set_override(HOST, article["path"] + "?ref=home", edited)
    sitemap_path, sitemap = sitemap_route_listing(HOST, url)
    server.set_override(HOST, sitemap_path, sitemap.replace(f"<loc>{url}</loc>", f"<loc>{tracked}</loc>"))
    mark = len(server.requests)
    result = run_scrapy(db_url, "crawl", "generic", "-a", f"url=https://{HOST}/", "-a", "sources=sitemaps",
                        "-a", f"since={window_start(HOST)}", *fixture_settings(server, tmp_path))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-5000:]
    assert [r.status for r in served(server, tracked, mark)] == [200]
    after = article_rows(db_url)
    assert set(after) == set(before)
    row = after[url]
    assert (row["id"], row["version"]) == (before[url]["id"], 2) and EDIT in row["body"]
    assert states(db_url)[tracked]["article_id"] == row["id"]
    generic = runs(db_url)[-1]
    assert (generic["spider"], generic["new"], generic["updated"]) == ("generic", 0, 1)


# --- the fetch time -----------------------------------------------------------------------


def test_an_edit_made_while_a_slow_answer_was_on_its_way_is_fetched_next_time(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    [url] = UNDATED & {u for u, (host, _) in ARTICLES.items() if host == HOST}
    article = ARTICLES[url][1]
    assert article["served"].get("delay")  # the site's slow page
    with FixtureServer(slow_delay=3.0) as server:
        outlet_crawl(db_url, server, tmp_path)
        [request] = served(server, url)
        state = states(db_url)[url]
        # Stamped when the request left, before the server had it; not when the answer was parsed.
        assert when(state["last_fetched_at"]) <= request.received_at
        assert when(article_rows(db_url)[url]["fetched_at"]) == when(state["last_fetched_at"])

        # The site was edited while it prepared its 3 s answer, and its sitemap says so.
        edited_at = request.received_at + timedelta(seconds=1.5)
        server.set_override(HOST, article["path"], changed_page(HOST, article, EDIT))
        set_lastmod(server, url, edited_at.isoformat(timespec="seconds"))
        mark = len(server.requests)
        outlet_crawl(db_url, server, tmp_path)
        assert [r.status for r in served(server, url, mark)] == [200]
    row = article_rows(db_url)[url]
    assert row["version"] == 2 and EDIT in row["body"]


# --- lastmod precision ----------------------------------------------------------------------


def test_a_lastmod_in_whole_minutes_or_seconds_covers_an_edit_in_the_minute_of_the_fetch(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    (minute_url, minute_article), (second_url, second_article) = site_articles()[:2]
    crawl_site(db_url, server, tmp_path)
    fetched = {url: when(state["last_fetched_at"]) for url, state in states(db_url).items()}

    # Edited within the minute (the second) of the fetch: the sitemap writes that minute (second).
    for url, article in ((minute_url, minute_article), (second_url, second_article)):
        server.set_override(EDITED_HOST, article["path"], changed_page(EDITED_HOST, article, EDIT))
    minute = fetched[minute_url].replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%MZ")
    second = fetched[second_url].replace(microsecond=0).isoformat()
    sitemap = set_lastmod(server, minute_url, minute)
    set_lastmod(server, second_url, second, sitemap)
    mark = len(server.requests)
    crawl_site(db_url, server, tmp_path)
    for url in (minute_url, second_url):
        assert [r.status for r in served(server, url, mark)] == [200], url
    rows = article_rows(db_url)
    assert all(rows[url]["version"] == 2 and EDIT in rows[url]["body"] for url in (minute_url, second_url))
    assert runs(db_url)[-1]["updated"] == 2


# --- weak validators -------------------------------------------------------------------------


def test_a_weak_etag_304_is_checked_by_a_full_fetch_and_a_new_last_modified_is_kept(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    (weak_url, weak_article), (strong_url, strong_article) = site_articles()[:2]
    settings = ("INCREMENTAL_WEAK_REFETCH_RUNS=2",)
    # A server whose weak ETag stays through an edit (it only vouches for "the same meaning").
    as_it_is = changed_page(EDITED_HOST, weak_article, weak_article["body_snippets"][0])
    server.set_override(EDITED_HOST, weak_article["path"], as_it_is, etag='W/"story-1"')
    crawl_site(db_url, server, tmp_path, *settings, lastmod=False)
    assert states(db_url)[weak_url]["etag"] == 'W/"story-1"'

    edited = changed_page(EDITED_HOST, weak_article, EDIT)
    server.set_override(EDITED_HOST, weak_article["path"], edited, etag='W/"story-1"')
    # The same bytes (the same strong ETag), touched: a later Last-Modified.
    old_last_modified = states(db_url)[strong_url]["last_modified"]
    touched = changed_page(EDITED_HOST, strong_article, strong_article["body_snippets"][0])
    server.set_override(EDITED_HOST, strong_article["path"], touched)
    mark = len(server.requests)
    crawl_site(db_url, server, tmp_path, *settings, lastmod=False)
    [weak], [strong] = served(server, weak_url, mark), served(server, strong_url, mark)
    assert (weak.conditional, weak.status, strong.conditional, strong.status) == (True, 304, True, 304)
    assert EDIT not in article_rows(db_url)[weak_url]["body"]  # not seen yet
    state = states(db_url)
    assert state[weak_url]["not_modified_runs"] == 1
    new_last_modified = state[strong_url]["last_modified"]
    assert parsedate_to_datetime(new_last_modified) > parsedate_to_datetime(old_last_modified)

    # The second run after the full fetch reads the weak-ETag page in full again.
    mark = len(server.requests)
    crawl_site(db_url, server, tmp_path, *settings, lastmod=False)
    [weak], [strong] = served(server, weak_url, mark), served(server, strong_url, mark)
    assert (weak.conditional, weak.status) == (False, 200)
    assert (strong.status, strong.headers["If-Modified-Since"]) == (304, new_last_modified)
    row = article_rows(db_url)[weak_url]
    assert row["version"] == 2 and EDIT in row["body"]
    assert states(db_url)[weak_url]["not_modified_runs"] == 0
    last = runs(db_url)[-1]
    assert (last["updated"], json.loads(last["stats"])["incremental/weak_refetch"]) == (1, 1)


# --- removed articles ------------------------------------------------------------------------


def test_a_removed_article_is_marked_counted_once_and_then_asked_for_no_more(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    (gone_url, gone_article), (deleted_url, deleted_article) = site_articles()[:2]
    settings = ("INCREMENTAL_GONE_RUNS=2",)
    crawl_site(db_url, server, tmp_path, *settings, lastmod=False)
    before = article_rows(db_url)
    server.set_override(EDITED_HOST, gone_article["path"], status=410)
    server.set_override(EDITED_HOST, deleted_article["path"], status=404)

    for run, removed in ((2, 2), (3, 0)):
        mark = len(server.requests)
        crawl_site(db_url, server, tmp_path, *settings, lastmod=False)
        assert [r.status for r in served(server, gone_url, mark)] == [410]
        assert [r.status for r in served(server, deleted_url, mark)] == [404]
        row = runs(db_url)[-1]
        assert (row["removed"], row["new"], row["updated"]) == (removed, 0, 0), run
    rows = article_rows(db_url)
    for url in (gone_url, deleted_url):
        assert rows[url]["removed_at"] is not None and rows[url]["body"] == before[url]["body"]
        assert rows[url]["last_seen_at"] == before[url]["last_seen_at"]
    state = states(db_url)
    assert (state[gone_url]["last_status"], state[gone_url]["gone_runs"]) == (410, 2)
    assert all(rows[url]["removed_at"] is None for url in set(rows) - {gone_url, deleted_url})

    mark = len(server.requests)
    crawl_site(db_url, server, tmp_path, *settings, lastmod=False)
    assert not served(server, gone_url, mark) and not served(server, deleted_url, mark)
    assert json.loads(runs(db_url)[-1]["stats"])["incremental/gone_skipped"] == 2

    # The page is back as it was, and the sitemap says it changed since: asked for, no longer removed.
    server.clear_override(EDITED_HOST, deleted_article["path"])
    set_lastmod(server, deleted_url, datetime.now(timezone.utc).isoformat(timespec="seconds"))
    mark = len(server.requests)
    crawl_site(db_url, server, tmp_path, *settings)
    assert [r.status for r in served(server, deleted_url, mark)] == [304] and not served(server, gone_url, mark)
    rows = article_rows(db_url)
    assert rows[deleted_url]["removed_at"] is None and rows[gone_url]["removed_at"] is not None
    assert states(db_url)[deleted_url]["gone_runs"] == 0


# --- the generic spider ------------------------------------------------------------------------


def test_the_generic_spider_skips_known_articles_by_their_sitemap_lastmod(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'news.db'}"
    host = "elyomnew.com"
    extra = ("-a", "sources=sitemaps")
    first = run_crawl(server, db_url, host, workdir=tmp_path, extra=extra)
    assert first.returncode == 0, first.stderr[-3000:]
    stored = set(article_rows(db_url))
    assert "https://elyomnew.com/482231" in stored

    mark = len(server.requests)
    second = run_crawl(server, db_url, host, workdir=tmp_path, extra=extra)
    assert second.returncode == 0, second.stderr[-3000:]
    hits = [r for r in server.requests[mark:] if r.host == host and re.fullmatch(r"/\d+", r.path)]
    assert all(r.conditional and r.status == 304 for r in hits), hits
    # Listed only in the post sitemap, with a lastmod before the first crawl: not asked for.
    assert "/482231" not in {r.path for r in hits}
    row = runs(db_url)[-1]
    assert row["skipped"] >= 1 and (row["new"], row["updated"]) == (0, 0)
    assert row["skipped"] + row["responses_304"] == row["unchanged"] == len(stored)
