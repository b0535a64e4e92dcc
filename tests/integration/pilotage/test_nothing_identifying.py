"""Nothing identifying reaches what support staff keep and read: a weight note holding a phone
number is refused (page and API); a search that found nothing keeps no name (neither in the
events, nor on the statistics page, nor in its CSV); one bad usage event never loses the others.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.db import db
from app.models import RankingWeightsVersion
from app.models.base import utcnow
from app.models.usage import UsageEvent
from app.pilotage import usage

PASSWORD = "un mot de passe solide"
WEIGHTS = {
    "rating": "0.4",
    "evidence": "0.6",
    "usage": "0",
    "freshness": "0",
    "prior_strength": "5",
    "factor_prior_strength": "3",
}
PHONE_NOTE = "Demande de Mme Durand, la rappeler au 06 12 34 56 78"


def _login(app, user):
    client = app.test_client()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def _get(client, url, **kwargs):
    """GET and finish the response as a WSGI server does: events are written on close."""
    response = client.get(url, **kwargs)
    response.close()
    return response


def _events(app) -> list[UsageEvent]:
    with app.app_context():
        return list(db.session.scalars(select(UsageEvent).order_by(UsageEvent.id)))


def _versions(app) -> list[RankingWeightsVersion]:
    with app.app_context():
        return list(db.session.scalars(select(RankingWeightsVersion)))


@pytest.fixture
def staff(app, make_user):
    return make_user("staff", password=PASSWORD)


# -- weight notes ------------------------------------------------------------------------------


def test_a_weight_note_with_a_phone_number_is_refused_on_the_page(app, staff, make_tool):
    make_tool(title="Carnet de consommation")
    client = _login(app, staff)
    response = client.post("/pilotage/classement", data={**WEIGHTS, "note": PHONE_NOTE})
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    assert (
        "La raison du changement semble contenir un numéro de téléphone et un nom de personne "
        "(après « M. », « Mme »…) : retirez-les avant d'enregistrer." in html
    )
    assert _versions(app) == []
    ok = client.post("/pilotage/classement", data={**WEIGHTS, "note": "Plus de place aux preuves"})
    assert ok.status_code == 303 and len(_versions(app)) == 2  # the defaults, then this one


def test_a_weight_note_with_a_phone_number_is_refused_by_the_api(
    app, client, staff, token_for, make_tool
):
    make_tool(title="Carnet de consommation")
    headers = token_for(staff)
    response = client.put(
        "/api/v1/ranking/weights",
        json={"weights": {"rating": 0.4, "evidence": 0.6}, "note": "Appel du 0612345678"},
        headers=headers,
    )
    assert response.status_code == 422
    body = response.get_json()
    messages = [m for ms in body["errors"]["json"].values() for m in ms]
    assert any(
        "La raison du changement semble contenir un numéro de téléphone" in m for m in messages
    )
    assert _versions(app) == []


def test_a_rollback_note_is_checked_too(app, staff, make_tool):
    make_tool(title="Carnet de consommation")
    client = _login(app, staff)
    client.post("/pilotage/classement", data={**WEIGHTS, "note": "Plus de place aux preuves"})
    first = min(v.id for v in _versions(app))
    response = client.post(
        f"/pilotage/classement/historique/{first}/retablir",
        data={f"note-{first}": "Retour demandé par jean.dupont@exemple.fr"},
    )
    assert response.status_code == 400
    assert "une adresse électronique" in unescape(response.get_data(as_text=True))
    assert len(_versions(app)) == 2


# -- search text kept in the statistics ---------------------------------------------------------


def test_a_search_for_a_name_keeps_no_name(app, client, staff, make_tool):
    make_tool(title="Carnet de consommation", summary="Noter ses consommations.")
    _get(client, "/recherche?q=martin+dupont&texte=1")
    _get(client, "/recherche?q=martin+dupont+alcool+trampoline&texte=1")
    _get(client, "/recherche?q=rencontré+M.+Martin+le+03/04/1985&texte=1")
    _get(client, "/recherche?q=gestion+de+la+colère+et+recherche+d'emploi&texte=1")
    names, with_words, identifying, practice = _events(app)
    assert all(e.results == 0 for e in (names, with_words, identifying, practice))
    assert names.search_text is None and names.text_typed is True  # still counted
    assert with_words.search_text == "alcool trampoline"
    assert identifying.search_text is None  # a text with an identifying detail: dropped whole
    # five words at most, kept as typed, without the stop word the cut left at the end
    assert practice.search_text == "gestion de la colère"

    page = _login(app, staff)
    period = (
        f"du={(utcnow() - timedelta(days=1)).date()}&au={(utcnow() + timedelta(days=1)).date()}"
    )
    html = page.get(f"/pilotage/statistiques?{period}").get_data(as_text=True).lower()
    csv = page.get(f"/pilotage/statistiques/recherches-sans-resultat.csv?{period}")
    assert csv.status_code == 200
    text = csv.get_data(as_text=True).lower()
    assert "alcool trampoline" in html and "alcool trampoline" in text
    assert "gestion de la colère" in text
    for name in ("martin", "dupont", "1985"):
        assert name not in html and name not in text


def test_a_content_gap_keeps_no_name(app, client, make_tool):
    make_tool(title="Carnet de consommation", summary="Noter ses consommations d'alcool.")
    _get(client, "/recherche?q=addictions+bernard+dubois+casino")
    (gap,) = _events(app)
    assert gap.content_gap is True and gap.search_text == "casino"


def test_the_catalogue_words_are_kept_even_when_rare(app, client, make_tool):
    """A word the catalogue uses is kept though it is no common French word; a first name that
    is also a word is dropped beside another name."""
    make_tool(
        title="Jonglage thérapeutique", summary="Balles et concentration.", risk_factors=["emploi"]
    )
    make_tool(title="Carnet de consommation", summary="Noter ses consommations d'alcool.")
    # the words rank within Addictions, whose tool speaks of none of them: a content gap
    _get(client, "/recherche?q=addictions+jonglage+pierre+petit+zzzz")
    (event,) = _events(app)
    assert event.content_gap is True and event.search_text == "jonglage"


# -- one bad event never loses the others ----------------------------------------------------------


def test_control_characters_are_stripped_before_storing(app, client, make_tool):
    tool = make_tool(title="Carnet de consommation")
    _get(client, "/recherche?q=trampoline%01+alcool%1F%7F&texte=1")
    _get(client, f"/outils/{tool.slug}")
    search, view = _events(app)
    assert search.results == 0 and search.search_text == "trampoline alcool"
    assert view.kind == "view"
    assert usage.printable("secret\x00trampoline\x1b[0m") == "secret trampoline [0m"


def _row(**values):
    row = {
        "occurred_at": utcnow(),
        "kind": "search",
        "pseudonym": None,
        "service": None,
        "risk_factor": None,
        "facets": {},
        "text_typed": True,
        "results": 0,
        "tool_id": None,
        "search_text": None,
        "content_gap": False,
    }
    return row | values


def test_a_batch_with_a_bad_event_keeps_the_others(app, caplog):
    rows = [
        _row(search_text="alcool"),
        _row(search_text="secret\x00trampoline"),  # PostgreSQL refuses a NUL byte
        _row(search_text="colère", results=3),  # a constraint: text only when nothing found
        _row(search_text="emploi", service="SPIP 75"),
    ]
    with caplog.at_level(logging.WARNING, logger="app.pilotage.usage"), app.app_context():
        written = usage.write_events(rows, db.session_factory)
    assert written == 2
    assert [(e.search_text, e.service) for e in _events(app)] == [
        ("alcool", None),
        ("emploi", "SPIP 75"),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.pilotage.usage"]
    assert len(warnings) == 2 and all("search dropped" in w for w in warnings)
    assert not any("secret" in w or "trampoline" in w or "colère" in w for w in warnings)


def test_the_buffered_writer_survives_a_bad_event(app):
    with app.app_context():
        writer = usage.BufferedWriter(db.session_factory, delay=60)
        writer.put([_row(search_text="alcool"), _row(search_text="x\x00y"), _row(kind="view")])
        writer.drain()
    assert [(e.kind, e.search_text) for e in _events(app)] == [
        ("search", "alcool"),
        ("view", None),
    ]
