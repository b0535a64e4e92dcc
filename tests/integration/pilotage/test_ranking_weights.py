"""Support staff tune the ranking weights: preview, save with a note, history, rollback.

Through the pages and the API, on real PostgreSQL and Meilisearch: after a save, the order the
search serves follows the new weights.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import event, func, select, update

from app.db import db
from app.feedback import ratings as feedback_service
from app.models import RankingWeightsVersion, Tool
from app.pilotage import weights as service
from app.search.service import search
from indexer.search import SearchQuery
from ranking import DEFAULT_WEIGHTS, Weights

PASSWORD = "un mot de passe solide"
EVIDENCE_ONLY = {
    "rating": "0",
    "evidence": "1",
    "usage": "0",
    "freshness": "0",
    "prior_strength": "5",
    "factor_prior_strength": "3",
}
RATINGS_ONLY = {**EVIDENCE_ONLY, "rating": "1", "evidence": "0"}
BY_EVIDENCE = ["Preuve forte", "Preuve moyenne", "Preuve faible"]
BY_RATINGS = list(reversed(BY_EVIDENCE))


@pytest.fixture
def catalogue(app, make_tool, make_user):
    """Three addictions tools whose evidence order is the reverse of their ratings order."""
    strong = make_tool(title="Preuve forte", evidence_level=4)
    middle = make_tool(title="Preuve moyenne", evidence_level=2)
    weak = make_tool(title="Preuve faible", evidence_level=0)
    other = make_tool(title="Autre facteur", evidence_level=3, risk_factors=["emploi"])
    draft = make_tool(title="Brouillon", evidence_level=1, status="draft")
    with app.app_context():
        for tool, stars in ((strong, 1), (middle, 3), (weak, 5)):
            tool = db.session.merge(tool)
            for _ in range(8):
                feedback_service.rate(db.session, tool, make_user(), rating=stars)
        db.session.commit()
    return {"strong": strong, "middle": middle, "weak": weak, "other": other, "draft": draft}


def _login(client, user):
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.fixture
def staff_client(client, make_user):
    staff = make_user("staff", password=PASSWORD)
    _login(client, staff)
    client.user = staff
    return client


def search_titles(app, factor="addictions"):
    with app.app_context():
        answer = search(db.session, SearchQuery(factor=factor))
        assert not answer.degraded
        return [hit["title"] for hit in answer.result.hits]


def stored_scores(app) -> dict[str, dict]:
    with app.app_context():
        return {t.title: dict(t.scores) for t in db.session.scalars(select(Tool))}


def versions(app) -> list[RankingWeightsVersion]:
    with app.app_context():
        return list(
            db.session.scalars(select(RankingWeightsVersion).order_by(RankingWeightsVersion.id))
        )


def index_scores(app, meili_client) -> dict[int, float]:
    uid = app.config["MEILI_INDEX"]
    docs = meili_client.request(
        "POST", f"/indexes/{uid}/documents/fetch", {"limit": 1000, "fields": ["id", "score"]}
    )["results"]
    return {doc["id"]: doc["score"] for doc in docs}


# -- saving, history, rollback, through the pages ---------------------------------------------


def test_saving_weights_versions_them_and_the_search_follows(
    app, staff_client, catalogue, meili_client
):
    before = stored_scores(app)
    response = staff_client.post(
        "/pilotage/classement", data={**EVIDENCE_ONLY, "note": "Priorité aux preuves"}
    )
    assert response.status_code == 303
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nouveaux poids enregistrés" in page and "la recherche suit" in page

    saved = versions(app)
    # the defaults in force until then are kept as a version, so they can be restored
    assert [v.note for v in saved] == [saved[0].note, "Priorité aux preuves"]
    assert saved[0].values == DEFAULT_WEIGHTS.as_dict() and saved[0].created_by_id is None
    latest = saved[-1]
    assert latest.created_by_id == staff_client.user.id and latest.created_at is not None
    assert Weights.from_dict(latest.values).evidence == 1.0

    after = stored_scores(app)
    assert all(after[title] != before[title] for title in before)  # every tool, drafts too
    assert search_titles(app) == BY_EVIDENCE
    # every published tool's document carries the new score
    with app.app_context():
        published = {
            t.id: t.scores["_"]
            for t in db.session.scalars(select(Tool).where(Tool.status == "published"))
        }
    assert index_scores(app, meili_client) == published

    staff_client.post("/pilotage/classement", data={**RATINGS_ONLY, "note": "Priorité aux avis"})
    assert search_titles(app) == BY_RATINGS

    history = staff_client.get("/pilotage/classement/historique").get_data(as_text=True)
    assert "Priorité aux preuves" in history and "Priorité aux avis" in history
    assert staff_client.user.email in history and "Rétablir ces poids" in history
    assert 'name="csrf_token"' in history

    evidence_version = saved[-1].id
    response = staff_client.post(
        f"/pilotage/classement/historique/{evidence_version}/retablir",
        data={f"note-{evidence_version}": "Retour aux preuves"},
    )
    assert response.status_code == 303
    restored = versions(app)[-1]
    assert restored.values == saved[-1].values and restored.rolled_back_from == evidence_version
    assert restored.note == "Retour aux preuves" and len(versions(app)) == 4
    assert search_titles(app) == BY_EVIDENCE


def test_rollback_needs_a_note_and_an_existing_version(app, staff_client, catalogue):
    staff_client.post("/pilotage/classement", data={**EVIDENCE_ONLY, "note": "Preuves"})
    first = versions(app)[0].id
    response = staff_client.post(
        f"/pilotage/classement/historique/{first}/retablir", data={f"note-{first}": "  "}
    )
    assert response.status_code == 400
    assert "Expliquez en quelques mots" in response.get_data(as_text=True)
    assert len(versions(app)) == 2
    assert (
        staff_client.post(
            "/pilotage/classement/historique/999999/retablir", data={"note": "x"}
        ).status_code
        == 404
    )


def test_the_page_explains_each_weight_with_its_bounds(staff_client):
    html = unescape(staff_client.get("/pilotage/classement").get_data(as_text=True))
    for label in (
        "Poids des avis des agents",
        "Poids du niveau de preuve",
        "Poids de l'expérience partagée",
        "Poids de la fraîcheur",
        "Prudence envers les notes peu nombreuses",
    ):
        assert label in html
    assert (
        "Entre 0 (les avis ne comptent pas) et 1." in html and "Entre 1 et 50 avis fictifs" in html
    )
    assert "Valeur actuelle : 0,6." in html  # the rating weight's default
    assert 'name="csrf_token"' in html and "Prévisualiser" in html and "Enregistrer" in html
    assert 'href="/pilotage/classement"' in html  # the staff's nav link


def test_preview_shows_moves_and_breakdowns_and_writes_nothing(app, staff_client, catalogue):
    staff_client.post("/pilotage/classement", data={**RATINGS_ONLY, "note": "Avis d'abord"})
    count, scores = len(versions(app)), stored_scores(app)
    response = staff_client.post(
        "/pilotage/classement/apercu",
        data={**EVIDENCE_ONLY, "facteur": "addictions", "note": "brouillon"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Aujourd'hui" in unescape(html)
    assert "Avec les nouveaux poids" in html
    before_table = html[html.index('id="apercu-avant"') : html.index('id="apercu-apres"')]
    after_table = html[html.index('id="apercu-apres"') :]
    assert [t for t in re.findall(r">(Preuve \w+)</a>", before_table)] == BY_RATINGS
    assert [t for t in re.findall(r">(Preuve \w+)</a>", after_table)] == BY_EVIDENCE
    assert "▲ monte de 2" in after_table and "▼ descend de 2" in after_table
    assert "Preuve&nbsp;: 1,000 (niveau 4/4)" in after_table  # the breakdown by signal
    assert "Avis&nbsp;:" in before_table
    assert 'value="1"' in html and "brouillon" in html  # the form keeps what was typed
    assert len(versions(app)) == count and stored_scores(app) == scores
    assert search_titles(app) == BY_RATINGS


def test_preview_counts_queries_not_tools(app, make_tool):
    def queries_for_preview():
        statements = []
        with app.app_context():
            engine = db.session.get_bind()

            def listener(_conn, _cursor, statement, *_args):
                statements.append(statement)

            event.listen(engine, "before_cursor_execute", listener)
            try:
                service.preview(db.session, "addictions", Weights(evidence=1, rating=0))
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    make_tool()
    few = queries_for_preview()
    for _ in range(6):
        make_tool()
    assert queries_for_preview() == few


def test_page_validation_messages_per_field(app, staff_client, catalogue):
    response = staff_client.post(
        "/pilotage/classement",
        data={
            **EVIDENCE_ONLY,
            "rating": "2",
            "evidence": "beaucoup",
            "prior_strength": "",
            "note": "",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "La valeur doit être comprise entre 0 et 1 (vous avez saisi 2)." in html
    assert "Saisissez un nombre entre 0 et 1" in html
    assert "Saisissez une valeur entre 1 et 50." in html
    assert "Expliquez en quelques mots la raison de ce changement." in html
    assert 'value="beaucoup"' in html  # values kept
    assert len(versions(app)) == 0

    all_zero = {**EVIDENCE_ONLY, "evidence": "0", "note": "Rien"}
    response = staff_client.post("/pilotage/classement", data=all_zero)
    assert (
        response.status_code == 400
        and "tous les outils seraient à égalité" in response.get_data(as_text=True)
    )

    response = staff_client.post(
        "/pilotage/classement/apercu", data={**EVIDENCE_ONLY, "facteur": "inconnu"}
    )
    assert response.status_code == 400 and "Choisissez le facteur de risque" in response.get_data(
        as_text=True
    )

    # a decimal comma is a number
    assert (
        staff_client.post(
            "/pilotage/classement", data={**EVIDENCE_ONLY, "rating": "0,25", "note": "Virgule"}
        ).status_code
        == 303
    )
    assert Weights.from_dict(versions(app)[-1].values).rating == 0.25


@pytest.mark.parametrize("role", ["agent", "curator"])
def test_other_roles_get_403_on_the_pages(client, make_user, role):
    _login(client, make_user(role, password=PASSWORD))
    assert client.get("/pilotage/classement").status_code == 403
    assert client.get("/pilotage/classement/historique").status_code == 403
    assert (
        client.post("/pilotage/classement", data={**EVIDENCE_ONLY, "note": "x"}).status_code == 403
    )
    assert client.post("/pilotage/classement/apercu", data=EVIDENCE_ONLY).status_code == 403
    assert (
        client.post("/pilotage/classement/historique/1/retablir", data={"note": "x"}).status_code
        == 403
    )
    assert 'href="/pilotage/classement"' not in client.get("/recherche").get_data(as_text=True)


def test_anonymous_is_sent_to_the_login_page(client):
    for method, path in (
        ("GET", "/pilotage/classement"),
        ("GET", "/pilotage/classement/historique"),
        ("POST", "/pilotage/classement"),
        ("POST", "/pilotage/classement/apercu"),
        ("POST", "/pilotage/classement/historique/1/retablir"),
    ):
        response = client.open(path, method=method, data={})
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_admins_may_tune_the_ranking_too(client, make_user, catalogue):
    _login(client, make_user("admin", password=PASSWORD))
    assert client.get("/pilotage/classement").status_code == 200
    assert (
        client.post("/pilotage/classement", data={**EVIDENCE_ONLY, "note": "Admin"}).status_code
        == 303
    )


def test_forms_carry_a_csrf_token_that_is_checked(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    staff = make_user("staff", password=PASSWORD)
    assert (
        client.post(
            "/connexion", data={"email": staff.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 303
    )
    page = client.get("/pilotage/classement").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 2  # sign-out and the weights form
    assert (
        client.post("/pilotage/classement", data={**EVIDENCE_ONLY, "note": "x"}).status_code == 400
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/pilotage/classement", data={**EVIDENCE_ONLY, "note": "x", "csrf_token": token}
        ).status_code
        == 303
    )


# -- the API ---------------------------------------------------------------------------------


def test_api_reads_the_weights_for_anyone_signed_in(client, make_user, token_for):
    response = client.get("/api/v1/ranking/weights", headers=token_for(make_user("agent")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["weights"] == DEFAULT_WEIGHTS.as_dict() and body["version"] is None
    assert body["bounds"]["prior_strength"] == {"min": 1.0, "max": 50.0}
    assert "niveau de preuve" in body["explanations"]["evidence"]["explanation"]
    assert client.get("/api/v1/ranking/weights").status_code == 401


def test_api_put_saves_and_the_search_api_follows(app, client, make_user, token_for, catalogue):
    headers = token_for(make_user("staff"))
    response = client.put(
        "/api/v1/ranking/weights",
        headers=headers,
        json={"weights": {"rating": 0, "evidence": 1}, "note": "Preuves"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["weights"]["evidence"] == 1.0 and body["weights"]["rating"] == 0.0
    assert body["index"] == {"synced": True, "error": None} and body["note"] == "Preuves"
    assert body["version"] == versions(app)[-1].id
    hits = client.get("/api/v1/search?risk_factor=addictions", headers=headers).get_json()["hits"]
    assert [h["title"] for h in hits] == BY_EVIDENCE

    client.put(
        "/api/v1/ranking/weights",
        headers=headers,
        json={"weights": {"rating": 1, "evidence": 0}, "note": "Avis"},
    )
    hits = client.get("/api/v1/search?risk_factor=addictions", headers=headers).get_json()["hits"]
    assert [h["title"] for h in hits] == BY_RATINGS


@pytest.mark.parametrize(
    "body, errors",
    [
        (
            {"weights": {"evidence": 1.5}, "note": "x"},
            {
                "weights": {
                    "evidence": ["La valeur doit être comprise entre 0 et 1 (vous avez saisi 1,5)."]
                }
            },
        ),
        (
            {"weights": {"popularite": 1}, "note": "x"},
            {
                "weights": {
                    "popularite": [
                        (
                            "Poids inconnu. Poids possibles : rating, evidence, usage, freshness, prior_strength, "
                            "factor_prior_strength."
                        )
                    ]
                }
            },
        ),
        (
            {"weights": {"evidence": 1}},
            {"note": ["Expliquez en quelques mots la raison de ce changement."]},
        ),
        (
            {"weights": {"evidence": "x"}, "note": ""},
            {
                "weights": {"evidence": ["Saisissez un nombre entre 0 et 1 (par exemple 0,5)."]},
                "note": ["Expliquez en quelques mots la raison de ce changement."],
            },
        ),
        (
            {"weights": {"evidence": True}, "note": "x"},
            {"weights": {"evidence": ["Saisissez un nombre entre 0 et 1 (par exemple 0,5)."]}},
        ),
        ({"note": "x"}, {"weights": ["Donnez les poids à modifier (objet nom → valeur)."]}),
        (
            {"weights": [1, 2], "note": "x"},
            {"weights": {"_schema": ["Les poids doivent être donnés sous la forme nom → valeur."]}},
        ),
        ({"weights": {"evidence": 1}, "note": "x", "extra": 1}, {"extra": ["Champ inconnu."]}),
    ],
)
def test_api_put_validation_errors_per_field(app, client, make_user, token_for, body, errors):
    response = client.put(
        "/api/v1/ranking/weights", headers=token_for(make_user("staff")), json=body
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == errors
    assert versions(app) == []


def test_api_roles(client, make_user, token_for):
    body = {"weights": {"evidence": 1}, "note": "x"}
    for role in ("agent", "curator"):
        headers = token_for(make_user(role))
        assert client.put("/api/v1/ranking/weights", headers=headers, json=body).status_code == 403
        assert (
            client.post(
                "/api/v1/ranking/preview", headers=headers, json={"risk_factor": "addictions"}
            ).status_code
            == 403
        )
    assert client.put("/api/v1/ranking/weights", json=body).status_code == 401
    assert (
        client.post("/api/v1/ranking/preview", json={"risk_factor": "addictions"}).status_code
        == 401
    )
    assert (
        client.put(
            "/api/v1/ranking/weights", headers=token_for(make_user("admin")), json=body
        ).status_code
        == 200
    )


def test_api_preview(app, client, make_user, token_for, catalogue):
    headers = token_for(make_user("staff"))
    client.put(
        "/api/v1/ranking/weights",
        headers=headers,
        json={"weights": {"rating": 1, "evidence": 0}, "note": "Avis"},
    )
    count, scores = len(versions(app)), stored_scores(app)
    response = client.post(
        "/api/v1/ranking/preview",
        headers=headers,
        json={"risk_factor": "addictions", "weights": {"rating": 0, "evidence": 1}},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [r["title"] for r in body["before"]] == BY_RATINGS
    assert [r["title"] for r in body["after"]] == BY_EVIDENCE
    assert [(r["rank"], r["move"], r["other_rank"]) for r in body["after"]] == [
        (1, "up", 3),
        (2, "same", 2),
        (3, "down", 1),
    ]
    first = body["after"][0]
    assert first["breakdown"]["evidence"] == {"signal": 1.0, "contribution": 1.0}
    assert first["score"] == pytest.approx(2.0)
    assert body["total"] == 3 and len(versions(app)) == count and stored_scores(app) == scores

    bad = client.post(
        "/api/v1/ranking/preview",
        headers=headers,
        json={"risk_factor": "inconnu", "weights": {"usage": -1}},
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["json"] == {
        "risk_factor": ["Facteur de risque inconnu."],
        "weights": {"usage": ["La valeur doit être comprise entre 0 et 1 (vous avez saisi -1)."]},
    }
    assert client.post("/api/v1/ranking/preview", headers=headers, json={}).status_code == 422
    assert client.post(
        "/api/v1/ranking/preview",
        headers=headers,
        data="pas du json",
        content_type="application/json",
    ).status_code in (400, 422)


# -- the service -----------------------------------------------------------------------------


def test_recompute_goes_through_every_tool_in_batches(
    app, catalogue, make_tool, make_user, meili_client
):
    for n in range(5):
        make_tool(title=f"En plus {n}", evidence_level=n % 5)
    with app.app_context():
        staff = db.session.merge(make_user("staff"))
        selects = []
        engine = db.session.get_bind()

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT") and "FROM tools" in statement:
                selects.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            service.BATCH_SIZE, old = 3, service.BATCH_SIZE
            try:
                service.save_weights(db.session, {"rating": 0, "evidence": 1}, "Lots de 3", staff)
            finally:
                service.BATCH_SIZE = old
        finally:
            event.remove(engine, "before_cursor_execute", count)
        total = db.session.scalar(select(func.count()).select_from(Tool))
        db.session.commit()
    # 10 tools in batches of 3: 4 batches and the empty read that ends the loop
    assert len([s for s in selects if "tools.id >" in s]) == -(-total // 3) + 1
    with app.app_context():
        published = {
            t.id: t.scores["_"]
            for t in db.session.scalars(select(Tool).where(Tool.status == "published"))
        }
        assert all(
            score == pytest.approx(1 + t_level / 4)
            for score, t_level in zip(
                published.values(), [db.session.get(Tool, i).evidence_level for i in published]
            )
        )
    assert index_scores(app, meili_client) == published


def test_a_save_pushes_scores_only_and_the_index_stays_whole(
    app, catalogue, make_user, meili_client
):
    """New weights reach the index as partial documents (scores and content hash): the rest of
    each document is kept, reconcile finds nothing to repair, and a published tool the index
    had lost is sent whole."""
    from app.index_sync.operations import reconcile_index

    uid = app.config["MEILI_INDEX"]
    lost = catalogue["middle"].id
    meili_client.run("POST", f"/indexes/{uid}/documents/delete-batch", [lost])
    with app.app_context():
        staff = db.session.merge(make_user("staff"))
        service.save_weights(db.session, {"rating": 0, "evidence": 1}, "Partiel", staff)
        db.session.commit()
    docs = {
        d["id"]: d
        for d in meili_client.request("POST", f"/indexes/{uid}/documents/fetch", {"limit": 1000})[
            "results"
        ]
    }
    assert docs[lost]["title"] == "Preuve moyenne"  # sent whole, not as a stub of scores
    assert docs[catalogue["strong"].id]["title"] == "Preuve forte"
    assert docs[catalogue["strong"].id]["score"] == pytest.approx(2.0)
    assert search_titles(app) == BY_EVIDENCE
    with app.app_context():
        repair = reconcile_index(db.session)
    assert not repair.upserted and not repair.deleted


def test_a_tool_unpublished_during_a_scores_push_does_not_come_back_bare(
    app, catalogue, make_user, meili_client, monkeypatch
):
    """Partial documents upsert: a tool unpublished (and deleted from the index) after the push
    read the index, but before its update, must not come back as a document of scores only."""
    from indexer import sync

    uid = app.config["MEILI_INDEX"]
    gone = catalogue["weak"].id
    send = sync.upsert_batches

    def unpublished_meanwhile(client, index, batches, *args, **kwargs):
        batches = list(batches)  # the partial documents are built: the tool was published
        if kwargs.get("partial"):
            with db.session_factory() as other:  # another curator archives it, committed
                other.execute(update(Tool).where(Tool.id == gone).values(status="archived"))
                other.commit()
            meili_client.run("POST", f"/indexes/{uid}/documents/delete-batch", [gone])
        return send(client, index, batches, *args, **kwargs)

    monkeypatch.setattr(sync, "upsert_batches", unpublished_meanwhile)
    with app.app_context():
        staff = db.session.merge(make_user("staff"))
        service.save_weights(db.session, {"rating": 0, "evidence": 1}, "Course", staff)
        db.session.commit()
    ids = {
        d["id"]
        for d in meili_client.request(
            "POST", f"/indexes/{uid}/documents/fetch", {"limit": 1000, "fields": ["id"]}
        )["results"]
    }
    assert gone not in ids and catalogue["strong"].id in ids
