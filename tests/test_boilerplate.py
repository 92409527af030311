"""Boilerplate lines out of bodies, genuine sentences kept."""
from __future__ import annotations

import pytest

from crawler.items import ArticleItem
from pipelines.boilerplate import (
    BoilerplateNormalizer, clean_lines, cut_at_end_marker, drop_embeds, drop_menus, drop_related_links,
    is_end_marker, is_noise_line, related_link,
)

P1 = "قال الوزير إن المحادثات كانت مثمرة وإن البلدين سيواصلان التعاون في المجالات كافة."
P2 = "وأضاف أن الزيارة المقبلة ستشهد توقيع اتفاقيات جديدة في مجال الطاقة والتجارة."
P3 = "وتأتي الزيارة بعد أشهر من التوتر بين البلدين بسبب الخلافات حول الحدود."


def normalize(body: str, **fields) -> ArticleItem:
    return BoilerplateNormalizer().normalize(ArticleItem(url="file:///x.txt", body=body, **fields))


@pytest.mark.parametrize("marker", [
    "اقرأ أيضاً", "إقرأ أيضاً:", "اقرأ أيضا", "اقرا ايضا", "إقرأ المزيد", "اقرأ المزيد:", "شاهد ايضاً", "شاهد أيضا:",
])
def test_related_link_marker_leaves_with_the_headline_on_the_next_line(marker):
    lines = [P1, marker, "روسيا تعلن سيطرتها على قرية جديدة", P2]
    assert drop_related_links(lines) == [P1, P2]


def test_related_link_with_headline_on_the_same_line():
    assert drop_related_links([P1, "شاهد ايضاً: ما تخشاه الصين أكثر بشأن تحول ترامب نحو روسيا", P2]) == [P1, P2]
    assert drop_related_links([P1, "اقرأ أيضا روسيا تعلن سيطرتها على قرية جديدة", P2]) == [P1, P2]


def test_glued_read_more_keeps_the_sentence_after_it():
    assert related_link("إقرأ المزيد" + P2) == (True, P2)
    assert drop_related_links([P1, "إقرأ المزيد" + P2, P3]) == [P1, P2, P3]


def test_marker_alone_keeps_a_following_paragraph_that_is_not_a_headline():
    assert drop_related_links([P1, "اقرأ أيضاً", P2]) == [P1, P2]


def test_phrases_inside_a_sentence_are_kept():
    sentences = [
        "وقال إن على الجميع أن يقرأ أيضاً ما نشرته الصحف أمس عن الاتفاق الجديد بين البلدين.",
        "وأضاف: شارك الخبر آلاف المستخدمين على مواقع التواصل خلال ساعات قليلة من نشره.",
        "ونقلت الوكالة أن مقالات ذات صلة بالموضوع نشرت في صحف عدة خلال الأسبوع الماضي.",
        "المزيد من القتلى سقطوا في الهجوم الذي وقع أمس على القرية.",
        "وقالت الوزارة إن التعليقات المسيئة على مواقع التواصل لا تعبر عن رأي الشعب المصري.",
        "وقال في تعليقه إن تصريحات الوزير تعبر عن رأي صاحبها فقط.",
        "وأكد أن كافة الحقوق محفوظة للاعبين وفق العقد الموقع مع النادي.",
        "وتضم الحكومة الجديدة وزراء للاقتصاد والرياضة والثقافة والصحة والتعليم.",
    ]
    assert clean_lines(sentences) == sentences


@pytest.mark.parametrize("line", [
    "FacebookTwitterLinkedInEmail", "شارك الخبر:", "شارك", "Share", "فيسبوك تويتر واتساب", "Loading...",
    "جاري التحميل", "الرئيسيةأخبارسياسةأعمالرياضةالعالمتكنولوجيااقتصادصحةتسلية",
])
def test_noise_lines(line):
    assert is_noise_line(line)


