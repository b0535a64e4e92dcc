"""Usage events (pseudonymous, after the response, never breaking a page), their retention, and
the statistics pages for support staff and curators."""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta

import pytest
from fpdf import FPDF
from sqlalchemy import func, insert, select, update

from app.catalogue.supports import add_support
from app.db import db
from app.feedback.ratings import rate
from app.models import User
from app.models.usage import UsageDaily, UsageEvent
from app.pilotage import stats, usage

PASSWORD = "un mot de passe solide"


def _login(client, user):
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def _get(client, url, **kwargs):
    """GET and finish the response as a WSGI server does: events are written on close."""
    response = client.get(url, **kwargs)
    response.close()
    return response


def _events(app) -> list[UsageEvent]:
    with app.app_context():
        return list(db.session.scalars(select(UsageEvent).order_by(UsageEvent.id)))


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Fiche")
    return bytes(pdf.output())


@pytest.fixture
def officer(app, make_user):
    user = make_user("agent", password=PASSWORD)
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(service="SPIP de Paris", display_name="Camille Martin")
        )
        db.session.commit()
        return db.session.get(User, user.id)


@pytest.fixture
def staff_client(app, make_user):
    return _login(app.test_client(), make_user("staff", password=PASSWORD))


# -- recording ---------------------------------------------------------------------------------


def test_a_journey_is_recorded_pseudonymously(app, client, officer, make_tool):
    tool = make_tool(title="Balance décisionnelle", risk_factors=["addictions"])
    with app.app_context():
        support = add_support(db.session, db.session.merge(tool), "fiche.pdf", _pdf())
        db.session.commit()
    _login(client, officer)
    search_url = "/recherche?facteur=addictions&stade=contemplation"
    assert _get(client, search_url).status_code == 200
    assert (
        _get(
            client, f"/outils/{tool.slug}", headers={"Referer": f"http://localhost{search_url}"}
        ).status_code
        == 200
    )
    assert _get(client, f"/outils/{tool.slug}/supports/{support.id}/fiche.pdf").status_code == 200
    response = client.post(
        f"/outils/{tool.slug}/avis", data={"rating": "4", "risk_factor": "addictions"}
    )
    response.close()
    assert response.status_code == 303

    events = _events(app)
    assert [e.kind for e in events] == ["search", "view", "download", "feedback"]
    search, view, download, feedback = events
    assert search.risk_factor == "addictions" and search.facets == {"stage": "contemplation"}
    assert search.results == 1 and search.text_typed is False and search.search_text is None
    # the view is linked to the search it was opened from: its risk factor and facets
    assert view.tool_id == tool.id and view.risk_factor == "addictions"
    assert view.facets == {"stage": "contemplation"}
    assert download.tool_id == tool.id and feedback.risk_factor == "addictions"
    for event in events:
        assert event.service == "SPIP de Paris"
        assert event.pseudonym and len(event.pseudonym) == 64
        assert event.pseudonym not in (str(officer.id), officer.email)
        row = " ".join(str(getattr(event, c.key)) for c in UsageEvent.__table__.columns)
        assert officer.email not in row and "Camille" not in row and "Martin" not in row
    assert len({e.pseudonym for e in events}) == 1
    assert events[0].pseudonym == usage.pseudonym(officer.id, usage.stats_secret(app.config))


def test_anonymous_visits_and_landing_page(app, client, make_tool):
    tool = make_tool()
    _get(client, "/")  # the bare landing page is not a search
    _get(client, "/recherche?facteur=addictions&page=2")  # nor is a further page of results
    _get(client, f"/outils/{tool.slug}")  # opened directly: no search behind it
    events = _events(app)
    assert [(e.kind, e.pseudonym, e.service, e.risk_factor) for e in events] == [
        ("view", None, None, None)
    ]


def test_search_text_is_kept_only_when_nothing_was_found_and_cut(app, client, make_tool):
    make_tool(title="Carnet de consommation d'alcool", risk_factors=["addictions"])
    _get(client, "/recherche?q=alcool")  # resolves to a factor, finds tools
    _get(client, "/recherche?q=carnet&texte=1")  # text search that finds something
    _get(client, "/recherche?q=jonglage+avec+sept+balles+rouges+et+bleues+le+12/03&texte=1")
    found_factor, found_text, nothing = _events(app)
    assert (found_factor.risk_factor, found_factor.text_typed, found_factor.search_text) == (
        "addictions",
        True,
        None,
    )
    assert found_text.results >= 1 and found_text.search_text is None
    # five words at most, digits masked, a rare word dropped (app.pilotage.kept_words)
    assert nothing.results == 0 and nothing.search_text == "sept balles rouges et bleues"


