"""Spreading a plan's tools over its sessions, and proposing the tools: pure Python.

A tool asks for a number of minutes in each of a number of consecutive sessions (its sheet's
`minutes_per_session` and `sessions`). Tools are placed in the officer's order, each in the
earliest run of sessions that still has the minutes it needs (a greedy first fit): the order is
the officer's priority and, roughly, the chronology. What does not fit is said, with why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# A sheet's number of sessions is a range; a plan counts its lower bound (what the tool needs
# at least). A sheet that gives none counts one session.
SESSIONS_NEEDED = {"1": 1, "2-5": 2, "6-10": 6, "10+": 10}
# how many tools per factor a proposal holds at most
PER_FACTOR = 3


def sessions_needed(sessions: str | None) -> int:
    return SESSIONS_NEEDED.get(sessions or "", 1)


@dataclass(frozen=True)
class Need:
    """What one tool asks of the plan: minutes in each session (None: the sheet does not say,
    so the tool takes a whole session) and how many consecutive sessions."""

    minutes: int | None
    sessions: int = 1


@dataclass
class Allocation:
    session_minutes: int
    # for each session, the indices of the tools placed in it, in order
    sessions: list[list[int]]
    # minutes taken in each session
    used: list[int]
    # tool index -> the sessions it is placed in (0-based)
    placed: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # tool index -> why it does not fit, in French
    refused: dict[int, str] = field(default_factory=dict)

    @property
    def free(self) -> list[int]:
        return [self.session_minutes - used for used in self.used]


def _minutes(need: Need, session_minutes: int) -> int:
    return session_minutes if need.minutes is None else need.minutes


def allocate(needs: Sequence[Need], sessions: int, session_minutes: int) -> Allocation:
    """Place each tool, in order, in the earliest consecutive sessions with room for it."""
    allocation = Allocation(session_minutes, [[] for _ in range(sessions)], [0] * sessions)
    for index, need in enumerate(needs):
        minutes = _minutes(need, session_minutes)
        if minutes > session_minutes:
            allocation.refused[index] = (
                f"demande {minutes} minutes par séance, plus que les {session_minutes} minutes "
                "prévues"
            )
            continue
        if need.sessions > sessions:
            allocation.refused[index] = (
                f"demande au moins {need.sessions} séances, plus que les {sessions} prévues"
            )
            continue
        start = next(
            (
                first
                for first in range(sessions - need.sessions + 1)
                if all(
                    allocation.used[s] + minutes <= session_minutes
                    for s in range(first, first + need.sessions)
                )
            ),
            None,
        )
        if start is None:
            allocation.refused[index] = (
                "ne tient plus : les séances n'ont plus assez de temps libre"
                if need.sessions == 1
                else f"ne tient plus : il n'y a plus {need.sessions} séances de suite avec "
                f"{minutes} minutes libres"
            )
            continue
        taken = tuple(range(start, start + need.sessions))
        for s in taken:
            allocation.used[s] += minutes
            allocation.sessions[s].append(index)
        allocation.placed[index] = taken
    return allocation


@dataclass(frozen=True)
class Proposal:
    # (factor, hit) in the plan's order
    chosen: list[tuple[str, Mapping[str, Any]]]
    # (factor, hit, why it was left out) for the good tools that did not fit
    left_out: list[tuple[str, Mapping[str, Any], str]]


def need_of(hit: Mapping[str, Any]) -> Need:
    return Need(hit.get("minutes_per_session"), sessions_needed(hit.get("sessions")))


def propose(
    pools: Mapping[str, Sequence[Mapping[str, Any]]], sessions: int, session_minutes: int
) -> Proposal:
    """The best tools of each factor, taken in turns (one per factor, then a second…, at most
    PER_FACTOR each), as long as there is time left: a tool that does not fit is left out
    (with why) and the factor's next one is tried. `pools` gives each factor's tools best first (the
    search's order); a tool already chosen for one factor is not taken again for another."""
    chosen: list[tuple[str, Mapping[str, Any]]] = []
    left_out: list[tuple[str, Mapping[str, Any], str]] = []
    needs: list[Need] = []
    seen: set[str] = set()
    cursor = dict.fromkeys(pools, 0)
    for _round in range(PER_FACTOR):
        for factor, pool in pools.items():
            if not any(minutes > 0 for minutes in allocate(needs, sessions, session_minutes).free):
                return Proposal(chosen, left_out)
            while cursor[factor] < len(pool):
                hit = pool[cursor[factor]]
                cursor[factor] += 1
                if hit["slug"] in seen:
                    continue
                seen.add(hit["slug"])
                trial = allocate([*needs, need_of(hit)], sessions, session_minutes)
                if len(needs) in trial.placed:
                    chosen.append((factor, hit))
                    needs.append(need_of(hit))
                    break
                left_out.append((factor, hit, trial.refused[len(needs)]))
    return Proposal(chosen, left_out)
