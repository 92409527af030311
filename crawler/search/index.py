"""The search index, kept current with the articles.

SQLite: the FTS5 table `article_search` (rowid = articles.id), whose columns
hold each field's terms (crawler/search/terms.py) and, unindexed and first so
ranking reads them without the text, the outlet and publication time.
PostgreSQL: `articles.search_tsv`, the same terms weighted title (A) >
subtitle (B) > tags (C) > body and captions (D), with a GIN index.
The terms are computed in Python on both engines, so both match alike;
migration 0007 installs the SQL that computes the same terms from a query
typed by hand (crawler/search/sql.py).
"""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import bindparam, text

from crawler.search.sql import FIELDS, TSV_WEIGHTS
from crawler.search.terms import folded_terms, index_text
from pipelines.arabic import fold_for_search
from db.models import CAPTION_SEPARATOR, LIST_SEPARATOR
from db.types import UTCDateTime

# Rows indexed per statement when the whole table is (re)indexed.
BATCH = 500

_TSVECTOR = " || ".join(
    f"setweight(to_tsvector('news_search', :{field}), '{weight}')" for field, weight in zip(FIELDS, TSV_WEIGHTS)
)
POSTGRESQL_UPDATE = text(f"UPDATE articles SET search_tsv = {_TSVECTOR} WHERE id = :id")
SQLITE_DELETE = text("DELETE FROM article_search WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))
SQLITE_INSERT = text(
    f"INSERT INTO article_search (rowid, outlet, published_at, {', '.join(FIELDS)}) "
    f"VALUES (:id, :outlet, :published_at, {', '.join(':' + f for f in FIELDS)})"
).bindparams(bindparam("published_at", type_=UTCDateTime))


def field_texts(article: Mapping) -> dict[str, str]:
    """The display text of each indexed field of an article row (or store record)."""
    tags = (article.get("tags") or "").replace(LIST_SEPARATOR, "\n")
    captions = (article.get("captions") or "").split(CAPTION_SEPARATOR)
    body = "\n".join(part for part in (article.get("body"), *captions) if part)
    return {"title": article.get("title") or "", "subtitle": article.get("subtitle") or "", "tags": tags,
            "body": body}


def index_row(article: Mapping) -> dict:
    """The parameters that index one article: its id and each field's terms."""
    texts = field_texts(article)
    row = {"id": article["id"], "outlet": article.get("outlet"), "published_at": article.get("published_at"),
           "title": index_text(texts["title"]), "subtitle": index_text(texts["subtitle"]),
           "tags": index_text(texts["tags"])}
    body = " ".join(terms for terms in (" ".join(folded_terms(folded_body(article))),
                                        index_text(article.get("captions"))) if terms)
    return {**row, "body": body}


def folded_body(article: Mapping) -> str:
    """The body in search form, cut from `search_text` (title, subtitle and body
    folded, SearchFormNormalizer) when it holds them: folding the body again
    would cost as much as the rest of the indexing."""
    body, search_text = article.get("body"), article.get("search_text")
    if not body:
        return ""
    if search_text:
        head = " ".join(f for f in (fold_for_search(article.get("title")), fold_for_search(article.get("subtitle")))
                        if f)
        if not head:
            return search_text
        if search_text.startswith(head + " "):
            return search_text[len(head) + 1:]
    return fold_for_search(body)


def write_index(connection, rows: Iterable[dict]) -> None:
    """Index (again) the `index_row` parameters of some articles."""
    rows = list(rows)
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(POSTGRESQL_UPDATE, rows)
        return
    connection.execute(SQLITE_DELETE, {"ids": [row["id"] for row in rows]})
    connection.execute(SQLITE_INSERT, rows)


def index_articles(connection, articles: Iterable[Mapping]) -> None:
    """Index the articles a write added or changed (rows or store records with their ids)."""
    write_index(connection, (index_row(article) for article in articles))


def reindex_all(connection) -> int:
    """Index every article, BATCH at a time, by id; the number indexed."""
    columns = "id, outlet, published_at, title, subtitle, tags, body, captions, search_text"
    query = text(f"SELECT {columns} FROM articles WHERE id > :after ORDER BY id LIMIT {BATCH}").columns(
        published_at=UTCDateTime)
    after, count = 0, 0
    while rows := [dict(row._mapping) for row in connection.execute(query, {"after": after})]:
        index_articles(connection, rows)
        after, count = rows[-1]["id"], count + len(rows)
    return count
