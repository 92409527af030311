"""Views for the common questions, the same columns on SQLite and PostgreSQL.

- `articles_with_outlet`: each article with its outlet's names (`outlets`).
- `daily_articles`: articles per outlet per UTC day of publication (`day` is
  NULL for the articles without a date).
- `article_authors`, `article_tags`: one row per (article, author) and per
  (article, tag), the `"; "`-joined lists split in SQL (a recursive CTE on
  SQLite, `unnest(string_to_array(...)) WITH ORDINALITY` on PostgreSQL), so
  `GROUP BY author` needs no splitting by hand. `position` counts from 1 in
  the order of the list.

Columns are named one by one (no `a.*`): PostgreSQL fixes a view's columns
when it is created and SQLite when it is read, so `*` would let the two drift
apart after a later migration adds a column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ARTICLE_COLUMNS = (
    "id", "url", "outlet", "outlet_name", "via", "title", "subtitle", "published_at", "modified_at", "section",
    "authors", "tags", "agency", "language", "word_count", "canonical_url", "image_url", "duplicate_of",
    "first_seen_at", "last_seen_at", "fetched_at", "removed_at", "version", "body",
)

ARTICLES_WITH_OUTLET = f"""
CREATE VIEW articles_with_outlet AS
SELECT {", ".join(f"a.{name}" for name in ARTICLE_COLUMNS)},
       o.name_ar AS outlet_name_ar, o.name_en AS outlet_name_en
FROM articles a LEFT JOIN outlets o ON o.slug = a.outlet
"""

DAY = {
    "sqlite": "substr(published_at, 1, 10)",
    "postgresql": "(published_at AT TIME ZONE 'UTC')::date",
}

DAILY_ARTICLES = """
CREATE VIEW daily_articles AS
SELECT outlet, {day} AS day, count(*) AS articles
FROM articles
GROUP BY outlet, {day}
"""

SPLIT_SQLITE = """
CREATE VIEW {view} AS
WITH RECURSIVE parts(article_id, outlet, published_at, position, {value}, rest) AS (
    SELECT id, outlet, published_at, 0, NULL, {column} || '; ' FROM articles WHERE {column} IS NOT NULL
    UNION ALL
    SELECT article_id, outlet, published_at, position + 1,
           substr(rest, 1, instr(rest, '; ') - 1), substr(rest, instr(rest, '; ') + 2)
    FROM parts WHERE rest <> ''
)
SELECT article_id, outlet, published_at, position, {value}
FROM parts WHERE position > 0 AND {value} <> ''
"""

SPLIT_POSTGRESQL = """
CREATE VIEW {view} AS
SELECT a.id AS article_id, a.outlet, a.published_at, part.position::integer AS position, part.{value}
FROM articles a
CROSS JOIN LATERAL unnest(string_to_array(a.{column}, '; ')) WITH ORDINALITY AS part({value}, position)
WHERE part.{value} <> ''
"""

SPLIT_VIEWS = (("article_authors", "authors", "author"), ("article_tags", "tags", "tag"))
VIEWS = ("articles_with_outlet", "daily_articles", *(view for view, _, _ in SPLIT_VIEWS))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(ARTICLES_WITH_OUTLET)
    op.execute(DAILY_ARTICLES.format(day=DAY[dialect]))
    split = SPLIT_POSTGRESQL if dialect == "postgresql" else SPLIT_SQLITE
    for view, column, value in SPLIT_VIEWS:
        op.execute(split.format(view=view, column=column, value=value))


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {view}")
