"""Feeds and sitemaps as sites really serve them (crawler/discovery.py):
zoned and reduced-precision dates, feeds named as sitemaps, plain-text and
JSON feeds, cut downloads, and hostile XML."""
from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse, TextResponse

from crawler.discovery import (
    Entry, is_recent, page_links, parse_feed, parse_period, parse_sitemap, parse_time, robots_sitemaps,
)
from tests.test_spiders import by_kind, outlet_spider, requests_of

UTC = timezone.utc

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>الشرق الأوسط</title>
    <link>https://aawsat.com/</link>
    <atom:link href="https://aawsat.com/feed" rel="self" type="application/rss+xml"/>
    <item>
      <title>وزير الخارجية السعودي يلتقي نظيره الأميركي</title>
      <link>https://aawsat.com/node/5081234</link>
      <guid isPermaLink="false">5081234 at https://aawsat.com</guid>
      <pubDate>{first}</pubDate>
      <description><![CDATA[<p>التقى وزير الخارجية &amp; نظيره</p>]]></description>
    </item>
    <item>
      <title>قمة الرياض تبحث التطورات في غزة ولبنان</title>
      <link>https://aawsat.com/node/5081235</link>
      <pubDate>{second}</pubDate>
      <dc:creator>الرياض: «الشرق الأوسط»</dc:creator>
    </item>
  </channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">
  <title>خبرين</title>
  <id>https://khabaren.net/</id>
  <updated>2024-11-20T09:40:00Z</updated>
  <entry>
    <title>الوكالة العالمية لمكافحة المنشطات تدافع عن نفسها</title>
    <link rel="alternate" type="text/html" href="https://khabaren.net/news/wada-defends"/>
    <id>tag:khabaren.net,2024:wada-defends</id>
    <published>2024-11-20T08:05:00+03:00</published>
    <updated>2024-11-20T09:40:00+03:00</updated>
  </entry>
  <entry>
    <title>محادثات عسكرية نادرة</title>
    <link href="https://khabaren.net/news/rare-talks"/>
    <id>tag:khabaren.net,2024:rare-talks</id>
    <source>
      <id>https://agency.example/feed</id>
      <updated>2024-11-25T00:00:00Z</updated>
    </source>
    <updated>2024-11-19T16:00:00Z</updated>
  </entry>
</feed>
""".encode()

URLSET = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://24.ae/article/845187/%D8%A7%D9%84%D8%AC%D9%8A%D8%B4</loc>
    <lastmod>2024-11-19T11:02:00+04:00</lastmod>
  </url>
  <url>
    <loc>https://24.ae/article/845190/%D9%82%D9%85%D8%A9</loc>
    <news:news>
      <news:publication><news:name>24</news:name><news:language>ar</news:language></news:publication>
      <news:publication_date>2024-11-19T13:40:00+04:00</news:publication_date>
      <news:title>قمة</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://24.ae/article/845191/%D8%AA%D9%82%D8%B1%D9%8A%D8%B1</loc>
    <lastmod>2024-11</lastmod>
  </url>
</urlset>
""".encode()

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://24.ae/sitemaps/news.xml</loc><lastmod>2024-11-19T14:00:00+04:00</lastmod></sitemap>
  <sitemap><loc>https://24.ae/sitemaps/articles-2024-11.xml</loc><lastmod>2024-11</lastmod></sitemap>
  <sitemap><loc>https://24.ae/sitemaps/articles-2023.xml</loc><lastmod>2023</lastmod></sitemap>
</sitemapindex>
"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "24",
    "home_page_url": "https://24.ae/",
    "feed_url": "https://24.ae/feed.json",
    "items": [
        {"id": "845187", "url": "https://24.ae/article/845187/", "title": "الجيش",
         "content_html": "<p>نص</p>", "date_published": "2024-11-19T11:02:00+04:00",
         "date_modified": "2024-11-19T12:30:00+04:00"},
        {"id": "845188", "external_url": "https://24.ae/article/845188/", "content_text": "نص",
         "date_published": "2024-11-19T09:00:00Z"},
        {"id": "845189", "url": "/article/845189/", "content_text": "a relative URL cannot be requested"},
        {"id": "tag:24.ae,2024:845190", "content_text": "no URL at all"},
        "not an item",
    ],
}


