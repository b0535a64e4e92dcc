"""The search page: one criterion, the risk factor, and the tools best first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, current_app, g, render_template, request, url_for
from marshmallow import ValidationError

from app.accounts.auth import public
from app.core import signals
from app.core import vocabulary as v
from app.db import db
from app.search.schemas import FACET_ARGUMENTS, PageSearchArgs, query_arguments, to_query
from app.search.service import SearchAnswer, explanation_context, hit_reasons, search

bp = Blueprint("search", __name__)

FACET_SIDEBAR = tuple(
    # (page argument, index attribute, legend, vocabulary)
    (FACET_ARGUMENTS[name][0], FACET_ARGUMENTS[name][2], legend, terms)
    for name, legend, terms in (
        ("stage", "Stade du changement", v.STAGES),
        ("phase", "Phase du suivi", v.PHASES),
        ("responsivity", "Public ou besoin particulier", v.RESPONSIVITY),
        ("modality", "Modalité", v.MODALITIES),
        ("sessions", "Nombre de séances", v.SESSIONS),
        ("kind", "Type d'outil", v.KINDS),
        ("evidence_level", "Niveau de preuve", v.EVIDENCE_LEVELS),
        ("setting", "Milieu", v.SETTINGS),
    )
)


def _page_args(args: dict[str, Any]) -> dict[str, Any]:
    """Validated arguments back to the page's URL names, without empty ones."""
    out: dict[str, Any] = {}
    if args.get("factor"):
        out["facteur"] = args["factor"]
    if args.get("q"):
        out["q"] = args["q"]
    if args.get("as_text"):
        out["texte"] = 1
    if args.get("min_evidence") is not None:
        out["preuve_min"] = args["min_evidence"]
    for name, (page_name, _api, _attr) in FACET_ARGUMENTS.items():
        if args.get(name):
            out[page_name] = list(dict.fromkeys(args[name]))
    if args.get("page", 1) > 1:
        out["page"] = args["page"]
    return out


@bp.get("/")
@public
def home() -> tuple[str, int]:
    return search_page()


@bp.get("/recherche")
@public
def search_page() -> tuple[str, int]:
    factor_labels = explanation_context(db.session)[0]
    try:
        args = PageSearchArgs().load(query_arguments(request.args))
    except ValidationError as exc:
        return _render(factor_labels, None, {}, _flatten(exc.messages_dict), None), 400
    errors: dict[str, str] = {}
    if args.get("factor") and args["factor"] not in factor_labels:
        errors["facteur"] = "Ce facteur de risque n'existe pas : choisissez-en un dans la liste."
        args["factor"] = None
    answer = search(db.session, to_query(args, _per_page()), as_text=args.get("as_text", False))
    signals.search_answered.send(answer)
    state = _state(args, answer)
    if answer.result.total and args["page"] > answer.pages:
        errors["page"] = f"Il n'y a que {answer.pages} page(s) de résultats."

    def url_with(**changes: str | int | list[str] | None) -> str:
        params = dict(state)
        if "page" not in changes:
            params.pop("page", None)
        for key, value in changes.items():
            if value is None or value == []:
                params.pop(key, None)
            else:
                params[key] = value
        return search_url(params)

    return _render(factor_labels, answer, state, errors, url_with), (400 if errors else 200)


def _sheet_url(state: dict[str, Any]) -> Callable[[str], str]:
    """A result card's link to its sheet: the factor searched (the sheet explains its rank for
    it, the rating counts for it) and this page's address (`retour`: the sheet's links back to
    these results). Written here once per page, each card adds only its slug: url_for per
    card was the search page's main cost."""
    path = url_for("catalogue.tool_sheet", slug="-").removesuffix("-")
    carried = [("facteur", state["facteur"])] if state.get("facteur") else []
    query = urlencode([*carried, ("retour", search_url(state))], safe="/")
    return lambda slug: f"{path}{quote(slug, safe='')}?{query}"


# the characters werkzeug leaves unencoded in a query (https://url.spec.whatwg.org/)
_URL_SAFE = "!$'()*,/:;?@"


def search_url(params: dict[str, Any]) -> str:
    """The search page's address for these arguments, as url_for writes it (same encoding, a
    list repeats its name), the URL map read once per request: a page of results holds some
    forty such links, and url_for was a third of its time."""
    base = g.get("search_page_path")
    if base is None:
        base = g.search_page_path = url_for("search.search_page")
    items = [
        (key, item)
        for key, value in params.items()
        for item in (value if isinstance(value, list) else [value])
        if item is not None
    ]
    return f"{base}?{urlencode(items, safe=_URL_SAFE)}" if items else base


# the page argument of each filter a typed text may name
_NAMED_ARGUMENTS = {"factor": "facteur", "stage": "stade", "phase": "phase"}


