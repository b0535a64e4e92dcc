"""The index outbox: changes to push to Meilisearch, written with the change itself.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_outbox",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("parked", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_outbox")),
    )
    op.create_index(op.f("ix_index_outbox_tool_id"), "index_outbox", ["tool_id"])
    op.create_index("ix_index_outbox_due", "index_outbox", ["next_attempt_at"],
                    postgresql_where=sa.text("done_at IS NULL AND NOT parked"))


def downgrade() -> None:
    op.drop_index("ix_index_outbox_due", table_name="index_outbox")
    op.drop_index(op.f("ix_index_outbox_tool_id"), table_name="index_outbox")
    op.drop_table("index_outbox")
