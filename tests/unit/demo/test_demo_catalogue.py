"""The demo catalogue (app/demo/catalogue.yaml): schema, vocabulary, coverage and supports.

Pure tests: no database, no network. They guard the rules the demo must keep so that
every facet of the search has something to show and every support is a real PDF.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from app.core import vocabulary as v
from app.demo.worksheets import _REPLACEMENTS, FOOTER, _latin1, render_support_pdf

CATALOGUE = Path(__file__).resolve().parents[3] / "app" / "demo" / "catalogue.yaml"

TOOL_KEYS = {
    "slug",
    "title",
    "kind",
    "phase",
    "summary",
    "instructions",
    "precautions",
    "risk_factors",
    "protective_factors",
    "stages",
    "modality",
    "sessions",
    "minutes_per_session",
    "preparation_minutes",
    "setting",
    "responsivity",
    "evidence_level",
    "not_recommended",
    "harm_evidence",
    "references",
    "factor_evidence",
    "last_review",
    "author",
    "supports",
}
OPTIONAL_TOOL_KEYS = {"last_review", "harm_evidence", "factor_evidence"}
AUTHOR_KEYS = {"name", "role", "structure", "contact"}
SUPPORT_KEYS = {"filename", "title", "intro", "sections"}
SECTION_KEYS = {"heading", "body", "lines", "table"}
FEEDBACK_KEYS = {
    "tool",
    "agent",
    "rating",
    "comment",
    "risk_factor",
    "modality",
    "sessions_used",
    "minutes_spent",
}


@pytest.fixture(scope="module")
def catalogue() -> dict:
    with CATALOGUE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert set(data) == {"tools", "feedback"}
    return data


@pytest.fixture(scope="module")
def tools(catalogue) -> list[dict]:
    return catalogue["tools"]


@pytest.fixture(scope="module")
def feedback(catalogue) -> list[dict]:
    return catalogue["feedback"]


def _supports(data: dict) -> list[tuple[dict, dict]]:
    return [(t, s) for t in data["tools"] for s in t["supports"] or []]


def _load() -> dict:
    with CATALOGUE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --- schema and vocabulary -------------------------------------------------------------------


def test_tool_keys_are_exactly_the_schema(tools):
    for tool in tools:
        keys = set(tool)
        assert keys >= TOOL_KEYS - OPTIONAL_TOOL_KEYS, (tool["slug"], TOOL_KEYS - keys)
        assert keys <= TOOL_KEYS, (tool["slug"], keys - TOOL_KEYS)
        assert set(tool["author"]) == AUTHOR_KEYS, tool["slug"]


def test_slugs_are_unique_lowercase_ascii(tools):
    slugs = [t["slug"] for t in tools]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert len(slug) <= 120


def test_enumerations_use_vocabulary_slugs(tools):
    for t in tools:
        slug = t["slug"]
        assert t["kind"] in v.slugs(v.KINDS), slug
        assert t["phase"] in v.slugs(v.PHASES), slug
        assert t["modality"] in v.slugs(v.MODALITIES), slug
        assert isinstance(t["sessions"], str) and t["sessions"] in v.slugs(v.SESSIONS), slug
        if t["phase"] == "organisation":  # the officer's own work: no factor, no stage
            assert t["risk_factors"] == [] and t["stages"] == [], slug
        else:
            assert t["risk_factors"] and set(t["risk_factors"]) <= set(v.RISK_FACTOR_SLUGS), slug
            assert t["stages"] and set(t["stages"]) <= set(v.slugs(v.STAGES)), slug
        assert len(t["risk_factors"]) == len(set(t["risk_factors"])), slug
        assert t["setting"] and set(t["setting"]) <= set(v.slugs(v.SETTINGS)), slug
        assert set(t["responsivity"]) <= set(v.slugs(v.RESPONSIVITY)), slug
        assert t["evidence_level"] in range(len(v.EVIDENCE_LEVELS)), slug
        assert isinstance(t["not_recommended"], bool), slug


def test_scalar_fields_are_well_formed(tools):
    for t in tools:
        slug = t["slug"]
        assert t["title"].strip() and len(t["title"]) <= 200, slug
        assert t["summary"].strip() and "\n" not in t["summary"].strip(), slug
        precautions = t["precautions"].strip()
        assert precautions and 1 <= len(re.findall(r"[.!?](\s|$)", precautions)) <= 3, slug
        assert isinstance(t["protective_factors"], str), slug
        assert isinstance(t["minutes_per_session"], int) and t["minutes_per_session"] > 0, slug
        assert isinstance(t["preparation_minutes"], int) and t["preparation_minutes"] >= 0, slug
        assert t["author"]["name"] and t["author"]["role"] and t["author"]["structure"], slug


def test_instructions_are_a_markdown_mode_d_emploi(tools):
    for t in tools:
        text = t["instructions"]
        words = len(text.split())
        assert 150 <= words <= 400, (t["slug"], words)
        assert re.search(r"^### \S", text, re.M), t["slug"]
        assert re.search(r"^\s*1\. \S", text, re.M), t["slug"]
        assert not re.search(r"</?[a-zA-Z][^>]*>", text), t["slug"]  # no raw HTML


def test_evidence_references_and_review(tools):
    for t in tools:
        level, refs, slug = t["evidence_level"], t["references"], t["slug"]
        assert isinstance(refs, list) and all(isinstance(r, str) and r.strip() for r in refs)
        if t["not_recommended"]:
            # the evidence of no effect or harm must be cited, whatever the level shown
            assert refs, slug
        elif level <= 1:
            assert refs == [], slug
        else:
            assert refs, slug
        if level == 0:
            assert t.get("last_review") is None, slug
        else:
            assert isinstance(t.get("last_review"), date), slug
            assert t["last_review"] <= date(2026, 11, 27), slug


def test_home_grown_practice_has_fictitious_practitioners(tools):
    for t in tools:
        assert "(démonstration)" in t["author"]["structure"], t["slug"]
    practitioners = {t["author"]["name"] for t in tools if t["evidence_level"] <= 1}
    structures = {t["author"]["structure"] for t in tools if t["evidence_level"] <= 1}
    assert len(practitioners) >= 4 and len(structures) >= 4


# --- coverage --------------------------------------------------------------------------------


def test_catalogue_size_and_coverage(tools):
    assert len(tools) >= 44
    per_factor = Counter(f for t in tools for f in t["risk_factors"])
    for factor in v.RISK_FACTOR_SLUGS:
        assert per_factor[factor] >= 5, factor
    per_stage = Counter(s for t in tools for s in t["stages"])
    for stage in v.slugs(v.STAGES):
        assert per_stage[stage] >= 4, stage
    assert {t["kind"] for t in tools} == set(v.slugs(v.KINDS))
    assert {t["modality"] for t in tools} == set(v.slugs(v.MODALITIES))
    assert {t["sessions"] for t in tools} == set(v.slugs(v.SESSIONS))
    assert {s for t in tools for s in t["setting"]} == set(v.slugs(v.SETTINGS))
    per_phase = Counter(t["phase"] for t in tools)
    assert per_phase["evaluation"] >= 2 and per_phase["organisation"] >= 2
    assert per_phase["intervention"] >= 2
    per_level = Counter(t["evidence_level"] for t in tools)
    for level in range(5):
        assert per_level[level] >= 3, level
    assert {r for t in tools for r in t["responsivity"]} == set(v.slugs(v.RESPONSIVITY))


def test_one_or_two_not_recommended_tools(tools):
    flagged = [t for t in tools if t["not_recommended"]]
    assert 1 <= len(flagged) <= 2
    for t in flagged:
        assert "recommand" in t["instructions"].lower() or "à la place" in t["instructions"]
        assert t["evidence_level"] <= 1  # never shown with a "proven" rung


# --- supports --------------------------------------------------------------------------------


def test_support_specs(catalogue, tools):
    supports = _supports(catalogue)
    filenames = [s["filename"] for _, s in supports]
    assert len(filenames) == len(set(filenames))
    assert sum(1 for t in tools if t["supports"]) >= 18
    for _tool, s in supports:
        assert set(s) <= SUPPORT_KEYS and {"filename", "title", "sections"} <= set(s)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.pdf", s["filename"]), s["filename"]
        assert s["title"].strip() and s["sections"], s["filename"]
        for section in s["sections"]:
            assert set(section) <= SECTION_KEYS and section.get("heading"), s["filename"]
            if "lines" in section:
                assert isinstance(section["lines"], int) and 1 <= section["lines"] <= 30
            if "table" in section:
                table = section["table"]
                assert set(table) == {"columns", "rows"} and table["columns"]
                for row in table["rows"]:
                    assert len(row) == len(table["columns"]), s["filename"]


@pytest.mark.parametrize(
    "tool_title,spec",
    [(t["title"], s) for t, s in _supports(_load())],
    ids=[s["filename"] for _, s in _supports(_load())],
)
def test_every_support_renders_to_a_deterministic_pdf(tool_title, spec):
    first = render_support_pdf(spec, tool_title)
    second = render_support_pdf(spec, tool_title)
    assert first.startswith(b"%PDF")
    assert first.rstrip().endswith(b"%%EOF")
    assert first == second


def test_support_text_survives_latin1(catalogue):
    """Nothing meaningful is silently dropped from the supports by the latin-1 fallback."""
    for tool, s in _supports(catalogue):
        texts = [tool["title"], s["title"], s.get("intro", "")]
        for section in s["sections"]:
            texts += [section.get("heading", ""), section.get("body", "")]
            table = section.get("table") or {}
            texts += table.get("columns", []) + [c for r in table.get("rows", []) for c in r]
        for text in texts:
            lost = {ch for ch in text if ch not in _REPLACEMENTS and ord(ch) > 0xFF}
            assert not lost, (s["filename"], lost)


def test_latin1_mapping():
    assert _latin1("l’œuvre “vraie” … – — «\u00a0ok\u00a0»") == 'l\'oeuvre "vraie" ... - - « ok »'
    assert _latin1("ŒIL 😀 é") == "OEIL  é"
    assert _latin1(FOOTER).startswith("Document de travail - n'y inscrivez")


# --- feedback --------------------------------------------------------------------------------


def test_feedback_entries(tools, feedback):
    by_slug = {t["slug"]: t for t in tools}
    assert 90 <= len(feedback) <= 140
    pairs = set()
    for fb in feedback:
        assert set(fb) == FEEDBACK_KEYS, fb
        tool = by_slug[fb["tool"]]
        assert isinstance(fb["agent"], int) and 1 <= fb["agent"] <= 15
        assert (fb["tool"], fb["agent"]) not in pairs, fb
        pairs.add((fb["tool"], fb["agent"]))
        assert isinstance(fb["rating"], int) and 1 <= fb["rating"] <= 5
        assert isinstance(fb["comment"], str) and len(fb["comment"]) <= 300
        if tool["risk_factors"]:
            assert fb["risk_factor"] in tool["risk_factors"], fb
        else:  # a tool for the officer's own work: no factor to name
            assert fb["risk_factor"] is None, fb
        assert fb["modality"] in v.slugs(v.MODALITIES)
        if tool["modality"] != "mixte":
            assert fb["modality"] == tool["modality"], fb
        assert isinstance(fb["sessions_used"], int) and fb["sessions_used"] >= 1
        assert isinstance(fb["minutes_spent"], int) and fb["minutes_spent"] >= 1


def test_feedback_makes_rankings_differ(tools, feedback):
    per_tool: dict[str, list[int]] = {}
    for fb in feedback:
        per_tool.setdefault(fb["tool"], []).append(fb["rating"])
    assert sum(1 for t in tools if t["slug"] not in per_tool) >= 6
    assert sum(1 for r in per_tool.values() if len(r) >= 10) >= 2
    assert sum(1 for r in per_tool.values() if r == [5]) >= 2
    assert sum(1 for r in per_tool.values() if sum(r) / len(r) <= 3) >= 2
    # multi-factor tools get feedback for several factors
    factors: dict[str, set[str]] = {}
    for fb in feedback:
        factors.setdefault(fb["tool"], set()).add(fb["risk_factor"])
    assert sum(1 for f in factors.values() if len(f) >= 3) >= 3
    # no demo feedback on a tool that is not recommended
    assert not {t["slug"] for t in tools if t["not_recommended"]} & set(per_tool)


def test_evidence_per_factor_names_the_tools_own_factors(tools):
    """A tool's evidence of its own per factor (app/catalogue/evidence.py) is for its factors,
    with a level on the ladder; harm is said of a non-recommended tool only."""
    for t in tools:
        for slug, own in (t.get("factor_evidence") or {}).items():
            assert slug in t["risk_factors"], (t["slug"], slug)
            assert set(own) <= {"evidence_level", "references"}, (t["slug"], slug)
            assert own.get("evidence_level") in (None, *range(len(v.EVIDENCE_LEVELS))), t["slug"]
        assert t.get("harm_evidence", v.HARM_NONE) in v.slugs(v.HARM_LEVELS), t["slug"]
        if t.get("harm_evidence", v.HARM_NONE) != v.HARM_NONE:
            assert t["not_recommended"], t["slug"]


def test_generic_tools_keep_their_level_only_where_their_evidence_is(tools):
    """Motivational interviewing and relapse prevention are demonstrated for addictions, not for
    every factor they are used with; Scared Straight is shown to do harm."""
    by_slug = {t["slug"]: t for t in tools}

    def level(slug: str, factor: str) -> int:
        own = (by_slug[slug].get("factor_evidence") or {}).get(factor) or {}
        return own.get("evidence_level", by_slug[slug]["evidence_level"])

    for slug in ("entretien-motivationnel", "plan-prevention-rechute"):
        assert level(slug, "addictions") == 4
        assert level(slug, "entourage") <= 2
    assert level("pratiques-correctionnelles-fondamentales", "emploi") <= 2
    assert level("trame-entretien-evaluation-rbr", "loisirs") <= 1
    assert by_slug["visites-dissuasives-scared-straight"]["harm_evidence"] == "shown"
