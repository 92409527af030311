import json
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
import pytest
from scrapy.settings import Settings

from crawler.items import ArticleItem
from pipelines.arabic import (
    ArabicTextNormalizer,
    SearchFormNormalizer,
    fold_for_search,
    fold_letters,
    normalize_paragraphs,
    normalize_text,
    repair_mojibake,
)
from pipelines.base import build_normalizers, run_normalizers

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
GOLD = json.loads((ROOT / "tests/fixtures/seeds/gold.json").read_text(encoding="utf-8"))


def seed_text(prefix: str) -> str:
    return next(p for p in SEEDS if p.name.startswith(prefix)).read_text(encoding="utf-8")


def mojibake(clean: str) -> str:
    # Python's cp1256 decodes all 256 byte values, so no error handler is involved.
    return clean.encode("utf-8").decode("cp1256")


def latin_mojibake(clean: str, encoding: str = "sloppy-windows-1252") -> str:
    # sloppy-windows-1252 is what browsers call windows-1252: 81, 8D, 8F, 90, 9D
    # become C1 controls instead of errors.
    return clean.encode("utf-8").decode(encoding)


def seed_paragraph(prefix: str, index: int, containing: str = "") -> str:
    lines = [line for line in seed_text(prefix).splitlines() if len(line) > 80 and containing in line]
    return lines[index]


# --- repair_mojibake ------------------------------------------------------


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_mojibake_round_trip_of_whole_seed(path):
    clean = path.read_text(encoding="utf-8")
    broken = mojibake(clean)
    assert broken != clean and "ط§ظ„" in broken
    assert repair_mojibake(broken) == clean


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_clean_seed_is_never_altered(path):
    clean = path.read_text(encoding="utf-8")
    assert repair_mojibake(clean) == clean


def test_mixed_clean_and_mojibake_lines():
    paragraph = seed_paragraph("001", 0)
    clean_label = "تاريخ النشر: 18th, September 2023 GMT"
    text = f"{clean_label}\n{mojibake(paragraph)}\nالمصدر: الخليج الجديد\n{mojibake('روسيا والصين')}"
    assert repair_mojibake(text) == f"{clean_label}\n{paragraph}\nالمصدر: الخليج الجديد\nروسيا والصين"


def test_mojibake_run_inside_a_clean_line():
    text = "المصدر: " + mojibake("الخليج الجديد") + " (خاص)"
    assert repair_mojibake(text) == "المصدر: الخليج الجديد (خاص)"


def test_mojibake_that_lost_its_soft_hyphens():
    paragraph = seed_paragraph("000", 0, containing="ح")
    broken = mojibake(paragraph).replace("\u00ad", "")
    assert repair_mojibake(broken) == paragraph


@pytest.mark.parametrize("clean_word", ["فقط", "بسط", "الضغط", "ربع"])
def test_mojibake_after_a_clean_word_on_the_same_line(clean_word):
    # Most Arabic letters are lead-byte images in cp1256: the run must not
    # start inside the clean word (`الضغط` used to become `الضغح`).
    text = f"قال {clean_word} " + mojibake("الخليج الجديد") + "، وأضاف"
    assert repair_mojibake(text) == f"قال {clean_word} الخليج الجديد، وأضاف"


@pytest.mark.parametrize("encoding", ["sloppy-windows-1252", "latin-1"])
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_latin_mojibake_round_trip_of_whole_seed(path, encoding):
    clean = path.read_text(encoding="utf-8")
    broken = latin_mojibake(clean, encoding)
    assert "Ø§Ù" in broken
    assert repair_mojibake(broken) == clean


def test_latin_mojibake_beside_clean_text():
    paragraph = seed_paragraph("002", 0)
    text = (f"المصدر: {latin_mojibake('الخليج الجديد')} (خاص)\n"
            f"تاريخ النشر: 18th, September 2023 GMT\n"
            f"{latin_mojibake(paragraph)}\n"
            f"كلمات دلالية: روسيا، الصين\n"
            f"— Sputnik Arabic {latin_mojibake('— 18 نوفمبر')}")
    assert repair_mojibake(text) == (f"المصدر: الخليج الجديد (خاص)\n"
                                     f"تاريخ النشر: 18th, September 2023 GMT\n"
                                     f"{paragraph}\n"
                                     f"كلمات دلالية: روسيا، الصين\n"
                                     f"— Sputnik Arabic — 18 نوفمبر")


def test_latin_mojibake_that_lost_bytes():
    paragraph = seed_paragraph("002", 0, containing="ح")
    assert "ف" in paragraph and "ح" in paragraph
    # A copy drops the soft hyphen of `ح` (D8 AD); a strict decoder turns the
    # 81 of `ف` (D9 81), undefined in Windows-1252, into U+FFFD.
    assert repair_mojibake(latin_mojibake(paragraph).replace("\u00ad", "")) == paragraph
    strict = paragraph.encode("utf-8").decode("cp1252", errors="replace")
    assert "Ù\ufffd" in strict
    assert repair_mojibake(strict) == paragraph
    # ftfy's known failure: the no-break space of `٠` (D9 A0) became a space.
    assert repair_mojibake("أكثر Ù…Ù† Ù Ù Ù¡ Ø¨Ù„Ø¯") == "أكثر من ٠٠١ بلد"


