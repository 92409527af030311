"""Article extraction from HTML pages (saved files and live responses).

The page is parsed once (`crawler.extraction.page.ParsedPage`): its tree, its
`<meta>` tags, its JSON-LD graph and microdata. Small field extractors
(`crawler.extraction.fields`) read that one object: title and site names,
dates, authors, canonical URL, lead image. The main text comes from
trafilatura run on the same tree, without its own metadata search. A date
the page does not state stays None.

Gzip is undone by the caller (`crawler.pages.read_saved_page`); Scrapy
decompresses live responses itself.
"""
from __future__ import annotations

import html
import re
from copy import copy
from datetime import datetime
from functools import lru_cache

from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura import bare_extraction
from trafilatura.settings import Extractor

from crawler.datetimes import zone_named
from crawler.extraction.fields import authors, canonical, dates, media, title
from crawler.extraction.page import ParsedPage, clean, first_text, fold, unique
from crawler.items import ArticleItem
from crawler.outlets import by_url

PARSER_NAME = "html"

# Main-text options, chosen on the AEB benchmark (see BENCHMARKS.md): no
# comments and no metadata search; recall focus without the external fallback
# extractors (`fast`) scored better and ran faster than the default cascade.
_TEXT_OPTIONS = Extractor(output_format="python", fast=True, recall=True, comments=False)
# The same without trafilatura's rescue of a short text (a dump of the whole
# <article> as one block), to see what that dump added; see _extract_text.
_TEXT_OPTIONS_NO_RESCUE = copy(_TEXT_OPTIONS)
_TEXT_OPTIONS_NO_RESCUE.min_extracted_size = 0
# A paragraph or list item whose text is mostly link text is a "read more"
# teaser ("اقرأ أيضاً: <headline>") or a link list, not article prose.
_LINK_SHARE_LIMIT = 0.7
# Below this many words the extracted text is taken as a miss (a page whose
# text is drawn by scripts), and a longer JSON-LD `articleBody` is used instead.
_SHORT_TEXT_WORDS = 50

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_TAG_SEPARATOR = re.compile(r"\s*[,،;؛]\s*")
_MARKUP_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|li|blockquote)\s*>|<br\s*/?>", re.IGNORECASE)
_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")
# Paragraphs and list items with links; menus are left to trafilatura.
_LINKED_BLOCKS = etree.XPath("//p[.//a] | //li[.//a][not(ancestor::nav or ancestor::header or ancestor::footer)]")
# Never article text: the head (read for metadata already) and elements that
# trafilatura discards anyway. Removed first, they are not copied and tested
# by its XPath rules over and over. Removed in C by tag (lxml's strip_elements,
# which keeps their tails as drop_tree does): an XPath union of them made a
# Python proxy for each, 1 ms a page.
_NOT_TEXT_TAGS = ("head", "script", "style", "svg", "template", "nav", "footer", "aside",
                  "iframe", "select", "input", "link", "meta")
# ... and those judged one by one, on the whole page first: a <noscript> or
# <button> holding a whole text (pages that draw the article by script,
# accordions) is left to trafilatura, and so is a <header> of the article's
# (the site's header holds today's date, the weather).
_NOT_TEXT_JUDGED = etree.XPath(
    "//noscript[string-length(normalize-space(.)) < 200] | //button[string-length(normalize-space(.)) < 200]"
    " | //header[not(ancestor::article or ancestor::main)][not(.//h1)]"
)


def extract_html(
    body: bytes | str, url: str, *, encoding: str | None = None, at: datetime | None = None,
    page: ParsedPage | None = None,
) -> ArticleItem:
    """Extract one article from an HTML page.

    `body` is the page as bytes (decoded with `encoding` if given, e.g. the
    HTTP header's, else the page's own declaration) or as text; `url` is where
    it was read from. Dates are decided here (`published_at`, `modified_at`
    in UTC, their text in `published_raw` / `modified_raw`). `at` is when the
    page was fetched or captured (None: now): a known outlet's page is cleaned with the cleanup selectors
    of the parser version valid then (see crawler.outlets.base.ParserVersion)."""
    item = ArticleItem(url=url, parser=PARSER_NAME)
    page = page or ParsedPage.parse(body, url, encoding)
    if page is None:
        return item
    item.warnings += page.warnings

    item.canonical_url = canonical.canonical_url(page)
    item.language = _language(page)
    site_names = title.site_names(page)
    item.outlet_name = site_names[0] if site_names else None
    outlet = by_url(item.canonical_url) or by_url(url)
    item.outlet = outlet.slug if outlet else None

    item.title = title.title(page, site_names)
    item.subtitle = clean(first_text(page.article.get("alternativeHeadline"))) or None
    found = dates.page_dates(page, item.title, item.canonical_url, zone_named(outlet.timezone) if outlet else None)
    item.published_at, item.published_raw = found.published_at, found.published_raw
    item.modified_at, item.modified_raw = found.modified_at, found.modified_raw
    item.warnings += found.warnings

    byline = authors.byline(page, site_names, item.title)
    item.authors, item.source_lines = byline.authors, byline.credits
    item.section = clean(first_text(page.article.get("articleSection"))) or page.meta("article:section") or None
    item.tags = _tags(page)
    item.image_url, image_caption = media.lead_image(page)
    item.captions = unique([image_caption, media.figure_caption(page, item.image_url)])

    cleanup = outlet.parser_version(at).cleanup_selectors if outlet else ()
    item.body = _main_text(page, item.title, item.subtitle, item.section, cleanup, byline.lines)
    return item


