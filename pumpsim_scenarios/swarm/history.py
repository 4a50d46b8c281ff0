"""A life's history of commands, checked as Jepsen's total-queue checker checks a queue's.

Why a history and not only invariants at each step: an invariant sees the pump now; a history
sees every command the programmers ever invoked and what they were told. Each invocation ends ok
(the pump acknowledged it), failed (the pump definitely refused it: its refusal came back, or was
stored under the transaction id) or indeterminate (no answer: it may or may not have happened).
Once the life has healed and every indeterminate command has been asked about, the pump's memory
is compared with the history:

- lost: acknowledged, yet not in the pump;
- duplicated: committed more than once;
- unexpected: in the pump, never invoked;
- recovered: indeterminate, then found applied (not a fault: the protocol's promise kept).

Lost, duplicated and unexpected are violations. Pure: invocations and the memory's transaction
ids in, counts out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    INDETERMINATE = "indeterminate"


@dataclass
class Invocation:
    txn: int
    command: str  # the message's name, for a report
    outcome: Outcome
    found_applied: bool | None = None  # an indeterminate one, once asked about after healing


@dataclass(frozen=True)
class HistoryCounts:
    invoked: int
    ok: int
    failed: int
    indeterminate: int
    lost: int
    duplicated: int
    unexpected: int
    recovered: int
    never_applied: int  # indeterminate, then found not applied (it definitely did not happen)
    unresolved: int  # indeterminate and never asked about: the life did not converge

    @property
    def violations(self) -> list[str]:
        out = []
        for name in ("lost", "duplicated", "unexpected", "unresolved"):
            count = getattr(self, name)
            if count:
                out.append(f"history: {count} {name}")
        return out

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.__dict__.items()}

    @staticmethod
    def total(counts: Iterable[HistoryCounts]) -> dict[str, int]:
        out: Counter[str] = Counter()
        for c in counts:
            out.update(c.as_dict())
        return dict(out)


@dataclass
class History:
    invocations: list[Invocation] = field(default_factory=list)

    def record(self, txn: int, command: str, outcome: Outcome) -> Invocation:
        invocation = Invocation(txn, command, outcome)
        self.invocations.append(invocation)
        return invocation

    def pending(self) -> list[Invocation]:
        return [
            i
            for i in self.invocations
            if i.outcome is Outcome.INDETERMINATE and i.found_applied is None
        ]

    def check(self, in_memory: Iterable[int], commits: Iterable[int]) -> HistoryCounts:
        """`in_memory`: every transaction id the pump's memory holds; `commits`: the ids of its
        commits in order (an id twice is a command applied twice)."""
        held = set(in_memory)
        invoked = {i.txn for i in self.invocations}
        by_outcome = Counter(i.outcome for i in self.invocations)
        indeterminate = [i for i in self.invocations if i.outcome is Outcome.INDETERMINATE]
        return HistoryCounts(
            invoked=len(self.invocations),
            ok=by_outcome[Outcome.OK],
            failed=by_outcome[Outcome.FAILED],
            indeterminate=len(indeterminate),
            lost=sum(1 for i in self.invocations if i.outcome is Outcome.OK and i.txn not in held),
            duplicated=sum(1 for n in Counter(commits).values() if n > 1),
            unexpected=len(held - invoked),
            recovered=sum(1 for i in indeterminate if i.found_applied),
            never_applied=sum(1 for i in indeterminate if i.found_applied is False),
            unresolved=sum(1 for i in indeterminate if i.found_applied is None),
        )
