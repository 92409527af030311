"""A saved or fetched HTML page, parsed once for every field extractor.

`ParsedPage.parse` decodes and parses the page and collects what the page
declares for machines: its `<meta>` tags, its JSON-LD objects (in `@graph`
and lists too, read leniently: comments, trailing commas, several objects in
one block), the page's own article object among them, and the properties of
its microdata article. The field extractors (`crawler.extraction.fields`)
read this one object instead of searching the tree again.
"""
from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.extraction.decoding import decode_page

logger = logging.getLogger(__name__)

# The parser options trafilatura uses for its own parses.
_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True,
)
# Every element an HtmlElement, chosen in C: lxml.html's own lookup (form and
# input classes) is a Python call for each element proxy made, about 1,500 a
# page here and in trafilatura's copies of the tree (0.5-1 ms a page).
_HTML_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity,
))
_WHITESPACE = re.compile(r"\s+")
_ELEMENT_COUNT = etree.XPath("count(//*)")
_TEXT_LENGTH = etree.XPath("string-length(string(/))")
# Control characters XML forbids (never part of a multi-byte UTF-8 sequence).
_NOT_XML_BYTES = bytes([*range(9), 11, 12, *range(14, 32)])
_ARTICLE_TYPES = {"blogposting", "liveblogposting", "report", "posting"}
# JSON-LD as templates write it: `//` and `/* */` comments, then commas
# before a closing bracket. Strings are matched first so their content is kept.
_JSON_COMMENTS = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)
_JSON_TRAILING_COMMAS = re.compile(r'("(?:\\.|[^"\\])*")|,(?=\s*[}\]])')
_MICRODATA_PROPERTIES = ("headline", "name", "datepublished", "datemodified", "datecreated", "author", "creator")
_CODE = {"script", "style"}


def clean(text: str | None) -> str:
    """Whitespace folded, HTML entities undone."""
    return _WHITESPACE.sub(" ", html.unescape(text)).strip() if text else ""


def fold(text: str | None) -> str:
    """A comparison key: whitespace folded, case folded."""
    return _WHITESPACE.sub(" ", text or "").strip().casefold()


def element_text(element) -> str:
    return _WHITESPACE.sub(" ", element.text_content()).strip()


def first_text(value) -> str:
    """The first string in a JSON-LD value (a string, a list, or an object with a name)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return next((t for t in map(first_text, value) if t), "")
    if isinstance(value, dict):
        return first_text(value.get("name") or value.get("@value"))
    return ""


def first_url(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((u for u in map(first_url, value) if u), None)
    if isinstance(value, dict):
        return first_url(value.get("@id") or value.get("url") or value.get("contentUrl"))
    return None


def absolute_url(link: str | None, base: str) -> str | None:
    link = (link or "").strip()
    if not link:
        return None
    absolute = urljoin(base, link) if base.startswith(("http://", "https://")) else link
    return absolute if absolute.startswith(("http://", "https://")) else None


def unique(values) -> list[str]:
    seen, result = set(), []
    for value in values:
        key = fold(value)
        if key and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def types_of(obj: dict) -> set[str]:
    declared = obj.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {n.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for n in names if isinstance(n, str)}


def is_article_type(name: str) -> bool:
    return name.endswith("article") or name in _ARTICLE_TYPES


def walk_json_ld(value):
    """Every top-level object in a JSON-LD value, lists and `@graph` members
    included (not objects nested in properties)."""
    if isinstance(value, list):
        for entry in value:
            yield from walk_json_ld(entry)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from walk_json_ld(value["@graph"])


def load_json_ld(text: str) -> list:
    """The JSON values in one `<script type="application/ld+json">` block:
    strict JSON, else with comments and trailing commas removed; several
    values one after another are all read. Unreadable blocks give []."""
    text = text.strip()
    if text.startswith("<!--"):  # the whole block commented out, or a comment before it
        text = text[4:-3] if text.endswith("-->") else text.partition("-->")[2]
    text = text.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip().rstrip(";")
    try:
        return [json.loads(text, strict=False)]
    except ValueError:
        pass
    for noise in (_JSON_COMMENTS, _JSON_TRAILING_COMMAS):
        text = noise.sub(lambda m: m.group(1) or "", text)
    decoder, values, pos = json.JSONDecoder(strict=False), [], 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n,;":
            pos += 1
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            logger.debug("Unreadable JSON-LD block skipped")
            break
        values.append(value)
    return values


def url_key(url: str | None) -> str:
    """Host (without `www.`) and path without its trailing slash: two spellings
    of one page's address compare equal."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" if host else ""


