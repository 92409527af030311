"""Reading WARC files back for `scrapy replay`.

A WARC file is scanned once, record by record, without keeping it in memory:
each response record becomes a `WarcResponseRecord` (where it is, what it
answered). The replay then reads each record it keeps, known by its
`file:///…/x.warc.gz#offset=N` reference, as the HTTP response it holds
(status, headers, body as archived, under its target URI), and undoes its
Content-Encoding with the crawl's own middleware (crawler.pagereader).

The writing side is `crawler.middlewares.warc`.
"""
from __future__ import annotations

import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from scrapy.http import Headers, HtmlResponse, Request, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

from crawler.inputs import GZIP_MAGIC, RAW_PREFIX_BYTES, UnreadableInput, inflated_prefix
from crawler.pages import normalized_url

# What ends every record (WARC 1.1, section 4): two CRLFs after the block.
_SEPARATOR = b"\r\n\r\n"
_CHUNK = 16384


@dataclass(frozen=True)
class WarcResponseRecord:
    offset: int  # where the record starts in the file (a gzip member of its own in .warc.gz)
    target_uri: str  # normalized (crawler.pages.normalized_url)
    warc_date: str
    status: int | None  # None: not an HTTP response (a dns: or ftp: record)
    headers: Headers
    payload_length: int  # the HTTP body as archived (before any Content-Encoding is undone)

    @property
    def fetched_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.warc_date)
        except ValueError:
            return None

    def is_html(self) -> bool:
        """Whether Scrapy makes an HtmlResponse of it once any Content-Encoding
        is undone, as it did of the live answer."""
        content_type = self.headers.get(b"Content-Type")
        if content_type:
            return responsetypes.from_content_type(content_type) is HtmlResponse
        return responsetypes.from_args(url=self.target_uri) is HtmlResponse


def record_ref(path: Path, offset: int) -> str:
    """Where a record is: the file's URI with the record offset as fragment."""
    return f"{path.as_uri()}#offset={offset}"


def scan_warc(path: Path) -> Iterator[WarcResponseRecord]:
    """Yield every response record of a WARC file, in file order, once it is
    known to be whole. Raises `UnreadableInput("corrupt_warc", ...)` where the
    file stops being readable, after yielding the whole records before that
    point (a file cut anywhere gives exactly the records before the cut),
    `UnreadableInput("empty")` for an empty file."""
    size = path.stat().st_size
    if size == 0:
        raise UnreadableInput("empty", f"{path.name}: an empty WARC file")
    with open(path, "rb") as stream, open(path, "rb") as members:
        gzipped = members.read(2) == GZIP_MAGIC
        records = ArchiveIterator(stream)
        end = 0  # where the last whole record ends
        try:
            for record in records:
                # warcio takes text that is not a WARC record for an old ARC record.
                if record.format != "warc":
                    raise UnreadableInput("corrupt_warc", f"{path.name}: no WARC record at offset {records.offset}")
                http = record.http_headers
                entry = dict(
                    target_uri=normalized_url(record.rec_headers.get_header("WARC-Target-URI") or ""),
                    warc_date=record.rec_headers.get_header("WARC-Date") or "",
                    status=_status(http.get_statuscode()) if http else None,
                    headers=scrapy_headers(http.headers) if http else Headers(),
                    payload_length=record.length - http.total_len if http else record.length,
                )
                # Reads the rest of the record, which tells where it started.
                offset = records.get_record_offset()
                _check_complete(record, path, offset)
                _check_end(records, members if gzipped else None, path, offset)
                end = records.offset
                if record.rec_type == "response":
                    yield WarcResponseRecord(offset=offset, **entry)
        except UnreadableInput:
            raise
        # Damaged input makes the parser fail in many ways (a truncated header
        # gives a None where a string was expected): every one is a corrupt file.
        except Exception as exc:
            raise UnreadableInput(
                "corrupt_warc", f"{path.name}: unreadable from offset {records.offset}: {_describe(exc)}"
            ) from None
        # warcio stops without a word at a record whose header is cut.
        if end != size:
            raise UnreadableInput("corrupt_warc", f"{path.name}: cut short in the record at offset {end}")


