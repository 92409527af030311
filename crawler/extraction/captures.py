"""Text captures (a page's visible text saved as .txt) to `ArticleItem`s.

The template is recognised from the text itself, never from the file name:
each template in `TEMPLATES` lists marker lines with a weight, a brand line
(`<brand> logo`) votes for the template its outlet declares
(`Outlet.capture_template`), and the best score wins; below `MIN_SCORE` the
generic parser takes the page. The layouts are described in OUTLETS.md:

- arabkhabar: an aggregator's republication. Optional header `<source>:` and
  capture time `YYYY-MM-DD@HH:MM:SS GMT`; title; `تاريخ النشر: <date>`; the
  title again; body; `المصدر: <source>` lines (the outlet is the one they
  name); `كلمات دلالية: ...`; `إقرأ أيضاً:` and an unrelated story. The keyword
  line is space-separated with multi-word keywords, so it cannot be split
  reliably: it is kept whole as the only entry of `tags`.
- aawsat: title, subtitle, captions (twice), a dateline, `TT` (the logo's
  text), the title and captions again, body, `مقالات ذات صلة` or the next
  article of the infinite scroll. Opinion columns start with the writer's name
  and bio; the old archive is title, `TT`, body.
- khaberain: `<brand> logo`, title, teaser (-> subtitle), lede, `Loading...`,
  caption, `التصنيف:<section>`, share bar, the original headline, body. The
  teaser often ends by sending the reader to the site by name (`... اكتشف
  التفاصيل على خَبَرَيْن`): that line is a brand mark too, for captures
  without the logo line.
- jannah (WordPress theme): section, title, body, `اترك تعليقاً`, comment notice,
  `زر الذهاب إلى الأعلى`.
- generic: menus and placeholders aside, a short first line is the title, the
  rest the body. An aggregator's source line (`المصدر: ...`) ends the article:
  it is a credit (the outlet is the one it names), and what follows is another
  story.

Every parser ends with the shared boilerplate cleanup (`pipelines.boilerplate`);
credit lines are left to the credits normalizer, date strings stay raw for the
dates normalizer.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from crawler.items import ArticleItem
from crawler.outlets import Outlet, all_outlets, by_source_name, by_url
from pipelines.arabic import repair_mojibake
from pipelines.boilerplate import (
    clean_lines, comparison_key, drop_page_chrome, is_end_marker, is_noise_line, looks_like_headline,
    phrase_pattern,
)
from pipelines.credits import agency_of, is_source_line, split_at_closing_source, split_source_line

PARSER_PREFIX = "capture:"
MIN_SCORE = 3
# A brand line such as `خَبَرَيْن logo`: the logo's alt text.
BRAND_LINE = re.compile(r"^(?P<brand>.{2,40}?)\s+logo$", re.IGNORECASE)
BRAND_WEIGHT = 3
# The `<source name>:` header of an arabkhabar capture.
HEADER_MAX_WORDS = 5
# Lines from the top where a brand line (`<brand> logo`) may be.
HEAD_LINES = 5


def _marker(pattern: str, weight: int) -> tuple[re.Pattern, int]:
    return re.compile(pattern, re.IGNORECASE), weight


def _line(*phrases: str) -> str:
    return rf"^\s*{phrase_pattern(phrases)}[\s:.]*$"


_CAPTURE_TIME = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}(?:\s*GMT)?)\s*$")
_PUBLISHED = re.compile(rf"^\s*{phrase_pattern(['تاريخ النشر'])}\s*[:：]\s*(?P<date>.*?)\s*$")
_KEYWORDS = re.compile(rf"^\s*{phrase_pattern(['كلمات دلالية'])}\s*[:：]\s*(?P<keywords>.*?)\s*$")
_TRAILING_READ_ALSO = re.compile(_line("إقرأ أيضاً"))
_SECTION_LABEL = re.compile(rf"^\s*{phrase_pattern(['التصنيف'])}\s*[:：]\s*(?P<section>.+?)\s*$")
_SHARE_LABEL = re.compile(rf"^\s*{phrase_pattern(['شارك الخبر', 'شارك'])}\s*[:：]?\s*$")
_LOADING = re.compile(_line("Loading...", "Loading"))
_LOGO_TEXT = "TT"
_RELATED_BLOCK = re.compile(_line("مقالات ذات صلة"))
# `بكين:«الشرق الأوسط»`, `واشنطن: علي بردى`: a place and a credit (quoted,
# or a name of a few words) before `TT`.
_DATELINE = re.compile(r"^\s*[^\s:«»]+(?:\s[^\s:«»]+){0,2}\s*:\s*(?:«[^«»]{2,30}»|[^\W\d]+(?:\s[^\W\d]+){0,3})\s*$")
# A caption credits its photo: `... (رويترز)`, `... (أ.ف.ب)`.
_PHOTO_CREDIT = re.compile(r"\([^()]{2,40}\)\s*$")
_HASHTAGS = re.compile(r"(?:\s*#\w+)+\s*$")
_BREADCRUMB_SEPARATOR = re.compile(r"\s*[»›>/]\s*")
# Headings of the jannah layout: the section and the title.
SECTION_MAX_WORDS = 5
TITLE_MAX_WORDS = 30
# An opinion column starts with the writer's name.
WRITER_MAX_WORDS = 7
# Lines after the title where khaberain's head (teaser to share bar) may end.
KHABERAIN_HEAD_LINES = 10
# A teaser's closing call to visit the site is one short sentence.
SITE_CALL_MAX_WORDS = 8


@dataclass(frozen=True)
class Template:
    name: str
    markers: tuple[tuple[re.Pattern, int], ...]
    parse: Callable[[list[str], ArticleItem], None]
    # The republisher the capture was read from, when the template is an aggregator's.
    via: str | None = None


# --- helpers ----------------------------------------------------------------


def _text_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and comparison_key(a) == comparison_key(b)


def _outlet_of_template(name: str) -> Outlet | None:
    return next((o for o in all_outlets() if o.capture_template == name), None)


def _first(lines: Sequence[str], predicate: Callable[[str], bool], start: int = 0) -> int | None:
    return next((i for i in range(start, len(lines)) if predicate(lines[i])), None)


def _set_body(item: ArticleItem, lines: Sequence[str]) -> None:
    cleaned = clean_lines(lines, title=item.title, captions=item.captions)
    item.body = "\n\n".join(line for line in cleaned if line.strip()) or None


def _add_caption(item: ArticleItem, line: str) -> None:
    if not any(_same(line, c) for c in item.captions):
        item.captions.append(line)


def _outlet_from_credits(item: ArticleItem, header: str | None, sources: list[str]) -> None:
    """The outlet is the one the header or a source line names; agencies are
    credits, not outlets. An unknown outlet keeps its name only."""
    names = [n for n in (header, *sources) if n and not agency_of(n)]
    for name in names:
        outlet = by_source_name(name)
        if outlet:
            item.outlet, item.outlet_name = outlet.slug, name
            return
    item.outlet_name = header or (names[-1] if names else None)


# --- arabkhabar ---------------------------------------------------------------


def parse_arabkhabar(lines: list[str], item: ArticleItem) -> None:
    start, header = 0, None
    if lines and lines[0].endswith(":") and not _PUBLISHED.match(lines[0]) and (
        (len(lines) > 1 and _CAPTURE_TIME.match(lines[1])) or looks_like_headline(lines[0][:-1], HEADER_MAX_WORDS)
    ):
        header, start = lines[0].rstrip(":").strip(), 1
    if start < len(lines) and (match := _CAPTURE_TIME.match(lines[start])):
        item.captured_raw, start = match.group(1), start + 1

    date_at = _first(lines, _PUBLISHED.match, start)
    if date_at is not None:
        item.published_raw = _PUBLISHED.match(lines[date_at]).group("date") or None
        if date_at > start:
            item.title = lines[date_at - 1]
        body_start = date_at + 1
    else:
        body_start = start
        # Without a date line the title is known only if it is repeated or reads as one.
        if len(lines) > start + 1 and (
            _same(lines[start], lines[start + 1]) or looks_like_headline(lines[start], max_words=15)
        ):
            item.title, body_start = lines[start], start + 1

    tail_at = _first(lines, lambda l: is_source_line(l) or bool(_KEYWORDS.match(l)), body_start)
    body_end = len(lines) if tail_at is None else tail_at
    sources: list[str] = []
    for line in lines[body_end:]:
        if _TRAILING_READ_ALSO.match(line):
            break  # an unrelated story follows
        if is_source_line(line):
            sources += split_source_line(line)
        elif match := _KEYWORDS.match(line):
            if match.group("keywords"):
                item.tags = [match.group("keywords")]
    item.source_lines = sources
    _outlet_from_credits(item, header, sources)
    _set_body(item, lines[body_start:body_end])


# --- aawsat -------------------------------------------------------------------


def _is_caption(lines: Sequence[str], i: int) -> bool:
    """Captions are printed twice in a row, or end with a photo credit."""
    line = lines[i]
    repeated = (i > 0 and lines[i - 1] == line) or (i + 1 < len(lines) and lines[i + 1] == line)
    return repeated or bool(_PHOTO_CREDIT.search(line))


def _next_article_start(lines: Sequence[str], logo_at: int, floor: int) -> int:
    """Where the scrolled-in article whose logo line (`TT`) is `lines[logo_at]`
    begins. Its title is printed again after the logo; between the title and
    the logo sit an optional subtitle, captions (printed twice) and a dateline.
    An archive article has its title alone before the logo, an opinion column
    the writer's name and bio."""
    next_title = lines[logo_at + 1] if logo_at + 1 < len(lines) else None
    title_at = None
    k = logo_at - 1
    while k > floor:
        if _same(lines[k], next_title):
            title_at = k
        elif not (lines[k] in (lines[k - 1], lines[k + 1]) or _DATELINE.match(lines[k])):
            break
        k -= 1
    if title_at is not None:
        return title_at
    if k > floor and _same(lines[k - 1], next_title):
        return k - 1  # title, subtitle, captions
    if k > floor and not looks_like_headline(lines[k]) and looks_like_headline(lines[k - 1], WRITER_MAX_WORDS):
        return k - 1  # writer, bio
    return k


