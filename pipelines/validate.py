"""Validation: the last word on whether an item is an article worth storing."""
from __future__ import annotations

import re
from itertools import islice

from crawler.items import ArticleItem
from pipelines.base import Normalizer, RejectItem

WORD = re.compile(r"\w+")


class ValidationNormalizer(Normalizer):
    """Rejects an item without a body (`no_body`), or, from the generic capture
    parser, text that is not prose (`unknown_layout`). A missing title is
    stored as NULL and counted as the warning `no_title`.

    Settings: VALIDATION_MIN_BODY_WORDS (default 20)."""

    def normalize(self, item: ArticleItem) -> ArticleItem:
        min_words = self.settings.getint("VALIDATION_MIN_BODY_WORDS", 20)
        body = item.body or ""
        # Counted up to the minimum only: all that is compared.
        words = sum(1 for _ in islice(WORD.finditer(body), min_words))
        if words < min_words or not looks_like_prose(body):
            generic = item.parser.endswith("generic")
            reason = "unknown_layout" if generic and body.strip() else "no_body"
            detail = (f"{words} words of body text (minimum {min_words})" if words < min_words
                      else "no line of prose in the body text")
            raise RejectItem(reason, detail)
        if not (item.title or "").strip():
            item.title = None
            self.warn(item, "no_title")
        return item


ALPHABETIC_WORD = re.compile(r"[^\W\d_]{2,}")


def looks_like_prose(text: str) -> bool:
    """At least one line of several real words: not markup, data or numbers
    only. Tables and lists beside the prose are fine."""
    return any(len(ALPHABETIC_WORD.findall(line)) >= 6 for line in text.splitlines())