def _language(page: ParsedPage) -> str | None:
    tree = page.tree
    declared = (
        first_text(page.article.get("inLanguage"))
        or tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        or page.meta("og:locale", "content-language", "language")
    )
    code = re.split(r"[-_\s]", declared.strip().lower(), maxsplit=1)[0] if declared else ""
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _tags(page: ParsedPage) -> list[str]:
    keywords = page.article.get("keywords")
    if isinstance(keywords, list):
        values = [first_text(k) for k in keywords]
    elif isinstance(keywords, str):
        values = [keywords]
    else:
        values = page.metas.get("article:tag") or page.metas.get("news_keywords") or page.metas.get("keywords") or []
    return unique(clean(tag) for value in values for tag in _TAG_SEPARATOR.split(value))


# --- main text --------------------------------------------------------------


def _main_text(page: ParsedPage, title: str | None, subtitle: str | None,
               section: str | None = None, cleanup: tuple[str, ...] = (), byline: tuple[str, ...] = ()) -> str | None:
    """The article text, paragraphs separated by a blank line. Changes the
    page's tree (so it runs last)."""
    tree, url = page.tree, page.url
    _drop_not_text(tree)
    for selector in cleanup:
        for element in _css(selector)(tree):
            element.drop_tree()
    _drop_link_blocks(tree)
    paragraphs = _extract_text(tree, url)
    declared = _paragraphs(_markup_to_text(first_text(page.article.get("articleBody"))))
    if declared and (
        _word_count(paragraphs) < _SHORT_TEXT_WORDS <= _word_count(declared)
        # trafilatura's own rescue of the same text, without its paragraph breaks
        or fold(" ".join(paragraphs)) == fold(" ".join(declared))
    ):
        paragraphs = declared
    paragraphs = authors.without_byline(paragraphs, byline)
    # A date line above the text (`نشر في: ... - آخر تحديث: ...`) is not text.
    while paragraphs[:1] and dates.is_date_line(paragraphs[0]):
        paragraphs.pop(0)
    # The headline and subtitle printed above the text are not part of the
    # body, nor is the headline repeated further down (print footers), nor a
    # line that is only the section's name (a category label).
    heads = {fold(t) for t in (title, subtitle) if t}
    while paragraphs and fold(paragraphs[0]) in heads:
        paragraphs.pop(0)
    labels = {fold(t) for t in (title, section) if t}
    paragraphs = [p for p in paragraphs if fold(p) not in labels]
    return "\n\n".join(paragraphs) or None


def _extract_text(tree, url: str) -> list[str]:
    """trafilatura's main text as paragraphs. When its text is short,
    trafilatura falls back to a dump of the page's <article> as one block:
    headline, byline, caption and tag line glued to the text. If the text it
    found before that rescue is all inside the dump, that text is kept."""
    document = bare_extraction(tree, url=url, options=_TEXT_OPTIONS)
    paragraphs = _paragraphs(document.text if document is not None else "")
    if len(paragraphs) != 1:
        return paragraphs
    unrescued = bare_extraction(tree, url=url, options=_TEXT_OPTIONS_NO_RESCUE)
    found = _paragraphs(unrescued.text if unrescued is not None else "")
    dump = fold(paragraphs[0])
    if found and all(fold(p) in dump for p in found) and len(fold(" ".join(found))) < len(dump):
        return found
    return paragraphs


def _drop_not_text(tree) -> None:
    for element in _NOT_TEXT_JUDGED(tree):
        element.drop_tree()
    # A broken page may have elements beside its root (a second <html>).
    for top in (*tree.itersiblings(preceding=True), tree, *tree.itersiblings()):
        etree.strip_elements(top, *_NOT_TEXT_TAGS, with_tail=False)


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


def _drop_link_blocks(tree) -> None:
    for block in _LINKED_BLOCKS(tree):
        length = _TEXT_LENGTH(block)
        if length and sum(map(_TEXT_LENGTH, block.iter("a"))) >= _LINK_SHARE_LIMIT * length:
            block.drop_tree()


def _paragraphs(text: str | None) -> list[str]:
    lines = (_WHITESPACE.sub(" ", line).strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


def _word_count(paragraphs: list[str]) -> int:
    return sum(len(_WORD.findall(p)) for p in paragraphs)


def _markup_to_text(text: str) -> str:
    """JSON-LD `articleBody` as plain text (some sites put HTML in it)."""
    if not text:
        return ""
    if _MARKUP_TAG.search(text):
        text = _MARKUP_TAG.sub("", _BLOCK_END.sub("\n", text))
    return html.unescape(text)
