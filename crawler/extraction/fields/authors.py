"""Authors: JSON-LD, then microdata, then the author meta tags, then the
byline printed beside the headline.

Every source goes through the byline rules (crawler.extraction.fields.byline):
prefixes and job titles go, and places, roles, agencies, the outlet's own
name, desks (`Admin`, `فريق التحرير`, `متابعات`), logins, e-mail and profile
addresses are not authors, nor the photographer or translator a byline block
also credits. The first source that names someone wins.

The printed byline is read in any case: its lines leave the body
(`without_byline`), and the agencies and outlets it credits (`القاهرة -
رويترز`, `الرياض: «الشرق الأوسط»`) go to `source_lines`, where the credits
normalizer (pipelines/credits.py) picks the agency.

Where the printed byline is: an element whose markup says so (class
`author`, `rel=author`, `itemprop=author`), a line opening with a byline
prefix (`كتب - ...`), a short line pairing a place or a credited outlet
with full names and nothing else (`دبي - سعود العنزي`, `العربية.نت - سعود
العنزي`), or a dateline (`القاهرة - رويترز`), also opening the lead
(`تونس (وات) - ...`, whatever the lead's length). Within the text just after
the headline, outside the containers of other stories and pictures: a
teaser of another story between the headline and the body (a link whose
text is a headline, as the dates read it, beside a byline, without prose) is
one too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extraction.fields.byline import Parsed, Site, byline_head, parse, parse_lines
from crawler.extraction.fields.dates import is_headline_link
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
# Links of the story itself: its categories and tags, its permalink, its author.
_OWN_LINK_RELS = {"tag", "category", "bookmark", "author"}
_NOT_TEXT_TAGS = {"script", "style", "noscript", "template", "svg"}
# Dates printed in a byline are not part of the name.
_DATE_CLASS = re.compile(r"date|time|publish|ago", re.IGNORECASE)
_LINE_TAGS = {"p", "div", "span", "strong", "b", "em", "small", "font", "h2", "h3", "h4", "h5", "h6", "li"}
_BLOCK_TAGS = {"p", "div", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "td",
               "section", "figure"}
# Subheadings: a short one pairing a place and two words is a title, not a byline.
_HEADING_TAGS = {"h2", "h3", "h4", "h5", "h6"}
_WORD = re.compile(r"\w")
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
# Its form says it is the lead, whatever the paragraph's length.
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
    printed = _Printed(site, title)
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

    def __init__(self, site: Site, title: str | None = None):
        self.site = site
        self.title = fold(title)
        self.names: list[str] = []
        self.credits: list[str] = []
        self.lines: list[str] = []
        self._text = self._prose = 0
        self._parent = None  # of the byline element the names came from
        self._shared: set = set()  # the headline's containers

    def read(self, heading) -> None:
        self._shared = set(heading.iterancestors())
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
            lines = _byline_lines(element)
            text = " ".join(lines)
            if not text or len(text.split()) > _BYLINE_MAX_WORDS:
                return False
            parsed = parse_lines(lines, self.site)
            if not self._in_teaser(element, parsed):
                self._take(text, parsed, _link_names(element, self.site), element.getparent())
                self.lines.append(element_text(element))
            return True
        if element.tag not in _LINE_TAGS:
            return False
        line = _first_line(element)
        head = byline_head(line)
        parsed = parse(head, self.site) if head else None
        if parsed and (parsed.names or parsed.credits):  # not `كتب الرئيس على منصته`
            if head == line and _has_blocks_or_byline(element, blocks=False):
                self.lines.append(line)
                return False  # its markup says which text is the name (`by <span class="author">`)
            if not self._in_teaser(element, parsed):
                self._take(head, parsed)
                self._prose += head != line
            return True
        words = len(line.split())
        if words <= _DATELINE_MAX_WORDS and "©" not in line and not _has_blocks_or_byline(element):
            parsed = parse(line, self.site)
            # A place with its credit, or agencies alone; a quote alone is a pull quote.
            dateline = parsed.dateline and (parsed.place or all(map(agency_of, parsed.credits)))
            # A place or an outlet beside full names, without a prefix (`دبي - سعود العنزي`).
            signed = (parsed.names and (parsed.place or parsed.credits) and element.tag not in _HEADING_TAGS
                      and all(" " in name for name in parsed.names))
            if (dateline or signed) and not self._in_teaser(element, parsed):
                if signed:
                    self._take(line, parsed)
                else:
                    self.credits += parsed.credits
                    self.lines.append(line)
                return True
        if element.tag == "p" and line:
            credited = self._lead_dateline(line)
            if words > _PROSE_WORDS or credited:
                self._prose += 1
                return True
        return False

    def _in_teaser(self, element, parsed: Parsed) -> bool:
        """Another story's byline: below the containers it shares with the
        headline, a container without prose also holds, outside the byline,
        a link whose text is a headline (the dates' rule, `is_headline_link`)
        and that is not this story's (its title), its categories or its
        author's (naming the author)."""
        own = set(element.iter("a"))
        for node in element.iterancestors():
            if node in self._shared or node.tag == "body" or _has_prose(node):
                return False
            for link in node.iter("a"):
                if link in own:
                    continue
                own.add(link)
                if "#" in (link.get("href") or "#") or _OWN_LINK_RELS & set((link.get("rel") or "").lower().split()):
                    continue  # a place in this page (`#comments`), a category
                if link is node or link in element.iterancestors():  # a card linked whole
                    texts = [child for child in link if element not in child.iter()]
                else:
                    texts = [link]
                if any(is_headline_link(text) and not self._is_own(text, parsed) for text in texts):
                    return True
        return False

    def _is_own(self, link, parsed: Parsed) -> bool:
        """A link of this story: its title, or naming its author."""
        text = fold(element_text(link))
        return (bool(self.title) and (text in self.title or self.title in text)) or any(
            fold(name) in text for name in parsed.names)

    def _take(self, text: str, parsed: Parsed, link_names: list[str] | None = None, parent=None) -> None:
        names = link_names or parsed.names
        if parent is not None and parent is self._parent:
            self.names = unique(self.names + names)  # co-authors in sibling elements
        elif not self.names and names:
            self.names, self._parent = names, parent
        self.credits += parsed.credits
        self.lines.append(text)

    def _lead_dateline(self, line: str) -> bool:
        """Whether the line opens with a dateline crediting someone (kept in
        `credits`)."""
        for end in _LEAD_DATELINE_END.finditer(line, 0, _LEAD_DATELINE_CHARS):
            parsed = parse(line[:end.start()], self.site)
            if parsed.names:
                return False
            if parsed.credits:
                self.credits += parsed.credits
                return True
        return False


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


def _byline_lines(element) -> list[str]:
    """The lines of a byline element (its blocks and `<br>` apart: `كتب: ...`
    / `تصوير: ...`), without the dates, pictures, biographies and comment
    links in it."""
    lines: list[list[str]] = [[]]

    def walk(node) -> None:
        lines[-1].append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                if child.tag == "br":
                    lines.append([])
                elif not _is_date_or_picture(child):
                    block = child.tag in _BLOCK_TAGS
                    if block:
                        lines.append([])
                    walk(child)
                    if block:
                        lines.append([])
            lines[-1].append(child.tail or "")

    walk(element)
    return [line for line in (clean(" ".join(parts)) for parts in lines) if _WORD.search(line)]


def _is_date_or_picture(element) -> bool:
    return element.tag in _NOT_TEXT_TAGS or element.tag == "time" or any(
        _DATE_CLASS.search(c) or _NOT_AUTHOR_CLASS.search(c) for c in _classes(element))


def _link_names(element, site: Site) -> list[str]:
    """Authors linked one by one (`<a>أحمد علي</a> و<a>منى سعيد</a>`)."""
    links = [clean(a.text_content()) for a in element.iter("a") if clean(a.text_content())]
    if len(links) < 2:
        return []
    return unique(name for link in links for name in parse(link, site).names)


def _first_line(element) -> str:
    """The element's text up to its first line break or block, without the
    dates, pictures and comment links in it (`<span class="date">`,
    `<time>`: `الجزائر: حميد يس <span class="date">03 أوت 2025</span>`)."""
    parts: list[str] = []
    _inline_text(element, parts)
    return clean("".join(parts))


def _inline_text(node, parts: list[str]) -> bool:
    """Adds the node's text up to its first block; False once one is met."""
    parts.append(node.text or "")
    for child in node:
        if isinstance(child.tag, str):
            if child.tag in _BLOCK_TAGS:
                return False
            if not _is_date_or_picture(child) and not _inline_text(child, parts):
                return False
        parts.append(child.tail or "")
    return True


def _has_blocks_or_byline(element, blocks: bool = True) -> bool:
    """Blocks, or a byline's markup, inside: the line is not read whole."""
    return any(isinstance(child.tag, str) and (blocks and child.tag in _BLOCK_TAGS or _is_author_markup(child))
               for child in element.iterdescendants())


def _has_prose(element) -> bool:
    return any(len(p.text_content().split()) > _PROSE_WORDS for p in element.iter("p"))

