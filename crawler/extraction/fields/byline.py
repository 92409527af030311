"""What a byline says: the names in it, and the place and credit it may carry.

A byline is `<prefix> <parts>`: `بقلم: ...`, `كتب - ... - القاهرة`,
`By ... | صحفي`, `الرياض: «الشرق الأوسط»`. The prefix is dropped; the parts
(between dashes, bars, colons, brackets) are as often a place, a role, a news
agency or an outlet as a name, and only names are authors. A part naming
several people (`أحمد علي، منى سعيد و خالد يوسف`) gives each of them.

A byline block may credit several people, each after a label (`كتب: ...
تصوير: ...`, `إعداد: ... تحرير: ...`): a label followed by a colon or a dash
starts a new segment wherever it stands. The writers' labels (the prefixes:
كتب، بقلم، إعداد، تحرير، حوار، تقرير ...) give authors; the labels of other
crafts (`OTHER_CREDIT_LABELS`: the photographer `تصوير`, the translator
`ترجمة`, design, graphics, video) do not: the text's authors are who wrote
it, and a translated article's author is its writer, not its translator.
Their segment gives no name and no credit (`تصوير: رويترز` is the picture's
agency, not the text's).

A job title in front of a name is no part of it (`الكاتب الصحفي عادل
حمودة`, `مراسلنا في بيروت نادين الأسعد`: `JOB_TITLES`); an honorific or a
degree printed with the name is (`د.`، `الدكتور`، `الشيخ`، `المهندس`،
`الأستاذ`, `اللواء`): it is how the outlet prints the person's name, and
telling the two apart in a name is not a byline's job. Desk signatures
(`متابعات`، `خاص`، `الموقع`، `فريق التحرير`، `قسم الأخبار`, `staff`) are
nobody.

Agencies are recognized by the credits normalizer's own list
(`pipelines.credits.agency_of`). The agencies and outlets a line names are its
credits (`القاهرة - رويترز` -> رويترز), for that normalizer; a line that names
nobody is a dateline, not a byline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from crawler.extraction.page import clean, unique
from crawler.outlets import by_source_name
from pipelines.arabic import fold_for_search
from pipelines.boilerplate import phrase_pattern
from pipelines.credits import agency_of

# Prefixes a space may follow (`كتب محمد علي`), and those that need a colon or
# a dash because they also open ordinary sentences (`تقرير صادر عن ...`).
LOOSE_PREFIXES = ("كتب", "كتبت", "كتبه", "كتبها", "بقلم", "بواسطة", "نشر بواسطة", "By", "Written by", "Posted by",
                  "Author")
STRICT_PREFIXES = (
    "إعداد", "تقرير", "تحرير", "حوار", "متابعة", "تغطية", "الكاتب", "الكاتبة",
    "Reporting by", "Report by",
)
# `مراسل الجزيرة نت: ...`, `من مراسلنا في بيروت - ...`: a few words may name the outlet.
REPORTER_PREFIXES = ("مراسل", "مراسلة", "مراسلنا", "مراسلتنا")
# Labels of the crafts other than writing: their names are not the text's authors.
OTHER_CREDIT_LABELS = (
    "تصوير", "عدسة", "ترجمة", "تصميم", "جرافيك", "إنفوجراف", "انفوجراف", "إنفوجرافيك", "رسوم", "رسم", "فيديو",
    "مونتاج", "إخراج", "تدقيق", "تدقيق لغوي", "مراجعة", "Photo", "Photos", "Photography", "Translation",
    "Video", "Graphics", "Illustration",
)
# ... the same in English with `by` (`Photo by ...`): no colon needed.
OTHER_CREDIT_BY = ("Photo by", "Photos by", "Photography by", "Translated by", "Video by", "Graphics by",
                   "Illustration by", "Illustrations by")
# Job titles printed before a name (`الكاتب الصحفي عادل حمودة`,
# `الإعلامي أحمد موسى`), with the words that qualify them (`المحلل السياسي`).
JOB_TITLES = (
    "الكاتب", "الكاتبة", "الصحفي", "الصحفية", "الصحافي", "الصحافية", "الإعلامي", "الإعلامية", "الزميل",
    "الزميلة", "مراسلنا", "مراسلتنا", "المراسل", "المراسلة", "المحرر", "المحررة", "المدون", "المدونة",
    "الأديب", "الأديبة", "الشاعر", "الشاعرة", "الروائي", "الروائية", "المحلل", "المحللة", "الباحث",
    "الباحثة", "الناقد", "الناقدة",
)
TITLE_QUALIFIERS = ("الصحفي", "الصحفية", "الصحافي", "الصحافية", "الإعلامي", "الإعلامية", "السياسي",
                    "السياسية", "الاقتصادي", "الاقتصادية", "الرياضي", "الرياضية", "العسكري", "العسكرية",
                    "الكبير", "الكبيرة")
# A part that starts with one of these (or ends with one: `Staff Writer`) is
# the writer's role, not a name.
ROLE_WORDS = (
    "صحفي", "صحفية", "صحافي", "صحافية", "الصحفي", "الصحفية", "كاتب", "كاتبة", "محرر", "محررة",
    "مراسل", "مراسلة", "محلل", "محللة", "باحث", "باحثة", "أستاذ", "أستاذة", "رئيس", "رئيسة",
    "مدير", "مديرة", "خبير", "خبيرة", "مستشار", "مستشارة", "مدون", "مدونة", "كبير",
    "journalist", "reporter", "correspondent", "editor", "writer", "columnist", "analyst",
    "contributor", "senior", "chief", "staff", "desk", "newsdesk", "team", "newsroom",
)
# Accounts and desks that sign articles without being anyone.
NOT_PEOPLE = (
    "admin", "administrator", "editor", "webmaster", "staff", "guest", "user", "unknown", "anonymous",
    "newsroom", "editorial", "desk", "المحرر", "محرر", "التحرير", "الإدارة", "الادارة", "زائر",
    "غير معروف", "مجهول", "مشرف", "المشرف", "no author", "follow", "edit", "share", "published",
    "تابع", "تابعونا", "شارك", "مشاركة", "تعديل", "newsdesk",
    # The days of a date printed beside the name (`... | Monday, November 18`).
    "السبت", "الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday",
)
# First words of a desk's signature: `فريق التحرير`, `محرر الموقع`, `Editorial team`.
# Desk labels too: `متابعات` (roundup), `خاص` (exclusive), `الموقع` (the site).
DESK_WORDS = ("admin", "editor", "editorial", "staff", "team", "فريق", "هيئة", "أسرة", "قسم", "إدارة",
              "ادارة", "محرر", "المحرر", "مدير", "وحدة", "مكتب", "ديسك", "الديسك", "متابعات", "متابعة",
              "خاص", "حصري", "رصد", "تقارير", "ترجمات", "الموقع", "الأخبار", "أخبار", "محليات")
# Words around an outlet's name that do not change which outlet it is.
OUTLET_WORDS = ("موقع", "صحيفة", "جريدة", "بوابة", "مجلة", "قناة", "شبكة", "تلفزيون", "راديو", "إذاعة")
OUTLET_SUFFIXES = ("نت", "net", "online", "أونلاين", "اونلاين")
# Datelines: where the report was filed.
PLACES = (
    "القاهرة", "الإسكندرية", "الجيزة", "الأقصر", "أسوان", "الرياض", "جدة", "مكة", "مكة المكرمة",
    "المدينة المنورة", "الدمام", "دبي", "أبوظبي", "أبو ظبي", "الشارقة", "عجمان", "الفجيرة",
    "رأس الخيمة", "العين", "الدوحة", "الكويت", "المنامة", "مسقط", "صنعاء", "عدن", "عمان", "بيروت",
    "دمشق", "حلب", "بغداد", "البصرة", "أربيل", "الموصل", "القدس", "رام الله", "غزة", "الخليل",
    "نابلس", "الرباط", "الدار البيضاء", "مراكش", "طنجة", "فاس", "الجزائر", "وهران", "تونس",
    "صفاقس", "طرابلس", "بنغازي", "الخرطوم", "نواكشوط", "مقديشو", "جيبوتي", "إسطنبول", "اسطنبول",
    "أنقرة", "طهران", "واشنطن", "نيويورك", "لندن", "باريس", "برلين", "موسكو", "بكين", "طوكيو",
    "جنيف", "بروكسل", "روما", "مدريد", "فيينا", "كييف", "نيودلهي", "إسلام آباد", "كابول",
    "عواصم", "العواصم",
)
# Words no name holds: a part with one is a sentence (`كتب الرئيس على منصته`)
# or a link (`المزيد من مقالات الكاتب`).
SENTENCE_WORDS = ("في", "على", "عن", "من", "إلى", "الى", "مع", "أن", "إن", "هذا", "هذه", "التي", "الذي", "قد",
                  "لا", "ما", "كان", "كل", "جميع", "المزيد", "مقالات", "the", "of", "in", "on", "at", "for", "to",
                  "is", "more", "all", "articles", "posts")
# First names that begin with و, which is otherwise `and` glued to the next name.
WAW_NAMES = ("وليد", "وائل", "وفاء", "وسام", "وجدي", "وحيد", "وديع", "وهيب", "ولاء", "وداد", "وصفي",
             "وفيق", "وضاح", "وئام", "وردة", "وهبة", "وهبي", "وسيم", "وجيه", "وصال", "ورود")
MAX_NAME_WORDS = 7
# Past this many words after its prefix a line is a sentence, unless a colon
# closes the byline inside its first words (`كتب - محمد علي: أعلنت ...`).
MAX_LINE_WORDS = 8

_SEP = r"\s*[:：\-–—ـ]+\s*"
_PREFIX = re.compile(
    rf"^\s*(?:{phrase_pattern(LOOSE_PREFIXES)}(?:{_SEP}|\s+)"
    rf"|(?:{phrase_pattern(STRICT_PREFIXES)}|(?:من\s+)?{phrase_pattern(REPORTER_PREFIXES)}"
    rf"(?:\s+[^\s:：\-–—ـ|]+){{0,3}}?){_SEP})",
    re.IGNORECASE,
)
# A label inside a byline, where a segment starts (`كتب: ... تصوير: ...`).
_SEGMENT = re.compile(
    rf"(?<![^\s|｜•·،,؛;(\[])(?:{phrase_pattern(OTHER_CREDIT_LABELS + LOOSE_PREFIXES + STRICT_PREFIXES)}{_SEP}"
    rf"|{phrase_pattern(OTHER_CREDIT_BY)}\s)",
    re.IGNORECASE,
)
_OTHER_CREDIT = re.compile(
    rf"^\s*(?:{phrase_pattern(OTHER_CREDIT_LABELS)}(?:{_SEP}|\s)|{phrase_pattern(OTHER_CREDIT_BY)}\s)", re.IGNORECASE)
_TITLE_START = re.compile(rf"^(?:من\s+)?{phrase_pattern(JOB_TITLES + REPORTER_PREFIXES)}\s")
# `مراسلنا في بيروت ...`, `مراسل الجزيرة في القاهرة ...`: up to the place.
_REPORTER_IN = re.compile(rf"^(?:من\s+)?{phrase_pattern(REPORTER_PREFIXES)}(?:\s+\S+){{0,3}}?\s+(?:في|من)\s+")
# Between a name and a place, role, agency or outlet.
_PARTS = re.compile(
    r"\s*[|｜•·:：()\[\]+]\s*|\s+/\s+|\s+[-–—ـ]+\s*|\s*[-–—ـ]+\s+|[–—]|(?<=[\u0600-\u06ff])-(?=[\u0600-\u06ff])"
)
# Between names.
_NAMES = re.compile(r"\s*[،,؛;]\s*|\s+(?:و|and|&)\s+", re.IGNORECASE)
_FILED_FROM = re.compile(r"\s+(?:من|في)\s+(\S+(?:\s\S+)?)$")
_DOMAIN = re.compile(r"\w\.(?:com|net|org|news|info|ae|sa|eg|ma|qa|kw|jo|lb)\b", re.IGNORECASE)
# An outlet in quotes: `«الشرق الأوسط»` (a few words, not a quoted sentence).
_QUOTED = re.compile(r"^[«\"“][^\W\d_](?:[^\W_]|\s){1,35}[»\"”]$")
_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
_LOGIN = re.compile(r"[a-z0-9._-]+")
# Letters (with their diacritics), spaces, and the dots and dashes of `د.`, `Jean-Pierre`.
_NAME_CHARS = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u064b-\u065f\u0670\s.'’-])*")
_EDGE_PUNCT = " \t:：-–—ـ|،,.;؛"

# Bylines repeat across pages (the same names, places, desks): each text is
# folded and looked up once.
_fold = lru_cache(maxsize=16384)(fold_for_search)
_outlet_named = lru_cache(maxsize=4096)(by_source_name)
_PLACE_KEYS = {_fold(p) for p in PLACES}
_ROLE_KEYS = {_fold(r) for r in ROLE_WORDS}
_NOT_PEOPLE_KEYS = {_fold(n) for n in NOT_PEOPLE}
_DESK_KEYS = {_fold(w) for w in DESK_WORDS}
_OUTLET_WORD_KEYS = {_fold(w) for w in OUTLET_WORDS}
_OUTLET_SUFFIX_KEYS = {_fold(w) for w in OUTLET_SUFFIXES}
_WAW_KEYS = {_fold(n) for n in WAW_NAMES}
_TITLE_KEYS = {_fold(t) for t in JOB_TITLES}
_LABEL_KEYS = {_fold(t) for t in (*LOOSE_PREFIXES, *STRICT_PREFIXES, *REPORTER_PREFIXES, *OTHER_CREDIT_LABELS,
                                  *OTHER_CREDIT_BY)}
_QUALIFIER_KEYS = {_fold(t) for t in TITLE_QUALIFIERS}


@dataclass
class Site:
    """What a byline can say of the page's own outlet: its names and host."""

    names: list[str] = field(default_factory=list)
    url: str = ""

    def __post_init__(self):
        self.keys = {_outlet_key(n) for n in self.names} - {""}
        self.host = (urlsplit(self.url).hostname or "").lower()

    def is_outlet(self, text: str) -> bool:
        """The page's outlet (`صحيفة الخليج` for `الخليج`, `Hespress` on
        hespress.com) or another known outlet."""
        key = _outlet_key(text)
        if not key:
            return False
        if key in self.keys:
            return True
        latin = re.sub(r"[\s.\-_]", "", text.lower())
        if len(latin) >= 4 and _LOGIN.fullmatch(latin) and latin in self.host.replace("-", ""):
            return True
        return _outlet_named(text) is not None


