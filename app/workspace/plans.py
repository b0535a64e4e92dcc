"""The multi-factor plan: two to four risk factors, a stage of change for each, a modality, a
number of sessions and the minutes of each; ROMIN proposes the best tools of each factor and
spreads them over the sessions (app.workspace.plan_allocation).

A plan lives in its page's address until the officer saves it: the factors, the numbers and
the tools in order (`PlanState.args`), so every edit (swap, remove, reorder) is a plain link or
form and nothing is stored. A saved plan keeps that same state under a label, the plan's only
free text, checked for identifying details. Nothing in a plan is about a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.visibility import may_see
from app.core import vocabulary as v
from app.core.identifying import identifying_refusal
from app.core.refusals import Refused
from app.models import Tool, User
from app.models.base import utcnow
from app.models.plans import SavedPlan
from app.search.service import search
from app.workspace.plan_allocation import Allocation, Need, allocate, propose, sessions_needed
from indexer.search import SearchQuery

MIN_FACTORS, MAX_FACTORS = 2, 4
PLAN_MODALITIES = ("individuelle", "collective")
SESSIONS_MIN, SESSIONS_MAX = 1, 20
MINUTES_MIN, MINUTES_MAX = 10, 240
# a plan's tools at most (a session pack takes as many)
MAX_TOOLS = 20
# the tools of each factor a plan chooses among (the search's first page for it)
CANDIDATES = 10
LABEL_MAX = 80
MAX_SAVED_PLANS = 50
# the plan's arguments that repeat (rows of factors and stages, the tools in order)
LIST_ARGS = ("facteur", "stade", "outil")


@dataclass(frozen=True)
class FactorStage:
    factor: str
    stage: str


@dataclass(frozen=True)
class PlanItem:
    """A tool of the plan, for one of its factors (`factor:slug` in the address)."""

    factor: str
    slug: str

    @property
    def arg(self) -> str:
        return f"{self.factor}:{self.slug}"


@dataclass(frozen=True)
class PlanState:
    factors: tuple[FactorStage, ...]
    modality: str
    sessions: int
    minutes: int
    # None: not chosen yet, ROMIN proposes them
    items: tuple[PlanItem, ...] | None = None

    def args(self, *, with_items: bool = True) -> list[tuple[str, str]]:
        """The plan as its page's query string, in order (a list: names repeat)."""
        pairs: list[tuple[str, str]] = []
        for choice in self.factors:
            pairs += [("facteur", choice.factor), ("stade", choice.stage)]
        pairs += [
            ("modalite", self.modality),
            ("seances", str(self.sessions)),
            ("minutes", str(self.minutes)),
        ]
        if with_items and self.items is not None:
            # an empty value says "no tool" (an address without `outil` asks for a proposal)
            pairs += [("outil", item.arg) for item in self.items] or [("outil", "")]
        return pairs

    def to_json(self) -> dict[str, Any]:
        """What a saved plan stores: the same arguments, read back through `read_plan`."""
        out: dict[str, Any] = {name: [] for name in LIST_ARGS}
        for name, value in self.args():
            if name in LIST_ARGS:
                out[name] += [value] if value else []
            else:
                out[name] = value
        return out

    def stage_of(self, factor: str) -> str:
        return next((c.stage for c in self.factors if c.factor == factor), "")