def test_the_api_records_searches_and_feedback(app, client, officer, token_for, make_tool):
    tool = make_tool()
    headers = token_for(officer)
    client.get("/api/v1/search?risk_factor=addictions", headers=headers).close()
    client.post(f"/api/v1/tools/{tool.slug}/feedback", json={"rating": 5}, headers=headers).close()
    search, feedback = _events(app)
    assert search.kind == "search" and search.risk_factor == "addictions" and search.results == 1
    assert feedback.kind == "feedback" and feedback.tool_id == tool.id
    assert (
        search.pseudonym
        == feedback.pseudonym
        == usage.pseudonym(officer.id, usage.stats_secret(app.config))
    )


def test_the_event_is_written_after_the_response(app, client, make_tool):
    make_tool()
    response = client.get("/recherche?facteur=addictions")
    assert response.status_code == 200 and _events(app) == []  # page built, nothing written yet
    response.close()  # the server has sent it
    assert len(_events(app)) == 1


def test_a_failing_write_never_breaks_the_page(app, client, make_tool, monkeypatch, caplog):
    tool = make_tool()

    def broken(rows):
        raise RuntimeError("database unavailable for: jonglage secret text")

    monkeypatch.setattr(usage, "write_events", broken)
    with caplog.at_level(logging.WARNING, logger="app.pilotage.usage"):
        assert _get(client, "/recherche?q=jonglage+secret&texte=1").status_code == 200
        assert _get(client, f"/outils/{tool.slug}").status_code == 200
    assert _events(app) == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.pilotage.usage"]
    assert warnings and all("jonglage" not in w and "secret" not in w for w in warnings)

    def broken_build(*_args, **_kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(usage, "_row", broken_build)
    assert _get(client, f"/outils/{tool.slug}").status_code == 200


def test_a_real_database_refusal_is_contained(app, client, make_tool, monkeypatch):
    tool = make_tool()
    real = usage.write_events
    monkeypatch.setattr(
        usage, "write_events", lambda rows: real([{**r, "tool_id": -1} for r in rows])
    )
    assert _get(client, f"/outils/{tool.slug}").status_code == 200  # FK violation, contained
    monkeypatch.setattr(usage, "write_events", real)
    assert _get(client, f"/outils/{tool.slug}").status_code == 200
    assert [e.kind for e in _events(app)] == ["view"]  # the connection is still usable


# -- a known data set ---------------------------------------------------------------------------


def _at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=stats.TZ)


def _add_events(app, rows):
    defaults = {
        "pseudonym": None,
        "service": None,
        "risk_factor": None,
        "facets": {},
        "text_typed": False,
        "results": None,
        "tool_id": None,
        "search_text": None,
    }
    with app.app_context():
        db.session.execute(insert(UsageEvent), [{**defaults, **row} for row in rows])
        db.session.commit()