@dataclass
class Parsed:
    names: list[str]
    # Agencies and outlets the line credits, as written (`رويترز`, `«الخليج»`).
    credits: list[str] = field(default_factory=list)
    # Whether it names a place (a dateline: `القاهرة - رويترز`, `واشنطن: علي بردى`).
    place: bool = False

    @property
    def dateline(self) -> bool:
        """A dateline or credit rather than a byline: nobody is named."""
        return not self.names and (bool(self.credits) or self.place)


def strip_prefix(text: str) -> str:
    """The text without its byline prefix (`بقلم:`, `كتب -`, `By`)."""
    return _PREFIX.sub("", text, count=1)


def byline_head(line: str) -> str:
    """The byline that opens a line of text (`كتب - محمد علي:` of `كتب - محمد
    علي: أعلنت ...`), the whole line if it is only a byline, else ""."""
    match = _PREFIX.match(line)
    if not match:
        return ""
    rest = line[match.end():]
    if len(rest.split()) <= MAX_LINE_WORDS:
        return line.strip()
    colon = re.match(r"[^:：.،]+?[:：]", rest)
    if colon and len(colon.group().split()) <= MAX_NAME_WORDS - 2:
        return (line[:match.end()] + colon.group()).strip()
    return ""


def parse(text: str, site: Site) -> Parsed:
    """The names, credits and place of a byline or a declared author, read
    segment by segment (`كتب: ... تصوير: ...`); a segment of another craft
    (`تصوير: ...`) gives nothing."""
    text = clean(_ADDRESS.sub(" ", text or ""))
    starts = [m.start() for m in _SEGMENT.finditer(text) if m.start() > 0]
    if not starts:
        return Parsed([]) if _OTHER_CREDIT.match(text) else _parse_segment(text, site)
    parsed = Parsed([])
    for start, end in zip([0, *starts], [*starts, len(text)]):
        segment = text[start:end]
        if _OTHER_CREDIT.match(segment):
            continue
        one = _parse_segment(segment, site)
        parsed.names = unique(parsed.names + one.names)
        parsed.credits += one.credits
        parsed.place = parsed.place or one.place
    return parsed


