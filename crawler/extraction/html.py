"""Article extraction from HTML pages (saved files and live responses).

The page is parsed once with lxml. Metadata comes from what the page declares
for machines: JSON-LD first (`NewsArticle` and its kin, inside `@graph` and
lists too), then microdata, OpenGraph and other `<meta>` tags, then a few
visible elements (`<h1>`, `<title>`, a byline `<time>` beside the headline).
The main text comes from trafilatura run on the same tree, without its own
metadata search: htmldate guesses dates from page content, and a date taken
from a related-article link is a false date. A date the page does not declare
stays None.

Gzip is undone by the caller (`crawler.pages.read_saved_page`); Scrapy
decompresses live responses itself.
"""
from __future__ import annotations

import html
import json
import logging
import re
from copy import copy
from datetime import datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from w3lib.encoding import html_to_unicode

from crawler.items import ArticleItem
from crawler.outlets import by_url

logger = logging.getLogger(__name__)

PARSER_NAME = "html"

# The parser options trafilatura uses for its own parses.
_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True,
)
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

_ARTICLE_TYPES = {"blogposting", "liveblogposting", "report"}
_PUBLISHER_TYPES = {"website", "organization", "newsmediaorganization"}
_PUBLISHED_METAS = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "pubdate", "publishdate", "publish-date", "dc.date.issued", "dcterms.issued",
)
_MODIFIED_METAS = ("article:modified_time", "og:updated_time", "og:article:modified_time", "dcterms.modified")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_BYLINE_PREFIX = re.compile(r"^(?:بقلم|كتب|كتبت|إعداد|اعداد|by)(?:\s*[:：\-–]\s*|\s+)", re.IGNORECASE)
_TAG_SEPARATOR = re.compile(r"\s*[,،;؛]\s*")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " · ", " ｜ ")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_MARKUP_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|li|blockquote)\s*>|<br\s*/?>", re.IGNORECASE)
_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")
# Paragraphs and list items with links; menus are left to trafilatura.
_LINKED_BLOCKS = etree.XPath("//p[.//a] | //li[.//a][not(ancestor::nav or ancestor::header or ancestor::footer)]")
# Never article text: the head (read for metadata already) and elements that
# trafilatura discards anyway. Removed first, they are not copied and tested
# by its XPath rules over and over.
_NOT_TEXT = etree.XPath(
    "//head | //script | //style | //svg | //noscript | //template | //nav | //footer | //aside"
    " | //iframe | //button | //select | //input | //link | //meta"
)
# Where a page keeps the dates of other stories.
_FOREIGN_CONTAINERS = {"a", "aside", "nav", "footer", "li"}


def extract_html(
    body: bytes | str, url: str, *, encoding: str | None = None, at: datetime | None = None,
) -> ArticleItem:
    """Extract one article from an HTML page.

    `body` is the page as bytes (decoded with `encoding` if given, e.g. the
    HTTP header's, else the page's own declaration) or as text; `url` is where
    it was read from. Raw date strings go to `published_raw` / `modified_raw`
    for the dates normalizer. `at` is when the page was fetched or captured
    (None: now): a known outlet's page is cleaned with the cleanup selectors
    of the parser version valid then (see crawler.outlets.base.ParserVersion)."""
    item = ArticleItem(url=url, parser=PARSER_NAME)
    tree = parse_html(body, encoding)
    if tree is None:
        return item

    metas = _collect_meta(tree)
    article, graph = _json_ld_article(tree, url)
    microdata = _microdata_dates(tree)

    item.canonical_url = _canonical_url(tree, article, metas, url)
    item.language = _language(tree, article, metas)
    site_names = _site_names(article, graph, metas)
    item.outlet_name = site_names[0] if site_names else None
    outlet = by_url(item.canonical_url) or by_url(url)
    item.outlet = outlet.slug if outlet else None

    item.title = _title(tree, article, metas, site_names)
    item.subtitle = _clean(_first_text(article.get("alternativeHeadline"))) or None
    item.published_raw = (
        _clean(_first_text(article.get("datePublished")))
        or microdata.get("datepublished")
        or _first_meta(metas, *_PUBLISHED_METAS)
        or _byline_time(tree, item.title)
    ) or None
    item.modified_raw = (
        _clean(_first_text(article.get("dateModified")))
        or microdata.get("datemodified")
        or _first_meta(metas, *_MODIFIED_METAS)
    ) or None

    item.authors = _authors(article, graph, metas, site_names)
    item.section = _clean(_first_text(article.get("articleSection"))) or _first_meta(metas, "article:section") or None
    item.tags = _tags(article, metas)
    item.image_url, image_caption = _lead_image(article, graph, metas, url)
    item.captions = _unique([image_caption, _figure_caption(tree, item.image_url)])

    cleanup = outlet.parser_version(at).cleanup_selectors if outlet else ()
    item.body = _main_text(tree, url, article, item.title, item.subtitle, item.section, cleanup)
    return item


