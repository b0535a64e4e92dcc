"""`romin export` / `romin import`: the whole catalogue as deterministic JSON, read back
idempotently; export → import into an empty database → export gives the same bytes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import Feedback, IndexOutbox, RiskFactor, Support, Tool, User
from app.services.catalogue_transfer import tool_columns

ROMIN = str(Path(sys.executable).with_name("romin"))


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _outbox_rows():
    return db.session.scalar(select(func.count()).select_from(IndexOutbox))


def _export(runner, path: Path) -> str:
    result = runner.invoke(args=["export", "--output", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def _edit_sample(app):
    """Variety the demo catalogue lacks: a draft, an archived tool, a review date, a factor edit."""
    with app.app_context():
        tools = db.session.scalars(select(Tool).order_by(Tool.slug)).all()
        tools[0].status, tools[1].status = "draft", "archived"
        tools[2].references = ["Miller & Rollnick, 2013", "« guillemets » et \"doubles\""]
        factor = db.session.scalar(select(RiskFactor).where(RiskFactor.slug == "loisirs"))
        factor.synonyms = [*factor.synonyms, "pétanque"]
        db.session.commit()


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    _edit_sample(app)
    return app


def _romin(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ROMIN, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def empty_database(database_url, service_env, meili_client, tmp_path):
    """A second, real, empty database (only the migrations), used through the `romin` command."""
    name = f"romin_xfer_{uuid.uuid4().hex[:8]}"
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    admin = re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", plain, count=1)
    url = re.sub(r"/[^/?]+(\?|$)", rf"/{name}\1", database_url, count=1)
    index = f"test_{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "MEILI_URL": service_env["MEILI_URL"],
           "MEILI_MASTER_KEY": service_env.get("MEILI_MASTER_KEY", ""), "MEILI_INDEX": index,
           "SUPPORTS_DIR": str(tmp_path / "supports-b"), "SEARCH_GENERATION_LISTENER": "0",
           "SECRET_KEY": "test-secret-key-for-the-test-suite-only"}
    try:
        migrated = _romin(env, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stderr
        yield env, url
    finally:
        try:
            meili_client.request("DELETE", f"/indexes/{index}")
        except Exception:
            pass
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_export_import_into_an_empty_database_export_gives_the_same_json(
        seeded, empty_database, tmp_path, meili_client):
    app, (env, url) = seeded, empty_database
    first = _export(app.test_cli_runner(), tmp_path / "a.json")
    catalogue = json.loads(first)
    assert first == json.dumps(catalogue, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert len(catalogue["tools"]) >= 40 and len(catalogue["risk_factors"]) == 7
    assert [t["slug"] for t in catalogue["tools"]] == sorted(t["slug"] for t in catalogue["tools"])
    sample = catalogue["tools"][2]
    assert set(sample) == {c.name for c in tool_columns()} | {"risk_factors", "supports"}
    assert {"status", "created_at", "updated_at", "last_review", "references"} <= set(sample)
    assert "scores" not in sample and "id" not in sample  # derived, internal
    assert {t["status"] for t in catalogue["tools"]} >= {"draft", "archived", "published"}
    supports = [s for t in catalogue["tools"] for s in t["supports"]]
    assert supports and set(supports[0]) == {"title", "filename", "position", "content_type",
                                              "size", "sha256"}
    assert set(catalogue) == {"format", "version", "risk_factors", "tools"}  # no users, no feedback

    imported = _romin(env, "import", str(tmp_path / "a.json"), "--fichiers", app.config["SUPPORTS_DIR"])
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"Outils : {len(catalogue['tools'])} créé(s), 0 modifié(s), 0 inchangé(s)." in imported.stdout
    assert f"Supports : {len(supports)} créé(s)" in imported.stdout
    assert "Facteurs de risque : 0 créé(s), 1 modifié(s), 6 inchangé(s)." in imported.stdout

    second = _romin(env, "export", "--output", str(tmp_path / "b.json"))
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "b.json").read_text(encoding="utf-8") == first

    # the imported database is a working catalogue: files on disk, index filled, scores computed
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        published, scored = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE scores ? '_') FROM tools WHERE status = 'published'"
        ).fetchone()
        stored = [row[0] for row in conn.execute("SELECT stored_path FROM supports")]
        pending = conn.execute("SELECT count(*) FROM index_outbox WHERE done_at IS NULL").fetchone()[0]
        outbox_after_first = conn.execute("SELECT count(*) FROM index_outbox").fetchone()[0]
        trail = conn.execute("SELECT count(*) FILTER (WHERE source = 'import'), count(*)"
                             " FROM tool_revisions").fetchone()
    assert trail == (len(catalogue["tools"]),) * 2  # one revision per tool, by the import
    assert scored == published and pending == 0
    assert all((Path(env["SUPPORTS_DIR"]) / path).is_file() for path in stored)
    stats = meili_client.request("GET", f"/indexes/{env['MEILI_INDEX']}/stats")
    assert stats["numberOfDocuments"] == published
    synonyms = meili_client.request("GET", f"/indexes/{env['MEILI_INDEX']}/settings/synonyms")
    assert synonyms["pétanque"] == ["loisirs"]

    # importing the same file again changes nothing, not even the outbox
    again = _romin(env, "import", str(tmp_path / "a.json"), "--fichiers", app.config["SUPPORTS_DIR"])
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Rien n'a changé" in again.stdout
    assert f"Outils : 0 créé(s), 0 modifié(s), {len(catalogue['tools'])} inchangé(s)." in again.stdout
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("SELECT count(*) FROM index_outbox").fetchone()[0] == outbox_after_first
        assert conn.execute("SELECT count(*) FROM tool_revisions").fetchone()[0] == trail[1]
    third = _romin(env, "export")
    assert third.returncode == 0 and third.stdout == first


def test_importing_its_own_export_changes_nothing_and_an_edit_is_applied(seeded, tmp_path,
                                                                         meili_client):
    app = seeded
    runner = app.test_cli_runner()
    text = _export(runner, tmp_path / "a.json")
    with app.app_context():
        counts = {m: _count(m) for m in (Tool, Support, RiskFactor, Feedback, User)}
        outbox = _outbox_rows()
    same = runner.invoke(args=["import", str(tmp_path / "a.json")])
    assert same.exit_code == 0 and "Rien n'a changé" in same.output, same.output
    with app.app_context():
        assert {m: _count(m) for m in (Tool, Support, RiskFactor, Feedback, User)} == counts
        assert _outbox_rows() == outbox

    catalogue = json.loads(text)
    target = next(t for t in catalogue["tools"] if t["status"] == "published")
    target["title"] = "Titre changé par l'import"
    target["supports"] = list(reversed(target["supports"]))
    for position, support in enumerate(target["supports"]):
        support["position"] = position
    (tmp_path / "b.json").write_text(json.dumps(catalogue), encoding="utf-8")
    edited = runner.invoke(args=["import", str(tmp_path / "b.json")])
    assert edited.exit_code == 0, edited.output
    assert "Outils : 0 créé(s), 1 modifié(s)" in edited.output
    with app.app_context():
        tool = db.session.scalar(select(Tool).where(Tool.slug == target["slug"]))
        assert tool.title == "Titre changé par l'import"
        document = meili_client.request("GET", f"/indexes/{app.config['MEILI_INDEX']}/documents/{tool.id}")
        assert document["title"] == "Titre changé par l'import"


def test_invalid_files_are_refused_with_clear_french_messages_and_nothing_written(app, make_tool,
                                                                                 tmp_path):
    make_tool(title="Déjà là")
    runner = app.test_cli_runner()
    with app.app_context():
        before = (_count(Tool), _outbox_rows())

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "romin-catalogue",\n "tools": [}', encoding="utf-8")
    result = runner.invoke(args=["import", str(broken)])
    assert result.exit_code == 1 and "JSON illisible, ligne 2, colonne" in result.output

    good_tool = {"slug": "nouvel-outil", "title": "Nouvel outil", "status": "published",
                 "risk_factors": ["addictions"], "supports": []}
    bad = {"format": "romin-catalogue", "version": 1, "risk_factors": [
        {"slug": "famille", "label": "", "description": "", "synonyms": ["cannabis"], "position": 4}],
        "tools": [
            good_tool,
            {"slug": "Mauvais Slug", "title": "x", "status": "publie", "evidence_level": 7,
             "stages": ["action", "sprint"], "created_at": "hier", "risk_factors": ["inconnu"],
             "couleur": "bleu",
             "supports": [{"title": "t", "filename": "../etc/passwd", "position": 0,
                           "content_type": "text/html", "size": -1, "sha256": "abc"}]},
            {**good_tool, "title": 12},
        ]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    out = result.output
    assert result.exit_code == 1, out
    assert "Fichier refusé, rien n'a été importé" in out
    assert "facteur « famille » : Le libellé est obligatoire." in out
    assert "« cannabis » désigne déjà le facteur « Addictions (alcool, stupéfiants) »" in out
    assert "outil n° 2 (« Mauvais Slug »)" in out and "champ(s) inconnu(s) : couleur" in out
    assert "« status » : valeur(s) inconnue(s) publie" in out
    assert "« stages » : valeur(s) inconnue(s) sprint" in out
    assert "« evidence_level » va de 0 à 4" in out
    assert "« created_at » doit être une date et heure ISO 8601" in out
    assert "« risk_factors » : facteur(s) inconnu(s) inconnu" in out
    assert "« filename » : nom de fichier invalide" in out and "« sha256 » : 64 chiffres" in out
    assert "outil n° 3 (« nouvel-outil »)" in out and "« title » doit être un texte" in out
    assert "cet outil figure deux fois" in out
    with app.app_context():
        assert (_count(Tool), _outbox_rows()) == before
        assert db.session.scalar(select(Tool).where(Tool.slug == "nouvel-outil")) is None

    not_ours = tmp_path / "list.json"
    not_ours.write_text("[1, 2]", encoding="utf-8")
    result = runner.invoke(args=["import", str(not_ours)])
    assert result.exit_code == 1 and "un export de ROMIN" in result.output


def test_a_support_whose_file_is_missing_is_not_imported_and_reported(app, tmp_path):
    sha = "0" * 64
    catalogue = {"format": "romin-catalogue", "version": 1, "risk_factors": [], "tools": [{
        "slug": "outil-sans-fichier", "title": "Outil sans fichier", "status": "published",
        "summary": "Résumé.", "risk_factors": ["emploi"],
        "created_at": "2024-03-01T10:00:00+00:00", "updated_at": "2024-03-02T10:00:00+00:00",
        "supports": [{"title": "Fiche", "filename": "fiche.pdf", "position": 0,
                      "content_type": "application/pdf", "size": 1234, "sha256": sha}]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(catalogue), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--fichiers", str(tmp_path / "vide")])
    assert result.exit_code == 2, result.output
    assert "Outils : 1 créé(s)" in result.output
    assert "fichier introuvable : outil « outil-sans-fichier », « fiche.pdf »" in result.output
    assert "n'est pas importé" in result.output
    with app.app_context():
        tool = db.session.scalar(select(Tool).where(Tool.slug == "outil-sans-fichier"))
        assert tool.supports == [] and tool.created_at.isoformat().startswith("2024-03-01T10:00:00")
        assert tool.status == "published" and tool.scores.get("_") is not None
