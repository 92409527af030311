"""The normalizer plugin interface and the pipeline that runs the chain.

A normalizer is a small class with one job:

    class MyNormalizer(Normalizer):
        def normalize(self, item: ArticleItem) -> ArticleItem:
            ...              # change fields in place or return a new item
            return item

It may raise `RejectItem(reason, detail)` to refuse the item; the reason is a
short slug counted in the run's summary and the page is kept for a retry.
`self.settings` (Scrapy settings) and `self.stats` are available; override
`from_crawler` only if the plugin needs more.

The `NORMALIZERS` setting enables and orders them exactly like Scrapy's own
component settings: `{import path: order}`, lower runs first, `None` disables
a built-in one. `NORMALIZERS_BASE` holds the built-ins.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.settings import BaseSettings, Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from crawler.items import ArticleItem, RejectedPage

logger = logging.getLogger(__name__)


class RejectItem(Exception):
    """Raised by a normalizer that refuses an item."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Normalizer:
    """Base class of normalizer plugins (see the module docstring)."""

    def __init__(self, settings: BaseSettings | None = None, stats: Any = None):
        self.settings = settings if settings is not None else Settings()
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings, crawler.stats)

    def normalize(self, item: ArticleItem) -> ArticleItem:
        raise NotImplementedError

    def warn(self, item: ArticleItem, code: str) -> None:
        """Record a non-fatal problem on the item and count it."""
        item.warnings.append(code)
        if self.stats is not None:
            self.stats.inc_value(f"articles/warnings/{code}")


def normalizer_paths(settings: BaseSettings) -> list[str]:
    """The import paths of the enabled normalizers, in their order."""
    return build_component_list(settings.get_component_priority_dict_with_base("NORMALIZERS"))


def build_normalizers(settings: BaseSettings, crawler=None) -> list[Normalizer]:
    """Instantiate the enabled normalizers in their configured order."""
    paths = normalizer_paths(settings)
    normalizers = []
    for path in paths:
        cls = load_object(path)
        normalizers.append(cls.from_crawler(crawler) if crawler is not None else cls(settings))
    return normalizers


def run_normalizers(normalizers: list[Normalizer], item: ArticleItem) -> ArticleItem:
    for normalizer in normalizers:
        item = normalizer.normalize(item)
    return item


class NormalizationPipeline:
    """Runs the `NORMALIZERS` chain on each article; rejected ones become
    `RejectedPage` items so the storage pipeline keeps them for a retry."""

    def __init__(self, normalizers: list[Normalizer], stats):
        self.normalizers = normalizers
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(build_normalizers(crawler.settings, crawler), crawler.stats)

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        try:
            return run_normalizers(self.normalizers, item)
        except RejectItem as exc:
            logger.warning("Rejected %s (%s): %s", item.input_ref or item.url, exc.reason, exc.detail)
            reason, detail = exc.reason, exc.detail
        except Exception as exc:  # a normalizer bug must cost one page, and leave it counted and kept
            logger.exception("Normalizer failed on %s", item.input_ref or item.url)
            reason, detail = "normalize_error", f"{type(exc).__name__}: {exc}"
        return RejectedPage(
            url=item.url, reason=reason, detail=detail,
            input_ref=item.input_ref, outlet=item.outlet, raw=item.raw,
        )
