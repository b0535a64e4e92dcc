"""The catalogue: tools (fiches outils), their supports and the risk factors they work on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

tool_risk_factors = Table(
    "tool_risk_factors",
    Base.metadata,
    Column("tool_id", ForeignKey("tools.id", ondelete="CASCADE"), primary_key=True),
    Column("risk_factor_id", ForeignKey("risk_factors.id", ondelete="RESTRICT"), primary_key=True),
    # The evidence for this factor (migration 0011), when it differs from the tool's own: NULL
    # is the tool's level, and the tool's references.
    Column("evidence_level", Integer, nullable=True),
    Column("references", ARRAY(Text), nullable=True),
    CheckConstraint("evidence_level BETWEEN 0 AND 4", name="evidence_level_range"),
    # a factor's tools (the primary key leads with the tool): the Nouveautés count of followed
    # factors, the degraded search and the factor pages read them by factor (migration 0017)
    Index("ix_tool_risk_factors_risk_factor_id", "risk_factor_id"),
)


class RiskFactor(Base):
    """Reference data: one of the seven dynamic factors, with the words officers use for it."""

    __tablename__ = "risk_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    synonyms: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tool(Base):
    """A tool sheet. Enumerated fields hold slugs from app.core.vocabulary."""

    __tablename__ = "tools"
    __table_args__ = (
        CheckConstraint("evidence_level BETWEEN 0 AND 4", name="evidence_level_range"),
        CheckConstraint("status IN ('draft','review','published','archived')", name="status_known"),
        CheckConstraint(
            "harm_evidence IN ('none','suspected','shown')", name="harm_evidence_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="outil")
    phase: Mapped[str] = mapped_column(String(20), default="intervention")
    summary: Mapped[str] = mapped_column(Text, default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    precautions: Mapped[str] = mapped_column(Text, default="")
    protective_factors: Mapped[str] = mapped_column(Text, default="")
    stages: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list)
    modality: Mapped[str | None] = mapped_column(String(20))
    sessions: Mapped[str | None] = mapped_column(String(10))
    minutes_per_session: Mapped[int | None] = mapped_column(Integer)
    preparation_minutes: Mapped[int | None] = mapped_column(Integer)
    setting: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    responsivity: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    evidence_level: Mapped[int] = mapped_column(Integer, default=0)
    not_recommended: Mapped[bool] = mapped_column(Boolean, default=False)
    # How strong the evidence against a non-recommended tool is (app.core.vocabulary.HARM_LEVELS)
    harm_evidence: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    references: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    last_review: Mapped[date | None] = mapped_column(Date)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_role: Mapped[str] = mapped_column(String(200), default="")
    author_structure: Mapped[str] = mapped_column(String(200), default="")
    author_contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Ranking scores as stored in the index ({"_": global, "<factor slug>": per factor}),
    # kept here too so that the degraded path orders exactly like Meilisearch.
    scores: Mapped[dict[str, float]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set by the catalogue service on an edit (not on a score refresh): "last edit" for curators.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    risk_factors: Mapped[list[RiskFactor]] = relationship(
        secondary=tool_risk_factors, order_by=RiskFactor.position, lazy="selectin"
    )
    supports: Mapped[list[Support]] = relationship(
        back_populates="tool",
        order_by="Support.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    # The same links with their evidence per factor (read only: `risk_factors` writes the links,
    # app.catalogue.evidence their evidence).
    factor_links: Mapped[list[ToolRiskFactor]] = relationship(viewonly=True, lazy="selectin")

    @property
    def risk_factor_slugs(self) -> list[str]:
        return [f.slug for f in self.risk_factors]

    @property
    def factor_evidence(self) -> dict[str, dict[str, Any]]:
        """The factors whose evidence differs from the tool's own: slug -> {"evidence_level": a
        level or None (the tool's), "references": a list (empty: the tool's)}."""
        return {
            link.risk_factor.slug: {
                "evidence_level": link.evidence_level,
                "references": list(link.references or []),
            }
            for link in sorted(self.factor_links, key=lambda k: k.risk_factor.position)
            if link.evidence_level is not None or link.references
        }

    @property
    def evidence_by_factor(self) -> dict[str, int]:
        """Every factor of the tool with its evidence level (its own, or else the tool's)."""
        return {f.slug: self.evidence_for(f.slug) for f in self.risk_factors}

    def evidence_for(self, factor: str | None) -> int:
        """The evidence level for a factor (the tool's own level when it has none of its own)."""
        for link in self.factor_links:
            if link.risk_factor.slug == factor and link.evidence_level is not None:
                return link.evidence_level
        return self.evidence_level

    def references_for(self, factor: str) -> list[str]:
        """The references for a factor: its own, or else the tool's."""
        for link in self.factor_links:
            if link.risk_factor.slug == factor and link.references:
                return list(link.references)
        return list(self.references or [])


class ToolRiskFactor(Base):
    """A tool's link to a risk factor, read with the evidence for that factor (read only through
    the ORM: `Tool.risk_factors` adds and removes links, app.catalogue.evidence sets evidence)."""

    __table__ = tool_risk_factors

    tool_id: Mapped[int]
    risk_factor_id: Mapped[int]
    evidence_level: Mapped[int | None]
    references: Mapped[list[str] | None]

    risk_factor: Mapped[RiskFactor] = relationship(viewonly=True, lazy="joined")


class Support(Base):
    """A downloadable file of a tool. The bytes live on disk under a generated path."""

    __tablename__ = "supports"
    __table_args__ = (
        UniqueConstraint("tool_id", "filename", name="uq_supports_tool_filename"),
        # a tool's supports in their order (migration 0006; the models had lost it)
        Index("ix_supports_tool_position", "tool_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str] = mapped_column(String(300), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tool: Mapped[Tool] = relationship(back_populates="supports")
