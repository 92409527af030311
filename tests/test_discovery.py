"""Discovery (crawler/discovery.py) and the outlet descriptions it is driven by,
on the fixture sites' real files: robots.txt, sitemaps, feeds, listing pages."""
from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from scrapy.http import HtmlResponse

from crawler.discovery import (
    Entry, declares_article, is_recent, page_links, parse_feed, parse_period, parse_sitemap, parse_time,
    resolve_since, robots_sitemaps,
)
from crawler.outlets import all_outlets, by_slug
from crawler.outlets.base import Outlet, ParserVersion
from tests.sites.server import SITES_DIR, Site, load_expected, site_hosts

HOSTS = site_hosts()
UTC = timezone.utc


def site(host: str) -> Site:
    return Site(SITES_DIR / host)


def served_file(host: str, path: str) -> bytes:
    spec = site(host).routes[path]
    return (SITES_DIR / host / spec["file"]).read_bytes()


def html_response(host: str, path: str) -> HtmlResponse:
    return HtmlResponse(url=site(host).url(path), body=served_file(host, path), encoding="utf-8")


def window(host: str) -> tuple[datetime, dict]:
    spec = load_expected(host)["sitemap_window"]
    return datetime.fromisoformat(spec["reference"]) - timedelta(days=spec["days"]), spec


def sitemap_entries(host: str) -> list[Entry]:
    """Every URL entry of the site's sitemaps, through its sitemap index."""
    index_url = load_expected(host)["entry_points"]["sitemap_index"]
    index = parse_sitemap(served_file(host, index_url.split(host, 1)[1]))
    assert index.is_index and index.entries
    found = []
    for child in index.entries:
        sitemap = parse_sitemap(served_file(host, child.url.split(host, 1)[1]))
        assert not sitemap.is_index
        found.extend(sitemap.entries)
    return found


def feed_entries(host: str) -> list[Entry]:
    feed_url = load_expected(host)["entry_points"]["feeds"][0]
    return parse_feed(served_file(host, feed_url.split(host, 1)[1]))


# --- dates and the window ------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2024-11-19T11:02:00+04:00", datetime(2024, 11, 19, 7, 2, tzinfo=UTC)),
    ("2024-11-19T14:30:00Z", datetime(2024, 11, 19, 14, 30, tzinfo=UTC)),
    ("2024-11-19T11:02+04:00", datetime(2024, 11, 19, 7, 2, tzinfo=UTC)),
    ("Tue, 19 Nov 2024 13:40:00 +0400", datetime(2024, 11, 19, 9, 40, tzinfo=UTC)),
    ("Tue, 19 Nov 2024 13:40:00 GMT", datetime(2024, 11, 19, 13, 40, tzinfo=UTC)),
    ("2024-11-19T09:00:00", datetime(2024, 11, 19, 9, 0, tzinfo=UTC)),  # undeclared zone: UTC
    ("", None), ("yesterday", None), (None, None),
])
def test_parse_time_reads_sitemap_and_feed_dates_as_utc(text, expected):
    assert parse_time(text) == expected


def test_a_date_alone_counts_until_the_end_of_that_day():
    assert parse_period("2024-11-18") == (datetime(2024, 11, 18, tzinfo=UTC), "day")
    entry = Entry("https://x/a", modified=parse_time("2024-11-18"), modified_precision="day")
    assert is_recent(entry, datetime(2024, 11, 18, 23, 30, tzinfo=UTC))
    assert not is_recent(entry, datetime(2024, 11, 20, tzinfo=UTC))


def test_resolve_since():
    now = datetime(2024, 11, 20, 12, tzinfo=UTC)
    assert resolve_since(None, 2, now) == datetime(2024, 11, 18, 12, tzinfo=UTC)
    assert resolve_since(None, 0, now) is None
    assert resolve_since("2024-11-01", 2, now) == datetime(2024, 11, 1, tzinfo=UTC)
    assert resolve_since("2024-11-01T10:00:00+03:00", 2, now) == datetime(2024, 11, 1, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="since"):
        resolve_since("last week", 2, now)


def test_latest_date_of_an_entry_decides_and_undated_entries_are_kept():
    since = datetime(2024, 11, 18, tzinfo=UTC)
    old, new = datetime(2024, 9, 1, tzinfo=UTC), datetime(2024, 11, 19, tzinfo=UTC)
    assert not is_recent(Entry("https://x/a", modified=old, published=old), since)
    assert is_recent(Entry("https://x/a", modified=new, published=old), since)  # edited lately
    assert is_recent(Entry("https://x/a"), since)
    assert is_recent(Entry("https://x/a", modified=old), None)


# --- robots.txt, sitemaps, feeds -------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_robots_txt_names_the_sitemap_index(host):
    text = served_file(host, "/robots.txt").decode()
    assert robots_sitemaps(text) == [load_expected(host)["entry_points"]["sitemap_index"]]


