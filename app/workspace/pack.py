"""The session pack: one PDF to prepare the next interview, built on the server.

A cover (the factors and stages worked on, the date; nothing about the person), then for each
tool its summary on one or two pages (time needed, steps, precautions, evidence for the
factors), then its supports in their order: a PDF's pages merged in (pypdf), an image placed
on a page, a DOCX or ODT named with its link. A support that cannot be read (missing, corrupt,
protected) is named in the pack, never a failure of the whole. Time and memory are bounded: at
most MAX_PACK_TOOLS tools, MAX_SUPPORT_PAGES pages per support and MAX_PACK_SUPPORT_BYTES of
supports read; past that a support is linked, not merged.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import current_app, has_request_context, request, url_for
from pypdf import PdfReader, PdfWriter

from app.catalogue.supports import support_path
from app.catalogue.urls import support_url
from app.core import vocabulary as v
from app.core.dates import fr_date
from app.models import Support, Tool
from app.models.base import utcnow
from app.workspace.pack_document import (
    SUMMARY_MAX_PAGES,
    TEXT_BUDGETS,
    ImageTooLarge,
    Notice,
    PackPdf,
    cut,
    image_page,
    notice_page,
)
from app.workspace.plans import Plan

log = logging.getLogger(__name__)

MAX_PACK_TOOLS = 20
MAX_SUPPORT_PAGES = 60
MAX_PACK_SUPPORT_BYTES = 80 * 1024 * 1024
RUNNING_TITLE = "Dossier de séance"
TOO_MANY = (
    f"Un dossier de séance réunit {MAX_PACK_TOOLS} outils au plus : décochez-en quelques-uns."
)
NOTHING_CHOSEN = "Cochez au moins un outil pour préparer le dossier de séance."

# what becomes of a support in the pack
MERGED, PLACED, LINKED, UNREADABLE, TOO_LARGE = "merged", "placed", "linked", "unreadable", "large"


@dataclass(frozen=True)
class FactorStageLabel:
    factor: str
    label: str
    stage: str | None = None


@dataclass
class Cover:
    """What the cover says: the factors (with their stages) worked on, the modality, and the
    plan when the pack comes from one (its sessions become the cover)."""

    factors: list[FactorStageLabel] = field(default_factory=list)
    modality: str | None = None
    plan: Plan | None = None


@dataclass
class SupportEntry:
    support: Support
    outcome: str
    url: str
    pages: int = 0
    reader: PdfReader | None = None
    page_pdf: bytes | None = None  # an image, laid out on its page

    @property
    def line(self) -> str:
        title = self.support.title or self.support.filename
        kind = self.support.filename.rsplit(".", 1)[-1].upper()
        if self.outcome == MERGED:
            return f"« {title} » (PDF, {self.pages} page{'s' if self.pages > 1 else ''}) : inclus à la suite."
        if self.outcome == PLACED:
            return f"« {title} » (image) : inclus à la suite."
        if self.outcome == LINKED:
            return f"« {title} » ({kind}) : à télécharger depuis la fiche."
        if self.outcome == TOO_LARGE:
            return f"« {title} » : trop volumineux pour le dossier, téléchargez-le depuis la fiche."
        return f"Support « {title} » illisible : téléchargez-le depuis la fiche."


def absolute(path: str) -> str:
    """An address to print: on PUBLIC_URL when it is set (production), else on the address
    this request came to (development)."""
    base = current_app.config.get("PUBLIC_URL") or (
        request.host_url.rstrip("/") if has_request_context() else ""
    )
    return base + path


def sheet_url(tool: Tool) -> str:
    return absolute(url_for("catalogue.tool_sheet", slug=tool.slug))


# -- supports ----------------------------------------------------------------------------


@dataclass
class Budget:
    """Bytes of supports the pack may still read."""

    left: int = MAX_PACK_SUPPORT_BYTES


def read_support(tool: Tool, support: Support, budget: Budget) -> SupportEntry:
    """What the pack does with a support, its bytes read and checked now (so the summary can
    say it): any failure to read a file a curator uploaded makes it « illisible », never an
    error of the pack."""
    url = absolute(support_url(tool, support))
    kind = support.filename.rsplit(".", 1)[-1].lower()
    if kind not in ("pdf", "png", "jpg", "jpeg"):
        return SupportEntry(support, LINKED, url)
    path = support_path(support)
    try:
        size = path.stat().st_size
        if size > budget.left:
            return SupportEntry(support, TOO_LARGE, url)
        data = path.read_bytes()
        budget.left -= len(data)
        if kind == "pdf":
            return _pdf_entry(support, url, data)
        return SupportEntry(
            support,
            PLACED,
            url,
            page_pdf=image_page(
                RUNNING_TITLE, f"Support : {support.title or support.filename}", data
            ),
        )
    except ImageTooLarge:
        return SupportEntry(support, TOO_LARGE, url)
    except Exception as exc:  # a file missing, corrupt or protected: named in the pack
        log.warning("pack: support %s unreadable: %s", support.id, type(exc).__name__)
        return SupportEntry(support, UNREADABLE, url)


def _pdf_entry(support: Support, url: str, data: bytes) -> SupportEntry:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return SupportEntry(support, UNREADABLE, url)
    pages = len(reader.pages)
    if pages == 0:
        return SupportEntry(support, UNREADABLE, url)
    if pages > MAX_SUPPORT_PAGES:
        return SupportEntry(support, TOO_LARGE, url)
    for page in reader.pages:  # every page's box and contents resolve
        _ = page.mediabox, page.get_contents()
    return SupportEntry(support, MERGED, url, pages=pages, reader=reader)


# -- the pages ROMIN writes ------------------------------------------------------------------


def _factor_lines(tool: Tool, factors: Sequence[FactorStageLabel]) -> list[str]:
    """The evidence for the pack's factors this tool works on (all its factors if none)."""
    wanted = {f.factor for f in factors} & set(tool.risk_factor_slugs)
    lines = []
    for factor in tool.risk_factors:
        if wanted and factor.slug not in wanted:
            continue
        level = tool.evidence_for(factor.slug)
        lines.append(f"{factor.label} : {level} — {v.label(v.EVIDENCE_LEVELS, str(level))}")
    return lines


