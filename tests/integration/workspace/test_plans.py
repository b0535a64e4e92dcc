"""The multi-factor plan: ROMIN proposes each factor's best tools at its stage and modality,
spread over the sessions; the officer swaps, removes and reorders them through the address;
a plan is saved under a label that identifies no one, listed, opened and deleted, by its
officer only; it is downloaded as a PDF."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.db import db
from app.models import SavedPlan, User
from app.search.service import explanation_context
from app.workspace.plans import MAX_SAVED_PLANS, build_plan, read_plan, save_plan

CRITERIA = [
    ("facteur", "addictions"),
    ("stade", "contemplation"),
    ("facteur", "entourage"),
    ("stade", "contemplation"),
    ("facteur", ""),
    ("stade", ""),
    ("facteur", ""),
    ("stade", ""),
    ("modalite", "individuelle"),
    ("seances", "6"),
    ("minutes", "45"),
]


def _sign_in(app, client, user):
    with app.app_context():
        version = db.session.get(User, user.id).session_version
    with client.session_transaction() as session:
        session["uid"], session["sv"] = user.id, version


@pytest.fixture
def catalogue(make_tool):
    """Two factors' tools at contemplation, and tools a plan must never propose."""
    tools = {}

    def tool(key, **fields):
        fields.setdefault("stages", ["contemplation"])
        fields.setdefault("modality", "individuelle")
        fields.setdefault("sessions", "1")
        tools[key] = make_tool(**fields)

    tool("a1", title="Balance décisionnelle", evidence_level=4, minutes_per_session=45)
    tool(
        "a2",
        title="Carnet de consommation",
        evidence_level=3,
        minutes_per_session=30,
        sessions="2-5",
    )
    tool("a3", title="Programme trop long", evidence_level=2, minutes_per_session=90)
    tool(
        "nr",
        title="Méthode néfaste",
        evidence_level=4,
        minutes_per_session=20,
        not_recommended=True,
    )
    tool(
        "group",
        title="Groupe de parole",
        evidence_level=4,
        minutes_per_session=20,
        modality="collective",
    )
    tool(
        "later", title="Plan d'action", evidence_level=4, minutes_per_session=20, stages=["action"]
    )
    tool(
        "e1",
        title="Tri des fréquentations",
        risk_factors=["entourage"],
        evidence_level=3,
        minutes_per_session=40,
    )
    tool(
        "e2",
        title="Cercle du réseau",
        risk_factors=["entourage"],
        evidence_level=2,
        minutes_per_session=45,
        modality="mixte",
    )
    tool(
        "e3",
        title="Jeu de rôle du refus",
        risk_factors=["entourage"],
        evidence_level=1,
        minutes_per_session=20,
    )
    return tools


@pytest.fixture
def officer(app, make_user):
    user = make_user("agent")
    client = app.test_client()
    _sign_in(app, client, user)
    return user, client


def _plan(app, pairs, user=None):
    with app.test_request_context():
        labels = explanation_context(db.session)[0]
        state = read_plan(_lists(pairs), labels)
        return build_plan(db.session, state, user)


def _lists(pairs):
    out = {}
    for name, value in pairs:
        if name in ("facteur", "stade", "outil"):
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


def _slugs(plan):
    return [p.tool.slug for p in plan.tools]


def test_the_proposal_takes_each_factors_best_tools_in_turns_over_the_sessions(app, catalogue):
    plan = _plan(app, CRITERIA)
    t = catalogue
    assert _slugs(plan) == [t[k].slug for k in ("a1", "e1", "a2", "e2", "e3")]
    assert [p.factor for p in plan.tools] == ["addictions", "entourage"] * 2 + ["entourage"]
    # session by session: the two-session tool takes the third and fourth, the short one
    # lands in the first session with 20 minutes left
    assert plan.allocation.placed == {0: (0,), 1: (1,), 2: (2, 3), 3: (4,), 4: (5,)}
    assert plan.allocation.free == [0, 5, 15, 15, 0, 25]
    assert plan.proposed
    # what did not fit is said, with why; what must never be proposed is not even listed
    left_out = {hit["slug"]: reason for _f, hit, reason in plan.left_out}
    assert set(left_out) == {t["a3"].slug}
    assert "90 minutes par séance, plus que les 45" in left_out[t["a3"].slug]
    never = {t[k].slug for k in ("nr", "group", "later")}
    offered = {hit["slug"] for hits in plan.candidates.values() for hit in hits}
    assert not never & (offered | set(_slugs(plan)))


