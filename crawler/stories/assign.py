"""Story assignment, in the transaction that stores the articles.

For each new article, or stored one whose text changed, the candidates are
the stored articles that share a MinHash LSH bucket of its shingles
(`story_bands`) or one of its lead's key terms (`story_terms`), and the
articles of the same batch before it. It joins the story of the best match:

1. a near-duplicate (the same text, edited: shingle Jaccard at least
   `duplicate_jaccard`), published within `duplicate_window_days`;
2. else the report most similar by salient terms (features.Profile), at
   least `threshold` when both are dated and published within `window_days`
   of each other, at least `undated_threshold` when one has no date (its
   time cannot rule the other out, so its text has to).

No match: a story of its own. An undated article takes its story's time (its
dated articles' first and last), so it links no events months apart; and it
joins the best story at hand when it comes, while the reports of its own
event may come later: a dated article it matches better than any article of
its story takes it into its own. Both tables are written with the articles,
so any process, and the next run, finds them: nothing is held in memory.

A stored article whose text changed is compared again: it stays in its story
if that is still its best match (or it is alone there), else it moves to the
matching story, or to a new one when it no longer matches any. Stories left
without articles are deleted; a story's title is its first article's (by
publication, then storage). Articles marked removed (404/410) keep their
story: they were published. A deleted article leaves its story (its terms
and bands go with it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, true, update

from crawler.stories.features import ArticleFeatures, Profile, article_features, jaccard, shingles, warm_up
from db.models import Article, StoryBand, StoryRow, StoryTerm

# Key terms per article that find its candidates, and the weight they need.
KEY_TERMS = 8
KEY_TERM_WEIGHT = 1.0
# Articles of one story compared with a new one, at most (the latest).
STORY_SAMPLE = 8
# Articles found by one key term or bucket, at most (the latest stored).
KEY_SAMPLE = 64
# Keeps the IN (...) lists under the bound-parameter limits of both engines.
CHUNK = 500


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass
class Member:
    """An article as the comparison sees it."""

    id: int
    published_at: datetime | None
    story_id: int | None
    profile: Profile
    buckets: list[int] = field(default_factory=list)
    # Title, subtitle, body and search text: loaded for near-duplicate candidates only.
    texts: dict | None = None
    # An undated article's time is its story's: the first and last dated
    # publication in it, so an undated report links no events months apart.
    span: tuple[datetime, datetime] | None = None
    _shingles: set[bytes] | None = None

    @property
    def bucket_set(self) -> frozenset[int]:
        return frozenset(self.buckets)

    def when(self) -> tuple[datetime, datetime] | None:
        return (self.published_at, self.published_at) if self.published_at is not None else self.span

    def shingles(self) -> set[bytes]:
        if self._shingles is None:
            self._shingles = shingles(self.texts or {})
        return self._shingles


class StoryAssigner:
    def __init__(self, *, window_days: float = 3.0, threshold: float = 0.3, undated_threshold: float = 0.4,
                 duplicate_jaccard: float = 0.5, duplicate_window_days: float = 30.0):
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.undated_threshold = undated_threshold
        self.duplicate_jaccard = duplicate_jaccard
        self.duplicate_window = timedelta(days=duplicate_window_days)
        self._prepared = False

    @classmethod
    def from_settings(cls, settings) -> StoryAssigner | None:
        if not settings.getbool("STORIES_ENABLED", True):
            return None
        return cls(
            window_days=settings.getfloat("STORIES_WINDOW_DAYS", 3.0),
            threshold=settings.getfloat("STORIES_THRESHOLD", 0.3),
            undated_threshold=settings.getfloat("STORIES_UNDATED_THRESHOLD", 0.4),
            duplicate_jaccard=settings.getfloat("STORIES_DUPLICATE_JACCARD", 0.5),
            duplicate_window_days=settings.getfloat("STORIES_DUPLICATE_WINDOW_DAYS", 30.0),
        )

    def prepare(self) -> None:
        """Read what computing features needs once per process (see
        features.warm_up): before a transaction holds the database."""
        if not self._prepared:
            warm_up()
            self._prepared = True

    # --- the comparison --------------------------------------------------------

    def score(self, article: Member, other: Member, timeless: bool = False) -> float | None:
        """How well `other` matches `article`: above 1 for a near-duplicate,
        the term similarity for a report of the same event, None for no match.
        `timeless`: the article's time is unknown (not its story's)."""
        first, second = (None if timeless else article.when()), other.when()
        gap = (max(first[0] - second[1], second[0] - first[1], timedelta(0))
               if first is not None and second is not None else None)
        if gap is not None and gap > self.window and gap > self.duplicate_window:
            return None
        if (gap is None or gap <= self.duplicate_window) and not article.bucket_set.isdisjoint(other.buckets):
            overlap = jaccard(article.shingles(), other.shingles())
            if overlap >= self.duplicate_jaccard:
                return 1.0 + overlap
        if gap is not None and gap > self.window:
            return None
        similarity = article.profile.similarity(other.profile)
        return similarity if similarity >= (self.threshold if gap is not None else self.undated_threshold) else None

    # --- assignment ------------------------------------------------------------

    def assign(self, connection: Connection, records: list[dict], now: datetime,
               features: dict[int, ArticleFeatures] | None = None) -> None:
        """Give each record (an `articles` row as a dict, with its id) a story,
        and store its terms and bands for the articles that come later.
        `features`: by id, the records' features computed already (by the
        replay's reader, from the same values)."""
        if not records:
            return
        features = features or {}
        batch = []
        for record in records:
            known = features.get(record["id"]) or article_features(record)
            batch.append(Member(record["id"], record["published_at"], record.get("story_id"), known.profile,
                                list(known.buckets), texts=record))
        ids = [member.id for member in batch]
        for id_chunk in chunks(ids):
            connection.execute(delete(StoryTerm).where(StoryTerm.article_id.in_(id_chunk)))
            connection.execute(delete(StoryBand).where(StoryBand.article_id.in_(id_chunk)))
        stored = self._candidates(connection, batch)

        # A candidate has one of the article's key terms among its terms, or
        # one of its buckets; earlier articles of the batch are candidates too.
        by_term: dict[str, list[Member]] = {}
        by_bucket: dict[int, list[Member]] = {}

        def index(member: Member) -> None:
            for term in member.profile.lead.keys() | member.profile.text.keys():
                by_term.setdefault(term, []).append(member)
            for bucket in member.buckets:
                by_bucket.setdefault(bucket, []).append(member)

        for member in stored.values():
            index(member)

        founders: list[Member] = []  # articles starting a story, in order
        moved: list[Member] = []  # stored undated articles that found their event
        previous = {member.id: member.story_id for member in batch}
        for member in batch:
            candidates = {id(c): c for term in member.profile.key_terms(KEY_TERMS, KEY_TERM_WEIGHT)
                          for c in by_term.get(term, ())}
            candidates |= {id(c): c for bucket in member.buckets for c in by_bucket.get(bucket, ())}
            candidates = latest_of_each_story(candidates)
            best, best_score = None, None
            for candidate in candidates.values():
                if candidate.id == member.id:
                    continue
                score = self.score(member, candidate)
                if score is not None and (best_score is None or score > best_score):
                    best, best_score = candidate, score
            if best is not None:
                if best.story_id is None and best not in founders:
                    founders.append(best)  # stored before stories were kept
                member.story_id = best
                member.span = spanning(member.when(), best.when())
            elif member.story_id is None or self._shared(connection, member):
                member.story_id = None
                founders.append(member)
            if member.published_at is not None:
                for candidate, had in self._claim_undated(member, candidates.values(), [*stored.values(), *batch]):
                    moved.append(candidate)
                    previous.setdefault(candidate.id, had)
            index(member)

        self._create_stories(connection, founders, now)
        changed: dict[int, Member] = {}
        for member in (*founders, *batch, *moved):
            story = self._story_of(member)
            if story != member.story_id or previous.get(member.id, -1) != story:
                member.story_id = story
                changed[member.id] = member
        changed = list(changed.values())
        if changed:
            connection.execute(
                update(Article).where(Article.id == bindparam("b_id")).values(story_id=bindparam("b_story")),
                [{"b_id": m.id, "b_story": m.story_id} for m in changed],
            )
        self._write_features(connection, batch)
        touched = {m.story_id for m in changed} | {s for s in previous.values() if s is not None}
        self._refresh(connection, sorted(touched), now)

    def _claim_undated(self, member: Member, candidates, known: list[Member]) -> list[tuple[Member, int | None]]:
        """Undated articles that match this dated one better than any article
        of their own story move to its story: an undated report joins the
        best story at hand when it comes, and the reports of its own event
        may come later. Returns them with the story they had."""
        moved = []
        for candidate in candidates:
            if candidate.published_at is not None or same_story(candidate, member):
                continue
            claim = self.score(candidate, member, timeless=True)
            if claim is None:
                continue
            own = [other for other in known if other is not candidate and same_story(other, candidate)]
            own = own[-STORY_SAMPLE:]  # the latest, as a story is known by everywhere
            if claim > max((self.score(candidate, other, timeless=True) or 0.0 for other in own), default=0.0):
                had = candidate.story_id if isinstance(candidate.story_id, int) else None
                candidate.story_id, candidate.span = member, member.when()
                moved.append((candidate, had))
        return moved

    def _story_of(self, member: Member) -> int:
        story = member.story_id
        while isinstance(story, Member):  # joined an article of this batch
            story = story.story_id
        return story

    def _shared(self, connection: Connection, member: Member) -> bool:
        """A changed article that matches nothing: does its story hold other articles?"""
        others = connection.execute(
            select(func.count()).select_from(Article).where(Article.story_id == member.story_id,
                                                            Article.id != member.id)
        ).scalar_one()
        return others > 0

    def _candidates(self, connection: Connection, batch: list[Member]) -> dict[int, Member]:
        """The stored articles (not of this batch) sharing a bucket or a key term with it."""
        ids = {member.id for member in batch}
        found: dict[int, int | None] = {}  # article id: story id
        buckets = sorted({bucket for member in batch for bucket in member.buckets})
        for bucket_chunk in chunks(buckets):
            found.update(connection.execute(latest_per_story(connection, StoryBand.bucket, bucket_chunk)).all())
        duplicates = found.keys() - ids
        # Dated articles match within the window (or undated ones); undated
        # articles at any time.
        dated = [member for member in batch if member.published_at is not None]
        undated = [member for member in batch if member.published_at is None]
        for group in (dated, undated):
            keys = sorted({term for member in group for term in member.profile.key_terms(KEY_TERMS, KEY_TERM_WEIGHT)})
            times = [None]
            if group is dated and dated:
                # Ranges of the (term, published_at) index: the windows around the
                # batch's dates (a batch of a backfill may span years), and the undated.
                times = [*(StoryTerm.published_at.between(first, last) for first, last in
                           windows([member.published_at for member in dated], self.window)),
                         StoryTerm.published_at.is_(None)]
            for key_chunk in chunks(keys):
                for when in times:
                    found.update(connection.execute(latest_per_story(
                        connection, StoryTerm.term, key_chunk, *(() if when is None else (when,)))).all())
        members: dict[int, Member] = {}
        self._load(connection, sample({k: v for k, v in found.items() if k not in ids}), members)
        # The stories of undated candidates, whole: an undated article moves
        # only to a story it matches better than its own (_claim_undated).
        undated_stories = sorted({m.story_id for m in members.values()
                                  if m.published_at is None and m.story_id is not None})
        for story_chunk in chunks(undated_stories):
            fellows = dict(connection.execute(select(Article.id, Article.story_id).where(
                Article.story_id.in_(story_chunk))).all())
            self._load(connection, sorted(set(sample(fellows)) - ids - members.keys()), members)
        spans: dict[int, tuple[datetime, datetime]] = {}
        for story_chunk in chunks(undated_stories):
            rows = connection.execute(
                select(Article.story_id, func.min(Article.published_at), func.max(Article.published_at))
                .where(Article.story_id.in_(story_chunk), Article.published_at.is_not(None))
                .group_by(Article.story_id))
            spans.update((story, (first, last)) for story, first, last in rows)
        for member in members.values():
            if member.published_at is None:
                member.span = spans.get(member.story_id)
        near = sorted(duplicates & members.keys())
        for id_chunk in chunks(near):
            for row in connection.execute(select(Article.id, Article.title, Article.subtitle, Article.body,
                                                 Article.search_text).where(Article.id.in_(id_chunk))):
                members[row.id].texts = dict(row._mapping)
        return members

    def _load(self, connection: Connection, ids: list[int], members: dict[int, Member]) -> None:
        """Stored articles as members: time, story, terms and buckets."""
        for id_chunk in chunks(ids):
            rows = connection.execute(
                select(Article.id, Article.published_at, Article.story_id).where(Article.id.in_(id_chunk)))
            for row in rows:
                members[row.id] = Member(row.id, row.published_at, row.story_id, Profile({}, {}))
            terms = connection.execute(select(StoryTerm.article_id, StoryTerm.term, StoryTerm.lead_weight,
                                              StoryTerm.text_weight).where(StoryTerm.article_id.in_(id_chunk)))
            for row in terms:
                if row.lead_weight:
                    members[row.article_id].profile.lead[row.term] = row.lead_weight
                if row.text_weight:
                    members[row.article_id].profile.text[row.term] = row.text_weight
            for row in connection.execute(select(StoryBand.article_id, StoryBand.bucket)
                                          .where(StoryBand.article_id.in_(id_chunk))):
                members[row.article_id].buckets.append(row.bucket)

    def _create_stories(self, connection: Connection, founders: list[Member], now: datetime) -> None:
        """One INSERT for the batch's new stories, with ids taken as the
        database would (the next of PostgreSQL's sequence, SQLite's max + 1):
        a multi-row INSERT ... RETURNING need not keep the rows' order."""
        if not founders:
            return
        if connection.dialect.name == "postgresql":
            ids = list(connection.execute(
                text("SELECT nextval(pg_get_serial_sequence('stories', 'id')) FROM generate_series(1, :n)"),
                {"n": len(founders)}).scalars())
        else:
            first = connection.execute(select(func.coalesce(func.max(StoryRow.id), 0))).scalar_one() + 1
            ids = list(range(first, first + len(founders)))
        connection.execute(insert(StoryRow), [
            {"id": story_id, "title": None, "created_at": now, "updated_at": now} for story_id in ids
        ])
        for member, story_id in zip(founders, ids):
            member.story_id = story_id

    def _write_features(self, connection: Connection, batch: list[Member]) -> None:
        terms = [{"article_id": m.id, "term": term, "lead_weight": lead, "text_weight": text,
                  "published_at": m.published_at}
                 for m in batch for term, lead, text in m.profile.rows()]
        buckets = [{"article_id": m.id, "band": band, "bucket": bucket}
                   for m in batch for band, bucket in enumerate(m.buckets)]
        if terms:
            connection.execute(insert(StoryTerm), terms)
        if buckets:
            connection.execute(insert(StoryBand), buckets)

    def _refresh(self, connection: Connection, story_ids: list[int], now: datetime) -> None:
        """Titles of the stories touched; those left without articles are deleted.
        A story's title is its first article's: the earliest dated one with a
        title, else the first stored with one. Chosen by the database: a story
        of thousands of copies sends one row, not all of them, each batch."""
        for id_chunk in chunks(story_ids):
            untitled = func.coalesce(Article.title, "") == ""
            first = select(
                Article.story_id, Article.title,
                func.row_number().over(partition_by=Article.story_id, order_by=(
                    untitled, Article.published_at.is_(None), Article.published_at, Article.id)).label("rank"),
            ).where(Article.story_id.in_(id_chunk)).subquery()
            titles = dict(connection.execute(select(first.c.story_id, first.c.title).where(first.c.rank == 1)).all())
            empty = [story for story in id_chunk if story not in titles]
            if empty:
                connection.execute(delete(StoryRow).where(StoryRow.id.in_(empty)))
            if titles:
                connection.execute(
                    update(StoryRow).where(StoryRow.id == bindparam("b_id"))
                    .values(title=bindparam("b_title"), updated_at=now),
                    [{"b_id": story, "b_title": title or None} for story, title in titles.items()],
                )


