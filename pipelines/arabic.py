"""Arabic text normalization: a display form that keeps the spelling, and a
folded search form.

- `repair_mojibake`: UTF-8 Arabic that was decoded as Windows-1256 (`ط§ظ„...`)
  or as Windows-1252/Latin-1 (`Ø§Ù„...`) is decoded again, run by run or line
  by line, so clean text beside it is never touched.
- `normalize_text` / `normalize_paragraphs`: the display form stored in the
  article fields.
- `fold_letters` / `fold_for_search`: spelling variants folded together, for
  search and comparison only, never for display.
"""
from __future__ import annotations

import re
import unicodedata

from ftfy import fix_encoding
from ftfy.chardata import CHARMAP_ENCODINGS

from crawler.items import ArticleItem
from pipelines.base import Normalizer

ARABIC_LETTER = "\u0620-\u063f\u0641-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"
_ARABIC_LETTER_RE = re.compile(f"[{ARABIC_LETTER}]")
_DIACRITICS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"

# --- mojibake -------------------------------------------------------------
# Two kinds, each repaired only where the text shows it: UTF-8 Arabic read as
# Windows-1256 (`ط§ظ„`, our own decoder), and UTF-8 read as a Latin code page
# (`Ø§Ù„` in Windows-1252 or Latin-1, and ftfy's other code pages; ftfy).


def _images(encoding: str, first: int, last: int) -> str:
    return bytes(range(first, last + 1)).decode(encoding)


def _cp1256_images(first: int, last: int) -> str:
    return re.escape(_images("cp1256", first, last))


