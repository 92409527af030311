"""Story keys by article: the candidates of an article are the latest
articles of each of its keys (crawler/stories/assign.py, KEY_SAMPLE), and
these indexes keep them at the end of an index range, so the database reads
those only, not every article that ever had the key (a story of thousands of
copies, years of undated captures): (bucket, article_id) for the buckets;
(term, published_at, article_id) for a term in a window of dates or among the
undated, and (term, article_id) for a term at any time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(op.f("ix_story_bands_bucket_article_id"), "story_bands", ["bucket", "article_id"])
    op.drop_index(op.f("ix_story_bands_bucket"), table_name="story_bands")
    op.create_index(op.f("ix_story_terms_term_published_at_article_id"), "story_terms",
                    ["term", "published_at", "article_id"])
    op.create_index(op.f("ix_story_terms_term_article_id"), "story_terms", ["term", "article_id"])
    op.drop_index(op.f("ix_story_terms_term_published_at"), table_name="story_terms")


def downgrade() -> None:
    op.create_index(op.f("ix_story_terms_term_published_at"), "story_terms", ["term", "published_at"])
    op.drop_index(op.f("ix_story_terms_term_article_id"), table_name="story_terms")
    op.drop_index(op.f("ix_story_terms_term_published_at_article_id"), table_name="story_terms")
    op.create_index(op.f("ix_story_bands_bucket"), "story_bands", ["bucket"])
    op.drop_index(op.f("ix_story_bands_bucket_article_id"), table_name="story_bands")