def parse_aawsat(lines: list[str], item: ArticleItem) -> None:
    logos = [i for i, line in enumerate(lines) if line == _LOGO_TEXT]
    logo_at = logos[0]
    pre, post = lines[:logo_at], lines[logo_at + 1:]
    post_title = post[0] if post else None

    # An opinion column prints the writer and a bio before the logo, the title
    # only after it; elsewhere the title comes first and is repeated after it.
    title_repeated = any(_same(line, post_title) for line in pre)
    opinion = (
        not title_repeated and len(pre) >= 2 and len(post) > 1
        and looks_like_headline(post_title or "") and looks_like_headline(pre[0], WRITER_MAX_WORDS)
        and not _is_caption(pre, 0)
    )
    if opinion:
        item.authors = [pre[0]]
        item.title = post_title
        head = [item.title]
    else:
        if title_repeated or not pre or (_is_caption(pre, 0) and looks_like_headline(post_title or "")):
            item.title = post_title
        else:
            item.title = pre[0]
        head = list(pre)
        for i, line in enumerate(pre):
            if _same(line, item.title) or _DATELINE.match(line):
                continue
            if _is_caption(pre, i):
                _add_caption(item, line)
            elif item.subtitle is None:
                item.subtitle = line
            else:
                _add_caption(item, line)

    body_start = logo_at + 1
    # The title, subtitle and captions are printed again after the logo.
    while body_start < len(lines) and any(_same(lines[body_start], h) for h in head):
        body_start += 1
    body_end = len(lines)
    related_at = _first(lines, _RELATED_BLOCK.match, body_start)
    if related_at is not None:
        body_end = related_at
    later_logos = [i for i in logos if body_start < i < body_end]
    if later_logos:
        body_end = _next_article_start(lines, later_logos[0], body_start)
    outlet = _outlet_of_template("aawsat")
    if outlet:
        item.outlet, item.outlet_name = outlet.slug, outlet.name_ar
    _set_body(item, lines[body_start:body_end])


