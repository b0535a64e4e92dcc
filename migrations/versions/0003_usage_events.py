"""usage events and their daily roll-up

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("risk_factor", sa.String(length=40), nullable=True),
        sa.Column(
            "facets",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("text_typed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("tool_id", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "kind IN ('search','view','download','feedback')",
            name=op.f("ck_usage_events_kind_known"),
        ),
        sa.CheckConstraint(
            "search_text IS NULL OR (kind = 'search' AND results = 0)",
            name=op.f("ck_usage_events_text_only_when_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["tools.id"],
            ondelete="SET NULL",
            name=op.f("fk_usage_events_tool_id_tools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    op.create_index(op.f("ix_usage_events_occurred_at"), "usage_events", ["occurred_at"])
    op.create_index(op.f("ix_usage_events_tool_id"), "usage_events", ["tool_id"])
    op.create_index("ix_usage_events_kind_occurred_at", "usage_events", ["kind", "occurred_at"])
    op.create_index(
        "ix_usage_events_empty_searches",
        "usage_events",
        ["occurred_at"],
        postgresql_where=sa.text("kind = 'search' AND results = 0"),
    )

    op.create_table(
        "usage_daily",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("risk_factor", sa.String(length=40), nullable=True),
        sa.Column("tool_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["tools.id"],
            ondelete="SET NULL",
            name=op.f("fk_usage_daily_tool_id_tools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_daily")),
    )
    op.create_index("ix_usage_daily_day_kind", "usage_daily", ["day", "kind"])
    op.create_index("ix_usage_daily_tool_id_day", "usage_daily", ["tool_id", "day"])

    op.create_table(
        "usage_daily_factors",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("risk_factor", sa.String(length=40), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_daily_factors")),
    )
    op.create_index("ix_usage_daily_factors_day_kind", "usage_daily_factors", ["day", "kind"])

    op.create_table(
        "usage_daily_tools",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["tools.id"],
            ondelete="SET NULL",
            name=op.f("fk_usage_daily_tools_tool_id_tools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_daily_tools")),
    )
    op.create_index(
        "ix_usage_daily_tools_kind_day",
        "usage_daily_tools",
        ["kind", "day"],
        postgresql_include=["tool_id", "count"],
    )
    op.create_index("ix_usage_daily_tools_tool_id_day", "usage_daily_tools", ["tool_id", "day"])


def downgrade() -> None:
    op.drop_table("usage_daily_tools")
    op.drop_table("usage_daily_factors")
    op.drop_table("usage_daily")
    op.drop_table("usage_events")
