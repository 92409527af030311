"""Reading saved pages for `scrapy replay`: the unit of work of a replay.

A saved file or a WARC record is read straight from disk (no `file://`
download through Scrapy's engine: for local files it costs more than it
gives), through `read_saved_page` and the `NORMALIZERS` chain, into the item
to store or the page to reject. `PageReader` does it for one page; the replay
spider runs it in its own process (`-j 1`) or hands pages to `ReaderPool`,
worker processes that each run a `PageReader` and send back, in input order,
what they read. Storage stays in the spider's process (one writer), so a
parallel replay stores the same rows, in the same order, as `-j 1`.

Each page read comes back as an `Outcome`: the entry for the item pipelines
(an `ArticleItem`, a `RejectedPage`, or None for a page skipped as not an
article) and the stats its reading changed, which the spider adds to the
run's stats (a worker has stats of its own).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from crawler.inputs import UnreadableInput
from crawler.items import ArticleItem, RejectedPage

logger = logging.getLogger(__name__)

# Stat: pages read from disk (the progress line's "read").
PAGES_READ = "replay/read"


@dataclass(frozen=True)
class KnownInput:
    """What a replay stored from an input before (db.store.ArticleStore.known_inputs)."""

    raw_hash: str
    article_id: int
    outlet: str | None
    file_size: int | None = None
    file_mtime_ns: int | None = None


@dataclass(frozen=True)
class SeenInput:
    """An input read again with the bytes it had: its article is unchanged."""

    input_ref: str
    article_id: int
    outlet: str | None


@dataclass(frozen=True)
class SavedFile:
    """A saved page file (a text capture or HTML) to read. (A file known
    unchanged is not read: the spider finds it, see `seen_again`.)"""

    path: Path
    kind: str
    size: int = 0
    mtime_ns: int = 0  # with the size, from the stat taken before the file is read

    @functools.cached_property
    def input_ref(self) -> str:
        return self.path.as_uri()


@dataclass(frozen=True)
class ArchivedPage:
    """A response record of a WARC file to read as an HTML page."""

    path: Path
    offset: int
    target_uri: str
    fetched_at: datetime | None
    size: int = 0
    known: KnownInput | None = None

    @property
    def input_ref(self) -> str:
        from crawler.warc import record_ref

        return record_ref(self.path, self.offset)


@dataclass
class Outcome:
    entry: ArticleItem | RejectedPage | SeenInput | None
    stats: dict = field(default_factory=dict)


Page = SavedFile | ArchivedPage


def raw_hash(data: bytes) -> str:
    """What identifies a page's bytes as read: SHA-256, hex."""
    return hashlib.sha256(data).hexdigest()


# A file modified this close to its reading may be modified again within the
# same tick of a coarse file system clock, keeping its size: its stat is not
# kept, so the next replay compares its bytes.
RECENT_MTIME_NS = 2_000_000_000


def unchanged_file(page: SavedFile, known: KnownInput) -> bool:
    """The file has the size and modification time it had when it was read
    (as make and rsync judge files; `--force` reads everything)."""
    return known.file_size is not None and (known.file_size, known.file_mtime_ns) == (page.size, page.mtime_ns)


def file_stat(page: SavedFile, read_at_ns: int) -> tuple[int | None, int | None]:
    """The stat to keep for a file read at `read_at_ns` (wall clock), or
    none for a file modified just before."""
    if page.mtime_ns and read_at_ns - page.mtime_ns > RECENT_MTIME_NS:
        return page.size, page.mtime_ns
    return None, None


def seen_again(page: SavedFile, known: KnownInput) -> SeenInput | None:
    """The file's article, if the file holds the bytes `known` was read from
    (None also when it cannot be read: the reader reports that)."""
    if unchanged_file(page, known):
        return SeenInput(page.input_ref, known.article_id, known.outlet)
    try:
        data = page.path.read_bytes()
    except OSError:
        return None
    return SeenInput(page.input_ref, known.article_id, known.outlet) if raw_hash(data) == known.raw_hash else None


# What a stored row depends on besides the page's bytes: the settings that
# shape reading and normalizing, and the libraries that extract the text.
_VERSION_SETTINGS = ("NORMALIZERS_BASE", "NORMALIZERS", "VALIDATION_MIN_BODY_WORDS", "DOWNLOAD_MAXSIZE",
                     "COMPRESSION_ENABLED")
