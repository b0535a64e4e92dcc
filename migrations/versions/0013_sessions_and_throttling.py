"""Sessions that end, and throttling counters.

`users.session_version` is signed into each session cookie and bumped by signing out, a role
change or a deactivation: every cookie issued before stops working at once. Existing accounts
start at 1, so the cookies issued before this release (which carry no version: read as 0) end
with it. `rate_limit_counters` holds Flask-Limiter's fixed windows, shared by every worker;
UNLOGGED, as losing them in a crash only resets the windows.

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.execute("UPDATE users SET session_version = 1")
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_rate_limit_counters_expires_at"), "rate_limit_counters", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_counters_expires_at"), table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
    op.drop_column("users", "session_version")
