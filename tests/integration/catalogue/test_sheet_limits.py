"""Every text and list of a tool sheet has a limit, and so has the whole sheet: refused in
French by the schema (the API, imports, the back office's form) and by the one save path (a
partial update), generous enough for the demo and the bench catalogues."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from app.catalogue.fields import (
    FACTOR_REFERENCES_MAX,
    FACTOR_SLUG_MAX,
    LIST_LIMITS,
    REFERENCE_MAX,
    SHEET_FIELDS,
    SHEET_MAX,
    TEXT_FIELDS,
    TEXT_LIMITS,
    count_fr,
    sheet_characters,
)
from app.catalogue.schemas import ToolInSchema
from app.core import vocabulary as v
from app.db import db
from app.demo.seed import load_demo, tool_fields
from app.models import Tool

NBSP = "\u00a0"


def _sheet(**fields):
    sheet = {
        "title": "Balance décisionnelle",
        "summary": "Peser le pour et le contre d'un changement.",
        "risk_factors": ["addictions"],
        "stages": ["contemplation"],
    }
    sheet.update(fields)
    return sheet


def _refusal(data, partial=False) -> dict:
    with pytest.raises(ValidationError) as caught:
        ToolInSchema(partial=partial).load(data)
    return caught.value.messages_dict


# -- every field has a limit ----------------------------------------------------------------


def test_every_text_and_list_of_the_sheet_has_a_limit():
    lists = {"risk_factors", "stages", "setting", "responsivity", "references", "factor_evidence"}
    assert set(TEXT_LIMITS) == set(TEXT_FIELDS)
    assert set(LIST_LIMITS) == lists and lists <= set(SHEET_FIELDS)
    # every field of the sheet is a text, a list, or a bounded value (a choice, a number...)
    bounded = {
        "kind",
        "phase",
        "modality",
        "sessions",
        "minutes_per_session",
        "preparation_minutes",
        "evidence_level",
        "not_recommended",
        "harm_evidence",
        "last_review",
    }
    assert set(SHEET_FIELDS) == set(TEXT_FIELDS) | lists | bounded


@pytest.mark.parametrize("name", sorted(TEXT_LIMITS))
def test_each_text_is_refused_past_its_limit_in_french(name):
    limit = TEXT_LIMITS[name]
    ToolInSchema().load(_sheet(**{name: "é" * limit}))  # up to the limit: kept
    messages = _refusal(_sheet(**{name: "é" * (limit + 1)}))
    assert list(messages) == [name]
    assert f"{count_fr(limit)} caractères" in messages[name][0]


CHOICES = {"stages": v.STAGES, "setting": v.SETTINGS, "responsivity": v.RESPONSIVITY}


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_a_list_of_choices_holds_at_most_as_many_as_there_are_choices(name):
    slugs = v.slugs(CHOICES[name])
    assert LIST_LIMITS[name] == len(slugs)
    ToolInSchema().load(_sheet(**{name: slugs}))
    messages = _refusal(_sheet(**{name: slugs * 1000}))
    assert messages == {name: [messages[name][0]]}
    assert f"{len(slugs)} au plus" in messages[name][0]


def test_references_are_counted_and_each_is_bounded():
    limit = LIST_LIMITS["references"]
    ToolInSchema().load(_sheet(references=["r" * REFERENCE_MAX] * limit))
    assert _refusal(_sheet(references=["Une référence."] * (limit + 1))) == {
        "references": [f"Références : {limit} au plus."]
    }
    messages = _refusal(_sheet(references=["court", "r" * (REFERENCE_MAX + 1)]))
    assert messages == {
        "references": {1: [f"Une référence fait {count_fr(REFERENCE_MAX)} caractères au plus."]}
    }


def test_a_factors_own_evidence_is_bounded_too():
    own = {"evidence_level": 3, "references": ["Étude."] * FACTOR_REFERENCES_MAX}
    ToolInSchema().load(_sheet(factor_evidence={"addictions": own}))
    many = {"evidence_level": 3, "references": ["Étude."] * (FACTOR_REFERENCES_MAX + 1)}
    messages = _refusal(_sheet(factor_evidence={"addictions": many}))
    text = str(messages["factor_evidence"])
    assert f"Références propres à un facteur : {FACTOR_REFERENCES_MAX} au plus." in text
    long = {"references": ["r" * (REFERENCE_MAX + 1)]}
    text = str(_refusal(_sheet(factor_evidence={"addictions": long}))["factor_evidence"])
    assert "Une référence fait" in text
    # how many factors, and how long a factor's name
    crowd = {
        f"facteur-{n}": {"evidence_level": 1} for n in range(LIST_LIMITS["factor_evidence"] + 1)
    }
    messages = _refusal(_sheet(factor_evidence=crowd))
    assert messages["factor_evidence"] == [
        f"Niveau de preuve par facteur : facteurs : {LIST_LIMITS['factor_evidence']} au plus."
    ]
    messages = _refusal(_sheet(factor_evidence={"x" * (FACTOR_SLUG_MAX + 1): {}}))
    assert "40 caractères au plus" in str(messages["factor_evidence"])


def test_risk_factors_are_counted_and_their_names_bounded():
    messages = _refusal(_sheet(risk_factors=["addictions"] * (LIST_LIMITS["risk_factors"] + 1)))
    assert messages["risk_factors"] == [
        f"Facteurs de risque : {LIST_LIMITS['risk_factors']} au plus."
    ]
    messages = _refusal(_sheet(risk_factors=["x" * 10_000]))
    assert "40 caractères au plus" in str(messages["risk_factors"])


def test_the_whole_sheet_is_bounded_and_the_message_says_its_size_and_the_limit():
    big = _sheet(
        instructions="i" * TEXT_LIMITS["instructions"],
        precautions="p" * TEXT_LIMITS["precautions"],
        references=["r" * REFERENCE_MAX] * LIST_LIMITS["references"],
    )
    size = sheet_characters(big)
    assert size > SHEET_MAX  # each field within its own limit, the whole past its own
    messages = _refusal(big)
    assert messages == {
        "_schema": [
            f"La fiche est trop longue : {count_fr(size)} caractères en tout, pour "
            f"100{NBSP}000 au plus. Raccourcissez le mode d'emploi, les précautions ou les "
            "références."
        ]
    }


# -- generous enough for real catalogues ------------------------------------------------------


def _within_limits(sheet: dict) -> list[str]:
    problems = [
        f"{name}: {len(sheet[name])}"
        for name, limit in TEXT_LIMITS.items()
        if len(sheet.get(name) or "") > limit
    ]
    problems += [
        f"{name}: {len(sheet[name])} items"
        for name, limit in LIST_LIMITS.items()
        if len(sheet.get(name) or ()) > limit
    ]
    if sheet_characters(sheet) > SHEET_MAX:
        problems.append(f"sheet: {sheet_characters(sheet)}")
    return problems


def test_every_demo_sheet_passes_the_schema_as_it_is():
    for entry in load_demo()["tools"]:
        fields = tool_fields(entry)
        if isinstance(fields["last_review"], date):
            fields["last_review"] = fields["last_review"].isoformat()
        ToolInSchema().load(fields)  # raises with the field and the message otherwise


def _bench_generator():
    """bench/ is beside the app, not installed with it: its generator is loaded from its file."""
    path = Path(__file__).resolve().parents[3] / "bench" / "catalogue.py"
    spec = importlib.util.spec_from_file_location("bench_catalogue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Generator()


def test_the_bench_catalogue_fits_the_limits():
    generator = _bench_generator()
    factor_ids = {slug: n for n, slug in enumerate(v.RISK_FACTOR_SLUGS, 1)}
    longest = 0
    for tool_id in range(1, 301):
        row, factors, _quality = generator.tool(tool_id, factor_ids)
        sheet = {**row, "risk_factors": factors}
        assert _within_limits(sheet) == [], row["slug"]
        longest = max(longest, len(row["instructions"]))
    assert longest > 4000  # the generator's long sheets are among them


# -- where every write goes through ---------------------------------------------------------


@pytest.fixture
def curator_headers(make_user, token_for):
    return token_for(make_user("curator"))


def _tool_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Tool))


def test_a_15_mb_sheet_sent_to_the_api_is_refused_in_french(app, client, curator_headers):
    before = _tool_count(app)
    sheet = _sheet(instructions="x" * (15 * 1024 * 1024), references=["Réf."] * 10_000)
    response = client.post("/api/v1/tools", json=sheet, headers=curator_headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["instructions"] == [f"Le mode d'emploi : 50{NBSP}000 caractères au plus."]
    assert errors["references"] == ["Références : 50 au plus."]
    assert _tool_count(app) == before


def test_a_partial_update_cannot_grow_a_sheet_past_its_limit(app, client, curator_headers):
    created = client.post(
        "/api/v1/tools",
        json=_sheet(instructions="i" * TEXT_LIMITS["instructions"]),
        headers=curator_headers,
    )
    assert created.status_code == 201
    slug = created.get_json()["slug"]
    # each request within every limit; the sheet they would make is not
    response = client.patch(
        f"/api/v1/tools/{slug}",
        json={"references": ["r" * REFERENCE_MAX] * LIST_LIMITS["references"]},
        headers=curator_headers,
    )
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["json"]["_schema"]
    assert (
        message.startswith("La fiche est trop longue : 100") and "100\u00a0000 au plus" in message
    )
    with app.app_context():
        tool = db.session.scalar(select(Tool).where(Tool.slug == slug))
        assert tool.references == []


@pytest.fixture
def signed_in(app, make_user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = make_user("curator").id
    return client


FORM = {
    "title": "Balance décisionnelle",
    "summary": "Peser le pour et le contre.",
    "kind": "outil",
    "phase": "intervention",
    "risk_factors": ["addictions"],
    "evidence_level": "0",
    "harm_evidence": "none",
}


def test_the_back_office_form_refuses_past_the_limits_and_says_them(app, signed_in):
    page = signed_in.get("/gestion/outils/nouveau").get_data(as_text=True)
    assert f'maxlength="{TEXT_LIMITS["instructions"]}"' in page
    assert f"{LIST_LIMITS['references']} références au plus" in page
    assert f"{count_fr(SHEET_MAX)} caractères au plus, textes et références réunis" in page
    before = _tool_count(app)

    many = "\n".join(f"Référence {n}." for n in range(LIST_LIMITS["references"] + 1))
    response = signed_in.post("/gestion/outils/nouveau", data={**FORM, "references": many})
    assert response.status_code == 400
    assert "Références : 50 au plus." in response.get_data(as_text=True)

    own = "\n".join(["Étude."] * (FACTOR_REFERENCES_MAX + 1))
    response = signed_in.post(
        "/gestion/outils/nouveau", data={**FORM, "references__addictions": own}
    )
    assert response.status_code == 400
    assert "Références propres à un facteur : 20 au plus." in response.get_data(as_text=True)

    response = signed_in.post(
        "/gestion/outils/nouveau",
        data={
            **FORM,
            "instructions": "i" * TEXT_LIMITS["instructions"],
            "precautions": "p" * TEXT_LIMITS["precautions"],
            "references": "\n".join(["r" * REFERENCE_MAX] * LIST_LIMITS["references"]),
        },
    )
    assert response.status_code == 400
    assert "La fiche est trop longue : 105" in response.get_data(as_text=True)
    assert _tool_count(app) == before
