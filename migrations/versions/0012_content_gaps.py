"""Content gaps in the usage statistics: searches whose words match no tool of the resolved filters.

A search event says whether it was a content gap (its words ranked within the factor, stage or
phase it named and matched none of their tools, though tools were shown); such a search keeps
its cut text like a search that found nothing. The daily roll-ups count the gaps, so that their
number per factor outlives the events.

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "usage_events",
        sa.Column("content_gap", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.drop_constraint(op.f("ck_usage_events_text_only_when_empty"), "usage_events", type_="check")
    op.create_check_constraint(
        op.f("ck_usage_events_text_only_when_unmatched"),
        "usage_events",
        "search_text IS NULL OR (kind = 'search' AND (results = 0 OR content_gap))",
    )
    op.create_check_constraint(
        op.f("ck_usage_events_content_gap_only_on_search"),
        "usage_events",
        "NOT content_gap OR kind = 'search'",
    )
    op.create_index(
        "ix_usage_events_content_gaps",
        "usage_events",
        ["occurred_at"],
        postgresql_where=sa.text("content_gap"),
    )
    for table in ("usage_daily", "usage_daily_factors"):
        op.add_column(
            table,
            sa.Column("content_gaps", sa.Integer(), server_default=sa.text("0"), nullable=False),
        )


def downgrade() -> None:
    for table in ("usage_daily_factors", "usage_daily"):
        op.drop_column(table, "content_gaps")
    op.drop_index("ix_usage_events_content_gaps", table_name="usage_events")
    op.drop_constraint(
        op.f("ck_usage_events_content_gap_only_on_search"), "usage_events", type_="check"
    )
    op.drop_constraint(
        op.f("ck_usage_events_text_only_when_unmatched"), "usage_events", type_="check"
    )
    # a gap's text would break the old rule: it goes with the flag
    op.execute("UPDATE usage_events SET search_text = NULL WHERE content_gap AND results <> 0")
    op.create_check_constraint(
        op.f("ck_usage_events_text_only_when_empty"),
        "usage_events",
        "search_text IS NULL OR (kind = 'search' AND results = 0)",
    )
    op.drop_column("usage_events", "content_gap")
