"""Reference data: the seven dynamic risk factors, with their labels and synonyms.

They arrive with the schema, so an empty database already knows them; curators edit them later
(existing rows are left untouched).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from app.core.vocabulary import RISK_FACTORS

    table = sa.table(
        "risk_factors", sa.column("slug", sa.String), sa.column("label", sa.String),
        sa.column("description", sa.Text), sa.column("synonyms", postgresql.ARRAY(sa.String)),
        sa.column("position", sa.Integer),
    )
    connection = op.get_bind()
    existing = {row[0] for row in connection.execute(sa.text("SELECT slug FROM risk_factors"))}
    rows = [
        {"slug": f.slug, "label": f.label, "description": f.description,
         "synonyms": list(f.synonyms), "position": position}
        for position, f in enumerate(RISK_FACTORS) if f.slug not in existing
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    pass
