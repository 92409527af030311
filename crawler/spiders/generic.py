"""`scrapy crawl generic -a url=https://site/`: any news site without an outlet description.

Feeds come from the home page's `<link rel="alternate">`, sitemaps from
robots.txt. Without URL rules, every page of the site within reach is read
and its content decides: a page that declares itself an article (JSON-LD
NewsArticle and its kin, or og:type article) is extracted and stored, any
other page is a listing whose links are followed.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.discovery import declares_article
from crawler.spiders.base import NewsSpider

# Path segments that are never articles nor listings of them (admin, APIs, comment feeds).
_NOT_PAGES = re.compile(r"(^|/)(wp-admin|wp-login\.php|wp-json|xmlrpc\.php|feed|cdn-cgi)(/|$)", re.IGNORECASE)


class GenericSpider(NewsSpider):
    name = "generic"

    def __init__(self, *args, url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not url:
            raise ValueError("the generic spider needs the site: scrapy crawl generic -a url=https://site/")
        if "://" not in url:
            url = "https://" + url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url={url!r}: expected an http(s) URL")
        self.start_url = safe_url_string(url)
        self.host = parts.hostname.lower().removeprefix("www.")
        self.allowed_domains = [self.host]

    def site_root(self) -> str:
        return self.start_url

    @property
    def home_callback(self):
        return self.parse_page

    def on_site(self, url: str) -> bool:
        return same_site(url, self.host)

    def link_kind(self, url: str) -> str | None:
        return None if _NOT_PAGES.search(urlsplit(url).path) else "page"

    def is_article_response(self, response: Response) -> bool:
        return declares_article(response)


def same_site(url: str, host: str) -> bool:
    """Whether `url` is on `host` or one of its subdomains (www. or not)."""
    found = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    host = host.lower().removeprefix("www.")
    return found == host or found.endswith("." + host)
