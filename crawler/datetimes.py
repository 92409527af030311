"""Dates as pages write them: text to an aware UTC datetime, with its time
zone decided by what the page says, never guessed.

`read_date` finds the first explicit date in a text (ISO 8601, `19 نوفمبر
2024`, `الأحد، 12 تموز/يوليو 2015`, `17:32-9 أبريل 2024`, `November 19, 2024`,
`19. Juli 2014`, `19/11/2024`, Hijri `12 رمضان 1445 هـ`) with the time of day
written beside it and its UTC offset if one is written (`+03:00`, `+0300`,
`GMT+3`, `EST`, `بتوقيت مكة`). Month names: Gulf/Egyptian, Levantine and
Maghrebi Arabic, English, German, French, Spanish, Italian, Portuguese.
Arabic-Indic digits and the AM/PM words (`ص`, `م`, `صباحاً`, `مساءً`) are read.
A text with no explicit date goes to dateparser for relative dates (`منذ 3
ساعات`), resolved only against a given base.

`DateReading.to_utc(zone)` turns a reading into UTC: a written offset wins;
a time without one is taken in `zone` (the outlet's time zone, or a zone
the page itself reveals); without a zone only the day is kept (midnight
UTC, the convention for a date without a time). `parse_date` does both.
Nothing is guessed: a date without a year, a relative date without a base,
or a year outside 1990..next year gives None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hijridate import Hijri

from pipelines.arabic import normalize_text

UTC = timezone.utc
EARLIEST_YEAR = 1990

# Gulf/Egyptian names first: they are what dateparser knows, so other Arabic
# names are rewritten to them before it sees the text.
MONTH_NAMES = {
    1: ("يناير", "كانون الثاني", "جانفي", "january", "jan", "januar", "jänner", "janvier", "janv",
        "enero", "gennaio", "janeiro"),
    2: ("فبراير", "شباط", "فيفري", "february", "feb", "februar", "février", "fevrier", "févr", "fevr",
        "febrero", "febbraio", "fevereiro"),
    3: ("مارس", "آذار", "march", "mar", "märz", "maerz", "mars", "marzo", "março", "marco"),
    4: ("أبريل", "إبريل", "نيسان", "أفريل", "april", "apr", "avril", "avr", "abril", "aprile"),
    5: ("مايو", "أيار", "ماي", "may", "mai", "mayo", "maggio", "maio"),
    6: ("يونيو", "يونية", "يونيه", "حزيران", "جوان", "june", "jun", "juni", "juin", "junio", "giugno",
        "junho"),
    7: ("يوليو", "يولية", "يوليه", "يوليوز", "تموز", "جويلية", "july", "jul", "juli", "juillet",
        "juil", "julio", "luglio", "julho"),
    8: ("أغسطس", "آب", "أوت", "غشت", "أغشت", "august", "aug", "août", "aout", "agosto"),
    9: ("سبتمبر", "أيلول", "شتنبر", "september", "sept", "sep", "septembre", "septiembre", "settembre",
        "setembro"),
    10: ("أكتوبر", "تشرين الأول", "october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre",
         "outubro"),
    11: ("نوفمبر", "تشرين الثاني", "نونبر", "november", "nov", "novembre", "noviembre", "novembro"),
    12: ("ديسمبر", "كانون الأول", "دجنبر", "december", "dec", "dezember", "dez", "décembre", "decembre",
         "déc", "diciembre", "dicembre", "dezembro"),
}
HIJRI_MONTH_NAMES = {
    1: ("محرم",), 2: ("صفر",), 3: ("ربيع الأول", "ربيع الاول"), 4: ("ربيع الآخر", "ربيع الثاني", "ربيع الاخر"),
    5: ("جمادى الأولى", "جمادى الاولى", "جمادي الأولى"), 6: ("جمادى الآخرة", "جمادى الثانية", "جمادى الاخرة"),
    7: ("رجب",), 8: ("شعبان",), 9: ("رمضان",), 10: ("شوال",), 11: ("ذو القعدة", "ذي القعدة"),
    12: ("ذو الحجة", "ذي الحجة"),
}
# Letters pages write either way (hamza on alef or not, ة/ه, ي/ى).
_LOOSE_LETTERS = {"ا": "[اأإآ]", "أ": "[اأإآ]", "إ": "[اأإآ]", "آ": "[اأإآ]",
                  "ة": "[ةه]", "ه": "[ةه]", "ي": "[يى]", "ى": "[يى]", " ": r"\s+"}


def _loose(name: str) -> str:
    return "".join(_LOOSE_LETTERS.get(c, re.escape(c)) for c in name)


def _alternatives(group: str, table: dict[int, tuple[str, ...]]) -> str:
    names = sorted(((name, month) for month, names in table.items() for name in names),
                   key=lambda pair: -len(pair[0]))
    # An abbreviation may end with a dot (`Okt.`, `févr.`).
    return "|".join(f"(?P<{group}_{i}_{month}>{_loose(name)}\\.?)" for i, (name, month) in enumerate(names))


# A month, optionally followed by its other name: `سبتمبر/أيلول`, `مايو (أيار)`.
_MONTH = (rf"(?<!\w)(?:{_alternatives('m', MONTH_NAMES)})"
          rf"(?:\s*[/(-]\s*(?:{_alternatives('alt', MONTH_NAMES)})\s*\)?)?(?![^\W\d_])")
_DAY = r"(?<![\d:.])(?P<d>\d{1,2})(?:st|nd|rd|th|er|º)?\.?"
_YEAR = r"(?P<y>\d{4})(?!\d)"
_SEP = r"[\s,،.\-/]*"
_DATE_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    rf"{_DAY}{_SEP}(?:(?:من|de|di)\s+)?{_MONTH}{_SEP}(?:(?:de|del)\s+)?{_YEAR}",  # 19 نوفمبر 2024, 19. Juli 2014
    rf"{_MONTH}{_SEP}{_DAY}{_SEP}{_YEAR}",  # November 19, 2024
    r"(?<![\d.:])(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)",  # 2024-11-19
    r"(?<![\d.:])(?P<d>\d{1,2})[-/.](?P<mo>\d{1,2})[-/.](?P<y>\d{4})(?!\d)",  # 19/11/2024, day first
)]
_DAY_FIRST = _DATE_PATTERNS[-1]
# `31.10.23` as German and other European date lines write it: two-digit
# months and days between dots only (`1.2.3` and `10/11/12` stay unread).
_SHORT_YEAR = re.compile(r"(?<![\d.:/])(?P<d>[0-3]\d)\.(?P<mo>[01]\d)\.(?P<y>\d\d)(?![\d.:/])")
_HIJRI_MARK = r"\s*(?:هـ|ه\b|هجري|هجرية|للهجرة)"
_HIJRI_PATTERNS = [re.compile(p) for p in (
    rf"(?<![\d:.])(?P<d>\d{{1,2}}){_SEP}(?:{_alternatives('m', HIJRI_MONTH_NAMES)}){_SEP}(?P<y>1[34]\d\d)(?!\d)(?:{_HIJRI_MARK})?",
    rf"(?<![\d.:])(?P<y>1[34]\d\d)[-/.](?P<mo>\d{{1,2}})[-/.](?P<d>\d{{1,2}})(?!\d){_HIJRI_MARK}",
    rf"(?<![\d.:])(?P<d>\d{{1,2}})[-/.](?P<mo>\d{{1,2}})[-/.](?P<y>1[34]\d\d)(?!\d){_HIJRI_MARK}",
)]
_MONTH_ONLY = re.compile(_MONTH, re.IGNORECASE)

_AFTERNOON = ("م", "مساء", "مساءا", "ظهرا", "pm", "p.m.")
_TIME = re.compile(
    r"(?<![\d:.])(?P<h>\d{1,2})(?:[:h](?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?)?(?![\d:])"
    r"(?:\s*(?P<ampm>صباحا|صباح|ص|مساءا|مساء|م|ظهرا|am|pm|a\.m\.|p\.m\.)(?!\w))?",
    re.IGNORECASE,
)
# A UTC offset written after a time: ISO `+04:00`, `+0400`, `Z`; `GMT+3`,
# `UTC+03:00`, `GMT`; a zone abbreviation; `بتوقيت مكة`. A bare `-9` is not one
# (`17:32-9 أبريل`).
_ZONE = re.compile(
    r"\s*(?:(?P<iso>[+-]\d{2}:?\d{2})(?!\d)|(?P<z>z)(?!\w)"
    r"|(?:\(?\s*(?P<gmt>gmt|utc|ت\.?\s*غ|غرينتش|جرينتش)\s*(?P<gsign>[+-])?\s*(?P<gh>\d{1,2})?(?::?(?P<gm>\d{2}))?\)?)(?!\w)"
    r"|(?P<abbr>[a-z]{3,4})(?!\w)|(?:ب)?توقيت\s+(?P<place>(?:ال)?\w+(?:\s+(?:ال)?\w+)?))",
    re.IGNORECASE,
)
_ZONE_ABBREVIATIONS = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "BST": 1, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "AST": 3, "GST": 4, "IST": 5.5, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AEST": 10,
}
# `بتوقيت <place>`: the time zone of the place named.
_PLACE_ZONES = {
    "مكه": "Asia/Riyadh", "مكه المكرمه": "Asia/Riyadh", "السعوديه": "Asia/Riyadh", "الرياض": "Asia/Riyadh",
    "الامارات": "Asia/Dubai", "ابوظبي": "Asia/Dubai", "دبي": "Asia/Dubai", "ابو ظبي": "Asia/Dubai",
    "القاهره": "Africa/Cairo", "مصر": "Africa/Cairo", "بيروت": "Asia/Beirut", "لبنان": "Asia/Beirut",
    "عمان": "Asia/Amman", "الاردن": "Asia/Amman", "تونس": "Africa/Tunis", "الدوحه": "Asia/Qatar",
    "قطر": "Asia/Qatar", "الكويت": "Asia/Kuwait", "بغداد": "Asia/Baghdad", "العراق": "Asia/Baghdad",
    "دمشق": "Asia/Damascus", "سوريا": "Asia/Damascus", "الرباط": "Africa/Casablanca",
    "المغرب": "Africa/Casablanca", "الجزائر": "Africa/Algiers", "القدس": "Asia/Jerusalem",
    "فلسطين": "Asia/Gaza", "غزه": "Asia/Gaza", "المنامه": "Asia/Bahrain", "البحرين": "Asia/Bahrain",
    "مسقط": "Asia/Muscat", "صنعاء": "Asia/Aden", "الخرطوم": "Africa/Khartoum", "طرابلس": "Africa/Tripoli",
    "غرينتش": "UTC", "جرينتش": "UTC",
}
# How far from the date its time may stand (`19 نوفمبر 2024 - 10:30 ص`).
_TIME_WINDOW = 40

_DIGITS_AND_MARKS = {0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)}
_DIGITS_AND_MARKS |= dict.fromkeys(range(0x064B, 0x0653))  # harakat (`مساءً`)
_DIGITS_AND_MARKS |= {0x066B: ".", 0x066C: ",", 0x060C: "،"}
_ANY_DIGIT = re.compile("[0-9\u0660-\u0669\u06f0-\u06f9]")
_LABEL = re.compile(r"^[^\d:]{1,40}:\s*")  # `تاريخ النشر:`, `Published:`
_ALEF_FORMS = str.maketrans("أإآة", "ااهه")

_DATEPARSER_SETTINGS = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_TIME_AS_PERIOD": True,
    "DATE_ORDER": "DMY",
}
# Two far-apart bases: a text that reads as a different date against each is
# relative (`خلال 100 سنة`), and with no real base it gives no date.
_PROBE_BASES = (datetime(1900, 1, 1), datetime(1950, 6, 15))


@dataclass(frozen=True)
class DateReading:
    """A date as written: its wall-clock parts, and its UTC offset when the
    text gives one. `start`/`end` locate it in the text read."""

    local: datetime  # naive
    has_time: bool
    offset: timedelta | None = None
    zone: tzinfo | None = None  # a named zone written beside it (`بتوقيت مكة`)
    calendar: str = "gregorian"
    start: int = 0
    end: int = 0

    @property
    def day(self) -> date:
        return self.local.date()

    def to_utc(self, zone: tzinfo | None = None) -> datetime:
        """The instant in UTC. A written offset or zone wins, then `zone`;
        a time in an unknown zone keeps only its day (midnight UTC)."""
        if self.offset is not None:
            return (self.local - self.offset).replace(tzinfo=UTC)
        zone = self.zone or zone
        if self.has_time and zone is not None:
            return self.local.replace(tzinfo=zone).astimezone(UTC)
        return datetime.combine(self.day, datetime.min.time(), UTC)

    @property
    def zone_known(self) -> bool:
        return self.offset is not None or self.zone is not None


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@lru_cache(maxsize=64)
def zone_named(name: str | None) -> tzinfo | None:
    """The IANA time zone of that name, or None."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def prepare(text: str) -> str:
    """The text as the patterns read it: Arabic normalized, Western digits, no harakat."""
    return normalize_text(text).translate(_DIGITS_AND_MARKS)


