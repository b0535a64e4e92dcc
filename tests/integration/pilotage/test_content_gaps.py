"""Content gaps: a search whose words match none of the tools of the factor (stage, phase) it
named, though those tools were shown, is recorded pseudonymously with the cut of its words,
rolled up per factor, and shown with its CSV beside the searches that found nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.db import db
from app.models.usage import UsageDaily, UsageDailyFactor, UsageEvent
from app.pilotage import stats

PASSWORD = "un mot de passe solide"


def _get(client, url, **kwargs):
    """GET and finish the response as a WSGI server does: events are written on close."""
    response = client.get(url, **kwargs)
    response.close()
    return response


def _events(app) -> list[UsageEvent]:
    with app.app_context():
        return list(db.session.scalars(select(UsageEvent).order_by(UsageEvent.id)))


@pytest.fixture
def addictions(make_tool):
    make_tool(title="Carnet de consommation", summary="Noter ses consommations d'alcool.")
    make_tool(title="Balance décisionnelle", summary="Peser le pour et le contre.")


def test_a_search_whose_words_match_none_of_the_factors_tools_is_a_gap(app, client, addictions):
    _get(client, "/recherche?q=jeu+d'argent")  # resolves to Addictions, no tool speaks of it
    _get(client, "/recherche?q=alcool")  # the factor's tools speak of it
    _get(client, "/recherche?facteur=addictions")  # no words
    _get(client, "/recherche?q=jonglage&texte=1")  # found nothing at all: not a gap too
    _get(client, "/recherche?q=trampoline+12+addictions")  # the factor's own name, then words
    gap, found, plain, nothing, numbers = _events(app)
    assert (gap.risk_factor, gap.results, gap.content_gap) == ("addictions", 2, True)
    assert gap.search_text == "jeu d'argent" and gap.pseudonym is None
    for event in (found, plain):
        assert event.content_gap is False and event.search_text is None and event.results == 2
    assert nothing.results == 0 and nothing.content_gap is False
    # neither a common French word nor a word of the catalogue: not kept (it could be a name)
    assert nothing.search_text is None
    # the same cut as a search that found nothing: five words at most, digits masked
    # a gap keeps the words that matched nothing, not the factor's name that filtered
    assert numbers.content_gap is True and numbers.search_text == "trampoline #"


def test_the_api_records_gaps_too(app, client, make_user, token_for, addictions):
    headers = token_for(make_user("agent"))
    client.get("/api/v1/search?q=jeu d'argent", headers=headers).close()
    (event,) = _events(app)
    assert event.content_gap is True and event.search_text == "jeu d'argent"
    assert event.pseudonym and len(event.pseudonym) == 64


def test_a_gap_within_a_phase_keeps_its_filter(app, client, make_tool):
    make_tool(
        title="Grille de préparation de l'entretien",
        phase="organisation",
        risk_factors=[],
        stages=[],
    )
    # the text names the phase; the other words rank within it and match nothing
    _get(client, "/recherche?q=organisation+agenda+partagé")
    (event,) = _events(app)
    assert event.content_gap is True and event.risk_factor is None
    assert event.facets == {"phase": "organisation"} and event.search_text == "agenda partagé"


def test_the_schema_keeps_text_only_for_unmatched_searches(app):
    row = {"kind": "search", "results": 3, "search_text": "jeu d'argent"}
    with app.app_context():
        with pytest.raises(IntegrityError):  # tools found, words matched: no text
            db.session.execute(insert(UsageEvent), [row])
        db.session.rollback()
        with pytest.raises(IntegrityError):  # only a search can be a gap
            db.session.execute(insert(UsageEvent), [{"kind": "view", "content_gap": True}])
        db.session.rollback()
        db.session.execute(insert(UsageEvent), [{**row, "content_gap": True}])
        db.session.commit()


# -- the figures ---------------------------------------------------------------------------------


def _at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=stats.TZ)


@pytest.fixture
def known(app):
    end = stats.today() - timedelta(days=2)  # before what a retention of one day keeps
    start = end - timedelta(days=9)
    d1, d2 = start, end
    gap = {"kind": "search", "text_typed": True, "content_gap": True}
    rows = (
        [{**gap, "occurred_at": _at(d1), "risk_factor": "addictions", "results": 6,
          "search_text": "jeu d'argent"}] * 3
        + [{**gap, "occurred_at": _at(d2), "risk_factor": "addictions", "results": 6,
            "search_text": "jeu d'argent"}]
        + [{**gap, "occurred_at": _at(d2), "risk_factor": "famille", "results": 4,
            "search_text": "=garde alternée"}]
        + [{**gap, "occurred_at": _at(d2), "results": 2, "facets": {"phase": "organisation"},
            "search_text": "agenda partagé"}]
        + [{"kind": "search", "occurred_at": _at(d2), "results": 0, "text_typed": True,
            "search_text": "jonglage"}]
        + [{"kind": "search", "occurred_at": _at(d1), "risk_factor": "addictions", "results": 6}]
    )  # fmt: skip
    defaults = {
        "risk_factor": None,
        "facets": {},
        "text_typed": False,
        "results": None,
        "search_text": None,
        "content_gap": False,
    }
    with app.app_context():
        db.session.execute(insert(UsageEvent), [{**defaults, **row} for row in rows])
        db.session.commit()
    return {"period": stats.Period(start, end), "days": (d1, d2)}


def _gaps(app, period):
    with app.app_context():
        return (
            stats.content_gaps(db.session, period),
            stats.content_gaps_per_factor(db.session, period),
            stats.totals(db.session, period)["search"],
        )


def test_gaps_are_counted_aggregated_beside_the_empty_searches(app, known):
    rows, per_factor, searches = _gaps(app, known["period"])
    assert rows == [
        ("jeu d'argent", "addictions", {}, 4),
        ("=garde alternée", "famille", {}, 1),
        ("agenda partagé", None, {"phase": "organisation"}, 1),
    ]
    assert per_factor == {"addictions": 4, "famille": 1, None: 1}
    assert searches == 8
    with app.app_context():  # the empty searches are theirs alone
        assert stats.empty_searches(db.session, known["period"]) == [("jonglage", None, 1)]


def test_the_rollup_counts_gaps_per_factor_and_they_outlive_the_purge(app, known):
    before = _gaps(app, known["period"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stats", "rollup"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.sum(UsageDaily.content_gaps))) == 6
        by_factor = dict(
            db.session.execute(
                select(UsageDailyFactor.risk_factor, func.sum(UsageDailyFactor.content_gaps))
                .where(UsageDailyFactor.kind == "search")
                .group_by(UsageDailyFactor.risk_factor)
            ).all()
        )
        assert by_factor == {"addictions": 4, "famille": 1, None: 1}
    assert _gaps(app, known["period"]) == before  # read from the roll-up now
    app.config["STATS_RETENTION_DAYS"] = 1
    assert runner.invoke(args=["stats", "purge"]).exit_code == 0
    rows, per_factor, searches = _gaps(app, known["period"])
    assert rows == [] and searches == 8  # the text is gone with the events
    assert per_factor == {"addictions": 4, "famille": 1, None: 1}  # the counts stay


@pytest.fixture
def staff_client(app, make_user):
    client = app.test_client()
    user = make_user("staff", password=PASSWORD)
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def _query(period):
    return f"du={period.start.isoformat()}&au={period.end.isoformat()}"


def test_the_dashboard_shows_gaps_with_their_csv(staff_client, known):
    html = staff_client.get(f"/pilotage/statistiques?{_query(known['period'])}").get_data(
        as_text=True
    )
    assert 'id="titre-lacunes-de-contenu"' in html
    assert html.index("titre-recherches-sans-resultat") < html.index("titre-lacunes-de-contenu")
    assert "6 recherches en tout (Addictions (alcool, stupéfiants) : 4" in html
    assert "Phase : Organisation de l&#39;activité" in html
    response = staff_client.get(
        f"/pilotage/statistiques/lacunes-de-contenu.csv?{_query(known['period'])}"
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.data.decode("utf-8")
    assert body.startswith(
        "\ufeffTexte tapé (5 premiers mots);Facteur de risque;Autres filtres;Recherches\r\n"
    )
    assert "jeu d'argent;Addictions (alcool, stupéfiants);—;4\r\n" in body
    assert "'=garde alternée;" in body  # no formula in a spreadsheet
    assert "agenda partagé;—;Phase : Organisation de l'activité;1\r\n" in body
