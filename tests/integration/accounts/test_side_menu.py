"""The back office's side menu marks one entry, the one whose address the page is under."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def admin_client(app, make_user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = make_user("admin").id
    return client


def _current(html: str) -> list[tuple[str, str]]:
    return re.findall(r'class="fr-sidemenu__link" href="([^"]+)" aria-current="(\w+)"', html)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/gestion/outils", [("/gestion/outils", "page")]),
        ("/gestion/outils/nouveau", [("/gestion/outils", "true")]),
        ("/gestion/facteurs", [("/gestion/facteurs", "page")]),
        ("/gestion/commentaires", [("/gestion/commentaires", "page")]),
        ("/gestion/index", [("/gestion/index", "page")]),
        ("/admin/comptes", [("/admin/comptes", "page")]),
    ],
)
def test_one_entry_is_current(admin_client, path, expected):
    html = admin_client.get(path).get_data(as_text=True)
    assert _current(html) == expected