def time_needed(tool: Tool) -> str:
    parts = []
    if tool.minutes_per_session:
        parts.append(f"{tool.minutes_per_session} min par séance")
    if tool.sessions:
        parts.append(v.label(v.SESSIONS, tool.sessions).lower())
    if tool.preparation_minutes:
        parts.append(f"{tool.preparation_minutes} min de préparation")
    return ", ".join(parts) or "non précisé sur la fiche"


def _summary(
    tool: Tool,
    entries: Sequence[SupportEntry],
    factors: Sequence[FactorStageLabel],
    budgets: tuple[int, int, int],
) -> PackPdf:
    instructions_budget, precautions_budget, summary_budget = budgets
    pdf = PackPdf(RUNNING_TITLE)
    pdf.add_page()
    pdf.page_title(tool.title)
    if tool.not_recommended:
        pdf.paragraph(
            "Outil non recommandé : les évaluations ne montrent pas qu'il réduise la récidive "
            "(voir la fiche).",
            style="B",
        )
    pdf.field("Type", v.label(v.KINDS, tool.kind))
    pdf.field("Temps nécessaire", time_needed(tool))
    if tool.modality:
        pdf.field("Modalité", v.label(v.MODALITIES, tool.modality))
    if tool.stages:
        pdf.field("Stades du changement", ", ".join(v.label(v.STAGES, s) for s in tool.stages))
    pdf.ln(1)
    summary, _ = cut(tool.summary, summary_budget)
    if summary:
        pdf.paragraph(summary)
    pdf.heading("Niveau de preuve pour les facteurs travaillés")
    pdf.bullets(_factor_lines(tool, factors) or ["Non évalué"])
    if tool.instructions.strip():
        pdf.heading("Déroulé")
        text, was_cut = cut(tool.instructions, instructions_budget)
        pdf.markdown_text(text)
        if was_cut:
            pdf.paragraph("La suite sur la fiche en ligne.", size=9.5, style="I")
    if tool.precautions.strip():
        pdf.heading("Précautions")
        text, _ = cut(tool.precautions, precautions_budget)
        pdf.paragraph(text)
    pdf.heading("Supports")
    if entries:
        pdf.bullets([entry.line for entry in entries], size=9.5)
        for entry in entries:
            if entry.outcome not in (MERGED, PLACED):
                pdf.link_line(entry.url, entry.url)
    else:
        pdf.paragraph("Cet outil n'a pas de support à télécharger.", size=9.5)
    pdf.ln(1)
    pdf.link_line(f"Fiche en ligne : {sheet_url(tool)}", sheet_url(tool))
    return pdf


