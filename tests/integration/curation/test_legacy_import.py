"""`romin import-legacy`: the first ROMIN's Markdown files, imported against the real database.

The fixture directory (tests/fixtures/legacy) holds good files with the label variations found
in the original catalogue and bad ones (broken YAML, no title, unknown factor). Each test copies
it into tmp_path and adds what should not be committed as a binary: a small PDF, a file that is
not UTF-8.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.catalogue.supports import support_path
from app.curation.legacy_import import import_directory
from app.db import db
from app.models import Support, Tool

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "legacy"
GOOD = (
    "balance-decisionnelle",
    "larbre-des-relations-familiales",
    "gerer-sa-colere-le-thermometre",
    "mon-projet-de-loisirs",
    "les-pensees-qui-piegent",
)


def tiny_pdf() -> bytes:
    """A valid one-page PDF, built by hand so that the repository holds no binary."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return out


@pytest.fixture
def legacy_dir(tmp_path) -> Path:
    directory = tmp_path / "legacy"
    shutil.copytree(FIXTURES, directory)
    uploads = directory / "media" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "balance-decisionnelle.pdf").write_bytes(tiny_pdf())
    latin1 = "---\ntitre: Fiche enregistrée en Latin-1\nfacteurs_risques: Emploi\n---\nCorps.\n"
    (directory / "ancien-encodage.md").write_bytes(latin1.encode("latin-1"))
    return directory


def run(directory: Path, publish: bool = False):
    return import_directory(db.session, directory, sorted(directory.rglob("*.md")), publish=publish)


def tool(slug: str) -> Tool:
    return db.session.scalar(select(Tool).where(Tool.slug == slug))


def tool_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Tool))


def line_for(report, file: str) -> str:
    return next(line for line in report.lines() if f" {file} " in f"{line} ")


def test_good_files_are_created_with_their_fields_mapped(ctx, legacy_dir):
    report = run(legacy_dir)

    balance = tool("balance-decisionnelle")
    assert balance.title == "Balance décisionnelle"
    assert balance.risk_factor_slugs == ["addictions"]
    assert balance.modality == "individuelle"
    assert balance.stages == ["contemplation", "determination"]
    assert balance.sessions == "2-5"
    assert balance.summary.startswith("Peser avec la personne")
    assert balance.precautions == "À utiliser sans jugement ; ne pas forcer la décision."
    assert balance.protective_factors == "Soutien familial, projet professionnel"
    assert balance.instructions.startswith("## Déroulé")
    assert (balance.author_name, balance.author_role, balance.author_contact) == (
        "Camille Martin",
        "CPIP, SPIP de l'Ain",
        "",
    )
    assert balance.created_at.isoformat() == "2023-01-25T12:17:49.484000+00:00"
    assert (balance.status, balance.evidence_level) == ("draft", 0)

    arbre = tool("larbre-des-relations-familiales")
    assert sorted(arbre.risk_factor_slugs) == ["entourage", "famille"]
    assert arbre.modality == "mixte"
    assert arbre.stages == ["precontemplation"]
    assert arbre.sessions == "6-10"
    assert arbre.protective_factors == "Lien avec les enfants, Soutien d’un proche"
    assert arbre.author_contact == "nadia.benali@justice.invalid"
    assert arbre.created_at.date().isoformat() == "2022-11-03"

    colere = tool("gerer-sa-colere-le-thermometre")
    assert sorted(colere.risk_factor_slugs) == ["addictions", "personnalite"]
    assert colere.modality == "mixte"  # a list with both Individuelle and Collective
    assert colere.stages == ["action", "maintien"]
    assert colere.sessions == "10+"

    pensees = tool("les-pensees-qui-piegent")
    assert pensees.risk_factor_slugs == ["attitudes"]  # "et" for "&"
    assert (pensees.modality, pensees.sessions) == ("collective", "1")
    assert pensees.stages == ["contemplation", "action"]

    loisirs = tool("mon-projet-de-loisirs")  # only a title, a factor and a body
    assert loisirs.risk_factor_slugs == ["loisirs"]
    assert (loisirs.summary, loisirs.modality, loisirs.stages) == ("", None, [])

    for slug in GOOD:
        assert f"→ {slug}" in "\n".join(report.lines())
    assert line_for(report, "balance-decisionnelle.md") == (
        "OK créé balance-decisionnelle.md → balance-decisionnelle"
    )


