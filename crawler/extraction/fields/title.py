"""The headline and the outlet's names as the page gives them."""
from __future__ import annotations

import re

from lxml import etree

from crawler.extraction.page import ParsedPage, clean, element_text, first_text, fold, types_of, unique

_PUBLISHER_TYPES = {"website", "organization", "newsmediaorganization"}
_OTHER_HEADLINES = etree.XPath("//h2 | //h3 | //*[@itemprop='headline'][not(self::meta)]")
_TITLED = etree.XPath("//*[contains(@class, 'title') or contains(@class, 'headline')]")
_LETTERS = re.compile(r"[^\W_]+")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " · ", " ｜ ")


def site_names(page: ParsedPage) -> list[str]:
    """The outlet's names as the page gives them, the preferred one first."""
    publisher = page.resolve(page.article.get("publisher"))
    if isinstance(publisher, list):
        publisher = page.resolve(publisher[0]) if publisher else None
    names = [page.meta("og:site_name"), clean(first_text(publisher))]
    names += [clean(obj["name"]) for obj in page.graph.values()
              if isinstance(obj.get("name"), str) and types_of(obj) & _PUBLISHER_TYPES]
    return unique(n for n in names if not re.match(r"(?:https?:)?//", n))


def headings(page: ParsedPage):
    return (h for h in page.tree.iter("h1") if element_text(h))


def headline_element(page: ParsedPage, title: str | None):
    """The element that shows the title above the article: an `<h1>` (else
    an `<h2>`/`<h3>` or an element marked as the headline) whose text is the
    title or within it, compared on letters and digits only; else the page's
    only `<h1>`. None if there is none."""
    memo_key = ("headline", title)
    if memo_key not in page.memo:
        page.memo[memo_key] = _find_headline(page, title)
    return page.memo[memo_key]


def _find_headline(page: ParsedPage, title: str | None):
    key = _letters(title)
    if key:
        # Each kind is searched only if the ones before found nothing.
        for candidates in (lambda: headings(page), lambda: _OTHER_HEADLINES(page.tree), lambda: _titled(page)):
            for element in candidates():
                text = _letters(element_text(element))
                if text and (text == key or (len(text) > 15 and text in key) or (len(key) > 15 and key in text)):
                    return element
    shown = list(headings(page))
    return shown[0] if len(shown) == 1 else None


def _titled(page: ParsedPage):
    """Elements whose class says title or headline, not wrapping a heading."""
    return (e for e in _TITLED(page.tree) if e.tag != "title" and e.find(".//h1") is None and e.find(".//h2") is None)


def _letters(text: str | None) -> str:
    return "".join(_LETTERS.findall(fold(text))) if text else ""


def title(page: ParsedPage, names: list[str]) -> str | None:
    headline = clean(first_text(page.article.get("headline")) or first_text(page.article.get("name"))
                     or page.microdata_value("headline"))
    if headline:
        return strip_site_name(headline, names)
    heading = next(headings(page), None)
    heading_text = element_text(heading) if heading is not None else ""
    for candidate in (page.meta("og:title", "twitter:title"), clean(page.tree.findtext(".//title"))):
        if candidate:
            stripped = strip_site_name(candidate, names)
            if stripped == candidate and _is_decorated(candidate, heading_text):
                return heading_text  # "Section | Headline - Site" with undeclared names
            return stripped
    return heading_text or None


def strip_site_name(title: str, names: list[str]) -> str:
    folded_names = {fold(n) for n in names}
    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        if fold(tail) in folded_names and head.strip():
            return head.strip()
        head, _, tail = title.partition(separator)
        if fold(head) in folded_names and tail.strip():
            return tail.strip()
    return title


def _is_decorated(title: str, heading: str) -> bool:
    """Whether `title` is `heading` with a separated prefix or suffix."""
    if not heading or heading == title or heading not in title:
        return False
    before, _, after = title.partition(heading)
    return (not before.strip() or before.endswith(_TITLE_SEPARATORS)) and (
        not after.strip() or after.startswith(_TITLE_SEPARATORS))