def summary_pdf(
    tool: Tool, entries: Sequence[SupportEntry], factors: Sequence[FactorStageLabel]
) -> bytes:
    """A tool's summary on at most SUMMARY_MAX_PAGES pages: its long texts are cut shorter
    until it fits (the sheet has them whole)."""
    for budgets in TEXT_BUDGETS:
        pdf = _summary(tool, entries, factors, budgets)
        if pdf.page_no() <= SUMMARY_MAX_PAGES:
            break
    return pdf.to_bytes()


def cover_pdf(tools: Sequence[Tool], cover: Cover) -> bytes:
    if cover.plan is not None:
        return plan_pdf(cover.plan, {f.factor: f.label for f in cover.factors}, tools_note=True)
    pdf = PackPdf(RUNNING_TITLE)
    pdf.add_page()
    pdf.page_title("Dossier de séance")
    pdf.paragraph(f"Préparé le {fr_date(utcnow())}.", size=10)
    if cover.factors:
        pdf.heading("Facteurs de risque travaillés")
        pdf.bullets(
            [
                f"{f.label} — stade : {v.label(v.STAGES, f.stage)}" if f.stage else f.label
                for f in cover.factors
            ]
        )
    if cover.modality:
        pdf.field("Modalité", v.label(v.MODALITIES, cover.modality))
        pdf.ln(2)
    pdf.heading("Outils de ce dossier")
    pdf.bullets([f"{tool.title} — {time_needed(tool)}" for tool in tools], numbered=True)
    pdf.paragraph(
        "Chaque outil est présenté sur une ou deux pages, suivies de ses supports. Ce dossier ne "
        "contient rien sur la personne suivie : n'y inscrivez ni nom, ni date de naissance, ni "
        "numéro d'écrou.",
        size=9.5,
        style="I",
    )
    return pdf.to_bytes()


