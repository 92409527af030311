"""The storage pipeline: batched writes of articles and rejected pages.

Stats it keeps (the replay/crawl summary reads them):
  articles/<outlet>/new|updated|unchanged, articles/new|updated|unchanged
  articles/<outlet>/rejected/<reason>, articles/rejected
  articles/storage_errors   articles that could not be written (kept as
                            rejected pages with reason "storage_error")
  articles/storage_batch_retries  batches that failed and were retried item by item
  articles/storage_lost     pages that could not even be recorded as rejected
<outlet> is the slug of an outlet described in crawler/outlets, else "other".

Articles fetched over HTTP carry their fetched URL and validators (filled in by
crawler/middlewares/incremental.py); the store writes their crawl_state rows in
the same transaction as the batch, so a page counts as known only once its
article is stored. The batch is flushed when full and when the spider closes,
which a first Ctrl-C or SIGTERM also does; a hard kill loses at most the
unflushed batch, and those pages, unknown to crawl_state, are fetched again.
"""
from __future__ import annotations

import logging

from crawler.items import ArticleItem, RejectedPage
from crawler.outlets import by_slug
from db.session import database_url, prepare_database, printable_url
from db.store import ArticleStore

logger = logging.getLogger(__name__)

STORAGE_ERROR = "storage_error"


def stats_outlet(slug: str | None) -> str:
    return slug if by_slug(slug) is not None else "other"


class StoragePipeline:
    def __init__(self, url: str, batch_size: int, stats):
        self.url = url
        self.batch_size = max(1, batch_size)
        self.stats = stats
        self.engine = None
        self.store: ArticleStore | None = None
        self.pending_articles: list[ArticleItem] = []
        self.pending_rejects: list[RejectedPage] = []

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(database_url(settings), settings.getint("STORAGE_BATCH_SIZE", 100), crawler.stats)

    def open_spider(self):
        self.engine = prepare_database(self.url)
        self.store = ArticleStore(self.engine)
        logger.info("Storing articles in %s, %d per batch", printable_url(self.url), self.batch_size)

    def close_spider(self):
        self.flush()
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item):
        if isinstance(item, ArticleItem):
            self.pending_articles.append(item)
        elif isinstance(item, RejectedPage):
            self.pending_rejects.append(item)
        else:
            return item
        if len(self.pending_articles) + len(self.pending_rejects) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        articles, self.pending_articles = self.pending_articles, []
        rejects, self.pending_rejects = self.pending_rejects, []
        if articles:
            rejects.extend(self._store_articles(articles))
        if rejects:
            self._store_rejects(rejects)

    def _store_articles(self, articles: list[ArticleItem]) -> list[RejectedPage]:
        """Write a batch; on a database error retry item by item and return the
        items that still fail, as rejected pages."""
        try:
            statuses = self.store.write_articles(articles)
        except Exception:
            logger.exception("Storing a batch of %d articles failed; retrying one by one", len(articles))
            self.stats.inc_value("articles/storage_batch_retries")
        else:
            for item, status in zip(articles, statuses):
                self._count_stored(item, status)
            return []

        failed = []
        for item in articles:
            try:
                [status] = self.store.write_articles([item])
            except Exception as exc:
                logger.error("Could not store %s: %s: %s", item.url, type(exc).__name__, exc)
                self.stats.inc_value("articles/storage_errors")
                failed.append(RejectedPage(
                    url=item.url, reason=STORAGE_ERROR, detail=f"{type(exc).__name__}: {exc}",
                    input_ref=item.input_ref, outlet=item.outlet, raw=item.raw,
                ))
            else:
                self._count_stored(item, status)
        return failed

    def _store_rejects(self, pages: list[RejectedPage]) -> None:
        try:
            self.store.write_rejects(pages)
        except Exception:
            logger.exception(
                "Could not record %d rejected pages; they are lost for retries: %s",
                len(pages), ", ".join(page.url or page.input_ref for page in pages),
            )
            self.stats.inc_value("articles/storage_lost", len(pages))
            return
        for page in pages:
            self.stats.inc_value(f"articles/{stats_outlet(page.outlet)}/rejected/{page.reason}")
            self.stats.inc_value("articles/rejected")

    def _count_stored(self, item: ArticleItem, status: str) -> None:
        self.stats.inc_value(f"articles/{stats_outlet(item.outlet)}/{status}")
        self.stats.inc_value(f"articles/{status}")
