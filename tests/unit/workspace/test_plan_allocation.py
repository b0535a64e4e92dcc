"""Spreading a plan's tools over its sessions, and the proposal's turns between factors."""

from __future__ import annotations

from app.workspace.plan_allocation import Need, allocate, propose, sessions_needed


def _hit(slug: str, minutes: int | None, sessions: str | None = "1") -> dict:
    return {"slug": slug, "minutes_per_session": minutes, "sessions": sessions}


def test_a_sheet_range_of_sessions_counts_its_lower_bound():
    assert [sessions_needed(s) for s in ("1", "2-5", "6-10", "10+", None, "?")] == [
        1,
        2,
        6,
        10,
        1,
        1,
    ]


def test_tools_fill_the_earliest_session_with_room_in_order():
    allocation = allocate([Need(30), Need(30), Need(15), Need(45)], sessions=3, session_minutes=45)
    assert allocation.placed == {0: (0,), 1: (1,), 2: (0,), 3: (2,)}
    assert allocation.sessions == [[0, 2], [1], [3]]
    assert allocation.free == [0, 15, 0]
    assert allocation.refused == {}


def test_a_tool_over_several_sessions_takes_consecutive_ones():
    allocation = allocate([Need(20), Need(45, sessions=2)], sessions=4, session_minutes=45)
    # session 1 has only 25 minutes left: the two sessions start at the second
    assert allocation.placed[1] == (1, 2)
    assert allocation.free == [25, 0, 0, 45]


def test_a_tool_without_minutes_takes_a_whole_session():
    allocation = allocate([Need(None), Need(10)], sessions=2, session_minutes=60)
    assert allocation.placed == {0: (0,), 1: (1,)}
    assert allocation.free == [0, 50]


def test_what_cannot_fit_is_said_with_why():
    allocation = allocate(
        [Need(90), Need(30, sessions=10), Need(45), Need(45), Need(45, sessions=2)],
        sessions=2,
        session_minutes=45,
    )
    assert allocation.placed == {2: (0,), 3: (1,)}
    assert "90 minutes par séance, plus que les 45 minutes" in allocation.refused[0]
    assert "au moins 10 séances, plus que les 2 prévues" in allocation.refused[1]
    assert "ne tient plus" in allocation.refused[4]


def test_reordering_changes_the_sessions():
    """The order is the priority: the tool put first gets the first session."""
    needs = {"long": Need(45), "short": Need(20), "other": Need(20)}

    def sessions_of(order: list[str]) -> dict[str, tuple[int, ...]]:
        allocation = allocate([needs[n] for n in order], sessions=2, session_minutes=45)
        return {name: allocation.placed[i] for i, name in enumerate(order)}

    assert sessions_of(["long", "short", "other"]) == {
        "long": (0,),
        "short": (1,),
        "other": (1,),
    }
    assert sessions_of(["short", "other", "long"]) == {
        "short": (0,),
        "other": (0,),
        "long": (1,),
    }


def test_the_proposal_takes_factors_in_turns_best_first():
    pools = {
        "addictions": [_hit("a1", 30), _hit("a2", 30), _hit("a3", 30), _hit("a4", 30)],
        "entourage": [_hit("e1", 30), _hit("e2", 30), _hit("e3", 30)],
    }
    proposal = propose(pools, sessions=6, session_minutes=45)
    assert [hit["slug"] for _f, hit in proposal.chosen] == ["a1", "e1", "a2", "e2", "a3", "e3"]
    assert proposal.left_out == []


def test_the_proposal_leaves_out_what_does_not_fit_and_tries_the_next():
    pools = {
        "addictions": [_hit("long", 90), _hit("many", 30, "10+"), _hit("a2", 45)],
        "entourage": [_hit("e1", 45)],
    }
    proposal = propose(pools, sessions=2, session_minutes=45)
    assert [hit["slug"] for _f, hit in proposal.chosen] == ["a2", "e1"]
    reasons = {hit["slug"]: reason for _f, hit, reason in proposal.left_out}
    assert set(reasons) == {"long", "many"}
    assert "90 minutes" in reasons["long"]


def test_a_tool_of_two_factors_is_proposed_once():
    pools = {"addictions": [_hit("both", 20)], "entourage": [_hit("both", 20), _hit("e1", 20)]}
    proposal = propose(pools, sessions=1, session_minutes=45)
    assert [(f, hit["slug"]) for f, hit in proposal.chosen] == [
        ("addictions", "both"),
        ("entourage", "e1"),
    ]


def test_the_proposal_stops_when_the_sessions_are_full():
    pools = {"addictions": [_hit("a1", 45), _hit("a2", 45)], "entourage": [_hit("e1", 45)]}
    proposal = propose(pools, sessions=1, session_minutes=45)
    assert [hit["slug"] for _f, hit in proposal.chosen] == ["a1"]
    # the others were not even tried: nothing is « left out » of a full plan
    assert proposal.left_out == []
