"""Publication and modification dates, as the page states them.

Structured first, never a guess. The publication date is the first of:

1. the article's JSON-LD `datePublished` (or its microdata);
2. a publication `<meta>` (`article:published_time`, `og:`, `dc.`/`dcterms.`,
   `pubdate`, `sailthru.date`, `parsely-pub-date`, `citation_date`, ...; the
   generic `date` / `dc.date` names last), an `itemprop="datePublished"`
   element, `<time pubdate>`, hAtom `<abbr class="published">`;
3. the `<time datetime>` of the byline (in the headline's `<header>` /
   `<article>`), or the date printed in the byline or date line next to the
   headline (Arabic prose with Arabic-Indic digits, Hijri dates, other
   languages): read from the text just around the `<h1>`, outside links,
   lists of other stories, comments and page chrome;
4. the day in the URL path (`/2023/08/08/`).

A time without an offset is read in the outlet's time zone, else in a zone
the page reveals (the offset of its other dates, a `GMT+0400` beside it);
with no zone only the day is kept. A `Z` (UTC) label on a time that the byline
prints as the same wall-clock time is local time mislabelled, read in the
outlet's zone. A modification earlier than the publication is dropped
(`modified_before_published`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone, tzinfo
from urllib.parse import unquote, urlsplit

from htmldate import find_date
from lxml import etree

from crawler.datetimes import DateReading, prepare, read_date, with_zone
from crawler.extraction.fields.title import headline_element
from crawler.extraction.page import ParsedPage, clean, element_text, first_text, types_of

# Meta names (lowercased, `:` and `_` read as `.`), most specific first.
_SPECIFIC_PUBLISHED_METAS = tuple(re.sub(r"[:_]", ".", name) for name in (
    "article:published_time", "og:published_time", "og:article:published_time", "article:published",
    "og:article:time", "published_time", "publication_date", "datepublished", "date.published",
    "article.published", "shareaholic:article_published_time", "sailthru.date", "parsely-pub-date",
    "cxenseparse:recs:publishtime", "rnews:datepublished", "og:release_date", "release_date",
    "pubdate", "publishdate", "publish-date", "publish_date", "publication-date", "originalpublicationdate",
    "dc.date.issued", "dcterms.issued",
    "citation_publication_date", "citation_date", "citation_online_date", "bepress_citation_date",
    "prism.publicationdate", "displaydate", "date.release",
))
# Names many sites fill with a creation or modification time: the last resort.
_GENERIC_PUBLISHED_METAS = tuple(re.sub(r"[:_]", ".", name) for name in (
    "date", "dc.date", "dcterms.date", "dc.date.created", "dcterms.created", "datecreated",
))
_MODIFIED_METAS = tuple(re.sub(r"[:_]", ".", name) for name in (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "article:modified",
    "modified_time", "datemodified", "dateupdate", "shareaholic:article_modified_time",
    "dcterms.modified", "dc.date.modified", "last-modified", "lastmod",
))
# Where a page keeps the dates of other stories, or no dates of the article.
_OTHER_STORY_TAGS = {"aside", "nav"}
_CHROME_TAGS = {"footer", "select", "option", "button", "form"}
_OTHER_STORIES = re.compile(
    r"(?:^|[\s_-])(?:comment|related|teaser|recommend|popular|trending|most-?read|sidebar|swiper|"
    r"carousel|slider|ticker|more-?news|read-?more|latest)",
    re.IGNORECASE,
)
_PAGE_CHROME = re.compile(
    r"(?:^|[\s_-])(?:footer|navbar|navtop|topbar|menu|weather|prayer|breaking|newsletter|also|share|social|"
    r"cookie|modal|advert|banner|site-?header|masthead|today|current-?date)|(?:^|\s)header(?:$|[\s_-])",
    re.IGNORECASE,
)
# Words that label a date as an update, not the publication.
_MODIFIED_LABEL = re.compile(
    r"(?:تحديث|تم التحديث|محدث|عدل|تعديل|updated?|modified|last (?:edited|changed)|aktualisiert|"
    r"geändert|änderung|mis à jour|modifié|actualizado|aggiornato|bijgewerkt)\W*\s*(?:في|on|am|le|el|il)?\s*:?\s*$",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")
# Elements whose names say they hold a date or a byline.
_REGEXP = {"re": "http://exslt.org/regular-expressions"}
# The `[@property]` and `[@class or @id]` tests come first: an EXSLT re:test is
# a Python call, made for every element of the page without them (1 ms a page).
_MARKED_DATES = etree.XPath(
    "//*[@itemprop='datePublished'] | //time[@pubdate] | //abbr[contains(@class, 'published')]"
    " | //*[@property][not(self::meta)][re:test(@property,"
    " '(^|\\s)(schema:|dc:|dcterms:)?(datePublished|dateCreated|date|created|issued)(\\s|$)')]",
    namespaces=_REGEXP,
)
_DATE_LINES = etree.XPath(
    "//*[self::div or self::span or self::p or self::time or self::small or self::li or self::ul][@class or @id]"
    "[re:test(concat(@class, ' ', @id), 'date|time|publi|posted|submitted|meta|byline|author|info', 'i')]",
    namespaces=_REGEXP,
)
# How much text around the headline the byline may use.
_TEXT_AFTER_HEADLINE = 600
_TEXT_BEFORE_HEADLINE = 200
# A text piece this long is body prose: the byline zone has ended. A date
# line is short (`نُشر في الخميس 3 كانون الأول / ديسمبر 2020 08:15 مساءً`);
# a date inside a longer sentence is a date the text talks about.
_PROSE_WORDS = 20
_BYLINE_WORDS = 14
_BLOCKS = {"p", "li", "td", "blockquote", "dd"}
_BODY_PARAGRAPH = etree.XPath(".//p[string-length(normalize-space(.)) > 150]")
# The label a text piece before the headline gets: it ranks below the metadata.
_BEFORE = "\x00before"
# The site's own header above the article, which shows today's date.
_SITE_HEADER_TAGS = {"header", "nav", "aside", "footer"}
_SITE_HEADER = re.compile(r"(?:^|[\s_-])(?:site-?header|masthead|banner|top-?bar|today|current-?date)", re.IGNORECASE)
_PUBLICATION_NAME = re.compile(r"[.-](?:pub(?:lish(?:ed)?)?\.?date|published\.?time|publication\.?date)$")
_SCRIPT_PUBLISHED = re.compile(
    r'["\']?(?:datePublished|published_?[aA]t|publish(?:ed)?_?[dD]ate|publication_?[dD]ate|firstPublished(?:At)?)'
    r'["\']?\s*:\s*["\'](?P<value>\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)["\']'
)
_WEB_PAGE_TYPES = {"webpage", "itempage", "aboutpage", "faqpage", "qapage", "medicalwebpage"}
_NOT_DATE_WORDS = re.compile(r"(?<!\w)[^\W\d_]{3,}(?!\w)")
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)(?P<sep>[/_-]?)(?P<mo>0?[1-9]|1[0-2])(?P=sep)(?P<d>0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
    r"|/(?P<y2>(?:19|20)\d\d)-(?P<mo2>0[1-9]|1[0-2])/(?P<d2>0[1-9]|[12]\d|3[01])/"
)


@dataclass
class PageDates:
    published_at: datetime | None = None
    published_raw: str | None = None
    modified_at: datetime | None = None
    modified_raw: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Found:
    raw: str
    reading: DateReading
    source: str


def page_dates(page: ParsedPage, title: str | None, canonical_url: str | None, zone: tzinfo | None) -> PageDates:
    """The page's publication and modification dates. `zone`: the outlet's
    time zone, if known."""
    try:
        return _page_dates(page, title, canonical_url, zone)
    finally:
        _foreign_itself.cache_clear()


def _page_dates(page: ParsedPage, title: str | None, canonical_url: str | None, zone: tzinfo | None) -> PageDates:
    result = PageDates()
    byline = _Byline(page, title)
    metas = _metas_by_name(page)
    published = _published(page, metas, byline, canonical_url)
    modified = _structured(page, metas, "dateModified", _MODIFIED_METAS) or byline.modified()
    zone = zone or _page_zone(published, modified)

    relabel = None
    if published is not None:
        reading = published.reading
        printed = byline.published()
        if reading.offset == timedelta() and published.source != "url" and printed is not None:
            relabel = _true_offset(reading, printed.reading, zone)
            if relabel is not None:
                reading = with_zone(reading, relabel)
                result.warnings.append("utc_label_on_local_time")
        result.published_at, result.published_raw = reading.to_utc(zone), published.raw
        if reading.has_time and not reading.zone_known and zone is None:
            result.warnings.append("published_timezone_unknown")
    if modified is not None:
        reading = modified.reading
        if (relabel is not None and reading.offset == timedelta()
                and modified.source.split(":")[0] == published.source.split(":")[0]):
            reading = with_zone(reading, relabel)  # the same template labels both the same wrong way
        result.modified_at, result.modified_raw = reading.to_utc(zone), modified.raw
    if result.published_at and result.modified_at and result.modified_at < result.published_at:
        if result.modified_at.date() != result.published_at.date() or modified.reading.has_time:
            result.modified_at = None
            result.warnings.append("modified_before_published")
    return result


def _published(page: ParsedPage, metas, byline: _Byline, canonical_url: str | None) -> _Found | None:
    """The publication date. When the sources disagree on the day, the day
    in the URL (minted once, when the article was first published) wins, then
    the date printed in the byline (what the outlet tells its readers), then
    the structured metadata (which CMSs refill on republication), then a date
    printed above the headline: measured on
    real pages (bench/dates.py), each of them beats the next in most
    disagreements. The generic `date` metas come last. The winning day keeps
    the most precise reading of it (a structured time with its offset)."""
    structured = _structured(page, metas, "datePublished", _SPECIFIC_PUBLISHED_METAS)
    printed = byline.published()
    in_url = _url_date(canonical_url) or _url_date(page.meta("og:url")) or _url_date(page.url)
    generic = None if structured or printed else _from_metas(metas, _GENERIC_PUBLISHED_METAS)
    # A date printed before the headline may be the site's, not the article's.
    before = printed is not None and printed.source == "byline before headline"
    ranked = [found for found in (in_url, None if before else printed, structured, printed if before else None, generic)
              if found]
    if not ranked:
        return _corroborated(page, canonical_url)
    day = ranked[0].reading.day
    same_day = [found for found in (structured, printed, generic, in_url) if found and found.reading.day == day]
    return max(same_day, key=lambda found: (found.reading.zone_known, found.reading.has_time))


def _corroborated(page: ParsedPage, canonical_url: str | None) -> _Found | None:
    """The last resort, two independent readings that agree: htmldate's
    (fast mode: markup and date-like elements, no free-text search) and a
    short date line of ours in an element the page names as a date, byline
    or meta line anywhere outside page chrome and lists of other stories."""
    lines = {}
    for element in _DATE_LINES(page.tree):
        text = _spaced_text(element)
        if text and len(text.split()) <= _BYLINE_WORDS and not _is_foreign(element):
            found = _read(text, "date line", _writes_month_first(page))
            if found:
                lines.setdefault(found.reading.day, found)
    if not lines:
        return None
    day = find_date(page.tree, extensive_search=False, original_date=True, url=canonical_url)
    return lines.get(date.fromisoformat(day)) if day else None


def _read(raw: str | None, source: str, month_first: bool = False, short_year: bool = False) -> _Found | None:
    raw = clean(raw)
    reading = read_date(raw, explicit_only=True, month_first=month_first, short_year=short_year) if raw else None
    return _Found(raw, reading, source) if reading else None


def _structured(page: ParsedPage, metas: dict[str, list[str]], prop: str, names: tuple[str, ...]) -> _Found | None:
    """The JSON-LD article's `prop`, its microdata, the first meta of `names`,
    or (publication) an element marked as the date."""
    found = (_read(first_text(page.article.get(prop)), "json-ld")
             or _read(page.microdata_value(prop.lower()), "microdata")
             or (_read(first_text(_web_page(page).get(prop)), "json-ld:webpage") if not page.article else None))
    if found:
        return found
    found = _from_metas(metas, names)
    if found or prop != "datePublished":
        return found
    return _from_metas(metas, _publication_named(metas)) or _marked_element(page) or _script_data_date(page)


def _publication_named(metas: dict[str, list[str]]) -> tuple[str, ...]:
    """Meta names of a site's own publication date (`sw-pubdate`,
    `cms.publish_date`), the same words behind a prefix."""
    return tuple(name for name in metas if _PUBLICATION_NAME.search(name))


def _script_data_date(page: ParsedPage) -> _Found | None:
    """The publication date in the data a page's scripts carry (`"published_at":
    "2019-03-02T06:22:28+01:00"` in a Next.js or CMS state object), only when
    every such key names the same day: such data also lists other stories."""
    found = {}
    for script in page.tree.iter("script"):
        text = script.text
        # Every key the pattern knows holds one of these: most scripts are ruled out without it.
        if (text and ("ublish" in text or "ublication" in text)
                and (script.get("type") or "").lower() != "application/ld+json"):
            for match in _SCRIPT_PUBLISHED.finditer(text):
                reading = _read(match["value"], "script data")
                if reading:
                    found.setdefault(reading.reading.day, reading)
    return next(iter(found.values())) if len(found) == 1 else None


def _writes_month_first(page: ParsedPage) -> bool:
    """A page in US English writes numeric dates month first."""
    return (page.tree.get("lang") or "").lower().replace("_", "-") == "en-us"


def _web_page(page: ParsedPage) -> dict:
    """The page's own JSON-LD WebPage object (a page without an article
    object, e.g. a Yoast graph of a blog post), if there is exactly one."""
    pages = [obj for obj in page.json_ld if types_of(obj) & _WEB_PAGE_TYPES]
    return pages[0] if len(pages) == 1 else {}


def _from_metas(metas: dict[str, list[str]], names: tuple[str, ...]) -> _Found | None:
    for name in names:
        for value in metas.get(name, ()):
            found = _read(value, f"meta:{name}")
            if found:
                return found
    return None


def _metas_by_name(page: ParsedPage) -> dict[str, list[str]]:
    """The page's meta contents by name with `:` and `_` read as `.`
    (`dcterms:issued` is `dcterms.issued`)."""
    names: dict[str, list[str]] = {}
    for key, values in page.metas.items():
        names.setdefault(re.sub(r"[:_]", ".", key), []).extend(values)
    return names


def _marked_element(page: ParsedPage) -> _Found | None:
    """An element the markup marks as the publication date: `itemprop=
    datePublished`, `<time pubdate>`, hAtom `<abbr class="published">`, RDFa
    `property="schema:datePublished"` or Drupal's `dc:date dc:created`."""
    for element in _MARKED_DATES(page.tree):
        # The markup names it; only its place in a list of other stories can make it another's date.
        if _is_foreign(element, chrome=False):
            continue
        found = _read(element.get("datetime") or element.get("content") or element.get("title")
                      or element_text(element), "markup")
        if found:
            return found
    return None


def _is_foreign(element, stop=frozenset(), chrome: bool = True) -> bool:
    """Inside a list of other stories, comments or (unless `chrome` is
    False) page chrome: judged on the element and its ancestors up to (not
    including) those in `stop` (the containers it shares with the headline,
    whose names say nothing of it) and the body."""
    for node in (element, *element.iterancestors()):
        if node in stop or node.tag in ("body", "html"):  # the body's classes name the whole page
            return False
        if _foreign_itself(node, chrome):
            return True
    return False


@lru_cache(maxsize=4096)
def _foreign_itself(node, chrome: bool) -> bool:
    """The element alone marks what it holds as foreign (by its tag, its
    names, or a headline link in it). Cached while one page is read (the same
    containers are asked about for every text piece inside them); page_dates
    clears it so no tree outlives its page."""
    if node.tag in _OTHER_STORY_TAGS or (chrome and node.tag in _CHROME_TAGS):
        return True
    if chrome and node.tag == "header" and not any(a.tag in ("article", "main") for a in node.iterancestors()):
        return True  # the site's header, with today's date
    names = f"{node.get('class') or ''} {node.get('id') or ''}"
    if names.strip() and (_OTHER_STORIES.search(names) or (chrome and _PAGE_CHROME.search(names))):
        return True
    return node.tag in ("a", "li") and any(map(is_headline_link, node.iter("a")))


def is_headline_link(link) -> bool:
    """A link whose text is a headline (not a permalink around a date)."""
    text = _spaced_text(link)
    return len(text) > 25 and read_date(text, explicit_only=True) is None


def _spaced_text(element) -> str:
    """The element's text with its pieces apart (`10. Februar 2019` and a
    hidden `9. Februar 2019` are two dates, not `20199`)."""
    return _WHITESPACE.sub(" ", " ".join(element.itertext())).strip()


class _Byline:
    """The text just around the headline, where the byline and date line
    stand, read lazily (only when the structured sources say nothing or
    need a check)."""

    def __init__(self, page: ParsedPage, title: str | None):
        self.page, self.title = page, title
        self._dates: tuple[_Found | None, _Found | None] | None = None

    def published(self) -> _Found | None:
        return self._read()[0]

    def modified(self) -> _Found | None:
        return self._read()[1]

    def _read(self) -> tuple[_Found | None, _Found | None]:
        if self._dates is None:
            self._dates = self._search()
        return self._dates

    def _search(self) -> tuple[_Found | None, _Found | None]:
        heading = headline_element(self.page, self.title)
        if heading is None:
            return None, None
        time = _byline_time(heading)
        published, modified = (_Found(time.raw, time.reading, "time") if time else None), None
        for node, text, label in _segments_near(heading):
            # A `<time>` of the byline (or an RDFa element) says its date in
            # an attribute too, which wins over its text (`10/12/2025`).
            found = _read(node.get("datetime") or node.get("content"), "time") if node is not None else None
            found = found or _read(text, "byline", _writes_month_first(self.page), short_year=True)
            if found is not None and label == _BEFORE:
                found.source, label = "byline before headline", ""
            if found is None or (found.source == "byline" and _is_sentence(text, found)):
                continue
            if _MODIFIED_LABEL.search(label):
                modified = modified or found
            elif published is None:
                published = found
            if published and modified:
                break
        return published, modified


def _byline_time(heading) -> _Found | None:
    """The `<time datetime>` in the `<header>` or `<article>` of the headline."""
    container = next((a for a in heading.iterancestors() if a.tag in ("header", "article")), None)
    if container is None:
        return None
    for time in container.iter("time"):
        if time.get("datetime") and not _is_foreign(time, frozenset(heading.iterancestors())):
            found = _read(time.get("datetime"), "time")
            if found:
                return found
    return None


def _segments_near(heading):
    """(element, text, label) of the short text pieces after the headline
    until the body's prose begins, then of those just before it, nearest
    first; the label is the text just before a piece (`آخر تحديث:`,
    `Published on`)."""
    shared = frozenset(heading.iterancestors())
    after, used, previous, prose = [], 0, "", 0
    for node, text in _texts_after(heading):
        words = len(text.split())
        prose += words >= _PROSE_WORDS and node.tag == "p"
        if prose > 1 or used > _TEXT_AFTER_HEADLINE:  # past the lede, into the body
            break
        used += len(text)
        if words <= _BYLINE_WORDS and not _in_prose(node) and not _is_foreign(node, shared):
            after.append((node, text, previous))
        previous = text
    yield from after
    used = 0
    for node, text in _texts_before(heading):
        used += len(text)
        if used > _TEXT_BEFORE_HEADLINE:
            break
        if len(text.split()) <= _BYLINE_WORDS and not _in_prose(node) and not _is_foreign(node, shared):
            yield node, text, _BEFORE


def _texts_before(heading):
    """(element, text) of the text nodes before the headline, nearest first,
    within the block that holds the article (its `<article>` or `<main>`, or
    the first container of the headline that holds a paragraph of the body)
    and outside the site's header (where today's date stands)."""
    node = heading
    while node is not None and node.tag not in ("body", "article", "main") and (
            node is heading or not _BODY_PARAGRAPH(node)):
        for sibling in node.itersiblings(preceding=True):
            if sibling.tail and sibling.tail.strip():
                yield sibling.getparent(), _WHITESPACE.sub(" ", sibling.tail).strip()
            if sibling.tag in _SITE_HEADER_TAGS or _SITE_HEADER.search(f"{sibling.get('class') or ''} {sibling.get('id') or ''}"):
                continue
            pieces = []
            for element in sibling.iter():
                if not isinstance(element.tag, str):
                    continue
                if element.text and element.text.strip():
                    pieces.append((element, _WHITESPACE.sub(" ", element.text).strip()))
                if element is not sibling and element.tail and element.tail.strip():
                    pieces.append((element.getparent(), _WHITESPACE.sub(" ", element.tail).strip()))
            yield from reversed(pieces)
        node = node.getparent()
        if node is not None and node.text and node.text.strip():
            yield node, _WHITESPACE.sub(" ", node.text).strip()


def is_date_line(text: str) -> bool:
    """A short line that states a date (`نشر في: 12 أكتوبر 2025 - آخر تحديث:
    ...`, `Samstag, 19. Juli 2014`), not a sentence that mentions one."""
    if len(text.split()) > _BYLINE_WORDS:
        return False
    found = _read(text, "line", short_year=True)
    return found is not None and not _is_sentence(text, found)


def _is_sentence(text: str, found: _Found) -> bool:
    """A sentence that mentions a date (`وكان الوزيران قد التقيا في 12 مايو
    2023.`), not a date line (`Stand des Artikels: 26. Februar 2020, 12:30
    Uhr.`): it ends like a sentence and has words besides the date."""
    if not text.rstrip().endswith((".", "!", "?", "؟")):
        return False
    prepared = prepare(text)
    rest = prepared[:found.reading.start] + prepared[found.reading.end:]
    return len(_NOT_DATE_WORDS.findall(rest)) >= 5


def _in_prose(node) -> bool:
    """A piece of a sentence (text beside a link or bold words in a paragraph)."""
    block = next((n for n in (node, *node.iterancestors()) if n.tag in _BLOCKS), None)
    return block is not None and len(element_text(block).split()) >= _PROSE_WORDS


def _texts_after(heading):
    """(element, text) of every text node after the headline, in document order."""
    node = heading
    if heading.tail and heading.tail.strip():
        yield heading.getparent(), _WHITESPACE.sub(" ", heading.tail).strip()
    while node is not None:
        for sibling in node.itersiblings():
            for element in sibling.iter():
                if not isinstance(element.tag, str):
                    continue
                if element.text and element.text.strip():
                    yield element, _WHITESPACE.sub(" ", element.text).strip()
                if element is not sibling and element.tail and element.tail.strip():
                    yield element.getparent(), _WHITESPACE.sub(" ", element.tail).strip()
            if sibling.tail and sibling.tail.strip():
                yield sibling.getparent(), _WHITESPACE.sub(" ", sibling.tail).strip()
        node = node.getparent()
        if node is not None and node.tag == "body":
            break


def _url_date(url: str | None) -> _Found | None:
    """The day a URL path names (`/2023/08/08/`, `/2020-02/19/`, `/20230808/`)."""
    if not url:
        return None
    path = unquote(urlsplit(url).path)
    match = _URL_DATE.search(path)
    if match is None:
        return None
    year, month, day = (match["y"], match["mo"], match["d"]) if match["y"] else (match["y2"], match["mo2"], match["d2"])
    if match["y"] and not match["sep"] and (len(month), len(day)) != (2, 2):
        return None  # `/2023811/`: not a date
    return _read(f"{year}-{int(month):02d}-{int(day):02d}", "url")


def _page_zone(*found: _Found | None) -> tzinfo | None:
    """A zone the page reveals: the offset written on one of its dates."""
    for candidate in found:
        if candidate is not None and candidate.reading.offset is not None and candidate.source != "url":
            return timezone(candidate.reading.offset)
        if candidate is not None and candidate.reading.zone is not None:
            return candidate.reading.zone
    return None


def _true_offset(labelled: DateReading, printed: DateReading, zone: tzinfo | None) -> timedelta | None:
    """The offset of a time labelled UTC (`Z`) that the byline prints as the
    same wall-clock time in another zone: the one printed beside it
    (`10:15 ص بتوقيت مكة`), else the outlet's or page's zone. None when the
    label may be right."""
    if not printed.has_time or labelled.local.replace(second=0) != printed.local.replace(second=0):
        return None
    if printed.zone_known:
        offset = printed.offset if printed.offset is not None else printed.zone.utcoffset(printed.local)
    elif zone is not None:
        offset = zone.utcoffset(labelled.local)
    else:
        return None
    return offset or None


