"""What the programmer needs of a training scenario player, and of its debrief.

The player itself (`pumpsim_scenarios.running.player`) belongs to the scenario layer; the app only
holds one that its entry point wired in, so it names the shape here instead of importing that layer.
"""

from __future__ import annotations

from typing import Any, Protocol

from firmware_protocol.client.pump_client import DeviceError


class Debrief(Protocol):
    lines: list[tuple[bool, str]]
    alarms_seen: list[str]
    alarms_acknowledged: list[str]
    verdicts: list[str]
    delivered: dict[str, float]
    patient: list[str]  # the virtual patient's outcome in words (empty: the scenario has none)

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
    def observe(self, client: Any, now_s: float) -> None: ...
    def debrief(self, client: Any, refusals: list[str]) -> Debrief: ...


def inject_due_faults(player: ScenarioPlayer, client: Any, now_s: float) -> list[str]:
    """Inject the scenario's faults that are due (run on the client's worker thread); returns
    what to tell the trainee. A fault the pump refuses is not tried again."""
    notes = []
    player.observe(client, now_s)  # the virtual patient's exposure, for the debrief
    for action in player.due_faults(now_s):
        try:
            player.inject(client, action)
            notes.append("Something has changed in the pump…")
        except DeviceError as e:
            player.injected.append(action.index)
            notes.append(f"Scenario fault refused ({e.code}): {e.message}")
    return notes
