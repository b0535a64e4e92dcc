"""The search page and the tool sheet, as the officer's browser receives them."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fpdf import FPDF

from app.catalogue.supports import add_support
from app.catalogue.urls import support_url
from app.db import db


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Fiche de travail")
    return bytes(pdf.output())


def _login(client, user, password="un mot de passe solide"):
    return client.post("/connexion", data={"email": user.email, "password": password})


def test_search_page_offers_the_seven_factors_with_counts(client, make_tool):
    make_tool(risk_factors=["addictions"])
    html = client.get("/recherche").get_data(as_text=True)
    assert html.count('href="/recherche?facteur=') >= 7
    assert "Addictions (alcool, stupéfiants) (1)" in html
    assert "Problèmes familiaux/conjugaux (0)" in html
    assert '<html lang="fr"' in html and "/static/site." in html  # DSFR, built (app.asset_build)


def test_a_factor_lists_tools_best_first_with_facets(client, make_tool):
    make_tool(title="Moins prouvé", evidence_level=1)
    make_tool(title="Mieux prouvé", evidence_level=4, stages=["action"])
    html = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert html.index("Mieux prouvé") < html.index("Moins prouvé")
    assert "2 outils" in html
    assert "stade=action" in html  # a facet link keeps the factor and adds the stage
    refined = client.get("/recherche?facteur=addictions&stade=action").get_data(as_text=True)
    assert "Mieux prouvé" in refined and "Moins prouvé" not in refined


def test_typo_resolves_and_offers_text_search(client, make_tool):
    make_tool()
    html = client.get("/recherche?q=alcol").get_data(as_text=True)
    assert "correspond au facteur de risque" in html
    assert "texte=1" in html
    as_text = client.get("/recherche?q=alcol&texte=1").get_data(as_text=True)
    assert "correspond au facteur de risque" not in as_text


def test_empty_result_explains_what_to_try(client, make_tool):
    make_tool()
    html = client.get("/recherche?facteur=famille").get_data(as_text=True)
    assert "Aucun outil trouvé" in html and "Choisissez directement" in html


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=x", "stade=inconnu", "facteur=inconnu", "preuve_min=12", "q=" + "a" * 300],
)
def test_bad_arguments_rerender_the_form_with_a_message(client, query):
    response = client.get(f"/recherche?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "fr-error-text" in html or "fr-alert--error" in html
    assert "<form" in html


def test_pagination_links_cover_every_page(client, app, make_tool):
    app.config["SEARCH_PER_PAGE"] = 2
    for n in range(5):
        make_tool(title=f"Outil numéro {n}")
    html = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "facteur=addictions&amp;page=3" in html or "page=3&amp;facteur=addictions" in html
    last = client.get("/recherche?facteur=addictions&page=3").get_data(as_text=True)
    assert len(re.findall(r'class="fr-card__title"', last)) == 1


def test_tool_sheet_shows_every_part(client, app, make_tool):
    tool = make_tool(
        title="Balance décisionnelle",
        minutes_per_session=45,
        preparation_minutes=15,
        instructions="### Déroulé\n\n1. Expliquer\n\n<script>alert(1)</script>",
        precautions="Sans jugement.",
        evidence_level=3,
        references=["Miller, W. R., & Rollnick, S. (2013). Motivational interviewing."],
        protective_factors="Soutien familial",
        author_name="Camille Martin",
    )
    with app.app_context():
        add_support(
            db.session, db.session.merge(tool), "Fiche de travail.pdf", _pdf(), "Fiche de travail"
        )
        db.session.commit()
    html = client.get(f"/outils/{tool.slug}").get_data(as_text=True)
    for expected in (
        "Balance décisionnelle",
        "45 minutes",
        "15 minutes",
        "Déroulé",
        "Sans jugement.",
        "Prometteur",
        "Miller, W. R.",
        "Soutien familial",
        "Camille Martin",
        "Fiche de travail",
        "Connectez-vous",
    ):
        assert expected in html, expected
    assert "<script>alert(1)" not in html


def test_support_download_is_an_attachment_of_the_right_type(client, app, make_tool):
    tool = make_tool()
    with app.app_context():
        support = add_support(db.session, db.session.merge(tool), "Fiche « à remplir ».pdf", _pdf())
        db.session.commit()
    response = client.get(f"/outils/{tool.slug}/supports/{support.id}/{support.filename}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert (
        disposition.startswith("attachment;")
        and "\n" not in disposition
        and '"' not in support.filename
    )
    assert client.get(f"/outils/{tool.slug}/supports/{support.id}/autre.pdf").status_code == 404


def test_unpublished_tools_are_hidden(client, make_tool):
    draft = make_tool(status="draft")
    assert client.get(f"/outils/{draft.slug}").status_code == 404


def test_an_agent_rates_and_the_ranking_follows(client, make_tool, make_user):
    first = make_tool(title="Premier", evidence_level=3)
    second = make_tool(title="Second", evidence_level=2)
    agent = make_user("agent", password="un mot de passe solide")
    assert _login(client, agent).status_code == 303
    for user_rating in (1,):
        response = client.post(f"/outils/{first.slug}/avis", data={"rating": user_rating})
        assert response.status_code == 303
    # three more officers rate the second tool highly
    for _ in range(3):
        other = make_user("agent", password="un mot de passe solide")
        other_client = client.application.test_client()
        _login(other_client, other)
        other_client.post(
            f"/outils/{second.slug}/avis",
            data={"rating": 5, "comment": "Utile", "risk_factor": "addictions"},
        )
    html = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert html.index("Second") < html.index("Premier")
    sheet = client.get(f"/outils/{first.slug}").get_data(as_text=True)
    assert "Modifier mon avis" in sheet and "1.0 / 5" in sheet
    # editing replaces the rating
    client.post(f"/outils/{first.slug}/avis", data={"rating": 4})
    sheet = client.get(f"/outils/{first.slug}").get_data(as_text=True)
    assert "4.0 / 5" in sheet and "sur 1 avis" in sheet


def test_feedback_form_errors_are_shown_per_field(client, make_tool, make_user):
    tool = make_tool()
    _login(client, make_user("agent", password="un mot de passe solide"))
    response = client.post(f"/outils/{tool.slug}/avis", data={"rating": "", "sessions_used": "abc"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choisissez une note de 1 à 5." in html and "nombre entier" in html
    assert "identifier une personne" in html  # the reminder stays on the form


def test_anonymous_feedback_goes_to_the_login_page(client, make_tool):
    tool = make_tool()
    response = client.post(f"/outils/{tool.slug}/avis", data={"rating": 5})
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_wrong_password_is_refused_in_french(client, make_user):
    user = make_user("agent", password="un mot de passe solide")
    response = client.post("/connexion", data={"email": user.email, "password": "mauvais"})
    assert response.status_code == 400
    assert "incorrect" in response.get_data(as_text=True)


def test_login_never_redirects_off_site(client, make_user):
    user = make_user("agent", password="un mot de passe solide")
    response = client.post(
        "/connexion",
        data={
            "email": user.email,
            "password": "un mot de passe solide",
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/recherche"


def test_forms_require_a_csrf_token(app_factory, make_tool):
    app = app_factory(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/connexion", data={"email": "a@b.fr", "password": "x"})
    assert response.status_code == 400
    assert "Demande incorrecte" in response.get_data(as_text=True) or "CSRF" in response.get_data(
        as_text=True
    )


def test_errors_are_french_pages_with_security_headers(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_dsfr_is_served_by_the_app(client):
    response = client.get("/dsfr/dsfr.min.css")
    assert response.status_code == 200 and b".fr-btn" in response.data


def test_database_down_is_a_french_503_never_a_traceback(service_env):
    from app.factory import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://romin@127.0.0.1:9/romin",
            "SECRET_KEY": "x" * 40,
            "MEILI_URL": service_env["MEILI_URL"],
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = 1  # a signed-in officer: the header must not need the database
    for path in ("/recherche?facteur=addictions", "/outils/balance-decisionnelle"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 503 and "Service momentanément indisponible" in html
        assert "Traceback" not in html and "OperationalError" not in html
    api = client.get("/api/v1/risk-factors", headers={"Authorization": "Bearer romin_x"})
    assert api.status_code == 503 and api.is_json
    assert client.get("/healthz").status_code == 503


def test_a_sheet_opened_from_a_factor_search_rates_for_that_factor_by_default(
    client, make_tool, make_user
):
    tool = make_tool(risk_factors=["addictions", "emploi"])
    results = client.get("/recherche?facteur=emploi").get_data(as_text=True)
    assert f"/outils/{tool.slug}?facteur=emploi" in results
    anonymous = client.get(f"/outils/{tool.slug}?facteur=emploi").get_data(as_text=True)
    assert "next=/outils/" in anonymous and "facteur%3Demploi" in anonymous  # kept through sign-in
    _login(client, make_user("agent", password="un mot de passe solide"))
    sheet = client.get(f"/outils/{tool.slug}?facteur=emploi").get_data(as_text=True)
    assert '<option value="emploi" selected>' in sheet
    unknown = client.get(f"/outils/{tool.slug}?facteur=famille").get_data(as_text=True)
    assert "selected>" not in unknown.split('id="risk_factor"')[1].split("</select>")[0].replace(
        '<option value="" selected>', ""
    )


def test_a_comment_that_identifies_someone_is_refused_and_nothing_is_stored(
    app, client, make_tool, make_user
):
    from app.models import Feedback

    tool = make_tool(title="Outil commenté")
    agent = make_user("agent", password="un mot de passe solide")
    assert _login(client, agent).status_code == 303
    response = client.post(
        f"/outils/{tool.slug}/avis",
        data={"rating": 4, "comment": "M. X, né le 03/04/1981, écrou 4521 : très réceptif."},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "identifier une personne suivie" in page and "écrou 4521" in page  # text kept to edit
    with app.app_context():
        assert db.session.query(Feedback).filter_by(tool_id=tool.id).count() == 0


# -- the sheet opened from a search: the way back, printing, sharing, a refused rating ---------

RESULTS = "/recherche?facteur=emploi&stade=action&q=entretien+embauche&page=2"


def _back_links(html: str) -> list[str]:
    """The addresses of « Retour aux résultats » and of the breadcrumb's search entry."""
    back = re.findall(r'<a class="fr-link fr-icon-arrow-left-line[^"]*" href="([^"]*)"', html)
    crumb = re.findall(r'<a class="fr-breadcrumb__link" href="([^"]*)"', html)
    return [unescape(h) for h in back + crumb]


