"""Batched writes of articles and rejected pages.

Each call is one transaction: one SELECT finds the rows the batch may match,
then one bulk INSERT and at most two bulk UPDATEs (changed rows, rows only
seen again) write it.

Dedupe rules for an article:
- same URL as a stored row: "unchanged" if no stored field differs (only
  last_seen_at/fetched_at move), else the row takes the new values: "updated";
- else same content_hash as a stored row: the same article at another URL. The
  row keeps its first URL and its values, only last_seen_at/fetched_at move:
  "unchanged". (Letting the copies fill or replace each other's fields would
  flip the row back and forth on every crawl that sees both.)
- else "new". Items repeated within a batch are matched against the rows the
  batch itself creates.

When the text of a stored row changes (title, subtitle, body or dates), the
previous text goes to `article_versions` under the row's version number, and
the row's `version` goes up by one. Items fetched over HTTP (`fetched_url`
set) also write their `crawl_state` row (validators, content hash, article id)
in the same transaction: the state never names a page whose article was lost.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from crawler.items import ArticleItem, RejectedPage
from db.models import (
    CAPTION_SEPARATOR, LIST_SEPARATOR, Article, ArticleVersion, CrawlRun, CrawlState, OutletRow, RejectedPageRow,
)
from db.session import outlet_row, upsert_insert
from db.types import as_utc

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"

# Fields taken from the item; a change in any of them makes an "updated" row.
CONTENT_FIELDS = (
    "parser", "outlet", "outlet_name", "canonical_url", "language", "title", "subtitle", "body",
    "captions", "image_url", "published_at", "published_raw", "modified_at", "section", "authors",
    "tags", "agency", "via", "word_count", "content_hash", "search_text", "warnings",
)
# Describe the capture rather than the article: refreshed with a changed
# article, not a reason to call one changed.
CAPTURE_FIELDS = ("input_ref", "captured_at")
# Move on every sighting of the article.
SIGHTING_FIELDS = ("last_seen_at", "fetched_at")
# The text a reader sees: a change in one of them keeps the previous text in article_versions.
VERSIONED_FIELDS = ("title", "subtitle", "body", "published_at", "modified_at")

# Keeps the IN (...) lists well under the bound-parameter limits of both engines.
LOOKUP_CHUNK = 500


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def join_list(values: list[str], separator: str = LIST_SEPARATOR) -> str | None:
    kept = [v.strip() for v in values if v and v.strip()]
    return separator.join(kept) if kept else None


def split_list(text: str | None, separator: str = LIST_SEPARATOR) -> list[str]:
    """The list a joined column holds (authors, tags, domains, warnings, captions)."""
    return [part for part in (text or "").split(separator) if part]


def aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def article_values(item: ArticleItem) -> dict:
    return {
        "parser": item.parser or None,
        "outlet": item.outlet or None,
        "outlet_name": item.outlet_name,
        "canonical_url": item.canonical_url,
        "language": item.language,
        "title": item.title,
        "subtitle": item.subtitle,
        "body": item.body,
        "captions": join_list(item.captions, CAPTION_SEPARATOR),
        "image_url": item.image_url,
        "published_at": aware(item.published_at),
        "published_raw": item.published_raw,
        "modified_at": aware(item.modified_at),
        "section": item.section,
        "authors": join_list(item.authors),
        "tags": join_list(item.tags),
        "agency": item.agency,
        "via": item.via,
        "word_count": item.word_count,
        "content_hash": item.content_hash,
        "search_text": item.search_text,
        "warnings": join_list(item.warnings),
        "input_ref": item.input_ref or None,
        "captured_at": aware(item.captured_at),
    }


def replace_content(record: dict, values: dict) -> str:
    if all(record[name] == values[name] for name in CONTENT_FIELDS):
        return UNCHANGED
    record.update(values)
    return UPDATED


def chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


class ArticleStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def write_articles(self, items: list[ArticleItem]) -> list[str]:
        """Store a batch in one transaction; per item "new", "updated" or "unchanged"."""
        if not items:
            return []
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            self._ensure_outlets(session, items)
            stored = self._load_matches(session, items)
            by_url = {record["url"]: record for record in stored}
            by_hash: dict[str, dict] = {}
            for record in stored:  # oldest first: the first URL an article was seen at wins
                if record["content_hash"]:
                    by_hash.setdefault(record["content_hash"], record)

            new_records: list[dict] = []
            seen_ids: set[int] = set()
            changed_ids: set[int] = set()
            versions: list[dict] = []
            states: dict[str, tuple[ArticleItem, dict]] = {}
            statuses = []
            for item in items:
                values = article_values(item)
                record = by_url.get(item.url)
                if record is not None:
                    previous = {name: record[name] for name in (*VERSIONED_FIELDS, "content_hash", "fetched_at")}
                    status = replace_content(record, values)
                    if status == UPDATED and "id" in record and any(
                        previous[name] != record[name] for name in VERSIONED_FIELDS
                    ):
                        versions.append({
                            **previous, "article_id": record["id"], "version": record["version"], "stored_at": now,
                        })
                        record["version"] += 1
                elif item.content_hash and item.content_hash in by_hash:
                    record = by_hash[item.content_hash]
                    status = UNCHANGED
                else:
                    record = {"url": item.url, "first_seen_at": now, **values}
                    new_records.append(record)
                    by_url[item.url] = record
                    if item.content_hash:
                        by_hash.setdefault(item.content_hash, record)
                    status = NEW
                record["last_seen_at"] = now
                record["fetched_at"] = aware(item.fetched_at) or now
                if "id" in record:
                    seen_ids.add(record["id"])
                    if status == UPDATED:
                        changed_ids.add(record["id"])
                if item.fetched_url:
                    states[item.fetched_url] = (item, record)
                statuses.append(status)

            self._write(session, new_records, [r for r in stored if r["id"] in seen_ids], changed_ids)
            if versions:
                session.execute(insert(ArticleVersion), versions)
            self._write_states(session, states, now)
            self._resolve_rejects(session, items)
        return statuses

    def _write(self, session: Session, new: list[dict], seen: list[dict], changed_ids: set[int]) -> None:
        """One bulk INSERT for the new rows (their ids noted in the records),
        bulk UPDATEs by primary key for the others."""
        if new:
            # Matched by URL (unique): a multi-row RETURNING need not keep the order.
            result = session.execute(insert(Article).returning(Article.url, Article.id), new)
            inserted = {url: row_id for url, row_id in result}
            for record in new:
                record["id"] = inserted[record["url"]]
        updated_fields = ("id", *CONTENT_FIELDS, *CAPTURE_FIELDS, *SIGHTING_FIELDS, "version")
        updated = [{k: r[k] for k in updated_fields} for r in seen if r["id"] in changed_ids]
        sighted = [{k: r[k] for k in ("id", *SIGHTING_FIELDS)} for r in seen if r["id"] not in changed_ids]
        for params in (updated, sighted):
            if params:
                session.execute(update(Article), params)

    def _write_states(self, session: Session, states: dict[str, tuple[ArticleItem, dict]], now: datetime) -> None:
        """Upsert the crawl_state rows of the fetched pages of a batch."""
        if not states:
            return
        rows = [
            {
                "url": url,
                "host": urlsplit(url).hostname or "",
                "outlet": item.outlet,
                "etag": item.http_etag,
                "last_modified": item.http_last_modified,
                "content_hash": item.content_hash,
                "last_status": item.http_status,
                "first_seen_at": now,
                "last_seen_at": now,
                "last_fetched_at": aware(item.fetched_at) or now,
                "article_id": record["id"],
            }
            for url, (item, record) in states.items()
        ]
        table = CrawlState.__table__
        upsert = upsert_insert(session.get_bind().dialect.name)(table)
        refreshed = [c.name for c in table.columns if c.name not in ("url", "first_seen_at")]
        statement = upsert.on_conflict_do_update(
            index_elements=[table.c.url], set_={name: upsert.excluded[name] for name in refreshed},
        )
        session.execute(statement, rows)

    def write_rejects(self, pages: list[RejectedPage]) -> None:
        """Record rejected pages in one transaction; a page seen again counts one more attempt."""
        if not pages:
            return
        now = utcnow()
        rows: dict[str, dict] = {}
        attempts: Counter[str] = Counter()
        for page in pages:
            key = page.url or page.input_ref
            if not key:
                raise ValueError(f"rejected page without URL or input reference: {page!r}")
            attempts[key] += 1
            previous_raw = rows[key]["raw_gzip"] if key in rows else None
            rows[key] = {
                "url": key,
                "input_ref": page.input_ref or None,
                "outlet": page.outlet,
                "reason": page.reason,
                "detail": page.detail or None,
                "raw_gzip": page.raw if page.raw is not None else previous_raw,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        values = [{**row, "attempts": attempts[key]} for key, row in rows.items()]
        table = RejectedPageRow.__table__
        with self.engine.begin() as connection:
            upsert = upsert_insert(connection.dialect.name)(table)
            excluded = upsert.excluded
            statement = upsert.on_conflict_do_update(
                index_elements=[table.c.url],
                set_={
                    "input_ref": excluded.input_ref,
                    "outlet": excluded.outlet,
                    "reason": excluded.reason,
                    "detail": excluded.detail,
                    # A retry that could not keep the page keeps the earlier copy.
                    "raw_gzip": func.coalesce(excluded.raw_gzip, table.c.raw_gzip),
                    "attempts": table.c.attempts + excluded.attempts,
                    "last_seen_at": excluded.last_seen_at,
                },
            )
            connection.execute(statement, values)

    def _ensure_outlets(self, session: Session, items: list[ArticleItem]) -> None:
        """Add a row for each outlet slug the batch names that is not in the table yet."""
        names: dict[str, str | None] = {}
        for item in items:
            if item.outlet:
                names.setdefault(item.outlet, item.outlet_name)
        if not names:
            return
        dialect_insert = upsert_insert(session.get_bind().dialect.name)
        rows = [outlet_row(slug, name) for slug, name in sorted(names.items())]
        session.execute(
            dialect_insert(OutletRow).values(rows).on_conflict_do_nothing(index_elements=[OutletRow.slug])
        )

    def _load_matches(self, session: Session, items: list[ArticleItem]) -> list[dict]:
        """The stored rows with a URL or content hash of the batch, oldest first."""
        found: dict[int, dict] = {}
        for item_chunk in chunks(items):
            urls = {item.url for item in item_chunk}
            hashes = {item.content_hash for item in item_chunk if item.content_hash}
            query = select(*Article.__table__.columns).where(
                or_(Article.url.in_(urls), Article.content_hash.in_(hashes))
            )
            found.update((row.id, dict(row._mapping)) for row in session.execute(query))
        return [found[key] for key in sorted(found)]

    def _resolve_rejects(self, session: Session, items: list[ArticleItem]) -> None:
        """Forget the rejections of pages that now gave an article."""
        for item_chunk in chunks(items):
            urls = {item.url for item in item_chunk}
            refs = {item.input_ref for item in item_chunk if item.input_ref}
            session.execute(
                delete(RejectedPageRow).where(
                    or_(RejectedPageRow.url.in_(urls), RejectedPageRow.input_ref.in_(refs))
                )
            )


@dataclass(frozen=True)
class KnownPage:
    """A fetched page whose article is stored: what a re-crawl needs to ask
    for it conditionally, or to skip it."""

    article_id: int
    outlet: str | None
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None


class CrawlStateStore:
    """Reads crawl_state for the incremental middleware and records the pages a
    run found unchanged (answered 304, or skipped) in bulk."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def known_pages(self, host: str) -> dict[str, KnownPage]:
        """Every page of a host that gave a stored article, by URL (one query)."""
        query = select(
            CrawlState.url, CrawlState.article_id, CrawlState.outlet, CrawlState.etag,
            CrawlState.last_modified, CrawlState.last_fetched_at,
        ).where(CrawlState.host == host, CrawlState.article_id.is_not(None))
        with self.engine.connect() as connection:
            return {
                row.url: KnownPage(row.article_id, row.outlet, row.etag, row.last_modified, row.last_fetched_at)
                for row in connection.execute(query)
            }

    def record_unchanged(self, not_modified: dict[str, tuple[int, datetime]],
                         skipped: dict[str, tuple[int, datetime]]) -> None:
        """One transaction: pages answered 304 (URL -> (article id, time)) move
        `last_fetched_at`; those and the skipped ones move `last_seen_at`, with
        their articles."""
        if not not_modified and not skipped:
            return
        with Session(self.engine) as session, session.begin():
            answered = [
                {"url": url, "last_status": 304, "last_fetched_at": moment, "last_seen_at": moment}
                for url, (_, moment) in not_modified.items()
            ]
            listed = [{"url": url, "last_seen_at": moment} for url, (_, moment) in skipped.items()]
            seen: dict[int, datetime] = {}
            for article_id, moment in (*not_modified.values(), *skipped.values()):
                seen[article_id] = max(moment, seen.get(article_id, moment))
            for params in (answered, listed):
                if params:
                    session.execute(update(CrawlState), params)
            session.execute(update(Article), [{"id": key, "last_seen_at": moment} for key, moment in seen.items()])


class CrawlRunLog:
    """The crawl_runs rows: one inserted when a run starts, completed when it ends."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def start(self, spider: str, started_at: datetime, jobdir: str | None = None) -> int:
        with self.engine.begin() as connection:
            return connection.execute(
                insert(CrawlRun).values(spider=spider, started_at=started_at, jobdir=jobdir).returning(CrawlRun.id)
            ).scalar_one()

    def finish(self, run_id: int, *, finished_at: datetime, finish_reason: str | None,
               counters: dict[str, int], errors: dict[str, int], stats: dict) -> None:
        values = {
            **counters,
            "finished_at": finished_at,
            "finish_reason": finish_reason,
            "errors": json.dumps(errors, sort_keys=True, ensure_ascii=False),
            "stats": json.dumps(stats, sort_keys=True, ensure_ascii=False, default=str),
        }
        with self.engine.begin() as connection:
            connection.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))