def rss(first: str, second: str = "Tue, 19 Nov 2024 13:40:00 +0400") -> bytes:
    return RSS.format(first=first, second=second).encode()


def urls(entries: list[Entry]) -> list[str]:
    return [e.url for e in entries]


# --- 1. zoned dates -------------------------------------------------------------

AT_1040_UTC = datetime(2024, 11, 19, 10, 40, tzinfo=UTC)


@pytest.mark.parametrize("text", [
    "Tue, 19 Nov 2024 13:40:00 +03:00",
    "Tue, 19 Nov 2024 13:40:00 +0300",
    "Tue, 19 Nov 2024 13:40:00 +03",
    "Tue, 19 Nov 2024 13:40:00 +3",
    "Tue, 19 Nov 2024 13:40:00 GMT+3",
    "Tue, 19 Nov 2024 13:40:00 GMT+03:00",
    "Tue, 19 Nov 2024 13:40 UTC+3",
    "Tue, 19 Nov 2024 13:40:00 +0300 (Arabia Standard Time)",
    "Tue,19 Nov 2024 13:40:00 +0300",
    "Tuesday, 19 November 2024 13:40:00 AST",  # Arabia, as Gulf sites mean it
    "Tue, 19 Nov 2024 14:40:00 GST",
    "Tue, 19 Nov 2024 13:40:00 MSK",
    "Tue, 19 Nov 2024 12:40:00 EET",
    "Tue, 19 Nov 2024 11:40:00 CET",
    "Tue, 19 Nov 2024 12:40:00 CEST",
    "Tue, 19 Nov 2024 05:40:00 EST",
    "Tue, 19 Nov 2024 06:40:00 EDT",
    "Tue, 19 Nov 2024 02:40:00 PST",
    "Tue, 19 Nov 2024 03:40:00 PDT",
    "Tue, 19 Nov 2024 10:40:00 GMT",
    "Tue, 19 Nov 24 10:40:00 Z",
    "19 Nov 2024 07:40:00 -0300",
    "Nov 19, 2024 13:40:00 +0300",
    "2024-11-19T13:40:00+03:00",
    "2024-11-19T13:40:00+0300",
    "2024-11-19 13:40:00 +03:00",
    "2024-11-19T10:40:00.000Z",
])
def test_zoned_feed_dates_are_the_right_utc_instant(text):
    assert parse_time(text) == AT_1040_UTC


@pytest.mark.parametrize("text", [
    "Tue, 19 Nov 2024 13:40:00 +2500",  # no such offset
    "Tue, 31 Nov 2024 13:40:00 +0300",  # no such day
    "2024-11-19T13:40:61Z",
    "2024-13",
    "منذ ساعتين",
])
def test_impossible_dates_are_unreadable_not_guessed(text):
    assert parse_period(text) is None


def test_a_feed_in_another_zone_keeps_and_skips_the_right_items():
    """Read as UTC, 20:30 EST (01:30 UTC the next day) fell before the window
    and was lost, while 01:30 at UTC+3 (22:30 UTC the day before) was kept."""
    since = datetime(2024, 11, 18, 23, 0, tzinfo=UTC)
    entries = parse_feed(rss("Mon, 18 Nov 2024 20:30:00 EST", "Tue, 19 Nov 2024 01:30:00 GMT+3"))
    assert [e.published for e in entries] == [datetime(2024, 11, 19, 1, 30, tzinfo=UTC),
                                              datetime(2024, 11, 18, 22, 30, tzinfo=UTC)]
    assert [is_recent(e, since) for e in entries] == [True, False]


# --- 2. feeds named as sitemaps, robots.txt spellings, plain-text sitemaps -------


def test_robots_txt_sitemap_spellings():
    text = ("\ufeffSitemap: https://aawsat.com/sitemap.xml\r\n"
            "User-agent: *\r\nDisallow: /search\r\n"
            "Site-map: https://aawsat.com/feed\r\n"
            "SITE-MAP:https://aawsat.com/news-sitemap.xml # news only\r\n"
            "sitemap : https://aawsat.com/sitemap.txt\r\n"
            "Sitemap: /relative-sitemap.xml\r\n"
            "#Sitemap: https://aawsat.com/old.xml\r\n"
            "Sitemaps: https://aawsat.com/not-a-directive.xml\r\n")
    assert robots_sitemaps(text) == ["https://aawsat.com/sitemap.xml", "https://aawsat.com/feed",
                                     "https://aawsat.com/news-sitemap.xml", "https://aawsat.com/sitemap.txt"]


