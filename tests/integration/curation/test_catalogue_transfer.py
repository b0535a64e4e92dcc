"""`romin export` / `romin import`: the whole catalogue as deterministic JSON, read back
idempotently; export → import into an empty database → export gives the same bytes."""

from __future__ import annotations

import hashlib
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

from app.curation.transfer import tool_columns
from app.db import db
from app.models import Feedback, IndexOutbox, RiskFactor, Support, Tool, User

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
        tools[2].references = ["Miller & Rollnick, 2013", '« guillemets » et "doubles"']
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
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEILI_URL": service_env["MEILI_URL"],
        "MEILI_MASTER_KEY": service_env.get("MEILI_MASTER_KEY", ""),
        "MEILI_INDEX": index,
        "SUPPORTS_DIR": str(tmp_path / "supports-b"),
        "SEARCH_GENERATION_LISTENER": "0",
        "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
    }
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
    seeded, empty_database, tmp_path, meili_client
):
    app, (env, url) = seeded, empty_database
    first = _export(app.test_cli_runner(), tmp_path / "a.json")
    catalogue = json.loads(first)
    assert first == json.dumps(catalogue, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert len(catalogue["tools"]) >= 40 and len(catalogue["risk_factors"]) == 7
    assert [t["slug"] for t in catalogue["tools"]] == sorted(t["slug"] for t in catalogue["tools"])
    sample = catalogue["tools"][2]
    assert set(sample) == {c.name for c in tool_columns()} | {
        "risk_factors",
        "factor_evidence",
        "supports",
    }
    assert {"status", "created_at", "updated_at", "last_review", "references"} <= set(sample)
    assert "scores" not in sample and "id" not in sample  # derived, internal
    assert {t["status"] for t in catalogue["tools"]} >= {"draft", "archived", "published"}
    supports = [s for t in catalogue["tools"] for s in t["supports"]]
    assert supports and set(supports[0]) == {
        "title",
        "filename",
        "position",
        "content_type",
        "size",
        "sha256",
    }
    assert set(catalogue) == {"format", "version", "risk_factors", "tools"}  # no users, no feedback

    imported = _romin(
        env, "import", str(tmp_path / "a.json"), "--fichiers", app.config["SUPPORTS_DIR"]
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert (
        f"Outils : {len(catalogue['tools'])} créé(s), 0 modifié(s), 0 inchangé(s)."
        in imported.stdout
    )
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
        pending = conn.execute(
            "SELECT count(*) FROM index_outbox WHERE done_at IS NULL"
        ).fetchone()[0]
        outbox_after_first = conn.execute("SELECT count(*) FROM index_outbox").fetchone()[0]
        trail = conn.execute(
            "SELECT count(*) FILTER (WHERE source = 'import'), count(*) FROM tool_revisions"
        ).fetchone()
    assert trail == (len(catalogue["tools"]),) * 2  # one revision per tool, by the import
    assert scored == published and pending == 0
    assert all((Path(env["SUPPORTS_DIR"]) / path).is_file() for path in stored)
    stats = meili_client.request("GET", f"/indexes/{env['MEILI_INDEX']}/stats")
    assert stats["numberOfDocuments"] == published
    synonyms = meili_client.request("GET", f"/indexes/{env['MEILI_INDEX']}/settings/synonyms")
    assert synonyms["pétanque"] == ["romfacteurloisirs"]

    # importing the same file again changes nothing, not even the outbox
    again = _romin(
        env, "import", str(tmp_path / "a.json"), "--fichiers", app.config["SUPPORTS_DIR"]
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Rien n'a changé" in again.stdout
    assert (
        f"Outils : 0 créé(s), 0 modifié(s), {len(catalogue['tools'])} inchangé(s)." in again.stdout
    )
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("SELECT count(*) FROM index_outbox").fetchone()[0] == outbox_after_first
        assert conn.execute("SELECT count(*) FROM tool_revisions").fetchone()[0] == trail[1]
    third = _romin(env, "export")
    assert third.returncode == 0 and third.stdout == first


def test_importing_its_own_export_changes_nothing_and_an_edit_is_applied(
    seeded, tmp_path, meili_client
):
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
        document = meili_client.request(
            "GET", f"/indexes/{app.config['MEILI_INDEX']}/documents/{tool.id}"
        )
        assert document["title"] == "Titre changé par l'import"


def test_invalid_files_are_refused_with_clear_french_messages_and_nothing_written(
    app, make_tool, tmp_path
):
    make_tool(title="Déjà là")
    runner = app.test_cli_runner()
    with app.app_context():
        before = (_count(Tool), _outbox_rows())

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "romin-catalogue",\n "tools": [}', encoding="utf-8")
    result = runner.invoke(args=["import", str(broken)])
    assert result.exit_code == 1 and "JSON illisible, ligne 2, colonne" in result.output

    good_tool = {
        "slug": "nouvel-outil",
        "title": "Nouvel outil",
        "status": "published",
        "risk_factors": ["addictions"],
        "supports": [],
    }
    bad = {
        "format": "romin-catalogue",
        "version": 1,
        "risk_factors": [
            {
                "slug": "famille",
                "label": "",
                "description": "",
                "synonyms": ["cannabis"],
                "position": 4,
            }
        ],
        "tools": [
            good_tool,
            {
                "slug": "Mauvais Slug",
                "title": "x",
                "status": "publie",
                "evidence_level": 7,
                "stages": ["action", "sprint"],
                "created_at": "hier",
                "risk_factors": ["inconnu"],
                "couleur": "bleu",
                "supports": [
                    {
                        "title": "t",
                        "filename": "../etc/passwd",
                        "position": 0,
                        "content_type": "text/html",
                        "size": -1,
                        "sha256": "abc",
                    }
                ],
            },
            {**good_tool, "title": 12},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    out = result.output
    assert result.exit_code == 1, out
    assert "Fichier refusé, rien n'a été importé" in out
    assert "facteur « famille » : Le libellé est obligatoire." in out
    assert "« cannabis » désigne déjà le facteur « Addictions (alcool, stupéfiants) »" in out
    assert "outil n° 2 (« Mauvais Slug »)" in out and "champ(s) inconnu(s) : couleur" in out
    # the sheet's fields: the API's schema and its French messages, named by field
    assert "« slug » : Identifiant invalide" in out
    assert "« title » : Le titre doit faire entre 3 et 200 caractères ;" in out
    assert "« status » : Statut inconnu(e) : choisissez parmi draft" in out
    assert "« stages » n° 2 : Stade inconnu(e)" in out
    assert "« evidence_level » : Le niveau de preuve va de 0 à 4 ;" in out
    # the import's own columns and links
    assert "« created_at » doit être une date et heure ISO 8601" in out
    assert "« risk_factors » : facteur(s) inconnu(s) inconnu" in out
    assert "« filename » : nom de fichier invalide" in out and "« sha256 » : 64 chiffres" in out
    assert "outil n° 3 (« nouvel-outil »)" in out and "« title » : Titre : texte attendu ;" in out
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
    catalogue = {
        "format": "romin-catalogue",
        "version": 1,
        "risk_factors": [],
        "tools": [
            {
                "slug": "outil-sans-fichier",
                "title": "Outil sans fichier",
                "status": "published",
                "summary": "Résumé.",
                "risk_factors": ["emploi"],
                "created_at": "2024-03-01T10:00:00+00:00",
                "updated_at": "2024-03-02T10:00:00+00:00",
                "supports": [
                    {
                        "title": "Fiche",
                        "filename": "fiche.pdf",
                        "position": 0,
                        "content_type": "application/pdf",
                        "size": 1234,
                        "sha256": sha,
                    }
                ],
            }
        ],
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(catalogue), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["import", str(path), "--fichiers", str(tmp_path / "vide")]
    )
    assert result.exit_code == 2, result.output
    assert "Outils : 1 créé(s)" in result.output
    assert "fichier introuvable : outil « outil-sans-fichier », « fiche.pdf »" in result.output
    assert "n'est pas importé" in result.output
    with app.app_context():
        tool = db.session.scalar(select(Tool).where(Tool.slug == "outil-sans-fichier"))
        assert tool.supports == [] and tool.created_at.isoformat().startswith("2024-03-01T10:00:00")
        assert tool.status == "published" and tool.scores.get("_") is not None


def test_the_sheet_is_checked_by_the_api_schema(app, tmp_path):
    """What the API refuses, the import refuses too, with the tool and the field named."""
    sheet = {
        "slug": "outil-a",
        "title": "Outil A",
        "summary": "Résumé.",
        "status": "published",
        "risk_factors": ["emploi"],
        "supports": [],
    }
    tools = [
        {**sheet, "minutes_per_session": -5},
        {**sheet, "slug": "outil-b", "title": "AB"},
        {**sheet, "slug": "outil-c", "summary": "x" * 1001, "instructions": None},
        {**sheet, "slug": "outil-d", "risk_factors": [], "last_review": "31/01/2024"},
        {**sheet, "slug": "outil-e", "status": None, "references": ["ok", 3]},
    ]
    path = tmp_path / "outils.json"
    path.write_text(
        json.dumps({"format": "romin-catalogue", "version": 1, "risk_factors": [], "tools": tools}),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    out = result.output
    assert result.exit_code == 1, out
    assert (
        "outil n° 1 (« outil-a ») : « minutes_per_session » : Durée d'une séance : un nombre "
        "de minutes entre 1 et 1440."
    ) in out
    assert "outil n° 2 (« outil-b ») : « title » : Le titre doit faire entre 3 et 200" in out
    assert (
        "outil n° 3 (« outil-c ») : « instructions » : ne peut pas être vide (null) ; "
        "« summary » : Le résumé dépasse 1000 caractères." in out
    )
    assert "« risk_factors » : Indiquez au moins un facteur de risque." in out
    assert "outil n° 4 (« outil-d ») : « last_review » : Date de la dernière revue invalide" in out
    assert (
        "outil n° 5 (« outil-e ») : « references » n° 2 : texte attendu ; "
        "« status » : ne peut pas être vide (null)." in out
    )
    with app.app_context():
        assert _count(Tool) == 0


def _tool_with_a_support(app, make_tool) -> tuple[int, Path]:
    from app.catalogue.supports import add_support

    tool = make_tool(title="Outil à support")
    with app.app_context():
        row = db.session.get(Tool, tool.id)
        support = add_support(db.session, row, "fiche.pdf", b"%PDF-1.4 ancienne version", "Fiche")
        db.session.commit()
        return tool.id, Path(app.config["SUPPORTS_DIR"]) / support.stored_path


def _new_version(app, tmp_path: Path, filename: str = "fiche.pdf") -> tuple[Path, bytes]:
    """An export whose support `filename` has new bytes, found in a files directory of its own."""
    text = _export(app.test_cli_runner(), tmp_path / "a.json")
    catalogue = json.loads(text)
    data = b"%PDF-1.4 nouvelle version"
    sha = hashlib.sha256(data).hexdigest()
    (tmp_path / "fichiers" / sha[:2]).mkdir(parents=True)
    (tmp_path / "fichiers" / sha[:2] / "nouvelle.pdf").write_bytes(data)
    supports = catalogue["tools"][0]["supports"]
    entry = next((s for s in supports if s["filename"] == filename), None)
    if entry is None:
        entry = {**supports[0], "filename": filename, "position": len(supports)}
        supports.append(entry)
    entry.update(sha256=sha, size=len(data))
    path = tmp_path / "b.json"
    path.write_text(json.dumps(catalogue), encoding="utf-8")
    return path, data


def _stored(app) -> list[Path]:
    root = Path(app.config["SUPPORTS_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_replaced_support_file_is_deleted_once_the_import_is_committed(app, make_tool, tmp_path):
    tool_id, old = _tool_with_a_support(app, make_tool)
    path, data = _new_version(app, tmp_path)
    result = app.test_cli_runner().invoke(
        args=["import", str(path), "--fichiers", str(tmp_path / "fichiers")]
    )
    assert result.exit_code == 0, result.output
    assert "Supports : 0 créé(s), 1 modifié(s), 0 inchangé(s)." in result.output
    with app.app_context():
        support = db.session.scalars(select(Support).where(Support.tool_id == tool_id)).one()
        new = Path(app.config["SUPPORTS_DIR"]) / support.stored_path
    assert not old.exists() and new.read_bytes() == data
    assert _stored(app) == [new]  # the old version is gone, nothing else lingers


def test_a_failed_import_leaves_no_file_and_keeps_the_old_one(
    app, make_tool, tmp_path, monkeypatch
):
    from app.curation import transfer as catalogue_transfer

    tool_id, old = _tool_with_a_support(app, make_tool)
    path, _data = _new_version(app, tmp_path)  # a replacement...
    catalogue = json.loads(path.read_text(encoding="utf-8"))
    extra = {**catalogue["tools"][0]["supports"][0], "filename": "autre.pdf", "position": 1}
    catalogue["tools"][0]["supports"].append(extra)  # ...and a new support, same bytes
    catalogue["tools"][0]["title"] = "Titre qui change"  # so its scores are recomputed
    path.write_text(json.dumps(catalogue), encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(catalogue_transfer, "refresh_scores", broken)  # after the files are stored
    result = app.test_cli_runner().invoke(
        args=["import", str(path), "--fichiers", str(tmp_path / "fichiers")]
    )
    assert result.exit_code == 1, result.output
    assert "Import annulé, rien n'a été écrit : RuntimeError: panne simulée" in result.output
    assert _stored(app) == [old]  # the two files written for it are gone, the old one is kept
    with app.app_context():
        supports = db.session.scalars(select(Support).where(Support.tool_id == tool_id)).all()
        assert [(s.filename, s.sha256) for s in supports] == [
            ("fiche.pdf", hashlib.sha256(old.read_bytes()).hexdigest())
        ]


def test_an_index_push_failing_after_the_commit_keeps_the_import_and_its_files(
    app, make_tool, tmp_path, monkeypatch
):
    from app.index_sync import push as index_push

    tool_id, old = _tool_with_a_support(app, make_tool)
    path, data = _new_version(app, tmp_path)

    def down(*args, **kwargs):
        raise RuntimeError("index injoignable")

    monkeypatch.setattr(index_push, "push_outbox", down)
    result = app.test_cli_runner().invoke(
        args=["import", str(path), "--fichiers", str(tmp_path / "fichiers")]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Import enregistré, mais l'index de recherche n'a pas pu être mis à jour" in result.output
    )
    with app.app_context():
        support = db.session.scalars(select(Support).where(Support.tool_id == tool_id)).one()
        new = Path(app.config["SUPPORTS_DIR"]) / support.stored_path
        queued = db.session.scalar(
            select(func.count())
            .select_from(IndexOutbox)
            .where(IndexOutbox.tool_id == tool_id, IndexOutbox.done_at.is_(None))
        )
    assert new.read_bytes() == data and not old.exists() and _stored(app) == [new]
    assert queued >= 1  # left for `romin index worker`