@pytest.fixture
def known(app, make_tool, make_user):
    """Three tools, a rating, and events over ten days (plus one outside the period)."""
    a = make_tool(
        title="Outil A", risk_factors=["addictions"], stages=["precontemplation", "action"]
    )
    b = make_tool(title="Outil B", risk_factors=["addictions", "emploi"], stages=["action"])
    make_tool(title="Brouillon", risk_factors=["loisirs"], stages=["action"], status="draft")
    rater = make_user("agent")
    end = stats.today() - timedelta(days=1)
    start = end - timedelta(days=9)
    d1, d2, d3 = start, start + timedelta(days=4), end
    with app.app_context():
        feedback = rate(db.session, db.session.merge(a), db.session.merge(rater), rating=4)
        feedback.updated_at = _at(d2)
        # a demonstration rating is not an officer's: B still counts as never rated
        demo = rate(
            db.session, db.session.merge(b), db.session.merge(rater), rating=1, is_demo=True
        )
        demo.updated_at = _at(d2)
        db.session.commit()
    rows = (
        [{"occurred_at": _at(d1), "kind": "search", "risk_factor": "addictions", "results": 2}] * 2
        + [{"occurred_at": _at(d3), "kind": "search", "risk_factor": "addictions", "results": 2}]
        + [{"occurred_at": _at(d2), "kind": "search", "risk_factor": "emploi", "results": 1}]
        + [
            {
                "occurred_at": _at(d2),
                "kind": "search",
                "results": 0,
                "text_typed": True,
                "search_text": "jonglage",
            }
        ]
        * 2
        + [
            {
                "occurred_at": _at(d3),
                "kind": "search",
                "results": 0,
                "text_typed": True,
                "search_text": '=HYPERLINK("http://x")',
            }
        ]
        + [{"occurred_at": _at(d1), "kind": "view", "tool_id": a.id}] * 3
        + [{"occurred_at": _at(d2), "kind": "view", "tool_id": b.id, "risk_factor": "emploi"}]
        + [{"occurred_at": _at(d2), "kind": "download", "tool_id": a.id}] * 2
        + [{"occurred_at": _at(d3), "kind": "download", "tool_id": b.id}] * 4
        + [{"occurred_at": _at(start - timedelta(days=5)), "kind": "download", "tool_id": a.id}] * 7
        # local midnight: 00:30 in Paris is still the day before in UTC, counted on its French day
        + [{"occurred_at": _at(d3, 0).replace(minute=30), "kind": "view", "tool_id": b.id}]
    )
    _add_events(app, rows)
    return {"a": a, "b": b, "period": stats.Period(start, end), "days": (d1, d2, d3)}


def _figures(app, period, tool=None):
    with app.app_context():
        s = db.session
        per_tool = (
            {}
            if tool is None
            else {
                "activity": stats.tool_activity(s, period, tool.id),
                "by_factor": stats.tool_views_by_factor(s, period, tool.id),
            }
        )
        over_time = {}
        for _bucket, factor, n in stats.searches_over_time(s, period):
            over_time[factor] = over_time.get(factor, 0) + n
        return {
            "totals": stats.totals(s, period),
            "over_time": over_time,
            "views": stats.top_tools(s, period, "view"),
            "downloads": stats.top_tools(s, period, "download"),
            "never_rated": stats.downloaded_never_rated(s, period),
            "empty": stats.empty_searches(s, period),
            "ratings": stats.rating_distribution(s, period),
            "coverage": stats.coverage(s),
            **per_tool,
        }


def test_dashboard_figures_on_a_known_data_set(app, known):
    a, b = known["a"], known["b"]
    figures = _figures(app, known["period"])
    assert figures["totals"] == {"search": 7, "view": 5, "download": 6, "feedback": 0}
    assert figures["over_time"] == {"addictions": 3, "emploi": 1, None: 3}
    assert figures["views"] == [(a.slug, "Outil A", 3), (b.slug, "Outil B", 2)]
    assert figures["downloads"] == [(b.slug, "Outil B", 4), (a.slug, "Outil A", 2)]
    assert figures["never_rated"] == [(b.slug, "Outil B", 4)]
    assert figures["empty"] == [("jonglage", None, 2), ('=HYPERLINK("http://x")', None, 1)]
    assert figures["ratings"] == {5: 0, 4: 1, 3: 0, 2: 0, 1: 0}
    coverage = figures["coverage"]
    assert coverage[("addictions", "precontemplation")] == 1
    assert coverage[("addictions", "action")] == 2
    assert coverage[("emploi", "action")] == 1
    assert coverage[("loisirs", "action")] == 0  # a draft does not cover anything
    assert sum(1 for n in coverage.values() if n == 0) == 7 * 5 - 3
    year = stats.Period(known["period"].end - timedelta(days=364), known["period"].end)
    assert year.bucket == "week"
    per_week = _figures(app, year)
    assert per_week["over_time"] == figures["over_time"]
    assert per_week["totals"]["download"] == 6 + 7