def test_the_page_shows_the_plan_and_what_does_not_fit(app, catalogue, officer):
    _user, client = officer
    response = client.get("/plan?" + urlencode(CRITERIA))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Le plan proposé" in page
    assert "Séance 6" in page and "Séance 7" not in page
    assert "Programme trop long" in page and "90 minutes par séance" in page
    assert "Méthode néfaste" not in page and "Groupe de parole" not in page
    # every edit form carries the tools in order
    hidden = re.findall(r'name="outil" value="([^"]+)"', page)
    assert hidden[:5] == [
        f"addictions:{catalogue['a1'].slug}",
        f"entourage:{catalogue['e1'].slug}",
        f"addictions:{catalogue['a2'].slug}",
        f"entourage:{catalogue['e2'].slug}",
        f"entourage:{catalogue['e3'].slug}",
    ]


def _items(location):
    return parse_qs(urlsplit(location).query, keep_blank_values=True).get("outil", [])


def test_edits_reorder_swap_remove_and_add_through_the_address(app, catalogue, officer):
    _user, client = officer
    t = catalogue
    items = [("outil", f"addictions:{t['a1'].slug}"), ("outil", f"entourage:{t['e1'].slug}")]
    base = CRITERIA + items

    def act(action, **extra):
        response = client.get("/plan?" + urlencode(base + [("action", action), *extra.items()]))
        assert response.status_code == 303
        return _items(response.headers["Location"])

    assert act("descendre-0") == [items[1][1], items[0][1]]
    assert act("monter-1") == [items[1][1], items[0][1]]
    assert act("retirer-0") == [items[1][1]]
    assert act("remplacer-1", **{"par-1": t["e2"].slug}) == [
        items[0][1],
        f"entourage:{t['e2'].slug}",
    ]
    assert act("ajouter-addictions", **{"ajout-addictions": t["a2"].slug}) == [
        items[0][1],
        items[1][1],
        f"addictions:{t['a2'].slug}",
    ]
    # removing the last tool keeps an empty plan (an address without tools asks for a proposal)
    response = client.get("/plan?" + urlencode(CRITERIA + [items[0], ("action", "retirer-0")]))
    assert _items(response.headers["Location"]) == [""]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ce plan ne compte aucun outil" in page


def test_the_officers_order_decides_the_sessions(app, catalogue):
    t = catalogue
    first = _plan(
        app,
        CRITERIA
        + [("outil", f"addictions:{t['a1'].slug}"), ("outil", f"entourage:{t['e3'].slug}")],
    )
    swapped = _plan(
        app,
        CRITERIA
        + [("outil", f"entourage:{t['e3'].slug}"), ("outil", f"addictions:{t['a1'].slug}")],
    )
    assert first.allocation.sessions[:2] == [[0], [1]]  # 45 min, then the 20 min tool
    assert swapped.allocation.sessions[:2] == [[0], [1]]
    assert swapped.tools[0].tool.slug == t["e3"].slug and first.tools[0].tool.slug == t["a1"].slug
    assert not first.proposed and not first.left_out


def test_a_tool_gone_or_not_of_its_factor_is_dropped_with_a_notice(app, catalogue, make_tool):
    t = catalogue
    draft = make_tool(title="Brouillon", status="draft", minutes_per_session=20)
    plan = _plan(
        app,
        CRITERIA
        + [
            ("outil", f"addictions:{draft.slug}"),
            ("outil", "addictions:outil-inconnu"),
            ("outil", f"addictions:{t['e1'].slug}"),  # an entourage tool
            ("outil", f"entourage:{t['e1'].slug}"),
        ],
    )
    assert _slugs(plan) == [t["e1"].slug]
    assert len(plan.dropped) == 3
    assert any("Tri des fréquentations" in message for message in plan.dropped)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"facteur": ["addictions", "", "", ""]}, "facteurs", "Choisissez de 2 à 4 facteurs"),
        ({"facteur": ["addictions", "addictions", "", ""]}, "facteur-2", "déjà choisi"),
        ({"facteur": ["addictions", "inconnu", "", ""]}, "facteur-2", "existe pas"),
        ({"stade": ["contemplation", "", "", ""]}, "stade-2", "Choisissez le stade du changement"),
        ({"seances": ["0"]}, "seances", "de 1 à 20"),
        ({"minutes": ["beaucoup"]}, "minutes", "nombre entier de minutes"),
        ({"modalite": ["mixte"]}, "modalite", "individuelle ou collective"),
    ],
)
def test_bad_criteria_are_refused_in_french_at_their_field(app, officer, changes, field, message):
    _user, client = officer
    args = _lists(CRITERIA)
    args = {k: (v if isinstance(v, list) else [v]) for k, v in args.items()}
    args.update(changes)
    response = client.get("/plan?" + urlencode(args, doseq=True))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-erreur"' in page or f'id="{field}-fieldset"' in page


