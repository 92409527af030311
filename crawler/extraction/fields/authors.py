"""Authors: JSON-LD, then microdata, then the `author` meta tags."""
from __future__ import annotations

import re

from crawler.extraction.page import ParsedPage, clean, element_text, fold, unique

_BYLINE_PREFIX = re.compile(r"^(?:بقلم|كتب|كتبت|إعداد|اعداد|by)(?:\s*[:：\-–]\s*|\s+)", re.IGNORECASE)


def _person_names(page: ParsedPage, value) -> list[str]:
    value = page.resolve(value)
    if isinstance(value, list):
        return [name for entry in value for name in _person_names(page, entry)]
    if isinstance(value, dict):
        return _person_names(page, value.get("name"))
    if isinstance(value, str):
        return [value]
    return []


def _microdata_names(page: ParsedPage) -> list[str]:
    names = []
    for element in page.microdata.get("author", []) + page.microdata.get("creator", []):
        name = element.find(".//*[@itemprop='name']")
        value = (name.get("content") or element_text(name)) if name is not None else (
            element.get("content") or element_text(element))
        if value:
            names.append(value)
    return names


def authors(page: ParsedPage, site_names: list[str]) -> list[str]:
    """Author names without a byline prefix ("بقلم"); the outlet's own name
    and profile URLs are not authors."""
    names = (_person_names(page, page.article.get("author")) or _microdata_names(page)
             or page.metas.get("author", []) or page.metas.get("article:author", []))
    site = {fold(n) for n in site_names}
    cleaned = (_BYLINE_PREFIX.sub("", clean(name)) for name in names)
    return unique(n for n in cleaned if n and not n.startswith(("http://", "https://")) and fold(n) not in site)
