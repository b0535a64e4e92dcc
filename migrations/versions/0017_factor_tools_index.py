"""An index on tool_risk_factors(risk_factor_id): a factor's tools are read by factor (the
Nouveautés count of followed factors, the degraded search), and the primary key leads with the
tool.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tool_risk_factors_risk_factor_id", "tool_risk_factors", ["risk_factor_id"])


def downgrade() -> None:
    op.drop_index("ix_tool_risk_factors_risk_factor_id", table_name="tool_risk_factors")