# How each UTF-8 byte class looks once decoded as cp1256 (Python's cp1256
# decodes all 256 byte values, so the round trip is lossless).
_CONT = f"[{_cp1256_images(0x80, 0xBF)}]"
_LEAD2 = f"[{_cp1256_images(0xC2, 0xDF)}]"
_LEAD3 = f"[{_cp1256_images(0xE0, 0xEF)}]"
_LEAD4 = f"[{_cp1256_images(0xF0, 0xF4)}]"
# One encoded character; a bare `ط` is `ح` (D8 AD) whose invisible soft hyphen
# (AD) was dropped when the text was copied.
_MOJIBAKE_CHAR = f"(?:{_LEAD2}{_CONT}|{_LEAD3}{_CONT}{{2}}|{_LEAD4}{_CONT}{{3}}|ط(?!{_CONT}))"
# A run: encoded characters with only ASCII (identical in both encodings)
# between them. It never starts inside a clean word (`فقط` before a run, `ضغط،`):
# most Arabic letters are lead-byte images, so a clean letter would join it.
_MOJIBAKE_RUN = re.compile(f"(?<![{ARABIC_LETTER}]){_MOJIBAKE_CHAR}(?:[ -~]*+{_MOJIBAKE_CHAR})*")
# Two Arabic letters in a row (each D8/D9 + a continuation byte, the second
# one's possibly lost), the least a run must decode to.
_MOJIBAKE_HINT = re.compile(f"[طظ]{_CONT}[طظ]")
_LOST_SOFT_HYPHEN = re.compile(rb"\xd8(?![\x80-\xbf])")
# A clean Arabic letter right after a run means the run is part of a clean word.
_CLEAN_LETTER_RE = re.compile(f"[{ARABIC_LETTER}](?<![طظعغ])")
# Punctuation, symbols, spaces and format marks: what a non-Arabic run may decode to.
_NOT_TEXT = {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Cf"}


def _decode_run(match: re.Match) -> str | None:
    """The run re-decoded, if it is Arabic (two letters at least: clean text can
    hold a lone pair like `ط،`) or only punctuation, symbols and spaces."""
    run, text = match.group(), match.string
    if _CLEAN_LETTER_RE.match(text, match.end()):
        return None
    try:
        fixed = _LOST_SOFT_HYPHEN.sub(b"\xd8\xad", run.encode("cp1256")).decode("utf-8")
    except UnicodeError:
        return None
    if len(_ARABIC_LETTER_RE.findall(fixed)) >= 2:
        return fixed
    if all(c.isascii() or unicodedata.category(c) in _NOT_TEXT for c in fixed):
        return fixed
    return None


def _repair_cp1256(text: str) -> str:
    """Re-decode runs of cp1256-decoded UTF-8 Arabic; everything else is kept.

    Runs that decode to punctuation only (`â€”` for a dash, `آ` + NBSP) are
    repaired only in a text where an Arabic run was found.
    """
    if not _MOJIBAKE_HINT.search(text):
        return text
    fixes = [(m.start(), m.end(), fixed) for m in _MOJIBAKE_RUN.finditer(text)
             if (fixed := _decode_run(m)) is not None]
    if not any(_ARABIC_LETTER_RE.search(fixed) for _, _, fixed in fixes):
        return text
    parts, position = [], 0
    for start, end, fixed in fixes:
        parts += [text[position:start], fixed]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _letter_pairs(leads: str, conts: str) -> str:
    """Two Arabic letters in a row (lead byte D8/D9 + a continuation byte each) as a code page shows them."""
    return f"(?:[{re.escape(leads)}][{re.escape(conts)}]){{2}}"


_LATIN_LEADS = "".join({_images(e, 0xD8, 0xD9) for e in CHARMAP_ENCODINGS})
# The lookahead lets the regex skip clean text fast instead of trying every alternative.
_LATIN_MOJIBAKE_HINT = re.compile(f"(?=[{re.escape(_LATIN_LEADS)}])(?:" + "|".join(
    _letter_pairs(_images(e, 0xD8, 0xD9), _images(e, 0x80, 0xBF)) for e in CHARMAP_ENCODINGS) + ")")
# Any character read in a single-byte code page is two at least (`â€”` for `—`),
# none ASCII or Arabic: lines without such a pair are skipped, ftfy is slow.
_TWO_LATIN = re.compile("[^\x00-\x7f\u0600-\u06ff]{2}")
# Windows-1252 and Latin-1 differ only in 80-9F (C1 controls in Latin-1).
_CP1252_CONT = _images("latin-1", 0x80, 0xBF) + _images("sloppy-windows-1252", 0x80, 0x9F)
_CP1252_HINT = re.compile(_letter_pairs("ØÙ", _CP1252_CONT))
# Bytes lost on the way, put back before ftfy reads the line: `Ø` alone is `ح`
# (D8 AD) whose invisible soft hyphen was dropped by a copy.
_BARE_HAH = re.compile(f"Ø(?![{re.escape(_CP1252_CONT)}])")
# Arabic-Indic digits (D9 A0-A9) in which the no-break space of `٠` became a space.
_DIGITS_LOST_NBSP = re.compile("(?:Ù[ \xa0¡-©])*Ù[\xa0¡-©](?:Ù[ \xa0¡-©])*")



def _restore_lost_bytes(line: str) -> str:
    # A strict decoder turned 81 (undefined in Windows-1252) into U+FFFD: D9 81
    # is `ف`; the other bytes undefined after D9 are diacritics, rare in news
    # (the seeds hold 742 `ف` and 8 dammas).
    line = _BARE_HAH.sub("Ø\xad", line).replace("Ù\ufffd", "Ù\x81")
    return _DIGITS_LOST_NBSP.sub(lambda m: m.group().replace("Ù ", "Ù\xa0"), line)


def _repair_latin(text: str) -> str:
    """ftfy's encoding fixes, line by line, in a text that shows Arabic read in
    a Latin code page (clean Arabic never does: it holds no `Ø`, `Ù`, `Ш`...)."""
    if not any(lead in text for lead in _LATIN_LEADS) or not _LATIN_MOJIBAKE_HINT.search(text):
        return text
    # Not `splitlines`: it also splits at C1 controls, and `م` read as Latin-1 is `Ù\x85`.
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _CP1252_HINT.search(line):
            lines[index] = fix_encoding(_restore_lost_bytes(line))
        elif _TWO_LATIN.search(line):
            lines[index] = fix_encoding(line)
    return "\n".join(lines)


def repair_mojibake(text: str) -> str:
    """UTF-8 text that was decoded in a single-byte code page, decoded again
    where the text shows it; clean text is returned as it is. Latin code pages
    first: a text read wrong twice (Windows-1256, then Windows-1252) comes out
    of ftfy as Windows-1256 mojibake."""
    if not text:
        return text
    return _repair_cp1256(_repair_latin(text))


# --- display form ---------------------------------------------------------

_INVISIBLES = (
    "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"  # soft hyphen, zero-width chars, BOM
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLES}]+")
# Tatweel between letters only stretches the word; elsewhere it detaches a
# prefix from a number or a quote (`الـ18`, `بـ«القيصر»`) and one is kept.
_KASHIDA = re.compile(f"(?<=[{ARABIC_LETTER}])\u0640+(?=[{ARABIC_LETTER}])")
_TATWEEL_RUN = re.compile("\u0640{2,}")
# Compatibility forms folded for display: Arabic presentation forms (ﻻ, ﺍ) and
# fullwidth characters. Full NFKC would also rewrite `…`, `²`, `½`.
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufefe\uff00-\uffef]+")
# What any of the substitutions below would change: without it they change nothing.
_DISPLAY_FIXES = re.compile(f"[\ufb50-\ufdff\ufe70-\ufefe\uff00-\uffef{_INVISIBLES}\u0640]")

# Persian/Urdu keyboards type `ی` and `ک` for the Arabic letters. A line is
# Arabic when its Arabic-only letters outnumber its Persian/Urdu-only ones, or,
# when the caller knows the document is Arabic, when it holds none of the
# letters that mark Persian/Urdu text.
_ARABIC_ONLY = re.compile("[يكىة]")
_PERSIAN_ONLY = re.compile("[یکپچژگۀےہٹڈڑں]")
_STRONG_PERSIAN = re.compile("[پچژگۀےہٹڈڑں]")
# `ی` joined to a following letter shows its dots (ي); a final one has none (ى).
_JOINED_FARSI_YEH = re.compile(f"ی(?=[{_DIACRITICS}]*[{ARABIC_LETTER}])")
_FARSI_TO_ARABIC = str.maketrans({"ی": "ى", "ک": "ك"})


