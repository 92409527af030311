"""Publication and modification dates as the page states them."""
from __future__ import annotations

from crawler.extraction.page import ParsedPage, clean, first_text, fold
from crawler.extraction.fields.title import headline_element

_PUBLISHED_METAS = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "pubdate", "publishdate", "publish-date", "dc.date.issued", "dcterms.issued",
)
_MODIFIED_METAS = ("article:modified_time", "og:updated_time", "og:article:modified_time", "dcterms.modified")
# Where a page keeps the dates of other stories.
_FOREIGN_CONTAINERS = {"a", "aside", "nav", "footer", "li"}


def published_raw(page: ParsedPage, title: str | None) -> str | None:
    return (clean(first_text(page.article.get("datePublished")))
            or page.microdata_value("datepublished")
            or page.meta(*_PUBLISHED_METAS)
            or _byline_time(page, title)) or None


def modified_raw(page: ParsedPage) -> str | None:
    return (clean(first_text(page.article.get("dateModified")))
            or page.microdata_value("datemodified")
            or page.meta(*_MODIFIED_METAS)) or None


def _byline_time(page: ParsedPage, title: str | None) -> str:
    """The `<time datetime>` of the byline: inside the `<header>` or
    `<article>` that holds the headline `<h1>`, outside links, lists and
    asides (where related stories keep their dates)."""
    heading = headline_element(page, title)
    if heading is None or fold(heading.text_content().strip()) != fold(title):
        return ""
    container = next((a for a in heading.iterancestors() if a.tag in ("header", "article")), None)
    if container is None:
        return ""
    for time in container.iter("time"):
        value = (time.get("datetime") or "").strip()
        if value and not any(a.tag in _FOREIGN_CONTAINERS for a in time.iterancestors()):
            return value
    return ""
