"""Classic XSS payloads, stored in every text people write and sent in every argument a page
echoes, then looked for in every page that shows them: none may come out as live markup.

Each payload carries a marker word; a page must show it (escaped), or the page was not tested.
The pages are parsed (html.parser) and refused on anything a payload could make live: a script
other than the app's own files, an event handler attribute, a javascript:, vbscript: or data:
address, a frame, an object, a base, a refresh, a style block, a form posting elsewhere. The
app's own pages have none (its Content-Security-Policy allows no inline script or style).
"""

from __future__ import annotations

import html
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import markdown
import pytest
from fpdf import FPDF
from sqlalchemy import insert, select

from app.accounts.service import create_user
from app.catalogue.service import save_tool
from app.catalogue.supports import add_support
from app.db import db
from app.models import (
    CommentReport,
    Feedback,
    RankingWeightsVersion,
    RiskFactor,
    ToolRevision,
    WorkflowStep,
)
from app.models.usage import UsageEvent
from app.pilotage import stats
from ranking import DEFAULT_WEIGHTS

MARKER = "xssmarq"

PAYLOADS = {
    "script": f'<script>alert("{MARKER}")</script>',
    "img-onerror": f'<img src=x onerror=alert("{MARKER}")>{MARKER}',
    "markdown-javascript-link": f"[clic {MARKER}](javascript:alert(1))",
    "svg-onload": f"<svg onload=alert(1)>{MARKER}</svg>",
    "svg-script": f"<svg><script>alert(1)</script>{MARKER}</svg>",
    "double-quote-breakout": f'"><script>alert(1)</script>{MARKER}',
    "single-quote-breakout": f"'><img src=x onerror=alert(1)>{MARKER}",
    "attribute-injection": f'" autofocus onfocus="alert(1)" x="{MARKER}',
    "iframe": f'<iframe src="javascript:alert(1)"></iframe>{MARKER}',
    "markdown-data-link": f"[donnée {MARKER}](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "html-data-link": f'<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">{MARKER}</a>',
    "entity-encoded-scheme": f'[{MARKER}](javascript&#58;alert(1)) <a href="jav&#x09;ascript:alert(1)">x</a>',
    "html-entities": f"&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62; {MARKER}",
    "markdown-image-attribute": f'![{MARKER}](x" onerror="alert(1))',
    "markdown-title-breakout": f'[{MARKER}](https://exemple.fr "t\\" onmouseover=\\"alert(1)")',
    "details-ontoggle": f"<details open ontoggle=alert(1)>{MARKER}</details>",
    "mutation-xss": f"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>{MARKER}",
    "form-and-base": (
        f'<base href="https://pirate.example/"><form action="https://pirate.example">'
        f'<button formaction="javascript:alert(1)">{MARKER}</button></form>'
    ),
    "meta-refresh": f'<meta http-equiv="refresh" content="0;url=javascript:alert(1)">{MARKER}',
}

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "base", "style", "applet"}


