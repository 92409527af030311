"""Incremental crawls: a re-crawl asks again only for article pages that may have changed.

The database table `crawl_state` remembers, for every article page a crawl
stored, its HTTP validators (ETag, Last-Modified), content hash, article and
time of the last fetch. It is written by the storage pipeline in the same
transaction as the article (db/store.py), so it never names a page whose
article was lost in a crash.

`IncrementalMiddleware` (downloader middleware), for a request marked as an
article page whose URL is in crawl_state:

- skips it (drops it before it is scheduled: no request at all) when
  `INCREMENTAL_SKIP_KNOWN` is on and discovery saw a modification time
  (`lastmod`) no later than the last fetch;
- otherwise sends it with `If-None-Match` / `If-Modified-Since`. A 304 answer
  ends there: the request fails with `NotModified`, an `IgnoreRequest`.

Both count as an unchanged article of the run, and move `last_seen_at` of the
article (in bulk, every `STORAGE_BATCH_SIZE` pages and at the end). Requests
not marked as articles (feeds, sitemaps, section pages) are always fetched in
full. The state of a host is loaded at once, with its first article request.

Request meta keys, set by the discovery code of the spiders:

  article   True for an article page. Only these are made conditional or skipped.
  lastmod   When the page was last modified, as discovery found it: a sitemap
            `<lastmod>`, an Atom `<updated>`. A datetime, or text in ISO 8601 /
            W3C datetime (a date alone counts as the end of that day) or RFC 2822.
            Never a publication date (RSS `<pubDate>`, `news:publication_date`):
            an edit does not change it, and the edited article would be skipped.
            Without `lastmod` a known article gets a conditional request.

A spider's errback sees `NotModified` like the `IgnoreRequest` of robots.txt:
check `failure.check(IgnoreRequest)` and record nothing for it.

`HttpValidatorsMiddleware` (spider middleware) copies the URL fetched, the
status and validators of the response onto each article item the spider
yields from it (`fetched_url`, `http_status`, `http_etag`,
`http_last_modified`, and `fetched_at` if unset); spiders need not do it.

Stats: incremental/conditional (requests sent with validators),
incremental/not_modified (304 answers), incremental/skipped,
articles/<outlet>/unchanged and articles/unchanged for both.
"""
from __future__ import annotations

import email.utils
import logging
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from crawler.items import ArticleItem
from db.session import cause, database_url, open_database
from db.store import CrawlStateStore, KnownPage, utcnow
from db.types import as_utc
from pipelines.store import stats_outlet

logger = logging.getLogger(__name__)

ARTICLE_META = "article"
LASTMOD_META = "lastmod"
# The URL whose crawl state a request was checked against (its URL before
# any rewriting further down the chain).
STATE_URL_META = "incremental_url"
VALIDATOR_HEADERS = (b"If-None-Match", b"If-Modified-Since")
# The latest instant a calendar date can name (its end in UTC-12).
DATE_END = timedelta(days=1, hours=12)


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional request for a known article."""


def parse_lastmod(value) -> datetime | None:
    """A `lastmod` as an aware UTC datetime; None when absent or unreadable."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc) + DATE_END
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + DATE_END
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return as_utc(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError):
        return None


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