def test_mojibake_of_mojibake():
    paragraph = seed_paragraph("000", 0)
    assert repair_mojibake(latin_mojibake(mojibake(paragraph))) == paragraph


def test_punctuation_mojibake_is_repaired_only_beside_arabic_mojibake():
    line = "— Sputnik Arabic (@sputnik_ar) November 18, 2024"
    assert repair_mojibake(mojibake(line)) == mojibake(line)  # no Arabic: no evidence
    text = mojibake("قال لافروف:\n" + line)
    assert repair_mojibake(text) == "قال لافروف:\n" + line


@pytest.mark.parametrize("clean", [
    "ضغط، ثم ربط، ثم حفظ؟",  # `ط،` and `ظ؟` look like encoded pairs
    "این یک کتاب است",  # Persian
    "café — naïve “quoted” text…",
    "طالب في الحظ والطقس",
    "الضغط الخليج",
    "Øresund — København, Ålborg; Ù and Ø in Danish text",
    "Η ¨ανατροφή¨ δυστυχώς",  # ftfy's negative cases: not mojibake
    "4288×… and higher values (“+” and “×” curves)",
    "À tous mes frères: «عيد سعيد» — l’humanité",
])
def test_clean_text_that_resembles_mojibake_is_kept(clean):
    assert repair_mojibake(clean) == clean


# --- normalize_text / normalize_paragraphs -------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("جـــميل الـــسلام", "جميل السلام"),  # kashida removed
    ("الجولة الـ18 بـ«القيصر»", "الجولة الـ18 بـ«القيصر»"),  # a detaching tatweel stays
    ("الـــ 5", "الـ 5"),
    ("\ufeffروسيا\u200b والصين", "روسيا والصين"),
    ("مي\u200cزان و\u200dكتاب", "ميزان وكتاب"),
    ("\u200fنشر\u200e \u061cفي\u202b بكين\u202c \u2067اليوم\u2069", "نشر في بكين اليوم"),
    ("كلم\u00adة", "كلمة"),
    ("روسيا\u00a0والصين\u2009و\u202fبكين\u3000اليوم\tأمس", "روسيا والصين و بكين اليوم أمس"),
    ("  سطر   أول  \n\t سطر  ثان ", "سطر أول\nسطر ثان"),
    ("\ufefbعب \ufe8d\ufedf\ufea4\ufeae\ufe8f", "لاعب الحرب"),  # presentation forms
    ("وقال … إن المساحة 5 كم²", "وقال … إن المساحة 5 كم²"),  # typography kept
    ("٢٠٢٤ ۱۴۰۳", "٢٠٢٤ ۱۴۰۳"),  # digits kept for display
    ("الحرب \u0627\u0653خر", "الحرب آخر"),  # NFC
    ("", ""),
])
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw, expected, arabic_context", [
    # The keywords line of seed 000: Arabic letters elsewhere in the line decide.
    ("الخارجية الصينية الصين روسيا روسیا والصین", "الخارجية الصينية الصين روسيا روسيا والصين", False),
    ("روسيا روسیا والصین", "روسيا روسیا والصین", False),  # 1 Arabic-only letter vs 2: not enough
    ("روسیا والصین", "روسیا والصین", False),  # alone, nothing says it is Arabic
    ("روسیا والصین", "روسيا والصين", True),  # ... unless the document is Arabic
    ("این یک کتاب است", "این یک کتاب است", False),
    ("پیام یک ایرانی", "پیام یک ایرانی", True),  # Persian letters: left alone
    ("وزير الخارجية علی الطاولة في کل جلسة", "وزير الخارجية على الطاولة في كل جلسة", False),
])
def test_persian_yeh_and_kaf_in_arabic(raw, expected, arabic_context):
    assert normalize_text(raw, arabic_context=arabic_context) == expected


def test_seed_keywords_line_loses_persian_letters():
    line = next(l for l in seed_text("000").splitlines() if l.startswith("كلمات دلالية"))
    assert "روسیا والصین" in line
    assert normalize_text(line).endswith("الصين روسيا روسيا والصين")


def test_normalize_paragraphs():
    text = "\n  أول  فقرة \n\n\n   \nثانية\nثالثة\u00a0\n\n"
    assert normalize_paragraphs(text) == "أول فقرة\n\nثانية\n\nثالثة"
    assert normalize_paragraphs(" \n \n") == ""


@pytest.mark.parametrize("gold", GOLD, ids=lambda g: g["file"][:3])
def test_clean_gold_bodies_are_stable_and_mojibake_restores_them(gold):
    body = gold["body"]
    assert normalize_paragraphs(normalize_text(body)) == body
    assert normalize_paragraphs(normalize_text(mojibake(body))) == body