def test_bad_files_are_reported_with_a_reason_and_skipped(ctx, legacy_dir):
    report = run(legacy_dir)

    assert report.failed == 4
    assert "en-tête YAML illisible" in line_for(report, "yaml-casse.md")
    assert "titre" in line_for(report, "sans-titre.md")
    unknown = line_for(report, "facteur-inconnu.md")
    assert unknown.startswith("ERREUR facteur-inconnu.md : ")
    named, known = unknown.split("facteurs connus")
    assert "« Santé mentale »" in named and "Addictions" not in named  # only the unknown one
    assert "Addictions (alcool, stupéfiants)" in known
    assert "UTF-8" in line_for(report, "ancien-encodage.md")
    assert tool("le-contrat-dobjectifs") is None
    assert tool("prendre-soin-de-sa-sante") is None
    assert tool("fiche-enregistree-en-latin-1") is None
    assert tool_count() == len(GOOD)
    assert report.lines()[-1].startswith(
        "9 fichier(s) : 5 créé(s), 0 mis à jour, 0 inchangé(s), 4 en erreur"
    )


def test_running_again_updates_instead_of_duplicating(ctx, legacy_dir):
    run(legacy_dir)
    count = tool_count()
    supports = db.session.scalar(select(func.count()).select_from(Support))

    again = run(legacy_dir)
    assert tool_count() == count
    assert db.session.scalar(select(func.count()).select_from(Support)) == supports
    assert line_for(again, "balance-decisionnelle.md") == (
        "OK inchangé balance-decisionnelle.md → balance-decisionnelle"
    )
    assert again.count("inchangé") == len(GOOD) and again.count("créé") == 0

    edited = legacy_dir / "projet-loisirs.md"
    summary = "resume: Retrouver des activités qui font du bien.\n"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "facteurs_risques:", summary + "facteurs_risques:"
        ),
        encoding="utf-8",
    )
    third = run(legacy_dir)
    assert line_for(third, "projet-loisirs.md") == (
        "OK mis à jour projet-loisirs.md → mon-projet-de-loisirs"
    )
    assert tool("mon-projet-de-loisirs").summary == "Retrouver des activités qui font du bien."
    assert tool_count() == count


def test_running_again_keeps_what_curators_decided(ctx, legacy_dir):
    run(legacy_dir)
    reviewed = tool("balance-decisionnelle")
    reviewed.status, reviewed.evidence_level = "published", 2
    db.session.flush()

    report = run(legacy_dir)
    assert line_for(report, "balance-decisionnelle.md").startswith("OK inchangé")
    assert (reviewed.status, reviewed.evidence_level) == ("published", 2)


def test_a_support_found_beside_the_files_is_stored(ctx, legacy_dir):
    report = run(legacy_dir)

    support = tool("balance-decisionnelle").supports[0]
    pdf = tiny_pdf()
    assert support.sha256 == hashlib.sha256(pdf).hexdigest()
    assert support.size == len(pdf)
    assert support.content_type == "application/pdf"
    assert support_path(support).read_bytes() == pdf
    lines = report.lines()
    copied = lines[lines.index("OK créé balance-decisionnelle.md → balance-decisionnelle") + 1]
    assert copied.startswith(
        "  support copié : /media/uploads/balance-decisionnelle.pdf → balance-decisionnelle.pdf"
    )


def test_a_missing_support_is_reported_and_the_tool_imported(ctx, legacy_dir):
    report = run(legacy_dir)

    assert tool("larbre-des-relations-familiales").supports == []
    lines = report.lines()
    index = lines.index("OK créé genogramme.md → larbre-des-relations-familiales")
    missing = lines[index + 1]
    assert missing.startswith(
        "  support manquant : /media/uploads/genogramme-vierge.pdf (cherché dans "
    )
    assert str(legacy_dir / "media" / "uploads" / "genogramme-vierge.pdf") in missing
    assert str(legacy_dir / "uploads" / "genogramme-vierge.pdf") in missing
    assert "1 support(s) copié(s), 1 manquant(s)" in lines[-1]


