"""The fixture sites and their HTTP server (tests/sites/): routes, errors,
redirects, encodings, conditional requests, overrides, and that every site's
robots.txt, feeds, sitemaps, pages and expected.json agree with each other."""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import unquote, urlsplit
from urllib.robotparser import RobotFileParser

import lxml.etree
import lxml.html
import pytest
from w3lib.url import safe_url_string

from crawler.outlets import by_slug
from tests.sites.server import HOST_HEADER, SITES_DIR, FixtureServer, load_expected, route_key, site_hosts

HOSTS = site_hosts()
EXPECTED = {host: load_expected(host) for host in HOSTS}
ROUTES = {host: json.loads((SITES_DIR / host / "routes.json").read_text(encoding="utf-8")) for host in HOSTS}
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
ARABIC_MONTHS = "يناير|فبراير|مارس|أبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر"
FULL_DATE = re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\s+(?:{ARABIC_MONTHS})،?\s+\d{{4}}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def charset(self) -> str:
        found = re.search(r"charset=([\w-]+)", self.headers.get("Content-Type", ""))
        return found.group(1) if found else "utf-8"

    @property
    def text(self) -> str:
        return self.body.decode(self.charset)


def fetch(server: FixtureServer, url: str, headers: dict | None = None, method: str = "GET",
          host_header: str = HOST_HEADER) -> Reply:
    request = urllib.request.Request(server.local_url(url), method=method,
                                     headers={host_header: urlsplit(url).hostname, **(headers or {})})
    try:
        with _OPENER.open(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def fetch_ok(server: FixtureServer, url: str, headers: dict | None = None) -> Reply:
    """GET, retrying once after a 500 (the routes that fail on a first request)."""
    reply = fetch(server, url, headers)
    return fetch(server, url, headers) if reply.status == 500 else reply


def visible_text(markup: str) -> str:
    tree = lxml.html.fromstring(markup)
    for script in tree.xpath("//script|//style"):
        script.drop_tree()
    return " ".join(tree.text_content().split())


def json_ld_objects(markup: str) -> list[dict]:
    tree = lxml.html.fromstring(markup)
    found = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        data = json.loads(script.text)
        found.extend(data.get("@graph", [data]) if isinstance(data, dict) else data)
    return found


def news_article(markup: str) -> dict:
    articles = [obj for obj in json_ld_objects(markup) if obj.get("@type") == "NewsArticle"]
    assert len(articles) == 1
    return articles[0]


def person_names(markup: str, article: dict) -> list[str]:
    """The article's authors that are people (the outlet itself is not an author)."""
    by_id = {obj["@id"]: obj for obj in json_ld_objects(markup) if "@id" in obj}
    authors = article.get("author") or []
    authors = authors if isinstance(authors, list) else [authors]
    resolved = [by_id.get(author.get("@id"), author) for author in authors]
    return [author["name"] for author in resolved if author.get("@type") == "Person"]


def site_url(host: str, path: str) -> str:
    """The real URL of a route path, percent-encoded as a crawler sends it."""
    return safe_url_string(f"https://{host}{path}")


def routes_with(host: str, option: str) -> list[str]:
    return [path for path, spec in ROUTES[host]["routes"].items() if option in spec]


def article_urls(host: str) -> set[str]:
    return {article["url"] for article in EXPECTED[host]["articles"]}


def utc_cutoff(host: str) -> datetime:
    window = EXPECTED[host]["sitemap_window"]
    return datetime.fromisoformat(window["reference"]) - timedelta(days=window["days"])


@pytest.fixture
def server():
    with FixtureServer(slow_delay=0.05) as running:
        yield running


# --- the data on disk ----------------------------------------------------------


def test_every_outlet_has_a_site():
    outlets = {EXPECTED[host]["outlet"] for host in HOSTS}
    assert {"24ae", "aawsat", "khaberain", "thenewkhalij"} <= outlets
    assert None in outlets  # the generic site


@pytest.mark.parametrize("host", HOSTS)
def test_routes_are_consistent(host):
    config = ROUTES[host]
    folder = SITES_DIR / host
    assert config["host"] == host
    assert (folder / config["not_found"]).is_file()
    datetime.fromisoformat(config["last_modified"])
    routes = {route_key(path): spec for path, spec in config["routes"].items()}
    for path, spec in routes.items():
        kinds = {"file", "redirect"} & spec.keys()
        assert len(kinds) == 1 or (not kinds and spec.get("status") == 404), path
        if "file" in spec:
            assert (folder / spec["file"]).is_file(), spec["file"]
            "x".encode(spec.get("encoding", "utf-8"))
        if "redirect" in spec:
            assert spec["status"] in (301, 302)
            assert "file" in routes[route_key(spec["redirect"])], f"{path} redirects to a page that is not served"
        if "last_modified" in spec:
            assert datetime.fromisoformat(spec["last_modified"]).tzinfo is not None


@pytest.mark.parametrize("host", HOSTS)
def test_expected_json_matches_routes(host):
    expected = EXPECTED[host]
    routes = {route_key(path): spec for path, spec in ROUTES[host]["routes"].items()}

    def spec_of(url):
        assert urlsplit(url).hostname == host
        parts = urlsplit(url)
        return routes[route_key(parts.path + (f"?{parts.query}" if parts.query else ""))]

    assert 4 <= len(expected["articles"]) <= 6
    for article in expected["articles"]:
        assert article["outlet"] == expected["outlet"]
        # Stored as Scrapy writes URLs: percent-encoded, stable under re-encoding.
        assert safe_url_string(unquote(article["url"])) == article["url"]
        assert route_key(urlsplit(article["url"]).path) == route_key(article["path"])
        spec = spec_of(article["url"])
        assert "file" in spec and "last_modified" in spec
        assert {k: spec[k] for k in ("encoding", "fail_first", "delay") if k in spec} == article["served"]
        assert article["body_snippets"] and article["boilerplate_absent"]
        for snippet in article["body_snippets"]:
            assert not any(boiler in snippet for boiler in article["boilerplate_absent"] if len(boiler) > 3)
        if article["published"]:
            assert article["published_at"].startswith(article["published"])
    assert any(a["published"] is None for a in expected["articles"]), "no undated article"
    for entry in expected["not_stored"]:
        spec = spec_of(entry["url"])
        assert spec.get("status", 200) == entry["status"]
    for redirect in expected["redirects"]:
        assert spec_of(redirect["from"])["status"] == redirect["status"]
        assert redirect["to"] in article_urls(host)
    window = expected["sitemap_window"]
    assert window["older_urls"] and set(window["older_urls"]) <= article_urls(host)
    assert set(window["undated_urls"]) == {a["url"] for a in expected["articles"] if a["published"] is None}


PATTERNED_HOSTS = [host for host in HOSTS
                   if (outlet := by_slug(EXPECTED[host]["outlet"])) and outlet.article_url_pattern]


def test_the_outlets_with_url_patterns_have_sites():
    assert {"24.ae", "aawsat.com", "khabaren.net"} <= set(PATTERNED_HOSTS)


@pytest.mark.parametrize("host", PATTERNED_HOSTS)
def test_urls_follow_the_outlet_patterns(host):
    outlet = by_slug(EXPECTED[host]["outlet"])
    for article in EXPECTED[host]["articles"]:
        assert outlet.is_article_url(article["url"]), article["url"]
    for redirect in EXPECTED[host]["redirects"]:
        if "/article/" in redirect["from"] or "/news/" in redirect["from"]:
            assert outlet.is_article_url(redirect["from"])
    for entry in EXPECTED[host]["not_stored"]:
        if entry["kind"] == "deleted":
            assert outlet.is_article_url(entry["url"]), "a deleted article keeps an article URL"
        else:
            assert not outlet.is_article_url(entry["url"]), entry["url"]


# --- the server ---------------------------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_robots_txt_is_routed_by_the_fixture_host_header(server, host):
    reply = fetch(server, site_url(host, "/robots.txt"))
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert f"Sitemap: {EXPECTED[host]['entry_points']['sitemap_index']}" in reply.text
    assert "Disallow:" in reply.text


def test_host_header_is_the_fallback_and_aliases_resolve(server):
    by_host = fetch(server, "https://aawsat.com/feed", host_header="Host")
    assert by_host.status == 200
    request = urllib.request.Request(f"{server.base_url}/feed", headers={"Host": f"www.aawsat.com:{server.port}"})
    with _OPENER.open(request, timeout=10) as response:
        assert response.read() == by_host.body
    assert [r.host for r in server.requests] == ["aawsat.com", "aawsat.com"]


def test_unknown_host_and_unknown_path_are_404(server):
    unknown_host = fetch(server, "https://example.org/feed")
    assert unknown_host.status == 404
    for host in HOSTS:
        reply = fetch(server, site_url(host, "/no/such/page"))
        assert reply.status == 404
        assert reply.headers["Content-Type"].startswith("text/html")
        assert reply.body == (SITES_DIR / host / ROUTES[host]["not_found"]).read_bytes()


def test_percent_encoded_and_raw_paths_are_the_same_route(server):
    article = EXPECTED["aawsat.com"]["articles"][0]
    assert route_key(urlsplit(article["url"]).path) == article["path"]
    reply = fetch_ok(server, article["url"])
    assert reply.status == 200
    assert server.requests[-1].path == article["path"]
    assert route_key("/section/1/?page=2") != route_key("/section/1/")


def test_head_sends_headers_without_a_body(server):
    url = EXPECTED["khabaren.net"]["entry_points"]["feeds"][0]
    full = fetch(server, url)
    head = fetch(server, url, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(full.body))
    assert head.headers["ETag"] == full.headers["ETag"]


@pytest.mark.parametrize("host", HOSTS)
def test_failing_route_answers_500_once_per_server(server, host):
    paths = routes_with(host, "fail_first")
    assert paths, "each site has a page that fails once"
    for path in paths:
        url = site_url(host, path)
        assert fetch(server, url).status == 500
        assert fetch(server, url).status == 200
        assert fetch(server, url).status == 200
    with FixtureServer() as fresh:
        assert fetch(fresh, site_url(host, paths[0])).status == 500
    server.reset()
    assert fetch(server, site_url(host, paths[0])).status == 500


@pytest.mark.parametrize("host", HOSTS)
def test_redirects_point_at_the_real_article_url(server, host):
    assert EXPECTED[host]["redirects"], "each site has a redirect"
    for redirect in EXPECTED[host]["redirects"]:
        reply = fetch(server, redirect["from"])
        assert reply.status == redirect["status"]
        assert reply.headers["Location"] == redirect["to"]
        assert fetch_ok(server, reply.headers["Location"]).status == 200


def test_windows_1256_page(server):
    pages = [(host, path) for host in HOSTS for path in routes_with(host, "encoding")
             if ROUTES[host]["routes"][path]["encoding"].lower() == "windows-1256"]
    assert pages
    for host, path in pages:
        reply = fetch_ok(server, site_url(host, path))
        assert reply.headers["Content-Type"] == "text/html; charset=windows-1256"
        with pytest.raises(UnicodeDecodeError):
            reply.body.decode("utf-8")
        text = reply.body.decode("cp1256")
        article = next(a for a in EXPECTED[host]["articles"] if a["path"] == path)
        assert article["title"] in text
        assert 'charset=windows-1256' in text
        on_disk = (SITES_DIR / host / ROUTES[host]["routes"][path]["file"]).read_text(encoding="utf-8")
        assert text == on_disk


@pytest.mark.parametrize("host", HOSTS)
def test_conditional_requests_answer_304(server, host):
    for article in EXPECTED[host]["articles"]:
        first = fetch_ok(server, article["url"])
        etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.status == 200 and etag and last_modified
        stamp = parsedate_to_datetime(last_modified)
        earlier = format_datetime(stamp - timedelta(seconds=1), usegmt=True)

        assert fetch(server, article["url"], {"If-None-Match": etag}).status == 304
        assert fetch(server, article["url"], {"If-None-Match": f'"other", W/{etag}'}).status == 304
        assert fetch(server, article["url"], {"If-None-Match": '"other"'}).status == 200
        assert fetch(server, article["url"], {"If-Modified-Since": last_modified}).status == 304
        assert fetch(server, article["url"], {"If-Modified-Since": earlier}).status == 200
        # If-None-Match decides when both are sent.
        assert fetch(server, article["url"], {"If-None-Match": '"other"', "If-Modified-Since": last_modified}).status == 200

        not_modified = fetch(server, article["url"], {"If-None-Match": etag})
        assert not_modified.body == b"" and not_modified.headers["ETag"] == etag
    log = server.requests_for(host)
    assert any(r.conditional and r.status == 304 for r in log)
    assert all(not r.conditional for r in log if r.status == 500)


def test_override_changes_body_etag_and_last_modified(server):
    article = EXPECTED["aawsat.com"]["articles"][1]
    url, host, path = article["url"], "aawsat.com", article["path"]
    original = fetch_ok(server, url)
    old_etag, old_modified = original.headers["ETag"], original.headers["Last-Modified"]

    changed_html = original.text.replace(article["body_snippets"][0], "نص معدل للمقال بعد التحديث")
    server.set_override(host, path, changed_html)
    changed = fetch(server, url)
    assert changed.status == 200 and changed.text == changed_html
    assert changed.headers["ETag"] != old_etag
    assert parsedate_to_datetime(changed.headers["Last-Modified"]) > parsedate_to_datetime(old_modified)
    assert fetch(server, url, {"If-None-Match": old_etag}).status == 200
    assert fetch(server, url, {"If-Modified-Since": old_modified}).status == 200
    assert fetch(server, url, {"If-None-Match": changed.headers["ETag"]}).status == 304

    server.set_override(host, path, changed_html + "<!-- again -->")
    again = fetch(server, url)
    assert parsedate_to_datetime(again.headers["Last-Modified"]) > parsedate_to_datetime(changed.headers["Last-Modified"])
    assert fetch(server, url, {"If-Modified-Since": changed.headers["Last-Modified"]}).status == 200

    server.clear_override(host, path)
    restored = fetch(server, url)
    assert restored.body == original.body and restored.headers["ETag"] == old_etag


def test_override_serves_new_paths_and_keeps_the_route_encoding(server):
    server.set_override("24.ae", "/article/999999/جديد", "<html><body><h1>خبر جديد</h1></body></html>")
    new_page = fetch(server, "https://24.ae/article/999999/%D8%AC%D8%AF%D9%8A%D8%AF")
    assert new_page.status == 200 and "خبر جديد" in new_page.text

    path = next(p for p in routes_with("24.ae", "encoding"))
    server.set_override("24.ae", path, "<html><body><p>نص بترميز عربي</p></body></html>")
    reply = fetch(server, site_url("24.ae", path))
    assert reply.headers["Content-Type"] == "text/html; charset=windows-1256"
    assert reply.body.decode("cp1256") == "<html><body><p>نص بترميز عربي</p></body></html>"


def test_slow_routes_wait(server):
    for host in HOSTS:
        delays = [ROUTES[host]["routes"][path]["delay"] for path in routes_with(host, "delay")]
        assert delays and all(delay >= 1 for delay in delays), "each site has a slow page of about 2 s"
    path = routes_with("khabaren.net", "delay")[0]
    with FixtureServer(slow_delay=0.3) as slow:
        started = time.monotonic()
        assert fetch(slow, site_url("khabaren.net", path)).status == 200
        assert time.monotonic() - started >= 0.3


def test_request_log(server):
    url = EXPECTED["thenewkhalij.news"]["entry_points"]["sections"][0]
    fetch(server, url)
    fetch(server, url, {"If-Modified-Since": "Wed, 20 Nov 2024 11:00:00 GMT"})
    fetch(server, "https://thenewkhalij.news/missing", method="HEAD")
    first, second, third = server.requests
    assert (first.host, first.path, first.method, first.status, first.conditional) == (
        "thenewkhalij.news", "/category/سياسة", "GET", 200, False)
    assert (second.status, second.conditional) == (304, True)
    assert (third.method, third.status) == ("HEAD", 404)
    assert first.headers[HOST_HEADER] == "thenewkhalij.news"
    assert server.requests_for("thenewkhalij.news", "/category/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9") == [first, second]
    assert server.requests_for("aawsat.com") == []
    server.reset()
    assert server.requests == []


# --- the sites' content --------------------------------------------------------------


def _sitemap_entries(server, host):
    """{sitemap kind: [(loc, date or None)]} from robots.txt down."""
    robots = fetch(server, site_url(host, "/robots.txt")).text
    index_urls = [line.split(":", 1)[1].strip() for line in robots.splitlines() if line.startswith("Sitemap:")]
    assert index_urls == [EXPECTED[host]["entry_points"]["sitemap_index"]]
    index = lxml.etree.fromstring(fetch(server, index_urls[0]).body)
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    entries = {"news": [], "regular": []}
    for loc in index.iter(f"{SITEMAP_NS}loc"):
        reply = fetch(server, loc.text)
        assert reply.status == 200, loc.text
        urlset = lxml.etree.fromstring(reply.body)
        assert urlset.tag == f"{SITEMAP_NS}urlset"
        for url in urlset.iter(f"{SITEMAP_NS}url"):
            location = url.findtext(f"{SITEMAP_NS}loc")
            news_date = url.findtext(f"{NEWS_NS}news/{NEWS_NS}publication_date")
            if url.find(f"{NEWS_NS}news") is not None:
                assert news_date, f"news entry without a publication date: {location}"
                entries["news"].append((location, datetime.fromisoformat(news_date)))
            else:
                lastmod = url.findtext(f"{SITEMAP_NS}lastmod")
                entries["regular"].append((location, datetime.fromisoformat(lastmod) if lastmod else None))
    assert entries["news"] and entries["regular"]
    return entries


def _feed_entries(server, host):
    """[(link, date or None)] of every feed of the site (RSS 2.0 or Atom)."""
    found = []
    for feed_url in EXPECTED[host]["entry_points"]["feeds"]:
        reply = fetch(server, feed_url)
        assert reply.status == 200
        assert reply.headers["Content-Type"].split(";")[0] in ("application/rss+xml", "application/atom+xml")
        root = lxml.etree.fromstring(reply.body)
        if root.tag == "rss":
            for item in root.iter("item"):
                date = item.findtext("pubDate")
                found.append((item.findtext("link"), parsedate_to_datetime(date) if date else None))
        else:
            assert root.tag == f"{ATOM_NS}feed"
            for entry in root.iter(f"{ATOM_NS}entry"):
                link = entry.find(f"{ATOM_NS}link[@rel='alternate']").get("href")
                found.append((link, datetime.fromisoformat(entry.findtext(f"{ATOM_NS}published"))))
    assert found
    return found


@pytest.mark.parametrize("host", HOSTS)
def test_sitemaps_and_feeds_are_well_formed_and_consistent(server, host):
    expected = EXPECTED[host]
    known = article_urls(host) | {r["from"] for r in expected["redirects"]} | {
        e["url"] for e in expected["not_stored"] if e["status"] == 404}
    cutoff = utc_cutoff(host)
    window = expected["sitemap_window"]
    published = {a["url"]: a["published_at"] for a in expected["articles"]}

    sitemaps = _sitemap_entries(server, host)
    for location, date in sitemaps["news"]:
        assert location in article_urls(host)
        assert date.tzinfo is not None and date >= cutoff, "news sitemaps list the last two days only"
        assert date == datetime.fromisoformat(published[location])
    regular = dict(sitemaps["regular"])
    assert set(regular) <= known and article_urls(host) <= set(regular)
    for url in window["older_urls"]:
        assert regular[url] < cutoff
    for url in window["undated_urls"]:
        assert regular[url] is None
    for url, lastmod in regular.items():
        if url in article_urls(host) and url not in window["older_urls"] + window["undated_urls"]:
            assert lastmod >= cutoff

    for link, date in _feed_entries(server, host):
        assert link in known, link
        target = next((r["to"] for r in expected["redirects"] if r["from"] == link), link)
        if target in window["undated_urls"]:
            assert date is None
        elif target in published:
            assert date == datetime.fromisoformat(published[target])


@pytest.mark.parametrize("host", HOSTS)
def test_robots_txt_blocks_the_disallowed_pages_only(server, host):
    robots = RobotFileParser()
    robots.parse(fetch(server, site_url(host, "/robots.txt")).text.splitlines())
    assert EXPECTED[host]["disallowed"]
    for url in EXPECTED[host]["disallowed"]:
        assert not robots.can_fetch("*", url)
        assert fetch(server, url).status == 200, "only robots.txt keeps a crawler out"
    for url in article_urls(host) | set(EXPECTED[host]["entry_points"]["sections"]):
        assert robots.can_fetch("*", url)


@pytest.mark.parametrize("host", HOSTS)
def test_expected_articles_are_served_with_their_metadata(server, host):
    for article in EXPECTED[host]["articles"]:
        reply = fetch_ok(server, article["url"])
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
        markup = reply.text
        tree = lxml.html.fromstring(markup)
        if article.get("dated_by_byline_only"):
            # No JSON-LD and no dated meta: only the byline shows its date.
            assert not json_ld_objects(markup)
            assert not tree.xpath('//meta[contains(@property, "_time") or contains(@name, "date")]')
            assert article["dated_by_byline_only"] in visible_text(markup)
            continue
        data = news_article(markup)
        assert data["headline"] == article["title"]
        sections = data["articleSection"] if isinstance(data["articleSection"], list) else [data["articleSection"]]
        assert article["section"] in sections
        if article["published"]:
            published = datetime.fromisoformat(data["datePublished"])
            assert published.tzinfo is not None and "dateModified" in data
            assert published == datetime.fromisoformat(article["published_at"])
            assert tree.xpath('//meta[@property="article:published_time"]/@content') == [data["datePublished"]]
        else:
            assert "datePublished" not in data and "dateModified" not in data
        assert tree.xpath('//link[@rel="canonical"]/@href') == [article["url"]]
        assert tree.xpath('//meta[@property="og:url"]/@content') == [article["url"]]
        assert article["title"] in [" ".join(h.text_content().split()) for h in tree.iter("h1")]
        text = visible_text(markup)
        for snippet in article["body_snippets"]:
            assert snippet in text
        # Boilerplate the extractor must drop is really on the page.
        for boilerplate in article["boilerplate_absent"]:
            assert boilerplate in text or boilerplate in markup, boilerplate
        assert person_names(markup, data) == article["authors"]


@pytest.mark.parametrize("host", HOSTS)
def test_undated_articles_show_dates_only_inside_related_links(server, host):
    undated = [a for a in EXPECTED[host]["articles"] if a["published"] is None]
    for article in undated:
        markup = fetch_ok(server, article["url"]).text
        tree = lxml.html.fromstring(markup)
        for obj in json_ld_objects(markup):
            assert not {"datePublished", "dateModified", "dateCreated", "uploadDate"} & obj.keys()
        assert not tree.xpath('//meta[contains(@property, "_time") or contains(@name, "date")]')
        assert FULL_DATE.search(" ".join(link.text_content() for link in tree.iter("a"))), \
            "the related links carry dates"
        assert all(any(parent.tag == "a" for parent in stamp.iterancestors()) for stamp in tree.iter("time"))
        for link in tree.iter("a"):
            link.drop_tree()
        assert not FULL_DATE.search(visible_text(lxml.html.tostring(tree, encoding="unicode")))


@pytest.mark.parametrize("host", HOSTS)
def test_sections_paginate(server, host):
    for first_url in EXPECTED[host]["entry_points"]["sections"]:
        first = fetch(server, first_url)
        assert first.status == 200
        tree = lxml.html.fromstring(first.text, base_url=first_url)
        tree.make_links_absolute(first_url)
        next_links = set(tree.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href | //a[@class="next"]/@href'))
        assert len(next_links) == 1
        second_url = safe_url_string(next_links.pop())
        second = fetch(server, second_url)
        assert second.status == 200
        assert not lxml.html.fromstring(second.text).xpath('//link[@rel="next"]')
        listed = {safe_url_string(href) for href in tree.xpath("//a/@href")}
        assert listed & article_urls(host)
        assert {e["url"] for e in EXPECTED[host]["not_stored"] if e["kind"] == "section"} >= {first_url, second_url}


@pytest.mark.parametrize("host", HOSTS)
def test_pages_that_must_not_be_stored(server, host):
    kinds = {entry["kind"] for entry in EXPECTED[host]["not_stored"]}
    assert {"section", "tag", "writer", "about", "deleted"} <= kinds
    for entry in EXPECTED[host]["not_stored"]:
        reply = fetch(server, entry["url"])
        assert reply.status == entry["status"], entry["url"]
        if reply.status == 200:
            types = {obj.get("@type") for obj in json_ld_objects(reply.text)}
            assert "NewsArticle" not in types
            assert not lxml.html.fromstring(reply.text).xpath('//meta[@property="og:type"][@content="article"]')