# --- khaberain ----------------------------------------------------------------


def _brand_outlet(lines: Sequence[str]) -> tuple[int, Outlet] | None:
    for i, line in enumerate(lines[:HEAD_LINES]):
        match = BRAND_LINE.match(line)
        if match and (outlet := by_source_name(match.group("brand"))):
            return i, outlet
    return None


@lru_cache(maxsize=None)
def _site_call(names: tuple[str, ...]) -> re.Pattern:
    """The last sentence of a line when it ends `على <site>` (`اكتشف التفاصيل على خَبَرَيْن`)."""
    return re.compile(rf"(?:^|(?<=[.!؟?]))[^.!؟?]*\s{phrase_pattern(['على'])}\s+{phrase_pattern(names)}[\s.!؟?]*$")


def _site_teaser(lines: Sequence[str]) -> tuple[int, Outlet] | None:
    """Where a teaser naming the khaberain site stands under the title, and the outlet."""
    outlet = _outlet_of_template("khaberain")
    if outlet is None or not outlet.source_names:
        return None
    call = _site_call(outlet.source_names)
    for i in range(1, min(len(lines), HEAD_LINES)):
        if call.search(_HASHTAGS.sub("", lines[i])):
            return i, outlet
    return None


def _teaser(line: str, brand_names: Sequence[str]) -> str:
    """A teaser without its hashtags or its closing call to discover more on the site."""
    text = _HASHTAGS.sub("", line).strip()
    call = _site_call(tuple(brand_names)).search(text) if brand_names else None
    if call and len(call.group().split()) <= SITE_CALL_MAX_WORDS:
        text = text[: call.start()]
    return text.strip()


