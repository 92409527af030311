"""A fixed list of requests for the WARC tests, run with
`scrapy runspider tests/warc_fixture_spider.py -a urls=... -s FIXTURE_SERVER=...`.

It fetches exactly the real URLs it is given (every route of a fixture site:
articles, listings, feeds, a redirect, 404s, pages that fail once or are slow),
routed to the loopback fixture server, and stores each article page through
the project's pipelines. Unlike the outlet spiders it discovers nothing, so a
test knows every response the archive must hold.
"""
from __future__ import annotations

from datetime import datetime, timezone

import scrapy
from scrapy.http import HtmlResponse
from w3lib.encoding import http_content_type_encoding

from crawler.outlets import by_url
from crawler.pages import HTML, read_saved_page


class FixtureArticlesSpider(scrapy.Spider):
    name = "warc_fixture"

    def __init__(self, urls: str = "", **kwargs):
        super().__init__(**kwargs)
        self.urls = urls.split()

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        outlet = by_url(response.url)
        if not isinstance(response, HtmlResponse) or not (outlet and outlet.is_article_url(response.url)):
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        item = read_saved_page(
            response.body, response.url, HTML,
            encoding=http_content_type_encoding(content_type), fetched_at=datetime.now(timezone.utc),
        )
        item.input_ref = response.url
        yield item