def test_a_rejected_or_outside_support_never_blocks_the_tool(ctx, legacy_dir, tmp_path):
    (legacy_dir / "uploads").mkdir()
    (legacy_dir / "uploads" / "faux.pdf").write_bytes(b"ceci n'est pas un PDF")
    (tmp_path / "secret.pdf").write_bytes(tiny_pdf())
    (legacy_dir / "supports-douteux.md").write_text(
        "---\ntitre: Supports douteux\nfacteurs_risques: Emploi\nsupports:\n"
        "  - /media/uploads/faux.pdf\n  - /media/uploads/../../../secret.pdf\n---\n",
        encoding="utf-8",
    )

    report = run(legacy_dir)

    assert tool("supports-douteux").supports == []
    text = "\n".join(report.lines())
    assert "OK créé supports-douteux.md → supports-douteux" in text
    assert "support refusé : /media/uploads/faux.pdf" in text
    assert "Type de fichier non accepté" in text
    assert "support manquant : /media/uploads/../../../secret.pdf" in text


def test_two_files_with_the_same_title_never_overwrite_each_other(ctx, legacy_dir):
    (legacy_dir / "zz-copie.md").write_text(
        "---\ntitre: Balance décisionnelle\nfacteurs_risques: Emploi\n---\nUne copie.\n",
        encoding="utf-8",
    )

    report = run(legacy_dir)

    assert "même identifiant « balance-decisionnelle »" in line_for(report, "zz-copie.md")
    assert tool("balance-decisionnelle").risk_factor_slugs == ["addictions"]


def test_the_command_reports_every_file_and_fails_when_one_failed(app, legacy_dir):
    result = app.test_cli_runner().invoke(args=["import-legacy", str(legacy_dir)])

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "OK créé balance-decisionnelle.md → balance-decisionnelle" in lines
    assert any(line.startswith("ERREUR yaml-casse.md : en-tête YAML illisible") for line in lines)
    assert "  support manquant : /media/uploads/genogramme-vierge.pdf" in result.stdout
    assert lines[-1].startswith("9 fichier(s) : 5 créé(s)")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tool)) == len(GOOD)


def test_the_command_publishes_on_request_and_succeeds_when_all_files_pass(app, legacy_dir):
    for bad in ("yaml-casse.md", "sans-titre.md", "facteur-inconnu.md", "ancien-encodage.md"):
        (legacy_dir / bad).unlink()

    result = app.test_cli_runner().invoke(args=["import-legacy", "--publish", str(legacy_dir)])
    assert result.exit_code == 0, result.output
    again = app.test_cli_runner().invoke(args=["import-legacy", "--publish", str(legacy_dir)])
    assert again.exit_code == 0, again.output
    assert (
        "OK inchangé balance-decisionnelle.md → balance-decisionnelle" in again.stdout.splitlines()
    )
    with app.app_context():
        statuses = db.session.scalars(select(Tool.status)).all()
        assert statuses == ["published"] * len(GOOD)


@pytest.mark.parametrize(
    "value, slugs, unknown",
    [
        ("Addictions (alcool, stupéfiants)", ["addictions"], []),
        ("ADDICTIONS  (Alcool , Stupéfiant)", ["addictions"], []),
        ("Adictions (alcool, stupéfiants)", ["addictions"], []),  # a typo in a single label
        ("Attitudes & croyances favorisant la délinquance", ["attitudes"], []),
        (
            "Problèmes familiaux/conjugaux, Problèmes d’ordre professionnel",
            ["famille", "emploi"],
            [],
        ),
        (
            "Addictions (alcool, stupéfiants), Traits de personnalité antisociale",
            ["addictions", "personnalite"],
            [],
        ),
        (
            ["Entourage social facilitant la commission d'infraction", "loisirs"],
            ["entourage", "loisirs"],
            [],
        ),
        ("emploi; famille", ["emploi", "famille"], []),
        ("Santé mentale", [], ["Santé mentale"]),
        (
            "Addictions (alcool, stupéfiants), Soutien familial",
            ["addictions"],
            ["Soutien familial"],
        ),
    ],
)
def test_risk_factor_labels_are_matched_tolerantly_but_never_guessed(ctx, value, slugs, unknown):
    from app.curation.legacy_import import FactorVocabulary, factor_slugs
    from app.models import RiskFactor

    vocabulary = FactorVocabulary.load(db.session.scalars(select(RiskFactor)))
    assert factor_slugs(value, vocabulary) == (slugs, unknown)
