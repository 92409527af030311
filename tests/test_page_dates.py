"""Publication dates of HTML pages: every place a real page states its date,
its time zone, and the order of the sources when they disagree."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawler.extraction.html import extract_html

UTC = timezone.utc


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def page(head: str = "", header: str = "", body: str = "", after: str = "", lang: str = "ar") -> str:
    paragraphs = body or "".join(
        f"<p>فقرة {n} من نص الخبر تتحدث عن المحادثات بين الوزيرين في العاصمة وما تناولته من ملفات إقليمية"
        f" ودولية عديدة، وفق ما نقلته وسائل الإعلام الرسمية في البلدين.</p>" for n in range(1, 4))
    return f"""<!DOCTYPE html><html lang="{lang}" dir="rtl"><head><meta charset="utf-8">
<title>وزيرا خارجية روسيا والصين يبحثان الأزمة الأوكرانية - موقع الأخبار</title>{head}</head><body>
<nav class="main-menu"><a href="/">الرئيسية</a> <span class="today">الثلاثاء 3 ديسمبر 2024</span></nav>
<main><article><header>{header}<h1 class="entry-title">وزيرا خارجية روسيا والصين يبحثان الأزمة الأوكرانية</h1>
</header>{after}<div class="entry-content">{paragraphs}</div></article>
<aside class="related-posts"><ul><li><a href="/other">خبر آخر عن زيارة سابقة للوزير إلى بكين في الربيع</a>
<span class="date">12 مايو 2023</span></li></ul></aside></main></body></html>"""


def dates(html: str, url: str = "https://news-site.example/world/123"):
    item = extract_html(html.encode("utf-8"), url)
    return item.published_at, item.modified_at, item.warnings


@pytest.mark.parametrize("meta", [
    '<meta property="article:published_time" content="2024-11-19T10:30:00+03:00">',
    '<meta name="pubdate" content="2024-11-19T10:30:00+03:00">',
    '<meta name="dcterms:issued" content="2024-11-19T10:30:00+03:00">',
    '<meta name="DC.date.issued" content="2024-11-19T10:30:00+03:00">',
    '<meta name="sailthru.date" content="2024-11-19T10:30:00+03:00">',
    '<meta name="parsely-pub-date" content="2024-11-19T10:30:00+03:00">',
    '<meta itemprop="datePublished" content="2024-11-19T10:30:00+03:00">',
    '<meta name="citation_publication_date" content="2024/11/19">',
])
def test_every_publication_meta_form_is_read(meta):
    published, _, _ = dates(page(head=meta))
    assert published.date() == datetime(2024, 11, 19).date()


@pytest.mark.parametrize("script", [
    # a // comment and trailing commas, as templates write them
    '{"@type": "NewsArticle", // generated\n "headline": "x", "datePublished": "2024-11-19T10:30:00+03:00",}',
    # an @graph with the article inside, and a list at the top
    '[{"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "موقع"},'
    ' {"@type": "NewsArticle", "datePublished": "2024-11-19T10:30:00+03:00"}]}]',
    # two objects one after the other in one block
    '{"@type": "WebSite", "name": "موقع"} {"@type": "Article", "datePublished": "2024-11-19T10:30:00+03:00"}',
])
def test_json_ld_in_every_shape(script):
    published, _, _ = dates(page(head=f'<script type="application/ld+json">{script}</script>'))
    assert published == utc(2024, 11, 19, 7, 30)


def test_visible_arabic_byline_date_is_found_and_the_related_story_dates_are_not():
    after = '<div class="post-meta"><span class="date">نُشر في الخميس ٣ كانون الأول / ديسمبر ٢٠٢٠ ٠٨:١٥ مساءً</span></div>'
    published, _, warnings = dates(page(after=after))
    # No zone anywhere on the page: the day only, flagged.
    assert published == utc(2020, 12, 3)
    assert "published_timezone_unknown" in warnings


def test_byline_date_above_the_headline_with_a_written_zone():
    header = '<div class="meta"><span>17:32-9 أبريل 2024 بتوقيت مكة المكرمة</span></div>'
    published, _, warnings = dates(page(header=header))
    assert published == utc(2024, 4, 9, 14, 32)
    assert "published_timezone_unknown" not in warnings


def test_a_page_with_no_date_stays_without_one():
    # The site header's "today" and a related story's date are not this article's.
    assert dates(page())[0] is None


def test_a_date_the_text_talks_about_is_not_the_publication():
    body = ("<p>وكان الوزيران قد التقيا آخر مرة في 12 مايو 2023.</p>"
            "<p>" + "وتناولت المحادثات ملفات عديدة بين البلدين في المنطقة " * 4 + "</p>")
    assert dates(page(body=body))[0] is None


def test_outlet_time_zone_reads_a_local_byline_time():
    # 24.ae prints UAE time (Asia/Dubai, UTC+4) without an offset.
    after = '<div class="article-date">19 نوفمبر 2024 01:30</div>'
    published, _, _ = dates(page(after=after), "https://24.ae/article/845201/slug")
    assert published == utc(2024, 11, 18, 21, 30)


def test_the_page_reveals_its_zone_through_its_other_dates():
    head = '<meta property="article:modified_time" content="2024-11-19T12:00:00+02:00">'
    after = '<div class="post-date">19 نوفمبر 2024 - 10:30 ص</div>'
    published, modified, _ = dates(page(head=head, after=after))
    assert published == utc(2024, 11, 19, 8, 30)
    assert modified == utc(2024, 11, 19, 10, 0)


def test_utc_label_on_a_local_time_is_read_in_the_outlet_zone():
    head = '<meta property="article:published_time" content="2024-11-19T10:30:00Z">'
    after = '<div class="article-date">الثلاثاء 19 نوفمبر 2024 10:30</div>'
    published, _, warnings = dates(page(head=head, after=after), "https://24.ae/article/845201/slug")
    assert published == utc(2024, 11, 19, 6, 30)
    assert "utc_label_on_local_time" in warnings


def test_hijri_date_line_alone_gives_the_day():
    after = '<div class="date">الجمعة 12 رمضان 1445 هـ</div>'
    assert dates(page(after=after))[0] == utc(2024, 3, 22)


def test_url_day_wins_over_a_structured_date_that_disagrees():
    # CMSs refill datePublished on republication; the URL keeps the first day.
    head = '<meta property="article:published_time" content="2021-06-02T10:00:00+02:00">'
    published, _, _ = dates(page(head=head), "https://blog.example/2017/07/12/unter-uns/")
    assert published == utc(2017, 7, 12)


def test_printed_date_wins_over_a_structured_date_that_disagrees():
    head = '<meta property="article:published_time" content="2019-09-24T13:34:33Z">'
    after = '<p class="publication">Le 28 juin 2019</p>'
    published, _, _ = dates(page(head=head, after=after, lang="fr"))
    assert published == utc(2019, 6, 28)


def test_same_day_keeps_the_most_precise_reading():
    head = '<meta property="article:published_time" content="2024-11-19T10:30:00+03:00">'
    after = '<div class="date">19 نوفمبر 2024</div>'
    assert dates(page(head=head, after=after), "https://site.example/2024/11/19/x")[0] == utc(2024, 11, 19, 7, 30)


def test_url_date_is_the_last_resort_for_the_day():
    assert dates(page(), "https://site.example/news/2023/08/08/story.html")[0] == utc(2023, 8, 8)
    assert dates(page(), "https://site.example/news/2023/08/story.html")[0] is None


def test_modified_before_published_is_dropped_and_flagged():
    head = ('<meta property="article:published_time" content="2024-11-19T10:30:00+03:00">'
            '<meta property="article:modified_time" content="2024-11-17T10:30:00+03:00">')
    published, modified, warnings = dates(page(head=head))
    assert published == utc(2024, 11, 19, 7, 30) and modified is None
    assert "modified_before_published" in warnings


def test_an_update_line_is_the_modification_not_the_publication():
    after = ('<div class="meta"><span>نشر في: 19 نوفمبر 2024</span> <span>آخر تحديث:</span>'
             '<span>20 نوفمبر 2024</span></div>')
    published, modified, _ = dates(page(after=after))
    assert (published, modified) == (utc(2024, 11, 19), utc(2024, 11, 20))


@pytest.mark.parametrize("script", [
    # a comment on the last property, then the closing brace: the comma before it goes too
    '{"@type": "NewsArticle", "datePublished": "2024-11-19T10:30:00+03:00", "articleSection": "دولي", // القسم\n}',
    # an HTML comment before the object, and "-->" inside one of its strings
    '<!-- generated -->\n{"@type": "NewsArticle", "datePublished": "2024-11-19T10:30:00+03:00",'
    ' "description": "<!-- x --><b>y</b>"}',
])
def test_json_ld_with_comments_around_its_values(script):
    published, _, _ = dates(page(head=f'<script type="application/ld+json">{script}</script>'))
    assert published == utc(2024, 11, 19, 7, 30)


def test_a_date_line_with_a_two_digit_year():
    after = '<div class="article-meta">Von: Björn Jahner | 31.10.23</div>'
    assert dates(page(after=after, lang="de"))[0] == utc(2023, 10, 31)


def test_a_date_header_above_the_post_in_an_outer_container():
    # Blogger: <h2 class="date-header"> heads the day's posts, each post's <h3> below it.
    body = "".join(f"<p>فقرة {n} من نص التدوينة الطويلة التي تتناول رحلة الكاتب إلى المدينة القديمة"
                   f" وما رآه فيها من أسواق ومساجد وحدائق.</p>" for n in range(3))
    html = f"""<html lang="ar"><head><title>رحلة إلى المدينة القديمة</title></head><body>