def parse_khaberain(lines: list[str], item: ArticleItem) -> None:
    logo, site_teaser = _brand_outlet(lines), _site_teaser(lines)
    if logo:
        title_at, outlet = logo[0] + 1, logo[1]
    elif site_teaser:
        # Without the logo line, the teaser that names the site follows the title.
        title_at, outlet = site_teaser[0] - 1, site_teaser[1]
    else:
        title_at, outlet = 0, _outlet_of_template("khaberain")
    item.title = lines[title_at] if title_at < len(lines) else None
    if outlet:
        item.outlet, item.outlet_name = outlet.slug, outlet.name_ar

    # The head (teaser, lede, photo, section, share bar) ends at the last of
    # its markers; the photo caption follows `Loading...`.
    head_end = title_at
    for i in range(title_at + 1, min(len(lines), title_at + 1 + KHABERAIN_HEAD_LINES)):
        line = lines[i]
        if match := _SECTION_LABEL.match(line):
            item.section, head_end = match.group("section"), i
        elif _LOADING.match(line):
            head_end = i + 1
            caption = lines[i + 1] if i + 1 < len(lines) else ""
            if caption and not (_SECTION_LABEL.match(caption) or _SHARE_LABEL.match(caption) or is_noise_line(caption)):
                _add_caption(item, caption)
        elif _SHARE_LABEL.match(line) or is_noise_line(line):
            head_end = i
    teaser_at = title_at + 1
    # A teaser naming the site is the head even without the markers after it.
    names_site = site_teaser is not None and site_teaser[0] == teaser_at
    if names_site:
        head_end = max(head_end, teaser_at)
    if names_site or (teaser_at < head_end and not _LOADING.match(lines[teaser_at])):
        item.subtitle = _teaser(lines[teaser_at], outlet.source_names if outlet else ()) or None
    body_start = head_end + 1
    # The original headline opens the body.
    if head_end > title_at and body_start < len(lines) and looks_like_headline(lines[body_start]):
        body_start += 1
    _set_body(item, lines[body_start:])


