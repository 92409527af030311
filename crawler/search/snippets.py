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


@lru_cache(maxsize=500_000)
def _token_terms(token: str) -> frozenset[str]:
    """The terms of a whitespace-separated token (a word with its punctuation)."""
    return frozenset(terms(token))


def snippet(texts: Sequence[str | None], wanted: set[str], width: int = WIDTH,
            marks: tuple[str, str] = MARKS) -> str:
    """`width` words around the most words whose terms are `wanted`, those
    words between `marks`, from the first of `texts` (body, then subtitle)
    that holds one; else the start of the first text."""
    texts = [text for text in texts if text]
    for text in texts:
        tokens = text.split()
        hits = [i for i, token in enumerate(tokens) if not wanted.isdisjoint(_token_terms(token))]
        if hits:
            return _passage(tokens, hits, width, marks)
    return _passage(texts[0].split(), [], width, marks) if texts else ""


def _passage(tokens: list[str], hits: list[int], width: int, marks: tuple[str, str]) -> str:
    start = 0
    if hits:
        # The window starting LEAD words before a hit that holds the most hits.
        start = max((max(0, h - LEAD) for h in hits), key=lambda s: (sum(s <= h < s + width for h in hits), -s))
    end = min(len(tokens), start + width)
    marked = set(hits)
    # The word of a marked token between the marks, its punctuation outside (`«[الصين]»،`).
    words = [WORD.sub(lambda m: f"{marks[0]}{m.group()}{marks[1]}", tokens[i], count=1) if i in marked else tokens[i]
             for i in range(start, end)]
    return ("…" if start > 0 else "") + " ".join(words) + ("…" if end < len(tokens) else "")
