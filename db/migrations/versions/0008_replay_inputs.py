"""Replay inputs: what each saved file or WARC record a replay stored gave, so
the next replay of the same bytes by the same parser skips it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "replay_inputs",
        sa.Column("input_ref", sa.Text(), nullable=False),
        sa.Column("raw_hash", sa.Text(), nullable=False),
        sa.Column("parser_version", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_replay_inputs_article_id_articles")),
        sa.PrimaryKeyConstraint("input_ref", name=op.f("pk_replay_inputs")),
    )
    op.create_index(op.f("ix_replay_inputs_article_id"), "replay_inputs", ["article_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_replay_inputs_article_id"), table_name="replay_inputs")
    op.drop_table("replay_inputs")