@pytest.mark.parametrize("body", [
    rss("Tue, 19 Nov 2024 12:00:00 +0300"), ATOM, json.dumps(JSON_FEED).encode(), gzip.compress(ATOM),
], ids=["rss", "atom", "json-feed", "gzipped-atom"])
def test_a_feed_fetched_as_a_sitemap_is_read_as_a_feed(body):
    sitemap = parse_sitemap(body)
    assert not sitemap.is_index
    assert urls(sitemap.entries) == urls(parse_feed(body)) and sitemap.entries


def test_plain_text_sitemap():
    body = ("\ufeffhttps://thenewkhalij.news/article/123456/\r\n"
            "\r\n"
            "   https://thenewkhalij.news/article/123457/   \r\n"
            "this line is not a URL\r\n"
            "https://thenewkhalij.news/article/123458/ and some words\r\n"
            "/article/123459/\r\n"
            "https://thenewkhalij.news/%D8%AE%D8%A8%D8%B1/123460\n").encode()
    expected = ["https://thenewkhalij.news/article/123456/", "https://thenewkhalij.news/article/123457/",
                "https://thenewkhalij.news/%D8%AE%D8%A8%D8%B1/123460"]
    assert urls(parse_sitemap(body).entries) == expected
    assert urls(parse_sitemap(gzip.compress(body)).entries) == expected
    assert parse_feed(body) == []


def test_a_feed_named_by_robots_txt_leads_the_spider_to_its_articles():
    spider = outlet_spider("aawsat", since="2024-11-19T00:00:00+00:00")
    robots = TextResponse("https://aawsat.com/robots.txt", body=b"User-agent: *\nSite-map: https://aawsat.com/feed\n",
                          headers={"Content-Type": "text/plain"})
    sitemaps = requests_of(spider.parse_robots(robots))
    assert by_kind(sitemaps, "sitemap") == ["https://aawsat.com/feed"]
    feed = TextResponse("https://aawsat.com/feed", body=rss("Tue, 19 Nov 2024 12:00:00 +0300"),
                        headers={"Content-Type": "application/rss+xml; charset=utf-8"},
                        request=sitemaps[0])
    articles = requests_of(spider.parse_sitemap(feed))
    assert by_kind(articles, "article") == ["https://aawsat.com/node/5081234", "https://aawsat.com/node/5081235"]


# --- 3. cut downloads ------------------------------------------------------------


def test_a_sitemap_cut_inside_a_loc_gives_only_its_whole_urls():
    cut = URLSET[: URLSET.index(b"845191/%D8") + len(b"845191/%D8")]
    assert cut.endswith(b"<loc>https://24.ae/article/845191/%D8")
    assert urls(parse_sitemap(cut).entries) == urls(parse_sitemap(URLSET).entries)[:2]


@pytest.mark.parametrize("name, body, read", [
    ("urlset", URLSET, lambda body: parse_sitemap(body).entries),
    ("sitemap index", SITEMAP_INDEX, lambda body: parse_sitemap(body).entries),
    ("rss", rss("Tue, 19 Nov 2024 12:00:00 +0300"), parse_feed),
    ("atom", ATOM, parse_feed),
])
def test_a_file_cut_anywhere_gives_whole_entries_only(name, body, read):
    """Every prefix of the file: its entries are the first ones of the whole
    file, with the same URL and dates; never a cut URL or a cut date."""
    whole = read(body)
    assert len(whole) >= 2
    for size in range(len(body)):
        found = read(body[:size])
        assert found == whole[: len(found)], (name, body[:size][-40:])
    assert read(body[: body.rindex(b"</")]) == whole, "cut in the closing tag of the root: all entries are whole"


# --- 4. JSON Feed ----------------------------------------------------------------