# --- decoding and parsing ---------------------------------------------------


def decode_html(body: bytes, encoding: str | None = None) -> str:
    """Decode page bytes: a byte-order mark, then the given encoding, then the
    page's own `<meta charset>`; undeclared, UTF-8 if the bytes are valid
    UTF-8, else Windows-1256 for Arabic text and Windows-1252 otherwise (the
    legacy encodings of undeclared pages)."""
    header = f"text/html; charset={encoding}" if encoding else None
    _, text = html_to_unicode(header, body, auto_detect_fun=_sniff_encoding)
    return text


def _sniff_encoding(body: bytes) -> str:
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = body.decode("cp1256", errors="replace")
    letters = sum(ch.isalpha() for ch in sample)
    if letters and len(_ARABIC_LETTER.findall(sample)) >= 0.3 * letters:
        return "cp1256"
    return "cp1252"


def parse_html(body: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement | None:
    """The page's lxml tree, or None for an empty or unparsable page."""
    text = decode_html(body, encoding) if isinstance(body, (bytes, bytearray)) else body
    if not text or not text.strip():
        return None
    try:
        # Bytes with an explicit encoding: libxml2 then ignores the page's own
        # (already applied) charset declaration.
        return lxml.html.document_fromstring(text.encode("utf-8", "surrogatepass"), parser=_HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        logger.debug("Unparsable HTML: %s", exc)
        return None


# --- small helpers ----------------------------------------------------------


def _clean(text: str | None) -> str:
    return _WHITESPACE.sub(" ", html.unescape(text)).strip() if text else ""


def _fold(text: str | None) -> str:
    return _WHITESPACE.sub(" ", text or "").strip().casefold()


def _first_text(value) -> str:
    """The first string in a JSON-LD value (a string, a list, or an object with a name)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return next((t for t in map(_first_text, value) if t), "")
    if isinstance(value, dict):
        return _first_text(value.get("name") or value.get("@value"))
    return ""


def _unique(values) -> list[str]:
    seen, result = set(), []
    for value in values:
        key = _fold(value)
        if key and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def _absolute(link: str | None, base: str) -> str | None:
    link = (link or "").strip()
    if not link:
        return None
    absolute = urljoin(base, link) if base.startswith(("http://", "https://")) else link
    return absolute if absolute.startswith(("http://", "https://")) else None


def _element_text(element) -> str:
    return _WHITESPACE.sub(" ", element.text_content()).strip()


# --- <meta>, JSON-LD, microdata -----------------------------------------------


def _collect_meta(tree) -> dict[str, list[str]]:
    """`<meta>` contents by lowercased property or name."""
    metas: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        key = meta.get("property") or meta.get("name") or meta.get("http-equiv")
        if content and key:
            metas.setdefault(key.strip().lower(), []).append(content)
    return metas


def _first_meta(metas: dict[str, list[str]], *keys: str) -> str:
    for key in keys:
        for value in metas.get(key, ()):
            cleaned = _clean(value)
            if cleaned:
                return cleaned
    return ""


def _json_ld_objects(tree) -> list:
    objects = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        text = script.text.strip()
        if text.startswith("<!--"):
            text = text[4:].rsplit("-->", 1)[0]
        try:
            objects.append(json.loads(text, strict=False))
        except ValueError:
            logger.debug("Unreadable JSON-LD block skipped")
    return objects


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


def _types(obj: dict) -> set[str]:
    declared = obj.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {n.rsplit("/", 1)[-1].lower() for n in names if isinstance(n, str)}


def _is_article_type(name: str) -> bool:
    return name.endswith("article") or name in _ARTICLE_TYPES


def _json_ld_article(tree, url: str) -> tuple[dict, dict[str, dict]]:
    """The page's own article object (empty if none) and the objects by `@id`.
    Of several articles (related stories are listed too), the one naming this
    page's address wins, else the first."""
    objects = list(walk_json_ld(_json_ld_objects(tree)))
    graph = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}
    articles = [obj for obj in objects if any(map(_is_article_type, _types(obj)))]
    if not articles:
        return {}, graph
    page = _url_key(url)
    for article in articles:
        declared = (_first_url(article.get("mainEntityOfPage")), _first_url(article.get("url")))
        if page and page in {_url_key(u) for u in declared if u}:
            return article, graph
    return articles[0], graph


def _url_key(url: str | None) -> str:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" if host else ""


def _first_url(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((u for u in map(_first_url, value) if u), None)
    if isinstance(value, dict):
        return _first_url(value.get("@id") or value.get("url") or value.get("contentUrl"))
    return None


def _resolve(value, graph: dict[str, dict]):
    """An `{"@id": ...}` reference replaced by the object it names, if present."""
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in graph:
        return graph[value["@id"]]
    return value


def _microdata_dates(tree) -> dict[str, str]:
    """`datePublished` / `dateModified` of the page's first microdata article."""
    for scope in tree.xpath("//*[@itemscope][@itemtype]"):
        kind = scope.get("itemtype").rstrip("/").rsplit("/", 1)[-1].lower()
        if not _is_article_type(kind):
            continue
        found = {}
        for prop in scope.xpath(".//*[@itemprop]"):
            name = prop.get("itemprop").strip().lower()
            if name in ("datepublished", "datemodified") and name not in found:
                value = prop.get("content") or prop.get("datetime") or _element_text(prop)
                if value and value.strip():
                    found[name] = value.strip()
        return found
    return {}


# --- fields -----------------------------------------------------------------


def _canonical_url(tree, article: dict, metas, url: str) -> str | None:
    # The page's own <link rel=canonical> and og:url first: templates often fill
    # JSON-LD ids with a section URL shared by every article in it.
    candidates = [link.get("href") for link in tree.iterfind(".//link[@rel]")
                  if "canonical" in link.get("rel", "").lower().split()]
    candidates.append(_first_meta(metas, "og:url"))
    candidates += [_first_url(article.get("mainEntityOfPage")), _first_url(article.get("url"))]
    for candidate in candidates:
        absolute = _absolute(candidate, url)
        if absolute:
            return absolute.split("#", 1)[0]  # JSON-LD ids like ".../#webpage"
    return None


def _language(tree, article: dict, metas) -> str | None:
    declared = (
        _first_text(article.get("inLanguage"))
        or tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        or _first_meta(metas, "og:locale", "content-language", "language")
    )
    code = re.split(r"[-_\s]", declared.strip().lower(), maxsplit=1)[0] if declared else ""
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _site_names(article: dict, graph, metas) -> list[str]:
    """The outlet's names as the page gives them, the preferred one first."""
    publisher = _resolve(article.get("publisher"), graph)
    if isinstance(publisher, list):
        publisher = _resolve(publisher[0], graph) if publisher else None
    names = [_first_meta(metas, "og:site_name"), _clean(_first_text(publisher))]
    names += [_clean(obj["name"]) for obj in graph.values()
              if isinstance(obj.get("name"), str) and _types(obj) & _PUBLISHER_TYPES]
    return _unique(n for n in names if not re.match(r"(?:https?:)?//", n))


def _headings(tree):
    return (h for h in tree.iter("h1") if _element_text(h))


def _title(tree, article: dict, metas, site_names: list[str]) -> str | None:
    headline = _clean(_first_text(article.get("headline")) or _first_text(article.get("name")))
    if headline:
        return _strip_site_name(headline, site_names)
    heading = next(_headings(tree), None)
    heading_text = _element_text(heading) if heading is not None else ""
    for candidate in (_first_meta(metas, "og:title", "twitter:title"), _clean(tree.findtext(".//title"))):
        if candidate:
            stripped = _strip_site_name(candidate, site_names)
            if stripped == candidate and _is_decorated(candidate, heading_text):
                return heading_text  # "Section | Headline - Site" with undeclared names
            return stripped
    return heading_text or None


def _strip_site_name(title: str, site_names: list[str]) -> str:
    folded_names = {_fold(n) for n in site_names}
    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        if _fold(tail) in folded_names and head.strip():
            return head.strip()
        head, _, tail = title.partition(separator)
        if _fold(head) in folded_names and tail.strip():
            return tail.strip()
    return title


def _is_decorated(title: str, heading: str) -> bool:
    """Whether `title` is `heading` with a separated prefix or suffix."""
    if not heading or heading == title or heading not in title:
        return False
    before, _, after = title.partition(heading)
    return (not before.strip() or before.endswith(_TITLE_SEPARATORS)) and (
        not after.strip() or after.startswith(_TITLE_SEPARATORS))


def _byline_time(tree, title: str | None) -> str:
    """The `<time datetime>` of the byline: inside the `<header>` or
    `<article>` that holds the headline `<h1>`, outside links, lists and
    asides (where related stories keep their dates)."""
    if not title:
        return ""
    folded_title = _fold(title)
    heading = next((h for h in _headings(tree) if _fold(_element_text(h)) == folded_title), None)
    if heading is None:
        return ""
    container = next((a for a in heading.iterancestors() if a.tag in ("header", "article")), None)
    if container is None:
        return ""
    for time in container.iter("time"):
        value = (time.get("datetime") or "").strip()
        if value and not any(a.tag in _FOREIGN_CONTAINERS for a in time.iterancestors()):
            return value
    return ""


def _person_names(value, graph) -> list[str]:
    value = _resolve(value, graph)
    if isinstance(value, list):
        return [name for entry in value for name in _person_names(entry, graph)]
    if isinstance(value, dict):
        return _person_names(value.get("name"), graph)
    if isinstance(value, str):
        return [value]
    return []


def _authors(article: dict, graph, metas, site_names: list[str]) -> list[str]:
    """Author names without a byline prefix ("بقلم"); the outlet's own name
    and profile URLs are not authors."""
    names = _person_names(article.get("author"), graph) or metas.get("author", []) or metas.get("article:author", [])
    site = {_fold(n) for n in site_names}
    cleaned = (_BYLINE_PREFIX.sub("", _clean(name)) for name in names)
    return _unique(n for n in cleaned if n and not n.startswith(("http://", "https://")) and _fold(n) not in site)


def _tags(article: dict, metas) -> list[str]:
    keywords = article.get("keywords")
    if isinstance(keywords, list):
        values = [_first_text(k) for k in keywords]
    elif isinstance(keywords, str):
        values = [keywords]
    else:
        values = metas.get("article:tag") or metas.get("news_keywords") or metas.get("keywords") or []
    return _unique(_clean(tag) for value in values for tag in _TAG_SEPARATOR.split(value))


def _lead_image(article: dict, graph, metas, url: str) -> tuple[str | None, str | None]:
    image = _resolve(article.get("image"), graph)
    if isinstance(image, list):
        image = _resolve(image[0], graph) if image else None
    caption = None
    if isinstance(image, dict):
        caption = _clean(_first_text(image.get("caption")) or _first_text(image.get("description"))) or None
    image_url = _absolute(_first_url(image), url) or _absolute(_first_meta(metas, "og:image", "twitter:image"), url)
    return image_url, caption


def _figure_caption(tree, image_url: str | None) -> str | None:
    """The `<figcaption>` of the figure showing the lead image."""
    file_name = urlsplit(image_url or "").path.rsplit("/", 1)[-1]
    if not file_name:
        return None
    for figure in tree.iter("figure"):
        caption = figure.find(".//figcaption")
        if caption is None:
            continue
        for image in figure.iter("img", "source"):
            sources = " ".join(filter(None, map(image.get, ("src", "data-src", "srcset", "data-srcset"))))
            if file_name in sources:
                return _element_text(caption) or None
    return None


# --- main text --------------------------------------------------------------


def _main_text(tree, url: str, article: dict, title: str | None, subtitle: str | None,
               section: str | None = None, cleanup: tuple[str, ...] = ()) -> str | None:
    """The article text, paragraphs separated by a blank line. Changes `tree`
    (so it runs last)."""
    for element in _NOT_TEXT(tree):
        element.drop_tree()
    for selector in cleanup:
        for element in _css(selector)(tree):
            element.drop_tree()
    _drop_link_blocks(tree)
    paragraphs = _extract_text(tree, url)
    declared = _paragraphs(_markup_to_text(_first_text(article.get("articleBody"))))
    if declared and (
        _word_count(paragraphs) < _SHORT_TEXT_WORDS <= _word_count(declared)
        # trafilatura's own rescue of the same text, without its paragraph breaks
        or _fold(" ".join(paragraphs)) == _fold(" ".join(declared))
    ):
        paragraphs = declared
    # The headline and subtitle printed above the text are not part of the
    # body, nor is the headline repeated further down (print footers), nor a
    # line that is only the section's name (a category label).
    heads = {_fold(t) for t in (title, subtitle) if t}
    while paragraphs and _fold(paragraphs[0]) in heads:
        paragraphs.pop(0)
    labels = {_fold(t) for t in (title, section) if t}
    paragraphs = [p for p in paragraphs if _fold(p) not in labels]
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
    dump = _fold(paragraphs[0])
    if found and all(_fold(p) in dump for p in found) and len(_fold(" ".join(found))) < len(dump):
        return found
    return paragraphs


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
