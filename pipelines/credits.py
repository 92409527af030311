"""Credits: which news agency an article comes from, and credit lines out of the body.

Sources of the agency, in order: the item's `source_lines` (set by a parser,
e.g. arabkhabar's `المصدر:` lines) and credit lines at the end of the body:
`المصدر: ...`, `ساهم في إعداد هذا التقرير ...`, a line that is only a
credit (`(وكالات)`), or a credit in parentheses closing the last paragraph
(`... هجومية. (وكالات)`). Those lines leave the body and are kept in
`source_lines`. Only names listed in `AGENCIES` become the agency: a source
line naming an outlet (the article's own or another) is not an agency.

On an aggregator's page the source line closes the article and another story
follows it (`split_at_closing_source`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from crawler.items import ArticleItem
from pipelines.arabic import fold_for_search
from pipelines.base import Normalizer
from pipelines.boilerplate import is_end_marker, join_lines, looks_like_headline, phrase_pattern, related_link

# Canonical agency name -> the ways pages write it. Matched whole (after
# folding spelling variants and punctuation), never inside a longer text, so
# short forms like `أ ب` are safe.
AGENCIES: dict[str, tuple[str, ...]] = {
    "فرانس برس": ("فرانس برس", "فرانس بريس", "أ ف ب", "أ.ف.ب", "AFP", "وكالة الصحافة الفرنسية", "الفرنسية"),
    "رويترز": ("رويترز", "رويتر", "Reuters"),
    "أسوشيتد برس": ("أسوشيتد برس", "أسوشييتد برس", "أسوشيتدبرس", "أ ب", "أ.ب", "AP", "Associated Press"),
    "الأناضول": ("الأناضول", "الأناضول للأنباء", "Anadolu"),
    "وام": ("وام", "WAM", "وكالة أنباء الإمارات"),
    "د ب أ": ("د ب أ", "د.ب.أ", "DPA", "الألمانية", "الأنباء الألمانية", "وكالة الأنباء الألمانية"),
    "أ ش أ": ("أ ش أ", "أ.ش.أ", "MENA", "وكالة أنباء الشرق الأوسط"),
    "واس": ("واس", "SPA", "وكالة الأنباء السعودية"),
    "قنا": ("قنا", "QNA", "وكالة الأنباء القطرية"),
    "كونا": ("كونا", "KUNA", "وكالة الأنباء الكويتية"),
    "بنا": ("بنا", "BNA", "وكالة أنباء البحرين"),
    "سانا": ("سانا", "SANA", "وكالة الأنباء السورية", "الوكالة العربية السورية للأنباء"),
    "بترا": ("بترا", "Petra", "وكالة الأنباء الأردنية"),
    "شينخوا": ("شينخوا", "Xinhua", "وكالة أنباء الصين الجديدة"),
    "تاس": ("تاس", "TASS"),
    "سبوتنيك": ("سبوتنيك", "Sputnik"),
    "ريا نوفوستي": ("ريا نوفوستي", "نوفوستي", "RIA Novosti"),
    "إرنا": ("إرنا", "IRNA"),
    "CNN": ("CNN", "سي إن إن"),
    # The other national agencies of the Arab countries (by their usual Arabic
    # short names: `وات` is TAP, `و.م.ع` MAP, `واج` APS, `واع` INA).
    "العمانية": ("العمانية", "ONA", "العمانية للأنباء", "وكالة الأنباء العمانية"),
    "وفا": ("وفا", "WAFA", "وكالة الأنباء الفلسطينية", "وكالة الأنباء والمعلومات الفلسطينية"),
    "واع": ("واع", "INA", "وكالة الأنباء العراقية"),
    "سبأ": ("سبأ", "Saba", "وكالة الأنباء اليمنية"),
    "الوكالة الوطنية للإعلام": ("الوكالة الوطنية للإعلام", "الوطنية للإعلام", "NNA"),
    "سونا": ("سونا", "SUNA", "وكالة السودان للأنباء"),
    "وات": ("وات", "TAP", "وكالة تونس إفريقيا للأنباء", "وكالة تونس أفريقيا للأنباء"),
    "واج": ("واج", "APS", "وكالة الأنباء الجزائرية"),
    "و.م.ع": ("و.م.ع", "و م ع", "ومع", "لاماب", "MAP", "وكالة المغرب العربي للأنباء"),
    "وكالات": ("وكالات", "الوكالات", "وكالات الأنباء", "agencies"),
}
# Words in front of a name that do not change which agency it is.
AGENCY_PREFIXES = ("وكالة", "وكالة أنباء", "موقع")
# Lines that credit the people who prepared the report: one of the verbs
# opens the line and one of the objects follows (`ساهم في إعداد هذا التقرير
# كل من ... من CNN`, `ساهمت فلانة في إعداد التقرير`). An agency named in the
# line is the article's agency.
CONTRIBUTION_VERBS = ("ساهم", "ساهمت", "ساهموا", "شارك", "شاركت", "شاركوا")
CONTRIBUTION_OBJECTS = ("في إعداد", "في كتابة", "في هذا التقرير", "في التقرير", "في التغطية")
CONTRIBUTION_MAX_WORDS = 40
# `المصدر: X`, `المصدر | X`; several may be glued on one line.
SOURCE_LABEL = "المصدر"
# A source line names its sources in a few words; `المصدر: مسؤول قال إن ...` is a sentence.
SOURCE_NAME_MAX_WORDS = 6

_AGENCY_BY_KEY = {fold_for_search(v): name for name, variants in AGENCIES.items() for v in (name, *variants)}
_PREFIX_KEYS = sorted((fold_for_search(p) for p in AGENCY_PREFIXES), key=len, reverse=True)
_SOURCE_SPLIT = re.compile(rf"{phrase_pattern([SOURCE_LABEL])}\s*[:：|]")
_SOURCE_LINE = re.compile(rf"^\s*{phrase_pattern([SOURCE_LABEL])}\s*[:：|]")
_CONTRIBUTION = re.compile(
    rf"^\s*{phrase_pattern(CONTRIBUTION_VERBS)}\s.*?{phrase_pattern(CONTRIBUTION_OBJECTS)}(?:\s|$)"
)
_LIST_SEPARATOR = re.compile(r"\s*[،,;؛/|+&]\s*|\s+[-–—]\s+")
_PAREN_CREDIT_LINE = re.compile(r"^\s*[(\[]\s*(?P<credit>[^()\[\]]{1,60})\s*[)\]]\s*\.?\s*$")
_TRAILING_PAREN_CREDIT = re.compile(r"\s*[(\[]\s*(?P<credit>[^()\[\]]{1,60})\s*[)\]]\s*\.?\s*$")


@lru_cache(maxsize=16384)  # bylines and credit lines repeat across pages
def agency_of(name: str | None) -> str | None:
    """The canonical agency a name stands for, or None."""
    key = fold_for_search(name)
    if not key:
        return None
    if key in _AGENCY_BY_KEY:
        return _AGENCY_BY_KEY[key]
    for prefix in _PREFIX_KEYS:
        if key.startswith(prefix + " ") and key[len(prefix) + 1:] in _AGENCY_BY_KEY:
            return _AGENCY_BY_KEY[key[len(prefix) + 1:]]
    return None


def agencies_in(credit: str | None) -> list[str]:
    """Agencies named by a credit listing one or more names (`رويترز، أ ف ب`)."""
    found = []
    for part in _LIST_SEPARATOR.split(credit or ""):
        name = agency_of(part)
        if name and name not in found:
            found.append(name)
    return found


def split_source_line(line: str) -> list[str]:
    """The values of one `المصدر` line, glued ones too:
    `المصدر | فرانس برسالمصدر: الخليج الجديد` -> ['فرانس برس', 'الخليج الجديد']."""
    return [part.strip() for part in _SOURCE_SPLIT.split(line) if part.strip()]


def is_source_line(line: str) -> bool:
    return bool(_SOURCE_LINE.match(line))


def _names_sources(line: str) -> bool:
    values = split_source_line(line)
    return is_source_line(line) and bool(values) and all(
        looks_like_headline(value.rstrip(". "), SOURCE_NAME_MAX_WORDS) for value in values
    )


def _is_paragraph(line: str) -> bool:
    return not (looks_like_headline(line) or related_link(line)[0] or is_end_marker(line))


def split_at_closing_source(lines: Sequence[str]) -> tuple[list[str], list[str]]:
    """(article lines, source names): an aggregator closes the article with its
    source lines, and another story follows (the next article's title, related
    headlines, a `read also` link). A source line before any paragraph, or with
    a paragraph after it (a chart's source), is inside the article; nothing
    after an end marker is looked at."""
    seen_paragraph = False
    for i, line in enumerate(lines):
        if is_end_marker(line):
            break
        if seen_paragraph and _names_sources(line):
            end = i
            while end < len(lines) and (not lines[end].strip() or _names_sources(lines[end])):
                end += 1
            if end == len(lines) or not _is_paragraph(lines[end]):
                sources = [name for source in lines[i:end] if source.strip() for name in split_source_line(source)]
                return list(lines[:i]), sources
        seen_paragraph = seen_paragraph or (bool(line.strip()) and _is_paragraph(line))
    return list(lines), []


def _is_credit_only(text: str) -> bool:
    """A parenthesized credit, or a bare name, listing agencies only."""
    match = _PAREN_CREDIT_LINE.match(text)
    credit = match.group("credit") if match else text
    parts = [p for p in _LIST_SEPARATOR.split(credit) if p.strip()]
    return bool(parts) and all(agency_of(p) for p in parts)


def is_contribution_line(line: str) -> bool:
    return bool(_CONTRIBUTION.match(line)) and len(line.split()) <= CONTRIBUTION_MAX_WORDS


def agencies_mentioned(text: str) -> list[str]:
    """Agencies named anywhere in a credit sentence, as whole words. Names of
    fewer than three letters (`أ ب`) are too ambiguous inside a sentence."""
    folded = f" {fold_for_search(text)} "
    found = []
    for key, name in _AGENCY_BY_KEY.items():
        if len(key.replace(" ", "")) >= 3 and f" {key} " in folded and name not in found:
            found.append(name)
    return found


def _credits_of(value: str) -> list[str]:
    """Agencies named by one stored source line."""
    if is_contribution_line(value):
        return agencies_mentioned(value)
    match = _PAREN_CREDIT_LINE.match(value)
    return agencies_in(match.group("credit") if match else value)


def take_trailing_credits(body: str) -> tuple[str, list[str]]:
    """Remove the credit lines that close a body; return (body, credits as found)."""
    lines = body.split("\n")
    credits: list[str] = []
    while lines:
        line = lines[-1].strip()
        if not line:
            lines.pop()
        elif is_source_line(line):
            credits[:0] = split_source_line(line)
            lines.pop()
        elif is_contribution_line(line) or _is_credit_only(line):
            credits.insert(0, line)
            lines.pop()
        else:
            break
    if lines:
        match = _TRAILING_PAREN_CREDIT.search(lines[-1])
        # Only a credit that lists agencies: `(آذار)` or `(رويترز)` inside a
        # quote stays.
        if match and match.start() > 0 and _is_credit_only(match.group("credit")):
            credits.insert(0, match.group("credit").strip())
            lines[-1] = lines[-1][: match.start()].rstrip()
    return join_lines(lines), credits


class CreditsNormalizer(Normalizer):
    """Moves closing credit lines from the body to `source_lines` and sets
    `agency` from the source lines (agencies joined with `، ` when several)."""

    def normalize(self, item: ArticleItem) -> ArticleItem:
        if item.body:
            body, credits = take_trailing_credits(item.body)
            item.body = body or None
            item.source_lines = [*item.source_lines, *(c for c in credits if c not in item.source_lines)]
        if not item.agency:
            found: list[str] = []
            for value in item.source_lines:
                found += [name for name in _credits_of(value) if name not in found]
            item.agency = "، ".join(found) or None
        return item
