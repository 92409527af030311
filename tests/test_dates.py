import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.items import ArticleItem
from pipelines.arabic import ArabicTextNormalizer
from pipelines.base import run_normalizers
from zoneinfo import ZoneInfo

from crawler.datetimes import parse_date, read_date
from pipelines.dates import DatesNormalizer

UTC = timezone.utc
ROOT = Path(__file__).resolve().parent.parent
GOLD = json.loads((ROOT / "tests/fixtures/seeds/gold.json").read_text(encoding="utf-8"))
BASE = datetime(2025, 1, 27, 19, 24, 35, tzinfo=UTC)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [
    # ISO 8601 (JSON-LD, OpenGraph) and the capture time
    ("2024-11-19T10:30:00+04:00", utc(2024, 11, 19, 6, 30)),
    ("2024-11-19T10:30:00.250-02:30", utc(2024, 11, 19, 13, 0)),
    ("2024-11-19T10:30:00Z", utc(2024, 11, 19, 10, 30)),
    ("2024-11-19", utc(2024, 11, 19)),
    ("2025-01-27@19:24:35 GMT", utc(2025, 1, 27, 19, 24, 35)),
    ("2024/11/19", utc(2024, 11, 19)),
    ("19/11/2024", utc(2024, 11, 19)),  # day first, as Arabic pages write it
    ("11/19/2024", utc(2024, 11, 19)),  # unambiguous month first
    # English ordinals, with and without the capture label
    ("19th, November 2024 GMT", utc(2024, 11, 19)),
    ("تاريخ النشر: 19th, November 2024 GMT", utc(2024, 11, 19)),
    ("تاريخ النشر: 1st, March 2023 GMT", utc(2023, 3, 1)),
    ("November 18, 2024", utc(2024, 11, 18)),
    ("Nov 18th, 2024 3pm", utc(2024, 11, 18, 15)),
    ("Tuesday 19 November 2024 14:05 GMT+3", utc(2024, 11, 19, 11, 5)),
    # Gulf/Egyptian months and their spelling variants
    ("19 نوفمبر 2024", utc(2024, 11, 19)),
    ("الثلاثاء 12 نوفمبر 2024", utc(2024, 11, 12)),
    ("١٩ نوفمبر ٢٠٢٤", utc(2024, 11, 19)),
    ("۱۹ نوفمبر ۲۰۲۴", utc(2024, 11, 19)),
    ("5 إبريل 2024", utc(2024, 4, 5)),
    ("5 أبريل 2024", utc(2024, 4, 5)),
    ("5 ابريل 2024", utc(2024, 4, 5)),
    ("2 مايو 2024", utc(2024, 5, 2)),
    ("2 يونية 2024", utc(2024, 6, 2)),
    ("2 يونيو 2024", utc(2024, 6, 2)),
    ("3 يولية 2024", utc(2024, 7, 3)),
    ("3 يوليو 2024", utc(2024, 7, 3)),
    ("9 أغسطس 2024", utc(2024, 8, 9)),
    ("9 اغسطس 2024", utc(2024, 8, 9)),
    ("\u200f19 ديسمبر 2024\u200e", utc(2024, 12, 19)),
    # Levantine months, alone and in dual forms
    ("1 كانون الثاني 2024", utc(2024, 1, 1)),
    ("14 شباط 2024", utc(2024, 2, 14)),
    ("5 آذار 2024", utc(2024, 3, 5)),
    ("5 نيسان 2024", utc(2024, 4, 5)),
    ("22 أيار 2024", utc(2024, 5, 22)),
    ("22 حزيران 2024", utc(2024, 6, 22)),
    ("4 تموز 2024", utc(2024, 7, 4)),
    ("7 آب 2024", utc(2024, 8, 7)),
    ("12 أيلول 2024", utc(2024, 9, 12)),
    ("3 تشرين الأول 2023", utc(2023, 10, 3)),
    ("3 تشرين الثاني 2023", utc(2023, 11, 3)),
    ("25 كانون الأول 2023", utc(2023, 12, 25)),
    ("18 سبتمبر/أيلول 2023", utc(2023, 9, 18)),
    ("18 سبتمبر (أيلول) 2023", utc(2023, 9, 18)),
    ("22 مارس (آذار) 2024", utc(2024, 3, 22)),
    # Times with ص/م, before or after the date
    ("12 نوفمبر 2024 10:30 م", utc(2024, 11, 12, 22, 30)),
    ("12 نوفمبر 2024 10:30 ص", utc(2024, 11, 12, 10, 30)),
    ("12 نوفمبر 2024 12:15 ص", utc(2024, 11, 12, 0, 15)),
    ("الأحد 5 مايو 2024 - 10:45 صباحاً", utc(2024, 5, 5, 10, 45)),
    ("الساعة 10:30 مساءً 5 أبريل 2024", utc(2024, 4, 5, 22, 30)),
    ("الساعة ١٠:٣٠ م ٥ أبريل ٢٠٢٤", utc(2024, 4, 5, 22, 30)),
    ("5 أبريل 2024 13:30 م", utc(2024, 4, 5, 13, 30)),
    # A Hijri date beside the Gregorian one, and alone (Umm al-Qura)
    ("17 جمادى الأولى 1446 هـ الموافق 19 نوفمبر 2024 م", utc(2024, 11, 19)),
    ("17 جمادى الأولى 1446", utc(2024, 11, 19)),
    ("الجمعة 12 رمضان 1445 هـ", utc(2024, 3, 22)),
    ("1445/09/12 هـ", utc(2024, 3, 22)),
    # Prose date lines of Arabic pages
    ("الأحد، 12 تموز/يوليو 2015", utc(2015, 7, 12)),
    ("نُشر في الخميس 3 كانون الأول / ديسمبر 2020 08:15 مساءً", utc(2020, 12, 3, 20, 15)),
    ("17:32-9 أبريل 2024", utc(2024, 4, 9, 17, 32)),  # `-9` is the day, not an offset
    ("٩ أبريل ٢٠٢٤ - ٥:٣٢ م", utc(2024, 4, 9, 17, 32)),
    # Maghrebi month names
    ("12 جانفي 2024", utc(2024, 1, 12)), ("12 فيفري 2024", utc(2024, 2, 12)),
    ("12 أفريل 2024", utc(2024, 4, 12)), ("12 ماي 2024", utc(2024, 5, 12)),
    ("12 جوان 2024", utc(2024, 6, 12)), ("12 جويلية 2024", utc(2024, 7, 12)),
    ("12 يوليوز 2024", utc(2024, 7, 12)), ("12 أوت 2024", utc(2024, 8, 12)),
    ("12 أغشت 2024", utc(2024, 8, 12)), ("12 غشت 2024", utc(2024, 8, 12)),
    ("12 شتنبر 2024", utc(2024, 9, 12)), ("12 نونبر 2024", utc(2024, 11, 12)),
    ("12 دجنبر 2024", utc(2024, 12, 12)),
    # Other languages pages use
    ("Samstag, 19. Juli 2014", utc(2014, 7, 19)),
    ("27 juin 2019", utc(2019, 6, 27)),
    ("13 de marzo de 2021", utc(2021, 3, 13)),
])
def test_parse_date(text, expected):
    value = parse_date(text, zone=UTC)
    assert value == expected
    assert value.tzinfo == UTC


