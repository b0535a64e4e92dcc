"""The admin page of accounts and roles (/admin/comptes): list, grant a role, deactivate and
reactivate; an admin never removes their own admin role nor deactivates their own account."""

from __future__ import annotations

import html
import re

from app.db import db
from app.models import User


def _signed_in(app, user):
    """A browser signed in as `user` now (a role change or a deactivation ends its sessions:
    the cookie carries the account's current session version, as a sign-in writes it)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"], session["sv"] = user.id, _reload(app, user).session_version
    return client


def _reload(app, user) -> User:
    with app.app_context():
        return db.session.get(User, user.id)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _row(page: str, user) -> str:
    return re.search(rf'<tr id="compte-{user.id}">.*?</tr>', page, re.S).group(0)


def _listed(page: str) -> set[int]:
    """The ids of the accounts in the table."""
    return {int(n) for n in re.findall(r'<tr id="compte-(\d+)">', page)}


def test_admins_list_accounts_and_search_them(app, make_user):
    admin, agent, curator = make_user("admin"), make_user("agent"), make_user("curator")
    client = _signed_in(app, admin)
    page = _text(client.get("/admin/comptes"))
    assert "Comptes et rôles" in page
    for user in (admin, agent, curator):
        assert user.email in page
    assert 'aria-current="page"' in page and "Comptes et rôles</a>" in page  # side menu entry
    found = _text(client.get("/admin/comptes", query_string={"q": agent.email[:12]}))
    assert agent.email in found and curator.email not in found
    assert "Aucun compte ne correspond" in _text(client.get("/admin/comptes?q=personne-ici"))
    # only admins
    assert _signed_in(app, curator).get("/admin/comptes").status_code == 403
    assert app.test_client().get("/admin/comptes").status_code == 302


def test_an_admin_grants_a_role(app, make_user):
    admin, agent = make_user("admin"), make_user("agent")
    client = _signed_in(app, admin)
    response = client.post(f"/admin/comptes/{agent.id}/role", data={"role": "curator"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/comptes"
    assert _reload(app, agent).role == "curator"
    page = _text(client.get("/admin/comptes"))
    assert f"{agent.email} a désormais le rôle « Référent catalogue »" in page
    # the new role holds at once for the agent
    assert _signed_in(app, agent).get("/gestion/outils").status_code == 200


def test_an_unknown_role_is_refused_with_a_message_and_nothing_changes(app, make_user):
    admin, agent = make_user("admin"), make_user("agent")
    response = _signed_in(app, admin).post(f"/admin/comptes/{agent.id}/role", data={"role": "roi"})
    assert response.status_code == 400
    assert "Choisissez un rôle dans la liste." in _text(response)
    assert _reload(app, agent).role == "agent"
    missing = _signed_in(app, admin).post("/admin/comptes/999999999/role", data={"role": "agent"})
    assert missing.status_code == 404


def test_an_admin_cannot_remove_their_own_admin_role(app, make_user):
    admin = make_user("admin")
    response = _signed_in(app, admin).post(
        f"/admin/comptes/{admin.id}/role", data={"role": "agent"}
    )
    assert response.status_code == 400
    page = _text(response)
    assert "Vous ne pouvez pas retirer votre propre rôle d'administrateur" in page
    # the form shows what was chosen, next to the message
    select = re.search(rf'<select[^>]*id="role-{admin.id}".*?</select>', page, re.S).group(0)
    assert '<option value="agent" selected>' in select and 'aria-describedby="erreur-' in select
    assert _reload(app, admin).role == "admin"
    # another admin may
    other = make_user("admin")
    assert (
        _signed_in(app, other)
        .post(f"/admin/comptes/{admin.id}/role", data={"role": "staff"})
        .status_code
        == 303
    )
    assert _reload(app, admin).role == "staff"


def test_deactivate_and_reactivate_an_account(app, make_user):
    admin, agent = make_user("admin"), make_user("agent")
    agent_client = _signed_in(app, agent)
    assert agent_client.get("/api/v1/openapi.json").status_code == 200
    client = _signed_in(app, admin)
    response = client.post(f"/admin/comptes/{agent.id}/statut", data={"action": "desactiver"})
    assert response.status_code == 303
    assert _reload(app, agent).is_active is False
    assert f"Le compte {agent.email} est désactivé." in _text(client.get("/admin/comptes"))
    # the deactivated agent's session ends at their next request
    assert agent_client.get("/admin/comptes").status_code == 302
    with agent_client.session_transaction() as session:
        assert "uid" not in session
    assert (
        client.post(f"/admin/comptes/{agent.id}/statut", data={"action": "reactiver"}).status_code
        == 303
    )
    assert _reload(app, agent).is_active is True
    bad = client.post(f"/admin/comptes/{agent.id}/statut", data={"action": "supprimer"})
    assert bad.status_code == 400 and "désactiver ou de réactiver" in _text(bad)
    # the message is next to the button it is about, not under the role menu
    row = _row(_text(bad), agent)
    status_cell = row.split(f'id="role-{agent.id}"')[1].split("</td>", 1)[1]
    assert "désactiver ou de réactiver" in status_cell
    button = re.search(r'<button[^>]*name="action"[^>]*>', status_cell).group(0)
    assert f'aria-describedby="erreur-statut-{agent.id}"' in button
    assert f'<p id="erreur-statut-{agent.id}" class="fr-error-text">' in status_cell
    select = re.search(r"<select.*?>", row, re.S).group(0)
    assert "aria-describedby" not in select and "fr-select--error" not in select


def test_an_admin_cannot_deactivate_their_own_account(app, make_user):
    admin = make_user("admin")
    client = _signed_in(app, admin)
    page = _text(client.get("/admin/comptes"))
    assert f"/admin/comptes/{admin.id}/statut" not in page  # no button for oneself
    response = client.post(f"/admin/comptes/{admin.id}/statut", data={"action": "desactiver"})
    assert response.status_code == 400
    assert "Vous ne pouvez pas désactiver votre propre compte." in _text(response)
    assert _reload(app, admin).is_active is True


def test_role_changes_need_the_csrf_token(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from app.accounts.service import create_user

        admin = create_user(db.session, "admin.csrf@justice.test", "admin")
        agent = create_user(db.session, "agent.csrf@justice.test", "agent")
        db.session.commit()
    client = _signed_in(app, admin)
    refused = client.post(f"/admin/comptes/{agent.id}/role", data={"role": "curator"})
    assert refused.status_code == 400
    assert _reload(app, agent).role == "agent"
    page = client.get("/admin/comptes").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post(
        f"/admin/comptes/{agent.id}/role", data={"role": "curator", "csrf_token": token}
    )
    assert done.status_code == 303
    assert _reload(app, agent).role == "curator"


def test_the_list_is_paginated_and_keeps_the_search(app, make_user):
    from app.accounts.account_views import PER_PAGE

    admin = make_user("admin")
    agents = [make_user("agent") for _ in range(PER_PAGE + 3)]
    client = _signed_in(app, admin)
    first = _text(client.get("/admin/comptes", query_string={"q": "agent"}))
    assert len(_listed(first)) == PER_PAGE
    assert 'class="fr-pagination' in first and "page 1 sur 2" in first
    assert "/admin/comptes?q=agent&page=2" in first  # the search is kept in the page links
    second = _text(client.get("/admin/comptes", query_string={"q": "agent", "page": 2}))
    assert len(_listed(second)) == 3 and admin.id not in _listed(second)
    assert _listed(first) | _listed(second) == {a.id for a in agents}
    assert not _listed(first) & _listed(second)
    # the forms come back to the same page and search, and so does the redirect
    target = next(a for a in agents if a.id in _listed(second))
    action = f"/admin/comptes/{target.id}/role?q=agent&page=2"
    assert f'action="{action}"' in second
    done = client.post(action, data={"role": "staff"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/comptes?q=agent&page=2"
    # past the end: the last page
    for page in ("9", "9" * 30):
        assert "page 2 sur 2" in _text(client.get(f"/admin/comptes?q=agent&page={page}"))


def test_a_bad_page_number_is_refused_with_a_message(app, make_user):
    client = _signed_in(app, make_user("admin"))
    for page in ("zero", "0", "-1", "1.5", "²", "2e3"):
        response = client.get("/admin/comptes", query_string={"page": page, "q": "justice"})
        assert response.status_code == 400, page
        text = _text(response)
        assert "Numéro de page invalide." in text and 'value="justice"' in text


def test_search_wildcards_are_taken_literally(app, make_user):
    from app.accounts.service import create_user

    admin = make_user("admin")
    with app.app_context():
        odd = create_user(db.session, "cent_pour%cent@justice.test", "agent")
        db.session.commit()
    client = _signed_in(app, admin)
    for query in ("_pour%", "%", "_"):
        found = _text(client.get("/admin/comptes", query_string={"q": query}))
        assert _listed(found) == {odd.id}, query
    assert _listed(_text(client.get("/admin/comptes", query_string={"q": "\\"}))) == set()


def test_an_error_about_an_account_on_another_page_is_still_shown(app, make_user):
    """A form posted from page 2 without its page: the message comes as an alert."""
    from app.accounts.account_views import PER_PAGE

    admin = make_user("admin")
    for _ in range(PER_PAGE + 1):
        make_user("agent")
    client = _signed_in(app, admin)
    response = client.post(f"/admin/comptes/{admin.id}/role?q=zzz-personne", data={"role": "agent"})
    assert response.status_code == 400
    assert f"Le compte {admin.email} n'a pas été modifié : Vous ne pouvez pas retirer" in _text(
        response
    )