def test_the_sheet_links_back_to_the_whole_search(client, make_tool):
    tool = make_tool(risk_factors=["emploi"])
    html = client.get(f"/outils/{tool.slug}?facteur=emploi&retour={quote(RESULTS)}").get_data(
        as_text=True
    )
    assert "Retour aux résultats" in html
    assert _back_links(html) == [RESULTS, RESULTS]  # the link, then the breadcrumb


@pytest.mark.parametrize(
    "retour",
    [
        "https://evil.example/recherche?facteur=emploi",
        "//evil.example/recherche?facteur=emploi",
        "/\\evil.example/recherche",
        "/recherche/../gestion/outils",
        "/gestion/outils?facteur=emploi",
        "javascript:alert(1)//recherche",
        "/recherche?facteur=emploi#ailleurs",
        "/recherche?facteur=emploi\r\nLocation: https://evil.example/",
        "/recherche?q=" + "a" * 2100,
    ],
)
def test_a_return_address_other_than_the_search_page_is_ignored(client, make_tool, retour):
    tool = make_tool(risk_factors=["emploi"])
    html = client.get(f"/outils/{tool.slug}?retour={quote(retour)}").get_data(as_text=True)
    assert "Retour aux résultats" not in html
    assert _back_links(html) == ["/recherche"]
    # the address reaches no link, but inside the sign-in link's own `next` (this sheet)
    links = [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]
    assert all(
        h.startswith("/connexion?next=/outils/") or ("evil" not in h and "gestion" not in h)
        for h in links
    )


