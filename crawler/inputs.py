"""Turning saved files into text: decompression, encoding detection, sanity checks.

Each check fails with `UnreadableInput(reason, detail)`; the reason is the
slug counted in the run's summary.
"""
from __future__ import annotations

import gzip
import re
import zlib

from crawler.extraction.decoding import mostly_utf8

ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13})


class UnreadableInput(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def maybe_gunzip(data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableInput("corrupt_gzip", str(exc)) from None


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