class IncrementalMiddleware:
    def __init__(self, stats, database: str, skip_known: bool, batch_size: int, timeout: float = 30.0):
        self.stats = stats
        self.database = database
        self.timeout = timeout
        self.skip_known = skip_known
        self.batch_size = max(1, batch_size)
        self._store: CrawlStateStore | None = None
        self._unavailable = False
        self._known: dict[str, dict[str, KnownPage]] = {}
        self._not_modified: dict[str, tuple[int, datetime]] = {}
        self._skipped: dict[str, tuple[int, datetime]] = {}
        # Article URLs of this run: skipped, or let through to the scheduler.
        self._skipped_urls: set[str] = set()
        self._scheduled_urls: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True):
            raise NotConfigured
        middleware = cls(
            crawler.stats, database_url(settings), settings.getbool("INCREMENTAL_SKIP_KNOWN", True),
            settings.getint("STORAGE_BATCH_SIZE", 100), settings.getfloat("DATABASE_TIMEOUT", 30.0),
        )
        crawler.signals.connect(middleware.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # --- crawl state ----------------------------------------------------------

    def known_page(self, url: str) -> KnownPage | None:
        host = host_of(url)
        if host not in self._known:
            self._known[host] = self._load(host)
        return self._known[host].get(url)

    def _load(self, host: str) -> dict[str, KnownPage]:
        if self._unavailable:
            return {}
        try:
            if self._store is None:
                self._store = CrawlStateStore(open_database(self.database, self.timeout))
            pages = self._store.known_pages(host)
        except Exception as error:
            # Without the state every article is fetched in full: slower, never wrong.
            logger.warning("Could not read the crawl state (%s); fetching every article page in full", cause(error))
            self._unavailable = True
            return {}
        logger.debug("Crawl state of %s: %d known article pages", host, len(pages))
        return pages

    # --- skipping --------------------------------------------------------------

    def request_scheduled(self, request: Request, spider) -> None:
        """Drop a known article whose `lastmod` is no later than its last fetch,
        before it is scheduled (so it takes no place in the queue or JOBDIR).
        Discovery finds an article more than once (feed, sitemap, section,
        redirect): the first finding decides, and it is counted once."""
        if not self.skip_known or not request.meta.get(ARTICLE_META) or STATE_URL_META in request.meta:
            return
        url = request.url
        if url in self._skipped_urls:
            raise IgnoreRequest(f"known article, skipped already: {url}")
        if url in self._scheduled_urls:
            return  # the duplicate filter has the last word
        lastmod = parse_lastmod(request.meta.get(LASTMOD_META))
        known = self.known_page(url) if lastmod is not None else None
        if known is None or known.last_fetched_at is None or lastmod > known.last_fetched_at:
            self._scheduled_urls.add(url)
            return
        self._skipped_urls.add(url)
        self.stats.inc_value("incremental/skipped")
        self._count_unchanged(known)
        self._remember(self._skipped, url, known)
        raise IgnoreRequest(f"known article, not modified since {known.last_fetched_at.isoformat()}: {url}")

    # --- conditional requests ----------------------------------------------------

    def process_request(self, request: Request) -> None:
        if not request.meta.get(ARTICLE_META) or STATE_URL_META in request.meta:
            return None  # not an article, or checked already (a rewritten copy)
        request.meta[STATE_URL_META] = request.url
        known = self.known_page(request.url)
        if known is None or not (known.etag or known.last_modified):
            return None
        if known.etag:
            request.headers.setdefault(b"If-None-Match", known.etag)
        if known.last_modified:
            request.headers.setdefault(b"If-Modified-Since", known.last_modified)
        self.stats.inc_value("incremental/conditional")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        url = request.meta.get(STATE_URL_META)
        if url is None:
            return response
        conditional = any(name in request.headers for name in VALIDATOR_HEADERS)
        if response.status == 304 and conditional:
            known = self.known_page(url)
            if known is not None:
                self.stats.inc_value("incremental/not_modified")
                self._count_unchanged(known)
                self._remember(self._not_modified, url, known)
                raise NotModified(f"not modified: {url}")
        if 300 <= response.status < 400:
            # The request that follows a redirect copies this one's headers and
            # meta: let it be checked against the state of its own URL.
            for name in VALIDATOR_HEADERS:
                request.headers.pop(name, None)
            request.meta.pop(STATE_URL_META, None)
        return response

    # --- bookkeeping -------------------------------------------------------------

    def _count_unchanged(self, known: KnownPage) -> None:
        self.stats.inc_value(f"articles/{stats_outlet(known.outlet)}/unchanged")
        self.stats.inc_value("articles/unchanged")

    def _remember(self, pending: dict, url: str, known: KnownPage) -> None:
        pending[url] = (known.article_id, utcnow())
        if len(self._not_modified) + len(self._skipped) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        not_modified, self._not_modified = self._not_modified, {}
        skipped, self._skipped = self._skipped, {}
        if self._store is None or not (not_modified or skipped):
            return
        try:
            self._store.record_unchanged(not_modified, skipped)
        except Exception as error:
            # Only sighting times are lost; the next run checks these pages again.
            logger.warning("Could not record %d unchanged article pages: %s",
                           len(not_modified) + len(skipped), cause(error))

    def spider_closed(self, spider, reason) -> None:
        self.flush()
        if self._store is not None:
            self._store.engine.dispose()


class HttpValidatorsMiddleware:
    """Copies the fetched URL, status and validators of a response onto the
    article items a spider yields from it (see the module docstring)."""

    def process_spider_output(self, response: Response, result):
        for entry in result:
            yield self._fill(response, entry)

    async def process_spider_output_async(self, response: Response, result):
        async for entry in result:
            yield self._fill(response, entry)

    @staticmethod
    def _fill(response: Response, entry):
        if not isinstance(entry, ArticleItem) or entry.fetched_url or not response.url.startswith(("http:", "https:")):
            return entry
        meta = response.meta if response.request is not None else {}
        entry.fetched_url = meta.get(STATE_URL_META) or response.url
        entry.http_status = response.status
        entry.http_etag = header(response, b"ETag")
        entry.http_last_modified = header(response, b"Last-Modified")
        if entry.fetched_at is None:
            # When the request left, as near as known: a change after it is newer than the copy.
            entry.fetched_at = utcnow() - timedelta(seconds=meta.get("download_latency") or 0)
        return entry


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
