"""`search()`: ranked articles for a query, from SQLite or PostgreSQL.

Ranked by bm25 on SQLite (weights title 10, subtitle 4, tags 2, body 1) and
ts_rank on PostgreSQL (weights A > B > C > D in the same order), newest first
on equal scores, then the newest row. Both engines find the same articles;
their scores differ.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, Engine, bindparam, text

from crawler.search.query import Query, fts5_match, parse_query, tsquery
from crawler.search.snippets import snippet
from crawler.search.sql import BM25_ARGUMENTS
from db.models import Article
from db.session import reading_engine
from db.types import UTCDateTime

DEFAULT_LIMIT = 20


def _day_start(value: date | datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return datetime.combine(day, time(), timezone.utc)


def _ranked(connection, query: Query, outlet, since, until, limit) -> list[tuple[int, float]]:
    """(article id, score) of the best `limit` matches, the newest first on equal scores."""
    postgresql = connection.dialect.name == "postgresql"
    table = "articles" if postgresql else "article_search"
    conditions, params = [], {"limit": limit}
    if postgresql:
        conditions.append("search_tsv @@ CAST(:query AS tsquery)")
        score = "ts_rank(search_tsv, CAST(:query AS tsquery))"
        key, params["query"] = "id", tsquery(query)
    else:
        conditions.append("article_search MATCH :query")
        score = f"-bm25(article_search, {BM25_ARGUMENTS})"
        key, params["query"] = "rowid", fts5_match(query)
    if outlet:
        conditions.append(f"{table}.outlet = :outlet")
        params["outlet"] = outlet
    if since is not None:
        conditions.append(f"{table}.published_at >= :since")
        params["since"] = since
    if until is not None:
        conditions.append(f"{table}.published_at < :until")
        params["until"] = until
    where = " AND ".join(conditions)
    times = [bindparam(name, type_=UTCDateTime) for name in ("since", "until") if name in params]
    if postgresql:
        statement = text(f"SELECT id, {score} AS score FROM articles WHERE {where} "
                         "ORDER BY score DESC, published_at DESC NULLS LAST, id DESC LIMIT :limit")
        return [(row.id, float(row.score)) for row in connection.execute(statement.bindparams(*times), params)]
    # FTS5 ranks without reading its rows; the publication time of each match
    # would cost more than the ranking. So: the best `limit` + 1 by score, then
    # every match tied with the last one kept (if the one after ties too), and
    # the time of these few only.
    best = text(f"SELECT rowid AS id, {score} AS score FROM article_search WHERE {where} "
                "ORDER BY score DESC LIMIT :limit + 1").bindparams(*times)
    ranked = [(row.id, float(row.score)) for row in connection.execute(best, params)]
    if len(ranked) > limit and ranked[limit][1] == ranked[limit - 1][1]:
        tied = text(f"SELECT rowid AS id FROM article_search WHERE {where} AND {score} = :boundary").bindparams(*times)
        boundary = ranked[limit][1]
        ranked = [r for r in ranked if r[1] != boundary]
        ranked += [(row.id, boundary) for row in connection.execute(tied, {**params, "boundary": boundary})]
    published = dict(connection.execute(PUBLISHED, {"ids": [article_id for article_id, _ in ranked]}).all()) \
        if ranked else {}
    # Newest first: ISO-8601 UTC text sorts as time; no date sorts last.
    ranked.sort(key=lambda r: (r[1], published.get(r[0]) or "", r[0]), reverse=True)
    return ranked[:limit]


PUBLISHED = text("SELECT id, published_at FROM articles WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True))


ARTICLES = text(
    "SELECT id, url, outlet, published_at, title, subtitle, body FROM articles WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True)).columns(published_at=UTCDateTime)


def match_clause(dialect_name: str, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause on `articles` for the rows matching `query` (None if it
    asks for nothing), for reads that filter articles by a search."""
    parsed = parse_query(query)
    if not parsed:
        return None
    if dialect_name == "postgresql":
        return text("articles.search_tsv @@ CAST(:search_query AS tsquery)").bindparams(search_query=tsquery(parsed))
    return Article.id.in_(text("SELECT rowid FROM article_search WHERE article_search MATCH :search_query")
                          .bindparams(search_query=fts5_match(parsed)))


def search(url_or_engine: str | Engine, query: str, *, outlet: str | None = None,
           since: date | datetime | str | None = None, until: date | datetime | str | None = None,
           limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The articles matching `query` (words, "phrases", -exclusions), best
    first: dicts of id, url, outlet, published_at, title, snippet, score.
    `since` and `until` are days of publication (both included) or times;
    with either, articles without a publication date are left out."""
    parsed = parse_query(query)
    if not parsed or limit <= 0:
        return []
    engine = url_or_engine if isinstance(url_or_engine, Engine) else reading_engine(url_or_engine)
    until_time = _day_start(until)
    if until_time is not None and not isinstance(until, datetime):
        until_time += timedelta(days=1)
    try:
        with engine.connect() as connection:
            ranked = _ranked(connection, parsed, outlet, _day_start(since), until_time, limit)
            rows = {row.id: row for row in connection.execute(ARTICLES, {"ids": [i for i, _ in ranked]})} \
                if ranked else {}
    finally:
        if engine is not url_or_engine:
            engine.dispose()
    wanted = parsed.terms()
    results = []
    for article_id, score in ranked:
        row = rows[article_id]
        results.append({
            "id": row.id, "url": row.url, "outlet": row.outlet, "published_at": row.published_at,
            "title": row.title, "snippet": snippet((row.body, row.subtitle), wanted), "score": round(score, 6),
        })
    return results