def test_robots_sitemap_lines_in_any_case_once_each():
    text = "User-agent: *\nDisallow: /x\nSITEMAP: https://a.example/s1.xml\nsitemap:https://a.example/s2.xml\n" \
           "Sitemap: https://a.example/s1.xml\n# Sitemap: https://a.example/commented.xml\n"
    assert robots_sitemaps(text) == ["https://a.example/s1.xml", "https://a.example/s2.xml"]


@pytest.mark.parametrize("host", HOSTS)
def test_sitemap_window_skips_exactly_the_older_entries(host):
    since, spec = window(host)
    entries = sitemap_entries(host)
    old = {e.url for e in entries if not is_recent(e, since)}
    assert old == set(spec["older_urls"])
    undated = {e.url for e in entries if e.latest is None}
    assert set(spec["undated_urls"]) <= undated


def test_news_sitemap_publication_date_is_read():
    entries = parse_sitemap(served_file("24.ae", "/sitemaps/news.xml")).entries
    assert len(entries) == 2
    assert all(e.modified is None and e.published is not None for e in entries)
    assert entries[0].published == datetime(2024, 11, 19, 9, 40, tzinfo=UTC)


def test_gzipped_sitemap_and_size_limit():
    body = served_file("aawsat.com", "/sitemap.xml?page=1")
    packed = gzip.compress(body)
    assert [e.url for e in parse_sitemap(packed).entries] == [e.url for e in parse_sitemap(body).entries]
    with pytest.raises(ValueError, match="over"):
        parse_sitemap(packed, max_size=len(body) // 2)
    with pytest.raises(ValueError, match="gzip"):
        parse_sitemap(packed[: len(packed) // 2])


def test_unreadable_sitemap_or_feed_gives_no_entries():
    for junk in (b"", b"<html><body>not a sitemap</body></html>", b"\x00\x01garbage"):
        assert parse_sitemap(junk).entries == []
        assert parse_feed(junk) == []


@pytest.mark.parametrize("host", HOSTS)
def test_feed_entries_are_the_sites_articles_with_their_dates(host):
    entries = feed_entries(host)
    expected = load_expected(host)
    articles = {a["url"] for a in expected["articles"]} | {r["from"] for r in expected["redirects"]}
    assert entries and {e.url for e in entries} <= articles
    since, spec = window(host)
    undated = set(spec["undated_urls"])
    for entry in entries:
        assert (entry.latest is None) == (entry.url in undated), entry.url


def test_atom_updated_is_a_modification_time_and_rss_pubdate_is_not():
    atom = {e.url: e for e in feed_entries("khabaren.net")}
    wada = atom["https://khabaren.net/news/wada-defends-handling-of-chinese-swimmers-doping-case"]
    assert wada.modified_raw == "2024-11-20T09:40:00Z"
    assert wada.published == datetime(2024, 11, 20, 8, 5, tzinfo=UTC)
    rss = feed_entries("24.ae")
    assert all(e.modified is None and e.modified_raw is None for e in rss)
    assert any(e.published == datetime(2024, 9, 1, 12, 20, tzinfo=UTC) for e in rss)


def test_rss_1_feed_and_guid_links():
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <item rdf:about="https://a.example/1"><link>https://a.example/1</link><dc:date>2024-11-19T10:00:00Z</dc:date></item>
    </rdf:RDF>"""
    assert parse_feed(rdf) == [Entry("https://a.example/1", published=datetime(2024, 11, 19, 10, tzinfo=UTC),
                                     published_precision="second")]
    rss = b"""<rss version="2.0"><channel><item><guid>https://a.example/2</guid></item>
      <item><guid isPermaLink="false">tag:a.example,2024:3</guid></item></channel></rss>"""
    assert [e.url for e in parse_feed(rss)] == ["https://a.example/2"]


# --- HTML pages -----------------------------------------------------------------


def test_listing_links_next_page_and_feed():
    response = html_response("24.ae", "/section/1/")
    links = page_links(response)
    assert links.next_pages == ["https://24.ae/section/1/?page=2"]
    assert links.feeds == ["https://24.ae/rss.aspx"]
    assert "https://24.ae/about" in links.links
    article = "https://24.ae/article/845187/" + "%D8%A7%D9%84%D8%AC%D9%8A%D8%B4"
    assert any(link.startswith(article) for link in links.links), "Arabic paths come percent-encoded"
    assert not any("#" in link or link.startswith("mailto:") for link in links.links)


def test_links_to_files_and_other_schemes_are_not_pages():
    body = b"""<html><body><a href="/a.jpg">x</a><a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a>
      <a href="/story/1#comments">s</a><a href="//cdn.example/file.pdf">p</a><a href="/story/2">t</a></body></html>"""
    links = page_links(HtmlResponse("https://a.example/", body=body, encoding="utf-8")).links
    assert links == ["https://a.example/story/1", "https://a.example/story/2"]


@pytest.mark.parametrize("host", HOSTS)
def test_articles_declare_themselves_and_listings_do_not(host):
    spec = json.loads((SITES_DIR / host / "routes.json").read_text(encoding="utf-8"))
    for path, route in spec["routes"].items():
        if route.get("file", "").endswith(".html"):
            is_article = route["file"].startswith("articles/")
            assert declares_article(html_response(host, path)) == is_article, path


def test_a_listing_of_articles_is_not_an_article():
    listing = {"@context": "https://schema.org", "@type": "CollectionPage",
               "mainEntity": {"@type": "ItemList", "itemListElement": [{"@type": "NewsArticle", "headline": "x"}]}}
    body = f'<html><head><script type="application/ld+json">{json.dumps(listing)}</script></head></html>'
    assert not declares_article(HtmlResponse("https://a.example/", body=body.encode(), encoding="utf-8"))
    graph = {"@graph": [{"@type": "WebPage"}, {"@type": ["ReportageNewsArticle"]}]}
    body = f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script></head></html>'
    assert declares_article(HtmlResponse("https://a.example/", body=body.encode(), encoding="utf-8"))


# --- outlet descriptions ----------------------------------------------------------


@pytest.mark.parametrize("host", [h for h in HOSTS if load_expected(h)["outlet"]])
def test_outlet_patterns_tell_articles_from_listings(host):
    expected = load_expected(host)
    outlet = by_slug(expected["outlet"])
    assert outlet.matches_domain(host)
    for article in expected["articles"]:
        assert outlet.is_article_url(article["url"]), article["path"]
    for redirect in expected["redirects"]:
        assert outlet.is_article_url(redirect["from"]), "a redirect source is fetched to be followed"
    for page in expected["not_stored"]:
        if page["kind"] != "deleted":
            assert not outlet.is_article_url(page["url"]), page
    tags = [p["url"] for p in expected["not_stored"] if p["kind"] in ("tag", "writer")]
    assert tags and all(outlet.is_listing_url(url) for url in tags)
    for kind in ("about", "search", "home"):
        for page in (p for p in expected["not_stored"] if p["kind"] == kind):
            assert not outlet.is_listing_url(page["url"]), page


def test_every_outlet_has_a_current_parser_version_last():
    for outlet in all_outlets():
        assert outlet.parser_versions and outlet.parser_versions[-1].valid_until is None, outlet.slug
        dates = [v.valid_until for v in outlet.parser_versions[:-1]]
        assert dates == sorted(dates), outlet.slug


def test_parser_version_is_the_one_valid_on_the_fetch_or_capture_day():
    old = ParserVersion("2019", valid_until=date(2023, 2, 28), cleanup_selectors=(".old-teaser",))
    new = ParserVersion("2023", cleanup_selectors=(".teaser",))
    outlet = Outlet(slug="x", name_ar="x", name_en="x", domains=("x.example",), parser_versions=(old, new))
    assert outlet.parser_version(date(2020, 5, 1)) is old
    assert outlet.parser_version(datetime(2023, 2, 28, 23, 0, tzinfo=UTC)) is old
    # 02:00 on 1 March in Riyadh is still 28 February in UTC.
    assert outlet.parser_version(datetime(2023, 3, 1, 2, 0, tzinfo=timezone(timedelta(hours=3)))) is old
    assert outlet.parser_version(date(2023, 3, 1)) is new
    assert outlet.parser_version() is new


def test_cleanup_selectors_of_the_version_valid_then_apply(monkeypatch):
    """An outlet redesign: pages fetched before it keep their old parser version."""
    import crawler.extraction.html as html

    page = served_file("khabaren.net", "/news/us-and-chinese-military-leaders-hold-rare-talks")
    url = "https://khabaren.net/news/us-and-chinese-military-leaders-hold-rare-talks"
    teaser = "اكتشف التفاصيل على خَبَرَيْن"
    current = by_slug("khaberain")
    before = ParserVersion("before-teasers", valid_until=date(2024, 1, 31))
    redesigned = Outlet(**{**current.__dict__, "parser_versions": (before, *current.parser_versions)})
    monkeypatch.setattr(html, "by_url", lambda u: redesigned if u and "khabaren.net" in u else None)
    assert teaser in html.extract_html(page, url, at=datetime(2024, 1, 15, tzinfo=UTC)).body
    assert teaser not in html.extract_html(page, url, at=datetime(2024, 11, 19, tzinfo=UTC)).body
    assert teaser not in html.extract_html(page, url).body


def test_an_article_declared_in_json_ld_with_a_comment_is_an_article():
    body = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", // generated\n'
            '"headline": "خبر",}</script></head><body></body></html>').encode("utf-8")
    response = HtmlResponse("https://site.example/news/1", body=body, encoding="utf-8")
    assert declares_article(response)
