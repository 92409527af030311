"""A plain-text listing of the articles a run stored, for the replay command."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Article
from db.session import make_engine


def format_stored_since(url: str, since: datetime) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Article.outlet, Article.published_at, Article.word_count, Article.title, Article.url)
                .where(Article.last_seen_at >= since)
                .order_by(Article.outlet, Article.id)
            ).all()
    finally:
        engine.dispose()
    lines = [f"\n{'outlet':<14}{'published':<12}{'words':>6}  title", "-" * 72]
    for outlet, published, words, title, article_url in rows:
        day = published.date().isoformat() if published else "-"
        lines.append(f"{outlet or '-':<14}{day:<12}{words or 0:>6}  {title or '(no title)'}")
        lines.append(f"{'':<32}{article_url}")
    lines.append("")
    return "\n".join(lines)