@pytest.mark.parametrize("text, expected", [
    ("2024-11-19T10:30:00+04:00", utc(2024, 11, 19, 6, 30)),
    ("2024-11-19T10:30:00+0400", utc(2024, 11, 19, 6, 30)),
    ("2024-11-19 10:30 GMT+3", utc(2024, 11, 19, 7, 30)),
    ("2024-11-19 10:30 GMT+0400", utc(2024, 11, 19, 6, 30)),
    ("19 نوفمبر 2024 10:30 (UTC+03:00)", utc(2024, 11, 19, 7, 30)),
    ("Tue, 19 Nov 2024 10:30:00 EST", utc(2024, 11, 19, 15, 30)),
    ("19 نوفمبر 2024 10:30 ص بتوقيت مكة المكرمة", utc(2024, 11, 19, 7, 30)),
    ("19 نوفمبر 2024 10:30 بتوقيت الإمارات", utc(2024, 11, 19, 6, 30)),
    ("19 نوفمبر 2024 - 10:30 ت.غ", utc(2024, 11, 19, 10, 30)),
])
def test_a_written_offset_or_zone_wins_over_the_default_zone(text, expected):
    assert parse_date(text, zone=timezone(timedelta(hours=-7))) == expected


def test_a_local_time_is_read_in_the_given_zone_else_keeps_its_day():
    assert parse_date("19 نوفمبر 2024 01:30", zone=ZoneInfo("Asia/Dubai")) == utc(2024, 11, 18, 21, 30)
    assert parse_date("19 نوفمبر 2024 01:30") == utc(2024, 11, 19)  # zone unknown: the day only
    reading = read_date("19 نوفمبر 2024 01:30")
    assert reading.has_time and not reading.zone_known


