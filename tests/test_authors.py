"""Authors and bylines (crawler.extraction.fields.authors, .byline) on whole
pages shaped like Arabic news templates (tests/fixtures/html/bylines/):
WordPress Jannah and Newspaper, Drupal, custom CMSs. Each page also carries
related stories, sidebars or a "most read" list with bylines of their own,
which must never be taken."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.extraction.fields.byline import Site, parse
from crawler.extraction.html import extract_html
from tests.fixtures.outlets.regenerate import stored_item

PAGES = Path(__file__).parent / "fixtures" / "html" / "bylines"
FETCHED_AT = datetime(2024, 11, 20, 12, tzinfo=timezone.utc)


def extract(name: str, *replacements: tuple[str, str]):
    """The page's item; each (old, new) pair is replaced in the page first."""
    text = (PAGES / name).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return extract_html(text, f"file:///saved/{name}")


def stored(name: str):
    """The item after the normalizer chain (where credits become the agency)."""
    return stored_item((PAGES / name).read_bytes(), f"file:///saved/{name}", FETCHED_AT)


# --- declared authors -------------------------------------------------------------


def test_json_ld_author_reference_is_resolved_in_the_graph():
    # Yoast: the article names its author by @id only; the Person node holds
    # the full name (the visible byline and meta tag give a shorter one).
    assert extract("jannah_graph.html").authors == ["سارة محمود المهدي"]


def test_json_ld_name_holding_several_authors_gives_each():
    item = extract("jannah_graph.html", ('"name":"سارة محمود المهدي"', '"name":"أحمد علي، منى سعيد و خالد يوسف"'))
    assert item.authors == ["أحمد علي", "منى سعيد", "خالد يوسف"]


def test_account_name_is_not_an_author_and_the_printed_byline_is_used():
    # JSON-LD and meta say `admin`; the tagDiv byline says who wrote it. The
    # related posts and the sidebar (other authors) come after it.
    item = extract("newspaper_admin.html")
    assert item.authors == ["خالد منصور"]


def test_related_posts_bylines_are_not_taken():
    # Without the article's own byline only other stories' bylines remain.
    byline = ('<div class="td-post-author-name"><div class="td-author-by">بواسطة</div> '
              '<a href="https://sabah-gate.example/author/khaled-mansour/">خالد منصور</a>'
              '<div class="td-author-line"> - </div> </div>')
    item = extract("newspaper_admin.html", (byline, ""))
    assert item.authors == []


def test_outlet_name_in_the_byline_is_not_an_author():
    item = extract("newspaper_admin.html",
                   ('/author/khaled-mansour/">خالد منصور</a><div', '/author/sabah/">بوابة الصباح</a><div'))
    assert item.authors == []


def test_dc_creator_after_a_site_name_and_a_profile_url():
    # meta author is the outlet, article:author a Facebook profile.
    assert extract("meta_creator.html").authors == ["ريم الزعبي"]


@pytest.mark.parametrize("name", ["dcterms.creator", "sailthru.author", "parsely-author"])
def test_other_author_meta_tags(name):
    assert extract("meta_creator.html", ('name="DC.creator"', f'name="{name}"')).authors == ["ريم الزعبي"]


def test_article_author_meta_with_a_name():
    item = extract("meta_creator.html",
                   ('content="https://www.facebook.com/rim.zoubi.writer"', 'content="بقلم: ريم الزعبي"'),
                   ('<meta name="DC.creator" content="ريم الزعبي" />', ""))
    assert item.authors == ["ريم الزعبي"]


def test_email_address_is_not_a_name():
    item = extract("meta_creator.html", ('content="ريم الزعبي"', 'content="info@afaq-news.example"'))
    assert item.authors == []


def test_microdata_author_of_the_article_not_of_the_other_stories():
    assert extract("microdata_article.html").authors == ["يوسف الحمادي"]


# --- the printed byline -------------------------------------------------------------


def test_byline_paragraph_gives_the_author_and_leaves_the_body():
    item = extract("custom_first_paragraph.html")
    assert item.authors == ["هبة ياسين"]  # not the breaking-news ticker or the related list
    assert item.body.startswith("أعلنت وزارة الصحة والسكان")
    assert "كتبت" not in item.body


