"""The officer's own tools: a phase of their own, with no risk factor and no stage of change.

A tool for the officer's own work (preparing an interview, observing one's practice, organising
one's caseload: the brief's « organisation de leur activité ») works on no risk factor of the
person and suits every stage alike. Tagged with all of them, it matched every factor and stage
filter without working on any; so it carries none, and its own phase filter and words find it.
Every other tool works on at least one risk factor.

Factors or stages on such a tool are refused, not dropped: a curator or an API client who sends
them has made a choice that contradicts the phase, and is told so rather than having part of the
sheet silently thrown away. (The legacy import is the exception: the original product forced
every tool to name a factor, so it drops them with a note in its report.)
"""

from __future__ import annotations

from collections.abc import Sequence

ORGANISATION = "organisation"

NO_FACTOR = "Indiquez au moins un facteur de risque."
FACTORS_ON_OWN_TOOL = (
    "Un outil pour l'organisation de l'activité du CPIP ne travaille aucun facteur de risque : "
    "retirez-les, ou choisissez une autre phase du suivi."
)
STAGES_ON_OWN_TOOL = (
    "Un outil pour l'organisation de l'activité du CPIP ne dépend pas du stade du changement de "
    "la personne : retirez les stades, ou choisissez une autre phase du suivi."
)


def is_own_work(phase: str | None) -> bool:
    return phase == ORGANISATION


def sheet_problems(
    phase: str, risk_factors: Sequence[str] | None, stages: Sequence[str] | None
) -> dict[str, list[str]]:
    """French messages per field when the phase and the factors or stages disagree; None for
    a field not known (a partial update that does not send it)."""
    problems: dict[str, list[str]] = {}
    if is_own_work(phase):
        if risk_factors:
            problems["risk_factors"] = [FACTORS_ON_OWN_TOOL]
        if stages:
            problems["stages"] = [STAGES_ON_OWN_TOOL]
    elif risk_factors is not None and not risk_factors:
        problems["risk_factors"] = [NO_FACTOR]
    return problems