@pytest.mark.parametrize("line", [
    "مقالات ذات صلة", "أخبار ذات صلة", "اخبار ذات صله", "مقالات مشابهة", "اترك تعليقاً", "اترك تعليقا",
    "أضف تعليق", "زر الذهاب إلى الأعلى", "العودة للأعلى", "كلمات دلالية: الصين روسيا", "المزيد من سياسة",
    "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
    "أضف تعليقك على الخبر", "التعليقات (3)", "تعليقات القراء",
    "جميع التعليقات تعبر عن رأي أصحابها", "التعليقات المنشورة لا تعبر عن رأي الموقع",
    "جميع التعليقات تعبّر عن رأي أصحابها ولا تعبّر بالضرورة عن رأي الصحيفة",
    "ملاحظة: التعليقات تعبر عن آراء كاتبيها فقط",
    "جميع الحقوق محفوظة ©", "جميع الحقوق محفوظة © 2013 صحيفة الوطن اليوم",
    "Copyright © 2013 Alwatan Alyoum. All Rights Reserved", "© 2013 الوطن - كافة الحقوق محفوظة",
    "حقوق الطبع والنشر محفوظة لموقع الوطن",
])
def test_end_markers(line):
    assert is_end_marker(line)


def test_everything_after_an_end_marker_goes():
    assert cut_at_end_marker([P1, "", P2, "أخبار ذات صلة", "عنوان آخر", P3]) == [P1, "", P2]


def test_end_marker_before_any_text_is_dropped_alone():
    assert cut_at_end_marker(["التعليقات", P1, P2]) == [P1, P2]


def test_embedded_tweet_goes_with_its_text():
    lines = [
        P1, "",
        "???? Russian Foreign Minister Sergey Lavrov holds a meeting", "",
        "???? Rio de Janeiro, November 18#RussiaChina pic.twitter.com/MsZHdX2dYi", "",
        "— MFA Russia ???????? (@mfa_russia) November 18, 2024", "",
        P2,
    ]
    assert [line for line in drop_embeds(lines) if line] == [P1, P2]


def test_english_text_without_tweet_attribution_is_kept():
    lines = [P1, "The minister said: we will continue to work together.", P2]
    assert drop_embeds(lines) == lines


def test_normalizer_drops_repeated_title_and_captions_keeps_paragraphs():
    title = "مباحثات بين وزيري خارجية روسيا والصين"
    caption = "الوزيران خلال اللقاء في بكين (رويترز)"
    body = "\n\n".join([title, caption, P1, "Loading...", "اقرأ أيضاً", "عنوان مرتبط", P2, "مقالات مشابهة", P3])
    item = normalize(body, title=title, captions=[caption])
    assert item.body == "\n\n".join([P1, P2])


def test_repeated_title_matches_across_spelling_variants():
    item = normalize("\n\n".join(["إقرأ عن الأزمة الاقتصادية في مصر", P1]), title="اقرأ عن الازمة الاقتصادية فى مصر")
    assert item.body == P1


def test_normalizer_on_empty_body():
    assert normalize("").body == ""
    assert normalize("مقالات ذات صلة\nاترك تعليقاً").body is None


def test_embedded_tweet_on_an_english_page_takes_only_its_own_text():
    story = ["The council met on Monday to discuss the budget for next year.",
             "Members disagreed about the cost of the new bridge over the river."]
    lines = [*story, "", "Great turnout today! pic.twitter.com/abc123", "",
             "— City Council (@citycouncil) November 18, 2024", "", "The vote is expected next week."]
    kept = [line for line in drop_embeds(lines) if line]
    assert kept == [*story, "The vote is expected next week."]


# --- menus ------------------------------------------------------------------------

MENU_LINE = "الرئيسية | أخبار محلية | عربي ودولي | اقتصاد | رياضة | ثقافة وفنون | مقالات | اتصل بنا"


def test_menu_on_one_line_goes():
    assert drop_menus([MENU_LINE, P1, P2, "الرئيسية • من نحن • أعلن معنا"]) == [P1, P2]


def test_menu_one_item_a_line_goes_and_the_short_title_after_it_stays():
    menu = ["الرئيسية", "أخبار", "سياسة", "", "رياضة", "منوعات", "الأرشيف"]
    assert [line for line in drop_menus([*menu, "أزمة الخبز", P1, P2]) if line] == ["أزمة الخبز", P1, P2]


@pytest.mark.parametrize("lines", [
    ["التشكيلة الأساسية", "محمد الشناوي", "محمد هاني", "ياسر إبراهيم", "علي معلول"],
    ["رياضة", P1],
    ["مصر | السودان | ليبيا"],
], ids=["names", "section-label", "non-section-items"])
def test_short_lines_that_are_not_menus_stay(lines):
    assert drop_menus(lines) == lines


def test_menu_above_the_article_is_not_taken_for_its_text():
    lines = [MENU_LINE, "التعليقات المنشورة لا تعبر عن رأي الموقع", P1, P2]
    assert clean_lines(lines) == [P1, P2]