def windows(dates: list[datetime], window: timedelta, most: int = 4) -> list[tuple[datetime, datetime]]:
    """The dates' windows (each date +- `window`), overlapping ones merged,
    then the closest ones until there are at most `most` (one query each)."""
    merged: list[list[datetime]] = []
    for date in sorted(dates):
        if merged and date - window <= merged[-1][1]:
            merged[-1][1] = date + window
        else:
            merged.append([date - window, date + window])
    while len(merged) > most:
        gap = min(range(len(merged) - 1), key=lambda i: merged[i + 1][0] - merged[i][1])
        merged[gap:gap + 2] = [[merged[gap][0], merged[gap + 1][1]]]
    return [(first, last) for first, last in merged]


def latest_per_story(connection: Connection, column, keys: list, *conditions):
    """(article_id, story_id) of the articles whose `column` (StoryTerm.term or
    StoryBand.bucket) is one of `keys` and that meet `conditions`: for each
    key, the latest STORY_SAMPLE of each story among its latest KEY_SAMPLE
    articles (the rows `sample` would keep). A story of a thousand copies, or
    a name in every article of a busy week, sends no more rows to Python than
    a rare one, and the database reads no more of them than that (see
    latest_of_each_key)."""
    rows = latest_of_each_key(connection, column, keys, conditions)
    story = func.coalesce(rows.c.story_id, -rows.c.article_id)  # stored before stories: each its own
    ranked = select(
        rows.c.article_id, rows.c.story_id,
        func.row_number().over(partition_by=(rows.c.key, story), order_by=rows.c.article_id.desc()).label("rank"),
    ).subquery()
    return select(ranked.c.article_id, ranked.c.story_id).where(ranked.c.rank <= STORY_SAMPLE)


