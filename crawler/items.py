"""The article item: what extraction produces and the normalizers refine.

Extraction (text captures or HTML) fills the raw fields; normalizer plugins in
`pipelines/` clean them and compute the derived ones (`search_text`,
`content_hash`, `word_count`, parsed dates); the storage pipeline writes the row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from db.models import CAPTION_SEPARATOR
from db.types import as_utc


def utc_text(value: datetime | None) -> str | None:
    """A time as feed exports write it: ISO 8601 in UTC, as the database keeps it."""
    return None if value is None else as_utc(value).isoformat()


# Field metadata read by Scrapy's item exporters (`scrapy crawl -O`, crawler/export/feeds.py).
TIME = {"serializer": utc_text}
CAPTION_LIST = {"separator": CAPTION_SEPARATOR}


@dataclass
class ArticleItem:
    url: str
    # Where the page came from: a file path for replays, the URL for live crawls.
    input_ref: str = ""
    # Which parser produced the fields, e.g. "capture:arabkhabar", "html".
    parser: str = ""

    outlet: str | None = None  # slug of a known outlet, else a slug of its own or None
    outlet_name: str | None = None  # the outlet's name as the page gives it
    canonical_url: str | None = None
    language: str | None = None

    title: str | None = None
    subtitle: str | None = None
    body: str | None = None  # paragraphs separated by a blank line
    captions: list[str] = field(default_factory=list, metadata=CAPTION_LIST)
    image_url: str | None = None

    # Date strings exactly as found on the page; the dates normalizer parses them.
    published_raw: str | None = None
    modified_raw: str | None = None
    captured_raw: str | None = None
    published_at: datetime | None = field(default=None, metadata=TIME)
    modified_at: datetime | None = field(default=None, metadata=TIME)
    captured_at: datetime | None = field(default=None, metadata=TIME)
    fetched_at: datetime | None = field(default=None, metadata=TIME)  # when this run read the page
    # For pages fetched over HTTP: the URL fetched (after redirects) and the
    # response's status and validators, filled in by the incremental spider
    # middleware; the storage pipeline keeps them in crawl_state with the article.
    fetched_url: str | None = None
    http_status: int | None = None
    http_etag: str | None = None
    http_last_modified: str | None = None

    section: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Credit lines as found ("المصدر: ..."), resolved by the credits normalizer.
    source_lines: list[str] = field(default_factory=list)
    agency: str | None = None
    via: str | None = None  # the republisher the page was read from (e.g. arabkhabar.com)

    search_text: str | None = None
    content_hash: str | None = None
    word_count: int | None = None

    warnings: list[str] = field(default_factory=list)
    # For a replayed page: the SHA-256 of its bytes as read and the parser version
    # that read them (crawler.pagereader), kept in replay_inputs with its article.
    raw_hash: str | None = None
    parser_version: str | None = None
    # ... and for a saved file, its size and modification time as it was read.
    file_size: int | None = None
    file_mtime_ns: int | None = None
    # The page as read, kept only long enough to store it if the item is rejected.
    raw: bytes | None = field(default=None, repr=False, compare=False)
    # Its story features (crawler.stories.features.ArticleFeatures) when the
    # replay's reader computed them; not spooled: the store computes them then.
    story_features: object | None = field(default=None, repr=False, compare=False, metadata={"spool": False})


@dataclass
class RejectedPage:
    """A page that produced no storable article, kept with its reason for a retry."""

    url: str
    reason: str  # short slug counted in the stats: "no_body", "undecodable", ...
    detail: str = ""
    input_ref: str = ""
    outlet: str | None = None
    raw: bytes | None = field(default=None, repr=False)
