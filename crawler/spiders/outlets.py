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


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _spider_class(outlet: Outlet) -> type[OutletSpider]:
    class_name = "OutletSpider_" + re.sub(r"\W", "_", outlet.slug)
    return type(
        class_name,
        (OutletSpider,),
        {"name": outlet.slug, "outlet": outlet, "__module__": __name__,
         "__doc__": f"Live crawl of {outlet.name_en} ({', '.join(outlet.domains)})."},
    )


# Scrapy's spider loader finds spider classes among a module's names.
globals().update({spider.__name__: spider for spider in map(_spider_class, all_outlets())})
