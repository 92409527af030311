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
  (`lastmod`) no later than the last fetch. A `lastmod` names a period as
  long as its precision: "10:15" the whole minute, "10:15:30" the whole
  second, a date its day (to its end in UTC-12), so an edit in the minute of
  the fetch is not taken for older than it;
- otherwise sends it with `If-None-Match` / `If-Modified-Since`. A 304 answer
  ends there: the request fails with `NotModified`, an `IgnoreRequest`, and
  the validators the 304 sends replace the stored ones. A 304 is only as
  good as its validator: with a weak ETag (`W/"..."`, "the same meaning",
  not the same bytes) every `INCREMENTAL_WEAK_REFETCH_RUNS`-th run asks for
  the page without validators and reads it in full;
- a 404 or 410 marks its article removed (`articles.removed_at`; the row
  stays). After `INCREMENTAL_GONE_RUNS` runs in a row that got one, the page
  is asked for no more, unless discovery gives it a `lastmod` later than
  that answer.

Skipped and 304 pages count as unchanged articles of the run, and move
`last_seen_at` of the article (in bulk, every `STORAGE_BATCH_SIZE` pages and
at the end). Requests not marked as articles (feeds, sitemaps, section pages)
are always fetched in full. The state of a host is loaded at once, with its
first article request.

Every article request is stamped with the time it is sent (meta `sent_at`,
again on each retry or redirect): that, not the time the answer is parsed,
is the page's fetch time (`fetched_at`, `crawl_state.last_fetched_at`). An
edit made while a slow answer was on its way is newer than the copy, and the
next run asks for it.

Request meta keys, set by the discovery code of the spiders:

  article   True for an article page. Only these are made conditional or skipped.
  lastmod   When the page was last modified, as discovery found it: a sitemap
            `<lastmod>`, an Atom `<updated>`. A datetime, a date, or text in
            W3C datetime / ISO 8601 or RFC 2822, read by
            `crawler.discovery.parse_period` at its precision.
            Never a publication date (RSS `<pubDate>`, `news:publication_date`):
            an edit does not change it, and the edited article would be skipped.
            Without `lastmod` a known article gets a conditional request.

A spider's errback sees `NotModified` like the `IgnoreRequest` of robots.txt:
check `failure.check(IgnoreRequest)` and record nothing for it.

`HttpValidatorsMiddleware` (spider middleware) copies the URL fetched, the
status and validators of the response, and the time its request was sent,
onto each article item the spider yields from it (`fetched_url`,
`http_status`, `http_etag`, `http_last_modified`, `fetched_at`); spiders
need not do it.

Stats: incremental/conditional (requests sent with validators),
incremental/not_modified (304 answers), incremental/skipped,
incremental/weak_refetch (full fetches of weak-ETag pages), incremental/gone
(404/410 answers of known pages), incremental/gone_skipped (not asked for),
articles/<outlet>/unchanged and articles/unchanged for skipped and 304 pages,
articles/<outlet>/removed and articles/removed for articles found removed.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from crawler.discovery import parse_period, period_end
from crawler.items import ArticleItem
from db.session import cause, database_url, open_database
from db.store import Answer, CrawlStateStore, KnownPage, utcnow
from db.types import as_utc
from pipelines.store import stats_outlet

logger = logging.getLogger(__name__)

ARTICLE_META = "article"
LASTMOD_META = "lastmod"
# When the request left (set for article requests): the fetch time of its page.
SENT_AT_META = "sent_at"
# The URL whose crawl state a request was checked against (its URL before
# any rewriting further down the chain).
STATE_URL_META = "incremental_url"
VALIDATOR_HEADERS = (b"If-None-Match", b"If-Modified-Since")
GONE = (404, 410)


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional request for a known article."""


def lastmod_end(value) -> datetime | None:
    """The last instant a `lastmod` can name, at its precision (see
    `crawler.discovery.period_end`), in UTC; None when absent or unreadable."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return period_end(datetime(value.year, value.month, value.day, tzinfo=timezone.utc), "day")
    period = parse_period(str(value)) if value else None
    return period_end(*period) if period else None


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def is_weak(etag: str | None) -> bool:
    return bool(etag) and etag.startswith("W/")


