"""What the report shows, read from the database in a few aggregate queries
(their cost does not grow with the report, only with the tables they scan):
articles per outlet per day (view `daily_articles`), field coverage per
outlet, the latest crawl runs, and the stories covered by most outlets (view
`story_summary`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine, inspect, text

# Days the chart shows, ending on the latest day with a publication.
DEFAULT_DAYS = 30
RUNS = 20
STORIES = 15
# A body shorter than this many words is counted as short in the coverage table.
SHORT_BODY_WORDS = 100


@dataclass
class Outlet:
    slug: str | None
    name_ar: str | None
    name_en: str | None

    @property
    def label(self) -> str:
        return self.name_ar or self.name_en or self.slug or "غير معروف"


@dataclass
class Coverage:
    outlet: str | None
    articles: int
    title: int
    published_at: int
    authors: int
    section: int
    average_words: float | None
    short_bodies: int


@dataclass
class Run:
    id: int
    spider: str
    started_at: datetime | None
    finished_at: datetime | None
    finish_reason: str | None
    requests: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    removed: int
    errors: dict[str, int]


@dataclass
class Story:
    id: int
    title: str | None
    first_published_at: datetime | None
    last_published_at: datetime | None
    outlet_count: int
    article_count: int
    outlets: list[str]


@dataclass
class ReportData:
    database: str
    generated_at: datetime
    outlets: dict[str | None, Outlet]
    articles: int
    undated: int
    first_published: date | None
    last_published: date | None
    days: list[date]  # the chart's days, oldest first
    daily: dict[str | None, dict[date, int]]  # outlet -> day -> articles, within `days`
    coverage: list[Coverage]
    runs: list[Run]
    stories: list[Story] | None  # None: the database has no story_summary view
    window_articles: int = 0
    other_days: int = 0  # dated articles outside the chart's days


def as_day(value) -> date | None:
    """A `daily_articles.day`: a date on PostgreSQL, ISO text on SQLite."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_time(value) -> datetime | None:
    """A time read by plain SQL: timestamptz on PostgreSQL, ISO text on SQLite."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(timezone.utc)


def read_report(engine: Engine, days: int = DEFAULT_DAYS) -> ReportData:
    with engine.connect() as connection:
        rows = lambda sql: connection.execute(text(sql)).all()  # noqa: E731
        outlets = {slug: Outlet(slug, ar, en) for slug, ar, en in rows("SELECT slug, name_ar, name_en FROM outlets")}
        counts = [(outlet, as_day(day), n) for outlet, day, n in rows("SELECT outlet, day, articles FROM daily_articles")]
        coverage = [
            Coverage(outlet, n, title, published, authors, section, None if words is None else float(words), short)
            for outlet, n, title, published, authors, section, words, short in rows(f"""
                SELECT outlet, count(*), count(title), count(published_at), count(authors), count(section),
                       avg(word_count), sum(CASE WHEN coalesce(word_count, 0) < {SHORT_BODY_WORDS} THEN 1 ELSE 0 END)
                FROM articles GROUP BY outlet ORDER BY count(*) DESC""")
        ]
        runs = [
            Run(id_, spider, as_time(started), as_time(finished), reason, requests or 0, new or 0, updated or 0,
                unchanged or 0, rejected or 0, removed or 0, json.loads(errors) if errors else {})
            for id_, spider, started, finished, reason, requests, new, updated, unchanged, rejected, removed, errors
            in rows(f"""
                SELECT id, spider, started_at, finished_at, finish_reason, requests, new, updated, unchanged,
                       rejected, removed, errors
                FROM crawl_runs ORDER BY id DESC LIMIT {RUNS}""")
        ]
        stories = None
        if "story_summary" in inspect(connection).get_view_names():
            stories = [
                Story(id_, title, as_time(first), as_time(last), outlet_count, article_count,
                      [slug for slug in (joined or "").split("; ") if slug])
                for id_, title, first, last, outlet_count, article_count, joined in rows(f"""
                    SELECT story_id, title, first_published_at, last_published_at, outlet_count, article_count,
                           outlets
                    FROM story_summary WHERE outlet_count >= 2
                    ORDER BY outlet_count DESC, article_count DESC, last_published_at DESC LIMIT {STORIES}""")
            ]
    for outlet in {row.outlet for row in coverage} - set(outlets):
        outlets[outlet] = Outlet(outlet, None, None)

    dated = [day for _, day, _ in counts if day is not None]
    last = max(dated, default=None)
    window = []
    if last is not None:
        first_shown = max(min(dated), last - timedelta(days=max(days, 1) - 1))
        window = [first_shown + timedelta(days=n) for n in range((last - first_shown).days + 1)]
    shown = set(window)
    daily: dict[str | None, dict[date, int]] = {}
    for outlet, day, n in counts:
        if day in shown:
            daily.setdefault(outlet, {})[day] = n
    window_articles = sum(sum(by_day.values()) for by_day in daily.values())
    return ReportData(
        database=engine.url.render_as_string(hide_password=True),
        generated_at=datetime.now(timezone.utc),
        outlets=outlets,
        articles=sum(c.articles for c in coverage),
        undated=sum(n for _, day, n in counts if day is None),
        first_published=min(dated, default=None),
        last_published=last,
        days=window,
        daily=daily,
        coverage=coverage,
        runs=runs,
        stories=stories,
        window_articles=window_articles,
        other_days=sum(n for _, day, n in counts if day is not None) - window_articles,
    )
