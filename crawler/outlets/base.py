"""Declarative description of a news outlet.

One module per outlet in this package defines `OUTLET = Outlet(...)`; the
registry in `crawler.outlets` collects them. Code reads these descriptions and
never names an outlet itself, so adding an outlet is one small file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outlet:
    slug: str
    name_ar: str
    name_en: str
    domains: tuple[str, ...]
    # Names a page uses for the outlet in source lines and brand marks
    # ("المصدر: موقع 24", "«الشرق الأوسط»", "خَبَرَيْن logo"). Compared after
    # Arabic folding, so diacritics and hamza forms need not be listed.
    source_names: tuple[str, ...] = ()
    # Text capture template its own pages are saved with (see crawler.extraction.captures).
    capture_template: str | None = None
    article_url_pattern: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    section_pages: tuple[str, ...] = ()
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def matches_domain(self, host: str) -> bool:
        host = (host or "").lower().split(":")[0]
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_url_pattern and re.search(self.article_url_pattern, url))