class IncrementalMiddleware:
    def __init__(self, stats, database: str, skip_known: bool, batch_size: int, timeout: float = 30.0,
                 weak_refetch_runs: int = 3, max_gone_runs: int = 3):
        self.stats = stats
        self.database = database
        self.timeout = timeout
        self.skip_known = skip_known
        self.batch_size = max(1, batch_size)
        self.weak_refetch_runs = weak_refetch_runs
        self.max_gone_runs = max_gone_runs
        self._store: CrawlStateStore | None = None
        self._unavailable = False
        self._known: dict[str, dict[str, KnownPage]] = {}
        self._not_modified: dict[str, Answer] = {}
        self._skipped: dict[str, Answer] = {}
        self._gone: dict[str, Answer] = {}
        # Article URLs of this run: dropped (skipped, or gone), or let through to the scheduler.
        self._dropped_urls: set[str] = set()
        self._scheduled_urls: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True):
            raise NotConfigured
        middleware = cls(
            crawler.stats, database_url(settings), settings.getbool("INCREMENTAL_SKIP_KNOWN", True),
            settings.getint("STORAGE_BATCH_SIZE", 100), settings.getfloat("DATABASE_TIMEOUT", 30.0),
            settings.getint("INCREMENTAL_WEAK_REFETCH_RUNS", 3), settings.getint("INCREMENTAL_GONE_RUNS", 3),
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
        """Drop a known article before it is scheduled (so it takes no place
        in the queue or JOBDIR) when its `lastmod` is no later than its last
        fetch, or when it has been gone for INCREMENTAL_GONE_RUNS runs.
        Discovery finds an article more than once (feed, sitemap, section,
        redirect): the first finding decides, and it is counted once."""
        if not request.meta.get(ARTICLE_META) or STATE_URL_META in request.meta:
            return
        url = request.url
        if url in self._dropped_urls:
            raise IgnoreRequest(f"known article, dropped already: {url}")
        if url in self._scheduled_urls:
            return  # the duplicate filter has the last word
        known = self.known_page(url)
        lastmod = lastmod_end(request.meta.get(LASTMOD_META))
        if known is None or lastmod is not None and (known.last_fetched_at is None
                                                     or lastmod > known.last_fetched_at):
            self._scheduled_urls.add(url)
            return
        if self.max_gone_runs and known.gone_runs >= self.max_gone_runs:
            self._dropped_urls.add(url)
            self.stats.inc_value("incremental/gone_skipped")
            raise IgnoreRequest(f"known article, gone for {known.gone_runs} runs: {url}")
        if not self.skip_known or lastmod is None or known.gone_runs:
            self._scheduled_urls.add(url)  # a page just gone is asked for again
            return
        self._dropped_urls.add(url)
        self.stats.inc_value("incremental/skipped")
        self._count(known, "unchanged")
        self._remember(self._skipped, url, Answer(known.article_id, utcnow()))
        raise IgnoreRequest(f"known article, not modified since {known.last_fetched_at.isoformat()}: {url}")

    # --- conditional requests ----------------------------------------------------

    def process_request(self, request: Request) -> None:
        if not request.meta.get(ARTICLE_META):
            return None
        # Each attempt (a retry, a redirect, a rewritten copy) anew, before it leaves.
        request.meta[SENT_AT_META] = utcnow()
        if STATE_URL_META in request.meta:
            return None  # checked already (a rewritten copy)
        request.meta[STATE_URL_META] = request.url
        known = self.known_page(request.url)
        if known is None or not (known.etag or known.last_modified):
            return None
        if is_weak(known.etag) and self.weak_refetch_runs and known.not_modified_runs + 1 >= self.weak_refetch_runs:
            # A weak ETag's 304 may hide an edit: read the page in full now and then.
            self.stats.inc_value("incremental/weak_refetch")
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
        known = self.known_page(url)
        sent_at = request.meta.get(SENT_AT_META) or utcnow()
        conditional = any(name in request.headers for name in VALIDATOR_HEADERS)
        if response.status == 304 and conditional and known is not None:
            self.stats.inc_value("incremental/not_modified")
            self._count(known, "unchanged")
            # A 304 sends the page's validators as they are now (RFC 9110 §15.4.5).
            self._remember(self._not_modified, url, Answer(
                known.article_id, sent_at, 304, header(response, b"ETag") or known.etag,
                header(response, b"Last-Modified") or known.last_modified, known.not_modified_runs + 1,
            ))
            raise NotModified(f"not modified: {url}")
        if response.status in GONE and known is not None:
            self.stats.inc_value("incremental/gone")
            if not known.gone_runs:
                self._count(known, "removed")
            self._remember(self._gone, url, Answer(known.article_id, sent_at, response.status,
                                                   runs=known.gone_runs + 1))
        elif 300 <= response.status < 400:
            # The request that follows a redirect copies this one's headers and
            # meta: let it be checked against the state of its own URL.
            for name in VALIDATOR_HEADERS:
                request.headers.pop(name, None)
            request.meta.pop(STATE_URL_META, None)
        return response

    # --- bookkeeping -------------------------------------------------------------

    def _count(self, known: KnownPage, outcome: str) -> None:
        self.stats.inc_value(f"articles/{stats_outlet(known.outlet)}/{outcome}")
        self.stats.inc_value(f"articles/{outcome}")

    def _remember(self, pending: dict[str, Answer], url: str, answer: Answer) -> None:
        pending[url] = answer
        if len(self._not_modified) + len(self._skipped) + len(self._gone) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        not_modified, self._not_modified = self._not_modified, {}
        skipped, self._skipped = self._skipped, {}
        gone, self._gone = self._gone, {}
        if self._store is None or not (not_modified or skipped or gone):
            return
        try:
            self._store.record_answers(not_modified, skipped, gone)
        except Exception as error:
            # Only sighting times and gone marks are lost; the next run checks these pages again.
            logger.warning("Could not record %d unchanged or gone article pages: %s",
                           len(not_modified) + len(skipped) + len(gone), cause(error))

    def spider_closed(self, spider, reason) -> None:
        self.flush()
        if self._store is not None:
            self._store.engine.dispose()


class HttpValidatorsMiddleware:
    """Copies the fetched URL, status, validators and send time of a response
    onto the article items a spider yields from it (see the module docstring)."""

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
        # When the request left, whatever the spider noted (the time it parsed
        # the page): a change after it is newer than the copy.
        entry.fetched_at = meta.get(SENT_AT_META) or entry.fetched_at or (
            utcnow() - timedelta(seconds=meta.get("download_latency") or 0))
        return entry


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