def test_a_plan_is_saved_listed_opened_renamed_and_deleted(app, catalogue, officer):
    user, client = officer
    form = CRITERIA + [
        ("outil", f"addictions:{catalogue['a1'].slug}"),
        ("libelle", "Addictions et entourage"),
    ]
    response = client.post("/mes-plans", data=MultiDict(form))
    assert response.status_code == 303
    with app.app_context():
        saved = db.session.scalars(select(SavedPlan).where(SavedPlan.user_id == user.id)).one()
        assert saved.label == "Addictions et entourage"
        assert saved.state["outil"] == [f"addictions:{catalogue['a1'].slug}"]
        assert saved.state["facteur"] == ["addictions", "entourage"]
        plan_id = saved.id
    assert f"plan={plan_id}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Plan «&nbsp;Addictions et entourage&nbsp;»" in page
    assert "Enregistrer les modifications" in page

    listing = client.get("/mes-plans").get_data(as_text=True)
    assert "Addictions et entourage" in listing and "6 × 45" in listing
    opened = client.get(f"/mes-plans/{plan_id}")
    assert opened.status_code == 303
    assert _items(opened.headers["Location"]) == [f"addictions:{catalogue['a1'].slug}"]

    renamed = client.post(
        f"/mes-plans/{plan_id}",
        data=MultiDict(CRITERIA + [("outil", ""), ("libelle", "Plan court")]),
    )
    assert renamed.status_code == 303
    with app.app_context():
        saved = db.session.get(SavedPlan, plan_id)
        assert saved.label == "Plan court" and saved.state["outil"] == []

    assert client.post(f"/mes-plans/{plan_id}/supprimer").status_code == 303
    with app.app_context():
        assert db.session.get(SavedPlan, plan_id) is None
    listing = client.get("/mes-plans").get_data(as_text=True)
    assert "est supprimé" in listing
    assert "enregistré de plan" in listing and 'id="mes-plans"' not in listing


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Plan de M. Dupont", "nom de personne"),
        ("Né le 03/04/1985", "date de naissance"),
        ("Écrou 12345", "numéro d&#39;écrou"),
        ("", "Donnez un nom au plan"),
        ("x" * 81, "dépasse 80 caractères"),
    ],
)
def test_a_label_that_identifies_someone_is_refused_and_nothing_is_stored(
    app, catalogue, officer, label, message
):
    user, client = officer
    response = client.post(
        "/mes-plans", data=MultiDict(CRITERIA + [("outil", ""), ("libelle", label)])
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="libelle-erreur"' in page
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(SavedPlan).where(SavedPlan.user_id == user.id)
        )
    assert count == 0


def test_another_officers_plan_reads_as_missing(app, catalogue, officer, make_user):
    owner, _client = officer
    with app.test_request_context():
        state = read_plan(_lists(CRITERIA + [("outil", "")]), explanation_context(db.session)[0])
        plan_id = save_plan(db.session, db.session.get(User, owner.id), "Le mien", state).id
        db.session.commit()
    other = app.test_client()
    _sign_in(app, other, make_user("agent"))
    assert other.get(f"/mes-plans/{plan_id}").status_code == 404
    assert (
        other.post(
            f"/mes-plans/{plan_id}", data=MultiDict(CRITERIA + [("libelle", "Volé")])
        ).status_code
        == 404
    )
    assert other.post(f"/mes-plans/{plan_id}/supprimer").status_code == 404
    assert "Le mien" not in other.get("/mes-plans").get_data(as_text=True)
    # opened with another's id, the plan page does not name it either
    page = other.get("/plan?" + urlencode(CRITERIA + [("outil", ""), ("plan", str(plan_id))]))
    assert "Le mien" not in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SavedPlan, plan_id).label == "Le mien"


def test_saved_plans_are_capped(app, catalogue, officer):
    user, client = officer
    with app.test_request_context():
        state = read_plan(_lists(CRITERIA + [("outil", "")]), explanation_context(db.session)[0])
        account = db.session.get(User, user.id)
        for n in range(MAX_SAVED_PLANS):
            save_plan(db.session, account, f"Plan {n}", state)
        db.session.commit()
    response = client.post(
        "/mes-plans", data=MultiDict(CRITERIA + [("outil", ""), ("libelle", "Un de plus")])
    )
    assert response.status_code == 400
    assert f"déjà {MAX_SAVED_PLANS} plans enregistrés" in response.get_data(as_text=True)


def test_the_plan_downloads_as_a_pdf(app, catalogue, officer):
    _user, client = officer
    kept = [
        ("outil", f"addictions:{catalogue['a1'].slug}"),
        ("outil", f"addictions:{catalogue['a3'].slug}"),
    ]
    response = client.get("/plan/plan.pdf?" + urlencode(CRITERIA + kept))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) <= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Plan d'intervention",
        "Addictions (alcool, stupéfiants) — stade : Contemplation",
        "6 séances de 45 minutes",
        "Séance 1",
        "Balance décisionnelle",
        "Ne tiennent pas dans ce plan",
        "Programme trop long : demande 90 minutes par séance",
    ):
        assert expected in text


def test_a_plan_with_refused_criteria_gives_no_pdf(app, officer):
    _user, client = officer
    response = client.get(
        "/plan/plan.pdf?" + urlencode([("facteur", "addictions"), ("modalite", "individuelle")])
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
