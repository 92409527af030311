"""Declarative description of a news outlet.

One module per outlet in this package defines `OUTLET = Outlet(...)`; the
registry in `crawler.outlets` collects them. Code reads these descriptions and
never names an outlet itself, so adding an outlet is one small file (plus its
fixture site under tests/sites/). The live spider of each outlet is generated
from it (crawler/spiders/outlets.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone


@dataclass(frozen=True)
class ParserVersion:
    """How the outlet's pages were laid out until `valid_until` (inclusive, a
    UTC day; None for the current template). When a site is redesigned, set
    the current version's `valid_until` to the last day of the old template and
    add the new version after it: pages fetched or captured before that day
    keep parsing with the old one."""

    name: str
    valid_until: date | None = None
    # CSS selectors of elements that are never article text (teasers, tag and
    # category lines, share bars), removed before the main text is extracted.
    cleanup_selectors: tuple[str, ...] = ()


CURRENT = ParserVersion("current")


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
    # IANA time zone of the times its pages print without an offset (None:
    # unknown, and such a time keeps only its day).
    timezone: str | None = None

    # --- live crawls (crawler/discovery.py, crawler/spiders/) ---------------
    # Only URLs matching this are parsed (and stored) as articles.
    article_url_pattern: str | None = None
    # Pages followed for their links but never stored: sections, tags, writers.
    listing_url_patterns: tuple[str, ...] = ()
    # Links to further pages of a listing, for listings without rel="next".
    pagination_pattern: str | None = None
    # Entry points besides robots.txt (its Sitemap: lines) and the home page
    # (its <link rel="alternate"> feeds and links).
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    section_pages: tuple[str, ...] = ()
    # Oldest first; the last one is the current template.
    parser_versions: tuple[ParserVersion, ...] = (CURRENT,)
    # One dated article page of the outlet, kept in its fixture site too: the
    # `@url` of the spider's contracts (`scrapy check`).
    sample_article: str | None = None

    # Alarm thresholds of this outlet, over the ALARMS_* settings: the setting's
    # name without the prefix, in lower case (crawler/alarms/checks.py), e.g.
    # {"coverage_floors": {"authors": 0.8}, "articles_min_ratio": 0.5}.
    alarms: dict = field(default_factory=dict)

    notes: str = ""
    extra: dict = field(default_factory=dict)

    def matches_domain(self, host: str) -> bool:
        host = (host or "").lower().split(":")[0]
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_url_pattern and re.search(self.article_url_pattern, url))

    def is_listing_url(self, url: str) -> bool:
        return any(re.search(pattern, url) for pattern in self.listing_url_patterns)

    def is_pagination_url(self, url: str) -> bool:
        return bool(self.pagination_pattern and re.search(self.pagination_pattern, url))

    @property
    def home_url(self) -> str:
        return f"https://{self.domains[0]}/"

    def parser_version(self, moment: datetime | date | None = None) -> ParserVersion:
        """The version valid on the day a page was fetched or captured (now if
        unknown): the first whose `valid_until` is not before that day."""
        if moment is None:
            moment = datetime.now(timezone.utc)
        if isinstance(moment, datetime):
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
            moment = moment.date()
        for version in self.parser_versions:
            if version.valid_until is None or moment <= version.valid_until:
                return version
        return self.parser_versions[-1]
