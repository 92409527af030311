"""Turning saved files into text: decompression, encoding detection, sanity checks.

Each check fails with `UnreadableInput(reason, detail)`; the reason is the
slug counted in the run's summary.

Sizes are bounded before the costly steps: gzip is inflated only up to
DOWNLOAD_MAXSIZE, and a page with more than `MAX_ELEMENTS` HTML elements or
`MAX_TEXT_CHARS` characters of text is no single article (memory and time of
the parse, trafilatura and the line-by-line normalizers grow with both). Such a
page is `too_large` and keeps only its first `RAW_PREFIX_BYTES` for the record.
"""
from __future__ import annotations

import re
import zlib

from crawler.extraction.decoding import mostly_utf8

ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13})
GZIP_MAGIC = b"\x1f\x8b"
# zlib window bits that read a gzip header and trailer (16 + a 32 KB window).
GZIP_WBITS = 31
# Ten times the largest of ~1,000 real news pages (9,751 elements, 1.4 MB of text).
MAX_ELEMENTS = 100_000
MAX_TEXT_CHARS = 2_000_000
# What a rejected page over a size limit keeps of itself.
RAW_PREFIX_BYTES = 64 * 1024
TOO_LARGE = "too_large"


class UnreadableInput(Exception):
    """`raw`, if set, is what the rejected page keeps instead of the input (a prefix of a page too large)."""

    def __init__(self, reason: str, detail: str = "", raw: bytes | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.raw = raw


def too_large(detail: str, page: bytes) -> UnreadableInput:
    return UnreadableInput(TOO_LARGE, detail, raw=bytes(page[:RAW_PREFIX_BYTES]))


def maybe_gunzip(data: bytes, max_size: int = 0) -> bytes:
    """`data` with gzip undone (several members too), inflated up to `max_size`
    bytes (0: no limit) and no further: a small file can inflate to gigabytes.
    zlib checks each member's CRC and length, as gzip.GzipFile does; called
    directly, it takes a third less time (GzipFile sizes a read buffer to
    `max_size`)."""
    if data[:2] != GZIP_MAGIC:
        return data
    parts, inflated, rest = [], 0, data
    try:
        while rest:
            member = zlib.decompressobj(GZIP_WBITS)
            part = member.decompress(rest, max_size + 1 - inflated) if max_size else member.decompress(rest)
            parts.append(part)
            inflated += len(part)
            if max_size and inflated > max_size:
                raise too_large(f"{len(data)} bytes of gzip inflate to more than DOWNLOAD_MAXSIZE ({max_size})",
                                b"".join(parts))
            if not member.eof:
                raise EOFError("the gzip stream ends before its end-of-stream marker")
            rest = member.unused_data.lstrip(b"\x00")  # gzip allows zero padding between members
    except (EOFError, zlib.error) as exc:
        raise UnreadableInput("corrupt_gzip", str(exc)) from None
    return b"".join(parts)


def inflated_prefix(data: bytes, size: int = RAW_PREFIX_BYTES) -> bytes:
    """The first `size` bytes gzip, zlib or raw deflate data inflates to (as far
    as a cut or damaged stream goes); other data as it is."""
    for wbits in (47, -15):  # 47: a gzip or zlib header, told apart by zlib
        try:
            return zlib.decompressobj(wbits).decompress(data, size)
        except zlib.error:
            continue
    return data[:size]


def check_page_size(elements: int, text_chars: int, page: bytes) -> None:
    if elements > MAX_ELEMENTS:
        raise too_large(f"{elements} HTML elements, over {MAX_ELEMENTS}", page)
    check_text_size(text_chars, page)


def check_text_size(text_chars: int, page: bytes) -> None:
    if text_chars > MAX_TEXT_CHARS:
        raise too_large(f"{text_chars} characters of text, over {MAX_TEXT_CHARS}", page)


def check_content(data: bytes) -> None:
    if not data.strip():
        raise UnreadableInput("empty", "the file holds no text")
    sample = data[:65536]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableInput("binary", "NUL bytes: not a text or HTML page")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > len(sample) * 0.02:
        raise UnreadableInput("binary", f"{controls} control bytes in the first {len(sample)}")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text capture: UTF-8 (with or without BOM, a few stray bytes
    replaced), UTF-16 with BOM, or Windows-1256 when the bytes are not UTF-8
    and read as Arabic that way. Returns (text, encoding).

    UTF-8 that was once read as Windows-1256 or Windows-1252 and saved again
    is mojibake in valid UTF-8: `repair_mojibake` undoes it, not the decoder."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Read as Windows-1256, damaged UTF-8 would pass for Arabic mojibake.
    text = data.decode("utf-8-sig", errors="replace")
    if mostly_utf8(text):
        return text, "utf-8"
    text = data.decode("cp1256", errors="replace")
    letters = sum(ch.isalpha() for ch in text)
    if letters and len(ARABIC_LETTER.findall(text)) >= letters * 0.5 and text.count("\ufffd") < 5:
        return text, "windows-1256"
    raise UnreadableInput("undecodable", "neither UTF-8 nor Arabic Windows-1256 text")
