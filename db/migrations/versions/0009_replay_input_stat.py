"""Replay inputs: the size and modification time of a saved file as it was
read, so a replay can tell a file unchanged without reading it again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("replay_inputs") as table:
        table.add_column(sa.Column("file_size", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("file_mtime_ns", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("replay_inputs") as table:
        table.drop_column("file_mtime_ns")
        table.drop_column("file_size")