def parse_lines(lines: list[str], site: Site) -> Parsed:
    """A byline block printed on several lines. A line opening with a
    writer's label (`بقلم`, `By`, `كتب:`, a job title) gives the names; one
    opening with another craft's label (`تصوير:`) gives nothing; a label
    alone on its line labels the next (`بواسطة` / `خالد منصور`). Where a
    writer's label stands, the unlabelled lines are what surrounds it (a
    date's label, a comment link, a sponsor's note) and give only their
    credits and place (`By ...` / `Associated Press`); else they are the parts
    of one byline (`أحمد علي` / `منى سعيد`, `Anna Menin` / `Share`)."""
    if len(lines) == 1:
        return parse(lines[0], site)
    labelled, plain = [], []
    label = ""
    for line in lines:
        if label:
            line, label = f"{label} {line}", ""
        elif _fold(line) in _LABEL_KEYS:
            label = line
            continue
        if _OTHER_CREDIT.match(line):
            continue
        (labelled if _PREFIX.match(line) or _TITLE_START.match(line) else plain).append(line)
    if not labelled:
        return parse(" | ".join(plain), site)
    parsed = Parsed([])
    for line in labelled + plain:
        one = parse(line, site)
        if line in labelled:
            parsed.names = unique(parsed.names + one.names)
        parsed.credits += one.credits
        parsed.place = parsed.place or one.place
    return parsed


