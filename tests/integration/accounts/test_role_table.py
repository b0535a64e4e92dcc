"""Every route, every role, against the written role table: deny by default.

The table below is the reference. A route missing from it fails the test, and so does a route
whose answer to a role differs from the table. "public" pages hold nothing personal (the
catalogue); everything else needs a role. Curators, staff and admins may do all an agent may;
admins may do everything.
"""

from __future__ import annotations

import pytest

from app.db import db
from app.models import User

# (method, rule) -> the least role allowed ("public": anyone, signed in or not)
ROLE_TABLE = {
    ("GET", "/"): "public",
    ("GET", "/recherche"): "public",
    ("GET", "/outils/<slug>"): "public",
    ("GET", "/outils/<slug>/supports/<int:support_id>/<filename>"): "public",
    ("POST", "/outils/<slug>/avis"): "agent",
    ("GET", "/connexion"): "public",
    ("POST", "/connexion"): "public",
    ("POST", "/deconnexion"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/dsfr/<path:filename>"): "public",
    ("GET", "/static/<path:filename>"): "public",
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/risk-factors"): "agent",
    ("GET", "/api/v1/search"): "agent",
    ("POST", "/api/v1/tools"): "curator",
    ("GET", "/api/v1/tools/<slug>"): "agent",
    ("PATCH", "/api/v1/tools/<slug>"): "curator",
    ("POST", "/api/v1/tools/<slug>/feedback"): "agent",
    ("GET", "/api/v1/ranking/weights"): "agent",
    ("PUT", "/api/v1/ranking/weights"): "staff",
    ("POST", "/api/v1/ranking/preview"): "staff",
    ("GET", "/pilotage/classement"): "staff",
    ("POST", "/pilotage/classement"): "staff",
    ("POST", "/pilotage/classement/apercu"): "staff",
    ("GET", "/pilotage/classement/historique"): "staff",
    ("POST", "/pilotage/classement/historique/<int:version_id>/retablir"): "staff",
    ("GET", "/pilotage/statistiques"): "staff",
    ("GET", "/pilotage/statistiques/<name>.csv"): "staff",
    ("GET", "/pilotage/outils/<slug>/statistiques"): "curator",
    ("GET", "/pilotage/outils/<slug>/statistiques/<name>.csv"): "curator",
    # -- back office: tools, workflow, revisions --
    ("GET", "/gestion/outils"): "curator",
    ("GET", "/gestion/outils/nouveau"): "curator",
    ("POST", "/gestion/outils/nouveau"): "curator",
    ("GET", "/gestion/outils/<slug>"): "curator",
    ("GET", "/gestion/outils/<slug>/modifier"): "curator",
    ("POST", "/gestion/outils/<slug>/modifier"): "curator",
    ("GET", "/gestion/outils/<slug>/apercu"): "curator",
    ("POST", "/gestion/outils/<slug>/statut"): "curator",
    ("GET", "/gestion/outils/<slug>/historique"): "curator",
    ("GET", "/gestion/outils/<slug>/historique/<int:number>"): "curator",
    ("POST", "/gestion/outils/<slug>/historique/<int:number>/restaurer"): "curator",
    # -- back office: supports and comment moderation --
    ("GET", "/gestion/outils/<slug>/supports"): "curator",
    ("POST", "/gestion/outils/<slug>/supports"): "curator",
    ("POST", "/gestion/outils/<slug>/supports/<int:support_id>/modifier"): "curator",
    ("POST", "/gestion/outils/<slug>/supports/<int:support_id>/deplacer"): "curator",
    ("GET", "/gestion/outils/<slug>/supports/<int:support_id>/supprimer"): "curator",
    ("POST", "/gestion/outils/<slug>/supports/<int:support_id>/supprimer"): "curator",
    ("POST", "/outils/<slug>/avis/<int:feedback_id>/signaler"): "agent",
    ("GET", "/gestion/commentaires"): "curator",
    ("POST", "/gestion/commentaires/<int:feedback_id>/masquer"): "curator",
    ("POST", "/gestion/commentaires/<int:feedback_id>/retablir"): "curator",
    # -- back office: risk factors; export --
    ("GET", "/gestion/facteurs"): "curator",
    ("GET", "/gestion/facteurs/<slug>"): "curator",
    ("POST", "/gestion/facteurs/<slug>"): "curator",
    # -- back office: index health --
    ("GET", "/gestion/index"): "curator",
    ("POST", "/gestion/index/reconstruction"): "curator",
    ("POST", "/gestion/index/reessayer"): "curator",
    # -- ProConnect and admin --
    ("GET", "/connexion/proconnect"): "public",
    ("GET", "/connexion/proconnect/retour"): "public",
    ("GET", "/deconnexion/fin"): "public",
    ("GET", "/admin/comptes"): "admin",
    ("POST", "/admin/comptes/<int:user_id>/role"): "admin",
    ("POST", "/admin/comptes/<int:user_id>/statut"): "admin",
    # -- the officer's workspace: favourites, news, alerts (the e-mail's unsubscribe link
    # needs no sign-in: its signed token is the proof) --
    ("GET", "/ma-boite-a-outils"): "agent",
    ("POST", "/ma-boite-a-outils/ajouter"): "agent",
    ("POST", "/ma-boite-a-outils/retirer"): "agent",
    ("GET", "/ma-boite-a-outils/<slug>/note"): "agent",
    ("POST", "/ma-boite-a-outils/<slug>/note"): "agent",
    ("GET", "/nouveautes"): "agent",
    ("POST", "/nouveautes/facteurs"): "agent",
    ("POST", "/nouveautes/suivre"): "agent",
    ("POST", "/nouveautes/ne-plus-suivre"): "agent",
    ("GET", "/alertes/desabonnement/<token>"): "public",
    ("POST", "/alertes/desabonnement/<token>"): "public",
    # -- the officer's workspace: plans and session packs --
    ("GET", "/plan"): "agent",
    ("GET", "/plan/plan.pdf"): "agent",
    ("GET", "/plan/dossier-de-seance.pdf"): "agent",
    ("GET", "/mes-plans"): "agent",
    ("POST", "/mes-plans"): "agent",
    ("GET", "/mes-plans/<int:plan_id>"): "agent",
    ("POST", "/mes-plans/<int:plan_id>"): "agent",
    ("POST", "/mes-plans/<int:plan_id>/supprimer"): "agent",
    ("GET", "/dossier-de-seance"): "agent",
    ("GET", "/dossier-de-seance.pdf"): "agent",
}
ROLES = ("anonymous", "agent", "curator", "staff", "admin")
GRANTS = {
    "public": set(ROLES),
    "agent": {"agent", "curator", "staff", "admin"},
    "curator": {"curator", "admin"},
    "staff": {"staff", "admin"},
    "admin": {"admin"},
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def test_the_table_lists_every_route_and_nothing_else(app):
    assert {(m, r.rule) for m, r in _routes(app)} == set(ROLE_TABLE)


@pytest.fixture
def sample(app, make_tool):
    """Real values for the routes' parameters: a published tool with a support."""
    from fpdf import FPDF

    from app.catalogue.supports import add_support

    pdf = FPDF()
    pdf.add_page()
    tool = make_tool()
    with app.app_context():
        support = add_support(db.session, db.session.merge(tool), "fiche.pdf", bytes(pdf.output()))
        from app.accounts.service import create_user
        from app.feedback.ratings import rate

        author = create_user(db.session, "auteur-echantillon@justice.test", "agent", None)
        feedback = rate(db.session, db.session.merge(tool), author, rating=4, comment="Utile.")
        db.session.commit()
        return {
            "slug": tool.slug,
            "support_id": support.id,
            "filename": support.filename,
            "path:filename": "dsfr.min.css",
            "int:version_id": 1,
            "name": "inconnu",
            "int:support_id": support.id,
            "int:number": 1,
            "int:feedback_id": feedback.id,
            "int:user_id": author.id,
            "int:plan_id": 1,
        }


def _url(rule: str, sample: dict) -> str:
    url = rule.replace("/static/<path:filename>", "/static/romin.css")
    for key, value in sample.items():
        url = url.replace(f"<{key}>", str(value))
    return url


def _sign_in(app, client, user):
    """A cookie as signing in writes it, with the account's current session version
    (POST /deconnexion, in the table, ends the account's sessions)."""
    with app.app_context():
        version = db.session.get(User, user.id).session_version
    with client.session_transaction() as session:
        session["uid"], session["sv"] = user.id, version


def test_every_route_answers_every_role_as_the_table_says(app, sample, make_user, token_for):
    users = {role: make_user(role) for role in ROLES if role != "anonymous"}
    tokens = {role: token_for(user) for role, user in users.items()}
    problems = []
    for method, rule in _routes(app):
        least = ROLE_TABLE[(method, rule.rule)]
        url = _url(rule.rule, sample)
        for role in ROLES:
            client = app.test_client()
            headers = {}
            if role != "anonymous":
                if url.startswith("/api/"):
                    headers = tokens[role]
                else:
                    _sign_in(app, client, users[role])
            response = client.open(
                url,
                method=method,
                headers=headers,
                json={} if url.startswith("/api/") and method != "GET" else None,
            )
            to_login = response.status_code in (302, 303) and "/connexion" in response.headers.get(
                "Location", ""
            )
            refused = response.status_code in (401, 403) or to_login
            allowed = role in GRANTS[least]
            if allowed == refused or response.status_code >= 500:
                problems.append(f"{method} {rule.rule} as {role}: {response.status_code}")
    assert problems == []
