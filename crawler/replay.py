"""The spider behind `scrapy replay`: saved pages read from disk
(crawler.pagereader: in this process, or in worker processes with -j N) and
stored through the item pipelines and stats of a live crawl.

WARC files are read record by record: each HTTP 200 HTML response of an
article page (by the rules of the crawl that fetched it) is one page (one
`replay/files` count), read as saved HTML under its target URI with the
WARC-Date as fetch time. Other records (requests,
robots.txt, feeds, sitemaps, listings, 3xx/304/404/5xx answers) are skipped
and counted under `replay/warc_skipped/<reason>`.

A saved HTML file is stored only if it is one article by its content
(crawler.extraction.fields.kind): a home page, listing, search, about page
or video gallery is skipped and counted under `replay/not_article/<kind>`,
neither a file to store nor a rejection."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import stat
from collections import Counter
from pathlib import Path

import scrapy
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.extensions import leave_out_switched_off
from crawler.inputs import GZIP_MAGIC, RAW_PREFIX_BYTES, TOO_LARGE, UnreadableInput, inflated_prefix
from crawler.outlets import by_url
from crawler.pagereader import (
    PAGES_READ, ArchivedPage, KnownInput, Outcome, PageReader, ReaderPool, SavedFile, SeenInput, add_stats, read_pages,
    reject, seen_again,
)
from crawler.pages import WARC, kind_of
from crawler.warc import WarcResponseRecord, record_prefix, record_ref, scan_warc
from db.session import cause, database_url, make_engine
from db.store import ArticleStore
from pipelines.base import NormalizationPipeline
from pipelines.store import FULL, stats_outlet

logger = logging.getLogger(__name__)

# Pages whose stored rows are looked up at once, and sightings written at once.
KNOWN_LOOKUP_BATCH = 500
# Seconds between two looks at the storage queue while it is full.
STORE_WAIT = 0.005
SIGHTINGS_BATCH = 5000

_FILE_TYPES = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
               stat.S_IFSOCK: "a socket"}


def iter_input_files(paths: list[str], extensions: list[str]):
    """Yield (path, problem, stat) for every saved page under `paths`, in a
    stable order; problem is None for a file to read (stat: its os.stat), else
    an `UnreadableInput` saying why it cannot be read. Folders are read
    recursively, through symbolic links, each folder once (a link back to a
    folder above is no loop); in them only names of saved page types count,
    and each one is accounted for: a broken link is `missing`, a FIFO, device
    or socket `not_a_file`, a file or folder without read permission
    `unreadable`. A path given by name may be of no
    saved page type (`unsupported_format`)."""
    suffixes = tuple(e.lower() for e in extensions)
    for raw in paths:
        path = Path(raw).expanduser()
        path = path.resolve() if path.exists() else path.absolute()
        if path.is_dir():
            # By parts, as paths compare (and faster than comparing paths).
            yield from sorted(_walk(path, suffixes), key=lambda found: found[0].parts)
            continue
        problem, status = _file_problem(path)
        if problem is None and not kind_of(path.name):
            problem = UnreadableInput("unsupported_format", "not a saved page type (.txt, .html, .htm, .html.gz, "
                                                            f".warc, .warc.gz): {path.name}")
        yield path, problem, status


def _walk(root: Path, suffixes: tuple[str, ...]) -> list[tuple[Path, UnreadableInput | None, os.stat_result]]:
    """The folder's saved pages: its own tree first, then the folders its links
    lead to that were not read yet (a file is found under its real path when
    it has one in the tree, and a link back up is no loop)."""
    found: list[tuple[Path, UnreadableInput | None, os.stat_result | None]] = []
    folders_read: set[tuple[int, int]] = set()
    links = [root]

    def unlisted(error: OSError) -> None:
        found.append((Path(error.filename), UnreadableInput("unreadable", f"folder not listed: {error.strerror}"),
                      None))

    while links:
        for folder, subfolders, names in os.walk(links.pop(0), onerror=unlisted):
            try:
                identity = os.stat(folder)
            except OSError as error:
                unlisted(error)
                continue
            if (identity.st_dev, identity.st_ino) in folders_read:
                logger.debug("Skipping %s: a folder read already", folder)
                subfolders.clear()
                continue
            folders_read.add((identity.st_dev, identity.st_ino))
            subfolders.sort()
            # os.walk lists links to folders among the subfolders without entering them.
            links += [Path(folder, name) for name in subfolders if os.path.islink(os.path.join(folder, name))]
            for name in names:
                if name.lower().endswith(suffixes):
                    child = Path(folder, name)
                    found.append((child, *_file_problem(child)))
                else:
                    logger.debug("Skipping %s: not a saved page type", Path(folder, name))
    return found


def _file_problem(path: Path) -> tuple[UnreadableInput | None, os.stat_result | None]:
    """(None, its stat) for a regular file that opens for reading, else (why
    not, None). Never opens anything else: a FIFO would block the run."""
    try:
        status = path.stat()
    except OSError as error:
        if path.is_symlink():
            return UnreadableInput("missing", f"broken symbolic link to {os.readlink(path)}: {error.strerror}"), None
        if isinstance(error, FileNotFoundError):
            return UnreadableInput("missing", f"no such file or folder: {path}"), None
        return UnreadableInput("unreadable", f"{path}: {error.strerror}"), None
    if not stat.S_ISREG(status.st_mode):
        kind = _FILE_TYPES.get(stat.S_IFMT(status.st_mode), "not a regular file")
        return UnreadableInput("not_a_file", f"{path}: {kind}"), None
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        return UnreadableInput("unreadable", f"{path}: {error.strerror}"), None
    return None, status


def _file_prefix(path: Path) -> bytes:
    """What a file too large to read keeps: its first bytes, inflated if gzip."""
    with open(path, "rb") as stream:
        head = stream.read(RAW_PREFIX_BYTES)
    return inflated_prefix(head) if head[:2] == GZIP_MAGIC else head


class ReplaySpider(scrapy.Spider):
    name = "replay"
    custom_settings = {
        "ROBOTSTXT_OBEY": False,
        # Files need no politeness: no delays between reads.
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        # A replay reads files: nothing to archive again.
        "WARC_ENABLED": False,
        # ... and downloads nothing: no download handler or downloader
        # middleware to load at start-up (0.2 s).
        "DOWNLOAD_HANDLERS": {scheme: None for scheme in ("data", "file", "http", "https", "s3", "ftp")},
        "DOWNLOADER_MIDDLEWARES_BASE": {},
        "DOWNLOADER_MIDDLEWARES": {},
    }

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # The normalizers run where the page is read (crawler.pagereader), in
        # a worker process with -j N: not a second time as a pipeline.
        pipelines = {**settings.getdict("ITEM_PIPELINES"), f"{NormalizationPipeline.__module__}.NormalizationPipeline": None}
        settings.set("ITEM_PIPELINES", pipelines,
                     priority=max(settings.getpriority("ITEM_PIPELINES") or 0, SETTINGS_PRIORITIES["spider"]))
        leave_out_switched_off(settings, SETTINGS_PRIORITIES["spider"])

    def __init__(self, paths: list[str] | str | None = None, pool: ReaderPool | None = None,
                 force: bool | str = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(paths, str):
            paths = [p for p in paths.split(",") if p]
        self.paths = paths or ["seeds"]
        self.pool = pool
        # Read every page again, also those stored before with the same bytes and parser.
        self.force = force in (True, "1", "true", "True", "yes")
        self.sightings: list[SeenInput] = []
        self.store: ArticleStore | None = None

    async def start(self):
        stats = self.crawler.stats
        reader = None if self.pool is not None else PageReader(self.settings)
        version = (self.pool or reader).version
        if not self.force:
            self.store = ArticleStore(make_engine(database_url(self.settings),
                                                  self.settings.getfloat("DATABASE_TIMEOUT", 30.0)))
        pages = self._pages() if self.store is None else self._with_known(self._pages(), version)
        async for outcome in read_pages(pages, reader, self.pool):
            add_stats(stats, outcome.stats)
            if isinstance(outcome.entry, SeenInput):
                self.sightings.append(outcome.entry)
                if len(self.sightings) >= SIGHTINGS_BATCH:
                    await self._record_sightings()
            elif outcome.entry is not None:
                await self._room_to_store()
                yield outcome.entry
        await self._record_sightings()

    async def _room_to_store(self) -> None:
        """Files are read faster than a database with stories stores them:
        while the storage pipeline holds STORAGE_MAX_HELD pages for its running
        writer (`storage/full`), wait, so that pages stay in memory instead of
        going through its spool (written, read back, their story features
        computed again). In an outage the replay goes on, and the spool keeps
        what it reads."""
        while self.crawler.stats.get_value(FULL):
            await asyncio.sleep(STORE_WAIT)

    def _with_known(self, pages, version: str):
        """The pages with what the database knows of them (a replay of the
        same bytes by this parser version skips them), looked up in batches."""
        batch = []

        def known(batch):
            refs = [unit.input_ref for unit in batch if not isinstance(unit, Outcome)]
            try:
                found = self.store.known_inputs(refs, version) if refs else {}
            except Exception as error:  # the pages are read in full: nothing lost, only time
                logger.warning("Could not look up the pages stored before (%s): reading them all", cause(error))
                found = {}
            for unit in batch:
                entry = None if isinstance(unit, Outcome) else found.get(unit.input_ref)
                if entry is None:
                    yield unit
                    continue
                known = KnownInput(*entry)
                if isinstance(unit, ArchivedPage):  # the reader reads the record, then compares
                    yield dataclasses.replace(unit, known=known)
                elif (seen := seen_again(unit, known)) is not None:
                    # A file is judged here (its stat, else its hash): cheaper than handing it to a worker.
                    yield Outcome(seen, {PAGES_READ: 1})
                else:
                    yield unit  # changed: parsed

        for unit in pages:
            batch.append(unit)
            if len(batch) >= KNOWN_LOOKUP_BATCH:
                yield from known(batch)
                batch = []
        yield from known(batch)

    async def _record_sightings(self) -> None:
        """Count the pages read again unchanged and move their `last_seen_at`
        (one UPDATE per table for the batch, in a thread). They are stored
        already: a database that refuses the UPDATE costs the new sighting
        time only."""
        seen, self.sightings = self.sightings, []
        if not seen:
            return
        stats = self.crawler.stats
        for outlet, count in Counter(stats_outlet(entry.outlet) for entry in seen).items():
            stats.inc_value(f"articles/{outlet}/unchanged", count)
        stats.inc_value("articles/unchanged", len(seen))
        stats.inc_value("replay/skipped_unchanged", len(seen))
        try:
            await asyncio.to_thread(self.store.record_sightings, [entry.article_id for entry in seen],
                                    [entry.input_ref for entry in seen])
        except Exception as error:
            logger.error("Could not record that %d unchanged pages were seen again: %s", len(seen), cause(error))
            stats.inc_value("replay/sightings_not_recorded", len(seen))

    def closed(self, reason):
        if self.store is not None:
            self.store.engine.dispose()

    def _pages(self):
        """Every input in order: a page to read, or the rejection of one that
        cannot be read (counted in `replay/files` here, as it is found)."""
        extensions = self.settings.getlist("REPLAY_EXTENSIONS")
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE")
        stats = self.crawler.stats
        for path, problem, status in iter_input_files(self.paths, extensions):
            if problem is None and kind_of(path.name) == WARC:
                yield from self._warc_pages(path, max_bytes)
                continue
            stats.inc_value("replay/files")
            uri = path.as_uri()
            size, mtime_ns = (status.st_size, status.st_mtime_ns) if status is not None else (0, 0)
            if problem is None and max_bytes and size > max_bytes:
                problem = UnreadableInput(TOO_LARGE, f"{size} bytes, over DOWNLOAD_MAXSIZE ({max_bytes})",
                                          raw=_file_prefix(path))
            if problem:
                yield Outcome(reject(uri, problem.reason, problem.detail, problem.raw))
                continue
            yield SavedFile(path, kind_of(path.name), size, mtime_ns)

    def _warc_pages(self, path: Path, max_bytes: int):
        """Each page record of a WARC file; a rejection for a page over the
        size limit and for the unreadable rest of a file."""
        stats = self.crawler.stats
        stats.inc_value("replay/warc_files")
        try:
            for record in scan_warc(path):
                skip = self._skip_reason(record)
                if skip:
                    stats.inc_value(f"replay/warc_skipped/{skip}")
                    continue
                stats.inc_value("replay/files")
                ref = record_ref(path, record.offset)
                if max_bytes and record.payload_length > max_bytes:
                    detail = f"{record.payload_length} bytes, over DOWNLOAD_MAXSIZE ({max_bytes})"
                    yield Outcome(reject(record.target_uri, TOO_LARGE, detail, record_prefix(path, record.offset), ref))
                    continue
                yield ArchivedPage(path, record.offset, record.target_uri, record.fetched_at, record.payload_length)
        except UnreadableInput as exc:
            stats.inc_value("replay/files")
            yield Outcome(reject(path.as_uri(), exc.reason, exc.detail))

    @staticmethod
    def _skip_reason(record: WarcResponseRecord) -> str | None:
        """Why a response record is not an article page, or None if it is one."""
        if record.status is None:
            return "not_http"
        if record.status != 200:
            return f"status_{record.status}"
        if not record.is_html():
            return "not_html"
        # The rule the outlet's crawl follows: only its article URLs are parsed
        # as articles. Pages of other sites are judged by content (PageReader).
        outlet = by_url(record.target_uri)
        if outlet and outlet.article_url_pattern and not outlet.is_article_url(record.target_uri):
            return "not_article"
        return None
