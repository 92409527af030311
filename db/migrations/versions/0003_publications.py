"""Every publication kept, and incremental crawls that lose no edit.

- `articles.duplicate_of` (→ articles.id): the same text published by another
  outlet first. Until now the content-hash dedupe applied across outlets, so
  a second outlet's publication of an agency text was merged into the row of
  the first (counted "unchanged", its URL left only in `crawl_state`).
- `articles.url_key`: the URL without tracking parameters or trailing slash
  (db/keys.py), so an article met again at another of its URLs updates its row.
- `articles.removed_at`, `crawl_state.gone_runs`: pages that answer 404/410.
- `crawl_state.not_modified_runs`: 304s in a row, for the periodic full fetch
  of pages with a weak ETag.
- `crawl_runs.removed`: articles a run found removed.

Rows merged so far are split where the database shows it: a `crawl_state` row
of another publisher (its outlet, else its site) naming an article is that
publisher's publication of the same text. It becomes a row of its own under
the state's URL, with the text known to be the same (body, hash, word count,
language, search form) and `duplicate_of` set; title, dates and the rest are
not in the database, so the state's validators and fetch time are cleared:
the next crawl fetches the page in full and completes the row. Pages merged
by a replay leave no such trace (a replay writes no crawl state, and the
rejected_pages row of a page goes when it is merged); replaying those inputs
again stores them as rows of their own. Finally the rows of one text from
several publishers are linked to the first of them.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-03
"""
from collections import defaultdict
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.keys import publisher, url_key
from db.types import UTCDateTime
from pipelines.arabic import fold_for_search

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SPLIT_WARNING = "split_from_merged_row"

articles = sa.table(
    "articles",
    sa.column("id", sa.Integer), sa.column("url", sa.Text), sa.column("url_key", sa.Text),
    sa.column("input_ref", sa.Text), sa.column("parser", sa.Text), sa.column("outlet", sa.Text),
    sa.column("via", sa.Text), sa.column("language", sa.Text), sa.column("body", sa.Text),
    sa.column("word_count", sa.Integer), sa.column("content_hash", sa.Text), sa.column("search_text", sa.Text),
    sa.column("warnings", sa.Text), sa.column("first_seen_at", UTCDateTime), sa.column("last_seen_at", UTCDateTime),
    sa.column("fetched_at", UTCDateTime), sa.column("version", sa.Integer), sa.column("duplicate_of", sa.Integer),
)
crawl_state = sa.table(
    "crawl_state",
    sa.column("url", sa.Text), sa.column("outlet", sa.Text), sa.column("article_id", sa.Integer),
    sa.column("etag", sa.Text), sa.column("last_modified", sa.Text), sa.column("last_fetched_at", UTCDateTime),
    sa.column("first_seen_at", UTCDateTime), sa.column("last_seen_at", UTCDateTime),
)


def upgrade() -> None:
    # A foreign key is added by copying the table on SQLite (see db.session.prepare_database).
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("url_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("removed_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_articles_duplicate_of_articles"), "articles", ["duplicate_of"], ["id"],
                                 ondelete="SET NULL")
    op.add_column("crawl_state", sa.Column("not_modified_runs", sa.Integer(), server_default="0", nullable=False))
    op.add_column("crawl_state", sa.Column("gone_runs", sa.Integer(), server_default="0", nullable=False))
    op.add_column("crawl_runs", sa.Column("removed", sa.Integer(), server_default="0", nullable=False))

    connection = op.get_bind()
    rows = [dict(row._mapping) for row in connection.execute(sa.select(articles).order_by(articles.c.id))]
    keys = [{"b_id": row["id"], "b_key": url_key(row["url"])} for row in rows]
    if keys:
        connection.execute(
            articles.update().where(articles.c.id == sa.bindparam("b_id")).values(url_key=sa.bindparam("b_key")),
            keys,
        )
    split_merged_publications(connection, {row["id"]: row for row in rows})
    link_publications(connection)
    op.create_index(op.f("ix_articles_url_key"), "articles", ["url_key"])
    op.create_index(op.f("ix_articles_duplicate_of"), "articles", ["duplicate_of"])


def split_merged_publications(connection, rows: dict[int, dict]) -> None:
    """A row of its own for each other publisher whose crawl state names an article."""
    taken = {row["url"] for row in rows.values()}
    states = connection.execute(
        sa.select(crawl_state).where(crawl_state.c.article_id.is_not(None)).order_by(crawl_state.c.first_seen_at)
    )
    groups: dict[tuple[int, str | None], list[dict]] = defaultdict(list)
    for state in states:
        state = dict(state._mapping)
        row = rows.get(state["article_id"])
        who = publisher(state["outlet"], state["url"], None)
        if row is not None and who != publisher(row["outlet"], row["url"], row["via"]):
            groups[(row["id"], who)].append(state)
    for (article_id, _), group in groups.items():
        row, first = rows[article_id], group[0]
        if first["url"] in taken:
            continue  # another row holds that URL: the state is stale, not a lost publication
        values = {
            "url": first["url"], "url_key": url_key(first["url"]), "input_ref": first["url"], "parser": row["parser"],
            "outlet": first["outlet"], "language": row["language"], "body": row["body"],
            "word_count": row["word_count"], "content_hash": row["content_hash"],
            "search_text": fold_for_search(row["body"] or "") or None, "warnings": SPLIT_WARNING,
            "first_seen_at": first["first_seen_at"], "last_seen_at": max(s["last_seen_at"] for s in group),
            "fetched_at": first["last_fetched_at"], "version": 1,
            "duplicate_of": row["duplicate_of"] or row["id"],
        }
        new_id = connection.execute(articles.insert().values(values).returning(articles.c.id)).scalar_one()
        taken.add(first["url"])
        connection.execute(
            crawl_state.update().where(crawl_state.c.url.in_([s["url"] for s in group])).values(
                article_id=new_id, etag=None, last_modified=None, last_fetched_at=None,
            )
        )


def link_publications(connection) -> None:
    """Each row of a text that another publisher had first: `duplicate_of` that first row."""
    query = sa.select(articles.c.id, articles.c.outlet, articles.c.url, articles.c.via, articles.c.content_hash,
                      articles.c.duplicate_of).where(articles.c.content_hash.is_not(None)).order_by(articles.c.id)
    by_hash: dict[str, list] = defaultdict(list)
    for row in connection.execute(query):
        by_hash[row.content_hash].append(row)
    links = []
    for group in by_hash.values():
        first, who = group[0], publisher(group[0].outlet, group[0].url, group[0].via)
        for row in group[1:]:
            if row.duplicate_of is None and publisher(row.outlet, row.url, row.via) != who:
                links.append({"b_id": row.id, "b_first": first.id})
    if links:
        connection.execute(
            articles.update().where(articles.c.id == sa.bindparam("b_id")).values(
                duplicate_of=sa.bindparam("b_first")),
            links,
        )


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("removed")
    with op.batch_alter_table("crawl_state") as batch:
        batch.drop_column("gone_runs")
        batch.drop_column("not_modified_runs")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index(op.f("ix_articles_duplicate_of"))
        batch.drop_index(op.f("ix_articles_url_key"))
        batch.drop_constraint(op.f("fk_articles_duplicate_of_articles"), type_="foreignkey")
        batch.drop_column("removed_at")
        batch.drop_column("duplicate_of")
        batch.drop_column("url_key")