# --- search form ----------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("أحمد إبراهيم آمال ٱلرحمن", "احمد ابراهيم امال الرحمن"),
    ("خَبَرَيْن مُحَمَّدٌ", "خبرين محمد"),
    ("على مدرسة", "علي مدرسه"),
    ("مسؤول مسئول", "مسءول مسءول"),
    ("شؤون شئون", "شءون شءون"),
    ("روسیا کتاب", "روسيا كتاب"),
    ("٢٠٢٤ ۲۰۲۴ 2024", "2024 2024 2024"),
    ("«الشرق الأوسط» (موسكو)، لماذا؟ نعم؛ لا!", "الشرق الاوسط موسكو لماذا نعم لا"),
    ("Hello WORLD — G20_Summit", "hello world g20 summit"),
    ("الـ18 بـ«القيصر»", "ال 18 ب القيصر"),
    ("المساحة 5 كم²", "المساحه 5 كم2"),
    ("\u0627\u0644\u0642\u064f\u0631\u0652\u0622\u0646\u06da", "القران"),  # Quranic mark
    (mojibake("الشرق الأوسط"), "الشرق الاوسط"),
    ("   ", ""),
])
def test_fold_for_search(raw, expected):
    assert fold_for_search(raw) == expected


def test_fold_letters_keeps_punctuation_and_spacing():
    assert fold_letters("إلى: «أمس» ٣") == "الي: «امس» 3"


def test_fold_is_idempotent_on_a_seed():
    text = seed_text("003")
    folded = fold_for_search(text)
    assert folded == fold_for_search(folded)
    assert "«" not in folded and "أ" not in folded and "\n" not in folded


# --- normalizers ----------------------------------------------------------


def make_item(**fields) -> ArticleItem:
    return ArticleItem(url="https://arabkhabar.com/a/1", **fields)


def test_arabic_text_normalizer_fields():
    paragraphs = [seed_paragraph("000", 0), seed_paragraph("000", 1)]
    item = make_item(
        title="\u200fمباحثات  بين وزيري خارجية روسيا والصين\n",
        subtitle=" \u200b ",
        section="\u200f",
        outlet_name="موقع\u00a024",
        body=f"\n{paragraphs[0]}\n\n\n \u200f\n{mojibake(paragraphs[1])}\n",
        authors=["  رويترز ", ""],
        tags=["روسیا والصین", " ", "الصين"],
        captions=["صورة\u00a0من\nبكين"],
        source_lines=["المصدر:  موقع 24"],
    )
    item = ArabicTextNormalizer().normalize(item)
    assert item.title == "مباحثات بين وزيري خارجية روسيا والصين"
    assert item.subtitle is None and item.section is None
    assert item.outlet_name == "موقع 24"
    assert item.body == "\n\n".join(paragraphs)
    assert item.authors == ["رويترز"]
    assert item.tags == ["روسيا والصين", "الصين"]  # the Arabic document decides
    assert item.captions == ["صورة من بكين"]
    assert item.source_lines == ["المصدر: موقع 24"]


def test_arabic_text_normalizer_respects_a_persian_item():
    item = ArabicTextNormalizer().normalize(make_item(language="fa", title="روسیا والصین", body="این یک کتاب است"))
    assert item.title == "روسیا والصین" and item.body == "این یک کتاب است"


def test_empty_body_becomes_none():
    item = ArabicTextNormalizer().normalize(make_item(body=" \n\u200f\n "))
    assert item.body is None


def test_search_form_normalizer():
    item = SearchFormNormalizer().normalize(
        make_item(title="«الشرق الأوسط»", subtitle=None, body="خَبَرَيْن: الـ18 وزيراً.\n\nفي ٢٠٢٤")
    )
    assert item.search_text == "الشرق الاوسط خبرين ال 18 وزيرا في 2024"
    assert item.word_count == 5  # خَبَرَيْن counts as one word with its diacritics


def test_search_form_without_text():
    item = SearchFormNormalizer().normalize(make_item())
    assert item.search_text is None and item.word_count == 0


def test_chain_built_from_settings_on_a_seed_gold():
    gold = GOLD[0]
    settings = Settings({"NORMALIZERS": {
        "pipelines.arabic.ArabicTextNormalizer": 100,
        "pipelines.arabic.SearchFormNormalizer": 500,
    }})
    chain = build_normalizers(settings)
    assert [type(n) for n in chain] == [ArabicTextNormalizer, SearchFormNormalizer]
    raw_body = mojibake(gold["body"].replace("\n\n", "\n \n\n"))
    item = run_normalizers(chain, make_item(title=gold["title"], body=raw_body))
    assert item.body == gold["body"]
    assert item.search_text.startswith("مباحثات بين وزيري خارجيه روسيا والصين في قمه العشرين ناقش وزيرا")
    assert item.word_count == len(gold["body"].split())
