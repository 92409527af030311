"""Incremental crawls: crawl_state, article_versions, crawl_runs, articles.version.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-10
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def counter(name: str, kind=sa.Integer) -> sa.Column:
    return sa.Column(name, kind(), server_default="0", nullable=False)


def upgrade() -> None:
    op.add_column("articles", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("subtitle", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.Text(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("modified_at", UTCDateTime(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_article_versions_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_article_versions_article_id")),
    )
    op.create_table(
        "crawl_state",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("outlet", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_fetched_at", UTCDateTime(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL",
                                name=op.f("fk_crawl_state_article_id_articles")),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_crawl_state")),
    )
    op.create_index(op.f("ix_crawl_state_host"), "crawl_state", ["host"])
    op.create_index(op.f("ix_crawl_state_article_id"), "crawl_state", ["article_id"])
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("spider", sa.Text(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("finish_reason", sa.Text(), nullable=True),
        sa.Column("jobdir", sa.Text(), nullable=True),
        counter("requests"),
        counter("responses"),
        counter("responses_304"),
        counter("skipped"),
        counter("new"),
        counter("updated"),
        counter("unchanged"),
        counter("rejected"),
        counter("response_bytes", sa.BigInteger),
        sa.Column("errors", sa.Text(), nullable=True),
        sa.Column("stats", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_index(op.f("ix_crawl_runs_spider"), "crawl_runs", ["spider"])


def downgrade() -> None:
    op.drop_table("crawl_runs")
    op.drop_table("crawl_state")
    op.drop_table("article_versions")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("version")