_VERSION_PACKAGES = ("trafilatura", "lxml", "htmldate", "justext", "dateparser", "ftfy", "charset-normalizer",
                     "w3lib", "warcio", "hijridate")


def parser_version(settings) -> str:
    """The version of the code that turns a page's bytes into its row: a hash
    of the project's sources (crawler/, pipelines/, db/keys.py) and of every
    enabled normalizer's module, of the installed versions of the extraction
    libraries and of the settings above. Any change reads every page again."""
    import importlib.util
    import sysconfig

    from pipelines.base import normalizer_paths

    root = Path(__file__).resolve().parent.parent
    sources = {*root.glob("crawler/**/*.py"), *root.glob("pipelines/**/*.py"), root / "db" / "keys.py"}
    for path in normalizer_paths(settings):
        spec = importlib.util.find_spec(path.rpartition(".")[0])
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            sources.add(Path(spec.origin).resolve())
    digest = hashlib.sha256()
    for source in sorted(sources):
        digest.update(str(source.relative_to(root) if source.is_relative_to(root) else source).encode())
        digest.update(source.read_bytes())
    # Installed versions from the dist-info folder names (importlib.metadata
    # would search every path entry for each package: 75 ms).
    site = Path(sysconfig.get_paths()["purelib"])
    wanted = {name.replace("-", "_").lower() for name in _VERSION_PACKAGES}
    installed = sorted(entry for entry in os.listdir(site) if entry.endswith(".dist-info")
                       and entry.rpartition("-")[0].replace("-", "_").lower() in wanted)
    digest.update("\n".join(installed).encode())
    for name in _VERSION_SETTINGS:
        value = sorted(settings.getdict(name).items()) if name.startswith("NORMALIZERS") else settings.get(name)
        digest.update(f"{name}={value!r}".encode())
    return digest.hexdigest()[:16]


class StatsDelta:
    """The part of Scrapy's stats collector that normalizers and middlewares
    use, collecting what one page changed so it can be added to the run's stats."""

    def __init__(self):
        self._stats: dict = {}

    def get_value(self, key, default=None):
        return self._stats.get(key, default)

    def get_stats(self) -> dict:
        return self._stats

    def set_value(self, key, value) -> None:
        self._stats[key] = value

    def inc_value(self, key, count=1, start=0) -> None:
        self._stats[key] = self._stats.get(key, start) + count

    def max_value(self, key, value) -> None:
        self._stats[key] = max(self._stats.get(key, value), value)

    def min_value(self, key, value) -> None:
        self._stats[key] = min(self._stats.get(key, value), value)

    def take(self) -> dict:
        taken, self._stats = self._stats, {}
        return taken


def add_stats(stats, delta: dict) -> None:
    """Add a page's stats to the run's: numbers add up, other values replace."""
    for key, value in delta.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            stats.inc_value(key, value)
        else:
            stats.set_value(key, value)


