"""One spider per outlet description in crawler/outlets: `scrapy crawl <slug>`.

The classes are generated from the descriptions, so adding an outlet is one
file in crawler/outlets (plus its fixture site); nothing here names an outlet.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.outlets import Outlet, all_outlets
from crawler.spiders.base import NewsSpider


class OutletSpider(NewsSpider):
    """Crawls one outlet: its URL patterns decide what is an article and what a listing."""

    outlet: Outlet

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.outlet.domains)

    @property
    def outlet_slug(self) -> str:
        return self.outlet.slug

    def site_root(self) -> str:
        return self.outlet.home_url

    def declared_entry_points(self) -> dict[str, tuple[str, ...]]:
        return {"feeds": self.outlet.feeds, "sitemaps": self.outlet.sitemaps, "sections": self.outlet.section_pages}

    def on_site(self, url: str) -> bool:
        return self.outlet.matches_domain(_host(url))

    def link_kind(self, url: str) -> str | None:
        if self.outlet.is_article_url(url):
            return "article"
        if self.outlet.is_listing_url(url):
            return "listing"
        return None

    def is_pagination_url(self, url: str) -> bool:
        return self.outlet.is_pagination_url(url)

    def parse(self, response, **kwargs):
        """The callback of a request that names none (`scrapy parse URL`, `scrapy
        shell`): an article URL is read as an article, any other as a listing."""
        if self.outlet.is_article_url(response.url):
            return self.parse_article(response, **kwargs)
        return self.parse_listing(response, **kwargs)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _spider_class(outlet: Outlet) -> type[OutletSpider]:
    class_name = "OutletSpider_" + re.sub(r"\W", "_", outlet.slug)
    attributes = {"name": outlet.slug, "outlet": outlet, "__module__": __name__,
                  # On the class too: `scrapy parse URL` finds the spider by its domains.
                  "allowed_domains": list(outlet.domains),
                  "__doc__": f"Live crawl of {outlet.name_en} ({', '.join(outlet.domains)})."}
    if outlet.sample_article:
        attributes["parse_article"] = _contracted_parse_article(outlet.sample_article)
    return type(class_name, (OutletSpider,), attributes)


def _contracted_parse_article(url: str):
    """`parse_article` with the contracts `scrapy check` runs on the outlet's
    sample article (the `@scrapes` contract is crawler/contracts.py)."""

    def parse_article(self, response, depth: int = 0):
        return OutletSpider.parse_article(self, response, depth)

    parse_article.__doc__ = (
        "An article page: its item, and the links on it.\n\n"
        f"@url {url}\n"
        "@returns items 1 1\n"
        "@scrapes title body published_at\n"
    )
    return parse_article


# Scrapy's spider loader finds spider classes among a module's names.
globals().update({spider.__name__: spider for spider in map(_spider_class, all_outlets())})
