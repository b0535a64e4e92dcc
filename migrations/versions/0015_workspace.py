"""The officer's workspace: favourites with a note, followed risk factors, last downloads of a
tool's supports, news per tool and each officer's alerts.

`tool_news` starts from what the catalogue already knows: a published tool's last publication
step (or its creation), its last edit, and its newest support. From now on a session hook keeps
it (app.workspace.news). Nothing about a person on probation is stored; the note is checked for
identifying details before it is written.

Revision ID: 0015
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def _tool_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tool_id"], ["tools.id"], name=op.f(f"fk_{table}_tool_id_tools"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "favourites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note_updated_at", sa.DateTime(timezone=True), nullable=True),
        _tool_fk("favourites"),
        _user_fk("favourites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourites")),
        sa.UniqueConstraint("user_id", "tool_id", name="uq_favourites_user_tool"),
    )
    op.create_index(op.f("ix_favourites_tool_id"), "favourites", ["tool_id"])
    op.create_table(
        "factor_follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("risk_factor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["risk_factor_id"],
            ["risk_factors.id"],
            name=op.f("fk_factor_follows_risk_factor_id_risk_factors"),
            ondelete="CASCADE",
        ),
        _user_fk("factor_follows"),
        sa.PrimaryKeyConstraint("user_id", "risk_factor_id", name=op.f("pk_factor_follows")),
    )
    op.create_index(
        op.f("ix_factor_follows_risk_factor_id"), "factor_follows", ["risk_factor_id"]
    )
    op.create_table(
        "support_downloads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        _tool_fk("support_downloads"),
        _user_fk("support_downloads"),
        sa.PrimaryKeyConstraint("user_id", "tool_id", name=op.f("pk_support_downloads")),
    )
    op.create_index(op.f("ix_support_downloads_tool_id"), "support_downloads", ["tool_id"])
    op.create_table(
        "tool_news",
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supports_changed_at", sa.DateTime(timezone=True), nullable=True),
        _tool_fk("tool_news"),
        sa.PrimaryKeyConstraint("tool_id", name=op.f("pk_tool_news")),
    )
    op.create_index(op.f("ix_tool_news_changed_at"), "tool_news", ["changed_at"])
    op.create_table(
        "officer_alerts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("news_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("digest_sent_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("officer_alerts"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_officer_alerts")),
    )
    op.execute(
        """
        INSERT INTO tool_news (tool_id, published_at, changed_at, supports_changed_at)
        SELECT t.id, p.published_at,
               GREATEST(t.updated_at, p.published_at, s.supports_changed_at),
               s.supports_changed_at
        FROM tools t
        LEFT JOIN (
            SELECT tool_id, max(created_at) AS published_at
            FROM tool_workflow_steps WHERE to_status = 'published' GROUP BY tool_id
        ) p ON p.tool_id = t.id
        LEFT JOIN (
            SELECT tool_id, max(created_at) AS supports_changed_at FROM supports GROUP BY tool_id
        ) s ON s.tool_id = t.id
        """
    )


def downgrade() -> None:
    op.drop_table("officer_alerts")
    op.drop_index(op.f("ix_tool_news_changed_at"), table_name="tool_news")
    op.drop_table("tool_news")
    op.drop_index(op.f("ix_support_downloads_tool_id"), table_name="support_downloads")
    op.drop_table("support_downloads")
    op.drop_index(op.f("ix_factor_follows_risk_factor_id"), table_name="factor_follows")
    op.drop_table("factor_follows")
    op.drop_index(op.f("ix_favourites_tool_id"), table_name="favourites")
    op.drop_table("favourites")
