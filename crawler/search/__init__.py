"""Arabic full-text search over the stored articles, on SQLite (FTS5) and
PostgreSQL (tsvector): the terms (terms.py), the index kept by the store and
migration 0007 (index.py), and the SQL installed for queries typed by hand
(sql.py)."""

from crawler.search.results import search

__all__ = ["search"]