class _Live(HTMLParser):
    """Collects what would run or navigate in a browser, and the page's visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.text.extend(values.values())  # a value shown in a field counts as shown
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script" and not values.get("src", "").startswith("/"):
            self.problems.append(f"<script {values}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        if tag == "link" and not values.get("href", "").startswith("/"):
            self.problems.append(f"<link {values}>")
        if tag == "form" and values.get("action", "/")[:1] != "/":
            self.problems.append(f"<form action={values['action']!r}>")
        if tag == "img" and not values.get("src", "/").startswith(("/", "data:image/")):
            self.problems.append(f"<img src={values['src']!r}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES:
                scheme = "".join(c for c in value if c > " ").lower()
                if scheme.startswith(("javascript:", "vbscript:")) or (
                    scheme.startswith("data:") and not scheme.startswith("data:image/")
                ):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("autofocus",) and tag not in ("input", "textarea", "select"):
                self.problems.append(f"<{tag} {name}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def live_markup(html: str) -> tuple[list[str], str]:
    parser = _Live()
    parser.feed(html)
    parser.close()
    return parser.problems, " ".join(parser.text)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_each_payload_is_live_wherever_a_protection_is_missing(name):
    """The payloads and the detector agree: each payload becomes live markup in at least one
    page that lacks a protection (text or attribute not escaped, Markdown not sanitised,
    entities decoded before output), so the test below would see it."""
    payload = PAYLOADS[name]
    unprotected = [
        f"<p>{payload}</p>",
        f'<input value="{payload}">',
        markdown.markdown(payload),
        f"<p>{html.unescape(payload)}</p>",
    ]
    assert any(live_markup(page)[0] for page in unprotected)
    assert live_markup(f"<p>{html.escape(payload)}</p>")[0] == []
    assert live_markup(f'<input value="{html.escape(payload)}">')[0] == []


def test_the_apps_own_markup_is_not_mistaken_for_an_injection():
    page = (
        '<link rel="stylesheet" href="/dsfr/dsfr.min.css"><script src="/static/romin.js"></script>'
        '<form method="post" action="/gestion/outils/nouveau"><img src="/static/logo.png">'
        '<a href="https://www.legifrance.gouv.fr/">loi</a></form>'
    )
    assert live_markup(page)[0] == []


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


@pytest.fixture
def stored(app, make_user):
    """Every text people write, set to the payload, wherever ROMIN keeps one (through the
    services where they accept it; else straight into the row: pages must escape whatever
    the database holds)."""

    def store(payload: str) -> dict:
        with app.app_context():
            session = db.session
            factor = session.scalar(select(RiskFactor).where(RiskFactor.slug == "addictions"))
            factor.label = payload[:200]
            factor.description = payload
            author = create_user(
                session, "auteur-xss@justice.test", "admin", display_name=payload[:200]
            )
            author.service = payload[:200]
            tool = save_tool(
                session,
                {
                    "title": payload[:200],
                    "summary": payload,
                    "instructions": f"### {payload}\n\n{payload}\n\n- {payload}",
                    "precautions": payload,
                    "protective_factors": payload,
                    "risk_factors": ["addictions"],
                    "stages": ["contemplation"],
                    "references": [payload, f"Voir {payload}"],
                    "factor_evidence": {
                        "addictions": {"evidence_level": 3, "references": [payload]}
                    },
                    "author_name": payload[:200],
                    "author_role": payload[:200],
                    "author_structure": payload[:200],
                    "author_contact": payload[:200],
                    "status": "published",
                },
                author=author,
                source="web",
            )
            save_tool(
                session, {"instructions": f"{payload}\n\nDeuxième version."}, tool, author=author
            )
            session.add(
                WorkflowStep(
                    tool_id=tool.id,
                    from_status="published",
                    to_status="published",
                    actor_id=author.id,
                    actor_label=payload[:254],
                    note=payload,
                )
            )
            support = add_support(session, tool, "fiche.pdf", _pdf(), title=payload[:200])
            feedback = Feedback(tool_id=tool.id, user_id=author.id, rating=4, comment=payload)
            session.add(feedback)
            session.flush()
            session.add(
                CommentReport(feedback_id=feedback.id, reporter_id=author.id, reason=payload)
            )
            session.add(
                RankingWeightsVersion(
                    values=DEFAULT_WEIGHTS.as_dict(), note=payload, created_by_id=author.id
                )
            )
            yesterday = stats.local_midnight(stats.today() - timedelta(days=1)) + timedelta(
                hours=12
            )
            common = {"occurred_at": yesterday, "facets": {}, "pseudonym": None}
            session.execute(
                insert(UsageEvent),
                [
                    {**common, "kind": "search", "results": 0, "text_typed": True,
                     "search_text": payload[:80], "service": payload[:200]},
                    {**common, "kind": "search", "results": 2, "text_typed": True,
                     "content_gap": True, "risk_factor": "addictions",
                     "search_text": payload[:80], "service": payload[:200]},
                    {**common, "kind": "view", "tool_id": tool.id, "risk_factor": "addictions",
                     "service": payload[:200]},
                    {**common, "kind": "download", "tool_id": tool.id, "service": payload[:200]},
                ],
            )  # fmt: skip
            session.commit()
            revision = session.scalar(
                select(ToolRevision.number)
                .where(ToolRevision.tool_id == tool.id)
                .order_by(ToolRevision.number.desc())
                .limit(1)
            )
            return {
                "slug": tool.slug,
                "support": support.id,
                "revision": revision,
                "author": author,
                "tool_id": tool.id,
            }

    return store


def _pages(payload: str, made: dict) -> list[tuple[str, str, dict | None]]:
    """(method, url, form) of every page that shows what people wrote or typed, to an admin
    (who may open them all)."""
    slug, q = made["slug"], quote(payload)
    return [
        ("GET", f"/outils/{slug}", None),
        ("GET", f"/outils/{slug}?facteur=addictions", None),
        ("GET", "/recherche?facteur=addictions", None),
        ("GET", f"/recherche?q={q}", None),
        ("GET", f"/recherche?q={q}&texte=1", None),
        ("GET", "/gestion/outils", None),
        ("GET", f"/gestion/outils?q={q}", None),
        ("GET", f"/gestion/outils/{slug}", None),
        ("GET", f"/gestion/outils/{slug}/modifier", None),
        ("GET", f"/gestion/outils/{slug}/apercu", None),
        ("GET", f"/gestion/outils/{slug}/historique", None),
        ("GET", f"/gestion/outils/{slug}/historique/{made['revision']}", None),
        ("GET", f"/gestion/outils/{slug}/historique/1", None),
        ("GET", f"/gestion/outils/{slug}/supports", None),
        ("GET", f"/gestion/outils/{slug}/supports/{made['support']}/supprimer", None),
        ("GET", "/gestion/commentaires", None),
        ("GET", "/gestion/facteurs", None),
        ("GET", "/gestion/facteurs/addictions", None),
        ("GET", "/pilotage/statistiques", None),
        ("GET", f"/pilotage/outils/{slug}/statistiques", None),
        ("GET", "/pilotage/classement", None),
        ("GET", "/pilotage/classement/historique", None),
        ("GET", "/admin/comptes", None),
        ("GET", f"/admin/comptes?q={q}", None),
        # forms shown again with what was typed, after a refusal
        (
            "POST",
            "/gestion/outils/nouveau",
            {"title": payload[:200], "summary": "", "instructions": payload, "references": payload},
        ),
        ("POST", f"/gestion/outils/{slug}/supports", {"titre": payload[:200]}),
        ("POST", "/gestion/facteurs/addictions", {"label": payload, "description": "x" * 3000}),
    ]


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_no_page_turns_what_people_wrote_into_live_markup(app, stored, name):
    payload = PAYLOADS[name]
    made = stored(payload)
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = made["author"].id  # an admin: every page
    problems, unseen = [], []
    for method, url, form in _pages(payload, made):
        response = client.open(url, method=method, data=form)
        assert response.status_code < 500, (url, response.status_code)
        html = response.get_data(as_text=True)
        found, text = live_markup(html)
        problems += [f"{method} {url}: {problem}" for problem in found]
        if MARKER not in text:
            unseen.append(f"{method} {url} ({response.status_code})")
    # and what anonymous visitors see: the sheet, the search, the sign-in page (its return)
    anonymous = app.test_client()
    for url in (
        f"/outils/{made['slug']}",
        f"/recherche?q={quote(payload)}",
        f"/connexion?next={quote('/recherche?q=' + payload)}",
    ):
        response = anonymous.get(url)
        found, text = live_markup(response.get_data(as_text=True))
        problems += [f"anonymous GET {url}: {problem}" for problem in found]
        if MARKER not in text:
            unseen.append(f"anonymous GET {url} ({response.status_code})")
    assert problems == []
    assert unseen == []  # every page showed the text it was given (escaped)
