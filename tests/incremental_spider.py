"""A small discovery spider over the fixture sites, for the incremental-crawl tests.

    scrapy crawl incremental_fixture -s SPIDER_MODULES=tests.incremental_spider -s FIXTURE_BASE=http://127.0.0.1:PORT

It keeps the sites' real URLs; `FixtureRouting` sends each request to the
fixture server with the original host in `X-Fixture-Host` and hands the answer
back under the real URL. Unlike crawler/middlewares/routing.py it reschedules
the rewritten request instead of downloading it itself, so Scrapy's download
slots (CONCURRENT_REQUESTS, DOWNLOAD_DELAY) still apply: the kill-and-resume
tests slow the crawl down with them to interrupt it midway. From each site it reads the sitemap index and the
regular sitemaps (their `<lastmod>` is a modification time; the news sitemaps
hold publication dates and are left out), and the links that redirect to an
article (as a section page would give them, without a date). Article requests
carry the meta keys of crawler/middlewares/incremental.py: `article` and, from
the sitemap, `lastmod`. Article pages are read by the saved-HTML extraction and
stored through the project's pipelines.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.http import TextResponse
from scrapy.utils.sitemap import Sitemap
from w3lib.encoding import http_content_type_encoding

from crawler import settings as project_settings
from crawler.extraction.html import extract_html
from crawler.middlewares.incremental import ARTICLE_META, LASTMOD_META
from tests.sites.server import HOST_HEADER, load_expected, site_hosts

FIXTURE_HOSTS = tuple(site_hosts())


class FixtureRouting:
    """Real URLs of the fixture sites -> the fixture server, decided by host
    (a redirect copies the meta of the request it follows)."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings["FIXTURE_BASE"])

    def process_request(self, request):
        parts = urlsplit(request.url)
        if parts.hostname not in FIXTURE_HOSTS:
            return None
        local = self.base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        meta = {**request.meta, "real_url": request.url, "dont_obey_robotstxt": True}
        headers = {**request.headers.to_unicode_dict(), HOST_HEADER: parts.hostname}
        return request.replace(url=local, meta=meta, headers=headers)

    def process_response(self, request, response):
        real = request.meta.get("real_url")
        if real and response.url.startswith(self.base):
            return response.replace(url=real)
        return response


class FixtureSitemapSpider(scrapy.Spider):
    name = "incremental_fixture"
    custom_settings = {
        # A spider's own dict replaces the project's: keep the project's middlewares.
        "DOWNLOADER_MIDDLEWARES": {
            **project_settings.DOWNLOADER_MIDDLEWARES, "tests.incremental_spider.FixtureRouting": 960,
        },
        "HTTPPROXY_ENABLED": False,
        # No waiting that only a real site deserves; DOWNLOAD_DELAY (0 unless
        # given) applies as set, so a test can slow a crawl down to interrupt it.
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "RETRY_BACKOFF_BASE": 0.05,
    }

    def __init__(self, hosts: str = "", lastmod: str = "1", **kwargs):
        super().__init__(**kwargs)
        self.hosts = [h for h in hosts.split(",") if h] or list(FIXTURE_HOSTS)
        self.use_lastmod = lastmod == "1"

    async def start(self):
        for host in self.hosts:
            expected = load_expected(host)
            # Entry points are fetched afresh by every run, a resumed one too.
            yield scrapy.Request(expected["entry_points"]["sitemap_index"], callback=self.parse_sitemap,
                                 dont_filter=True)
            for redirect in expected["redirects"]:
                yield scrapy.Request(redirect["from"], callback=self.parse_article, meta={ARTICLE_META: True})

    def parse_sitemap(self, response):
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            if sitemap.type == "sitemapindex":
                if "news" not in urlsplit(entry["loc"]).path.rsplit("/", 1)[-1]:
                    yield scrapy.Request(entry["loc"], callback=self.parse_sitemap, dont_filter=True)
                continue
            meta = {ARTICLE_META: True}
            if self.use_lastmod and entry.get("lastmod"):
                meta[LASTMOD_META] = entry["lastmod"]
            yield scrapy.Request(entry["loc"], callback=self.parse_article, meta=meta)

    def parse_article(self, response):
        if not isinstance(response, TextResponse):
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        item = extract_html(response.body, response.url, encoding=http_content_type_encoding(content_type))
        item.input_ref = response.url
        item.raw = response.body
        yield item
