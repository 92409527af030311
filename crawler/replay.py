"""The spider behind `scrapy replay`: saved pages read through Scrapy's own
engine (file:// downloads, middlewares, item pipelines, stats), like a live crawl.

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

import logging
import os
import stat
from pathlib import Path

import scrapy
from scrapy.http import Response
from w3lib.encoding import http_content_type_encoding

from crawler.discovery import declares_article
from crawler.inputs import GZIP_MAGIC, RAW_PREFIX_BYTES, TOO_LARGE, UnreadableInput, inflated_prefix
from crawler.items import RejectedPage
from crawler.middlewares.dropped import DroppedRequest
from crawler.outlets import by_url
from crawler.pages import HTML, WARC, NotAnArticle, kind_of, read_saved_page
from crawler.summary import NOT_ARTICLE
from crawler.warc import RECORD_OFFSET, WarcResponseRecord, record_prefix, record_ref, scan_warc

logger = logging.getLogger(__name__)

_FILE_TYPES = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
               stat.S_IFSOCK: "a socket"}


def iter_input_files(paths: list[str], extensions: list[str]):
    """Yield (path, problem) for every saved page under `paths`, in a stable
    order; problem is None for a file to read, else an `UnreadableInput` saying
    why it cannot be read. Folders are read recursively, through symbolic links,
    each folder once (a link back to a folder above is no loop); in them only
    names of saved page types count, and each one is accounted for: a broken
    link is `missing`, a FIFO, device or socket `not_a_file`, a file or folder
    without read permission `unreadable`. A path given by name may be of no
    saved page type (`unsupported_format`)."""
    suffixes = tuple(e.lower() for e in extensions)
    for raw in paths:
        path = Path(raw).expanduser()
        path = path.resolve() if path.exists() else path.absolute()
        if path.is_dir():
            yield from sorted(_walk(path, suffixes), key=lambda found: found[0])
            continue
        problem = _file_problem(path)
        if problem is None and not kind_of(path.name):
            problem = UnreadableInput("unsupported_format", "not a saved page type (.txt, .html, .htm, .html.gz, "
                                                            f".warc, .warc.gz): {path.name}")
        yield path, problem


def _walk(root: Path, suffixes: tuple[str, ...]) -> list[tuple[Path, UnreadableInput | None]]:
    """The folder's saved pages: its own tree first, then the folders its links
    lead to that were not read yet (a file is found under its real path when
    it has one in the tree, and a link back up is no loop)."""
    found: list[tuple[Path, UnreadableInput | None]] = []
    folders_read: set[tuple[int, int]] = set()
    links = [root]

    def unlisted(error: OSError) -> None:
        found.append((Path(error.filename), UnreadableInput("unreadable", f"folder not listed: {error.strerror}")))

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
                    found.append((child, _file_problem(child)))
                else:
                    logger.debug("Skipping %s: not a saved page type", Path(folder, name))
    return found


def _file_problem(path: Path) -> UnreadableInput | None:
    """None for a regular file that opens for reading, else why not. Never
    opens anything else: a FIFO would block the run."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        if path.is_symlink():
            return UnreadableInput("missing", f"broken symbolic link to {os.readlink(path)}: {error.strerror}")
        if isinstance(error, FileNotFoundError):
            return UnreadableInput("missing", f"no such file or folder: {path}")
        return UnreadableInput("unreadable", f"{path}: {error.strerror}")
    if not stat.S_ISREG(mode):
        return UnreadableInput("not_a_file", f"{path}: {_FILE_TYPES.get(stat.S_IFMT(mode), 'not a regular file')}")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        return UnreadableInput("unreadable", f"{path}: {error.strerror}")
    return None


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
        # file:// requests for single WARC records.
        "DOWNLOAD_HANDLERS": {"file": "crawler.warc.ReplayFileDownloadHandler"},
    }

    def __init__(self, paths: list[str] | str | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(paths, str):
            paths = [p for p in paths.split(",") if p]
        self.paths = paths or ["seeds"]

    async def start(self):
        extensions = self.settings.getlist("REPLAY_EXTENSIONS")
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE")
        stats = self.crawler.stats
        for path, problem in iter_input_files(self.paths, extensions):
            if problem is None and kind_of(path.name) == WARC:
                for request_or_reject in self._warc_pages(path, max_bytes):
                    yield request_or_reject
                continue
            stats.inc_value("replay/files")
            uri = path.as_uri()
            if problem is None and max_bytes and (size := path.stat().st_size) > max_bytes:
                problem = UnreadableInput(TOO_LARGE, f"{size} bytes, over DOWNLOAD_MAXSIZE ({max_bytes})",
                                          raw=_file_prefix(path))
            if problem:
                yield self._reject(uri, problem.reason, problem.detail, problem.raw)
                continue
            yield scrapy.Request(
                uri, callback=self.parse_page, errback=self.on_error,
                cb_kwargs={"kind": kind_of(path.name)}, dont_filter=True,
            )

    def _warc_pages(self, path: Path, max_bytes: int):
        """A request for each page record of a WARC file; a rejection for a
        page over the size limit and for the unreadable rest of a file."""
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
                    yield self._reject(record.target_uri, TOO_LARGE, detail, record_prefix(path, record.offset), ref)
                    continue
                yield scrapy.Request(
                    ref, callback=self.parse_page, errback=self.on_error, dont_filter=True,
                    cb_kwargs={"kind": HTML},
                    meta={RECORD_OFFSET: record.offset, "page_url": record.target_uri,
                          "fetched_at": record.fetched_at},
                )
        except UnreadableInput as exc:
            stats.inc_value("replay/files")
            yield self._reject(path.as_uri(), exc.reason, exc.detail)

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
        # as articles. Pages of other sites are judged by content (parse_page).
        outlet = by_url(record.target_uri)
        if outlet and outlet.article_url_pattern and not outlet.is_article_url(record.target_uri):
            return "not_article"
        return None

    def _reject(self, url: str, reason: str, detail: str, raw: bytes | None = None,
                input_ref: str | None = None) -> RejectedPage:
        logger.warning("Rejected %s (%s): %s", input_ref or url, reason, detail)
        return RejectedPage(url=url, reason=reason, detail=detail, input_ref=input_ref or url, raw=raw)

    def parse_page(self, response: Response, kind: str):
        # A WARC record is read under its target URI, with the charset its HTTP
        # header declared; where it was read from is the record's file and offset.
        input_ref = response.request.url
        # A saved file has no crawl's URL rules: its content says whether it is an article.
        options = {"articles_only": True, "max_bytes": self.settings.getint("DOWNLOAD_MAXSIZE")}
        if RECORD_OFFSET in response.meta:
            if by_url(response.url) is None and not declares_article(response):
                # A site without an outlet description: its crawl (the generic
                # spider) took only pages that declare an article for articles.
                self.crawler.stats.inc_value("replay/files", -1)
                self.crawler.stats.inc_value("replay/warc_skipped/not_article")
                return
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
            options = {"encoding": http_content_type_encoding(content_type),
                       "fetched_at": response.meta.get("fetched_at"), "max_bytes": options["max_bytes"]}
        try:
            item = read_saved_page(response.body, response.url, kind, **options)
        except NotAnArticle as exc:
            # Like a WARC record of a listing: not a file to store, and nothing lost.
            logger.info("Skipped %s: not an article (%s)", input_ref, exc.kind)
            self.crawler.stats.inc_value("replay/files", -1)
            self.crawler.stats.inc_value(NOT_ARTICLE + exc.kind)
            return
        except UnreadableInput as exc:
            raw = response.body if exc.raw is None else exc.raw
            yield self._reject(response.url, exc.reason, exc.detail, raw, input_ref)
            return
        except Exception as exc:  # a parser bug must cost one page, not the run
            logger.exception("Parser failed on %s", input_ref)
            yield self._reject(response.url, "parse_error", f"{type(exc).__name__}: {exc}", response.body, input_ref)
            return
        item.input_ref = input_ref
        item.raw = response.body
        yield item

    def on_error(self, failure):
        request = failure.request
        raw = None
        if failure.check(UnreadableInput, DroppedRequest):
            reason, detail, raw = failure.value.reason, failure.value.detail, failure.value.raw
        else:
            reason, detail = "read_error", failure.getErrorMessage()
        yield self._reject(request.meta.get("page_url") or request.url, reason, detail, raw, request.url)
