"""Ranking weights: defaults in code, bounds that support staff may move them within."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Weights:
    rating: float = 0.6  # how much officers' ratings count
    evidence: float = 0.4  # how much the evidence level counts
    usage: float = 0.0  # how much the number of ratings (experience shared) counts
    freshness: float = 0.0  # how much a recent review counts
    prior_strength: float = 5.0  # how many "virtual ratings at the mean" smooth a tool's rating
    factor_prior_strength: float = 3.0  # same, pulling a per-factor rating toward the tool's own

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, float] | None) -> Weights:
        """Build from stored values, ignoring unknown keys and keeping defaults for missing ones."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in (values or {}).items() if k in known})


DEFAULT_WEIGHTS = Weights()

WEIGHT_BOUNDS: dict[str, tuple[float, float]] = {
    "rating": (0.0, 1.0),
    "evidence": (0.0, 1.0),
    "usage": (0.0, 1.0),
    "freshness": (0.0, 1.0),
    "prior_strength": (1.0, 50.0),
    "factor_prior_strength": (1.0, 50.0),
}
