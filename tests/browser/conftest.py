"""Browser fixtures: the test app served on a local port, Debian's Chromium, a small catalogue.

The live server runs the app built by `app_factory`, so it shares the test's database
connection (inside the rolled-back outer transaction) and its private Meilisearch index. It
is single-threaded on purpose: one request at a time on that one connection. The test thread
only drives the browser while the server runs; it touches the database before starting it.

Chromium is Debian's (/usr/bin/chromium): a missing browser is an error, never a skip, and
nothing is ever downloaded (no `playwright install`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

AGENT_EMAIL = "agent.navigateur@justice.fr"
AGENT_PASSWORD = "mot-de-passe-de-test-123"


# -- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session; fails loudly when it is not installed."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium introuvable : {CHROMIUM} n'existe pas. Installez le paquet Debian : "
            "`apt-get update && apt-get install -y chromium` (ne lancez jamais "
            "`playwright install`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (cookies, downloads) per test, in French."""
    ctx = browser.new_context(locale="fr-FR", accept_downloads=True)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


# -- the server ----------------------------------------------------------------------------


@pytest.fixture
def live_server(app, catalogue):
    """Base URL of the test app served by a single-threaded werkzeug server in a thread.

    Depends on `catalogue` so that the data exists (and the test thread is done with the
    shared connection) before the first request.
    """
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# -- the catalogue -------------------------------------------------------------------------


@dataclass
class Catalogue:
    """What the tests may rely on: titles and slugs, in the expected order on Addictions."""

    addictions_order: list[str]  # titles, best first, before any rating in the test
    slugs: dict[str, str]  # title -> slug
    evidence: dict[str, int]  # title -> evidence level
    counts: dict[str, int]  # factor slug -> published tools
    with_support: str  # title of the tool with a PDF support
    runner_up: str  # 2nd on Addictions, nearly tied with the 1st
    draft: str  # an unpublished addictions tool (never listed)
    agent_email: str = AGENT_EMAIL
    agent_password: str = AGENT_PASSWORD
    pdf_bytes: bytes = field(default=b"", repr=False)


def tiny_pdf(title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=title)
    return bytes(pdf.output())


@pytest.fixture
def make_pdf():
    """tiny_pdf, for the test modules that upload a real PDF of their own."""
    return tiny_pdf


def _tool(title, factors, evidence, **extra):
    data = dict(
        title=title,
        kind="outil",
        phase="intervention",
        status="published",
        summary=f"{title} : résumé de l'outil pour les tests du navigateur.",
        instructions=f"## Déroulé\n\n1. Présenter l'outil.\n2. Travailler avec {title.lower()}.",
        risk_factors=factors,
        evidence_level=evidence,
        stages=["contemplation"],
        modality="individuelle",
        sessions="2-5",
        minutes_per_session=45,
        setting=["ouvert"],
    )
    data.update(extra)
    return data


@pytest.fixture
def catalogue(app):
    """Published tools on Addictions with distinct evidence, some on other factors, ratings.

    Ranking (default weights: rating 0.6, evidence 0.4, prior strength 5): ten demo ratings
    averaging 3.5 on an "emploi" tool fix the catalogue mean near 3.5. "Repères de
    consommation" and "Balance décisionnelle" both have evidence 4; the balance has one demo
    rating of 3, so it comes second, just behind. One 5-star rating from an officer lifts it
    above 3.5 on two ratings, hence first: the journey test checks exactly that.
    """
    from sqlalchemy import select

    from app.accounts.service import create_user
    from app.catalogue.scores import refresh_scores
    from app.catalogue.service import save_tool
    from app.catalogue.supports import add_support
    from app.db import db
    from app.feedback.ratings import rate
    from app.index_sync.operations import rebuild_index
    from app.models import Tool

    first, second = "Repères de consommation", "Balance décisionnelle"
    addictions = [
        _tool(first, ["addictions"], 4, kind="outil", stages=["contemplation", "determination"]),
        _tool(second, ["addictions"], 4, kind="methode", modality="collective"),
        _tool("Journal des envies", ["addictions"], 3, kind="support", sessions="6-10"),
        _tool("Entretien sur le jeu", ["addictions"], 2, stages=["action"]),
        _tool("Carte des situations à risque", ["addictions"], 1, setting=["ferme"]),
        _tool("Questionnaire d'habitudes", ["addictions"], 0, phase="evaluation"),
        _tool(
            "Choc des images",
            ["addictions"],
            4,
            not_recommended=True,
            references=["Évaluations sans effet (test)."],
        ),
    ]
    others = [
        _tool("Mon projet professionnel", ["emploi"], 3),
        _tool("Gestion de la colère", ["personnalite", "famille"], 2),
        _tool("Cartographie du réseau", ["entourage"], 1),
    ]
    draft = _tool("Brouillon addictions", ["addictions"], 4, status="draft")
    pdf = tiny_pdf("Reperes de consommation - fiche")

    with app.app_context():
        session = db.session
        tools = {data["title"]: save_tool(session, data) for data in addictions + others + [draft]}
        add_support(
            session, tools[first], "Repères de consommation.pdf", pdf, title="Fiche repères (PDF)"
        )
        create_user(session, AGENT_EMAIL, "agent", AGENT_PASSWORD, display_name="Agent Navigateur")
        raters = [create_user(session, f"demo{i}@justice.fr", "agent") for i in range(11)]
        for i, user in enumerate(raters[:10]):
            rate(session, tools["Mon projet professionnel"], user, rating=3 + i % 2, is_demo=True)
        rate(session, tools[second], raters[10], rating=3, is_demo=True)
        # every stored score computed with the same, final catalogue mean
        refresh_scores(session, list(session.scalars(select(Tool))))
        session.commit()
        rebuild_index(session)
        session.commit()
        slugs = {title: tool.slug for title, tool in tools.items()}

    order = [
        first,
        second,
        "Journal des envies",
        "Entretien sur le jeu",
        "Carte des situations à risque",
        "Questionnaire d'habitudes",
        "Choc des images",
    ]
    return Catalogue(
        addictions_order=order,
        slugs=slugs,
        evidence={d["title"]: d["evidence_level"] for d in addictions + others},
        counts={
            "addictions": 7,
            "emploi": 1,
            "personnalite": 1,
            "famille": 1,
            "entourage": 1,
            "attitudes": 0,
            "loisirs": 0,
        },
        with_support=first,
        runner_up=second,
        draft=draft["title"],
        pdf_bytes=pdf,
    )


# -- helpers shared by the tests -----------------------------------------------------------


@pytest.fixture
def sign_in():
    """Signs in through the login form, as a person would: type, then press Enter."""

    def do(page, base_url: str, email: str = AGENT_EMAIL, password: str = AGENT_PASSWORD) -> None:
        page.goto(f"{base_url}/connexion")
        page.get_by_label("Adresse électronique").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_label("Mot de passe").press("Enter")
        page.wait_for_load_state()

    return do
