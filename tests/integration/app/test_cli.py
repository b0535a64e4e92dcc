"""The `romin` commands, run through Click as an operator would."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import db
from app.models import Feedback, Support, Tool, User


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_seed_is_idempotent_and_covers_the_catalogue(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    counts = {m: _count(app, m) for m in (Tool, Support, Feedback)}
    assert counts[Tool] >= 40 and counts[Support] >= 15 and counts[Feedback] >= 90
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0 and "0 outil(s) créé(s)" in second.output
    assert {m: _count(app, m) for m in (Tool, Support, Feedback)} == counts
    with app.app_context():
        tools = db.session.scalars(select(Tool)).all()
        for factor in (
            "attitudes",
            "personnalite",
            "entourage",
            "loisirs",
            "famille",
            "emploi",
            "addictions",
        ):
            assert sum(factor in t.risk_factor_slugs for t in tools) >= 4, factor
        assert {t.evidence_level for t in tools} == {0, 1, 2, 3, 4}
        assert {t.kind for t in tools} >= {"outil", "methode", "programme"}
        assert all(t.status == "published" and t.scores.get("_") for t in tools)
        demo_users = db.session.scalars(select(User).where(User.is_demo)).all()
        assert demo_users and not any(u.is_active or u.password_hash for u in demo_users)


def test_rebuild_and_status(app):
    runner = app.test_cli_runner()
    with app.app_context():
        from app.catalogue.service import save_tool

        save_tool(
            db.session,
            {
                "title": "Outil indexé",
                "summary": "s",
                "risk_factors": ["loisirs"],
                "status": "published",
            },
        )
        db.session.commit()
    rebuilt = runner.invoke(args=["index", "rebuild"])
    assert rebuilt.exit_code == 0 and "1 outil(s) publiés indexés" in rebuilt.output
    status = runner.invoke(args=["index", "status"])
    assert status.exit_code == 0, status.output
    assert (
        "Outils publiés (PostgreSQL) : 1" in status.output
        and "Documents dans l'index     : 1" in status.output
    )


def test_rebuild_fails_loudly_when_meilisearch_is_unreachable(app_factory):
    app = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.3)
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code != 0 and "Échec" in result.output


def test_user_and_token_creation(app, client):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["user", "create", "cpip@justice.test", "--role", "agent"],
        input="un mot de passe solide\n",
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        args=["user", "create", "CPIP@justice.test"], input="un mot de passe solide\n"
    )
    assert duplicate.exit_code != 0 and "existe déjà" in duplicate.output
    weak = runner.invoke(args=["user", "create", "autre@justice.test"], input="court\n")
    assert weak.exit_code != 0 and "12 caractères" in weak.output
    token = (
        runner.invoke(args=["token", "create", "cpip@justice.test"]).output.strip().splitlines()[-1]
    )
    assert token.startswith("romin_")
    response = client.get("/api/v1/risk-factors", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with app.app_context():
        from app.models import ApiToken

        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        assert token not in stored and all(len(h) == 64 for h in stored)
        user = db.session.scalar(select(User).where(User.email == "cpip@justice.test"))
        assert user.password_hash.startswith("$argon2")


def test_scores_refresh_recomputes_against_todays_catalogue_mean(app, make_tool, make_user):
    from app.feedback import ratings as feedback_service

    first = make_tool(title="Premier")
    second = make_tool(title="Second")
    with app.app_context():
        for _ in range(5):
            feedback_service.rate(db.session, db.session.merge(second), make_user(), rating=1)
        db.session.commit()
        stale = db.session.get(Tool, first.id).scores["_"]
    result = app.test_cli_runner().invoke(args=["scores", "refresh"])
    assert result.exit_code == 0 and "outil(s) recalculé(s)" in result.output
    with app.app_context():
        assert db.session.get(Tool, first.id).scores["_"] < stale  # the mean fell to 1