@pytest.mark.parametrize("text", [
    None, "", "   ", "garbage", "غير معروف", "10:30",
    "12 نوفمبر",  # no year: never a guessed one
    "الثلاثاء 12 نوفمبر",
    "19th, November GMT",
    "نوفمبر 2024",  # no day
    "منذ 3 ساعات",  # relative, no base
    "أمس",
    "3 hours ago",
    "31 فبراير 2024",
    "19 نوفمبر 2024 25:10",
    "18 سبتمبر/آب 2023",  # the two names disagree
    "12 نوفمبر 1985",  # before 1990
    "12 نوفمبر 2150",
    "30 ذو الحجة 1300",  # Hijri, outside the Umm al-Qura table
    "خلال 100 سنة",  # relative, no base: no date
    "في غضون 10 أيام",
])
def test_parse_date_rejects(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text, expected", [
    ("منذ 3 ساعات", utc(2025, 1, 27, 16, 24, 35)),
    ("قبل 10 دقائق", utc(2025, 1, 27, 19, 14, 35)),
    ("3 hours ago", utc(2025, 1, 27, 16, 24, 35)),
    ("أمس", utc(2025, 1, 26)),  # a day, not the base's time of day
    ("منذ يومين", utc(2025, 1, 25)),
    ("19 نوفمبر 2024", utc(2024, 11, 19)),  # absolute dates ignore the base
])
def test_relative_dates_resolve_against_the_base_only(text, expected):
    assert parse_date(text, relative_base=BASE) == expected
    naive_base = BASE.replace(tzinfo=None)
    assert parse_date(text, relative_base=naive_base) == expected
    shifted = BASE.astimezone(timezone(timedelta(hours=4)))
    assert parse_date(text, relative_base=shifted) == expected


def test_year_is_required_even_with_a_base():
    assert parse_date("12 نوفمبر", relative_base=BASE) is None


@pytest.mark.parametrize("gold", [g for g in GOLD if g["published"] or g["captured_at"]],
                         ids=lambda g: g["file"][:3])
def test_seed_date_lines(gold):
    lines = (ROOT / "seeds" / gold["file"]).read_text(encoding="utf-8").splitlines()
    if gold["published"]:
        line = next(l for l in lines if l.startswith("تاريخ النشر"))
        assert parse_date(line) == datetime.fromisoformat(gold["published"]).replace(tzinfo=UTC)
    if gold["captured_at"]:
        line = next(l for l in lines if re.fullmatch(r"\d{4}-\d{2}-\d{2}@.*", l))
        assert parse_date(line) == datetime.fromisoformat(gold["captured_at"])


# --- DatesNormalizer ------------------------------------------------------


def make_item(**fields) -> ArticleItem:
    return ArticleItem(url="https://arabkhabar.com/a/1", **fields)


