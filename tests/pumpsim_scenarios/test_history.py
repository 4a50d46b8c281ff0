"""The history checker, as Jepsen's total-queue checker: lost, duplicated, unexpected and
recovered commands, from what the programmers were told and what the pump's memory holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pumpsim_scenarios.swarm.history import History, Outcome


def _history(*entries: tuple[int, Outcome, bool | None]) -> History:
    h = History()
    for txn, outcome, found in entries:
        h.record(txn, "Cmd", outcome).found_applied = found
    return h


def test_an_honest_history_has_nothing_to_say() -> None:
    h = _history((1, Outcome.OK, None), (2, Outcome.FAILED, None), (3, Outcome.INDETERMINATE, True))
    counts = h.check(in_memory=[1, 2, 3], commits=[1, 2, 3])
    assert counts.violations == []
    assert (counts.ok, counts.failed, counts.indeterminate, counts.recovered) == (1, 1, 1, 1)


def test_each_way_of_breaking_the_promise_is_counted() -> None:
    h = _history((1, Outcome.OK, None), (2, Outcome.OK, None), (3, Outcome.INDETERMINATE, False))
    counts = h.check(in_memory=[2, 9], commits=[2, 2, 9])
    assert counts.lost == 1  # 1: acknowledged, not in memory
    assert counts.duplicated == 1  # 2: committed twice
    assert counts.unexpected == 1  # 9: never invoked
    assert counts.never_applied == 1
    assert counts.violations == [
        "history: 1 lost",
        "history: 1 duplicated",
        "history: 1 unexpected",
    ]


def test_a_command_never_asked_about_after_healing_is_unresolved() -> None:
    h = _history((1, Outcome.INDETERMINATE, None))
    assert h.pending() == h.invocations
    assert h.check([], []).violations == ["history: 1 unresolved"]


outcomes = st.sampled_from(list(Outcome))


@given(st.lists(st.tuples(outcomes, st.booleans()), max_size=40), st.data())
def test_a_memory_that_kept_its_promise_passes_and_one_dropped_ack_fails(
    calls: list[tuple[Outcome, bool]], data: st.DataObject
) -> None:
    """Build the memory a correct pump would hold for the calls (every acknowledged or refused
    command kept once; an indeterminate one kept or not), then lose one acknowledged command."""
    h, memory = History(), []
    for txn, (outcome, kept) in enumerate(calls):
        invocation = h.record(txn, "Cmd", outcome)
        if outcome is not Outcome.INDETERMINATE or kept:
            memory.append(txn)
        if outcome is Outcome.INDETERMINATE:
            invocation.found_applied = kept
    assert h.check(memory, memory).violations == []
    acked = [i.txn for i in h.invocations if i.outcome is Outcome.OK]
    if acked:
        gone = data.draw(st.sampled_from(acked))
        remaining = [t for t in memory if t != gone]
        assert h.check(remaining, remaining).lost == 1
