"""Dedupe key: a hash of the article's body text, so the same story read again
(at its URL or another of its outlet's) maps to one row. The storage layer
(db/store.py) updates the existing row for a known URL, and within one outlet
for a known hash; another outlet's copy of the text is a row of its own,
linked by `duplicate_of`."""
from __future__ import annotations

import hashlib

from crawler.items import ArticleItem
from pipelines.base import Normalizer


def content_hash(body: str | None) -> str:
    # The body is already display-normalized (tatweel, invisible marks, spaces),
    # so folding whitespace is enough to make re-captures of one text agree.
    canonical = " ".join((body or "").split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class DedupeNormalizer(Normalizer):
    """Sets `content_hash` from the body (the title alone may be edited
    without the story changing)."""

    def normalize(self, item: ArticleItem) -> ArticleItem:
        item.content_hash = content_hash(item.body)
        return item
