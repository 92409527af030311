"""Stories across outlets: articles about the same event share a `stories` row.

- `stories`: one row per event, with a representative title;
  `articles.story_id` (→ stories.id, NULL if the story is deleted) names it.
- `story_bands`: the MinHash LSH buckets of each article's folded word
  shingles (crawler/stories/), so near-duplicates are found by one indexed
  lookup from any process, with no index held in memory.
- `story_terms`: each article's salient folded terms with their weights in the
  lead and in the whole text, for the same-event comparison within a window.
- Views `story_summary` (one row per story: title, first and last
  publication, outlet and article counts, outlet slugs joined by "; ") and
  `story_articles` (the articles of each story), computed from `articles` so
  they are always current.

Stories of the articles already stored are assigned here, oldest first, by
the same code as the store.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Stored articles are given their stories this many at a time.
BACKFILL_BATCH = 500

OUTLETS = {
    # SQLite's group_concat takes no ORDER BY (before 3.44) nor a separator with DISTINCT.
    "sqlite": "(SELECT group_concat(outlet, '; ') FROM (SELECT DISTINCT m.outlet FROM articles m "
              "WHERE m.story_id = s.id AND m.outlet IS NOT NULL ORDER BY m.outlet))",
    "postgresql": "string_agg(DISTINCT a.outlet, '; ' ORDER BY a.outlet)",
}

STORY_SUMMARY = """
CREATE VIEW story_summary AS
SELECT s.id AS story_id, s.title AS title,
       min(a.published_at) AS first_published_at, max(a.published_at) AS last_published_at,
       count(DISTINCT a.outlet) AS outlet_count, count(*) AS article_count,
       {outlets} AS outlets
FROM stories s JOIN articles a ON a.story_id = s.id
GROUP BY s.id, s.title
"""

STORY_ARTICLES = """
CREATE VIEW story_articles AS
SELECT a.story_id AS story_id, a.id AS article_id, a.outlet AS outlet, a.url AS url, a.title AS title,
       a.published_at AS published_at
FROM articles a
WHERE a.story_id IS NOT NULL
"""


@contextmanager
def legacy_alter_table():
    """On SQLite a foreign key is added by copying the table (see
    db.session.prepare_database), and renaming the copy to `articles` checks
    the views that read it, which fails while the table is away. SQLite's
    legacy rename does not look into views; they read the new table by name."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA legacy_alter_table=ON")
    try:
        yield
    finally:
        if sqlite:
            op.execute("PRAGMA legacy_alter_table=OFF")


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    with legacy_alter_table(), op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_articles_story_id_stories"), "stories", ["story_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index(op.f("ix_articles_story_id"), ["story_id"])
    op.create_table(
        "story_bands",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_story_bands_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "band", name=op.f("pk_story_bands")),
    )
    op.create_index(op.f("ix_story_bands_bucket"), "story_bands", ["bucket"])
    op.create_table(
        "story_terms",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("lead_weight", sa.Float(), nullable=False),
        sa.Column("text_weight", sa.Float(), nullable=False),
        # The article's publication (migration 0010 added it to tables made before).
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_story_terms_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "term", name=op.f("pk_story_terms")),
    )
    op.create_index(op.f("ix_story_terms_term_published_at"), "story_terms", ["term", "published_at"])
    op.execute(STORY_SUMMARY.format(outlets=OUTLETS[op.get_bind().dialect.name]))
    op.execute(STORY_ARTICLES)
    assign_stored_articles(op.get_bind())


def assign_stored_articles(connection) -> None:
    """The articles already stored get their stories as if stored now, in the
    order they came (publication, else first sighting)."""
    from crawler.stories.assign import StoryAssigner

    articles = sa.table(
        "articles", sa.column("id", sa.Integer), sa.column("title", sa.Text), sa.column("subtitle", sa.Text),
        sa.column("body", sa.Text), sa.column("captions", sa.Text), sa.column("published_at", UTCDateTime),
        sa.column("first_seen_at", UTCDateTime),
    )
    assigner = StoryAssigner()
    now = datetime.now(timezone.utc)
    order = (sa.func.coalesce(articles.c.published_at, articles.c.first_seen_at), articles.c.id)
    ids = list(connection.execute(sa.select(articles.c.id).order_by(*order)).scalars())
    for start in range(0, len(ids), BACKFILL_BATCH):
        chunk = ids[start:start + BACKFILL_BATCH]
        rows = connection.execute(sa.select(articles).where(articles.c.id.in_(chunk))).mappings()
        by_id = {row["id"]: {**row, "story_id": None} for row in rows}
        assigner.assign(connection, [by_id[article_id] for article_id in chunk], now)


def downgrade() -> None:
    op.execute("DROP VIEW story_articles")
    op.execute("DROP VIEW story_summary")
    op.drop_table("story_terms")  # with its index (named as 0006 or 0010 made it)
    op.drop_index(op.f("ix_story_bands_bucket"), table_name="story_bands")
    op.drop_table("story_bands")
    with legacy_alter_table(), op.batch_alter_table("articles") as batch:
        batch.drop_index(op.f("ix_articles_story_id"))
        batch.drop_constraint(op.f("fk_articles_story_id_stories"), type_="foreignkey")
        batch.drop_column("story_id")
    op.drop_table("stories")