def _parse_segment(text: str, site: Site) -> Parsed:
    text = strip_prefix(text.strip(_EDGE_PUNCT)).strip(_EDGE_PUNCT)
    parts = [_without_title(p.strip(_EDGE_PUNCT)) for p in _PARTS.split(text)]
    kinds = [(part, _kind(part, site)) for part in parts if part]
    parsed = Parsed([], [part for part, kind in kinds if kind in ("agency", "outlet")],
                    any(kind == "place" for _, kind in kinds))
    found = []  # (part, its names)
    for part, kind in kinds:
        if kind != "name":
            continue
        filed = _FILED_FROM.search(part)
        if filed and _fold(filed.group(1)) in _PLACE_KEYS:
            part, parsed.place = part[:filed.start()], True  # `محمد علي من القاهرة`
        if _is_sentence(part):
            continue
        chunks = (_without_trailing_agency(n, parsed.credits) for n in _split_names(part))
        found.append((part, [n for n in chunks if n and is_name(n, site)]))
    full_name = any(" " in name for _, names in found for name in names)
    # A lone word beside a full name or a credit is the place or the outlet's
    # brand (`هسبريس - مصطفى شاكري`, `المنيا - رويترز`).
    parsed.names = unique(name for part, names in found
                          if " " in part or len(kinds) == 1 or not (full_name or parsed.credits and not parsed.place)
                          for name in names)
    return parsed


