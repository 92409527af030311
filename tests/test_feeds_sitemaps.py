"""Feeds and sitemaps as sites really serve them (crawler/discovery.py):
zoned and reduced-precision dates."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawler.discovery import Entry, is_recent, parse_feed, parse_period, parse_sitemap, parse_time

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

def rss(first: str, second: str = "Tue, 19 Nov 2024 13:40:00 +0400") -> bytes:
    return RSS.format(first=first, second=second).encode()


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


# --- 5. dates to the month or year -----------------------------------------------


def test_a_month_or_year_alone_is_its_start_with_its_precision():
    assert parse_period("2003-12") == (datetime(2003, 12, 1, tzinfo=UTC), "month")
    assert parse_period("2003") == (datetime(2003, 1, 1, tzinfo=UTC), "year")
    assert parse_period("2003-12-13") == (datetime(2003, 12, 13, tzinfo=UTC), "day")
    assert parse_period("Sat, 13 Dec 2003") == (datetime(2003, 12, 13, tzinfo=UTC), "day")
    assert parse_period("2003-12-13T18:30Z") == (datetime(2003, 12, 13, 18, 30, tzinfo=UTC), None)


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