def test_byline_opening_the_first_paragraph_is_cut_from_it():
    item = extract("custom_first_paragraph.html",
                   ("<p><strong>كتبت – هبة ياسين</strong></p>\n<p>أعلنت",
                    "<p><strong>كتبت – هبة ياسين:</strong> أعلنت"))
    assert item.authors == ["هبة ياسين"]
    assert item.body.startswith("أعلنت وزارة الصحة والسكان، اليوم الأحد")


def test_place_after_the_name_is_dropped():
    item = extract("custom_first_paragraph.html",
                   ("كتبت – هبة ياسين</strong>", "كتبت – هبة ياسين - القاهرة</strong>"))
    assert item.authors == ["هبة ياسين"]
    assert "القاهرة" not in item.body.split("\n\n")[0]


def test_two_linked_authors_after_a_prefix():
    assert extract("two_authors.html").authors == ["أحمد علي", "منى سعيد"]


def test_rel_author_links_without_a_prefix():
    item = extract("two_authors.html", ('<div class="story__by">بقلم <a', '<div class="story__by"><a'))
    assert item.authors == ["أحمد علي", "منى سعيد"]  # not the rail's سامر خليل


def test_english_by_role_and_email_are_stripped():
    item = extract("english_by.html")
    assert item.authors == ["Layla Haddad"]  # not the teaser's Omar Nasser
    assert "Layla" not in item.body


def test_place_and_writer_dateline_names_the_writer():
    # `واشنطن: علي بردى`: filed from Washington by the writer.
    item = extract("drupal_writer_dateline.html")
    assert item.authors == ["علي بردى"]  # not the related card's writer
    assert item.source_lines == []


def test_place_and_outlet_dateline_is_a_credit_not_an_author():
    item = extract("drupal_writer_dateline.html", ("واشنطن: علي بردى", "الرياض: «الأفق الدولي»"))
    assert item.authors == []
    assert item.source_lines == ["«الأفق الدولي»"]


# --- datelines and agencies ------------------------------------------------------


def test_agency_dateline_is_no_author_and_becomes_the_agency():
    # `القاهرة - رويترز` beside the headline; JSON-LD names رويترز as an
    # Organization author. The related story's `لندن - أ ف ب` is not credited.
    item = extract("drupal_agency.html")
    assert item.authors == []
    assert item.source_lines == ["رويترز"]
    assert "القاهرة - رويترز" not in item.body
    assert stored("drupal_agency.html").agency == "رويترز"


def test_agency_dateline_without_json_ld_author():
    item = extract("drupal_agency.html", ('"author":{"@type":"Organization","name":"رويترز"},', ""))
    assert item.authors == [] and item.source_lines == ["رويترز"]


def test_lead_opening_with_an_agency_dateline_credits_it():
    item = extract("drupal_agency.html", ("القاهرة - رويترز</div>", "</div>"),
                   ('"author":{"@type":"Organization","name":"رويترز"},', ""),
                   ("<p>قال البنك المركزي المصري،", "<p>القاهرة (رويترز) - قال البنك المركزي المصري،"))
    assert item.source_lines == ["رويترز"]
    assert item.body.startswith("القاهرة (رويترز) - قال البنك المركزي")  # the lead keeps its dateline


def test_dateline_paragraph_leaves_the_body_and_the_outlet_is_no_author():
    # `(دبي - الخليج)` opens the text; meta author is the outlet's name.
    item = extract("gulf_dateline.html")
    assert item.authors == []
    assert item.source_lines == ["الخليج"]
    assert item.body.startswith("افتتحت هيئة الطرق والمواصلات في دبي")
    assert stored("gulf_dateline.html").agency is None  # an outlet, not an agency


def test_agency_only_byline():
    item = extract("drupal_agency.html", ("القاهرة - رويترز</div>", "وكالات</div>"),
                   ('"author":{"@type":"Organization","name":"رويترز"},', ""))
    assert item.authors == [] and item.source_lines == ["وكالات"]


# --- byline wording, line by line -----------------------------------------------------

SITE = Site(["الأفق الدولي", "صحيفة الخليج", "Hespress"], "https://www.hespress.example/politics/1.html")