def _month_of(match: re.Match, group: str) -> tuple[int, str] | None:
    """The month number and name a month group matched."""
    for name, value in match.groupdict().items():
        if value and name.startswith(group + "_"):
            return int(name.rsplit("_", 1)[1]), value
    return None


def _zone_after(text: str, pos: int, limit: int) -> tuple[timedelta | None, tzinfo | None]:
    zone = _ZONE.match(text, pos)
    if zone is None or zone.end() > limit:
        return None, None
    if zone["iso"]:
        sign, digits = zone["iso"][0], zone["iso"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return (-offset if sign == "-" else offset), None
    if zone["z"]:
        return timedelta(), None
    if zone["gmt"]:
        offset = timedelta(hours=int(zone["gh"] or 0), minutes=int(zone["gm"] or 0))
        return (-offset if zone["gsign"] == "-" else offset), None
    if zone["abbr"]:
        hours = _ZONE_ABBREVIATIONS.get(zone["abbr"].upper())
        return (timedelta(hours=hours) if hours is not None else None), None
    if zone["place"]:
        words = zone["place"].translate(_ALEF_FORMS).split()
        for candidate in (" ".join(words), words[0]):
            if candidate in _PLACE_ZONES:
                return None, zone_named(_PLACE_ZONES[candidate])
    return None, None


def _time_near(text: str, start: int, end: int):
    """The time of day written just after (or else just before) the date, with
    its UTC offset and named zone: (hour, minute, second, offset, zone) or None."""
    for pos, endpos in ((end, end + _TIME_WINDOW), (max(0, start - _TIME_WINDOW), start)):
        for found in _TIME.finditer(text, pos, endpos):
            if found["mi"] is None and found["ampm"] is None:
                continue  # a bare number, not a time
            hour, ampm = int(found["h"]), (found["ampm"] or "").lower()
            if ampm and 1 <= hour <= 12:  # `13:30 م` is a 24-hour time already
                hour = hour % 12 + (12 if ampm in _AFTERNOON else 0)
            # A zone after a time written before the date stops where the date
            # starts; it may also follow the date (`17:32-9 أبريل 2024 بتوقيت مكة`).
            before = found.end() <= start
            offset, zone = _zone_after(text, found.end(), start if before else len(text))
            if before and offset is None and zone is None:
                offset, zone = _zone_after(text, end, len(text))
            return hour, int(found["mi"] or 0), int(found["s"] or 0), offset, zone
    return None


def _find(patterns, text: str) -> re.Match | None:
    found = [m for m in (p.search(text) for p in patterns) if m]
    return min(found, key=lambda m: m.start()) if found else None


def _reading(text: str, match: re.Match, year: int, month: int, day: int, calendar: str) -> DateReading | None:
    time = _time_near(text, match.start(), match.end())
    hour, minute, second, offset, zone = time or (0, 0, 0, None, None)
    if offset is not None and abs(offset) > timedelta(hours=14):
        return None
    try:
        if calendar == "hijri":
            year, month, day = Hijri(year, month, day).to_gregorian().datetuple()
        local = datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError):  # 31 February, 25:10, a Hijri year out of range
        return None
    return DateReading(local, time is not None, offset, zone, calendar, match.start(), match.end())


