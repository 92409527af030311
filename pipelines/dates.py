"""Date parsing for article pages, and the normalizer that fills the parsed dates.

`parse_date` reads the explicit forms pages use (ISO 8601, `19 نوفمبر 2024`,
`19th, November 2024 GMT`, `سبتمبر/أيلول`, `2025-01-27@19:24:35 GMT`, ...) with
one regex pass over a month table; anything else goes to dateparser. Results
are UTC; a date without a time is midnight UTC, a time without a zone is taken
as UTC. Nothing is guessed: a date without a year, or a relative date with no
base to resolve it against, gives None.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from dateparser.date import DateDataParser

from crawler.items import ArticleItem
from pipelines.arabic import normalize_text
from pipelines.base import Normalizer

UTC = timezone.utc
EARLIEST_YEAR = 1990

# Gulf/Egyptian names first: they are what dateparser knows, so other names
# are rewritten to them before it sees the text.
MONTH_NAMES = {
    1: ("يناير", "كانون الثاني", "جانفي", "january", "jan"),
    2: ("فبراير", "شباط", "فيفري", "february", "feb"),
    3: ("مارس", "آذار", "march", "mar"),
    4: ("أبريل", "إبريل", "نيسان", "أفريل", "april", "apr"),
    5: ("مايو", "أيار", "ماي", "may"),
    6: ("يونيو", "يونية", "يونيه", "حزيران", "جوان", "june", "jun"),
    7: ("يوليو", "يولية", "يوليه", "يوليوز", "تموز", "جويلية", "july", "jul"),
    8: ("أغسطس", "آب", "أوت", "غشت", "august", "aug"),
    9: ("سبتمبر", "أيلول", "شتنبر", "september", "sept", "sep"),
    10: ("أكتوبر", "تشرين الأول", "october", "oct"),
    11: ("نوفمبر", "تشرين الثاني", "نونبر", "november", "nov"),
    12: ("ديسمبر", "كانون الأول", "دجنبر", "december", "dec"),
}
# Letters pages write either way (hamza on alef or not, ة/ه, ي/ى).
_LOOSE_LETTERS = {"ا": "[اأإآ]", "أ": "[اأإآ]", "إ": "[اأإآ]", "آ": "[اأإآ]",
                  "ة": "[ةه]", "ه": "[ةه]", "ي": "[يى]", "ى": "[يى]", " ": r"\s+"}


def _loose(name: str) -> str:
    return "".join(_LOOSE_LETTERS.get(c, re.escape(c)) for c in name)


def _month_alternatives(group: str) -> str:
    names = sorted(((name, month) for month, names in MONTH_NAMES.items() for name in names),
                   key=lambda pair: -len(pair[0]))
    return "|".join(f"(?P<{group}_{i}_{month}>{_loose(name)})" for i, (name, month) in enumerate(names))


# A month, optionally followed by its other name: `سبتمبر/أيلول`, `مايو (أيار)`.
_MONTH = (rf"(?<!\w)(?:{_month_alternatives('m')})"
          rf"(?:\s*[/(-]\s*(?:{_month_alternatives('alt')})\s*\)?)?(?!\w)")
_DAY = r"(?<![\d:.])(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>\d{4})(?!\d)"
_SEP = r"[\s,،.-]*"
_DATE_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    rf"{_DAY}{_SEP}(?:من\s+)?{_MONTH}{_SEP}{_YEAR}",  # 19 نوفمبر 2024, 19th, November 2024
    rf"{_MONTH}{_SEP}{_DAY}{_SEP}{_YEAR}",  # November 19, 2024
    r"(?<![\d.])(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)",  # 2024-11-19
    r"(?<![\d.])(?P<d>\d{1,2})[-/.](?P<mo>\d{1,2})[-/.](?P<y>\d{4})(?!\d)",  # 19/11/2024, day first
)]
_MONTH_ONLY = re.compile(_MONTH, re.IGNORECASE)

_AFTERNOON = ("م", "مساء", "ظهرا", "pm", "p.m.")
_TIME = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?(?![\d:])"
    r"(?:\s*(?P<ampm>صباحا|صباح|ص|مساء|م|ظهرا|am|pm|a\.m\.|p\.m\.)(?!\w))?",
    re.IGNORECASE,
)
_ZONE = re.compile(
    r"\s*(?:z|gmt|utc|ت\.?\s*غ|(?:ب)?توقيت\s+غرينتش)?(?:\s*(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?(?!\w)",
    re.IGNORECASE,
)
# How far from the date its time may stand (`19 نوفمبر 2024 - 10:30 ص`).
_TIME_WINDOW = 40

_DIGITS_AND_MARKS = {0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)}
_DIGITS_AND_MARKS |= dict.fromkeys(range(0x064B, 0x0653))  # harakat (`مساءً`)
_LABEL = re.compile(r"^[^\d:]{1,40}:\s*")  # `تاريخ النشر:`, `Published:`

_DATEPARSER_SETTINGS = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_TIME_AS_PERIOD": True,
    "DATE_ORDER": "DMY",
}
# Without a base, relative dates are resolved against this one, far before any
# accepted year, so they are rejected instead of being resolved against now.
_NO_BASE = datetime(1900, 1, 1)


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _month_of(match: re.Match, group: str) -> tuple[int, str] | None:
    """The month number and name a `_MONTH` group matched."""
    for name, value in match.groupdict().items():
        if value and name.startswith(group + "_"):
            return int(name.rsplit("_", 1)[1]), value
    return None


def _time_near(text: str, start: int, end: int) -> tuple[int, int, int, timedelta] | None:
    """The time of day written just after (or else just before) the date, with its UTC offset."""
    for pos, endpos in ((end, end + _TIME_WINDOW), (max(0, start - _TIME_WINDOW), start)):
        for found in _TIME.finditer(text, pos, endpos):
            if found["mi"] is None and found["ampm"] is None:
                continue  # a bare number, not a time
            hour, ampm = int(found["h"]), (found["ampm"] or "").lower()
            if ampm and 1 <= hour <= 12:  # `13:30 م` is a 24-hour time already
                hour = hour % 12 + (12 if ampm in _AFTERNOON else 0)
            zone = _ZONE.match(text, found.end())
            offset = timedelta()
            if zone["sign"]:
                offset = timedelta(hours=int(zone["oh"]), minutes=int(zone["om"] or 0))
                offset = -offset if zone["sign"] == "-" else offset
            return hour, int(found["mi"] or 0), int(found["s"] or 0), offset
    return None


def _find_explicit(text: str) -> re.Match | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            return match
    return None


def _from_explicit(text: str, match: re.Match) -> datetime | None:
    month = int(match["mo"]) if "mo" in match.groupdict() else _month_of(match, "m")[0]
    other = _month_of(match, "alt")
    if other is not None and other[0] != month:
        return None  # `سبتمبر/آب`: the two names disagree
    day = int(match["d"])
    if "mo" in match.groupdict() and month > 12 >= day:
        day, month = month, day  # 11/19/2024 can only be month first
    hour, minute, second, offset = _time_near(text, match.start(), match.end()) or (0, 0, 0, timedelta())
    if abs(offset) > timedelta(hours=14):
        return None
    try:
        return datetime(int(match["y"]), month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:  # 31 February, 25:10
        return None


def _canonical_month(match: re.Match) -> str:
    """The Gulf/Egyptian name for an Arabic month name, without its other name."""
    month, name = _month_of(match, "m")
    return name if name.isascii() else MONTH_NAMES[month][0]


def _parse_with_dateparser(text: str, relative_base: datetime | None) -> datetime | None:
    base = as_utc(relative_base).replace(tzinfo=None) if relative_base else _NO_BASE
    text = _MONTH_ONLY.sub(_canonical_month, _LABEL.sub("", text))
    parser = DateDataParser(languages=["ar", "en"], settings={**_DATEPARSER_SETTINGS, "RELATIVE_BASE": base})
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    if data.period != "time":  # `أمس`, `منذ يومين`: the day only, not the base's time
        return data.date_obj.replace(hour=0, minute=0, second=0, microsecond=0)
    return data.date_obj


def parse_date(text: str | None, *, relative_base: datetime | None = None) -> datetime | None:
    """Parse a date as a page shows it into an aware UTC datetime, or None.

    Relative dates (`منذ 3 ساعات`) are resolved against `relative_base` only.
    Labels before the date (`تاريخ النشر:`) may be left in.
    """
    if not text:
        return None
    text = normalize_text(text).translate(_DIGITS_AND_MARKS)
    if not text:
        return None
    # An explicit date is final: when it is invalid dateparser must not guess another.
    explicit = _find_explicit(text)
    if explicit:
        value = _from_explicit(text, explicit)
    else:
        value = _parse_with_dateparser(text, relative_base)
    if value is None:
        return None
    value = as_utc(value)
    if not EARLIEST_YEAR <= value.year <= datetime.now(UTC).year + 1:
        return None
    return value


def _same_day_date_only(first: datetime, second: datetime) -> bool:
    """Same day, one of them without a time: their order is unknown."""
    return first.date() == second.date() and datetime.min.time() in (first.time(), second.time())


class DatesNormalizer(Normalizer):
    """Fills `published_at`, `modified_at`, `captured_at` from their raw strings;
    values already set (structured metadata) are made aware UTC."""

    FIELDS = (("published_raw", "published_at"), ("modified_raw", "modified_at"),
              ("captured_raw", "captured_at"))

    def normalize(self, item: ArticleItem) -> ArticleItem:
        item.fetched_at = as_utc(item.fetched_at)
        for raw_name, parsed_name in self.FIELDS:
            value = getattr(item, parsed_name)
            raw = getattr(item, raw_name)
            if value is None and raw and raw.strip():
                value = parse_date(raw, relative_base=item.fetched_at)
                if value is None:
                    self.warn(item, "unparsed_date")
            setattr(item, parsed_name, as_utc(value))
        published, modified = item.published_at, item.modified_at
        if published and modified and modified < published and not _same_day_date_only(published, modified):
            item.modified_at = None
            self.warn(item, "modified_before_published")
        return item