def _check_end(records: ArchiveIterator, members, path: Path, offset: int) -> None:
    """What warcio lets pass at the end of a record just read: a wrong
    Content-Length (it counts it and reads on), a separator cut short in a
    plain file, a gzip member cut short (in its text or its trailer) in a
    .warc.gz, whose record then reads as if it were whole."""
    if records.err_count:
        raise UnreadableInput("corrupt_warc", f"{path.name}: record at offset {offset} has a wrong length")
    if members is None:
        whole = records.offset - offset - records.get_record_length() >= len(_SEPARATOR)
    else:
        whole = _whole_gzip_member(members, offset, records.offset)
    if not whole:
        raise UnreadableInput("corrupt_warc", f"{path.name}: record at offset {offset} is cut short")


def _whole_gzip_member(members, start: int, end: int) -> bool:
    """Whether the bytes from `start` to `end` are one whole gzip member that
    ends with the end of a record."""
    members.seek(start)
    inflater, tail, left = zlib.decompressobj(wbits=31), b"", end - start
    try:
        while left > 0 and not inflater.eof:
            chunk = members.read(min(_CHUNK, left))
            if not chunk:
                return False
            left -= len(chunk)
            # Only the end of the text is looked at: a record may inflate to a lot.
            tail = (tail + inflater.decompress(chunk)[-len(_SEPARATOR):])[-len(_SEPARATOR):]
    except zlib.error:
        return False
    return inflater.eof and left == 0 and not inflater.unused_data and tail == _SEPARATOR


@contextmanager
def _response_body(path: Path, offset: int):
    """(record, body stream) of the response record at `offset`, framing undone."""
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            if record.rec_type != "response" or not record.http_headers:
                raise UnreadableInput("corrupt_warc", f"no HTTP response record at offset {offset} of {path.name}")
            body_stream = record.raw_stream
            if (record.http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
                body_stream = ChunkedDataReader(body_stream)
            yield record, body_stream
    except UnreadableInput:
        raise
    except Exception as exc:  # as in scan_warc: any failure on damaged input
        raise UnreadableInput("corrupt_warc", f"record at offset {offset} of {path.name}: {_describe(exc)}") from None


def read_response_record(path: Path, offset: int, request: Request) -> Response:
    """The HTTP response a response record holds, as Scrapy's downloader would
    have handed it over: framing undone, Content-Encoding left for
    HttpCompressionMiddleware, under the record's target URI."""
    with _response_body(path, offset) as (record, body_stream):
        body = body_stream.read()
        _check_complete(record, path, offset)
        http = record.http_headers
        uri = normalized_url(record.rec_headers.get_header("WARC-Target-URI") or "")
        status = int(http.get_statuscode())
    headers = scrapy_headers(h for h in http.headers if h[0].lower() != "transfer-encoding")
    response_class = responsetypes.from_args(headers=headers, url=uri, body=body)
    return response_class(
        url=uri, status=status, headers=headers, body=body,
        request=request, protocol=http.protocol or None, flags=["warc"],
    )


def record_prefix(path: Path, offset: int) -> bytes:
    """What a page record too large to read keeps: the first RAW_PREFIX_BYTES
    of its body, inflated if it is gzip or deflate encoded."""
    with _response_body(path, offset) as (record, body_stream):
        head = body_stream.read(RAW_PREFIX_BYTES)
        encoding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
    return inflated_prefix(head) if encoding in ("gzip", "x-gzip", "deflate") else head


def _check_complete(record, path: Path, offset: int) -> None:
    """A record cut short (a crash while writing, a truncated copy) decompresses
    without complaint: its block is shorter than its Content-Length says."""
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise UnreadableInput(
            "corrupt_warc", f"{path.name}: record at offset {offset} is cut short ({missing} bytes missing)"
        )


def scrapy_headers(pairs) -> Headers:
    headers = Headers()
    for name, value in pairs:
        headers.appendlist(name, value)
    return headers


def _status(code: str) -> int | None:
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