def _explicit(text: str, match: re.Match | None, hijri: re.Match | None,
              month_first: bool = False) -> DateReading | None:
    """The date of the first Gregorian (`match`) and Hijri (`hijri`) date patterns found in `text`."""
    if hijri is not None and (match is None or hijri.start() <= match.start()):
        # The Gregorian date beside it wins (`12 رمضان 1445 هـ - 22 مارس 2024`).
        beside = _find(_DATE_PATTERNS, text[hijri.end():])
        if beside is not None:
            gregorian = _explicit_gregorian(text[hijri.end():], beside, month_first)
            if gregorian is not None:
                return gregorian
        month = int(hijri["mo"]) if "mo" in hijri.groupdict() else _month_of(hijri, "m")[0]
        return _reading(text, hijri, int(hijri["y"]), month, int(hijri["d"]), "hijri")
    return _explicit_gregorian(text, match, month_first) if match else None


def _explicit_gregorian(text: str, match: re.Match, month_first: bool = False) -> DateReading | None:
    month = int(match["mo"]) if "mo" in match.groupdict() else _month_of(match, "m")[0]
    other = _month_of(match, "alt")
    if other is not None and other[0] != month:
        return None  # `سبتمبر/آب`: the two names disagree
    day = int(match["d"])
    if "mo" in match.groupdict() and (month > 12 >= day or (month_first and match.re is _DAY_FIRST)):
        day, month = month, day  # 11/19/2024 can only be month first; 11/01/2021 is on a US page
    return _reading(text, match, int(match["y"]), month, day, "gregorian")


