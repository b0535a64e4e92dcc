"""Loads the demo catalogue (app/demo/catalogue.yaml) idempotently: by slug, by demo account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.risk_factors import ensure_risk_factors
from app.catalogue.scores import current_weights
from app.catalogue.service import save_tool
from app.catalogue.supports import add_support
from app.core.vocabulary import HARM_NONE, PUBLISHED
from app.demo.worksheets import render_support_pdf
from app.feedback.ratings import rate
from app.models import Tool, User
from app.pilotage.weights import recompute_all_scores

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "catalogue.yaml"
DEMO_DOMAIN = "demo.romin.invalid"


@dataclass
class SeedReport:
    tools_created: int = 0
    tools_updated: int = 0
    supports: int = 0
    feedback: int = 0


def load_demo(path: Path = DEMO_FILE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def tool_fields(entry: dict) -> dict:
    author = entry.get("author") or {}
    return {
        "slug": entry["slug"],
        "title": entry["title"],
        "kind": entry["kind"],
        "phase": entry.get("phase", "intervention"),
        "summary": entry.get("summary", ""),
        "instructions": entry.get("instructions", ""),
        "precautions": entry.get("precautions", ""),
        "protective_factors": entry.get("protective_factors", "") or "",
        "risk_factors": entry["risk_factors"],
        "stages": entry.get("stages", []),
        "modality": entry.get("modality"),
        "sessions": str(entry["sessions"]) if entry.get("sessions") else None,
        "minutes_per_session": entry.get("minutes_per_session"),
        "preparation_minutes": entry.get("preparation_minutes"),
        "setting": entry.get("setting", []),
        "responsivity": entry.get("responsivity", []),
        "evidence_level": entry.get("evidence_level", 0),
        "not_recommended": bool(entry.get("not_recommended", False)),
        "harm_evidence": entry.get("harm_evidence", HARM_NONE),
        "references": entry.get("references", []) or [],
        # the factors whose evidence differs from the tool's: {slug: {evidence_level, references}}
        "factor_evidence": {
            slug: {
                "evidence_level": own.get("evidence_level"),
                "references": own.get("references", []) or [],
            }
            for slug, own in (entry.get("factor_evidence") or {}).items()
        },
        "last_review": entry.get("last_review"),
        "author_name": author.get("name", ""),
        "author_role": author.get("role", ""),
        "author_structure": author.get("structure", ""),
        "author_contact": author.get("contact", "") or "",
        "status": PUBLISHED,
    }


def demo_agent(session: Session, number: int) -> User:
    email = f"agent{number}@{DEMO_DOMAIN}"
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            role="agent",
            display_name=f"CPIP de démonstration {number}",
            service="SPIP (démonstration)",
            is_demo=True,
            is_active=False,
        )
        session.add(user)
        session.flush()
    return user


def seed(
    session: Session, data: dict | None = None, progress: Callable[[int], None] = lambda n: None
) -> SeedReport:
    """Create or update every demo tool, its supports and the demo feedback; flush only."""

    data = data or load_demo()
    report = SeedReport()
    ensure_risk_factors(session)
    tools: dict[str, Tool] = {}
    for entry in data["tools"]:
        existing = session.scalar(select(Tool).where(Tool.slug == entry["slug"]))
        fields = tool_fields(entry)
        if existing is None:
            tool = save_tool(session, fields)
            report.tools_created += 1
        else:
            fields.pop("slug")
            tool = save_tool(session, fields, existing)
            report.tools_updated += 1
        tool.is_demo = True
        for spec in entry.get("supports", []) or []:
            pdf = render_support_pdf(spec, entry["title"])
            add_support(session, tool, spec["filename"], pdf, spec.get("title", ""))
            report.supports += 1
        tools[tool.slug] = tool
        progress(1)
    for item in data.get("feedback", []) or []:
        tool = tools[item["tool"]]
        rate(
            session,
            tool,
            demo_agent(session, item["agent"]),
            rating=item["rating"],
            comment=item.get("comment", "") or "",
            risk_factor=item.get("risk_factor"),
            modality=item.get("modality"),
            sessions_used=item.get("sessions_used"),
            minutes_spent=item.get("minutes_spent"),
            is_demo=True,
        )
        report.feedback += 1
    # every score against one new prior: the final catalogue mean, today
    recompute_all_scores(session, current_weights(session), reason="seed")
    session.flush()
    return report