def test_a_year_of_statistics_renders_per_week(app, staff_client, make_user, known):
    end = known["period"].end
    query = f"du={(end - timedelta(days=364)).isoformat()}&au={end.isoformat()}"
    html = staff_client.get(f"/pilotage/statistiques?{query}").get_data(as_text=True)
    assert "par semaine" in html and "semaine du" in html
    curator = _login(app.test_client(), make_user("curator", password=PASSWORD))
    assert (
        curator.get(f"/pilotage/outils/{known['a'].slug}/statistiques?{query}").status_code == 200
    )


def _daily_rows() -> list:
    """Every daily roll-up row, in a stable order (within an app context)."""
    return sorted(
        db.session.execute(
            select(
                UsageDaily.day,
                UsageDaily.kind,
                UsageDaily.risk_factor,
                UsageDaily.tool_id,
                UsageDaily.count,
            )
        ).all(),
        key=str,
    )


def test_rollup_gives_the_same_figures_and_is_idempotent(app, known):
    before = _figures(app, known["period"], known["b"])
    assert before["by_factor"] == [("emploi", 1), (None, 1)]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "rollup"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        first = _daily_rows()
        assert stats.rolled_through(db.session) == known["period"].end
    assert _figures(app, known["period"], known["b"]) == before
    depuis = (known["period"].start - timedelta(days=5)).isoformat()
    again = runner.invoke(args=["stats", "rollup", "--depuis", depuis])
    assert again.exit_code == 0, again.output
    with app.app_context():
        second = _daily_rows()
    assert first == second
    # a recent event after the watermark is read from the raw events
    _add_events(
        app, [{"occurred_at": datetime.now(stats.TZ), "kind": "view", "tool_id": known["a"].id}]
    )
    today = stats.Period(known["period"].start, stats.today())
    assert _figures(app, today)["totals"]["view"] == before["totals"]["view"] + 1


def test_purge_keeps_aggregates_and_drops_old_text_and_events(app, known):
    app.config["STATS_RETENTION_DAYS"] = 3
    d1, d2, d3 = known["days"]
    result = app.test_cli_runner().invoke(args=["stats", "purge"])
    assert result.exit_code == 0, result.output
    assert "événement(s) supprimé(s)" in result.output
    cutoff = stats.local_midnight(stats.today() - timedelta(days=3))
    with app.app_context():
        s = db.session
        assert (
            s.scalar(
                select(func.count()).select_from(UsageEvent).where(UsageEvent.occurred_at < cutoff)
            )
            == 0
        )
        kept = s.scalars(
            select(UsageEvent.search_text).where(UsageEvent.search_text.is_not(None))
        ).all()
        assert kept == ['=HYPERLINK("http://x")']  # the recent text only
        assert s.scalar(select(func.sum(UsageDaily.count)).where(UsageDaily.day == d1)) == 5
        assert s.scalar(select(func.sum(UsageDaily.count)).where(UsageDaily.day == d2)) == 6
    figures = _figures(app, known["period"])
    assert figures["totals"] == {"search": 7, "view": 5, "download": 6, "feedback": 0}
    assert figures["downloads"][0][2] == 4
    assert figures["empty"] == [('=HYPERLINK("http://x")', None, 1)]  # old texts are gone
    refused = app.test_cli_runner().invoke(args=["stats", "rollup", "--depuis", d1.isoformat()])
    assert refused.exit_code != 0 and "purgés" in refused.output


# -- the pages -----------------------------------------------------------------------------------


def _query(period):
    return f"du={period.start.isoformat()}&au={period.end.isoformat()}"


def _table(html, name):
    match = re.search(rf'<div class="fr-table[^"]*" id="tableau-{name}">(.*?)</table>', html, re.S)
    assert match, name
    return match.group(1)