def _canonical_month(match: re.Match) -> str:
    """The Gulf/Egyptian name for an Arabic month name, without its other name."""
    month, name = _month_of(match, "m")
    return name if name.isascii() else MONTH_NAMES[month][0]


def _dateparser(text: str, base: datetime) -> datetime | None:
    # Imported when a page needs it (0.1 s of start-up otherwise).
    from dateparser.date import DateDataParser

    parser = DateDataParser(languages=["ar", "en"], settings={**_DATEPARSER_SETTINGS, "RELATIVE_BASE": base})
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    if data.period != "time":  # `أمس`, `منذ يومين`: the day only, not the base's time
        return data.date_obj.replace(hour=0, minute=0, second=0, microsecond=0)
    return data.date_obj


def _relative(text: str, relative_base: datetime | None) -> DateReading | None:
    """A date dateparser reads (relative ones: `منذ 3 ساعات`, `أمس`), only
    against a real base."""
    text = _MONTH_ONLY.sub(_canonical_month, _LABEL.sub("", text))
    if relative_base is None:
        # Without a base a relative date means nothing; an absolute one reads
        # the same against any base.
        first, second = (_dateparser(text, base) for base in _PROBE_BASES)
        if first is None or first != second:
            return None
        value = first
    else:
        value = _dateparser(text, as_utc(relative_base).replace(tzinfo=None))
        if value is None:
            return None
    value = as_utc(value)
    has_time = value.time() != datetime.min.time()
    # Resolved against a UTC base, a relative time is a UTC time.
    offset = timedelta() if has_time and relative_base is not None else None
    return DateReading(value.replace(tzinfo=None), has_time, offset, end=len(text))


