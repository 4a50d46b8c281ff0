"""What the programmer needs of a training scenario player, and of its debrief.

The player itself (`pumpsim_scenarios.player`) belongs to the scenario layer; the app only holds
one that its entry point wired in, so it names the shape here instead of importing that layer.
"""

from __future__ import annotations

from typing import Any, Protocol


class Debrief(Protocol):
    lines: list[tuple[bool, str]]
    alarms_seen: list[str]
    alarms_acknowledged: list[str]
    verdicts: list[str]
    delivered: dict[str, float]

    @property
    def passed(self) -> bool: ...


class ScenarioPlayer(Protocol):
    scenario: Any  # a pumpsim_scenarios Scenario; the app reads only its name
    injected: list[int]
    finished: bool

    def setup(self, client: Any) -> None: ...
    def due_faults(self, now_s: float) -> list[Any]: ...
    def inject(self, client: Any, action: Any) -> None: ...
    def over(self, now_s: float) -> bool: ...
    def debrief(self, client: Any, refusals: list[str]) -> Debrief: ...