<div class="header-outer"><div class="today">الثلاثاء 3 ديسمبر 2024</div><h1 class="title">مدونة الرحلات</h1></div>
<div class="main-inner"><div class="blog-posts hfeed"><div class="date-outer">
<h2 class="date-header"><span>السبت، 5 أكتوبر 2013</span></h2>
<div class="date-posts"><div class="post-outer"><div class="post hentry">
<h3 class="post-title entry-title">رحلة إلى المدينة القديمة</h3>
<div class="post-body entry-content">{body}</div></div></div></div></div></div></div></body></html>"""
    assert dates(html)[0] == utc(2013, 10, 5)


def test_the_site_header_date_above_the_article_is_not_its_date():
    html = page().replace("<main>", '<header class="site-header"><div class="today-date">'
                          '<time datetime="2025-01-27">الاثنين 27 يناير 2025</time></div></header><main>')
    assert dates(html)[0] is None


def test_a_site_prefixed_publication_meta_and_rdfa_markup():
    assert dates(page(head='<meta name="sw-pubdate" content="2021-11-19">'))[0] == utc(2021, 11, 19)
    after = '<span property="schema:datePublished" content="2022-01-28T12:45:46+00:00"></span>'
    assert dates(page(after=after))[0] == utc(2022, 1, 28, 12, 45, 46)


def test_a_date_line_ending_with_a_full_stop_is_still_a_date_line():
    after = '<p><em>Stand des Artikels: 26. Februar 2020, 12:30 Uhr.</em></p>'
    assert dates(page(after=after, lang="de"))[0] == utc(2020, 2, 26)


def test_the_og_url_gives_the_url_day_when_the_page_url_does_not():
    head = '<meta property="og:url" content="https://site.example/2022/01/02/story">'
    assert dates(page(head=head), "https://site.example/story?id=1")[0] == utc(2022, 1, 2)


def test_a_div_built_site_header_date_is_neither_a_date_nor_above_the_metadata():
    header = '<div class="header"><div class="header-date">الثلاثاء 14 أكتوبر 2025</div></div>'
    body = "".join(f"<p>فقرة {n} من نص الخبر الطويل الذي يتناول المحادثات بين الوزيرين وما دار فيها"
                   f" من نقاش حول الملفات الإقليمية.</p>" for n in range(3))
    article = f'<div class="story"><h1>وزيرا خارجية روسيا والصين يبحثان الأزمة الأوكرانية</h1><div>{body}</div></div>'
    meta = '<meta property="article:published_time" content="2025-10-12T07:20:07Z">'
    html = f'<html lang="ar"><head><title>خبر</title>{{}}</head><body>{header}{article}</body></html>'
    assert dates(html.format(meta))[0] == utc(2025, 10, 12, 7, 20, 7)
    # Only "منذ ساعتين" on a saved page: no base to resolve it, and the header's date is not the article's.
    relative = article.replace("</h1>", '</h1><span class="time">منذ ساعتين</span>')
    assert dates(f'<html lang="ar"><head><title>خبر</title></head><body>{header}{relative}</body></html>')[0] is None


def test_drupal_rdfa_date_attribute_wins_over_its_month_first_text():
    after = ('<div class="submitted"><span property="dc:date dc:created" content="2025-10-12T15:30:00+03:00">'
             'الأحد, 10/12/2025 - 15:30</span></div>')
    assert dates(page(after=after))[0] == utc(2025, 10, 12, 12, 30)


def test_a_utc_label_on_a_time_printed_with_its_zone_takes_the_printed_zone():
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-10-12T10:15:00Z",'
            ' "dateModified": "2025-10-12T11:00:00Z"}</script>')
    after = '<div class="date">12 أكتوبر 2025 - 10:15 ص بتوقيت مكة</div>'
    published, modified, warnings = dates(page(head=head, after=after))
    assert (published, modified) == (utc(2025, 10, 12, 7, 15), utc(2025, 10, 12, 8, 0))
    assert "utc_label_on_local_time" in warnings


def test_a_utc_label_corrected_on_the_publication_is_corrected_on_the_modification_too():
    head = ('<meta property="article:published_time" content="2024-11-19T13:20:00Z">'
            '<meta property="article:modified_time" content="2024-11-19T15:05:00Z">')
    after = '<div class="article-date">الثلاثاء 19 نوفمبر 2024 13:20</div>'
    published, modified, _ = dates(page(head=head, after=after), "https://aawsat.com/العالم/5084567-x")
    assert (published, modified) == (utc(2024, 11, 19, 10, 20), utc(2024, 11, 19, 12, 5))
