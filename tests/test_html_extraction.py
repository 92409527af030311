"""HTML extraction (crawler.extraction.html) on small Arabic news pages modeled
on real templates: metadata precedence, dates only when declared, encodings,
outlets, and a clean body."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from crawler.extraction.html import extract_html
from crawler.pages import HTML, read_saved_page

PAGES = Path(__file__).parent / "fixtures" / "html"
SAVED_URL = "file:///data/saved/{}"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def extract(name: str, **kwargs):
    return extract_html(page(name), SAVED_URL.format(name), **kwargs)


def paragraphs(body: str) -> list[str]:
    return body.split("\n\n")


# --- JSON-LD first ------------------------------------------------------------


def test_json_ld_metadata_wins_over_opengraph():
    item = extract("aawsat_article.html")
    assert item.parser == "html"
    # og:title, article:published_time and article:section say otherwise.
    assert item.title == "لافروف ووانغ يي يبحثان الأزمة الأوكرانية على هامش قمة العشرين"
    assert item.subtitle == "بكين مستعدة لتعزيز التنسيق الاستراتيجي مع موسكو"
    assert item.published_raw == "2024-11-19T09:12:00+00:00"
    assert item.modified_raw == "2024-11-19T11:40:00+00:00"
    assert item.section == "العالم"
    assert item.tags == ["روسيا", "الصين", "مجموعة العشرين"]
    assert item.language == "ar"


def test_json_ld_author_loses_its_byline_prefix_and_publisher_is_resolved():
    item = extract("aawsat_article.html")
    assert item.authors == ["سامي عمارة"]
    assert item.outlet_name == "الشرق الأوسط"


def test_lead_image_and_its_caption():
    item = extract("aawsat_article.html")
    assert item.image_url.endswith("/2024/11/19/lavrov-wang.jpg")
    # The JSON-LD caption and the figcaption are the same sentence: kept once.
    assert item.captions == ["لافروف ووانغ يي خلال لقائهما في ريو دي جانيرو (رويترز)"]


def test_canonical_domain_gives_the_outlet_of_a_saved_page():
    item = extract("aawsat_article.html")
    assert item.url == SAVED_URL.format("aawsat_article.html")
    assert item.canonical_url.startswith("https://aawsat.com/")
    assert item.outlet == "aawsat"


def test_body_is_the_article_text_only():
    body = extract("aawsat_article.html").body
    parts = paragraphs(body)
    assert parts[0].startswith("ناقش وزيرا خارجية روسيا والصين")
    assert parts[-1].endswith("وتدعو إلى حل سياسي عبر المفاوضات.")
    assert len(parts) == 5
    for leak in ("اقرأ أيضاً", "بوتين وشي يتعهدان", "مقالات ذات صلة", "قادة مجموعة العشرين",
                 "جميع الحقوق محفوظة", "رياضة", "بقلم"):
        assert leak not in body
    # Neither the headline nor the subtitle printed above the text.
    assert "يبحثان الأزمة الأوكرانية على هامش" not in body
    assert "بكين مستعدة لتعزيز التنسيق الاستراتيجي مع موسكو" not in body


def test_byline_prefix_is_removed_only_as_a_whole_word():
    html = """<html><head><script type="application/ld+json">
    {"@type": "NewsArticle", "headline": "عنوان",
     "author": [{"@type": "Person", "name": "كتب - هشام كتبي"}, {"@type": "Person", "name": "Byron Haddad"},
                {"@type": "Person", "name": "by Omar Said"}, {"@type": "Organization", "name": "موقع المثال"}],
     "publisher": {"@type": "Organization", "name": "موقع المثال"}}
    </script></head><body></body></html>"""
    assert extract_html(html, "https://example.org/a").authors == ["هشام كتبي", "Byron Haddad", "Omar Said"]


def test_json_ld_article_found_in_a_top_level_list():
    html = """<html><head><script type="application/ld+json">
    [{"@type": "BreadcrumbList", "name": "مسار"},
     {"@type": ["ReportageNewsArticle"], "headline": "عنوان التقرير &quot;الميداني&quot;",
      "datePublished": "2024-05-02", "author": "كتب: ليلى حسن"}]
    </script><title>عنوان آخر</title></head><body><p>نص قصير.</p></body></html>"""
    item = extract_html(html, "https://example.org/report")
    assert item.title == 'عنوان التقرير "الميداني"'
    assert item.published_raw == "2024-05-02"
    assert item.authors == ["ليلى حسن"]


# --- OpenGraph and <meta> when there is no JSON-LD -------------------------------


def test_opengraph_fallback():
    item = extract("og_only_article.html")
    assert item.title == "الحكومة تعلن خطة جديدة لدعم صغار المزارعين"  # " - site name" removed
    assert item.published_raw == "2023-09-18T14:05:00+03:00"
    assert item.modified_raw == "2023-09-18T16:20:00+03:00"
    assert item.section == "اقتصاد"
    assert item.tags == ["الزراعة", "الدعم الحكومي"]
    assert item.authors == ["محمد عبد الرحمن"]
    assert item.language == "ar"
    assert item.canonical_url == "https://akhbar-elyom-gadid.example/2023/09/18/farmers-plan/"
    assert item.image_url == "https://akhbar-elyom-gadid.example/wp-content/uploads/2023/09/farmers.jpg"
    assert item.captions == ["مزارعون خلال موسم الحصاد في الدلتا"]


def test_unknown_site_has_no_outlet_but_keeps_its_name():
    item = extract("og_only_article.html")
    assert item.outlet is None
    assert item.outlet_name == "أخبار اليوم الجديد"


def test_comment_form_and_page_chrome_stay_out_of_the_body():
    body = extract("og_only_article.html").body
    assert len(paragraphs(body)) == 4
    for leak in ("اترك تعليقاً", "لن يتم نشر عنوان بريدك", "زر الذهاب إلى الأعلى", "الرئيسية"):
        assert leak not in body


# --- dates ----------------------------------------------------------------------


def test_no_declared_date_means_none_even_with_dates_in_related_links():
    item = extract("no_date_article.html")
    assert item.published_raw is None
    assert item.modified_raw is None
    assert item.outlet == "khaberain"  # from og:url
    body = item.body
    assert "في 12 مايو 2023" in body  # a date in the text stays text
    assert "لافروف يزور بكين" not in body and "أخبار ذات صلة" not in body
    assert "شاهد ايضاً" not in body  # a "see also" link line


def test_byline_time_beside_the_headline_is_used_not_the_site_header_date():
    item = extract("byline_time_article.html")
    assert item.published_raw == "2024-03-05T08:30:00+02:00"


def test_byline_time_needs_the_headline():
    html = page("byline_time_article.html").replace(
        "<h1>ارتفاع أسعار الذهب في الأسواق المحلية</h1>".encode(), b"<div>ticker</div>")
    assert extract_html(html, "https://souq-news.example/x").published_raw is None


def test_microdata_date_of_the_article_scope():
    html = """<html><body>
    <div itemscope itemtype="https://schema.org/NewsArticle">
      <h1 itemprop="headline">عنوان الخبر</h1>
      <meta itemprop="datePublished" content="2022-06-01T12:00:00+03:00">
    </div>
    <div itemscope itemtype="https://schema.org/WebPage"><meta itemprop="datePublished" content="2021-01-01"></div>
    </body></html>"""
    assert extract_html(html, "https://example.org/m").published_raw == "2022-06-01T12:00:00+03:00"


# --- encodings and inputs ---------------------------------------------------------


def test_windows_1256_page_decodes_by_its_declaration():
    item = extract("cp1256_article.html")
    assert item.title == "انطلاق مهرجان التمور في الأحساء"
    assert item.outlet_name == "صحيفة الواحة"
    assert paragraphs(item.body)[0].startswith("انطلقت مساء أمس فعاليات مهرجان التمور")
    assert "ط§" not in item.body and "\ufffd" not in item.body


def test_undeclared_windows_1256_page_is_recognized():
    raw = page("cp1256_article.html")
    undeclared = raw.replace(b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">', b"")
    assert b"charset" not in undeclared
    item = extract_html(undeclared, "https://example.org/dates")
    assert item.title == "انطلاق مهرجان التمور في الأحساء"


def test_given_encoding_overrides_a_wrong_declaration():
    raw = page("cp1256_article.html").replace(b"charset=windows-1256", b"charset=utf-8")
    item = extract_html(raw, "https://example.org/dates", encoding="windows-1256")
    assert item.title == "انطلاق مهرجان التمور في الأحساء"


def test_text_input_gives_the_same_item_as_bytes():
    raw = page("og_only_article.html")
    from_text = extract_html(raw.decode("utf-8"), "https://example.org/a")
    from_bytes = extract_html(raw, "https://example.org/a")
    assert from_text == from_bytes


def test_gzipped_saved_page_is_unpacked_by_the_caller():
    """Gzip is the caller's job: crawler.pages.read_saved_page unpacks it (and
    stores a saved page under the address it names)."""
    item = read_saved_page(gzip.compress(page("aawsat_article.html")), "file:///data/saved/a.html.gz", HTML)
    assert item.outlet == "aawsat"
    assert item.title == "لافروف ووانغ يي يبحثان الأزمة الأوكرانية على هامش قمة العشرين"
    assert item.url.startswith("https://aawsat.com/")


@pytest.mark.parametrize("html", [b"", b"   \n", "<html></html>"])
def test_empty_page_gives_an_item_without_body(html):
    item = extract_html(html, "https://example.org/empty")
    assert item.body is None and item.title is None and item.published_raw is None


# --- body fallback ----------------------------------------------------------------


def test_script_drawn_page_takes_the_json_ld_article_body():
    item = extract("js_rendered_article.html")
    parts = paragraphs(item.body)
    assert len(parts) == 3
    assert parts[0].startswith("افتتح وزير الثقافة")
    assert "يرجى تفعيل جافاسكريبت" not in item.body
    assert item.outlet_name == "بوابة الثقافة"


def test_page_canonical_link_wins_over_a_section_id_in_json_ld():
    page = """<html lang="ar"><head>
    <link rel="canonical" href="https://aawsat.com/العالم/أوروبا/5123456-خبر">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "عنوان",
      "mainEntityOfPage": {"@id": "https://aawsat.com/العالم/"}}</script>
    </head><body><article><h1>عنوان</h1><p>نص الخبر.</p></article></body></html>"""
    item = extract_html(page.encode("utf-8"), "file:///saved/page.html")
    assert item.canonical_url == "https://aawsat.com/العالم/أوروبا/5123456-خبر"
    assert item.outlet == "aawsat"


def test_a_wrong_charset_declaration_is_overruled_and_noted_on_the_item():
    html = ('<html><head><meta charset="iso-8859-1"><title>عنوان الخبر</title></head><body><article>'
            '<h1>عنوان الخبر</h1><p>' + "نص الخبر العربي الطويل بما يكفي ليكون فقرة كاملة. " * 6 + '</p></article></body></html>')
    item = extract_html(html.encode("utf-8"), "https://example.org/a/1")
    assert item.title == "عنوان الخبر"
    assert any(w.startswith("charset_mismatch") for w in item.warnings)


def test_characters_xml_forbids_do_not_empty_the_body():
    text = "".join(f"<p>فقرة {n} من نص الخبر الطويل الذي يتناول المحادثات بين الوزيرين.\x0b</p>" for n in range(5))
    html = f"<html><head><title>خبر</title></head><body><article><h1>خبر</h1>{text}</article></body></html>"
    item = extract_html(html.encode("utf-8"), "https://example.org/a/2")
    assert item.body and item.body.count("فقرة") == 5 and "\x0b" not in item.body


@pytest.mark.parametrize("wrapper", ["noscript", "button"])
def test_an_article_inside_noscript_or_a_button_is_still_read(wrapper):
    text = "".join(f"<p>فقرة {n} من نص الخبر الطويل الذي يتناول المحادثات بين الوزيرين في العاصمة.</p>" for n in range(6))
    html = (f"<html><head><title>خبر</title></head><body><h1>خبر</h1><{wrapper}><div class='story'>{text}</div>"
            f"</{wrapper}><button>شارك</button></body></html>")
    item = extract_html(html.encode("utf-8"), "https://example.org/a/3")
    assert item.body and item.body.count("فقرة") == 6 and "شارك" not in item.body


def test_text_after_a_removed_script_or_input_stays_in_its_paragraph():
    text = "".join(f"<p>فقرة {n} من نص الخبر<script>var x = {n};</script> الطويل الذي يتناول<input type='hidden'>"
                   " المحادثات بين الوزيرين في العاصمة.</p>" for n in range(5))
    html = f"<html><head><title>خبر</title></head><body><article><h1>خبر</h1>{text}</article></body></html>"
    item = extract_html(html.encode("utf-8"), "https://example.org/a/5")
    assert paragraphs(item.body) == [f"فقرة {n} من نص الخبر الطويل الذي يتناول المحادثات بين الوزيرين في العاصمة."
                                     for n in range(5)]


def test_the_date_line_and_the_site_header_stay_out_of_the_body():
    text = "".join(f"<p>فقرة {n} من نص الخبر الطويل الذي يتناول المحادثات بين الوزيرين في العاصمة.</p>" for n in range(4))
    html = ('<html lang="ar"><head><title>خبر</title></head><body>'
            '<header><div class="top">الإثنين 14 أفريل 2025</div><div class="weather">تونس 22°</div></header>'
            '<div class="story"><h1>خبر</h1><p class="meta">نشرت في: 12 أكتوبر 2025 - آخر تحديث: 12/10/2025 11:45</p>'
            f'{text}</div></body></html>')
    item = extract_html(html.encode("utf-8"), "https://example.org/a/4")
    assert item.body.startswith("فقرة 0")
    assert "أفريل" not in item.body and "22°" not in item.body and "آخر تحديث" not in item.body
