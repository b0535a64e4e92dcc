"""Evidence level and references per risk factor of a tool; harm shown for a non-recommended tool.

A tool's evidence is often about one of its factors only: motivational interviewing is
demonstrated for addictions, merely grounded in a model for employment. The evidence per factor
lives on the link itself, `tool_risk_factors`, as two nullable columns: `evidence_level` (NULL:
the tool's own level) and `references` (NULL: the tool's own references). On the link, not in a
table of its own, because it exists exactly when the link does: removing a factor from a tool
removes its evidence with it, and a factor added starts from the tool's level, with no extra
row to keep in step. Existing links get NULL, so every factor keeps the tool's level and no
score changes.

`tools.harm_evidence` says how strong the evidence against a *non recommandé* tool is: `none`
(no effect shown, or not said), `suspected`, `shown` (harm demonstrated, e.g. Scared Straight).
Existing tools get `none`.

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tool_risk_factors", sa.Column("evidence_level", sa.Integer(), nullable=True))
    op.add_column("tool_risk_factors", sa.Column("references", sa.ARRAY(sa.Text()), nullable=True))
    op.create_check_constraint(
        op.f("ck_tool_risk_factors_evidence_level_range"),
        "tool_risk_factors",
        "evidence_level BETWEEN 0 AND 4",
    )
    op.add_column(
        "tools",
        sa.Column("harm_evidence", sa.String(length=20), server_default="none", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_tools_harm_evidence_known"),
        "tools",
        "harm_evidence IN ('none','suspected','shown')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_tools_harm_evidence_known"), "tools", type_="check")
    op.drop_column("tools", "harm_evidence")
    op.drop_constraint(
        op.f("ck_tool_risk_factors_evidence_level_range"), "tool_risk_factors", type_="check"
    )
    op.drop_column("tool_risk_factors", "references")
    op.drop_column("tool_risk_factors", "evidence_level")
