"""Agency from source and credit lines; credit lines out of the body."""
from __future__ import annotations

import pytest

from crawler.items import ArticleItem
from pipelines.credits import (
    CreditsNormalizer, agencies_in, agency_of, split_at_closing_source, split_source_line, take_trailing_credits,
)

P1 = "قال الوزير إن المحادثات كانت مثمرة وإن البلدين سيواصلان التعاون في المجالات كافة."
P2 = "وأضاف أن الزيارة المقبلة ستشهد توقيع اتفاقيات جديدة في مجال الطاقة والتجارة."


def normalize(**fields) -> ArticleItem:
    return CreditsNormalizer().normalize(ArticleItem(url="file:///x.txt", **fields))


@pytest.mark.parametrize("written, canonical", [
    ("فرانس برس", "فرانس برس"), ("أ ف ب", "فرانس برس"), ("أ.ف.ب", "فرانس برس"), ("AFP", "فرانس برس"),
    ("رويترز", "رويترز"), ("Reuters", "رويترز"), ("أسوشيتد برس", "أسوشيتد برس"), ("وكالة الأناضول", "الأناضول"),
    ("وام", "وام"), ("د ب أ", "د ب أ"), ("د.ب.أ", "د ب أ"), ("وكالات", "وكالات"), ("الوكالات", "وكالات"),
    # National agencies of the Arab countries.
    ("وات", "وات"), ("TAP", "وات"), ("وكالة تونس إفريقيا للأنباء", "وات"),
    ("و.م.ع", "و.م.ع"), ("و م ع", "و.م.ع"), ("ومع", "و.م.ع"), ("لاماب", "و.م.ع"), ("MAP", "و.م.ع"),
    ("واج", "واج"), ("وكالة الأنباء الجزائرية", "واج"), ("وفا", "وفا"), ("WAFA", "وفا"),
    ("واع", "واع"), ("INA", "واع"), ("سبأ", "سبأ"), ("وكالة سبأ", "سبأ"), ("العمانية", "العمانية"),
    ("ONA", "العمانية"), ("سونا", "سونا"), ("SUNA", "سونا"), ("قنا", "قنا"), ("QNA", "قنا"), ("كونا", "كونا"),
    ("بنا", "بنا"), ("BNA", "بنا"), ("WAM", "وام"), ("واس", "واس"), ("SPA", "واس"), ("بترا", "بترا"),
    ("Petra", "بترا"), ("سانا", "سانا"), ("الأناضول", "الأناضول"), ("شينخوا", "شينخوا"), ("أ ش أ", "أ ش أ"),
    ("MENA", "أ ش أ"), ("وكالة أنباء الشرق الأوسط", "أ ش أ"),
])
def test_agency_variants(written, canonical):
    assert agency_of(written) == canonical


@pytest.mark.parametrize("name", ["الخليج الجديد", "موقع 24", "RT Arabic", "الشرق الأوسط", "بوابة الوفد", ""])
def test_outlets_are_not_agencies(name):
    assert agency_of(name) is None


def test_credit_listing_several_agencies():
    assert agencies_in("رويترز، أ ف ب") == ["رويترز", "فرانس برس"]
    assert agencies_in("أرشيفية - رويترز") == ["رويترز"]


def test_glued_source_lines_split():
    assert split_source_line("المصدر | فرانس برسالمصدر: الخليج الجديد") == ["فرانس برس", "الخليج الجديد"]
    assert split_source_line("المصدر: موقع 24") == ["موقع 24"]


def test_national_agency_in_a_credit_line():
    assert normalize(body=f"{P1}\n\n{P2} (وات)").agency == "وات"
    assert agencies_in("واج، و م ع") == ["واج", "و.م.ع"]


def test_source_lines_give_the_agency_not_the_outlet():
    item = normalize(body=P1, source_lines=["فرانس برس", "الخليج الجديد"])
    assert item.agency == "فرانس برس"
    assert normalize(body=P1, source_lines=["موقع 24"]).agency is None


def test_trailing_parenthesized_credit_leaves_the_last_paragraph():
    item = normalize(body=f"{P1}\n\n{P2} (وكالات)")
    assert item.body == f"{P1}\n\n{P2}"
    assert (item.agency, item.source_lines) == ("وكالات", ["وكالات"])


def test_parentheses_that_are_not_credits_stay():
    body = f"{P1}\n\nوعقد الاجتماع في 22 مارس (آذار)"
    item = normalize(body=body)
    assert item.body == body and item.agency is None


def test_closing_credit_lines_leave_the_body():
    body = "\n\n".join([P1, P2, "ساهم في إعداد هذا التقرير كل من واين تشانغ وستيفن جيانغ من CNN.", "المصدر: رويترز"])
    item = normalize(body=body)
    assert item.body == f"{P1}\n\n{P2}"
    assert item.source_lines == ["ساهم في إعداد هذا التقرير كل من واين تشانغ وستيفن جيانغ من CNN.", "رويترز"]
    assert item.agency == "CNN، رويترز"


def test_credit_lines_inside_the_body_stay():
    body = "\n\n".join(["المصدر: مسؤول في الوزارة قال إن الاجتماع سيعقد غداً.", P1, "(رويترز)", P2])
    assert take_trailing_credits(body) == (body, [])


def test_agency_set_by_a_parser_is_kept():
    assert normalize(body=P1, agency="رويترز", source_lines=["فرانس برس"]).agency == "رويترز"


NEXT_TITLE = "مصر تطلق مبادرة لتمويل صغار المزارعين بقروض ميسرة"
NEXT_LEDE = "أطلقت وزارة الزراعة المصرية، الإثنين، مبادرة جديدة لتقديم قروض ميسرة لصغار المزارعين."


@pytest.mark.parametrize("after", [[NEXT_TITLE, NEXT_LEDE], ["إقرأ أيضاً:", NEXT_TITLE], []],
                         ids=["next-article", "read-also", "nothing"])
def test_closing_source_line_ends_the_article(after):
    lines = [P1, "", P2, "", "المصدر | فرانس برسالمصدر: الخليج الجديد", "", *after]
    assert split_at_closing_source(lines) == ([P1, "", P2, ""], ["فرانس برس", "الخليج الجديد"])


@pytest.mark.parametrize("lines", [
    ["المصدر: رويترز", P1, NEXT_TITLE],
    [P1, "المصدر: وزارة الزراعة", P2],
    [P1, "المصدر: مسؤول في الوزارة قال إن الاجتماع سيعقد غداً.", NEXT_TITLE],
    [P1, "أخبار ذات صلة", "المصدر: رويترز", NEXT_TITLE],
], ids=["before-any-paragraph", "paragraph-follows", "sentence", "after-an-end-marker"])
def test_source_lines_that_do_not_close_the_article(lines):
    assert split_at_closing_source(lines) == (lines, [])
