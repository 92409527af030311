"""Batched writes of articles and rejected pages.

Each call is one transaction: the crawl state of the batch's fetched URLs and
the rows the batch may match are read in two SELECTs, then one bulk INSERT and
at most three bulk UPDATEs (changed rows, rows only seen again, links between
new rows) write it. On PostgreSQL a transaction-level advisory lock makes
concurrent writers (two replays, crawlall's spiders) take their turns, as
SQLite's write lock does, so two of them never both add one article.

Dedupe rules for an article (db/keys.py for URL keys and publishers):
- the same page: a stored row with its URL, else the row its fetched URL's
  crawl_state names (of the same publisher), else a row with its URL key
  (the URL without tracking parameters or trailing slash, of its URL or of
  the URL fetched). "unchanged" if no stored field differs (only
  last_seen_at/fetched_at move), else the row takes the new values: "updated";
- else the same text (content_hash) from the same publisher: the same
  article at another URL of its site, or an aggregator's copy (`via`). The
  row keeps its first URL and its values, only last_seen_at/fetched_at move:
  "unchanged". (Letting the copies fill or replace each other's fields would
  flip the row back and forth on every crawl that sees both.)
- else "new". When another publisher has the same text, the new row's
  `duplicate_of` names the first row of that text (its own `duplicate_of`,
  or itself); a row whose text changes is linked anew. Items repeated within
  a batch are matched against the rows the batch itself creates.

When the text of a stored row changes (title, subtitle, body or dates), the
previous text goes to `article_versions` under the row's version number, and
the row's `version` goes up by one. Items fetched over HTTP (`fetched_url`
set) also write their `crawl_state` row (validators, content hash, article id)
in the same transaction: the state never names a page whose article was lost.
A stored article is no longer removed (`removed_at`): it answered again.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from crawler.items import ArticleItem, RejectedPage
from crawler.search.index import index_articles
from db.models import (
    CAPTION_SEPARATOR, LIST_SEPARATOR, Article, ArticleVersion, CrawlRun, CrawlState, OutletRow, RejectedPageRow,
    ReplayInput,
)
from crawler.stories.assign import StoryAssigner
from db.keys import publisher, url_key
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
# Move on every sighting of the article (a page that answers again is not removed).
SIGHTING_FIELDS = ("last_seen_at", "fetched_at", "removed_at")
# The text a reader sees: a change in one of them keeps the previous text in article_versions.
VERSIONED_FIELDS = ("title", "subtitle", "body", "published_at", "modified_at")

# Serializes article writers on PostgreSQL (pg_advisory_xact_lock): "articles".
ARTICLES_LOCK_KEY = 0x61727469
# A record's link to a row the same batch adds, resolved once that row has an id.
ROOT = "_first_publication"

# Keeps the IN (...) lists well under the bound-parameter limits of both engines.
LOOKUP_CHUNK = 500
# Stories with the default settings (crawler/stories/assign.py).
DEFAULT_STORIES = StoryAssigner()


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


class Matches:
    """The stored rows a batch may match, and the rows it adds, by what finds
    them (see the module docstring); oldest first where several share a key."""

    def __init__(self, stored: list[dict], states: dict[str, int]):
        self.by_url: dict[str, dict] = {}
        self.by_key: dict[str, dict] = {}
        self.by_state: dict[str, dict] = {}
        self.by_text: dict[tuple[str | None, str], dict] = {}
        self.by_hash: dict[str, list[dict]] = {}
        by_id = {}
        for record in stored:
            self.add(record)
            by_id[record["id"]] = record
        for url, article_id in states.items():
            if article_id in by_id:
                self.by_state[url] = by_id[article_id]

    def add(self, record: dict) -> None:
        self.by_url.setdefault(record["url"], record)
        if record["url_key"]:
            self.by_key.setdefault(record["url_key"], record)
        self.add_text(record)

    def add_text(self, record: dict) -> None:
        if record["content_hash"]:
            self.by_text.setdefault((record_publisher(record), record["content_hash"]), record)
            self.by_hash.setdefault(record["content_hash"], []).append(record)

    def same_page(self, item: ArticleItem, who: str | None) -> dict | None:
        """The row of this page: by its URL, its fetched URL's crawl state, or a URL key."""
        record = self.by_url.get(item.url)
        if record is None and item.fetched_url in self.by_state:
            known = self.by_state[item.fetched_url]
            # A state written before outlets were told apart may name another outlet's row.
            record = known if record_publisher(known) == who else None
        for url in (item.url, item.fetched_url):
            if record is None:
                record = self.by_key.get(url_key(url))
        return record

    def same_text(self, item: ArticleItem, who: str | None) -> dict | None:
        return self.by_text.get((who, item.content_hash)) if item.content_hash else None

    def first_publication(self, record: dict) -> int | dict | None:
        """The first row of the record's text from another publisher (an id, or
        a record this batch adds), None if there is none or it is this row."""
        who = record_publisher(record)
        for other in self.by_hash.get(record["content_hash"] or "", ()):
            if other is record or record_publisher(other) == who:
                continue
            first = other["duplicate_of"] or other.get(ROOT) or other.get("id") or other
            return None if first is record or first == record.get("id") else first
        return None