def _state(args: dict[str, Any], answer: SearchAnswer) -> dict[str, Any]:
    """The page's URL for what the officer meant, giving the same answer on every page. Within a
    factor (chosen or named), the stage and phase the text named become filters of their own,
    removable like the others, and `q` keeps only the words that still rank. Without a factor,
    `q` stays as typed: the next page reads it again the same way."""
    state = _page_args(args)
    reading = answer.reading
    if reading is None or not reading.filters or not answer.query.factor:
        return state
    for kind, slug in reading.filters.items():
        name = _NAMED_ARGUMENTS[kind]
        if kind == "factor":
            state[name] = answer.query.factor
        elif slug not in state.get(name, []):
            state[name] = [*state.get(name, []), slug]
    if reading.kept:
        state["q"] = reading.kept
    else:
        state.pop("q", None)
    return state


def _toggle(state: dict[str, Any], name: str, value: str) -> list[str]:
    """A facet group's values with `value` added, or taken away when it is there."""
    values = list(state.get(name, []))
    return [v for v in values if v != value] if value in values else [*values, value]


def _render(
    factor_labels: dict[str, str],
    answer: SearchAnswer | None,
    state: dict[str, Any],
    errors: dict[str, str],
    url_with: Callable[..., str] | None,
) -> str:
    kept = {k: state[k] for k in ("facteur", "q", "texte") if k in state}
    named = _named_in_text(answer, state)
    return render_template(
        "search/search.html",
        has_filters=len(kept) < len({k: 1 for k in state if k != "page"}),
        clear_filters_url=search_url(kept),
        active_filters=[] if url_with is None else _active_filters(state, named, url_with),
        sheet_url=_sheet_url(state) if answer and answer.result.total else None,
        # what « Partager » sends: these results from their first page
        share_url=search_url({k: value for k, value in state.items() if k != "page"}),
        factor_labels=factor_labels,
        factor_urls={slug: search_url({"facteur": slug}) for slug in factor_labels},
        # « Pourquoi ce rang ? » per hit, cached with the answer
        reasons=hit_reasons(db.session, answer) if answer else [],
        answer=answer,
        state=state,
        errors=errors,
        facet_sidebar=FACET_SIDEBAR,
        url_with=url_with,
        active=lambda name: [*state.get(name, []), *(slug for n, slug in named if n == name)],
        toggle=None
        if url_with is None
        else (
            lambda name, value: named[(name, value)]
            if (name, value) in named
            else url_with(**{name: _toggle(state, name, value)})
        ),
        # no answer, no links: the page shows only the form and its errors
        page_url=None if url_with is None else (lambda n: url_with(page=n)),
        v=v,
    )


def _active_filters(
    state: dict[str, Any], named: dict[tuple[str, str], str], url_with: Callable[..., str]
) -> list[tuple[str, str, str]]:
    """The filters in force as (group, value, the address without it): the chips above the
    results, in the sidebar's order; a stage or phase the text named is one of them."""
    chips = []
    for page_name, _attribute, legend, terms in FACET_SIDEBAR:
        chosen = [*state.get(page_name, []), *(slug for n, slug in named if n == page_name)]
        for slug in chosen:
            remove = named.get((page_name, slug)) or url_with(
                **{page_name: _toggle(state, page_name, slug)}
            )
            chips.append((legend, v.label(terms, str(slug)), remove))
    if state.get("preuve_min") is not None:
        level = v.label(v.EVIDENCE_LEVELS, str(state["preuve_min"]))
        chips.append(("Niveau de preuve", f"au moins « {level} »", url_with(preuve_min=None)))
    return chips


def _named_in_text(
    answer: SearchAnswer | None, state: dict[str, Any]
) -> dict[tuple[str, str], str]:
    """A stage or phase the text named, filtering without being in the address as a filter of
    its own (no factor: `q` stays as typed), with the address that takes it away: the same
    search without the words that named it."""
    reading = answer.reading if answer else None
    if reading is None or "q" not in state:
        return {}
    out = {}
    for words, kind, slug in reading.recognised:
        name = _NAMED_ARGUMENTS[kind]
        if kind != "factor" and slug not in state.get(name, []):
            params = {**state, "q": " ".join(state["q"].replace(words, " ").split())}
            params.pop("page", None)
            if not params["q"]:
                params.pop("q")
            out[(name, slug)] = search_url(params)
    return out


def _per_page() -> int:
    return current_app.config["SEARCH_PER_PAGE"]


def _flatten(messages: dict[str, Any]) -> dict[str, str]:
    """One sentence per argument, whatever the nesting (a list's messages come per item)."""

    def texts(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [t for item in value.values() for t in texts(item)]
        if isinstance(value, list):
            return [t for item in value for t in texts(item)]
        return [str(value)]

    return {key: " ".join(dict.fromkeys(texts(value))) for key, value in messages.items()}
