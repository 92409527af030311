"""From page bytes to text: the charset a page declares, checked against its bytes.

The declaration (a byte-order mark, else the HTTP header's charset, else the
page's `<meta charset>` / http-equiv) is trusted unless the bytes contradict
it, and the checks are cheap so that a correct page pays for no guessing:

- declared UTF-8, the bytes are not: invalid sequences outnumber valid
  multi-byte characters (a few stray bytes in a UTF-8 page are damage, not a
  wrong label);
- declared anything else, the bytes are valid UTF-8 with non-ASCII characters:
  legacy text almost never is, so it is UTF-8;
- declared another code page, the bytes use one it leaves undefined (Windows-
  1256 text labelled ISO-8859-6);
- declared a Latin code page, the bytes hold words made only of high bytes:
  no Latin language writes so, Arabic in Windows-1256 does.

Only a contradicted or missing declaration on bytes that are not UTF-8 is
guessed, by charset-normalizer, and a contradicted one is reported as the
`charset_mismatch` warning.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from itertools import islice

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding, to_unicode

CHARSET_MISMATCH = "charset_mismatch"

# The Western defaults that servers and editors put on pages of any language.
_LATIN_CODE_PAGES = {"cp1252", "iso8859-15"}
# Words of three high bytes or more: five of them make Latin text unlikely.
_HIGH_BYTE_WORD = re.compile(rb"[\xc0-\xff]{3,}")
_HIGH_BYTE_WORDS = 5
# Guesses often tie (a page whose only high bytes are `’` and `é` reads the
# same in a dozen code pages): then the charsets the web uses most win.
_COMMON = ("utf_8", "cp1252", "cp1256")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_MARKUP = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Decoded:
    text: str
    # The Python codec name the bytes were decoded with.
    encoding: str
    # `charset_mismatch` when the bytes contradicted the declared charset.
    warning: str | None = None
    # The bytes, when they are the text's UTF-8 exactly (valid UTF-8, no
    # BOM): the parser reads them without encoding the text again.
    utf8: bytes | None = field(default=None, compare=False, repr=False)


def decode_page(body: bytes, encoding: str | None = None) -> Decoded:
    """Decode page bytes. `encoding` is the HTTP header's charset, if any; it
    wins over the page's own declaration. Undeclared pages are UTF-8 if their
    bytes are, else guessed."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return Decoded(to_unicode(body[len(bom):], bom_encoding), bom_encoding)
    declared = _declared_encoding(body, encoding)
    if declared and declared.startswith(("utf-16", "utf-32")):
        # Not ASCII-compatible, so the checks below do not apply.
        return Decoded(to_unicode(body, declared), declared)

    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        exact = body if isinstance(body, bytes) else None
        if declared in (None, "utf-8") or body.isascii():
            return Decoded(utf8, declared or "utf-8", utf8=exact)
        return Decoded(utf8, "utf-8", CHARSET_MISMATCH, utf8=exact)
    if declared == "utf-8":
        text = body.decode("utf-8", errors="replace")
        if mostly_utf8(text):
            return Decoded(text, "utf-8")
    elif declared:
        text = _strict(body, declared)
        if text is not None and not (declared in _LATIN_CODE_PAGES and _has_high_byte_words(body)):
            return Decoded(text, declared)

    guessed = _guess(body)
    warning = CHARSET_MISMATCH if declared and guessed != declared else None
    return Decoded(to_unicode(body, guessed), guessed, warning)


def _declared_encoding(body: bytes, header: str | None) -> str | None:
    declared = resolve_encoding(header) if header else None
    if declared:
        return declared
    declared = html_body_declared_encoding(body)
    # A meta tag that could be read is not in UTF-16/32 (the HTML standard's rule).
    return "utf-8" if declared and declared.startswith(("utf-16", "utf-32")) else declared


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        return None


def mostly_utf8(text: str) -> bool:
    """For bytes decoded as UTF-8 with errors replaced: fewer replacement
    characters than valid non-ASCII characters, i.e. stray bytes (a pasted
    Windows-1252 quote, a cut last character) in UTF-8 text."""
    invalid = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return invalid < non_ascii - invalid


def _has_high_byte_words(body: bytes) -> bool:
    words = _HIGH_BYTE_WORD.finditer(body)
    return len(list(islice(words, _HIGH_BYTE_WORDS))) == _HIGH_BYTE_WORDS


def _guess(body: bytes) -> str:
    """charset-normalizer's guess from the bytes alone (the declaration is what
    is in doubt). When it recognises no language (a page with a few words), the
    Windows-1256 reading is taken if it is Arabic, else Windows-1252."""
    matches = from_bytes(body, preemptive_behaviour=False)
    best = matches.best()
    if best is None or not best.coherence:
        sample = _MARKUP.sub(" ", body.decode("cp1256", errors="replace"))
        letters = sum(ch.isalpha() for ch in sample)
        return "cp1256" if letters and len(_ARABIC_LETTER.findall(sample)) >= 0.3 * letters else "cp1252"
    # charset-normalizer's own tie: chaos within 0.01 (it then ranks by how
    # much the text looks like a language, which a few high bytes do not show).
    tied = {name for match in matches if match.chaos < best.chaos + 0.01 for name in match.could_be_from_charset}
    return codecs.lookup(next((name for name in _COMMON if name in tied), best.encoding)).name
