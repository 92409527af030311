"""Dedupe key: the hash of an article's content in search form, so the same
text with other spelling variants, tatweel or spacing gets the same key. The
storage layer updates the existing row for a known URL or a known hash."""
from __future__ import annotations

import hashlib

from crawler.items import ArticleItem
from pipelines.arabic import fold_for_search
from pipelines.base import Normalizer


def content_hash(body: str | None) -> str:
    folded = fold_for_search(body or "")
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


class DedupeNormalizer(Normalizer):
    """Sets `content_hash` from the body (the title alone may be edited
    without the story changing)."""

    def normalize(self, item: ArticleItem) -> ArticleItem:
        item.content_hash = content_hash(item.body)
        return item
