"""Highlighted snippets: the passage of an article's display text with the
most words whose terms the query asks for, those words marked."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from crawler.search.terms import terms

# A word with the diacritics and tatweel written on it (they are no word characters for `\w`).
WORD = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")
WIDTH = 30  # words in a snippet
LEAD = 6  # words kept before the first marked one
MARKS = ("[", "]")


@lru_cache(maxsize=200_000)
def _word_terms(word: str) -> frozenset[str]:
    return frozenset(terms(word))


def snippet(texts: Sequence[str | None], wanted: set[str], width: int = WIDTH,
            marks: tuple[str, str] = MARKS) -> str:
    """`width` words around the most words whose terms are `wanted`, those
    words between `marks`, from the first of `texts` (body, then subtitle)
    that holds one; else the start of the first text."""
    texts = [text for text in texts if text]
    for text in texts:
        words = list(WORD.finditer(text))
        hits = [i for i, match in enumerate(words) if _word_terms(match.group()) & wanted]
        if hits:
            return _passage(text, words, hits, width, marks)
    if not texts:
        return ""
    return _passage(texts[0], list(WORD.finditer(texts[0])), [], width, marks)


def _passage(text: str, words: list[re.Match], hits: list[int], width: int, marks: tuple[str, str]) -> str:
    if not words:
        return " ".join(text.split())[:200]
    start = 0
    if hits:
        # The window starting LEAD words before a hit that holds the most hits.
        start = max((max(0, h - LEAD) for h in hits), key=lambda s: (sum(s <= h < s + width for h in hits), -s))
    end = min(len(words), start + width)
    marked = set(hits)
    parts, position = [], words[start].start()
    for i in range(start, end):
        match = words[i]
        parts.append(text[position:match.start()])
        parts.append(f"{marks[0]}{match.group()}{marks[1]}" if i in marked else match.group())
        position = match.end()
    passage = " ".join("".join(parts).split())
    return ("…" if start > 0 else "") + passage + ("…" if end < len(words) else "")
