"""The storage pipeline: batched writes of articles and rejected pages, that
ride out a database outage.

Pages are queued in order of arrival and written `STORAGE_BATCH_SIZE` at a
time, one batch at a time, in a worker thread (a slow or locked database never
stops the crawl). A batch the database refuses because of its data (a
constraint violation, a bad value) is written again item by item, and only the
items still refused are kept as rejected pages with reason "storage_error".
A batch that fails because the database itself is unavailable (connection
refused or lost, server shutting down, file locked, disk full) is retried as a
whole, after `STORAGE_RETRY_DELAY * 2**n` seconds (at most
`STORAGE_RETRY_DELAY_MAX`), for as long as the run goes on; meanwhile pages
are held in memory, and beyond `STORAGE_MAX_HELD` appended to the run's spool
file (pipelines/spool.py) and read back in order. When the run ends the
pipeline keeps trying until the outage has lasted `STORAGE_RETRY_MAX_WAIT`
seconds, then leaves what is not stored in the spool file: the next run of the
pipeline on the same database stores it first.

Stats it keeps (the replay/crawl summary reads them):
  articles/<outlet>/new|updated|unchanged, articles/new|updated|unchanged
  articles/<outlet>/rejected/<reason>, articles/rejected
  articles/<outlet>/not_stored, articles/not_stored
                            pages neither stored nor recorded as rejected:
                            spooled (storage/spooled, storage/spool_file) or lost
  articles/queued           pages waiting to be written (memory, spool, in flight)
  storage/full              True while STORAGE_MAX_HELD pages wait in memory for a
                            running writer and the database is up
  articles/storage_errors   articles the database refused (kept as rejected
                            pages with reason "storage_error")
  articles/storage_batch_retries  batches refused as a whole and written item by item
  articles/storage_lost     pages that could be neither stored nor spooled
  storage/retries           attempts repeated because the database was unavailable
  spool/<outcome>           pages of earlier runs' spool files stored by this run
<outlet> is the slug of an outlet described in crawler/outlets, else "other".

Articles fetched over HTTP carry their fetched URL and validators (filled in by
crawler/middlewares/incremental.py); the store writes their crawl_state rows in
the same transaction as the batch, so a page counts as known only once its
article is stored (a spooled one when a later run stores it). A hard kill loses
the pages held in memory; those, unknown to crawl_state, are fetched again.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.exceptions import CloseSpider

from crawler.items import ArticleItem, RejectedPage
from crawler.outlets import by_slug
from db.session import (
    DatabaseUnavailable, cause, database_url, is_unavailable, open_database, printable_url, project_root,
)
from crawler.stories.assign import StoryAssigner
from db.store import DEFAULT_STORIES, ArticleStore
from pipelines.spool import SpoolFile, claim_earlier, new_spool_name, spool_directory

logger = logging.getLogger(__name__)

STORAGE_ERROR = "storage_error"
# The close reason of a run whose database could not be opened.
DATABASE_UNAVAILABLE = "database_unavailable"
QUEUED = "articles/queued"
# True while a producer that can wait (crawler/replay.py) should: see _update_queued.
FULL = "storage/full"

Entry = ArticleItem | RejectedPage


def stats_outlet(slug: str | None) -> str:
    return slug if by_slug(slug) is not None else "other"


@dataclass
class BatchResult:
    stored: list[tuple[ArticleItem, str]] = field(default_factory=list)  # with "new", "updated", "unchanged"
    rejected: list[RejectedPage] = field(default_factory=list)  # recorded in rejected_pages
    lost: list[RejectedPage] = field(default_factory=list)  # rejected pages the database refused
    refused: int = 0  # articles the database refused, among `rejected` as "storage_error"
    split: bool = False  # the articles were refused as a batch and written one by one
    remaining: list[Entry] = field(default_factory=list)  # not written: the database is unavailable
    outage: str | None = None  # why, on one line

    def stop(self, remaining: list[Entry], error: BaseException) -> BatchResult:
        self.remaining, self.outage = remaining, cause(error)
        return self


class BatchWriter:
    """Writes one batch (blocking; the pipeline runs it in a thread) and tells
    the data a database refuses from a database that is unavailable."""

    def __init__(self, store: ArticleStore):
        self.store = store

    def write(self, entries: list[Entry]) -> BatchResult:
        result = BatchResult()
        articles = [e for e in entries if isinstance(e, ArticleItem)]
        rejects = [e for e in entries if isinstance(e, RejectedPage)]
        try:
            result.stored = list(zip(articles, self.store.write_articles(articles)))
        except Exception as error:
            if is_unavailable(error):
                return self._outage(result, entries, error)
            logger.warning("Storing a batch of %d articles failed (%s); storing them one by one",
                           len(articles), cause(error))
            result.split = True
            for index, item in enumerate(articles):
                try:
                    [status] = self.store.write_articles([item])
                except Exception as error:
                    if is_unavailable(error):
                        return self._outage(result, articles[index:] + rejects, error)
                    logger.error("Could not store %s: %s: %s", item.url, type(error).__name__, cause(error))
                    result.refused += 1
                    rejects.append(RejectedPage(
                        url=item.url, reason=STORAGE_ERROR, detail=f"{type(error).__name__}: {cause(error)}",
                        input_ref=item.input_ref, outlet=item.outlet, raw=item.raw,
                    ))
                else:
                    result.stored.append((item, status))
        try:
            self.store.write_rejects(rejects)
        except Exception as error:
            if is_unavailable(error):
                return self._outage(result, rejects, error)
            for index, page in enumerate(rejects):
                try:
                    self.store.write_rejects([page])
                except Exception as error:
                    if is_unavailable(error):
                        return self._outage(result, rejects[index:], error)
                    logger.error("Could not record the rejected page %s; it is lost for retries: %s",
                                 page.url or page.input_ref, cause(error))
                    result.lost.append(page)
                else:
                    result.rejected.append(page)
        else:
            result.rejected = rejects
        return result

    def _outage(self, result: BatchResult, remaining: list[Entry], error: BaseException) -> BatchResult:
        # The next attempt opens new connections rather than reusing broken ones.
        self.store.engine.dispose()
        return result.stop(remaining, error)


class StoragePipeline:
    def __init__(self, url: str, batch_size: int, stats, *, timeout: float = 30.0, max_held: int = 1000,
                 max_held_bytes: int = 256 * 1024 * 1024, spool_dir: str | Path | None = None, spool_name: str | None = None, retry_delay: float = 1.0,
                 retry_delay_max: float = 30.0, retry_max_wait: float = 300.0,
                 stories: StoryAssigner | None = DEFAULT_STORIES):
        self.url = url
        self.stats = stats
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.max_held = max(self.batch_size, max_held)
        self.max_held_bytes = max_held_bytes
        # A relative folder is taken from the project, like the default database.
        self.spool_dir = spool_directory(project_root() / (spool_dir or "data/spool"), url)
        self.spool_name = spool_name or new_spool_name("run")
        self.retry_delay = retry_delay
        self.retry_delay_max = retry_delay_max
        self.retry_max_wait = retry_max_wait
        self.stories = stories  # story assignment of the stored articles (STORIES_*)
        self.engine = None
        self.writer: BatchWriter | None = None
        # The queue, oldest first: `held` in memory, then the unread part of `spool`.
        self.held: deque[Entry] = deque()
        self.spool: SpoolFile | None = None
        self.spooled_outlets: Counter[str] = Counter()  # outlets of the unread spool entries
        self.in_flight = 0
        self.outage_since: float | None = None
        self.failures = 0
        self.closing = False
        self._wake: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            database_url(settings), settings.getint("STORAGE_BATCH_SIZE", 100), crawler.stats,
            timeout=settings.getfloat("DATABASE_TIMEOUT", 30.0),
            max_held=settings.getint("STORAGE_MAX_HELD", 1000),
            max_held_bytes=settings.getint("STORAGE_MAX_HELD_BYTES", 256 * 1024 * 1024),
            spool_dir=settings.get("STORAGE_SPOOL_DIR"),
            spool_name=new_spool_name(crawler.spidercls.name or "run"),
            retry_delay=settings.getfloat("STORAGE_RETRY_DELAY", 1.0),
            retry_delay_max=settings.getfloat("STORAGE_RETRY_DELAY_MAX", 30.0),
            retry_max_wait=settings.getfloat("STORAGE_RETRY_MAX_WAIT", 300.0),
            stories=StoryAssigner.from_settings(settings),
        )

    # --- the run -----------------------------------------------------------------

    async def open_spider(self):
        try:
            self.engine = await asyncio.to_thread(open_database, self.url, self.timeout)
        except DatabaseUnavailable as error:
            logger.error("%s", error)
            self.stats.set_value("storage/database_unavailable", str(error))
            raise CloseSpider(DATABASE_UNAVAILABLE)
        self.writer = BatchWriter(ArticleStore(self.engine, self.stories))
        logger.info("Storing articles in %s, %d per batch", printable_url(self.url), self.batch_size)
        await self._store_earlier_spools()
        self._wake, self._closing = asyncio.Event(), asyncio.Event()
        self._task = asyncio.ensure_future(self._write_loop())
        self._task.add_done_callback(lambda _: self._update_queued())

    def process_item(self, item):
        if not isinstance(item, (ArticleItem, RejectedPage)):
            return item
        if self.spool is not None and self.spool.unread or self._memory_full():
            self._spool(item)
        else:
            self.held.append(item)
        self._update_queued()
        if self.queued() >= self.batch_size:
            self._wake.set()
        return item

    async def close_spider(self):
        if self._task is None:
            return  # never opened: the database was unavailable
        self.closing = True
        self._closing.set()
        self._wake.set()
        try:
            await self._task
        except Exception:
            # A bug in the writer: what it still holds is spooled all the same.
            logger.exception("The storage writer failed")
        self._spool_the_rest()
        self.engine.dispose()

    # --- the queue ---------------------------------------------------------------

    def _memory_full(self) -> bool:
        """Held pages past the count bound, or past the bytes bound: each keeps
        its raw page (up to DOWNLOAD_MAXSIZE) until it is stored."""
        if len(self.held) >= self.max_held:
            return True
        return len(self.held) >= self.batch_size and sum(len(e.raw or b"") for e in self.held) >= self.max_held_bytes

    def queued(self) -> int:
        return len(self.held) + (self.spool.unread if self.spool is not None else 0)

    def _update_queued(self) -> None:
        self.stats.set_value(QUEUED, self.queued() + self.in_flight)
        # The writer is behind, not stopped: a producer that can wait should,
        # rather than send pages through the spool. In an outage, or once the
        # writer has ended, the spool takes them.
        writing = self._task is not None and not self._task.done() and not self.closing
        self.stats.set_value(FULL, writing and self.outage_since is None and len(self.held) >= self.max_held)

    def _spool(self, entry: Entry) -> None:
        try:
            if self.spool is None:
                self.spool = SpoolFile.create(self.spool_dir, self.spool_name)
                logger.warning("Holding more than %d pages: spooling the next ones to %s",
                               self.max_held, self.spool.path)
            self.spool.append(entry)
        except OSError as error:
            # Memory beats losing the page; the spool is tried again for the next one.
            logger.error("Could not write the spool %s: %s; holding the page in memory", self.spool_dir, error)
            self.held.append(entry)
        else:
            self.spooled_outlets[stats_outlet(entry.outlet)] += 1

    def _take(self, count: int) -> list[Entry]:
        batch = [self.held.popleft() for _ in range(min(count, len(self.held)))]
        if len(batch) < count and self.spool is not None and self.spool.unread:
            for entry in self.spool.read(count - len(batch)):
                self.spooled_outlets[stats_outlet(entry.outlet)] -= 1
                batch.append(entry)
        return batch

    async def _write_loop(self) -> None:
        """The writer: one batch at a time, oldest pages first."""
        while True:
            waiting = self.queued()
            if not waiting and self.closing:
                return
            if not waiting or waiting < self.batch_size and not self.closing:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._take(self.batch_size)
            self.in_flight = len(batch)
            try:
                result = await asyncio.to_thread(self.writer.write, batch)
            finally:
                self.in_flight = 0
            self._count(result)
            if result.remaining:
                # Back to the front of the queue, in their order.
                self.held.extendleft(reversed(result.remaining))
                self._update_queued()
                if not await self._wait_for_database(result.outage):
                    return
                continue
            if self.outage_since is not None:
                logger.warning("The database is back after %.0f s; storing the %d pages held",
                               time.monotonic() - self.outage_since, self.queued())
                self.outage_since, self.failures = None, 0
            if self.spool is not None and not self.queued():
                self.spool.discard()  # all of it stored
                self.spool = None
            self._update_queued()

    async def _wait_for_database(self, outage: str) -> bool:
        """Sleep before the next attempt. False when the run is over and the
        outage has lasted STORAGE_RETRY_MAX_WAIT: time to spool."""
        now = time.monotonic()
        if self.outage_since is None:
            self.outage_since = now
            self._update_queued()
            logger.warning("The database is unavailable (%s); holding %d pages and retrying",
                           outage, self.queued())
        else:
            logger.info("The database is still unavailable (%s); %d pages held", outage, self.queued())
        self.stats.inc_value("storage/retries")
        self.failures += 1
        deadline = now + min(self.retry_delay * 2 ** min(self.failures - 1, 20), self.retry_delay_max)
        while True:
            if self.closing:
                give_up_at = self.outage_since + self.retry_max_wait
                if now >= give_up_at:
                    return False
                deadline = min(deadline, give_up_at)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self.closing:
                await asyncio.sleep(remaining)
                return True
            try:
                # Cut short by the end of the run, whose wait has its own bound.
                await asyncio.wait_for(self._closing.wait(), remaining)
            except asyncio.TimeoutError:
                return True

    def _spool_the_rest(self) -> None:
        """At the end of the run: what is not stored stays in the spool file."""
        held = list(self.held)
        self.held.clear()
        outlets = self.spooled_outlets.copy()
        for entry in held:
            outlets[stats_outlet(entry.outlet)] += 1
        count = sum(outlets.values())
        try:
            if held and self.spool is None:
                self.spool = SpoolFile.create(self.spool_dir, self.spool_name)
            path = self.spool.close_with(held) if self.spool is not None else None
        except OSError as error:
            logger.error("not stored: %d, and lost: could not write the spool %s: %s", count, self.spool_dir, error)
            self.stats.inc_value("articles/storage_lost", count)
            path = None
        else:
            if path is not None:
                logger.error("not stored: %d, spooled to %s (the database is unavailable; the next run on it "
                             "stores them first)", count, path)
                self.stats.set_value("storage/spooled", count)
                self.stats.set_value("storage/spool_file", str(path))
        self.spool = None
        for outlet, number in outlets.items():
            if number:
                self.stats.inc_value(f"articles/{outlet}/not_stored", number)
                self.stats.inc_value("articles/not_stored", number)
        self._update_queued()

    # --- earlier runs' spools ------------------------------------------------------

    async def _store_earlier_spools(self) -> None:
        """Before this run's pages: the pages earlier runs left in the spool."""
        results, left = await asyncio.to_thread(self._write_earlier_spools)
        for result in results:
            self._count(result, prefix="spool")
        stored = sum(len(result.stored) + len(result.rejected) for result in results)
        if stored:
            logger.warning("Stored %d pages spooled by earlier runs (%s)", stored, self.spool_dir)
        if left:
            self.stats.set_value("spool/left", left)
            self.stats.set_value("spool/directory", str(self.spool_dir))

    def _write_earlier_spools(self) -> tuple[list[BatchResult], int]:
        """Store the spool files of earlier runs, file by file; stops at an outage
        (the rest stays in its file). Returns the results and the pages left."""
        results = []
        for spool in claim_earlier(self.spool_dir):
            while spool.unread:
                result = self.writer.write(spool.read(self.batch_size))
                results.append(result)
                if result.remaining:
                    left = len(result.remaining) + spool.unread
                    spool.close_with(result.remaining)
                    logger.error("The database became unavailable (%s) while storing %s; %d pages stay there",
                                 result.outage, spool.path, left)
                    return results, left
            spool.discard()
        return results, 0

    # --- stats -----------------------------------------------------------------------

    def _count(self, result: BatchResult, prefix: str = "articles") -> None:
        inc = self.stats.inc_value
        for item, status in result.stored:
            if prefix == "articles":
                inc(f"articles/{stats_outlet(item.outlet)}/{status}")
            inc(f"{prefix}/{status}")
        for page in result.rejected:
            if prefix == "articles":
                inc(f"articles/{stats_outlet(page.outlet)}/rejected/{page.reason}")
            inc(f"{prefix}/rejected")
        for page in result.lost:
            if prefix == "articles":
                inc(f"articles/{stats_outlet(page.outlet)}/not_stored")
                inc("articles/not_stored")
            inc(f"{prefix}/storage_lost")
        if result.refused:
            inc(f"{prefix}/storage_errors", result.refused)
        if result.split:
            inc(f"{prefix}/storage_batch_retries")