@pytest.mark.parametrize("line, names", [
    ("بقلم: سامي عمارة", ["سامي عمارة"]),
    ("كتب - محمد علي - القاهرة", ["محمد علي"]),
    ("كتب: محمد علي من القاهرة", ["محمد علي"]),
    ("من مراسلنا في بيروت - نادين الأسعد", ["نادين الأسعد"]),
    ("سامي عمارة | المزيد من مقالات الكاتب", ["سامي عمارة"]),
    ("By John Smith and Jane Doe", ["John Smith", "Jane Doe"]),
    ("كتبت – سارة محمود:", ["سارة محمود"]),
    ("حوار: ليلى حسن", ["ليلى حسن"]),
    ("إعداد: رنا خالد", ["رنا خالد"]),
    ("تقرير - رنا خالد", ["رنا خالد"]),
    ("تحرير: نور الهدى", ["نور الهدى"]),
    ("مراسل الجزيرة نت - أحمد حسن", ["أحمد حسن"]),
    ("بواسطة علي حسن -", ["علي حسن"]),
    ("By John Smith | صحفي", ["John Smith"]),
    ("Byron Haddad", ["Byron Haddad"]),
    ("أحمد علي ومنى سعيد", ["أحمد علي", "منى سعيد"]),
    ("محمد وليد حسن", ["محمد وليد حسن"]),  # وليد is a name, not `and ليد`
    ("عبد الله بن محمد وعبد الرحمن السالم", ["عبد الله بن محمد", "عبد الرحمن السالم"]),
    ("د. عبد الله بن محمد آل الشيخ", ["د. عبد الله بن محمد آل الشيخ"]),
    ("هسبريس - مصطفى شاكري", ["مصطفى شاكري"]),
    ("محمد علي (m.ali@example.org)", ["محمد علي"]),
    # Labels of several people: the writers, not the photographer or translator.
    ("كتب: نهى محمود تصوير: أحمد سمير", ["نهى محمود"]),
    ("إعداد: منى سعيد تحرير: خالد يوسف", ["منى سعيد", "خالد يوسف"]),
    ("كتب: محمد علي - ترجمة: سامي علي", ["محمد علي"]),
    ("By Jane Doe; Photos by John Smith", ["Jane Doe"]),
    ("By Mike Wuerthele and Malcolm Owen | Monday, November 18", ["Mike Wuerthele", "Malcolm Owen"]),
    # Job titles go; honorifics printed with the name stay.
    ("الكاتب الصحفي عادل حمودة", ["عادل حمودة"]),
    ("الكاتب والمحلل السياسي عادل حمودة", ["عادل حمودة"]),
    ("بقلم: الإعلامي أحمد موسى", ["أحمد موسى"]),
    ("الزميلة منى سعيد", ["منى سعيد"]),
    ("مراسلنا في بيروت نادين الأسعد", ["نادين الأسعد"]),
    ("الدكتور محمد علي", ["الدكتور محمد علي"]),
    ("بقلم: الشيخ صالح الفوزان", ["الشيخ صالح الفوزان"]),
    ("المهندس هاني يوسف", ["المهندس هاني يوسف"]),
    ("بقلم: أ.د. محمد عبدالله", ["أ.د. محمد عبدالله"]),
    # A place or the outlet beside a full name.
    ("دبي - سعود العنزي", ["سعود العنزي"]),
    ("Hespress - سعود العنزي", ["سعود العنزي"]),
])
def test_byline_wording_gives_the_names(line, names):
    assert parse(line, SITE).names == names


@pytest.mark.parametrize("line, credits", [
    ("القاهرة - رويترز", ["رويترز"]),
    ("(دبي - الخليج)", ["الخليج"]),
    ("الرياض: «الشرق الأوسط»", ["«الشرق الأوسط»"]),
    ("عواصم - وكالات", ["وكالات"]),
    ("أ ف ب", ["أ ف ب"]),
    ("المنيا - رويترز", ["رويترز"]),
])
def test_datelines_and_agencies_are_credits(line, credits):
    parsed = parse(line, SITE)
    assert parsed.names == [] and parsed.credits == credits and parsed.dateline


@pytest.mark.parametrize("line", [
    "Admin", "editor", "فريق التحرير", "محرر الموقع", "mohamed_ali", "https://example.org/author/ali",
    "ali@example.org", "Hespress", "صحيفة الخليج", "الخليج", "كتب الرئيس على منصته",
    # Desks and labels.
    "متابعات", "خاص", "القاهرة - خاص", "الموقع", "قسم الأخبار", "المحرر", "فريق التحرير", "News Desk", "HNN Staff",
    "By", "بقلم", "الصحفي",
    # Other crafts.
    "تصوير: أحمد سمير", "تصوير أحمد سمير", "ترجمة: سامي علي", "Photo by John Smith",
])
def test_not_names(line):
    assert parse(line, SITE).names == []
