"""From page bytes to text: the charset a page declares, checked against its bytes."""
from __future__ import annotations

import re

from w3lib.encoding import html_to_unicode

_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def decode_html(body: bytes, encoding: str | None = None) -> str:
    """Decode page bytes: a byte-order mark, then the given encoding, then the
    page's own `<meta charset>`; undeclared, UTF-8 if the bytes are valid
    UTF-8, else Windows-1256 for Arabic text and Windows-1252 otherwise (the
    legacy encodings of undeclared pages)."""
    header = f"text/html; charset={encoding}" if encoding else None
    _, text = html_to_unicode(header, body, auto_detect_fun=_sniff_encoding)
    return text


def _sniff_encoding(body: bytes) -> str:
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = body.decode("cp1256", errors="replace")
    letters = sum(ch.isalpha() for ch in sample)
    if letters and len(_ARABIC_LETTER.findall(sample)) >= 0.3 * letters:
        return "cp1256"
    return "cp1252"
