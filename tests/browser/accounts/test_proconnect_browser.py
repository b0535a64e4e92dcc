"""ProConnect in Chromium: sign in through the real OpenID provider, an admin grants a role
(which ends the account's session: it signs in again), sign out through the provider's
end-session. (Chromium enforces what the test client does not:
CSP form-action on the redirects to the provider, cookies' SameSite on the way back.)"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from oidc_launcher import start_provider  # tests/oidc/, on pytest's pythonpath
from werkzeug.serving import make_server

from app.db import db

pytestmark = pytest.mark.browser
SECRET = "secret-du-client-romin-navigateur"


@pytest.fixture
def proconnect_server(app_factory, tmp_path):
    """ROMIN (ProConnect on, no password form) on a local port, and a provider that knows it."""
    holder = {}
    server = make_server(
        "127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=False
    )
    base = f"http://127.0.0.1:{server.server_port}"
    provider = start_provider(
        tmp_path,
        clients=[
            {
                "client_id": "romin",
                "client_secret": SECRET,
                "redirect_uris": [f"{base}/connexion/proconnect/retour"],
                "post_logout_redirect_uris": [f"{base}/deconnexion/fin"],
                "userinfo_signed_response_alg": "RS256",
            }
        ],
    )
    app = app_factory(
        PROCONNECT_ISSUER=provider.issuer,
        PROCONNECT_CLIENT_ID="romin",
        PROCONNECT_CLIENT_SECRET=SECRET,
        PROCONNECT_ALLOWED_DOMAINS="justice.fr",
        LOCAL_LOGIN_ENABLED=False,
    )
    with app.app_context():
        from app.accounts.service import create_user

        create_user(db.session, "admin.navigateur@justice.fr", "admin")  # linked on first sign-in
        db.session.commit()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, name="proconnect-server", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        provider.stop()


def _sign_in(page, base, sub, email, given, usual):
    page.goto(f"{base}/connexion")
    assert page.locator("input[type=password]").count() == 0
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    page.wait_for_url("**/interaction/**")
    for field, value in (
        ("sub", sub),
        ("email", email),
        ("given_name", given),
        ("usual_name", usual),
    ):
        page.fill(f"#{field}", value)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/recherche**")


def test_sign_in_grant_a_role_and_sign_out_through_proconnect(browser, proconnect_server):
    base = proconnect_server
    agent = browser.new_context(locale="fr-FR").new_page()
    _sign_in(agent, base, "sub-nav-agent", "dominique.petit@justice.fr", "Dominique", "Petit")
    assert "Vous êtes connecté(e) avec ProConnect." in agent.locator(".fr-alert").first.inner_text()
    assert "Dominique Petit" in agent.locator(".fr-header__tools-links").inner_text()
    assert agent.goto(f"{base}/gestion/outils").status == 403  # a new account is an agent

    admin = browser.new_context(locale="fr-FR").new_page()
    _sign_in(admin, base, "sub-nav-admin", "admin.navigateur@justice.fr", "Alex", "Admin")
    admin.goto(f"{base}/admin/comptes")
    row = admin.locator("tr", has_text="dominique.petit@justice.fr")
    row.get_by_label("Rôle de dominique.petit@justice.fr").select_option("curator")
    row.get_by_role("button", name="Changer le rôle").click()
    admin.wait_for_load_state()
    flash = admin.locator(".fr-alert").first.inner_text()
    assert "a désormais le rôle « Référent catalogue »" in flash

    # the role change ended the agent's session: the next page asks them to sign in again,
    # which the provider's own session (still open) answers without its form
    agent.goto(f"{base}/gestion/outils")
    assert agent.url.startswith(f"{base}/connexion")
    agent.get_by_role("button", name="S’identifier avec ProConnect").click()
    agent.wait_for_url(f"{base}/gestion/outils")
    assert agent.goto(f"{base}/gestion/outils").status == 200  # curator now
    agent.goto(f"{base}/recherche")
    agent.locator(".fr-header__tools-links").get_by_role("button", name="Se déconnecter").click()
    agent.wait_for_url("**/session/end**")
    agent.get_by_role("button", name="Se déconnecter").click()  # the provider's confirmation
    agent.wait_for_url(f"{base}/recherche**")
    flash = agent.locator(".fr-alert").first.inner_text()
    assert "déconnecté(e) de ROMIN et de ProConnect" in flash
    assert "Se connecter" in agent.locator(".fr-header__tools-links").inner_text()
    # the provider's session ended too: the button leads to its sign-in form again
    agent.goto(f"{base}/connexion")
    agent.get_by_role("button", name="S’identifier avec ProConnect").click()
    agent.wait_for_url("**/interaction/**")


AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"


def _serious_violations(page) -> list[str]:
    """axe-core (from the npm package; the context bypasses CSP to inject it)."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' '))""")
    return found


def test_login_refusal_and_accounts_pages_pass_axe(browser, proconnect_server):
    base = proconnect_server
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/connexion")
    assert _serious_violations(page) == []
    # an address outside the allowed domains: the refusal page, signed out
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    page.wait_for_url("**/interaction/**")
    page.fill("#sub", "sub-nav-dehors")
    page.fill("#email", "quelquun@exemple.com")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/connexion/proconnect/retour**")
    assert page.locator("h1").inner_text() == "Connexion impossible"
    assert "aucun compte n'a été créé" in page.locator(".fr-alert").inner_text()
    assert "Se connecter" in page.locator(".fr-header__tools-links").inner_text()
    assert _serious_violations(page) == []
    context.close()

    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    _sign_in(page, base, "sub-nav-admin-axe", "admin.navigateur@justice.fr", "Alex", "Admin")
    page.goto(f"{base}/admin/comptes")
    assert page.locator("h1").inner_text() == "Comptes et rôles"
    assert _serious_violations(page) == []
    context.close()