def record_publisher(record: dict) -> str | None:
    return publisher(record["outlet"], record["url"], record["via"])


def link(record: dict, first: int | dict | None) -> None:
    """Point `duplicate_of` at `first`; a row this batch adds gets its id once inserted."""
    record.pop(ROOT, None)
    if isinstance(first, dict):
        record["duplicate_of"], record[ROOT] = None, first
    else:
        record["duplicate_of"] = first


class ArticleStore:
    def __init__(self, engine: Engine, stories: StoryAssigner | None = DEFAULT_STORIES):
        self.engine = engine
        # Gives new and changed articles their story in the same transaction (None: no stories).
        self.stories = stories

    def write_articles(self, items: list[ArticleItem]) -> list[str]:
        """Store a batch in one transaction; per item "new", "updated" or "unchanged"."""
        if not items:
            return []
        if self.stories is not None and any(item.story_features is None for item in items):
            self.stories.prepare()  # its word list, read before the transaction holds the database
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ARTICLES_LOCK_KEY})
            self._ensure_outlets(session, items)
            states = self._load_states(session, items)
            stored = self._load_matches(session, items, states)
            matches = Matches(stored, states)

            new_records: list[dict] = []
            seen_ids: set[int] = set()
            changed_ids: set[int] = set()
            versions: list[dict] = []
            states_written: dict[str, tuple[ArticleItem, dict]] = {}
            replayed: list[tuple[ArticleItem, dict]] = []  # replayed inputs and the rows they gave
            statuses = []
            written: dict[int, dict] = {}  # new or changed rows, for their stories
            features: dict[int, object] = {}  # ... and their story features, when the reader computed them
            for item in items:
                values = article_values(item)
                who = publisher(item.outlet, item.url, item.via)
                record = matches.same_page(item, who)
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
                    if record["content_hash"] != previous["content_hash"]:
                        matches.add_text(record)
                        link(record, matches.first_publication(record))
                elif (record := matches.same_text(item, who)) is not None:
                    status = UNCHANGED
                else:
                    record = {"url": item.url, "url_key": url_key(item.url), "first_seen_at": now, "version": 1,
                              "duplicate_of": None, **values}
                    matches.add(record)
                    link(record, matches.first_publication(record))
                    new_records.append(record)
                    status = NEW
                record["last_seen_at"] = now
                record["fetched_at"] = aware(item.fetched_at) or now
                record["removed_at"] = None
                if "id" in record:
                    seen_ids.add(record["id"])
                    if status == UPDATED:
                        changed_ids.add(record["id"])
                if item.fetched_url:
                    states_written[item.fetched_url] = (item, record)
                    matches.by_state[item.fetched_url] = record
                if item.raw_hash:
                    replayed.append((item, record))
                if status != UNCHANGED:
                    written[id(record)] = record
                    features[id(record)] = item.story_features
                statuses.append(status)

            self._write(session, new_records, [r for r in stored if r["id"] in seen_ids], changed_ids)
            # The search index of the rows added or changed, in the same transaction.
            index_articles(session.connection(), [*new_records, *(r for r in stored if r["id"] in changed_ids)])
            if self.stories is not None:
                self.stories.assign(session.connection(), list(written.values()), now,
                                    {record["id"]: features[key] for key, record in written.items()
                                     if features[key] is not None})
            if versions:
                session.execute(insert(ArticleVersion), versions)
            self._write_states(session, states_written, now)
            self._resolve_rejects(session, items)
            self._write_replay_inputs(session, replayed, now)
        return statuses

    def _write(self, session: Session, new: list[dict], seen: list[dict], changed_ids: set[int]) -> None:
        """One bulk INSERT for the new rows (their ids noted in the records),
        bulk UPDATEs by primary key for the others."""
        if new:
            # Matched by URL (unique): a multi-row RETURNING need not keep the order.
            columns = ("url", "url_key", "first_seen_at", "version", "duplicate_of", *CONTENT_FIELDS,
                       *CAPTURE_FIELDS, *SIGHTING_FIELDS)
            # Core's INSERT: many rows a statement. The ORM's bulk INSERT groups
            # the rows by which values are None and sends each row on its own
            # when it is to return their ids (0.2 ms a row).
            table = Article.__table__
            result = session.connection().execute(table.insert().returning(table.c.url, table.c.id),
                                                  [{k: r[k] for k in columns} for r in new])
            inserted = {url: row_id for url, row_id in result}
            for record in new:
                record["id"] = inserted[record["url"]]
        # Links to rows this batch added, now that they have ids.
        linked = []
        for records, late in ((new, True), (seen, False)):
            for record in records:
                if ROOT in record:
                    record["duplicate_of"] = record.pop(ROOT)["id"]
                    if late:
                        linked.append({"id": record["id"], "duplicate_of": record["duplicate_of"]})
        updated_fields = ("id", *CONTENT_FIELDS, *CAPTURE_FIELDS, *SIGHTING_FIELDS, "version", "duplicate_of")
        updated = [{k: r[k] for k in updated_fields} for r in seen if r["id"] in changed_ids]
        sighted = [{k: r[k] for k in ("id", *SIGHTING_FIELDS)} for r in seen if r["id"] not in changed_ids]
        for params in (updated, sighted, linked):
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
                "not_modified_runs": 0,
                "gone_runs": 0,
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

    def _write_replay_inputs(self, session: Session, replayed: list[tuple[ArticleItem, dict]], now: datetime) -> None:
        """Upsert what each replayed input gave: its bytes hash, parser version,
        the row and that row's text hash (a later change of the row by another
        input means this one is read again)."""
        rows = {
            item.input_ref: {
                "input_ref": item.input_ref, "raw_hash": item.raw_hash, "parser_version": item.parser_version,
                "article_id": record["id"], "content_hash": record["content_hash"],
                "first_seen_at": now, "last_seen_at": now,
                "file_size": item.file_size, "file_mtime_ns": item.file_mtime_ns,
            }
            for item, record in replayed
        }
        if not rows:
            return
        table = ReplayInput.__table__
        upsert = upsert_insert(session.get_bind().dialect.name)(table)
        refreshed = [c.name for c in table.columns if c.name not in ("input_ref", "first_seen_at")]
        statement = upsert.on_conflict_do_update(
            index_elements=[table.c.input_ref], set_={name: upsert.excluded[name] for name in refreshed},
        )
        session.execute(statement, list(rows.values()))

    def known_inputs(self, refs: list[str], parser_version: str) -> dict[str, tuple]:
        """The inputs among `refs` a replay may skip: read by this parser
        version, their article still holding the text they gave. By input:
        (bytes hash, article id, outlet, file size, file modification time)."""
        query = (
            select(ReplayInput.input_ref, ReplayInput.raw_hash, ReplayInput.article_id, Article.outlet,
                   ReplayInput.file_size, ReplayInput.file_mtime_ns)
            .join(Article, Article.id == ReplayInput.article_id)
            .where(ReplayInput.parser_version == parser_version, Article.content_hash == ReplayInput.content_hash)
        )
        known = {}
        with self.engine.connect() as connection:
            for ref_chunk in chunks(refs):
                for row in connection.execute(query.where(ReplayInput.input_ref.in_(ref_chunk))):
                    known[row.input_ref] = (row.raw_hash, row.article_id, row.outlet, row.file_size,
                                            row.file_mtime_ns)
        return known

    def record_sightings(self, article_ids: list[int], refs: list[str]) -> None:
        """Articles and replay inputs seen again unchanged: `last_seen_at` moves,
        in one UPDATE per table."""
        now = utcnow()
        with self.engine.begin() as connection:
            if article_ids:
                connection.execute(update(Article).where(Article.id.in_(sorted(set(article_ids))))
                                   .values(last_seen_at=now))
            if refs:
                connection.execute(update(ReplayInput).where(ReplayInput.input_ref.in_(refs))
                                   .values(last_seen_at=now))

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

    def _load_states(self, session: Session, items: list[ArticleItem]) -> dict[str, int]:
        """The article ids the crawl state of the batch's fetched URLs names."""
        fetched = sorted({item.fetched_url for item in items if item.fetched_url})
        states: dict[str, int] = {}
        for url_chunk in chunks(fetched):
            query = select(CrawlState.url, CrawlState.article_id).where(
                CrawlState.url.in_(url_chunk), CrawlState.article_id.is_not(None)
            )
            states.update((row.url, row.article_id) for row in session.execute(query))
        return states

    def _load_matches(self, session: Session, items: list[ArticleItem], states: dict[str, int]) -> list[dict]:
        """The stored rows with a URL, URL key, crawl state or content hash of the batch, oldest first."""
        found: dict[int, dict] = {}
        for item_chunk in chunks(items):
            urls = {item.url for item in item_chunk}
            keys = {url_key(url) for item in item_chunk for url in (item.url, item.fetched_url) if url}
            hashes = {item.content_hash for item in item_chunk if item.content_hash}
            ids = {states[item.fetched_url] for item in item_chunk if item.fetched_url in states}
            query = select(*Article.__table__.columns).where(or_(
                Article.url.in_(urls), Article.url_key.in_(keys), Article.content_hash.in_(hashes), Article.id.in_(ids),
            ))
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
    not_modified_runs: int = 0
    gone_runs: int = 0