def _arabize_line(line: str, arabic_context: bool) -> str:
    if "ی" not in line and "ک" not in line:
        return line
    arabic = len(_ARABIC_ONLY.findall(line)) > len(_PERSIAN_ONLY.findall(line))
    if arabic or (arabic_context and not _STRONG_PERSIAN.search(line)):
        line = _JOINED_FARSI_YEH.sub("ي", line).translate(_FARSI_TO_ARABIC)
    return line


def normalize_text(text: str | None, *, arabic_context: bool = False) -> str:
    """Display form: mojibake repaired, NFC with presentation forms unfolded,
    no kashida or invisible marks, Persian yeh/kaf in Arabic lines made Arabic,
    spaces collapsed, lines stripped.

    `arabic_context=True` says the text belongs to an Arabic document, so a short
    line without Arabic-only letters (a tag like `روسیا والصین`) is treated as Arabic.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", repair_mojibake(text))
    # One scan of a clean text (most are) instead of the four substitutions.
    if _DISPLAY_FIXES.search(text):
        text = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
        text = _TATWEEL_RUN.sub("\u0640", _KASHIDA.sub("", _INVISIBLE_RE.sub("", text)))
    lines = (_arabize_line(" ".join(line.split()), arabic_context) for line in text.splitlines())
    return "\n".join(lines).strip()


def normalize_paragraphs(text: str | None) -> str:
    """Each non-empty line is a paragraph; paragraphs are separated by one blank line."""
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


# --- search form ----------------------------------------------------------


def _fold_table() -> list[str | None]:
    # A list indexed by code point (up to the Arabic block) translates much
    # faster than a dict; characters past its end are left as they are.
    table: list[str | None] = [chr(code) for code in range(0x0700)]
    for start, end in re.findall(r"(.)(?:-(.))?", _DIACRITICS + "\u0640"):
        for code in range(ord(start), ord(end or start) + 1):
            table[code] = None
    # Hamza seats vary by spelling school (مسئول/مسؤول, شئون/شؤون): fold both to `ء`.
    folds = dict.fromkeys("أإآٱٲٳ", "ا") | dict.fromkeys("ؤئ", "ء")
    folds |= {"ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ۀ": "ه"}
    for letter, folded in folds.items():
        table[ord(letter)] = folded
    for digit in range(10):
        table[0x0660 + digit] = table[0x06F0 + digit] = str(digit)
    return table


FOLD_TABLE = _fold_table()
_NON_WORD = re.compile(r"[\W_]+")


def fold_letters(text: str) -> str:
    """Fold diacritics, alef/yeh/teh marbuta/hamza variants and Eastern digits;
    punctuation and spacing are left as they are."""
    return text.translate(FOLD_TABLE)


def fold_for_search(text: str | None) -> str:
    """Search form (never for display): NFKC, folded letters, lowercase,
    punctuation and detaching tatweel (`الـ18`) turned into spaces, single spaces."""
    if not text:
        return ""
    return fold_normalized(unicodedata.normalize("NFKC", normalize_text(text)))


def fold_normalized(text: str) -> str:
    """`fold_for_search` of a text that had its display normalization already
    (a stored text): the folding steps only."""
    return _NON_WORD.sub(" ", fold_letters(text.replace("\u0640", " ")).lower()).strip()


# --- normalizers ----------------------------------------------------------

# A word: letters/digits with the diacritics written on them.
_WORD = re.compile(f"[\\w{_DIACRITICS}]+")


def _is_arabic_item(item: ArticleItem) -> bool:
    if item.language:
        return item.language.lower().startswith("ar")
    text = f"{item.title or ''}\n{item.body or ''}"
    return len(_ARABIC_ONLY.findall(text)) > len(_PERSIAN_ONLY.findall(text))


def _inline(value: str | None, arabic_context: bool) -> str | None:
    return " ".join(normalize_text(value, arabic_context=arabic_context).split()) or None


class ArabicTextNormalizer(Normalizer):
    """Puts the text fields in display form; empty values become None."""

    INLINE_FIELDS = ("title", "subtitle", "section", "outlet_name")
    LIST_FIELDS = ("authors", "tags", "captions", "source_lines")

    def normalize(self, item: ArticleItem) -> ArticleItem:
        # Body lines are long enough to judge on their own, so a quoted Persian
        # line keeps its letters.
        item.body = normalize_paragraphs(normalize_text(item.body)) or None
        context = _is_arabic_item(item)
        for name in self.INLINE_FIELDS:
            setattr(item, name, _inline(getattr(item, name), context))
        for name in self.LIST_FIELDS:
            values = (_inline(value, context) for value in getattr(item, name))
            setattr(item, name, [value for value in values if value])
        return item


class SearchFormNormalizer(Normalizer):
    """Computes `search_text` (folded title, subtitle, body) and `word_count`."""

    def normalize(self, item: ArticleItem) -> ArticleItem:
        parts = [part for part in (item.title, item.subtitle, item.body) if part]
        item.search_text = fold_for_search("\n".join(parts)) or None
        item.word_count = len(_WORD.findall(item.body)) if item.body else 0
        return item