def plan_pdf(plan: Plan, factor_labels: dict[str, str], *, tools_note: bool = False) -> bytes:
    """The plan on paper: its factors and stages, its sessions one by one, its tools."""
    state = plan.state
    pdf = PackPdf("Plan d'intervention")
    pdf.add_page()
    pdf.page_title("Plan d'intervention")
    pdf.paragraph(f"Préparé le {fr_date(utcnow())}.", size=10)
    pdf.heading("Facteurs de risque et stades du changement")
    pdf.bullets(
        [
            f"{factor_labels.get(c.factor, c.factor)} — stade : {v.label(v.STAGES, c.stage)}"
            for c in state.factors
        ]
    )
    pdf.field("Modalité", v.label(v.MODALITIES, state.modality))
    pdf.field(
        "Séances",
        f"{state.sessions} séance{'s' if state.sessions > 1 else ''} de {state.minutes} minutes",
    )
    pdf.ln(2)
    pdf.heading("Séance par séance")
    allocation = plan.allocation
    rows = []
    for number, indices in enumerate(allocation.sessions, start=1):
        names = [
            f"{p.tool.title} — {factor_labels.get(p.factor, p.factor)}, "
            f"{p.tool.minutes_per_session or state.minutes} min"
            for p in (plan.tools[i] for i in indices)
        ]
        rows.append(
            (
                f"Séance {number}",
                "\n".join(names) or "Libre",
                f"{allocation.free[number - 1]} min",
            )
        )
    pdf.grid(("Séance", "Outils", "Temps libre"), rows, widths=(18, 64, 18))
    refused = [(plan.tools[i], reason) for i, reason in sorted(allocation.refused.items())]
    if refused:
        pdf.heading("Ne tiennent pas dans ce plan")
        pdf.bullets([f"{p.tool.title} : {reason}." for p, reason in refused])
    pdf.heading("Les outils du plan")
    pdf.grid(
        ("Outil", "Facteur", "Temps nécessaire", "Niveau de preuve"),
        [
            (
                p.tool.title,
                factor_labels.get(p.factor, p.factor),
                time_needed(p.tool),
                f"{p.evidence} — {v.label(v.EVIDENCE_LEVELS, str(p.evidence))}",
            )
            for p in plan.tools
        ],
        widths=(32, 26, 22, 20),
    )
    if tools_note:
        pdf.paragraph(
            "Chaque outil est présenté ensuite sur une ou deux pages, suivies de ses supports.",
            size=9.5,
            style="I",
        )
    pdf.paragraph(
        "Ce plan porte sur des outils, jamais sur une personne : n'y inscrivez ni nom, ni date "
        "de naissance, ni numéro d'écrou.",
        size=9.5,
        style="I",
    )
    return pdf.to_bytes()


# -- the whole pack --------------------------------------------------------------------------


@dataclass
class _Part:
    """A piece of the pack in order: ROMIN's own pages (bytes) or a support's PDF (reader)."""

    pdf: bytes | None = None
    reader: PdfReader | None = None
    entry: SupportEntry | None = None
    outline: str | None = None  # a bookmark at its first page


def build_pack(tools: Sequence[Tool], cover: Cover) -> bytes:
    """The pack's bytes: the cover, then each tool's summary and its supports."""
    budget = Budget()
    parts = [_Part(pdf=cover_pdf(tools, cover), outline="Couverture")]
    for tool in tools:
        entries = [read_support(tool, support, budget) for support in tool.supports]
        parts.append(_Part(pdf=summary_pdf(tool, entries, cover.factors), outline=tool.title))
        for entry in entries:
            if entry.outcome == MERGED:
                parts.append(_Part(reader=entry.reader, entry=entry))
            elif entry.outcome == PLACED:
                parts.append(_Part(pdf=entry.page_pdf, entry=entry))
    try:
        return _assemble(parts)
    except Exception as exc:  # a support that read well page by page and fails as a whole
        log.warning("pack: assembly failed (%s), merged supports checked one by one", exc)
        return _assemble([_checked(part) for part in parts])


def _assemble(parts: Sequence[_Part]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        first = len(writer.pages)
        if part.reader is not None:
            writer.append(part.reader, import_outline=False)
        elif part.pdf is not None:
            writer.append(PdfReader(io.BytesIO(part.pdf)), import_outline=False)
        if part.outline:
            writer.add_outline_item(title=part.outline, page_number=first)
    writer.add_metadata({"/Title": "Dossier de séance — ROMIN", "/Creator": "ROMIN"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _checked(part: _Part) -> _Part:
    """A merged support that cannot be written alone becomes a notice page naming it."""
    if part.reader is None or part.entry is None:
        return part
    try:
        writer = PdfWriter()
        writer.append(part.reader, import_outline=False)
        writer.write(io.BytesIO())
        return part
    except Exception:
        entry = part.entry
        entry.outcome = UNREADABLE
        return _Part(
            pdf=notice_page(
                RUNNING_TITLE,
                Notice("Support non inclus", (entry.line,), entry.url),
            )
        )


def refuse_count(count: int) -> str | None:
    """The French refusal for a selection of this size, or None when it is fine."""
    if count == 0:
        return NOTHING_CHOSEN
    if count > MAX_PACK_TOOLS:
        return TOO_MANY
    return None
