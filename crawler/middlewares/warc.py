"""Raw archive of a crawl: every HTTP response, with the request that fetched it,
written to WARC files that standard tools (warcio, pywb, the Internet Archive's
tools) read, and that `scrapy replay` turns back into articles offline.

The middleware sits on the downloader side of the chain (order 950): its
`process_response` runs before RetryMiddleware, RedirectMiddleware,
HttpCompressionMiddleware and the incremental middleware, so it sees every
response as it came off the wire: the compressed body, 3xx, 304, 404 and 5xx
answers included. A middleware that fetches elsewhere (the test fixture
routing, order 990) must sit below it and hand back responses under the URL
asked for: that URL is the record's `WARC-Target-URI`.

Files: `WARC_DIR/<spider>-<UTC timestamp>-<serial>.warc.gz`, new ones for each
run, the next serial once a file reaches `WARC_MAX_SIZE`. Each file starts with
a warcinfo record; each record is its own gzip member, flushed as soon as it is
written, so a crashed run leaves a readable file up to its last whole record.
"""
from __future__ import annotations

import http.client
import logging
import re
import socket
from datetime import datetime, timezone
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from db.session import project_root

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
_ARCHIVED_SCHEMES = ("http", "https")
# The body Scrapy hands over is already de-chunked: the header that announced
# chunked framing would make readers de-chunk it a second time.
_FRAMING_HEADERS = {b"transfer-encoding"}
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


class RotatingWarcFiles:
    """The WARC files of one run: opened on the first record, each started with
    a warcinfo record, rotated once a file reaches `max_size` bytes (a
    request/response pair is never split, so a file may end one pair past it)."""

    def __init__(self, folder: Path, prefix: str, max_size: int, info: dict[str, str]):
        self.folder = folder
        self.prefix = _UNSAFE_NAME_CHARACTERS.sub("_", prefix) or "crawl"
        self.max_size = max_size
        self.info = info
        self.run_stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:17]
        self.paths: list[Path] = []
        self._serial = 0
        self._file = None
        self._writer: WARCWriter | None = None

    @property
    def writer(self) -> WARCWriter:
        """A record builder; records it builds are written with `write_pair`."""
        if self._writer is None:
            self._open_next()
        return self._writer

    def write_pair(self, response_record, request_record) -> int:
        """Write a response and its request record; returns the bytes written."""
        writer = self.writer
        start = self._file.tell()
        writer.write_request_response_pair(request_record, response_record)
        written = self._file.tell() - start
        if self.max_size and self._file.tell() >= self.max_size:
            self._close_current()
        return written

    def close(self) -> None:
        self._close_current()

    def _open_next(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            self._serial += 1
            path = self.folder / f"{self.prefix}-{self.run_stamp}-{self._serial:05d}.warc.gz"
            try:
                # Exclusive: a file of another run with the same name is never overwritten.
                self._file = open(path, "xb")
                break
            except FileExistsError:
                continue
        self._writer = WARCWriter(self._file, gzip=True, warc_version=WARC_VERSION)
        self._writer.write_record(self._writer.create_warcinfo_record(path.name, self.info))
        self.paths.append(path)
        logger.info("Writing WARC file %s", path)

    def _close_current(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None


def status_line(status: int) -> str:
    """`404 Not Found`: Scrapy keeps only the code, the reason is the standard one."""
    reason = http.client.responses.get(status, "")
    return f"{status} {reason}".rstrip()


def response_record(writer: WARCWriter, url: str, response: Response, warc_date: str):
    protocol = response.protocol if (response.protocol or "").startswith("HTTP/") else "HTTP/1.1"
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() not in _FRAMING_HEADERS
        for value in values
    ]
    http_headers = StatusAndHeaders(status_line(response.status), headers, protocol=protocol)
    warc_headers = {"WARC-Date": warc_date}
    if response.ip_address is not None:
        warc_headers["WARC-IP-Address"] = str(response.ip_address)
    if "dataloss" in response.flags:
        warc_headers["WARC-Truncated"] = "disconnect"
    body = response.body
    return writer.create_warc_record(
        url, "response", payload=BytesIO(body), length=len(body),
        http_headers=http_headers, warc_headers_dict=warc_headers,
    )


def request_record(writer: WARCWriter, url: str, request: Request):
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # Scrapy adds Host when it sends the request, not to request.headers.
    headers = [] if b"Host" in request.headers else [("Host", parts.netloc)]
    headers += [(name, value) for name, values in request.headers.items() for value in values]
    http_headers = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)
    body = request.body
    return writer.create_warc_record(
        url, "request", payload=BytesIO(body), length=len(body), http_headers=http_headers,
    )


class WarcArchiveMiddleware:
    """Downloader middleware writing each HTTP(S) response and its request to
    WARC files. Settings: `WARC_ENABLED`, `WARC_DIR`, `WARC_MAX_SIZE`."""

    def __init__(self, files: RotatingWarcFiles, stats):
        self.files = files
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured
        spider_name = crawler.spidercls.name or "crawl"
        info = {
            "software": f"{settings.get('BOT_NAME')} (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "isPartOf": spider_name,
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": settings.get("USER_AGENT"),
        }
        files = RotatingWarcFiles(
            # A relative folder is the project's, like the database and the spool.
            project_root() / (settings.get("WARC_DIR") or "data/warc"), spider_name,
            settings.getint("WARC_MAX_SIZE"), info,
        )
        middleware = cls(files, crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response):
        # A response from the HTTP cache was archived when it was fetched.
        if urlsplit(response.url).scheme not in _ARCHIVED_SCHEMES or "cached" in response.flags:
            return response
        fetched = datetime_to_iso_date(datetime.now(timezone.utc).replace(tzinfo=None), use_micros=True)
        try:
            writer = self.files.writer
            written = self.files.write_pair(
                response_record(writer, response.url, response, fetched),
                request_record(writer, response.url, request),
            )
        except OSError as exc:
            # A full disk must not stop the crawl; the gap is counted and logged.
            logger.error("WARC write failed for %s: %s", response.url, exc)
            self.stats.inc_value("warc/errors")
            return response
        self.stats.inc_value("warc/records", 2)
        self.stats.inc_value("warc/bytes", written)
        return response

    def spider_closed(self, spider, reason):
        self.files.close()
        self.stats.set_value("warc/files", len(self.files.paths))
        for path in self.files.paths:
            logger.info("WARC file written: %s (%d bytes)", path, path.stat().st_size)