class PageReader:
    """Reads one page: bytes from disk, `read_saved_page`, the normalizers.

    Components are built as in a crawl, from a crawler that has the run's
    settings, these stats and signals (nothing else runs outside the engine)."""

    def __init__(self, settings, version: str | None = None):
        self.settings = settings
        self.stats = StatsDelta()
        self.max_bytes = settings.getint("DOWNLOAD_MAXSIZE")
        self.version = version or parser_version(settings)
        self.stories = settings.getbool("STORIES_ENABLED", True)
        self._normalization = None
        self._decompression = None

    def _components(self):
        """The normalizer chain and the decompression middleware, built for the
        first page to parse (a replay of unchanged pages needs neither)."""
        if self._normalization is None:
            from scrapy.exceptions import NotConfigured
            from scrapy.signalmanager import SignalManager

            from crawler.middlewares.dropped import SizeLimitedCompressionMiddleware
            from pipelines.base import NormalizationPipeline

            crawler = SimpleNamespace(settings=self.settings, stats=self.stats, signals=SignalManager())
            self._normalization = NormalizationPipeline.from_crawler(crawler)
            try:
                self._decompression = SizeLimitedCompressionMiddleware.from_crawler(crawler)
            except NotConfigured:
                self._decompression = False
        return self._normalization, self._decompression

    @property
    def normalization(self):
        return self._components()[0]

    def read(self, page: Page) -> Outcome:
        entry = self._read(page)
        if isinstance(entry, ArticleItem):
            entry = self.normalization.process_item(entry)
        if isinstance(entry, ArticleItem) and self.stories:
            from crawler.stories.features import article_features
            from db.store import article_values

            # Here, in a worker with -j N, rather than in the one writer.
            try:
                entry.story_features = article_features(article_values(entry))
            except Exception:  # a bug here must not cost the page: the store computes them again
                logger.exception("Story features failed on %s", entry.input_ref or entry.url)
                self.stats.inc_value("stories/features_failed")
        return Outcome(entry, self.stats.take())

    @staticmethod
    def _seen(page: ArchivedPage, archived: bytes) -> SeenInput | None:
        """The record's article, if the record is known with these very bytes."""
        if page.known is not None and page.known.raw_hash == raw_hash(archived):
            return SeenInput(page.input_ref, page.known.article_id, page.known.outlet)
        return None

    def _mark(self, item: ArticleItem, data: bytes) -> ArticleItem:
        item.raw_hash, item.parser_version = raw_hash(data), self.version
        return item

    def _read(self, page: Page) -> ArticleItem | RejectedPage | None:
        self.stats.inc_value(PAGES_READ)
        if isinstance(page, ArchivedPage):
            return self._read_record(page)
        from crawler.pages import NotAnArticle, read_saved_page

        url = page.input_ref
        try:
            data = page.path.read_bytes()
        except OSError as error:
            return reject(url, "read_error", f"{page.path}: {error.strerror}")
        try:
            item = read_saved_page(data, url, page.kind, articles_only=True, max_bytes=self.max_bytes)
        except NotAnArticle as exc:
            return self._not_article(url, exc.kind)
        except UnreadableInput as exc:
            return reject(url, exc.reason, exc.detail, data if exc.raw is None else exc.raw)
        except Exception as exc:  # a parser bug must cost one page, not the run
            logger.exception("Parser failed on %s", url)
            return reject(url, "parse_error", f"{type(exc).__name__}: {exc}", data)
        item.input_ref = url
        item.raw = data
        item.file_size, item.file_mtime_ns = file_stat(page, time.time_ns())
        return self._mark(item, data)

    def _read_record(self, page: ArchivedPage) -> ArticleItem | RejectedPage | None:
        """The record's response as the crawl got it (Content-Encoding undone
        by Scrapy's middleware, bounded by DOWNLOAD_MAXSIZE), read as HTML under
        its target URI with the charset of its header and its WARC-Date."""
        from scrapy.http import Request
        from w3lib.encoding import http_content_type_encoding

        from crawler.discovery import declares_article
        from crawler.middlewares.dropped import DroppedRequest
        from crawler.outlets import by_url
        from crawler.pages import HTML, read_saved_page
        from crawler.warc import read_response_record

        ref = page.input_ref
        request = Request(ref, meta={"page_url": page.target_uri})
        try:
            response = read_response_record(page.path, page.offset, request)
            archived = response.body
            if seen := self._seen(page, archived):
                return seen
            decompression = self._components()[1]
            if decompression:
                response = decompression.process_response(request, response)
        except (UnreadableInput, DroppedRequest) as exc:
            return reject(page.target_uri, exc.reason, exc.detail, exc.raw, ref)
        except OSError as error:
            return reject(page.target_uri, "read_error", f"{page.path}: {error.strerror}", None, ref)
        if by_url(response.url) is None and not declares_article(response):
            # A site without an outlet description: its crawl (the generic
            # spider) took only pages that declare an article for articles.
            self.stats.inc_value("replay/files", -1)
            self.stats.inc_value("replay/warc_skipped/not_article")
            return None
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        try:
            item = read_saved_page(response.body, response.url, HTML, max_bytes=self.max_bytes,
                                   encoding=http_content_type_encoding(content_type), fetched_at=page.fetched_at)
        except UnreadableInput as exc:
            return reject(response.url, exc.reason, exc.detail, response.body if exc.raw is None else exc.raw, ref)
        except Exception as exc:
            logger.exception("Parser failed on %s", ref)
            return reject(response.url, "parse_error", f"{type(exc).__name__}: {exc}", response.body, ref)
        item.input_ref = ref
        item.raw = response.body
        return self._mark(item, archived)

    def _not_article(self, ref: str, kind: str) -> None:
        from crawler.summary import NOT_ARTICLE

        # Like a WARC record of a listing: not a file to store, and nothing lost.
        logger.info("Skipped %s: not an article (%s)", ref, kind)
        self.stats.inc_value("replay/files", -1)
        self.stats.inc_value(NOT_ARTICLE + kind)
        return None