def latest_of_each_key(connection: Connection, column, keys: list, conditions):
    """(key, article_id, story_id) of the latest KEY_SAMPLE articles of each
    key: a subquery for each key, LIMIT KEY_SAMPLE, that reads the end of an
    index range ordered by article (migration 0011), not every row of the key.
    The keys are one parameter: an array on PostgreSQL (a LATERAL subquery
    each), a JSON list on SQLite (json_each; a correlated IN subquery each)."""
    table = column.class_
    latest = select(table.article_id).order_by(table.article_id.desc()).limit(KEY_SAMPLE)
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        given = func.unnest(bindparam("keys", keys, type_=postgresql.ARRAY(column.type)))
        given = given.table_valued("value").render_derived()
        latest = latest.where(column == given.c.value, *conditions).lateral()
        return (select(given.c.value.label("key"), latest.c.article_id, Article.story_id)
                .select_from(given).join(latest, true()).join(Article, Article.id == latest.c.article_id).subquery())
    given = func.json_each(bindparam("keys", json.dumps(keys, ensure_ascii=False))).table_valued("value")
    latest = latest.where(column == given.c.value, *conditions)
    return (select(given.c.value.label("key"), Article.id.label("article_id"), Article.story_id)
            .select_from(given).join(Article, Article.id.in_(latest)).subquery())


