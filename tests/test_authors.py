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


def stored(name: str, *replacements: tuple[str, str]):
    """The item after the normalizer chain (where credits become the agency)."""
    text = (PAGES / name).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return stored_item(text.encode("utf-8"), f"file:///saved/{name}", FETCHED_AT)


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


def test_author_in_a_line_with_the_date():
    # `<span class="author">وهران: سمير بن علي</span><span class="date">...`:
    # the date is no part of the name, and the place does not make the line
    # a dateline. Not the related story's author nor the commenter.
    item = extract("info_line_place_author.html")
    assert item.authors == ["سمير بن علي"]
    assert "سمير بن علي" not in item.body


def test_place_and_full_name_without_markup_beside_the_date():
    item = extract("info_line_place_author.html",
                   ('<span class="author">وهران: سمير بن علي</span>', "<span>وهران: سمير بن علي</span>"))
    assert item.authors == ["سمير بن علي"]


def test_dateline_beside_the_date_is_a_credit():
    item = extract("info_line_place_author.html",
                   ('<span class="author">وهران: سمير بن علي</span>', "<span>وهران - رويترز</span>"))
    assert item.authors == [] and item.source_lines == ["رويترز"]


@pytest.mark.parametrize("source", ["المدار.نت - ريم الحربي", "جدة - ريم الحربي", "ريم الحربي - جدة"])
def test_brand_or_place_beside_a_full_name_gives_the_name(source):
    item = extract("brand_source_line.html", ("المدار.نت - ريم الحربي", source))
    assert item.authors == ["ريم الحربي"]  # not the related card's `الرياض - فهد العتيبي`


@pytest.mark.parametrize("source", ["جدة - خاص", "جدة - المدار", "جدة - ريم", "جدة - متابعات"])
def test_place_beside_a_desk_the_outlet_or_a_lone_word_names_nobody(source):
    assert extract("brand_source_line.html", ("المدار.نت - ريم الحربي", source)).authors == []


def test_subheading_pairing_a_place_and_words_is_not_a_byline():
    # `<h2>جدة - تسهيلات جديدة للمستثمرين</h2>` under the headline.
    item = extract("brand_source_line.html", ('<span class="source">المدار.نت - ريم الحربي</span>', ""))
    assert item.authors == []


# --- byline blocks crediting several people ----------------------------------------


def test_photographer_in_the_writers_block_is_not_an_author():
    # `كتب: ...` and `تصوير: ...` on two lines: the writer only (not garbled
    # with the next line's label), and not the related story's writer.
    item = extract("writers_block.html")
    assert item.authors == ["أيمن عبد العزيز"]
    assert "محمود حسني" not in item.body.split("\n\n")[0]


WRITERS = "<p>كتب: أيمن عبد العزيز</p>\n<p>تصوير: محمود حسني</p>"


@pytest.mark.parametrize("block, names", [
    ("<p>تصوير: محمود حسني</p><p>كتب: أيمن عبد العزيز</p>", ["أيمن عبد العزيز"]),
    ("<p>أيمن عبد العزيز</p><p>تصوير: محمود حسني</p>", ["أيمن عبد العزيز"]),
    ("<p>كتب: أيمن عبد العزيز<br>ترجمة: سامي علي</p>", ["أيمن عبد العزيز"]),
    ("<span>إعداد: منى سعيد</span> <span>تحرير: خالد يوسف</span>", ["منى سعيد", "خالد يوسف"]),
    ("<p>بقلم</p><p>أيمن عبد العزيز</p>", ["أيمن عبد العزيز"]),  # a label alone labels the next line
    ("<p>أحمد علي</p><p>منى سعيد</p>", ["أحمد علي", "منى سعيد"]),
    ("<p>ترجمة: سامي علي</p>", []),
    ("<p>تصوير: محمود حسني</p>", []),
    ("<p>متابعات</p>", []),
    ("<p>الكاتب الصحفي عادل حمودة</p><p>تصوير: محمود حسني</p>", ["عادل حمودة"]),
], ids=["photographer-first", "unlabelled-writer", "translator-after-br", "editor", "label-alone", "two-names",
        "translator-only", "photographer-only", "desk", "job-title"])