class PlanArgs(Schema):
    """The plan's arguments (a query string, or a saved plan's state): factors and stages by
    rows, the numbers, the tools in order."""

    facteur = fields.List(
        fields.String(validate=validate.Length(max=40, error="Ce facteur de risque n'existe pas.")),
        load_default=list,
    )
    stade = fields.List(
        fields.String(
            validate=validate.Length(max=40, error="Ce stade du changement n'existe pas.")
        ),
        load_default=list,
    )
    modalite = fields.String(
        required=True,
        validate=validate.OneOf(
            PLAN_MODALITIES, error="Choisissez la modalité : individuelle ou collective."
        ),
        error_messages={"required": "Choisissez la modalité : individuelle ou collective."},
    )
    seances = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(
            min=SESSIONS_MIN,
            max=SESSIONS_MAX,
            error=f"Le nombre de séances va de {SESSIONS_MIN} à {SESSIONS_MAX}.",
        ),
        error_messages={
            "required": "Indiquez le nombre de séances.",
            "invalid": "Le nombre de séances doit être un nombre entier.",
        },
    )
    minutes = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(
            min=MINUTES_MIN,
            max=MINUTES_MAX,
            error=f"La durée d'une séance va de {MINUTES_MIN} à {MINUTES_MAX} minutes.",
        ),
        error_messages={
            "required": "Indiquez la durée d'une séance, en minutes.",
            "invalid": "La durée d'une séance doit être un nombre entier de minutes.",
        },
    )
    outil = fields.List(
        fields.String(
            validate=validate.Length(
                max=170,
                error="L'adresse du plan est incomplète : recommencez depuis le formulaire.",
            )
        ),
        load_default=None,
    )

    class Meta:
        unknown = EXCLUDE


def read_plan(args: Mapping[str, Any], factor_labels: Mapping[str, str]) -> PlanState:
    """The plan these arguments describe (lists already read as lists: `plan_arguments`), or
    Refused with a French message per form field."""
    errors: dict[str, list[str]] = {}
    try:
        data = PlanArgs().load(args)
    except ValidationError as exc:
        for name, messages in exc.normalized_messages().items():
            errors[str(name)] = _texts(messages)
        data = {}
    factors = _factor_rows(args, factor_labels, errors)
    items: tuple[PlanItem, ...] | None = None
    if data.get("outil") is not None:
        items = _items(data["outil"], errors)
    if errors:
        raise Refused(errors)
    return PlanState(tuple(factors), data["modalite"], data["seances"], data["minutes"], items)


def plan_arguments(args: Any) -> dict[str, Any]:
    """A query string (a MultiDict) as `read_plan` reads it: repeated names as lists."""
    return {key: (args.getlist(key) if key in LIST_ARGS else args.get(key)) for key in args}


