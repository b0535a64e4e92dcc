"""Risk factors reach the index: the outbox also queues the index settings.

A curator's edit of a factor's synonyms changes the index *settings*, not a document. To be as
durable as a tool edit, it travels through the same outbox: a row of kind 'settings' (no tool),
written in the same transaction as the edit, pushed by the request or by `romin index worker`.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("index_outbox", sa.Column("kind", sa.String(length=20), nullable=False,
                                            server_default="tool"))
    op.alter_column("index_outbox", "tool_id", existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(
        "kind_and_tool", "index_outbox",
        "(kind = 'tool' AND tool_id IS NOT NULL) OR (kind = 'settings' AND tool_id IS NULL)")


def downgrade() -> None:
    op.execute("DELETE FROM index_outbox WHERE kind = 'settings'")
    op.drop_constraint(op.f("ck_index_outbox_kind_and_tool"), "index_outbox", type_="check")
    op.alter_column("index_outbox", "tool_id", existing_type=sa.Integer(), nullable=False)
    op.drop_column("index_outbox", "kind")