def test_the_dashboard_page(app, staff_client, known):
    response = staff_client.get(f"/pilotage/statistiques?{_query(known['period'])}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('role="img"') == 8 and html.count("<desc id=") == 8
    assert html.count("<caption>") == 8 and 'scope="row"' in html and 'scope="col"' in html
    coverage = _table(html, "couverture")
    assert coverage.count(">lacune</span>") == 7 * 5 - 3
    assert "0 — lacune" in html  # in the chart, in words
    assert re.search(
        r"Outil B</a></th>\s*<td[^>]*>4</td>", _table(html, "telecharges-jamais-notes")
    )
    assert "Outil A" not in _table(html, "telecharges-jamais-notes")
    assert "jonglage" in _table(html, "recherches-sans-resultat")
    assert 'href="/pilotage/statistiques/couverture.csv?du=' in html
    assert ">Statistiques</a>" in html  # the staff's navigation link


def test_csv_export_is_an_escaped_attachment(staff_client, known):
    response = staff_client.get(
        f"/pilotage/statistiques/recherches-sans-resultat.csv?{_query(known['period'])}"
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeffTexte tapé (5 premiers mots);Facteur de risque;Recherches\r\n")
    assert "jonglage;—;2\r\n" in body
    assert "'=HYPERLINK" in body and ";=HYPERLINK" not in body and "\n=HYPERLINK" not in body
    coverage = staff_client.get(f"/pilotage/statistiques/couverture.csv?{_query(known['period'])}")
    lines = coverage.data.decode("utf-8").splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Facteur de risque;Précontemplation;")
    assert any(line.startswith("Addictions") and line.endswith(";1;0;0;2;0") for line in lines)
    assert staff_client.get("/pilotage/statistiques/inconnu.csv").status_code == 404


@pytest.mark.parametrize(
    "query, message",
    [
        ("du=30/11/2026", "AAAA-MM-JJ"),
        ("du=2026-12-10&au=2026-12-01", "antérieure ou égale"),
        ("du=2020-01-01&au=2026-01-01", "trois ans"),
    ],
)
def test_bad_dates_rerender_the_form_in_french(staff_client, query, message):
    response = staff_client.get(f"/pilotage/statistiques?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'name="du"' in html and "fr-input-group--error" in html
    assert staff_client.get(f"/pilotage/statistiques/notes.csv?{query}").status_code == 400


def test_the_default_period_is_the_last_30_days(staff_client):
    response = staff_client.get("/pilotage/statistiques")
    assert response.status_code == 200
    end = stats.today()
    html = response.get_data(as_text=True)
    assert (
        f'value="{(end - timedelta(days=29)).isoformat()}"' in html
        and f'value="{end.isoformat()}"' in html
    )


def test_roles(app, client, make_user, make_tool):
    tool = make_tool()
    assert client.get("/pilotage/statistiques").status_code == 302
    assert "/connexion" in client.get("/pilotage/statistiques").headers["Location"]
    assert (
        "/connexion" in client.get(f"/pilotage/outils/{tool.slug}/statistiques").headers["Location"]
    )
    for role in ("agent", "curator"):
        c = _login(app.test_client(), make_user(role, password=PASSWORD))
        assert c.get("/pilotage/statistiques").status_code == 403
        assert c.get("/pilotage/statistiques/notes.csv").status_code == 403
    agent = _login(app.test_client(), make_user("agent", password=PASSWORD))
    assert agent.get(f"/pilotage/outils/{tool.slug}/statistiques").status_code == 403
    assert "Statistiques de cet outil" not in agent.get(f"/outils/{tool.slug}").get_data(
        as_text=True
    )
    assert ">Statistiques</a>" not in agent.get("/").get_data(as_text=True)
    admin = _login(app.test_client(), make_user("admin", password=PASSWORD))
    assert admin.get("/pilotage/statistiques").status_code == 200


def test_curators_see_a_tools_statistics(app, make_user, known):
    curator = _login(app.test_client(), make_user("curator", password=PASSWORD))
    a = known["a"]
    sheet = curator.get(f"/outils/{a.slug}").get_data(as_text=True)
    assert f'href="/pilotage/outils/{a.slug}/statistiques"' in sheet
    response = curator.get(f"/pilotage/outils/{a.slug}/statistiques?{_query(known['period'])}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('role="img"') == 4
    activity = _table(html, "activite")
    d1 = known["days"][0].strftime("%d/%m/%Y")
    assert re.search(rf"<th scope=\"row\">{d1}</th>\s*<td[^>]*>3</td>\s*<td[^>]*>0</td>", activity)
    assert "4 étoiles" in _table(html, "notes")
    csv = curator.get(
        f"/pilotage/outils/{a.slug}/statistiques/activite.csv?{_query(known['period'])}"
    )
    assert csv.status_code == 200 and csv.headers["Content-Disposition"].startswith("attachment;")
    assert curator.get("/pilotage/outils/inconnu/statistiques").status_code == 404
