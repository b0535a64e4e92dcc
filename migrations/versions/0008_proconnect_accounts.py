"""ProConnect accounts: the provider's stable subject, the agent's SIRET, the last sign-in.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `sub` is what ProConnect promises stable for an agent; the e-mail may change.
    op.add_column("users", sa.Column("oidc_sub", sa.String(length=255), nullable=True))
    op.add_column("users", sa.Column("siret", sa.String(length=14), nullable=True))
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint(op.f("uq_users_oidc_sub"), "users", ["oidc_sub"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_users_oidc_sub"), "users", type_="unique")
    op.drop_column("users", "last_login_at")
    op.drop_column("users", "siret")
    op.drop_column("users", "oidc_sub")
