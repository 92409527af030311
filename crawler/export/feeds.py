"""Scrapy's feed exports of articles (`scrapy crawl SPIDER -O out.jsonl`, `.csv`, `.json`).

The settings do most of it (crawler/settings.py): `FEED_EXPORT_FIELDS` names the
columns of the `articles` table an item carries, in the table's order, so the
raw page bytes (`ArticleItem.raw`, which no JSON exporter can write) and the
crawl's working fields stay out; `FEED_EXPORT_ENCODING = "utf-8"` keeps Arabic
readable. Times are ISO 8601 in UTC through the items' field metadata
(crawler/items.py). The two components below:

- `ArticleFeedExporter`: Scrapy's FeedExporter, whose feeds take only the
  articles (`ArticleItem`), not the rejected pages that go through the same
  pipelines to be recorded, unless a feed names its own `item_classes` or
  `item_filter` (FEEDS options).
- `ArticleCsvItemExporter`: CSV with lists joined as the database joins them
  (`"; "`, captions by newlines) instead of Scrapy's commas.
"""
from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter
from scrapy.extensions.feedexport import FeedExporter, ItemFilter

from crawler.items import ArticleItem
from db.models import LIST_SEPARATOR
from db.store import join_list


class ArticleFeedExporter(FeedExporter):
    # Where FeedExporter builds each feed's filter: the one place for a default,
    # as `-o`/`-O` write FEEDS entries with no options of their own.
    def _load_filter(self, feed_options: dict[str, Any]) -> ItemFilter:
        if not feed_options.get("item_classes") and not feed_options.get("item_filter"):
            feed_options = {**feed_options, "item_classes": [ArticleItem]}
        return super()._load_filter(feed_options)


class ArticleCsvItemExporter(CsvItemExporter):
    def serialize_field(self, field, name: str, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = join_list(list(value), field.get("separator", LIST_SEPARATOR)) or ""
        return super().serialize_field(field, name, value)
