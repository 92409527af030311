"""The articles an export (or `crawler.api.read_articles`) reads: chosen by
outlet, publication time and full-text query, streamed from the database in
batches so memory stays the same for a thousand rows or a million.

PostgreSQL streams through a server-side cursor (`stream_results`); SQLite
reads its cursor step by step. On SQLite the read takes no write lock (the
engine that stores articles takes it up front, `db.session.make_engine`), so a
crawl can store while an export runs: the export sees the database as it was
when its query started (WAL)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Engine, false, func, select

from crawler.export.columns import Column, article_columns
from db.models import Article
from db.session import DEFAULT_TIMEOUT, open_database, reading_engine

# Rows fetched (and written) at a time.
BATCH_ROWS = 2000


def parse_moment(value: str, *, end: bool = False) -> datetime:
    """`--since` / `--until`: an ISO date or time; a time without an offset is
    UTC. A date alone is the start of that day, or with `end` the start of the
    next one (an `--until` date includes its whole day)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r}: expected an ISO date or time, e.g. 2024-11-18 or "
                         "2024-11-18T12:00:00+00:00") from None
    if end and len(text) == 10:  # a date alone: 2024-11-30
        moment = datetime.combine(date.fromisoformat(text) + timedelta(days=1), time())
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles: of these outlets (any if empty), published in
    [since, until) (an article without a date is left out once either is
    set), found by a full-text query (crawler.search: words, "phrases",
    -exclusions; a query with nothing to look for finds nothing)."""

    outlets: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    query: str | None = None

    @classmethod
    def from_text(cls, outlets=(), since: str | None = None, until: str | None = None,
                  query: str | None = None) -> ArticleFilter:
        """From the words of a command line: `--until 2024-11-30` includes that day,
        `--until 2024-11-30T12:00` stops before that moment."""
        return cls(
            outlets=tuple(outlets or ()),
            since=parse_moment(since) if since else None,
            until=parse_moment(until, end=True) if until else None,
            query=query or None,
        )

    def clauses(self, dialect_name: str) -> list:
        found = []
        if self.outlets:
            found.append(Article.outlet.in_(self.outlets))
        if self.since is not None:
            found.append(Article.published_at >= self.since)
        if self.until is not None:
            found.append(Article.published_at < self.until)
        if self.query:
            from crawler.search.results import match_clause

            matching = match_clause(dialect_name, self.query)
            found.append(false() if matching is None else matching)
        return found


def open_for_reading(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """An engine for long reads of the database at `url`, its schema brought
    up to date first (raises `db.session.DatabaseUnavailable` with the reason)."""
    open_database(url, timeout).dispose()
    return reading_engine(url, timeout)


def count_articles(engine: Engine, chosen: ArticleFilter) -> int:
    with engine.connect() as connection:
        statement = select(func.count()).select_from(Article).where(*chosen.clauses(connection.dialect.name))
        return connection.execute(statement).scalar_one()


def article_batches(engine: Engine, chosen: ArticleFilter, columns: list[Column] | None = None,
                    batch_rows: int = BATCH_ROWS) -> Iterator[list[tuple]]:
    """The chosen articles in order of id, `batch_rows` rows at a time, each
    row a tuple in the order of `columns` (default: every column of the export)."""
    columns = columns or article_columns()
    table = Article.__table__
    with engine.connect() as connection:
        statement = (select(*(table.c[column.name] for column in columns))
                     .where(*chosen.clauses(connection.dialect.name)).order_by(table.c.id))
        result = connection.execution_options(stream_results=True, yield_per=batch_rows).execute(statement)
        for partition in result.partitions():
            yield [tuple(row) for row in partition]
