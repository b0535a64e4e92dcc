"""The prior every stored score was computed against (catalogue mean, smoothing strength, reference date).

Scores are smoothed toward the catalogue's mean rating and their freshness is measured against a
reference date. Until now each new rating recomputed its own tool against the mean *of that
moment* and today's date, while other tools kept older ones, so the order of two tools depended on
the order ratings arrived in. `score_priors` stores the prior instead: a row is appended whenever
every score is recomputed together (weights saved, `romin scores refresh`, `romin seed`), and a
single tool (a new rating, an edit) is scored against the latest row.

The upgrade stores a first prior from the catalogue as it is (mean of every rating, the smoothing
strengths of the weights in force, today). Scores stored before it were computed against older,
differing means: run `romin scores refresh` after upgrading (the nightly job does) to put every
score on it.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_priors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue_mean", sa.Float(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("prior_strength", sa.Float(), nullable=False),
        sa.Column("factor_prior_strength", sa.Float(), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("weights_version_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["weights_version_id"],
            ["ranking_weights.id"],
            name=op.f("fk_score_priors_weights_version_id_ranking_weights"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_priors")),
    )
    # The first prior: what a refresh would store now (3.5 and 5 / 3 are the defaults in code,
    # app.catalogue.scores.EMPTY_CATALOGUE_MEAN and ranking.weights.Weights).
    op.execute(
        """
        INSERT INTO score_priors (catalogue_mean, rating_count, prior_strength,
            factor_prior_strength, reference_date, weights_version_id, reason, created_at)
        SELECT coalesce((SELECT avg(rating) FROM feedback), 3.5),
               (SELECT count(*) FROM feedback),
               coalesce((w.values ->> 'prior_strength')::float, 5.0),
               coalesce((w.values ->> 'factor_prior_strength')::float, 3.0),
               current_date, w.id, 'migration', now()
        FROM (SELECT 1) AS one
        LEFT JOIN (SELECT id, values FROM ranking_weights ORDER BY id DESC LIMIT 1) AS w ON true
        """
    )


def downgrade() -> None:
    op.drop_table("score_priors")
