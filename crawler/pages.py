"""From a saved page's bytes to an `ArticleItem`: the one entry point that the
replay (and later WARC replay) use, so every saved format takes the same path."""
from __future__ import annotations

from crawler.inputs import UnreadableInput, check_content, decode_text, maybe_gunzip
from crawler.items import ArticleItem

CAPTURE = "capture"
HTML = "html"


def kind_of(name: str) -> str | None:
    """The saved-page kind a file name stands for, or None if not a page."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    if lower.endswith(".txt"):
        return CAPTURE
    if lower.endswith((".html", ".htm")):
        return HTML
    return None


def read_saved_page(data: bytes, url: str, kind: str) -> ArticleItem:
    """Parse one saved page. Raises `UnreadableInput` for input that is not a page."""
    data = maybe_gunzip(data)
    check_content(data)
    if kind == CAPTURE:
        from crawler.extraction.captures import parse_capture

        text, encoding = decode_text(data)
        item = parse_capture(text, url)
        if encoding != "utf-8":
            item.warnings.append(f"decoded_as_{encoding}")
    elif kind == HTML:
        from crawler.extraction.html import extract_html

        item = extract_html(data, url)
        # A saved page that names its own address is stored under it.
        if item.canonical_url and item.canonical_url.startswith(("http://", "https://")):
            item.url = item.canonical_url
    else:
        raise UnreadableInput("unsupported_format", f"not a saved page type: {url}")
    item.input_ref = item.input_ref or url
    return item
