"""Index jobs: background rebuilds with their progress; one running job per kind.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_by_label", sa.String(length=254), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('running','succeeded','failed')",
                           name=op.f("ck_index_jobs_state_known")),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"],
                                name=op.f("fk_index_jobs_started_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_jobs")),
    )
    op.create_index("uq_index_jobs_one_running", "index_jobs", ["kind"], unique=True,
                    postgresql_where=sa.text("state = 'running'"))
    op.create_index(op.f("ix_index_jobs_started_at"), "index_jobs", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_index_jobs_started_at"), table_name="index_jobs")
    op.drop_index("uq_index_jobs_one_running", table_name="index_jobs")
    op.drop_table("index_jobs")
