"""The project from Python (a notebook, a script): extract one page, read the stored articles.

    from crawler.api import extract, read_articles

    article = extract(open("page.html", "rb").read(), url="https://aawsat.com/...")
    article["title"], article["published_at"], article["authors"]

    for article in read_articles("sqlite:///data/news.db", outlet="aawsat", since="2024-11-01"):
        ...

    for hit in search("sqlite:///data/news.db", "الصين -روسيا", limit=10):
        hit["title"], hit["snippet"], hit["score"]

Both give plain dicts keyed by the columns of the `articles` table, in its
order: lists (authors, tags, captions, warnings) as lists, times as aware UTC
datetimes, a value the page does not give as None.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import date, datetime

from scrapy.settings import Settings

from crawler.export.columns import article_columns, record
from crawler.export.source import BATCH_ROWS, ArticleFilter, article_batches, open_for_reading
from crawler.items import RejectedPage
# Ranked full-text search results (dicts of id, url, outlet, published_at, title, snippet, score).
from crawler.search import search  # noqa: F401

# Markup near the start of a page: HTML rather than a text capture.
_HTML_MARKS = (b"<!doctype", b"<html", b"<head", b"<body", b"<meta", b"<article", b"<div", b"<p>", b"<p ")


class NotExtracted(Exception):
    """The page gave no article. `reason` is the slug a replay counts it under
    (`no_body`, `undecodable`, `too_large`, `not_article/<kind>`, ...)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def project_settings(overrides: Mapping | None = None) -> Settings:
    """The project's settings (crawler/settings.py) with `overrides` on top,
    wherever the working directory is (no scrapy.cfg needed)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if overrides:
        settings.setdict(dict(overrides), priority="cmdline")
    return settings


@functools.cache
def _default_reader():
    return _reader(project_settings())


def _reader(settings: Settings):
    """The replay's page reader: its normalizer chain, built as in a run."""
    from crawler.pagereader import PageReader

    return PageReader(settings)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") or any(mark in head for mark in _HTML_MARKS)


def extract(page: bytes | str, url: str | None = None, fetched_at: datetime | None = None, *,
            kind: str | None = None, encoding: str | None = None, settings: Mapping | None = None) -> dict:
    """One page to the dict of the row a replay would store for it.

    `page` is the saved page, as bytes (gzip too) or text; `url` where it
    comes from (an outlet's article URL picks the outlet and its parser
    version, a canonical URL on the page is used as for a replay); `fetched_at`
    when it was fetched (it picks the parser version too, and is the row's
    `fetched_at`). `kind` is "html" or "capture" (a text capture), by default
    told from the content; `encoding` the charset an HTTP header declared.
    `settings` override the project's (e.g. `{"NORMALIZERS": {...}}`).

    The page takes the path of `scrapy replay`: `crawler.pages.read_saved_page`,
    then the `NORMALIZERS` chain of the replay's page reader. Raises
    `NotExtracted` when it gives no article (the reason a replay would count)."""
    from crawler.inputs import UnreadableInput
    from crawler.pages import CAPTURE, HTML, NotAnArticle, read_saved_page
    from db.keys import url_key
    from db.store import article_values, aware

    data = page.encode("utf-8") if isinstance(page, str) else bytes(page)
    reader = _reader(project_settings(settings)) if settings else _default_reader()
    if kind is None:
        from crawler.inputs import maybe_gunzip

        try:
            kind = HTML if looks_like_html(maybe_gunzip(data, reader.max_bytes)) else CAPTURE
        except UnreadableInput as error:
            raise NotExtracted(error.reason, error.detail) from None
    try:
        item = read_saved_page(data, url or "", kind, encoding=encoding, fetched_at=fetched_at,
                               articles_only=True, max_bytes=reader.max_bytes)
    except NotAnArticle as error:
        raise NotExtracted(f"not_article/{error.kind}") from None
    except UnreadableInput as error:
        raise NotExtracted(error.reason, error.detail) from None
    entry = reader.normalization.process_item(item)
    if isinstance(entry, RejectedPage):
        raise NotExtracted(entry.reason, entry.detail)
    # The values the store writes (db.store), as the export columns hold them.
    values = {**article_values(entry), "url": entry.url or None, "url_key": url_key(entry.url),
              "fetched_at": aware(entry.fetched_at)}
    return {column.name: column.value(values[column.name]) for column in article_columns() if column.name in values}


def read_articles(database_url: str, *, outlet: str | list[str] | None = None,
                  since: date | datetime | str | None = None, until: date | datetime | str | None = None,
                  query: str | None = None, batch_rows: int = BATCH_ROWS) -> Iterator[dict]:
    """The stored articles, in order of id, streamed from the database
    (SQLite or PostgreSQL URL) a batch at a time: every column of `articles`.

    As `scrapy export`: `outlet` a slug or a list of them; `since` and `until`
    the publication time (a date includes its whole day, a time without offset
    is UTC; an article without a date is left out once either is given);
    `query` a full-text search (words, "phrases", -exclusions)."""
    outlets = [outlet] if isinstance(outlet, str) else list(outlet or ())
    as_text = lambda value: value.isoformat() if isinstance(value, (date, datetime)) else value  # noqa: E731
    chosen = ArticleFilter.from_text(outlets, as_text(since), as_text(until), query)
    columns = article_columns()
    engine = open_for_reading(database_url)
    try:
        for rows in article_batches(engine, chosen, columns, batch_rows):
            for row in rows:
                yield record(columns, row)
    finally:
        engine.dispose()