def test_json_feed_items_and_dates():
    body = json.dumps(JSON_FEED, ensure_ascii=False).encode()
    entries = parse_feed(body)
    assert entries == [
        Entry("https://24.ae/article/845187/", modified=datetime(2024, 11, 19, 8, 30, tzinfo=UTC),
              published=datetime(2024, 11, 19, 7, 2, tzinfo=UTC), modified_raw="2024-11-19T12:30:00+04:00",
              modified_precision="second", published_precision="second"),
        Entry("https://24.ae/article/845188/", published=datetime(2024, 11, 19, 9, tzinfo=UTC),
              published_precision="second"),
    ]
    assert parse_feed(b"\xef\xbb\xbf" + body) == entries
    version_1 = {"version": "https://jsonfeed.org/version/1", "items": [{"id": "1", "url": "https://24.ae/a/1"}]}
    assert urls(parse_feed(json.dumps(version_1).encode())) == ["https://24.ae/a/1"]


def test_a_json_feed_is_found_on_the_home_page_and_broken_ones_give_nothing():
    home = b"""<html><head><link rel="alternate" type="application/feed+json" title="24" href="/feed.json">
        </head><body></body></html>"""
    assert page_links(HtmlResponse("https://24.ae/", body=home, encoding="utf-8")).feeds == ["https://24.ae/feed.json"]
    for junk in (b'{"items": "none"}', b'{"version": "x", "items": [', b"[1, 2]",
                 b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"):
        assert parse_feed(junk) == [] and parse_sitemap(junk).entries == []


# --- 5. dates to the month or year -----------------------------------------------


def test_a_month_or_year_alone_is_its_start_with_its_precision():
    assert parse_period("2003-12") == (datetime(2003, 12, 1, tzinfo=UTC), "month")
    assert parse_period("2003") == (datetime(2003, 1, 1, tzinfo=UTC), "year")
    assert parse_period("2003-12-13") == (datetime(2003, 12, 13, tzinfo=UTC), "day")
    assert parse_period("Sat, 13 Dec 2003") == (datetime(2003, 12, 13, tzinfo=UTC), "day")
    assert parse_period("2003-12-13T18:30Z") == (datetime(2003, 12, 13, 18, 30, tzinfo=UTC), "minute")
    assert parse_period("Sat, 13 Dec 2003 18:30:05 GMT") == (datetime(2003, 12, 13, 18, 30, 5, tzinfo=UTC), "second")
    assert parse_period("2003-12-13T18:30:05.250Z") == (datetime(2003, 12, 13, 18, 30, 5, 250000, tzinfo=UTC), None)


def test_a_reduced_precision_lastmod_counts_until_the_end_of_its_period():
    """The safe direction: a lastmod of "2024-11" says the page changed some
    time in November. Reading it as 1 November would skip, with a window
    starting on the 19th, a page edited on the 28th; reading it as the end of
    November (+12 hours: the zone is unknown) at worst fetches a page again."""
    entries = {e.url.rsplit("/", 2)[-2]: e for e in parse_sitemap(URLSET).entries}
    month = entries["845191"]
    assert (month.modified, month.modified_precision, month.modified_raw) == (
        datetime(2024, 11, 1, tzinfo=UTC), "month", "2024-11")
    assert month.latest == datetime(2024, 12, 1, 12, tzinfo=UTC)
    assert is_recent(month, datetime(2024, 11, 28, tzinfo=UTC))
    assert not is_recent(month, datetime(2024, 12, 2, tzinfo=UTC))
    index = parse_sitemap(SITEMAP_INDEX).entries
    since = datetime(2024, 11, 18, tzinfo=UTC)
    assert [is_recent(e, since) for e in index] == [True, True, False], "a child sitemap of 2023 is skipped"
    year = index[2]
    assert year.modified_precision == "year" and year.latest == datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert is_recent(year, datetime(2023, 12, 31, tzinfo=UTC))


def test_end_of_period_across_the_year():
    december = Entry("https://x/a", modified=datetime(2024, 12, 1, tzinfo=UTC), modified_precision="month")
    assert december.latest == datetime(2025, 1, 1, 12, tzinfo=UTC)
    day = Entry("https://x/a", published=datetime(2024, 12, 31, tzinfo=UTC), published_precision="day")
    assert day.latest == datetime(2025, 1, 1, 12, tzinfo=UTC)


# --- what the reference parsers' test suites taught -------------------------------


def test_a_url_with_an_unescaped_ampersand_keeps_its_query():
    """A hand-made sitemap or feed writes `?id=1&page=2` unescaped; libxml2's
    recovery used to drop `&page` and give https://...?id=1=2."""
    body = (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>https://elyomnew.com/news.php?id=1&page=2</loc></url>"
            b"<url><loc>https://elyomnew.com/news.php?id=3&amp;page=4</loc></url></urlset>")
    assert urls(parse_sitemap(body).entries) == ["https://elyomnew.com/news.php?id=1&page=2",
                                                 "https://elyomnew.com/news.php?id=3&page=4"]
    feed = rss("Tue, 19 Nov 2024 12:00:00 +0300").replace(b"node/5081235", b"index.php?node=5081235&ref=rss")
    assert urls(parse_feed(feed))[1] == "https://aawsat.com/index.php?node=5081235&ref=rss"


def test_an_atom_entrys_own_dates_not_its_sources():
    entries = parse_feed(ATOM)
    assert entries[1].modified == datetime(2024, 11, 19, 16, tzinfo=UTC)
    assert entries[0].published == datetime(2024, 11, 20, 5, 5, tzinfo=UTC)


def test_locations_that_cannot_be_requested_are_skipped():
    body = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>/sitemap-2.xml</loc></sitemap><sitemap><loc>ftp://24.ae/sitemap-3.xml</loc></sitemap>
      <sitemap><loc> https://24.ae/sitemap-4.xml </loc></sitemap></sitemapindex>"""
    assert urls(parse_sitemap(body).entries) == ["https://24.ae/sitemap-4.xml"]


def test_an_rss_091_feed_with_its_netscape_doctype_and_html_entities():
    body = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Caf&eacute;</title><link>https://a.example/</link>
<item><title>Caf&eacute; &amp; th&eacute;</title><link>https://a.example/1</link></item>
<item><title>Deux&nbsp;</title><link>https://a.example/2</link></item></channel></rss>"""
    assert urls(parse_feed(body)) == ["https://a.example/1", "https://a.example/2"]


# --- hostile XML -------------------------------------------------------------------

LAUGHS = "".join(['<!ENTITY lol "lol">'] + [
    f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">' for n in range(1, 10)])


@pytest.mark.parametrize("body", [
    f'<?xml version="1.0"?><!DOCTYPE rss [{LAUGHS}]><rss version="2.0"><channel>'
    f"<item><title>&lol9;</title><link>https://a.example/1</link></item></channel></rss>",
    f'<?xml version="1.0"?><!DOCTYPE rss [{LAUGHS}]><rss version="2.0"><channel>'
    f'<item><link>https://a.example/1</link><enclosure url="&lol9;" type="image/jpeg"/></item></channel></rss>',
    f'<?xml version="1.0"?><!DOCTYPE urlset [{LAUGHS}]><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    f"<url><loc>https://a.example/&lol9;</loc></url><url><loc>https://a.example/2?a=1&b=2</loc></url>",
], ids=["feed-text", "feed-attribute", "cut-sitemap"])
def test_billion_laughs_fails_safely(body):
    """Nothing is expanded (libxml2 also stops at the amplification), the call
    is quick, and no URL cut at the entity comes out."""
    started = time.monotonic()
    found = urls(parse_feed(body.encode())) + urls(parse_sitemap(body.encode()).entries)
    assert time.monotonic() - started < 2
    assert set(found) <= {"https://a.example/1", "https://a.example/2?a=1&b=2"}


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    for body in (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY s SYSTEM "file://{secret}">]>'
        f"<urlset><url><loc>https://a.example/&s;</loc></url></urlset>",
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'
        f"<rss><channel><item><link>https://a.example/1</link></item></channel></rss>",
    ):
        found = urls(parse_sitemap(body.encode()).entries) + urls(parse_feed(body.encode()))
        assert not any("TOPSECRET" in url for url in found)
        assert "https://a.example/" not in found, "a URL cut at the entity is no URL of the site"