# --- jannah -------------------------------------------------------------------


def parse_jannah(lines: list[str], item: ArticleItem) -> None:
    end = _first(lines, is_end_marker)
    end = len(lines) if end is None else end
    start = 0
    if end >= 3 and looks_like_headline(lines[0], SECTION_MAX_WORDS) and looks_like_headline(lines[1], TITLE_MAX_WORDS):
        item.section = _BREADCRUMB_SEPARATOR.split(lines[0])[-1] or None
        start = 1
    item.title = lines[start] if start < end else None
    _set_body(item, lines[start + 1:end])


# --- generic ------------------------------------------------------------------


def parse_generic(lines: list[str], item: ArticleItem) -> None:
    # Menus go first: a line of section names reads like a title.
    lines = drop_page_chrome(lines)
    start = 0
    if len(lines) > 1 and looks_like_headline(lines[0], TITLE_MAX_WORDS):
        item.title, start = lines[0], 1
    article, sources = split_at_closing_source(lines[start:])
    if sources:
        item.source_lines = sources
        _outlet_from_credits(item, None, sources)
    _set_body(item, article)


GENERIC = Template("generic", (), parse_generic)

TEMPLATES: tuple[Template, ...] = (
    Template("arabkhabar", (
        _marker(_PUBLISHED.pattern, 3),
        _marker(_CAPTURE_TIME.pattern, 3),
        _marker(rf"^\s*{phrase_pattern(['المصدر'])}\s*[:：|]", 2),
        _marker(_KEYWORDS.pattern, 2),
    ), parse_arabkhabar, via="arabkhabar.com"),
    Template("aawsat", (
        _marker(rf"^{_LOGO_TEXT}$", 3),
        _marker(_RELATED_BLOCK.pattern, 1),
    ), parse_aawsat),
    Template("khaberain", (
        _marker(_SECTION_LABEL.pattern, 2),
        _marker(_line("شارك الخبر"), 1),
        _marker(r"^FacebookTwitterLinkedInEmail$", 1),
    ), parse_khaberain),
    Template("jannah", (
        _marker(_line("اترك تعليقاً"), 2),
        _marker(rf"^\s*{phrase_pattern(['لن يتم نشر عنوان بريدك الإلكتروني'])}", 2),
        _marker(_line("زر الذهاب إلى الأعلى"), 2),
    ), parse_jannah),
)


def detect_template(lines: Sequence[str]) -> Template:
    """The template whose markers the text shows most (see the module docstring)."""
    scores = {t.name: sum(w for pattern, w in t.markers if any(pattern.match(l) for l in lines)) for t in TEMPLATES}
    brand = _brand_outlet(lines) or _site_teaser(lines)
    if brand and brand[1].capture_template in scores:
        scores[brand[1].capture_template] += BRAND_WEIGHT
    best = max(TEMPLATES, key=lambda t: scores[t.name])
    return best if scores[best.name] >= MIN_SCORE else GENERIC


def parse_capture(text: str, url: str) -> ArticleItem:
    """One article from a decoded text capture (mojibake is repaired here)."""
    lines = _text_lines(repair_mojibake(text))
    template = detect_template(lines)
    item = ArticleItem(url=url, parser=PARSER_PREFIX + template.name, via=template.via)
    if lines:
        template.parse(lines, item)
    # A page that credits another outlet, even one known by name only, is not the site's own.
    if item.outlet is None and item.outlet_name is None and template.via is None and (outlet := by_url(url)):
        item.outlet, item.outlet_name = outlet.slug, outlet.name_ar
    return item