def test_a_rating_keeps_the_way_back(client, make_tool, make_user):
    tool = make_tool(risk_factors=["emploi"])
    _login(client, make_user("agent", password="un mot de passe solide"))
    sheet = f"/outils/{tool.slug}?facteur=emploi&retour={quote(RESULTS)}"
    html = client.get(sheet).get_data(as_text=True)
    action = unescape(re.search(r'<form method="post" action="([^"]*/avis[^"]*)"', html).group(1))
    assert action.endswith("#donner-un-avis")
    assert parse_qs(urlsplit(action).query) == {"facteur": ["emploi"], "retour": [RESULTS]}

    refused = client.post(action.split("#")[0], data={"rating": ""})
    assert refused.status_code == 400
    assert _back_links(refused.get_data(as_text=True)) == [RESULTS, RESULTS]

    saved = client.post(action.split("#")[0], data={"rating": 4})
    assert saved.status_code == 303
    location = urlsplit(saved.headers["Location"])
    assert location.path == f"/outils/{tool.slug}" and location.fragment == "avis"
    assert parse_qs(location.query) == {"facteur": ["emploi"], "retour": [RESULTS]}


def test_a_refused_rating_comes_back_at_the_form_with_a_focused_summary(
    client, make_tool, make_user
):
    tool = make_tool()
    _login(client, make_user("agent", password="un mot de passe solide"))
    response = client.post(
        f"/outils/{tool.slug}/avis", data={"rating": "9", "sessions_used": "beaucoup"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # the form's anchor is the error summary now: focusable, the browser focuses it on arrival
    summary = re.search(r'<div class="fr-alert fr-alert--error[^>]*id="donner-un-avis"[^>]*>', html)
    assert summary and 'tabindex="-1"' in summary.group(0) and "autofocus" in summary.group(0)
    assert html.count('id="donner-un-avis"') == 1 and html.count("autofocus") == 1
    # each message links to its field, and the form posts back to this very place
    body = html.split('id="donner-un-avis"')[1].split("</div>")[0]
    assert 'href="#rating-1">Votre note :' in body
    assert 'href="#sessions_used">Nombre de séances réalisées :' in body
    assert html.index('id="donner-un-avis"') < html.index('<form method="post" action="/outils/')
    assert f'action="/outils/{tool.slug}/avis#donner-un-avis"' in html


def test_a_printed_sheet_names_its_address_its_supports_and_the_date(app_factory, make_tool):
    tool = make_tool()
    app = app_factory(PUBLIC_URL="https://romin.justice.example")
    with app.test_request_context():
        support = add_support(db.session, db.session.merge(tool), "Fiche.pdf", _pdf(), "Fiche")
        db.session.commit()
        support_path = support_url(tool, support)
    html = app.test_client().get(f"/outils/{tool.slug}?facteur=addictions").get_data(as_text=True)
    printed = re.search(r'<p class="romin-print-only romin-print-source">([^<]*)</p>', html)
    assert printed, "pas de ligne imprimée"
    assert re.fullmatch(
        rf"Fiche ROMIN imprimée le \d\d/\d\d/\d{{4}} à \d\d:\d\d — "
        rf"https://romin\.justice\.example/outils/{tool.slug}",
        unescape(printed.group(1)),
    )
    support = re.search(r'<span class="romin-print-only romin-print-url">([^<]*)</span>', html)
    assert support and unescape(support.group(1)) == "https://romin.justice.example" + support_path
    # what is not printed: the site's navigation, the way back, the comments and the form
    for part in ('id="avis"', 'id="pourquoi-ce-rang"', 'id="partager-fiche"'):
        tag = html[html.rindex("<", 0, html.index(part)) : html.index(">", html.index(part))]
        assert "fr-no-print" in tag, part


def test_without_public_url_the_printed_address_is_the_requests(client, make_tool):
    tool = make_tool()
    html = client.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert f"— http://localhost/outils/{tool.slug}</p>" in html


def test_sharing_a_sheet_sends_its_link_and_factor_only(app_factory, make_tool):
    tool = make_tool(title="Balance décisionnelle", risk_factors=["emploi"])
    app = app_factory(PUBLIC_URL="https://romin.justice.example")
    html = (
        app.test_client()
        .get(f"/outils/{tool.slug}?facteur=emploi&retour={quote(RESULTS)}")
        .get_data(as_text=True)
    )
    address = f"https://romin.justice.example/outils/{tool.slug}?facteur=emploi"
    field = re.search(r'id="partager-fiche-lien" value="([^"]*)"', html)
    assert field and unescape(field.group(1)) == address  # the fallback without JavaScript
    mail = urlsplit(unescape(re.search(r'href="(mailto:[^"]*)"', html).group(1)))
    fields = parse_qs(mail.query)
    assert mail.path == "" and set(fields) == {"subject", "body"}
    assert fields["subject"] == ["ROMIN : « Balance décisionnelle »"]
    assert address in fields["body"][0]
    assert "« Problèmes d'ordre professionnel »" in fields["body"][0]
    assert "entretien" not in fields["body"][0]  # not the officer's search words