def _texts(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [t for m in messages.values() for t in _texts(m)]
    if isinstance(messages, list):
        return [t for m in messages for t in _texts(m)]
    return [str(messages)]


def _factor_rows(
    args: Mapping[str, Any], labels: Mapping[str, str], errors: dict[str, list[str]]
) -> list[FactorStage]:
    """The rows of factor and stage, paired by position; a row without a factor is empty."""
    factors = [str(f or "").strip() for f in (args.get("facteur") or [])]
    stages = [str(s or "").strip() for s in (args.get("stade") or [])]
    stage_slugs = v.slugs(v.STAGES)
    rows: list[FactorStage] = []
    for number, factor in enumerate(factors, start=1):
        stage = stages[number - 1] if number <= len(stages) else ""
        if not factor:
            continue
        if factor not in labels:
            errors[f"facteur-{number}"] = [
                "Ce facteur de risque n'existe pas : choisissez-en un dans la liste."
            ]
            continue
        if any(r.factor == factor for r in rows):
            errors[f"facteur-{number}"] = [
                f"« {labels[factor]} » est déjà choisi : un facteur ne compte qu'une fois."
            ]
            continue
        if stage not in stage_slugs:
            errors[f"stade-{number}"] = [
                f"Choisissez le stade du changement pour « {labels[factor]} »."
            ]
            continue
        rows.append(FactorStage(factor, stage))
    if not any(key.startswith("facteur-") or key.startswith("stade-") for key in errors) and not (
        MIN_FACTORS <= len(rows) <= MAX_FACTORS
    ):
        errors["facteurs"] = [
            f"Choisissez de {MIN_FACTORS} à {MAX_FACTORS} facteurs de risque, chacun avec son "
            "stade du changement."
        ]
    return rows


def _items(values: Sequence[str], errors: dict[str, list[str]]) -> tuple[PlanItem, ...]:
    items: list[PlanItem] = []
    for value in filter(None, values):
        factor, _, slug = value.partition(":")
        if not factor or not slug:
            errors["outil"] = [
                "L'adresse du plan est incomplète : recommencez depuis le formulaire."
            ]
            return ()
        item = PlanItem(factor, slug)
        if item not in items:
            items.append(item)
    if len(items) > MAX_TOOLS:
        errors["outil"] = [f"Un plan compte {MAX_TOOLS} outils au plus."]
    return tuple(items)


# -- building the plan: proposal, the tools, the sessions -----------------------------------


@dataclass
class PlannedTool:
    factor: str
    tool: Tool

    @property
    def need(self) -> Need:
        return Need(self.tool.minutes_per_session, sessions_needed(self.tool.sessions))

    @property
    def evidence(self) -> int:
        return self.tool.evidence_for(self.factor)


@dataclass
class Plan:
    state: PlanState
    tools: list[PlannedTool]
    allocation: Allocation
    # each factor's tools, best first, as the search gives them (to swap or add one)
    candidates: dict[str, list[dict[str, Any]]]
    # whether ROMIN chose the tools just now (the address named none)
    proposed: bool = False
    # the proposal's good tools that did not fit, with why: (factor, hit, reason)
    left_out: list[tuple[str, Mapping[str, Any], str]] = field(default_factory=list)
    # tools of the address that are gone (unpublished, unknown, not of their factor)
    dropped: list[str] = field(default_factory=list)

    def alternatives(self, factor: str) -> list[dict[str, Any]]:
        """The factor's other tools, not in the plan yet."""
        taken = {p.tool.slug for p in self.tools}
        return [hit for hit in self.candidates.get(factor, []) if hit["slug"] not in taken]


def candidates(session: Session, choice: FactorStage, modality: str) -> list[dict[str, Any]]:
    """A factor's tools for its stage and the modality (a mixed tool serves both), best first
    in the search page's order; never a non-recommended tool. (The officer's own tools work on
    no factor: a factor leaves them out.)"""
    query = SearchQuery(
        factor=choice.factor,
        facets={"stages": (choice.stage,), "modality": (modality, "mixte")},
        per_page=CANDIDATES,
    )
    answer = search(session, query)
    return [hit for hit in answer.result.hits if not hit.get("not_recommended")]


def build_plan(session: Session, state: PlanState, user: User | None) -> Plan:
    """The plan of this state: its tools proposed when it has none yet, then read, checked
    (visible, of their factor) and spread over the sessions."""
    pools = {c.factor: candidates(session, c, state.modality) for c in state.factors}
    left_out: list[tuple[str, Mapping[str, Any], str]] = []
    proposed = state.items is None
    if proposed:
        proposal = propose(pools, state.sessions, state.minutes)
        state = replace(
            state, items=tuple(PlanItem(factor, hit["slug"]) for factor, hit in proposal.chosen)
        )
        left_out = proposal.left_out
    tools, dropped = resolve(session, state.items or (), state, user)
    state = replace(state, items=tuple(PlanItem(p.factor, p.tool.slug) for p in tools))
    allocation = allocate([p.need for p in tools], state.sessions, state.minutes)
    return Plan(state, tools, allocation, pools, proposed, left_out, dropped)


def resolve(
    session: Session, items: Sequence[PlanItem], state: PlanState, user: User | None
) -> tuple[list[PlannedTool], list[str]]:
    """The tools of these items, in order, and what was dropped (in French)."""
    slugs = list(dict.fromkeys(item.slug for item in items))
    found = {t.slug: t for t in session.scalars(select(Tool).where(Tool.slug.in_(slugs)))}
    factors = {c.factor for c in state.factors}
    tools: list[PlannedTool] = []
    dropped: list[str] = []
    for item in items:
        tool = found.get(item.slug)
        if tool is None or not may_see(tool, user):
            dropped.append(f"Un outil du plan n'est plus publié ({item.slug}) : il est retiré.")
        elif item.factor not in factors or item.factor not in tool.risk_factor_slugs:
            dropped.append(
                f"« {tool.title} » ne travaille pas un des facteurs du plan : il est retiré."
            )
        elif any(p.tool.slug == tool.slug for p in tools):
            continue
        else:
            tools.append(PlannedTool(item.factor, tool))
    return tools, dropped


# -- edits: each returns the new state (the page redirects to its address) ------------------


def edit(state: PlanState, action: str, args: Mapping[str, Any]) -> PlanState:
    """Apply one of the plan page's buttons: `monter-<n>`, `descendre-<n>`, `retirer-<n>`,
    `remplacer-<n>` (with `par-<n>`: a slug) or `ajouter-<factor>` (with `ajout-<factor>`).
    An action that does not apply leaves the plan as it is."""
    items = list(state.items or ())
    verb, _, target = action.partition("-")
    if verb == "ajouter":
        slug = str(args.get(f"ajout-{target}") or "")
        if slug and target in {c.factor for c in state.factors} and len(items) < MAX_TOOLS:
            items.append(PlanItem(target, slug))
        return replace(state, items=tuple(items))
    if not target.isdigit() or not 0 <= int(target) < len(items):
        return state
    n = int(target)
    if verb == "monter" and n > 0:
        items[n - 1], items[n] = items[n], items[n - 1]
    elif verb == "descendre" and n < len(items) - 1:
        items[n + 1], items[n] = items[n], items[n + 1]
    elif verb == "retirer":
        del items[n]
    elif verb == "remplacer":
        slug = str(args.get(f"par-{n}") or "")
        if slug:
            items[n] = PlanItem(items[n].factor, slug)
    return replace(state, items=tuple(items))


# -- saved plans -----------------------------------------------------------------------------


def check_label(label: str) -> str:
    label = " ".join((label or "").split())
    if not label:
        raise Refused(
            "Donnez un nom au plan (par exemple « Plan addictions et entourage »).", "libelle"
        )
    if len(label) > LABEL_MAX:
        raise Refused(f"Le nom du plan dépasse {LABEL_MAX} caractères.", "libelle")
    refusal = identifying_refusal(label, "Le nom du plan")
    if refusal:
        raise Refused(refusal, "libelle")
    return label


def saved_plans(session: Session, user: User) -> list[SavedPlan]:
    return list(
        session.scalars(
            select(SavedPlan)
            .where(SavedPlan.user_id == user.id)
            .order_by(SavedPlan.updated_at.desc(), SavedPlan.id.desc())
        )
    )


def own_plan(session: Session, user: User, plan_id: int) -> SavedPlan | None:
    """The saved plan of this id if it is this officer's (another's reads as missing)."""
    plan = session.get(SavedPlan, plan_id)
    return plan if plan is not None and plan.user_id == user.id else None


def save_plan(session: Session, user: User, label: str, state: PlanState) -> SavedPlan:
    label = check_label(label)
    count = session.scalar(
        select(func.count()).select_from(SavedPlan).where(SavedPlan.user_id == user.id)
    )
    if (count or 0) >= MAX_SAVED_PLANS:
        raise Refused(
            f"Vous avez déjà {MAX_SAVED_PLANS} plans enregistrés : supprimez-en un avant d'en "
            "enregistrer un autre.",
            "libelle",
        )
    plan = SavedPlan(user_id=user.id, label=label, state=state.to_json())
    session.add(plan)
    session.flush()
    return plan


def update_plan(session: Session, plan: SavedPlan, label: str, state: PlanState) -> SavedPlan:
    plan.label = check_label(label)
    plan.state = state.to_json()
    plan.updated_at = utcnow()
    session.flush()
    return plan


def delete_plan(session: Session, plan: SavedPlan) -> None:
    session.delete(plan)
    session.flush()


def saved_state(plan: SavedPlan, factor_labels: Mapping[str, str]) -> PlanState | None:
    """A saved plan's state, read like an address; None if it no longer reads (a factor
    removed from the reference list since)."""
    try:
        return read_plan(plan.state, factor_labels)
    except Refused:
        return None