def reject(url: str, reason: str, detail: str, raw: bytes | None = None, input_ref: str | None = None) -> RejectedPage:
    logger.warning("Rejected %s (%s): %s", input_ref or url, reason, detail)
    return RejectedPage(url=url, reason=reason, detail=detail, input_ref=input_ref or url, raw=raw)


# --- worker processes ----------------------------------------------------------------

# A batch sent to a worker: a few pages, so the cost of sending it stays small
# next to reading them, and small enough that the workers finish together.
BATCH_PAGES = 16
BATCH_BYTES = 256 * 1024

_reader: PageReader | None = None


def _start_worker(settings, version: str) -> None:
    global _reader
    # Ctrl-C reaches the whole process group: the spider's process stops the
    # run and then the workers; a worker must not die first with its batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _reader = PageReader(settings, version)
    # Everything a page may need, imported now: a worker starts while the
    # command's own process is still opening the database and its engine.
    _reader._components()
    import crawler.extraction.captures  # noqa: F401
    import crawler.extraction.html  # noqa: F401

    if _reader.stories:
        from crawler.stories.features import warm_up

        warm_up()


def _read_batch(batch: list[Page | Outcome]) -> list[Outcome]:
    return [unit if isinstance(unit, Outcome) else _reader.read(unit) for unit in batch]


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class ReaderPool:
    """`workers` processes reading pages; results come back in input order.

    The processes are forked when the pool is made: the replay command makes
    it before Scrapy's engine starts any thread, and the workers start with
    every module the command imported (no second start-up)."""

    def __init__(self, settings, workers: int):
        self.workers = workers
        self.settings = settings
        self.version = parser_version(settings)
        self.executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker, initargs=(settings, self.version),
        )
        # The first submission forks every worker at once (and returns: the
        # workers import what they need while the engine starts here).
        self.executor.submit(os.getpid)

    def shutdown(self) -> None:
        """Stop the workers once the run has every result it asked for: a worker
        still importing (a run with nothing to parse) is not waited for."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        workers = multiprocessing.active_children()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join()


async def read_pages(units, reader: PageReader | None, pool: ReaderPool | None):
    """Outcomes of `units` (pages to read, or outcomes already known) in their
    order: read here by `reader`, or by the pool's workers, a few batches ahead.
    A batch whose worker failed is read here instead."""
    import asyncio

    if pool is None:
        for unit in units:
            yield unit if isinstance(unit, Outcome) else reader.read(unit)
        return
    loop = asyncio.get_running_loop()
    pending: deque[tuple[list, asyncio.Future]] = deque()
    ahead = 3 * pool.workers
    local: PageReader | None = None

    async def drain(batch: list, future: asyncio.Future):
        nonlocal local
        try:
            return await future
        except Exception as error:
            logger.error("A replay worker failed (%s: %s); reading its %d pages here",
                         type(error).__name__, error, len(batch))
            local = local or reader or PageReader(pool.settings, pool.version)
            return [unit if isinstance(unit, Outcome) else local.read(unit) for unit in batch]

    def submit(batch: list) -> None:
        if all(isinstance(unit, Outcome) for unit in batch):
            # Nothing to read (pages known unchanged, rejections): no round
            # trip through a worker, which may still be starting.
            future = loop.create_future()
            future.set_result(batch)
            pending.append((batch, future))
            return
        try:
            future = asyncio.wrap_future(pool.executor.submit(_read_batch, batch), loop=loop)
        except Exception as error:  # the pool is broken: a worker died
            future = loop.create_future()
            future.set_exception(error)
        pending.append((batch, future))

    batch, size = [], 0
    for unit in units:
        batch.append(unit)
        size += getattr(unit, "size", 0)
        if len(batch) >= BATCH_PAGES or size >= BATCH_BYTES:
            submit(batch)
            batch, size = [], 0
            while len(pending) > ahead:
                for outcome in await drain(*pending.popleft()):
                    yield outcome
    if batch:
        submit(batch)
    while pending:
        for outcome in await drain(*pending.popleft()):
            yield outcome
