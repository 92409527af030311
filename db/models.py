"""The database schema (SQLAlchemy 2 typed ORM), the same on SQLite and PostgreSQL.

List-valued fields (authors, tags, outlet domains, warnings) are stored as text
joined with "; " so plain SQL can search them with LIKE on both engines;
captions are joined with newlines because they are sentences. See the README (Database).
Schema changes go through a new Alembic revision in db/migrations/versions. The views
(`articles_with_outlet`, `daily_articles`, `article_authors`, `article_tags`: migration 0005)
are SQL only, with no model: a migration that drops or retypes an `articles` column they name
drops and recreates them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger, Boolean, Float, ForeignKey, Index, Integer, MetaData, SmallInteger, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import GzippedBytes, UTCDateTime

LIST_SEPARATOR = "; "
CAPTION_SEPARATOR = "\n"

# Explicit constraint names, so migrations can address them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The search index (migration 0007, crawler/search/index.py) differs by engine
# and is not mapped: SQLite's FTS5 table `article_search` (and its shadow
# tables `article_search_*`) and tokenizer table `search_query_words`;
# PostgreSQL's `articles.search_tsv` and its GIN index.
SEARCH_INDEX_TABLES = ("article_search", "search_query_words")
SEARCH_INDEX_COLUMNS = ("search_tsv",)
SEARCH_INDEX_INDEXES = ("ix_articles_search_tsv",)


def is_mapped(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's `include_name` hook: False for the search index objects, so
    schema comparisons with these models leave them out."""
    if type_ == "table":
        return not (name in SEARCH_INDEX_TABLES or (name or "").startswith("article_search_"))
    if type_ == "column":
        return name not in SEARCH_INDEX_COLUMNS
    if type_ == "index":
        return name not in SEARCH_INDEX_INDEXES
    return True


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OutletRow(Base):
    """An outlet: the ones described in crawler/outlets (`registered`), plus any
    other outlet slug an article names, added when the article is stored."""

    __tablename__ = "outlets"

    slug: Mapped[str] = mapped_column(Text, primary_key=True)
    name_ar: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    domains: Mapped[str | None] = mapped_column(Text)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    # The URL as two addresses of one page share it (db/keys.py url_key): an
    # article met again at another of its URLs updates this row.
    url_key: Mapped[str | None] = mapped_column(Text, index=True)
    # Where the page was read from: a file path for replays, the URL for live crawls.
    input_ref: Mapped[str | None] = mapped_column(Text)
    parser: Mapped[str | None] = mapped_column(Text)

    outlet: Mapped[str | None] = mapped_column(Text, ForeignKey("outlets.slug"), index=True)
    outlet_name: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)

    title: Mapped[str | None] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    captions: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)

    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The publication date as the page wrote it, kept to audit the parsed value.
    published_raw: Mapped[str | None] = mapped_column(Text)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    section: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str | None] = mapped_column(Text)

    word_count: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(Text, index=True)
    # The same text published by another outlet first: that row (the first of
    # the group), NULL for the first. One outlet's copies of a text are one row.
    duplicate_of: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    search_text: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[str | None] = mapped_column(Text)

    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a crawl found the page gone (404, 410); NULL again if it comes back.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 1 for the text first stored; each change of the text moves the previous
    # one to article_versions under this number and adds one.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The story (event) it reports, shared with the other outlets' articles on it (crawler/stories).
    story_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )


