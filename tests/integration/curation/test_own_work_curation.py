"""The officer's own tools (phase « organisation », no factor, no stage) in the back office form,
in `romin export` / `romin import` and in the legacy import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from app.catalogue.phases import FACTORS_ON_OWN_TOOL, STAGES_ON_OWN_TOOL
from app.curation.legacy_import import OWN_WORK_NOTE, import_directory
from app.db import db
from app.models import Tool


@pytest.fixture
def signed_in(app, make_user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = make_user("curator").id
    return client


FORM = {
    "title": "Grille d'auto-observation des entretiens",
    "summary": "Observer ses propres entretiens et choisir une compétence à travailler.",
    "kind": "support",
    "phase": "organisation",
    "evidence_level": "2",
}


def _tool(app, **where):
    with app.app_context():
        return db.session.scalar(select(Tool).filter_by(**where))


def test_the_form_creates_an_own_work_tool_without_factor_or_stage(app, signed_in):
    form = signed_in.get("/gestion/outils/nouveau").get_data(as_text=True)
    assert "sauf pour un outil d&#39;organisation de l&#39;activité" in form
    response = signed_in.post("/gestion/outils/nouveau", data=FORM)
    assert response.status_code == 303, response.get_data(as_text=True)
    tool = _tool(app, title=FORM["title"])
    assert tool.phase == "organisation" and tool.risk_factor_slugs == [] and tool.stages == []


def test_the_form_refuses_factors_and_stages_on_an_own_work_tool(app, signed_in):
    data = {**FORM, "risk_factors": ["addictions", "emploi"], "stages": ["action"]}
    response = signed_in.post("/gestion/outils/nouveau", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (FACTORS_ON_OWN_TOOL, STAGES_ON_OWN_TOOL):
        assert message.replace("'", "&#39;") in html
    assert "2 champs à corriger" in html
    assert 'href="#risk_factors-fieldset"' in html and 'href="#stages-fieldset"' in html
    assert _tool(app, title=FORM["title"]) is None


def test_editing_a_tool_into_an_own_work_tool(app, signed_in, make_tool):
    tool = make_tool(title="Tableau de suivi des objectifs", stages=["action"])
    form = {**FORM, "title": tool.title, "summary": tool.summary, "base_revision": ""}
    refused = signed_in.post(
        f"/gestion/outils/{tool.slug}/modifier", data={**form, "risk_factors": ["addictions"]}
    )
    assert refused.status_code == 400
    assert FACTORS_ON_OWN_TOOL.replace("'", "&#39;") in refused.get_data(as_text=True)
    saved = signed_in.post(f"/gestion/outils/{tool.slug}/modifier", data=form)
    assert saved.status_code == 303
    edited = _tool(app, slug=tool.slug)
    assert edited.phase == "organisation" and edited.risk_factor_slugs == []


def test_export_and_import_carry_it_byte_for_byte(app, make_tool, tmp_path):
    make_tool(**{**FORM, "evidence_level": 2}, risk_factors=[], stages=[])
    make_tool(title="Balance décisionnelle", risk_factors=["addictions"])
    runner = app.test_cli_runner()
    first = runner.invoke(args=["export", "--output", str(tmp_path / "a.json")])
    assert first.exit_code == 0, first.output
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    catalogue = json.loads(text)
    (own,) = [t for t in catalogue["tools"] if t["phase"] == "organisation"]
    assert own["risk_factors"] == [] and own["stages"] == []
    with app.app_context():
        db.session.execute(delete(Tool))
        db.session.commit()
    imported = runner.invoke(args=["import", str(tmp_path / "a.json")])
    assert imported.exit_code == 0, imported.output
    second = runner.invoke(args=["export", "--output", str(tmp_path / "b.json")])
    assert second.exit_code == 0, second.output
    assert (tmp_path / "b.json").read_text(encoding="utf-8") == text


def test_import_refuses_factors_on_an_own_work_tool(app, make_tool, tmp_path):
    existing = make_tool(**{**FORM, "evidence_level": 2}, risk_factors=[], stages=[])
    sheet = {"title": "Grille", "summary": "s", "status": "draft", "supports": []}
    tools = [
        {**sheet, "slug": "nouvelle", "phase": "organisation", "risk_factors": ["emploi"]},
        # the file names the factors only: the tool in the database is an own-work tool
        {**sheet, "slug": existing.slug, "risk_factors": ["emploi"]},
    ]
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps({"format": "romin-catalogue", "version": 1, "risk_factors": [], "tools": tools}),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1, result.output
    assert f"outil n° 1 (« nouvelle ») : « risk_factors » : {FACTORS_ON_OWN_TOOL}" in result.output
    assert f"outil « {existing.slug} » (déjà en base) : « risk_factors »" in result.output
    assert _tool(app, slug="nouvelle") is None
    assert _tool(app, slug=existing.slug).risk_factor_slugs == []


LEGACY = """---
titre: Grille de préparation de l'entretien
phase: Organisation de l'activité
facteurs_risques:
  - Addictions (alcool, stupéfiants)
  - Problèmes d'ordre professionnel
stades_changement: [Contemplation, Action]
resume: Fiche que le CPIP remplit avant un entretien.
---
Remplir avant l'entretien.
"""


def test_the_legacy_import_reads_the_phase_and_drops_factors_with_a_note(ctx, tmp_path: Path):
    directory = tmp_path / "legacy"
    directory.mkdir()
    (directory / "grille.md").write_text(LEGACY, encoding="utf-8")
    (directory / "mauvaise-phase.md").write_text(
        "---\ntitre: Autre grille\nphase: Pause café\nfacteurs_risques: Emploi\n---\n",
        encoding="utf-8",
    )
    report = import_directory(db.session, directory, sorted(directory.glob("*.md")))
    lines = report.lines()
    assert any(line.startswith("OK créé grille.md") for line in lines), lines
    assert f"  {OWN_WORK_NOTE}" in lines
    assert any("ERREUR mauvaise-phase.md : phase : valeur non reconnue" in line for line in lines)
    tool = db.session.scalar(select(Tool).where(Tool.title.like("Grille de préparation%")))
    assert tool.phase == "organisation" and tool.risk_factor_slugs == [] and tool.stages == []
    # a file without `phase` updating a tool a curator made an own-work tool keeps it so
    (directory / "grille.md").write_text(
        LEGACY.replace("phase: Organisation de l'activité\n", "").replace(
            "Remplir avant", "Remplir juste avant"
        ),
        encoding="utf-8",
    )
    (directory / "mauvaise-phase.md").unlink()
    again = import_directory(db.session, directory, [directory / "grille.md"])
    assert again.outcomes[0].status == "mis à jour", again.lines()
    assert again.outcomes[0].notes == [OWN_WORK_NOTE]
    db.session.refresh(tool)
    assert tool.phase == "organisation" and tool.risk_factor_slugs == []
    assert tool.instructions == "Remplir juste avant l'entretien."
