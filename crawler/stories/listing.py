"""The stories covered by most outlets, read from the `story_summary` and
`story_articles` views (the same columns on SQLite and PostgreSQL)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

import sqlalchemy as sa
from sqlalchemy import Engine

from db.types import UTCDateTime

story_summary = sa.table(
    "story_summary",
    sa.column("story_id", sa.Integer), sa.column("title", sa.Text),
    sa.column("first_published_at", UTCDateTime), sa.column("last_published_at", UTCDateTime),
    sa.column("outlet_count", sa.Integer), sa.column("article_count", sa.Integer), sa.column("outlets", sa.Text),
)
story_articles = sa.table(
    "story_articles",
    sa.column("story_id", sa.Integer), sa.column("article_id", sa.Integer), sa.column("outlet", sa.Text),
    sa.column("url", sa.Text), sa.column("title", sa.Text), sa.column("published_at", UTCDateTime),
)


@dataclass
class Story:
    id: int
    title: str | None
    first_published_at: datetime | None
    last_published_at: datetime | None
    outlet_count: int
    article_count: int
    outlets: str | None
    articles: list = None


def parse_since(text: str) -> datetime:
    """`2024-11-01` (the start of that UTC day) or an ISO time (UTC unless it says)."""
    value = datetime.fromisoformat(text)
    if len(text) <= 10:
        value = datetime.combine(value.date(), time.min)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def top_stories(engine: Engine, since: datetime | None = None, limit: int = 20,
                with_articles: bool = False) -> list[Story]:
    """Stories by outlets covering them, then articles, then the latest;
    `since`: stories with an article published then or later. Undated stories
    come after dated ones of the same coverage, on both databases."""
    s = story_summary.c
    query = sa.select(story_summary).order_by(
        s.outlet_count.desc(), s.article_count.desc(), s.last_published_at.desc().nulls_last(), s.story_id.desc()
    ).limit(limit)
    if since is not None:
        query = query.where(s.last_published_at >= since)
    with engine.connect() as connection:
        stories = [Story(*row) for row in connection.execute(query)]
        if with_articles and stories:
            a = story_articles.c
            rows = connection.execute(
                sa.select(story_articles).where(a.story_id.in_([story.id for story in stories]))
                .order_by(a.story_id, a.published_at, a.article_id)
            ).all()
            for story in stories:
                story.articles = [row for row in rows if row.story_id == story.id]
    return stories


def format_stories(stories: list[Story]) -> str:
    if not stories:
        return "no stories"

    def day(value: datetime | None) -> str:
        return value.date().isoformat() if value else "-"

    lines = [f"{'story':>7}  {'outlets':>7}  {'articles':>8}  {'first':<10}  {'last':<10}  title", "-" * 78]
    for story in stories:
        lines.append(f"{story.id:>7}  {story.outlet_count:>7}  {story.article_count:>8}  "
                     f"{day(story.first_published_at):<10}  {day(story.last_published_at):<10}  "
                     f"{story.title or '(no title)'}")
        lines.append(f"{'':>47}{story.outlets or '-'}")
        for article in story.articles or ():
            lines.append(f"{'':>9}{article.outlet or '-':<14}{day(article.published_at):<12}"
                         f"{article.title or '(no title)'}")
            lines.append(f"{'':>35}{article.url}")
    return "\n".join(lines)