def is_name(name: str, site: Site) -> bool:
    key = _fold(name)
    words = key.split()
    return (
        0 < len(words) <= MAX_NAME_WORDS
        and bool(_NAME_CHARS.fullmatch(name))
        and not (_LOGIN.fullmatch(name) and " " not in name)  # a login, `mohamed_ali`
        and not _is_sentence(name)
        and key not in _NOT_PEOPLE_KEYS and key not in _LABEL_KEYS and words[0] not in _DESK_KEYS
        and words[0] not in _ROLE_KEYS and words[-1] not in _ROLE_KEYS and key not in _PLACE_KEYS
        and not _DOMAIN.search(name)
        and not agency_of(name) and not site.is_outlet(name)
    )


def _without_title(part: str) -> str:
    """The part without the job title before the name (`الكاتب الصحفي عادل
    حمودة`, `مراسلنا في بيروت نادين الأسعد`); a title alone stays (a role)."""
    if not _TITLE_START.match(part):
        return part
    words = part.split()
    filed = _REPORTER_IN.match(part)
    if filed:
        rest = part[filed.end():].split()
        for size in (2, 1):
            if len(rest) > size and _fold(" ".join(rest[:size])) in _PLACE_KEYS:
                return " ".join(rest[size:])
    count = 0
    while count < len(words) - 1:
        key = _fold(words[count])
        if count and key.startswith("و"):
            key = key[1:]  # `الكاتب والمحلل السياسي`
        if not (key in _TITLE_KEYS or count and key in _QUALIFIER_KEYS):
            break
        count += 1
    return " ".join(words[count:]) if count else part