class StoryRow(Base):
    """An event reported by one or more articles (`articles.story_id`); the
    views `story_summary` and `story_articles` give its outlets and times."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The title of its first article, as the representative one.
    title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoryBand(Base):
    """One MinHash LSH bucket of an article's shingles: articles sharing a
    bucket in some band are near-duplicate candidates."""

    __tablename__ = "story_bands"

    article_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger)

    # A bucket's latest articles: the end of its range (migration 0011).
    __table_args__ = (Index("ix_story_bands_bucket_article_id", "bucket", "article_id"),)


class StoryTerm(Base):
    """A salient folded term of an article, weighted in its lead and in its
    whole text: what the same-event comparison reads."""

    __tablename__ = "story_terms"

    article_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    lead_weight: Mapped[float] = mapped_column(Float)
    text_weight: Mapped[float] = mapped_column(Float)
    # The article's publication: a dated article's candidates are a range of
    # the (term, published_at) index, within the event window.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # A term's latest articles, in a window of dates, among the undated, or
    # at any time: the end of a range of one of these (migration 0011).
    __table_args__ = (
        Index("ix_story_terms_term_published_at_article_id", "term", "published_at", "article_id"),
        Index("ix_story_terms_term_article_id", "term", "article_id"),
    )


class ArticleVersion(Base):
    """A text an article had before it changed: the row as it was, under the
    version number it had in `articles`."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When this text was fetched, and when a newer one replaced it.
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlState(Base):
    """What the last crawls learned about an article URL: the HTTP validators
    for a conditional re-fetch, and which article it gave. Written in the same
    transaction as the article, so it never claims a page whose article is
    not stored."""

    __tablename__ = "crawl_state"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    # Crawls load the state of a host at once (see crawler/middlewares/incremental.py).
    host: Mapped[str] = mapped_column(Text, index=True)
    outlet: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    # The Last-Modified header exactly as the server sent it, sent back in If-Modified-Since.
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Last run that listed or fetched it.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Last answer of the server: a 200 with the stored text, a 304, or a 404/410.
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Runs in a row that answered 304 since the last full fetch: with a weak
    # ETag the page is fetched in full again every INCREMENTAL_WEAK_REFETCH_RUNS.
    not_modified_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Runs in a row that answered 404 or 410: asked no more after INCREMENTAL_GONE_RUNS.
    gone_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    article_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )


class CrawlRun(Base):
    """One crawl: written when it starts, completed when it closes (a run
    killed hard keeps `finished_at` NULL)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    spider: Mapped[str] = mapped_column(Text, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finish_reason: Mapped[str | None] = mapped_column(Text)
    jobdir: Mapped[str | None] = mapped_column(Text)
    requests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    responses_304: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    new: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    removed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    response_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # JSON objects: {reason: count}, and every Scrapy stat of the run.
    errors: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[str | None] = mapped_column(Text)


class RejectedPageRow(Base):
    """A page that gave no storable article, kept for a retry; removed once an
    article from the same URL or input is stored."""

    __tablename__ = "rejected_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    input_ref: Mapped[str | None] = mapped_column(Text, index=True)
    outlet: Mapped[str | None] = mapped_column(Text, index=True)
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    raw_gzip: Mapped[bytes | None] = mapped_column(GzippedBytes)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReplayInput(Base):
    """A saved file or WARC record (`input_ref`) whose article a replay stored:
    the SHA-256 of its bytes as read and the parser version that read them
    (crawler.pagereader). A replay that finds the same bytes, the same version
    and the article still holding the text this input gave skips the page."""

    __tablename__ = "replay_inputs"

    input_ref: Mapped[str] = mapped_column(Text, primary_key=True)
    raw_hash: Mapped[str] = mapped_column(Text)
    parser_version: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A saved file's size and modification time when it was read (NULL for a
    # WARC record, or a file modified in the seconds before): the same two
    # later tell it unchanged without reading it (crawler.pagereader.unchanged_file).
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_mtime_ns: Mapped[int | None] = mapped_column(BigInteger)


class AlertRow(Base):
    """An alarm: a check that a run of an outlet's spider (or its canary, with
    no run) failed, with what was measured and what was expected
    (crawler/alarms)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True
    )
    outlet: Mapped[str] = mapped_column(Text, index=True)
    # What failed: articles, coverage/<field>, rejected, http_errors, entry_point, canary.
    kind: Mapped[str] = mapped_column(Text)
    measured: Mapped[float | None] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "Base", "OutletRow", "Article", "StoryRow", "StoryBand", "StoryTerm", "ArticleVersion", "CrawlState", "CrawlRun",
    "RejectedPageRow", "ReplayInput", "AlertRow",
    "LIST_SEPARATOR", "CAPTION_SEPARATOR",
]
