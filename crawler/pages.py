"""From a saved page's bytes to an `ArticleItem`: the one entry point that the
replay of saved files and of WARC records use, so every saved format takes the same path."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from scrapy.utils.url import strip_url
from w3lib.url import safe_url_string

from crawler.inputs import (
    UnreadableInput, check_content, check_page_size, check_text_size, decode_text, maybe_gunzip,
)
from crawler.items import ArticleItem
from crawler.outlets import by_url
from crawler.settings import DOWNLOAD_MAXSIZE

CAPTURE = "capture"
HTML = "html"
# A WARC file: its HTML response records are read as HTML pages (crawler.warc).
WARC = "warc"


def kind_of(name: str) -> str | None:
    """The saved-page kind a file name stands for, or None if not a page."""
    lower = name.lower()
    if lower.endswith((".warc", ".warc.gz")):
        return WARC
    if lower.endswith(".gz"):
        lower = lower[:-3]
    if lower.endswith(".txt"):
        return CAPTURE
    if lower.endswith((".html", ".htm")):
        return HTML
    return None


class NotAnArticle(Exception):
    """A saved HTML page that is not one article (a home page, a listing, search
    results, an about page...): skipped and counted, not rejected, as nothing
    in it is lost. `kind` says what it is (crawler.extraction.fields.kind)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def read_saved_page(
    data: bytes, url: str, kind: str, *, encoding: str | None = None, fetched_at: datetime | None = None,
    articles_only: bool = False, max_bytes: int = DOWNLOAD_MAXSIZE,
) -> ArticleItem:
    """Parse one saved page. Raises `UnreadableInput` for input that is not a
    page, or one too large to be one article (crawler.inputs).

    `url` is where the page was read from: a file, or the web URL of an
    archived response. `encoding` is the charset an HTTP header declared for an
    HTML page, if any; `fetched_at` is when it was fetched (an archived
    response's date; it picks the outlet's parser version). With
    `articles_only` (saved files, which come without a crawl's URL rules), an
    HTML page that is not one article raises `NotAnArticle`. `max_bytes`
    (DOWNLOAD_MAXSIZE) bounds the page once gzip is undone."""
    data = maybe_gunzip(data, max_bytes)
    check_content(data)
    if kind == CAPTURE:
        from crawler.extraction.captures import parse_capture

        text, text_encoding = decode_text(data)
        check_text_size(len(text), data)
        item = parse_capture(text, url)
        if text_encoding != "utf-8":
            item.warnings.append(f"decoded_as_{text_encoding}")
    elif kind == HTML:
        from crawler.extraction.fields.kind import ARTICLE, page_kind
        from crawler.extraction.html import extract_html
        from crawler.extraction.page import ParsedPage, tree_size

        # Parsed once: sized and judged first, then extracted.
        page = ParsedPage.parse(data, url, encoding)
        if page is not None:
            check_page_size(*tree_size(page.tree), data)
        if articles_only and page is not None and (found := page_kind(page)) != ARTICLE:
            raise NotAnArticle(found)
        item = extract_html(data, url, encoding=encoding, at=fetched_at, page=page)
        item.url = stored_url(item.canonical_url, url)
        # A page fetched from a known outlet's site is that outlet's, as in its crawl.
        outlet = by_url(url) if _is_web(url) else None
        if outlet:
            item.outlet = outlet.slug
    else:
        raise UnreadableInput("unsupported_format", f"not a saved page type: {url}")
    # A JSON-LD articleBody escapes the page's text size: the normalizers get no more either.
    check_text_size(len(item.body or ""), data)
    item.input_ref = item.input_ref or url
    item.fetched_at = item.fetched_at or fetched_at
    return item


def stored_url(canonical: str | None, url: str) -> str:
    """The URL an HTML page's article is stored under.

    A saved file (`url` is not a web URL) is stored under the web address it
    names as canonical. A fetched page (a live or archived response) is stored
    under its canonical URL only when that is a page of the same site (for a
    known outlet: one of its article URLs, not its home or a section), else
    under the URL it was fetched from."""
    url = normalized_url(url)
    if not canonical or not _is_web(canonical):
        return url
    canonical = normalized_url(canonical)
    if not _is_web(url):
        return canonical
    outlet = by_url(url)
    if outlet:
        same_page_kind = outlet.matches_domain(_host(canonical)) and outlet.is_article_url(canonical)
    else:
        site = _host(url).removeprefix("www.")
        host = _host(canonical).removeprefix("www.")
        same_page_kind = (host == site or host.endswith("." + site)) and bool(urlsplit(canonical).path.strip("/"))
    return canonical if same_page_kind else url


def normalized_url(url: str) -> str:
    """A web URL as it is stored: made safe (w3lib), without `user:password@`
    and with its `.` and `..` path segments resolved (RFC 3986). Other URLs
    (file://) are left as they are."""
    if not _is_web(url):
        return url
    parts = urlsplit(strip_url(safe_url_string(url), strip_default_port=False, strip_fragment=False))
    return parts._replace(path=_without_dot_segments(parts.path)).geturl()


def _without_dot_segments(path: str) -> str:
    if "/." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(kept) > 1:  # never above the root
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    # A path ending in a dot segment names a folder: it keeps its slash.
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/".join(kept)


def _is_web(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