def _without_trailing_agency(name: str, credits: list[str]) -> str:
    """`Tom Davies Associated Press` (or an agency listed among the names):
    the agency goes to `credits`."""
    if agency_of(name):
        credits.append(name)
        return ""
    words = name.split()
    for size in (3, 2, 1):
        if len(words) - size >= 2 and agency_of(" ".join(words[-size:])):
            credits.append(" ".join(words[-size:]))
            return " ".join(words[:-size])
    return name


def _is_sentence(text: str) -> bool:
    # Unfolded: folded, `على` would be the name `علي`.
    return bool(set(SENTENCE_WORDS).intersection(text.lower().split()))


def _kind(part: str, site: Site) -> str:
    if all(map(agency_of, _NAMES.split(part))):  # `رويترز`, `رويترز، أ ف ب`
        return "agency"
    if _QUOTED.match(part) or (" " not in part and _DOMAIN.search(part)) or site.is_outlet(part):
        return "outlet"
    key = _fold(part)
    if key in _PLACE_KEYS:
        return "place"
    if not key or key.split()[0] in _ROLE_KEYS:
        return "role"
    return "name"


def _split_names(part: str) -> list[str]:
    """`أحمد علي، منى سعيد و خالد يوسف` and `أحمد علي ومنى سعيد`: one name each.
    A glued `و` starts a new name only between two names of two words or more."""
    names = []
    for chunk in _NAMES.split(part):
        words = chunk.split()
        start = 0
        for i in range(2, len(words) - 1):
            word = words[i]
            if (i - start >= 2 and word.startswith("و") and len(word) > 3
                    and _fold(word) not in _WAW_KEYS):
                names.append(" ".join(words[start:i]))
                words[i] = word[1:]
                start = i
        names.append(" ".join(words[start:]))
    return [n.strip(_EDGE_PUNCT) for n in names if n.strip(_EDGE_PUNCT)]


def _outlet_key(text: str) -> str:
    words = _fold(text).split()
    while words and words[0] in _OUTLET_WORD_KEYS:
        words.pop(0)
    while len(words) > 1 and words[-1] in _OUTLET_SUFFIX_KEYS:
        words.pop()
    return " ".join(words)
