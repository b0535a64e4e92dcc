"""Supports ordering and comment moderation.

Supports: positions renumbered 0..n-1 per tool (older rows could share a position), so that
moving one up or down is a plain swap. Comments: officers' reports and curators' decisions.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        UPDATE supports SET position = ordered.rank
        FROM (SELECT id, row_number() OVER (PARTITION BY tool_id ORDER BY position, id) - 1 AS rank
              FROM supports) AS ordered
        WHERE supports.id = ordered.id AND supports.position <> ordered.rank
    """)
    op.create_index("ix_supports_tool_position", "supports", ["tool_id", "position"])
    op.create_table(
        "comment_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('hide','show')", name=op.f("ck_comment_decisions_action_known")),
        sa.CheckConstraint("action <> 'hide' OR length(btrim(reason)) > 0",
                           name=op.f("ck_comment_decisions_hide_has_reason")),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_decisions_feedback_id_feedback")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_comment_decisions_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_decisions")),
    )
    op.create_index("ix_comment_decisions_feedback_latest", "comment_decisions", ["feedback_id", "id"])
    op.create_table(
        "comment_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_reports_feedback_id_feedback")),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_reports_reporter_id_users")),
        sa.ForeignKeyConstraint(["decision_id"], ["comment_decisions.id"], ondelete="SET NULL",
                                name=op.f("fk_comment_reports_decision_id_comment_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_reports")),
    )
    # one open report per officer and comment; after a decision the officer may report again
    op.create_index("uq_comment_reports_open_feedback_reporter", "comment_reports",
                    ["feedback_id", "reporter_id"], unique=True,
                    postgresql_where=sa.text("decision_id IS NULL"))
    op.create_index(op.f("ix_comment_reports_feedback_id"), "comment_reports", ["feedback_id"])
    op.create_index(op.f("ix_comment_reports_decision_id"), "comment_reports", ["decision_id"])
    # the curators' queue: open reports
    op.create_index("ix_comment_reports_open", "comment_reports", ["created_at"],
                    postgresql_where=sa.text("decision_id IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_comment_reports_open", table_name="comment_reports")
    op.drop_index("uq_comment_reports_open_feedback_reporter", table_name="comment_reports")
    op.drop_index(op.f("ix_comment_reports_decision_id"), table_name="comment_reports")
    op.drop_index(op.f("ix_comment_reports_feedback_id"), table_name="comment_reports")
    op.drop_table("comment_reports")
    op.drop_index("ix_comment_decisions_feedback_latest", table_name="comment_decisions")
    op.drop_table("comment_decisions")
    op.drop_index("ix_supports_tool_position", table_name="supports")
