"""Evidence level and references per risk factor of a tool; harm shown for a non-recommended tool.

Revision ID: 0011
Revises: 0010
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the work on this migration


def downgrade() -> None:
    pass
