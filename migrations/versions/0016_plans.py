"""Saved intervention plans: an officer's plan of tools per risk factor, kept under a label.

Nothing about a person: the label is checked for identifying details before it is stored, and
the plan itself holds only vocabulary slugs, numbers and tool slugs. A plan goes with its
account.

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_plans_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_plans")),
    )
    op.create_index(op.f("ix_saved_plans_user_id"), "saved_plans", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_plans_user_id"), table_name="saved_plans")
    op.drop_table("saved_plans")
