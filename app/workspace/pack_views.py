"""The session pack's pages: the selection (tools ticked on the search results, the favourites
or a plan) and its PDF. The selection travels in the address (tool slugs, and for the cover
the factors and stages): nothing is stored, nothing is about a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, render_template, request
from sqlalchemy import select

from app.accounts.auth import current_user, role_required
from app.catalogue.visibility import may_see
from app.core import vocabulary as v
from app.db import db
from app.models import Tool
from app.search.service import explanation_context
from app.workspace.blueprint import bp
from app.workspace.pack import MAX_PACK_TOOLS, Cover, FactorStageLabel, build_pack, refuse_count

SLUG_MAX = 120


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF to download, kept by no shared cache (it is made for a signed-in officer)."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def chosen_tools(slugs: Sequence[str]) -> tuple[list[Tool], list[str]]:
    """The tools of these slugs the officer may see, in the order given, and the slugs that
    name none (unknown, unpublished)."""
    wanted = list(dict.fromkeys(s for s in slugs if s))
    found = {t.slug: t for t in db.session.scalars(select(Tool).where(Tool.slug.in_(wanted)))}
    user = current_user()
    tools = [found[s] for s in wanted if s in found and may_see(found[s], user)]
    missing = [s for s in wanted if s not in found or not may_see(found[s], user)]
    return tools, missing


def cover_factors(args: Any, labels: dict[str, str]) -> list[FactorStageLabel]:
    """The cover's factors and stages (`facteur` and `stade` paired by position); unknown
    values are left out (the cover only presents them)."""
    factors = args.getlist("facteur")
    stages = args.getlist("stade")
    stage_slugs = v.slugs(v.STAGES)
    out: list[FactorStageLabel] = []
    for n, factor in enumerate(factors):
        stage = stages[n] if n < len(stages) else ""
        if factor in labels and all(f.factor != factor for f in out):
            out.append(
                FactorStageLabel(factor, labels[factor], stage if stage in stage_slugs else None)
            )
    return out


def _selection() -> tuple[list[str], dict[str, str]]:
    slugs = [s[:SLUG_MAX] for s in request.args.getlist("outil") if s]
    errors: dict[str, str] = {}
    refusal = refuse_count(len(dict.fromkeys(slugs)))
    if refusal:
        errors["outil"] = refusal
    return slugs, errors


def _page(
    tools: Sequence[Tool], errors: dict[str, str], factors: Sequence[FactorStageLabel], status: int
) -> tuple[str, int]:
    return render_template(
        "workspace/pack.html",
        tools=tools,
        errors=errors,
        factors=factors,
        modality=request.args.get("modalite")
        if request.args.get("modalite") in v.slugs(v.MODALITIES)
        else None,
        max_tools=MAX_PACK_TOOLS,
        v=v,
    ), status


@bp.get("/dossier-de-seance")
@role_required("agent")
def pack_page() -> tuple[str, int]:
    """The selection, to check before downloading (and where a refused one comes back)."""
    labels = explanation_context(db.session)[0]
    slugs = [s[:SLUG_MAX] for s in request.args.getlist("outil") if s][: MAX_PACK_TOOLS * 2]
    tools, missing = chosen_tools(slugs)
    errors = {}
    if missing:
        errors["manquants"] = _missing_message(missing)
    return _page(tools, errors, cover_factors(request.args, labels), 200)


@bp.get("/dossier-de-seance.pdf")
@role_required("agent")
def pack_pdf() -> Response | tuple[str, int]:
    labels = explanation_context(db.session)[0]
    factors = cover_factors(request.args, labels)
    slugs, errors = _selection()
    if errors:
        tools, _missing = chosen_tools(slugs[: MAX_PACK_TOOLS * 2])
        return _page(tools, errors, factors, 400)
    tools, missing = chosen_tools(slugs)
    if missing:
        return _page(tools, {"manquants": _missing_message(missing)}, factors, 400)
    modality = request.args.get("modalite")
    cover = Cover(factors, modality if modality in v.slugs(v.MODALITIES) else None)
    return pdf_response(build_pack(tools, cover), "dossier-de-seance.pdf")


def _missing_message(missing: Sequence[str]) -> str:
    if len(missing) == 1:
        return "Un outil de la sélection n'existe pas ou n'est plus publié : il est laissé de côté."
    return (
        f"{len(missing)} outils de la sélection n'existent pas ou ne sont plus publiés : ils "
        "sont laissés de côté."
    )
