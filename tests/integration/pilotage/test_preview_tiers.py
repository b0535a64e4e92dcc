"""The staff preview shows each score as its parts add up (the score within the tier) and says in
words what the tier does, instead of an unexplained "+1"."""

from __future__ import annotations

import re
from html import unescape

from app.db import db
from app.pilotage import weights as service
from ranking import DEFAULT_WEIGHTS

PASSWORD = "un mot de passe solide"
DEFAULTS = {name: str(value) for name, value in DEFAULT_WEIGHTS.as_dict().items()}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def test_the_preview_score_is_the_sum_of_its_parts_and_the_tier_is_said(
    client, make_tool, make_user
):
    make_tool(title="Recommandé", evidence_level=4)
    make_tool(title="Déconseillé", evidence_level=4, not_recommended=True)
    staff = make_user("staff", password=PASSWORD)
    client.post("/connexion", data={"email": staff.email, "password": PASSWORD})
    html = client.post(
        "/pilotage/classement/apercu", data={**DEFAULTS, "facteur": "addictions"}
    ).get_data(as_text=True)
    table = unescape(html[html.index('id="apercu-apres"') :])
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert len(rows) == 2
    for row, group in zip(rows, ("recommandés", "non recommandés")):
        parts = [
            _number(x)
            for x in re.findall(r"<li>(?:Avis|Preuve|Expérience|Fraîcheur)\xa0: ([\d,]+)", row)
        ]
        shown = re.search(r'class="romin-score">([\d,]+)<', row).group(1)
        assert 0 <= _number(shown) <= 1 and abs(sum(parts) - _number(shown)) <= 0.002
        # the parts' sum is the score shown, said to be within the tier
        assert f"Somme\xa0: {shown}, dans le groupe des outils {group}" in row
    assert "Score dans son groupe" in table
    assert "d'abord tous les outils recommandés, puis les outils signalés non recommandés" in (
        unescape(html)
    )
    assert "1 plus la somme" not in unescape(html)


def test_the_api_preview_gives_the_tier_and_the_score_within_it(
    app, client, make_tool, make_user, token_for
):
    make_tool(title="Recommandé", evidence_level=4)
    make_tool(title="Déconseillé", evidence_level=4, not_recommended=True)
    with app.app_context():
        rows = service.preview(db.session, "addictions", DEFAULT_WEIGHTS).after
    for row in rows:
        assert row.within_tier == round(sum(row.breakdown.contributions.values()), 6)
        assert row.score == round(row.breakdown.tier + row.within_tier, 6)
    body = client.post(
        "/api/v1/ranking/preview",
        headers=token_for(make_user("staff")),
        json={"risk_factor": "addictions"},
    ).get_json()
    assert [(r["title"], r["tier"]) for r in body["after"]] == [
        ("Recommandé", 1),
        ("Déconseillé", 0),
    ]
    for r in body["after"]:
        parts = sum(part["contribution"] for part in r["breakdown"].values())
        assert abs(r["within_tier"] - parts) < 1e-5
        assert abs(r["score"] - (r["tier"] + r["within_tier"])) < 1e-9