def read_date(text: str | None, *, relative_base: datetime | None = None,
              explicit_only: bool = False, month_first: bool = False, short_year: bool = False) -> DateReading | None:
    """The first explicit date in `text` (see the module docstring), else
    (unless `explicit_only`) a date dateparser reads, relative ones resolved
    against `relative_base`; None if there is none or its year is out of range.
    `month_first`: `11/01/2021` is November 1 (pages in US English);
    `short_year`: `31.10.23` is read (a date line's form, not prose's)."""
    if not text or (explicit_only and not _ANY_DIGIT.search(text)):
        return None  # every explicit date has digits: most text pieces are ruled out here
    text = prepare(text)
    if not text:
        return None
    # An explicit date is final: when it is invalid dateparser must not guess another.
    match, hijri = _find(_DATE_PATTERNS, text), _find(_HIJRI_PATTERNS, text)
    if match or hijri:
        reading = _explicit(text, match, hijri, month_first)
    elif short_year and (match := _SHORT_YEAR.search(text)):
        reading = _reading(text, match, 2000 + int(match["y"]), int(match["mo"]), int(match["d"]), "gregorian")
    elif explicit_only:
        return None
    else:
        reading = _relative(text, relative_base)
    if reading is None or not EARLIEST_YEAR <= reading.local.year <= datetime.now(UTC).year + 1:
        return None
    return reading


def parse_date(text: str | None, *, relative_base: datetime | None = None, zone: tzinfo | None = None) -> datetime | None:
    """Parse a date as a page shows it into an aware UTC datetime, or None.

    A time without a written offset is in `zone`; with no zone either, only
    its day is kept. Relative dates (`منذ 3 ساعات`) are resolved against
    `relative_base` only. Labels before the date (`تاريخ النشر:`) may be left in.
    """
    reading = read_date(text, relative_base=relative_base)
    return reading.to_utc(zone) if reading else None


def with_zone(reading: DateReading, offset: timedelta) -> DateReading:
    """The same wall-clock time read with another UTC offset."""
    return replace(reading, offset=offset, zone=None)