def test_normalizer_parses_raw_values():
    item = DatesNormalizer().normalize(make_item(
        published_raw="تاريخ النشر: 19th, November 2024 GMT",
        modified_raw="2024-11-19T10:30:00+04:00",
        captured_raw="2025-01-27@19:24:35 GMT",
    ))
    assert item.published_at == utc(2024, 11, 19)
    assert item.modified_at == utc(2024, 11, 19, 6, 30)
    assert item.captured_at == utc(2025, 1, 27, 19, 24, 35)
    assert item.warnings == []


def test_normalizer_makes_structured_values_utc_and_keeps_them():
    item = DatesNormalizer().normalize(make_item(
        published_raw="1 يناير 2020",  # ignored: the structured value wins
        published_at=datetime(2024, 11, 19, 10, 30),
        modified_at=datetime(2024, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=4))),
        fetched_at=datetime(2025, 1, 27, 19, 0),
    ))
    assert item.published_at == utc(2024, 11, 19, 10, 30) and item.published_at.tzinfo == UTC
    assert item.modified_at == utc(2024, 11, 19, 14, 0) and item.modified_at.tzinfo == UTC
    assert item.fetched_at == utc(2025, 1, 27, 19, 0) and item.fetched_at.tzinfo == UTC


def test_normalizer_warns_on_unparsed_and_never_invents():
    item = DatesNormalizer().normalize(make_item(
        published_raw="12 نوفمبر",
        modified_raw="لا يوجد",
        captured_raw="2025-01-27@19:24:35 GMT",
        fetched_at=BASE,
    ))
    assert item.published_at is None and item.modified_at is None
    assert item.captured_at == utc(2025, 1, 27, 19, 24, 35)
    assert item.warnings == ["unparsed_date", "unparsed_date"]


def test_normalizer_without_any_date_leaves_nulls():
    item = DatesNormalizer().normalize(make_item(captured_raw="2025-01-27@19:24:35 GMT", fetched_at=BASE))
    assert item.published_at is None and item.modified_at is None
    assert item.warnings == []


def test_normalizer_resolves_relative_dates_against_fetch_time_only():
    item = DatesNormalizer().normalize(make_item(published_raw="منذ 3 ساعات", fetched_at=BASE))
    assert item.published_at == utc(2025, 1, 27, 16, 24, 35)
    item = DatesNormalizer().normalize(make_item(published_raw="منذ 3 ساعات"))
    assert item.published_at is None and item.warnings == ["unparsed_date"]


def test_normalizer_drops_modified_before_published():
    item = DatesNormalizer().normalize(make_item(
        published_raw="2024-11-19T10:30:00Z", modified_raw="2024-11-18T09:00:00Z"))
    assert item.published_at == utc(2024, 11, 19, 10, 30)
    assert item.modified_at is None
    assert item.warnings == ["modified_before_published"]


def test_normalizer_keeps_a_same_day_date_only_modified():
    item = DatesNormalizer().normalize(make_item(
        published_raw="2024-11-19T10:30:00Z", modified_raw="19 نوفمبر 2024"))
    assert item.modified_at == utc(2024, 11, 19) and item.warnings == []


def test_chain_with_text_normalizer_on_seed_header():
    lines = (ROOT / "seeds" / GOLD[0]["file"]).read_text(encoding="utf-8").splitlines()
    item = make_item(
        title=lines[3],
        published_raw=next(l for l in lines if l.startswith("تاريخ النشر")),
        captured_raw=lines[1],
        fetched_at=datetime(2025, 2, 1, 8, 0),
    )
    item = run_normalizers([ArabicTextNormalizer(), DatesNormalizer()], item)
    assert item.title == GOLD[0]["title"]
    assert item.published_at == utc(2024, 11, 19)
    assert item.captured_at == datetime.fromisoformat(GOLD[0]["captured_at"])
    assert item.published_raw == "تاريخ النشر: 19th, November 2024 GMT"  # raw text kept