@dataclass
class ParsedPage:
    url: str
    tree: lxml.html.HtmlElement
    # `<meta>` contents by lowercased name, property, itemprop or http-equiv.
    metas: dict[str, list[str]]
    # Every JSON-LD object, the page's own article object ({} if none) and
    # the objects by `@id`.
    json_ld: list[dict]
    article: dict
    graph: dict[str, dict]
    # Properties of the page's first microdata article (lowercased names):
    # their elements, in document order.
    microdata: dict[str, list] = field(default_factory=dict)
    # What decoding the bytes found (`charset_mismatch`), for the item's warnings.
    warnings: list[str] = field(default_factory=list)
    # Results field extractors share (the headline element), computed once.
    memo: dict = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, body: bytes | str, url: str, encoding: str | None = None) -> ParsedPage | None:
        """The parsed page, or None for an empty or unparsable one. `encoding`
        (an HTTP header's) overrides the page's own declaration."""
        decoded = decode_page(body, encoding) if isinstance(body, (bytes, bytearray)) else None
        tree = parse_html(decoded.text, decoded.utf8) if decoded else parse_html(body)
        if tree is None:
            return None
        objects = [obj for script in tree.iter("script")
                   if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text
                   for obj in walk_json_ld(load_json_ld(script.text))]
        graph = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}
        return cls(url=url, tree=tree, metas=_collect_meta(tree), json_ld=objects,
                   article=_own_article(objects, url), graph=graph, microdata=_microdata_article(tree),
                   warnings=[decoded.warning] if decoded and decoded.warning else [])

    def meta(self, *keys: str) -> str:
        """The first non-empty `<meta>` content of the first key present."""
        for key in keys:
            for value in self.metas.get(key, ()):
                cleaned = clean(value)
                if cleaned:
                    return cleaned
        return ""

    def resolve(self, value):
        """An `{"@id": ...}` reference replaced by the object it names, if present."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in self.graph:
            return self.graph[value["@id"]]
        return value

    def microdata_value(self, name: str) -> str:
        """The first value of a microdata article property: its `content` or
        `datetime` attribute, else its text."""
        for element in self.microdata.get(name, ()):
            value = element.get("content") or element.get("datetime") or element_text(element)
            if value and value.strip():
                return clean(value)
        return ""

    @cached_property
    def canonical_links(self) -> list[str]:
        return [link.get("href") for link in self.tree.iterfind(".//link[@rel]")
                if "canonical" in link.get("rel", "").lower().split() and link.get("href")]


def parse_html(text: str, utf8: bytes | None = None) -> lxml.html.HtmlElement | None:
    """The page's lxml tree, or None for an empty or unparsable page. `utf8`:
    the text's UTF-8 bytes, when at hand."""
    if not text or not text.strip():
        return None
    try:
        # Bytes with an explicit encoding: libxml2 then ignores the page's own
        # (already applied) charset declaration. Control characters XML
        # forbids are dropped: lxml keeps them, trafilatura's serializations
        # of the tree then fail and the text comes out empty.
        data = (utf8 if utf8 is not None else text.encode("utf-8", "surrogatepass")).translate(None, _NOT_XML_BYTES)
        return lxml.html.document_fromstring(data, parser=_HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        logger.debug("Unparsable HTML: %s", exc)
        return None


def tree_size(tree) -> tuple[int, int]:
    """How many elements a page has, and characters of text outside scripts
    and styles (counted by libxml2: a Python walk of the tree cost a
    millisecond a page)."""
    code = sum(len(element.text or "") for element in tree.iter(*_CODE))
    return int(_ELEMENT_COUNT(tree)), int(_TEXT_LENGTH(tree)) - code


def _collect_meta(tree) -> dict[str, list[str]]:
    metas: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv")
        if content and key:
            metas.setdefault(key.strip().lower(), []).append(content)
    return metas


def _own_article(objects: list[dict], url: str) -> dict:
    """Of several articles (related stories are listed too), the one naming
    this page's address wins, else the first."""
    articles = [obj for obj in objects if any(map(is_article_type, types_of(obj)))]
    if not articles:
        return {}
    page = url_key(url)
    for article in articles:
        declared = (first_url(article.get("mainEntityOfPage")), first_url(article.get("url")))
        if page and page in {url_key(u) for u in declared if u}:
            return article
    return articles[0]


def _microdata_article(tree) -> dict[str, list]:
    for scope in tree.xpath("//*[@itemscope][@itemtype]"):
        kinds = {t.rstrip("/").rsplit("/", 1)[-1].lower() for t in scope.get("itemtype").split()}
        if not any(map(is_article_type, kinds)):
            continue
        found: dict[str, list] = {}
        for prop in scope.xpath(".//*[@itemprop]"):
            # A property of a nested item (the author's own name) is not the article's.
            owner = next((a for a in prop.iterancestors() if a.get("itemscope") is not None), None)
            for name in prop.get("itemprop").lower().split():
                if name in _MICRODATA_PROPERTIES and (owner is scope or name in ("author", "creator")):
                    found.setdefault(name, []).append(prop)
        return found
    return {}