def latest_of_each_story(candidates: dict[int, Member]) -> dict[int, Member]:
    """The candidates, at most the latest STORY_SAMPLE of each story (as `sample` keeps of stored ones)."""
    by_story: dict[int, list[Member]] = {}
    for candidate in candidates.values():
        story = root(candidate)  # an article of the batch may have joined one before it
        by_story.setdefault(story.story_id if isinstance(story.story_id, int) else -story.id, []).append(candidate)
    if all(len(members) <= STORY_SAMPLE for members in by_story.values()):
        return candidates
    return {id(candidate): candidate for members in by_story.values()
            for candidate in sorted(members, key=lambda member: member.id)[-STORY_SAMPLE:]}


def sample(stories: dict[int, int | None]) -> list[int]:
    """Of the articles found ({id: story}), the latest STORY_SAMPLE of each
    story: enough to know a story by, and a story of a thousand copies of one
    text costs no more to compare with than a small one."""
    by_story: dict[int | None, list[int]] = {}
    for article_id, story_id in stories.items():
        by_story.setdefault(story_id if story_id is not None else -article_id, []).append(article_id)
    return sorted(article_id for ids in by_story.values() for article_id in sorted(ids)[-STORY_SAMPLE:])


def root(member: Member) -> Member:
    """The article whose story a member has: itself, or the one it joined, in turn."""
    while isinstance(member.story_id, Member):
        member = member.story_id
    return member


def same_story(a: Member, b: Member) -> bool:
    first, second = root(a), root(b)
    return first is second or (first.story_id is not None and first.story_id == second.story_id)


def spanning(*spans: tuple[datetime, datetime] | None) -> tuple[datetime, datetime] | None:
    known = [span for span in spans if span is not None]
    return (min(span[0] for span in known), max(span[1] for span in known)) if known else None
