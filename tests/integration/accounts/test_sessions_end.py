"""Sessions end for real: signing out, a deactivation or a role change ends the account's
session cookies on the server, at their next request; API tokens follow a role change or a
deactivation at their next request (no cache)."""

from __future__ import annotations

import psycopg
from alembic import command
from private_services import app_config, dedicated_database
from sqlalchemy import event

from app.db import db
from app.db_commands import alembic_config
from app.factory import create_app

PASSWORD = "un mot de passe solide"
ADD_ACCOUNT = (
    "INSERT INTO users (email, display_name, role, service, is_active, is_demo, created_at) "
    "VALUES (%s, '', 'agent', '', true, false, now())"
)


def _sign_in(app, user):
    """A browser that signed in through the password form, as a person would."""
    client = app.test_client()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def _copy(app, client):
    """Another browser holding a copy of `client`'s session cookie, saved now."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    return copy


def _to_sign_in_page(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def _admin(app, make_user):
    return _sign_in(app, make_user("admin", password=PASSWORD))


def test_a_cookie_saved_before_signing_out_lands_on_the_sign_in_page(app, make_user):
    curator = make_user("curator", password=PASSWORD)
    browser = _sign_in(app, curator)
    saved = _copy(app, browser)
    other_device = _sign_in(app, curator)
    assert saved.get("/gestion/outils").status_code == 200  # the copy works while signed in

    assert browser.post("/deconnexion").status_code == 303
    replayed = saved.get("/gestion/outils")
    assert _to_sign_in_page(replayed), replayed.status_code
    assert "Se déconnecter" not in saved.get("/recherche").get_data(as_text=True)
    # signing out ends the account's sessions on every device (documented in app.accounts.auth)
    assert _to_sign_in_page(other_device.get("/gestion/outils"))
    # signing in again opens a new session
    assert _sign_in(app, curator).get("/gestion/outils").status_code == 200


def test_a_deactivated_accounts_cookie_and_token_are_refused_at_once(app, make_user, token_for):
    agent = make_user("agent", password=PASSWORD)
    browser, token = _sign_in(app, agent), token_for(agent)
    saved = _copy(app, browser)
    assert "Se déconnecter" in saved.get("/recherche").get_data(as_text=True)
    assert app.test_client().get("/api/v1/risk-factors", headers=token).status_code == 200

    admin = _admin(app, make_user)
    response = admin.post(f"/admin/comptes/{agent.id}/statut", data={"action": "desactiver"})
    assert response.status_code == 303
    assert "Se déconnecter" not in saved.get("/recherche").get_data(as_text=True)
    assert app.test_client().get("/api/v1/risk-factors", headers=token).status_code == 401

    # reactivated: the token works again, the sessions of before stay ended
    response = admin.post(f"/admin/comptes/{agent.id}/statut", data={"action": "reactiver"})
    assert response.status_code == 303
    assert app.test_client().get("/api/v1/risk-factors", headers=token).status_code == 200
    assert "Se déconnecter" not in browser.get("/recherche").get_data(as_text=True)


def test_a_demoted_curators_token_loses_curator_rights_at_once(app, make_user, token_for):
    curator = make_user("curator", password=PASSWORD)
    token, browser = token_for(curator), _sign_in(app, curator)
    api = app.test_client()
    # a curator's write is validated (422: the body is empty), an agent's is refused (403)
    assert api.post("/api/v1/tools", json={}, headers=token).status_code == 422
    assert browser.get("/gestion/outils").status_code == 200

    admin = _admin(app, make_user)
    page = admin.get("/admin/comptes").get_data(as_text=True)
    assert "ferme aussitôt ses sessions ouvertes" in page  # the admin is told before choosing
    response = admin.post(f"/admin/comptes/{curator.id}/role", data={"role": "agent"})
    assert response.status_code == 303
    assert api.post("/api/v1/tools", json={}, headers=token).status_code == 403
    assert api.get("/api/v1/risk-factors", headers=token).status_code == 200  # still an agent
    # the role change ended the session: signing in again gives the new role
    assert _to_sign_in_page(browser.get("/gestion/outils"))
    assert _sign_in(app, curator).get("/gestion/outils").status_code == 403


def test_romin_user_commands_end_sessions_and_token_rights_at_once(app, make_user, token_for):
    curator = make_user("curator", password=PASSWORD)
    token, browser = token_for(curator), _sign_in(app, curator)
    api, runner = app.test_client(), app.test_cli_runner()

    demoted = runner.invoke(args=["user", "role", curator.email, "agent"])
    assert demoted.exit_code == 0 and "a désormais le rôle agent" in demoted.output
    assert api.post("/api/v1/tools", json={}, headers=token).status_code == 403
    assert _to_sign_in_page(browser.get("/gestion/outils"))

    browser = _sign_in(app, curator)
    assert browser.get("/recherche").status_code == 200
    signed_out = runner.invoke(args=["user", "sign-out", curator.email])
    assert signed_out.exit_code == 0, signed_out.output
    assert "Se déconnecter" not in browser.get("/recherche").get_data(as_text=True)
    assert api.get("/api/v1/risk-factors", headers=token).status_code == 200  # tokens stay

    browser = _sign_in(app, curator)
    off = runner.invoke(args=["user", "deactivate", curator.email])
    assert off.exit_code == 0, off.output
    assert api.get("/api/v1/risk-factors", headers=token).status_code == 401
    assert "Se déconnecter" not in browser.get("/recherche").get_data(as_text=True)
    assert runner.invoke(args=["user", "activate", curator.email]).exit_code == 0
    assert api.get("/api/v1/risk-factors", headers=token).status_code == 200
    missing = runner.invoke(args=["user", "role", "personne@justice.test", "admin"])
    assert missing.exit_code == 1 and "Aucun compte" in missing.output


def test_an_unchanged_role_or_status_ends_no_session(app, make_user):
    agent = make_user("agent", password=PASSWORD)
    browser = _sign_in(app, agent)
    admin = _admin(app, make_user)
    assert admin.post(f"/admin/comptes/{agent.id}/role", data={"role": "agent"}).status_code == 303
    response = admin.post(f"/admin/comptes/{agent.id}/statut", data={"action": "reactiver"})
    assert response.status_code == 303
    assert "Se déconnecter" in browser.get("/recherche").get_data(as_text=True)


def test_the_session_version_costs_no_query_of_its_own(app, make_user):
    """The version is compared with the account row the request loads anyway: a signed-in
    page reads `users` once."""
    curator = make_user("curator", password=PASSWORD)
    browser = _sign_in(app, curator)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert browser.get("/gestion/outils").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    from_users = [s for s in statements if "FROM users" in s]
    assert len(from_users) == 1, from_users


def test_accounts_of_before_the_release_start_at_version_one(database_url, service_env):
    """Migration 0013 starts existing accounts at 1, so the cookies issued before it (which
    carry no version, read as 0) end with the release; new accounts start at 0."""
    with dedicated_database(database_url, prefix="romin_sessions") as url:
        app = create_app(app_config(url, service_env["MEILI_URL"], "", "unused"))
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        try:
            with app.app_context():
                command.downgrade(alembic_config(), "0012")
                with psycopg.connect(plain) as conn:
                    conn.execute(ADD_ACCOUNT, ("avant@justice.test",))
                command.upgrade(alembic_config(), "head")
                with psycopg.connect(plain) as conn:
                    conn.execute(ADD_ACCOUNT, ("apres@justice.test",))
                    versions = dict(conn.execute("SELECT email, session_version FROM users"))
        finally:
            app.extensions["romin_db"].engine.dispose()
    assert versions == {"avant@justice.test": 1, "apres@justice.test": 0}