def test_lines_of_a_byline_block(block, names):
    assert extract("writers_block.html", (WRITERS, block)).authors == names


def test_desk_label_in_author_markup_is_nobody():
    item = extract("writers_block.html", ('<div class="writers">\n' + WRITERS, '<div class="author">متابعات'))
    assert item.authors == []


def test_job_title_in_a_linked_byline_is_dropped():
    item = extract("newspaper_admin.html",
                   ('/author/khaled-mansour/">خالد منصور</a>', '/author/khaled-mansour/">الكاتب الصحفي خالد منصور</a>'))
    assert item.authors == ["خالد منصور"]


# --- another story's teaser between the headline and the text --------------------------


def test_byline_of_a_teaser_between_the_headline_and_the_text_is_not_taken():
    # A box with another story's headline link and its byline `كتب هشام سليمان`.
    assert extract("teaser_before_body.html").authors == []


@pytest.mark.parametrize("where", ['<div class="box-story">', '<div class="news-body">'],
                         ids=["before-the-teaser", "after-the-teaser"])
def test_own_byline_beside_a_teaser(where):
    item = extract("teaser_before_body.html", (where, f'<div class="byline">بقلم: رنا عادل</div>{where}'))
    assert item.authors == ["رنا عادل"]


def test_teaser_linked_whole_is_another_story():
    item = extract("teaser_before_body.html",
                   ('<a class="box-title" href="/news/98790">نواب يطالبون بفترة انتقالية أطول قبل تطبيق زيادات الإيجار'
                    ' الجديدة</a>\n<span class="author">كتب هشام سليمان</span>',
                    '<a href="/news/98790"><h3>نواب يطالبون بفترة انتقالية أطول قبل تطبيق زيادات الإيجار الجديدة</h3>'
                    '<span class="author">كتب هشام سليمان</span></a>'))
    assert item.authors == []


def test_long_links_of_the_story_itself_make_no_teaser():
    # The author's page (naming the author), the story's category (rel=tag),
    # its comments (an anchor in the page), its own title.
    meta = ('<div class="meta-line"><span class="author">كتب رنا عادل</span> '
            '<a href="/writers/rana-adel">جميع مقالات الكاتبة رنا عادل</a> '
            '<a rel="category tag" href="/politics/parliament">شؤون برلمانية وتشريعية ونيابية</a> '
            '<a href="#comments">أضف تعليقك على هذا الخبر الآن</a> '
            '<a href="/news/98812">البرلمان يقر تعديلات قانون الإيجار القديم بعد جلسة مطولة</a></div>')
    item = extract("teaser_before_body.html", ('<div class="box-story">', f'{meta}<div class="box-story">'))
    assert item.authors == ["رنا عادل"]


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


@pytest.mark.parametrize("dateline, credit, agency", [
    ("تونس (وات) -", "وات", "وات"),
    ("الرباط (و م ع) -", "و م ع", "و.م.ع"),
    ("الجزائر (واج) -", "واج", "واج"),
    ("القاهرة (رويترز) -", "رويترز", "رويترز"),
])
def test_short_lead_opening_with_an_agency_dateline_credits_it(dateline, credit, agency):
    # A lead is known by its dateline, whatever its length (here 12 words).
    lead = f"<p>{dateline} تراجع التضخم الأساسي في مصر إلى 31.8 بالمئة في أبريل نيسان.</p>"
    replacements = (("القاهرة - رويترز</div>", "</div>"),
                    ('"author":{"@type":"Organization","name":"رويترز"},', ""),
                    ("<p>قال البنك المركزي المصري،", f"{lead}<p>قال البنك المركزي المصري،"))
    item = extract("drupal_agency.html", *replacements)
    assert item.source_lines == [credit]
    assert item.body.startswith(f"{dateline} تراجع التضخم")  # the lead stays the text
    assert stored("drupal_agency.html", *replacements).agency == agency


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
