"""Authors: JSON-LD, then microdata, then the author meta tags, then the
byline printed beside the headline.

Every source goes through the byline rules (crawler.extraction.fields.byline):
prefixes go, and places, roles, agencies, the outlet's own name, desks
(`Admin`, `فريق التحرير`), logins, e-mail and profile addresses are not
authors. The first source that names someone wins.

The printed byline is read in any case: its lines leave the body
(`without_byline`), and the agencies and outlets it credits (`القاهرة -
رويترز`, `الرياض: «الشرق الأوسط»`) go to `source_lines`, where the credits
normalizer (pipelines/credits.py) picks the agency.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extraction.fields.byline import Parsed, Site, byline_head, parse
from crawler.extraction.fields.title import headline_element
from crawler.extraction.page import ParsedPage, clean, element_text, fold, types_of, unique
from pipelines.credits import agency_of

# In this order, after JSON-LD and microdata; `article:author` is often a
# profile URL, which names nobody.
_META_KEYS = ("author", "article:author", "dc.creator", "dcterms.creator", "sailthru.author", "parsely-author")
_PERSON_TYPES = {"person"}
# Class names of bylines: `author`, `byline`, `td-post-author-name`, `writeBy`...
_AUTHOR_CLASS = re.compile(r"author|byline|by-line|writer|writeby|written|reporter|contributor|kateb|katib|columnist",
                           re.IGNORECASE)
# ... but not the author's picture, biography or links, nor a commenter.
_NOT_AUTHOR_CLASS = re.compile(r"avatar|comment|bio|desc|img|image|photo|pic|social|follow", re.IGNORECASE)
_DATELINE_CLASS = re.compile(r"dateline", re.IGNORECASE)
# Containers of other stories, of pictures and of page chrome: their bylines
# and credits are not the article's.
_FOREIGN_CLASS = re.compile(
    r"(?:^|[-_])(?:related|sidebar|widget|comments?|share|sharing|social|tags|breadcrumbs?|menu|caption|credits?"
    r"|gallery|newsletter|recommended|popular|trending|most-read|read-?more|read-?also|footer|nav|advert\w*|ads?)"
    r"(?:$|[-_])", re.IGNORECASE)
_FOREIGN_TAGS = {
    "aside", "nav", "footer", "figure", "figcaption", "form", "blockquote", "script", "style", "noscript",
    "iframe", "template", "button", "select", "input", "label", "textarea", "svg", "picture", "video", "audio",
}
_NOT_TEXT_TAGS = {"script", "style", "noscript", "template", "svg"}
# Dates printed in a byline are not part of the name.
_DATE_CLASS = re.compile(r"date|time|publish|ago", re.IGNORECASE)
_LINE_TAGS = {"p", "div", "span", "strong", "b", "em", "small", "font", "h2", "h3", "h4", "h5", "h6", "li"}
_BLOCK_TAGS = {"p", "div", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "section", "figure"}
# A byline is short; a longer text in a byline element is something else.
_BYLINE_MAX_WORDS = 20
_DATELINE_MAX_WORDS = 8
# Where the byline can be: above the text or opening it, so the search ends
# after the first paragraphs of prose or this much text past the headline.
_PROSE_WORDS = 25
_PROSE_PARAGRAPHS = 2
_TEXT_BUDGET = 2000
_PRECEDING_SIBLINGS = 3
# A lead that opens with its dateline (`القاهرة - رويترز: ...`, `القاهرة
# (رويترز) - ...`): it ends at one of these within the line's first characters.
_LEAD_DATELINE_END = re.compile(r"\s*(?:[:：]|[-–—]+\s)")
_LEAD_DATELINE_CHARS = 60
# How far into the body a byline paragraph may sit.
_TOP_PARAGRAPHS = 3


@dataclass
class Byline:
    authors: list[str] = field(default_factory=list)
    # Agencies and outlets credited beside the byline, for `source_lines`.
    credits: list[str] = field(default_factory=list)
    # Texts that leave the top of the body: the printed byline and dateline
    # lines, and the authors' names standing alone.
    lines: tuple[str, ...] = ()


def byline(page: ParsedPage, site_names: list[str], title: str | None) -> Byline:
    site = Site(site_names, page.url)
    printed = _Printed(site)
    heading = _headline(page, title)
    if heading is not None:
        printed.read(heading)
    declared: list[str] = []
    credits: list[str] = []
    for values in (_json_ld_authors(page), _microdata_names(page),
                   *(page.metas.get(key, []) for key in _META_KEYS)):
        declared = _names(values, site, credits)
        if declared:
            break
    authors = declared or printed.names
    return Byline(authors, unique(credits + printed.credits), tuple(unique(printed.lines + authors)))


def without_byline(paragraphs: list[str], lines: tuple[str, ...]) -> list[str]:
    """The body without its byline `lines`: a paragraph near the top that is
    one of them, or that one opens (`كتب - محمد علي: أعلنت ...`)."""
    known = {fold(line) for line in lines}
    kept = []
    for index, paragraph in enumerate(paragraphs):
        if index < _TOP_PARAGRAPHS:
            if fold(paragraph) in known:
                continue
            head = byline_head(paragraph)
            if head and fold(head) in known:
                paragraph = paragraph[len(head):].strip()
        kept.append(paragraph)
    return kept


# --- declared authors ---------------------------------------------------------


def _json_ld_authors(page: ParsedPage) -> list[str]:
    """The JSON-LD article's authors (references resolved): people and
    strings, and organizations only for the agencies among them."""
    names = []
    for value in _listed(page.article.get("author")):
        value = page.resolve(value)
        if isinstance(value, dict):
            name = value.get("name") if isinstance(value.get("name"), str) else ""
            if not types_of(value) or types_of(value) & _PERSON_TYPES or agency_of(name):
                names.append(name)
        elif isinstance(value, str):
            names.append(value)
    return names


def _listed(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


def _microdata_names(page: ParsedPage) -> list[str]:
    names = []
    for element in page.microdata.get("author", []) + page.microdata.get("creator", []):
        name = element.find(".//*[@itemprop='name']")
        value = (name.get("content") or element_text(name)) if name is not None else (
            element.get("content") or element_text(element))
        if value:
            names.append(value)
    return names


def _names(values: list[str], site: Site, credits: list[str]) -> list[str]:
    """The authors declared values name; the agencies they name go to `credits`."""
    names = []
    for value in values:
        parsed = parse(value, site)
        names += parsed.names
        credits += (credit for credit in parsed.credits if agency_of(credit))
    return unique(names)


# --- the printed byline -------------------------------------------------------


def _headline(page: ParsedPage, title: str | None):
    heading = headline_element(page, title)
    if heading is None and title:
        heading = next((h for h in page.tree.iter("h2") if fold(element_text(h)) == fold(title)), None)
    return heading


class _Printed:
    """The byline, datelines and credits printed after the headline (or just
    before it in its container), outside other stories and pictures."""

    def __init__(self, site: Site):
        self.site = site
        self.names: list[str] = []
        self.credits: list[str] = []
        self.lines: list[str] = []
        self._text = self._prose = 0
        self._parent = None  # of the byline element the names came from

    def read(self, heading) -> None:
        for root in _following(heading):
            if not self._visit(root):
                break
        if not self.names:
            self._text = self._prose = 0
            for root in list(heading.itersiblings(preceding=True))[:_PRECEDING_SIBLINGS]:
                self._visit(root)

    def _visit(self, root) -> bool:
        """Read one subtree; False once the search is over."""
        stack = [root]
        while stack:
            element = stack.pop()
            if not isinstance(element.tag, str) or _is_foreign(element):
                continue
            self._text += len((element.text or "").strip()) + len((element.tail or "").strip())
            if not self._read(element):
                stack.extend(reversed(element))
            if self._prose >= _PROSE_PARAGRAPHS or self._text > _TEXT_BUDGET:
                return False
        return True

    def _read(self, element) -> bool:
        """Whether the element was a byline, dateline or prose paragraph (then
        its content needs no further look)."""
        if _is_author_markup(element) or _DATELINE_CLASS.search(element.get("class") or ""):
            text = _byline_text(element)
            if not text or len(text.split()) > _BYLINE_MAX_WORDS:
                return False
            self._take(text, parse(text, self.site), _link_names(element, self.site), element.getparent())
            self.lines.append(element_text(element))
            return True
        if element.tag not in _LINE_TAGS:
            return False
        line = _first_line(element)
        head = byline_head(line)
        parsed = parse(head, self.site) if head else None
        if parsed and (parsed.names or parsed.credits):  # not `كتب الرئيس على منصته`
            self._take(head, parsed)
            self._prose += head != line
            return True
        if len(line.split()) <= _DATELINE_MAX_WORDS and not _has_blocks(element) and "©" not in line:
            parsed = parse(line, self.site)
            # A place with its credit, or agencies alone; a quote alone is a pull quote.
            if parsed.dateline and (parsed.place or all(map(agency_of, parsed.credits))):
                self.credits += parsed.credits
                self.lines.append(line)
                return True
        if element.tag == "p" and len(line.split()) > _PROSE_WORDS:
            self._prose += 1
            self._lead_dateline(line)
            return True
        return False

    def _take(self, text: str, parsed: Parsed, link_names: list[str] | None = None, parent=None) -> None:
        names = link_names or parsed.names
        if parent is not None and parent is self._parent:
            self.names = unique(self.names + names)  # co-authors in sibling elements
        elif not self.names and names:
            self.names, self._parent = names, parent
        self.credits += parsed.credits
        self.lines.append(text)

    def _lead_dateline(self, line: str) -> None:
        for end in _LEAD_DATELINE_END.finditer(line, 0, _LEAD_DATELINE_CHARS):
            parsed = parse(line[:end.start()], self.site)
            if parsed.names:
                return
            if parsed.credits:
                self.credits += parsed.credits
                return


def _following(element):
    """The subtrees after an element in document order, up to the body."""
    while element is not None and element.tag != "body":
        yield from element.itersiblings()
        element = element.getparent()


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _is_foreign(element) -> bool:
    return element.tag in _FOREIGN_TAGS or any(_FOREIGN_CLASS.search(c) for c in _classes(element))


def _is_author_markup(element) -> bool:
    if "author" in (element.get("rel") or "").lower().split():
        return True
    if {"author", "creator"} & set((element.get("itemprop") or "").lower().split()):
        return True
    return any(_AUTHOR_CLASS.search(c) and not _NOT_AUTHOR_CLASS.search(c) for c in _classes(element))


def _byline_text(element) -> str:
    """The element's text without the dates, pictures and biographies in it."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _NOT_TEXT_TAGS and child.tag != "time" and not any(
                _DATE_CLASS.search(c) or _NOT_AUTHOR_CLASS.search(c) for c in _classes(child)):
            parts.append(_byline_text(child))
        parts.append(child.tail or "")
    return clean(" ".join(parts))


def _link_names(element, site: Site) -> list[str]:
    """Authors linked one by one (`<a>أحمد علي</a> و<a>منى سعيد</a>`)."""
    links = [clean(a.text_content()) for a in element.iter("a") if clean(a.text_content())]
    if len(links) < 2:
        return []
    return unique(name for link in links for name in parse(link, site).names)


def _first_line(element) -> str:
    """The element's text up to its first line break or block."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag in _BLOCK_TAGS:
            break
        if isinstance(child.tag, str) and child.tag not in _NOT_TEXT_TAGS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return clean("".join(parts))


def _has_blocks(element) -> bool:
    return any(isinstance(child.tag, str) and child.tag in _BLOCK_TAGS for child in element.iterdescendants())
