"""Security headers (app.factory._security_headers) and absolute addresses.

HSTS in production only; a Permissions-Policy that refuses the browser features ROMIN never
uses, on every response; no signed-in page kept by any cache (`private, no-store`), except the
files that set their own policy; absolute links built on PUBLIC_URL, never on the Host header
a request brings, and PUBLIC_URL required in production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fpdf import FPDF

from app.catalogue.supports import add_support
from app.config import Config
from app.db import db
from app.factory import OWN_CACHE_POLICY

PUBLIC_URL = "https://romin.justice.example"
REFUSED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")
HSTS = "max-age=63072000; includeSubDomains"
NO_STORE = "private, no-store"


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


@pytest.fixture
def production(app_factory):
    return app_factory(PRODUCTION=True, PUBLIC_URL=PUBLIC_URL, LOCAL_LOGIN_ENABLED=False)


@pytest.fixture
def tool_with_support(app, make_tool):
    tool = make_tool(title="Balance décisionnelle")
    with app.app_context():
        support = add_support(db.session, db.session.merge(tool), "fiche.pdf", _pdf())
        db.session.commit()
        return {"slug": tool.slug, "support": support.id, "sha": support.sha256}


def _sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["uid"] = user.id


# -- Permissions-Policy and HSTS ----------------------------------------------------------------

ANONYMOUS_URLS = (
    "/recherche",
    "/connexion",
    "/static/romin.css",
    "/api/v1/openapi.json",
    "/api/v1/search",  # 401
    "/page-qui-n-existe-pas",  # 404
)


@pytest.mark.parametrize("url", ANONYMOUS_URLS)
def test_every_response_refuses_the_browser_features_romin_never_uses(client, url):
    policy = client.get(url).headers["Permissions-Policy"]
    for feature in REFUSED_FEATURES:
        assert f"{feature}=()" in policy
    # every entry refuses its feature outright (no origin is allowed anything)
    entries = [entry.strip() for entry in policy.split(",")]
    assert len(entries) >= 15 and all(re.fullmatch(r"[a-z-]+=\(\)", e) for e in entries)


def test_hsts_is_sent_in_production_only(client, production):
    for url in ANONYMOUS_URLS:
        assert "Strict-Transport-Security" not in client.get(url).headers, url
        response = production.test_client().get(url, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == HSTS, url


# -- Cache-Control on signed-in pages -------------------------------------------------------------


def _url(rule: str, sample: dict) -> str:
    url = rule.replace("/static/<path:filename>", "/static/romin.css")
    url = url.replace("/dsfr/<path:filename>", "/dsfr/dsfr.min.css")
    for key, value in sample.items():
        url = url.replace(f"<{key}>", str(value))
    url = re.sub(r"<int:[^>]+>", "1", url)  # any other parameter: a value that may not exist
    return re.sub(r"<[^>]+>", "x", url)


def test_no_signed_in_page_is_kept_by_a_cache(app, make_user, token_for, tool_with_support):
    """Every GET route, signed in as an admin (who may open them all): whatever the answer
    (a page, a redirect, a 404), it carries `private, no-store`; the files with their own
    policy keep it."""
    admin = make_user("admin")
    token = token_for(admin)
    sample = {
        "slug": tool_with_support["slug"],
        "int:support_id": tool_with_support["support"],
        "filename": "fiche.pdf",
        "int:user_id": admin.id,
        "name": "inconnu",
    }
    problems, own = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = _url(rule.rule, sample)
        client = app.test_client()
        headers = {}
        if url.startswith("/api/"):
            headers = token
        else:
            _sign_in(client, admin)
        response = client.get(url, headers=headers)
        cache = response.headers.get("Cache-Control", "")
        if rule.endpoint in OWN_CACHE_POLICY:
            own.append(rule.endpoint)
            if "no-store" in cache and rule.endpoint != "catalogue.download_support":
                problems.append(f"{url}: public file made no-store")
        elif cache != NO_STORE:
            problems.append(f"{url} ({response.status_code}): {cache!r}")
    assert problems == []
    assert sorted(own) == sorted(OWN_CACHE_POLICY)


def test_forms_answered_to_a_signed_in_user_are_not_cached_either(app, make_user):
    client = app.test_client()
    _sign_in(client, make_user("curator"))
    refused = client.post("/gestion/outils/nouveau", data={"title": ""})
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == NO_STORE
    saved = client.post(
        "/gestion/outils/nouveau",
        data={
            "title": "Balance décisionnelle",
            "summary": "Peser le pour et le contre.",
            "kind": "outil",
            "phase": "intervention",
            "risk_factors": ["addictions"],
            "evidence_level": "0",
        },
    )
    assert saved.status_code == 303 and saved.headers["Cache-Control"] == NO_STORE


def test_api_answers_to_a_token_are_not_cached(client, make_user, token_for, tool_with_support):
    headers = token_for(make_user("agent"))
    answer = client.get(f"/api/v1/tools/{tool_with_support['slug']}", headers=headers)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == NO_STORE
    wrong = client.get("/api/v1/search", headers={"Authorization": "Bearer romin_faux"})
    assert wrong.status_code == 401 and wrong.headers["Cache-Control"] == NO_STORE


def test_public_pages_and_files_keep_their_own_policy(client, app, make_user, tool_with_support):
    slug, support, sha = (tool_with_support[k] for k in ("slug", "support", "sha"))
    for url in ("/recherche", f"/outils/{slug}"):  # anonymous: nothing personal in them
        assert "no-store" not in client.get(url).headers.get("Cache-Control", "")
    signed_in = app.test_client()
    _sign_in(signed_in, make_user("agent"))
    css = signed_in.get("/static/romin.css").headers["Cache-Control"]
    assert "max-age=3600" in css and "no-store" not in css
    download = signed_in.get(f"/outils/{slug}/supports/{support}/fiche.pdf?v={sha[:12]}")
    assert download.status_code == 200
    cache = download.headers["Cache-Control"]
    assert "private" in cache and "max-age=3600" in cache and "no-store" not in cache
    # and the same sheet, signed in, is no longer cacheable
    assert signed_in.get(f"/outils/{slug}").headers["Cache-Control"] == NO_STORE


# -- absolute addresses --------------------------------------------------------------------------


def test_support_links_in_the_api_never_come_from_the_host_header(
    app_factory, make_user, token_for, tool_with_support
):
    slug, support = tool_with_support["slug"], tool_with_support["support"]
    path = f"/outils/{slug}/supports/{support}/fiche.pdf?v={tool_with_support['sha'][:12]}"
    for public_url, expected in (("", path), (PUBLIC_URL, PUBLIC_URL + path)):
        app = app_factory(PUBLIC_URL=public_url)
        headers = {**token_for(make_user("agent")), "Host": "pirate.example"}
        answer = app.test_client().get(f"/api/v1/tools/{slug}", headers=headers)
        assert answer.status_code == 200
        assert [s["url"] for s in answer.get_json()["supports"]] == [expected]
        assert "pirate" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("public_url", ["", "http://romin.justice.example", "romin.justice.fr"])
def test_production_refuses_to_start_without_an_https_public_url(public_url):
    config = Config(
        SQLALCHEMY_DATABASE_URI="postgresql://x/y",
        SECRET_KEY="s" * 40,
        PRODUCTION=True,
        LOCAL_LOGIN_ENABLED=False,
        PUBLIC_URL=public_url,
    )
    with pytest.raises(RuntimeError, match="En production, définissez PUBLIC_URL"):
        config.check()
    config.PUBLIC_URL = PUBLIC_URL
    config.check()


# Places that build an address from the request, each with why it is safe. Anything else that
# reads the request's host to make a link fails this test.
FROM_THE_REQUEST = {
    "app/accounts/sign_in_views.py": "ProConnect's return addresses: PUBLIC_URL when set "
    "(required in production); the request's host in development only",
    "app/catalogue/views.py": "the address printed on a sheet, shown to people only: PUBLIC_URL "
    "when set (required in production)",
    "app/pilotage/usage.py": "compares a Referer with this host (it builds no address)",
    "app/workspace/pack.py": "addresses printed in a session pack, for people: PUBLIC_URL when "
    "set (required in production)",
    "app/workspace/digest.py": "links of the e-mail digest, built by a command in a request "
    "context whose base is PUBLIC_URL, never in a web request",
}


def test_no_address_is_built_from_the_host_header_elsewhere():
    root = Path(__file__).resolve().parents[3] / "app"
    pattern = re.compile(r"_external\s*=\s*True|url_root|host_url|request\.host\b")
    found = {
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }
    assert found <= set(FROM_THE_REQUEST)
