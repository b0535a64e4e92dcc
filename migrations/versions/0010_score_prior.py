"""The prior every stored score was computed against (catalogue mean, smoothing strength, reference date).

Revision ID: 0010
Revises: 0009
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the work on this migration


def downgrade() -> None:
    pass
