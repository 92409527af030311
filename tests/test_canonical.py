"""Canonical URLs and the microdata headline on real-shaped pages."""
from __future__ import annotations

from crawler.extraction.html import extract_html
from crawler.pages import HTML, read_saved_page


def page(head: str, body: str = "") -> bytes:
    text = "".join(f"<p>فقرة {n} من نص الخبر الطويل الذي يتناول المحادثات بين الوزيرين وما دار فيها من نقاش.</p>"
                   for n in range(3))
    return (f'<html lang="ar"><head><meta charset="utf-8"><title>عنوان - الموقع</title>{head}</head>'
            f'<body><article><h1>عنوان</h1>{body or text}</article></body></html>').encode("utf-8")


def test_rel_canonical_wins_over_a_truncated_og_url():
    item = extract_html(page('<link rel="canonical" href="https://news.example/world/2024/11/19/long-slug-of-story">'
                             '<meta property="og:url" content="https://news.example/world/2024/11/19/long-sl">'),
                        "https://news.example/world/2024/11/19/long-slug-of-story?ref=home")
    assert item.canonical_url == "https://news.example/world/2024/11/19/long-slug-of-story"


def test_a_bare_ip_or_a_home_page_is_not_a_canonical_url():
    item = extract_html(page('<meta property="og:url" content="http://10.0.0.12/world/123">'
                             '<link rel="canonical" href="https://news.example/">'),
                        "https://news.example/world/123")
    assert item.canonical_url is None


def test_another_site_is_not_the_canonical_url_of_a_fetched_page():
    item = extract_html(page('<link rel="canonical" href="https://aggregator.example/a/999">'
                             '<meta property="og:url" content="https://news.example/world/123">'),
                        "https://news.example/world/123")
    assert item.canonical_url == "https://news.example/world/123"


def test_tracking_parameters_and_fragments_are_dropped_the_others_kept():
    item = extract_html(page('<link rel="canonical" href="https://News.example/story.php?id=42&utm_source=fb'
                             '&utm_medium=social&fbclid=AbC&ref=home#comments">'),
                        "https://news.example/story.php?id=42")
    assert item.canonical_url == "https://news.example/story.php?id=42"


def test_a_saved_file_is_stored_under_its_cleaned_canonical_url():
    item = read_saved_page(page('<link rel="canonical" href="https://news.example/world/123?utm_campaign=x">'),
                           "file:///saved/page.html", HTML)
    assert item.url == "https://news.example/world/123"


def test_microdata_only_article_takes_its_headline_not_the_page_title():
    body = ('<div itemscope itemtype="https://schema.org/NewsArticle"><h2 itemprop="headline">العنوان الحقيقي</h2>'
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">سارة علي</span>'
            '</span><div itemprop="articleBody">' + "<p>نص طويل من الخبر يتحدث عن الموضوع بالتفصيل الكافي.</p>" * 4
            + "</div></div>")
    item = extract_html(page("", body), "https://news.example/world/123")
    assert item.title == "العنوان الحقيقي"
