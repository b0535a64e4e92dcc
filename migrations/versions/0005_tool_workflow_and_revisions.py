"""Back office: a tool's workflow steps and its revisions.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tool_workflow_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tool_id"], ["tools.id"], ondelete="CASCADE",
                                name=op.f("fk_tool_workflow_steps_tool_id_tools")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_tool_workflow_steps_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_workflow_steps")),
    )
    op.create_index(op.f("ix_tool_workflow_steps_tool_id"), "tool_workflow_steps", ["tool_id"])
    op.create_table(
        "tool_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("changed_fields", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tool_id"], ["tools.id"], ondelete="CASCADE",
                                name=op.f("fk_tool_revisions_tool_id_tools")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_tool_revisions_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_revisions")),
        sa.UniqueConstraint("tool_id", "number", name="uq_tool_revisions_tool_number"),
    )
    op.create_index(op.f("ix_tool_revisions_tool_id"), "tool_revisions", ["tool_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tool_revisions_tool_id"), table_name="tool_revisions")
    op.drop_table("tool_revisions")
    op.drop_index(op.f("ix_tool_workflow_steps_tool_id"), table_name="tool_workflow_steps")
    op.drop_table("tool_workflow_steps")