@dataclass(frozen=True)
class Answer:
    """What a run learned of a known page without storing it: when (the
    request's time), and for a 304 or a 404/410 the status, the validators
    to keep and the new count of such runs in a row."""

    article_id: int
    at: datetime
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    runs: int = 0


class CrawlStateStore:
    """Reads crawl_state for the incremental middleware and records in bulk
    the pages a run found unchanged (answered 304, or skipped) or gone."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def known_pages(self, host: str) -> dict[str, KnownPage]:
        """Every page of a host that gave a stored article, by URL (one query)."""
        query = select(
            CrawlState.url, CrawlState.article_id, CrawlState.outlet, CrawlState.etag,
            CrawlState.last_modified, CrawlState.last_fetched_at, CrawlState.not_modified_runs, CrawlState.gone_runs,
        ).where(CrawlState.host == host, CrawlState.article_id.is_not(None))
        with self.engine.connect() as connection:
            return {
                row.url: KnownPage(row.article_id, row.outlet, row.etag, row.last_modified, row.last_fetched_at,
                                   row.not_modified_runs, row.gone_runs)
                for row in connection.execute(query)
            }

    def record_answers(self, not_modified: dict[str, Answer], skipped: dict[str, Answer],
                       gone: dict[str, Answer]) -> None:
        """One transaction: pages answered 304 move `last_fetched_at` and keep
        the validators sent with it; those and the skipped ones move
        `last_seen_at`, with their articles, which are not removed. Pages
        answered 404/410 move `last_fetched_at` and mark their articles
        removed (from the first such answer on)."""
        if not (not_modified or skipped or gone):
            return
        with Session(self.engine) as session, session.begin():
            answered = [
                {"url": url, "last_status": 304, "last_fetched_at": a.at, "last_seen_at": a.at, "etag": a.etag,
                 "last_modified": a.last_modified, "not_modified_runs": a.runs, "gone_runs": 0}
                for url, a in not_modified.items()
            ]
            listed = [{"url": url, "last_seen_at": a.at} for url, a in skipped.items()]
            missing = [{"url": url, "last_status": a.status, "last_fetched_at": a.at, "gone_runs": a.runs}
                       for url, a in gone.items()]
            seen: dict[int, datetime] = {}
            for answer in (*not_modified.values(), *skipped.values()):
                seen[answer.article_id] = max(answer.at, seen.get(answer.article_id, answer.at))
            removed = {a.article_id: a.at for a in gone.values() if a.runs == 1 and a.article_id not in seen}
            for params in (answered, listed, missing):
                if params:
                    session.execute(update(CrawlState), params)
            sightings = [{"id": key, "last_seen_at": moment, "removed_at": None} for key, moment in seen.items()]
            for params in (sightings, [{"id": key, "removed_at": moment} for key, moment in removed.items()]):
                if params:
                    session.execute(update(Article), params)


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
