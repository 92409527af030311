"""The spider every live crawl runs: discovery, then the replay's HTML extraction.

Entry points (depth 0): robots.txt (its `Sitemap:` lines), the home page (its
links and `<link rel="alternate">` feeds), and the outlet's declared feeds,
sitemaps and section pages. From there:

- sitemap indexes lead to their sitemaps, sitemaps and feeds to their URLs;
  an entry dated (lastmod, publication date) before the age window is skipped,
  and so is a child sitemap last modified before it;
- a listing page (home, section, tag, writer) leads to the article and listing
  links on it, and to its next pages (`rel="next"`, or links matching the
  outlet's pagination pattern) up to `DISCOVERY_MAX_PAGES` pages;
- an article page is extracted and stored, and leads to the article and
  listing links on it (related stories).

Each followed link adds one to the depth; nothing deeper than
`DISCOVERY_DEPTH` is requested. Only URLs matching the outlet's article
pattern are parsed as articles; listings are followed, never stored; other
links are ignored. Subclasses say what an article and a listing are
(`OutletSpider` from an outlet description, the generic spider from page
content).

Spider arguments: `since=<ISO date or time>` (start of the age window,
overriding `DISCOVERY_MAX_AGE_DAYS`), `sources=sitemaps,feeds,pages` (which
entry points to use; default all).

Request meta for the other components: `article` (True on article pages) and
`lastmod` (a sitemap `lastmod` / Atom `updated`), read by the incremental
middleware; `discovery` (the kind of page: robots, sitemap, feed, listing,
article, page).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from w3lib.encoding import http_content_type_encoding
from w3lib.url import safe_url_string

from crawler.discovery import (
    Entry, is_recent, page_links, parse_feed, parse_sitemap, resolve_since, robots_sitemaps,
)
from crawler.inputs import TOO_LARGE, UnreadableInput
from crawler.items import ArticleItem, RejectedPage
from crawler.middlewares.dropped import DroppedRequest
from crawler.middlewares.incremental import ARTICLE_META, LASTMOD_META
from crawler.pages import HTML, read_saved_page

logger = logging.getLogger(__name__)

SOURCES = ("sitemaps", "feeds", "pages")
DISCOVERY_META = "discovery"
# Answers that mean the article is gone: nothing to retry later.
_GONE = {404, 410}


class NewsSpider(scrapy.Spider):
    """Base of the outlet spiders and the generic spider (see the module docstring)."""

    def __init__(self, *args, since: str | None = None, sources: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since_arg = since
        wanted = [s.strip() for s in (sources or ",".join(SOURCES)).split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(SOURCES))
        if unknown:
            raise ValueError(f"sources: unknown {', '.join(unknown)} (choose from {', '.join(SOURCES)})")
        self.sources = set(wanted)
        self.since: datetime | None = None
        self.max_depth = 0
        self.max_pages = 0

    # --- what subclasses define -------------------------------------------------

    outlet_slug: str | None = None

    def site_root(self) -> str:
        raise NotImplementedError

    def declared_entry_points(self) -> dict[str, tuple[str, ...]]:
        """{"feeds": ..., "sitemaps": ..., "sections": ...} besides robots.txt and the home page."""
        return {}

    def on_site(self, url: str) -> bool:
        raise NotImplementedError

    def link_kind(self, url: str) -> str | None:
        """What a link on the site is: "article", "listing", "page" (its
        content decides, see `is_article_response`) or None (not followed)."""
        raise NotImplementedError

    def is_pagination_url(self, url: str) -> bool:
        return False

    def is_article_response(self, response: Response) -> bool:
        """Whether a fetched "page" (see `link_kind`) is an article."""
        return False

    @property
    def home_callback(self):
        return self.parse_listing

    # --- start ------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.since = resolve_since(spider.since_arg, settings.getfloat("DISCOVERY_MAX_AGE_DAYS"))
        spider.max_depth = settings.getint("DISCOVERY_DEPTH")
        spider.max_pages = settings.getint("DISCOVERY_MAX_PAGES")
        return spider

    async def start(self):
        logger.info(
            "%s: entries since %s, links followed %d deep, %d pages per listing, sources %s",
            self.name, self.since.isoformat() if self.since else "any time", self.max_depth, self.max_pages,
            ",".join(s for s in SOURCES if s in self.sources),
        )
        root = self.site_root()
        declared = self.declared_entry_points()
        if "sitemaps" in self.sources:
            yield self._request(_origin(root) + "/robots.txt", self.parse_robots, "robots")
            for url in declared.get("sitemaps", ()):
                yield self._request(url, self.parse_sitemap, "sitemap")
        if "feeds" in self.sources:
            for url in declared.get("feeds", ()):
                yield self._request(url, self.parse_feed, "feed")
        if self.sources & {"feeds", "pages"}:
            yield self._request(root, self.home_callback, "listing", cb_kwargs={"home": True})
        if "pages" in self.sources:
            for url in declared.get("sections", ()):
                yield self._request(url, self.parse_listing, "listing")

    # --- callbacks ----------------------------------------------------------------

    def parse_robots(self, response: Response, depth: int = 0):
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        for url in robots_sitemaps(text):
            yield self._request(url, self.parse_sitemap, "sitemap", depth=depth)

    def parse_sitemap(self, response: Response, depth: int = 0):
        try:
            sitemap = parse_sitemap(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except ValueError as exc:
            self._discovery_error(response.url, "sitemap", str(exc))
            return
        for entry in sitemap.entries:
            if not is_recent(entry, self.since):
                self.crawler.stats.inc_value("discovery/skipped_old/sitemap")
                continue
            if sitemap.is_index:
                yield self._request(entry.url, self.parse_sitemap, "sitemap", depth=depth)
            else:
                yield from self._follow(entry.url, depth + 1, entry)

    def parse_feed(self, response: Response, depth: int = 0):
        try:
            entries = parse_feed(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except ValueError as exc:
            self._discovery_error(response.url, "feed", str(exc))
            return
        for entry in entries:
            if not is_recent(entry, self.since):
                self.crawler.stats.inc_value("discovery/skipped_old/feed")
                continue
            yield from self._follow(entry.url, depth + 1, entry)

    def parse_listing(self, response: Response, depth: int = 0, page: int = 1, home: bool = False):
        links = page_links(response)
        if home and "feeds" in self.sources:
            for url in links.feeds:
                if self.on_site(url):
                    yield self._request(url, self.parse_feed, "feed", depth=depth)
        if "pages" not in self.sources:
            return
        next_pages = [url for url in links.next_pages if self.on_site(url)]
        if page < self.max_pages:
            for url in next_pages:
                yield self._request(url, self.parse_listing, "listing", depth=depth, cb_kwargs={"page": page + 1})
        for url in links.links:
            if url in next_pages:
                continue
            if self.is_pagination_url(url):
                # A numbered page link: followed up to page DISCOVERY_MAX_PAGES.
                number = _page_number(url)
                if number is not None and number <= self.max_pages:
                    yield self._request(url, self.parse_listing, "listing", depth=depth, cb_kwargs={"page": number})
                continue
            yield from self._follow(url, depth + 1)

    def parse_page(self, response: Response, depth: int = 0, page: int = 1, home: bool = False):
        """A page whose kind only its content tells (generic sites)."""
        if self.is_article_response(response):
            yield from self.parse_article(response, depth)
        else:
            yield from self.parse_listing(response, depth, page, home)

    def parse_article(self, response: Response, depth: int = 0):
        yield self.article_item(response)
        if "pages" in self.sources:
            for url in page_links(response).links:
                yield from self._follow(url, depth + 1)

    def article_item(self, response: Response) -> ArticleItem | RejectedPage:
        """The replay's HTML extraction of a fetched page; a page that cannot be
        parsed is a rejected page with its reason, never a crash."""
        if not isinstance(response, TextResponse):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
            return self._reject(response.url, "not_html", f"Content-Type {content_type or 'unknown'}", response.body)
        fetched_at = datetime.now(timezone.utc)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        try:
            # The replay's path for saved HTML: one rule for extraction and stored URL.
            item = read_saved_page(response.body, response.url, HTML,
                                   encoding=http_content_type_encoding(content_type), fetched_at=fetched_at,
                                   max_bytes=self.settings.getint("DOWNLOAD_MAXSIZE"))
        except UnreadableInput as exc:
            return self._reject(response.url, exc.reason, exc.detail, response.body if exc.raw is None else exc.raw)
        except Exception as exc:  # a parser bug must cost one page, not the run
            logger.exception("Parser failed on %s", response.url)
            return self._reject(response.url, "parse_error", f"{type(exc).__name__}: {exc}", response.body)
        item.input_ref = response.url
        item.raw = response.body
        if self.outlet_slug:
            item.outlet = self.outlet_slug
        return item

    def on_error(self, failure):
        """Download failures. An article that could not be read (server errors
        after the retries, timeouts, a body over DOWNLOAD_MAXSIZE, redirects
        that lead nowhere: crawler/middlewares/dropped.py) is kept as a
        rejected page for the next run; one that is gone (404, 410) is not.
        robots.txt refusals, skipped and unchanged articles (other
        IgnoreRequests) are not errors."""
        request = failure.request
        kind = request.meta.get(DISCOVERY_META, "page")
        detail, raw = failure.getErrorMessage(), None
        if failure.check(DroppedRequest):
            reason, detail, raw = failure.value.reason, failure.value.detail, failure.value.raw
        elif failure.check(DownloadCancelledError):
            # Scrapy's download handlers cancel a download only past DOWNLOAD_MAXSIZE.
            reason = TOO_LARGE
            detail = detail or f"over DOWNLOAD_MAXSIZE ({self.settings.getint('DOWNLOAD_MAXSIZE')} bytes)"
        elif failure.check(HttpError):
            status = failure.value.response.status
            reason = f"http_{status}"
            if status in _GONE:
                self.crawler.stats.inc_value(f"discovery/gone/{kind}")
                return
        elif failure.check(IgnoreRequest):
            return
        else:
            reason = "download_error"
        if kind == "article":
            yield self._reject(request.url, reason, detail, raw)
        else:
            self._discovery_error(request.url, kind, f"{reason}: {detail}")

    # --- helpers ----------------------------------------------------------------

    def _follow(self, url: str, depth: int, entry: Entry | None = None):
        """The request for a discovered link, if it is one to follow."""
        if depth > self.max_depth or not self.on_site(url):
            return
        kind = self.link_kind(url)
        # A generic site's "page" may be a known article: its lastmod lets it be skipped too.
        lastmod = entry.modified_raw if entry is not None else None
        if kind == "article":
            yield self._request(url, self.parse_article, "article", depth=depth, lastmod=lastmod)
        elif kind == "listing" and "pages" in self.sources:
            yield self._request(url, self.parse_listing, "listing", depth=depth)
        elif kind == "page":
            yield self._request(url, self.parse_page, "page", depth=depth, lastmod=lastmod)

    def _request(self, url: str, callback, kind: str, *, depth: int = 0, lastmod: str | None = None,
                 cb_kwargs: dict | None = None) -> scrapy.Request:
        meta = {DISCOVERY_META: kind}
        # A "page" of a generic site may be an article too; a page never
        # stored as an article has no crawl state, so the mark costs nothing.
        if kind in ("article", "page"):
            meta[ARTICLE_META] = True
            if lastmod:
                meta[LASTMOD_META] = lastmod
        return scrapy.Request(
            safe_url_string(url), callback=callback, errback=self.on_error, meta=meta,
            cb_kwargs={"depth": depth, **(cb_kwargs or {})},
            # Articles first: a run stores what it found before it reads more listings.
            priority=1 if kind in ("article", "page") else 0,
        )

    def _reject(self, url: str, reason: str, detail: str, raw: bytes | None = None) -> RejectedPage:
        logger.warning("Rejected %s (%s): %s", url, reason, detail)
        return RejectedPage(url=url, reason=reason, detail=detail, input_ref=url, outlet=self.outlet_slug, raw=raw)

    def _discovery_error(self, url: str, kind: str, detail: str) -> None:
        self.crawler.stats.inc_value(f"discovery/errors/{kind}")
        logger.warning("Could not read %s %s: %s", kind, url, detail)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page_number(url: str) -> int | None:
    """The page a pagination link names: the last number in its path or query."""
    numbers = re.findall(r"\d+", urlsplit(url).query or urlsplit(url).path)
    return int(numbers[-1]) if numbers else None
