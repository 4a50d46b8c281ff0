"""The virtual patient on the programmer: the Simulator tab at 80x24 shows exposure against the
band and the signs now; the debrief tells the patient's story in the runner's words; and neither
the clinician's nor the patient's views show any of it (the pump cannot know its patient)."""

from __future__ import annotations

import functools
from pathlib import Path

from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.backend import Backend
from programmer_tui.panes.registry import TABS
from programmer_tui.screens.debrief import DebriefScreen
from pumpsim.patient.profile import typical
from pumpsim.units import SECONDS_PER_DAY
from pumpsim_scenarios.files import library, spec
from pumpsim_scenarios.running import runner
from pumpsim_scenarios.running.player import ScenarioPlayer

from tui_helpers import demo_app, settle, text_of, until


def _trainer(role: Role = Role.SIMULATOR) -> tuple[ProgrammerApp, ScenarioPlayer, object]:
    (scenario,) = spec.load(library.resolve("dislodgement"))
    pump = simulated_pump(seed=scenario.seed, paused=True, config=runner.pump_config(scenario))
    backend = Backend(pump.client(role, connect=False))
    player = ScenarioPlayer(scenario, acceleration=1.0)  # the test moves time itself
    app = ProgrammerApp(backend, embedded=pump, player=player, poll_s=0.2)
    return app, player, pump


async def test_the_simulator_tab_at_80x24_shows_exposure_and_the_signs_now() -> None:
    app, _player, _pump = _trainer()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, app, lambda: app.status is not None and app.status.reservoir_ml > 0)
        backend = app.backend
        assert backend is not None
        await pilot.press("8")  # the Simulator tab, by a key a browser leaves alone
        await until(pilot, app, lambda: "in the band" in text_of(app, "#sim-exposure"))
        assert "No sign now." in text_of(app, "#sim-signs")
        await backend.call(backend.sync.sim_advance, 14 * SECONDS_PER_DAY)  # dislodged on day 10
        await until(pilot, app, lambda: "below the band" in text_of(app, "#sim-exposure"))
        await until(pilot, app, lambda: "withdrawal (baclofen)" in text_of(app, "#sim-signs"))
        signs = text_of(app, "#sim-signs")
        assert "loss of effect (baclofen), mild" in signs
        assert "not dosing advice" in text_of(app, "#sim-patient-title")
        for widget in ("#sim-patient-title", "#sim-exposure", "#sim-signs"):
            region = app.query_one(widget).region
            assert region.bottom <= 23, (widget, region)  # on screen, above the footer
            assert region.right <= 80, (widget, region)


async def test_the_debrief_tells_the_patients_story_beside_the_devices() -> None:
    app, player, _pump = _trainer()
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, app, lambda: app.status is not None and app.status.reservoir_ml > 0)
        backend = app.backend
        assert backend is not None
        for days in (10.5, 4.0, 16.5):  # the player reads the patient as the screen refreshes
            await backend.call(backend.sync.sim_advance, days * SECONDS_PER_DAY)
            await settle(pilot, app)
        await until(pilot, app, lambda: isinstance(app.screen, DebriefScreen), timeout=30)
        debrief = app.debrief
        assert debrief is not None
        assert debrief.patient[0] == "harmed 1 of 1"
        story = " ".join(debrief.patient[1:])
        assert "withdrawal (baclofen), mild from day 12" in story
        assert "serious from day 13" in story
        judged = {text: ok for ok, text in debrief.lines}
        assert any(
            ok and t.startswith("withdrawal at mild or worse began") for t, ok in judged.items()
        )
        assert player.samples[0]["baclofen"]  # exposure seen while the trainee worked


def _shows(app: ProgrammerApp, tab: str) -> bool:
    return app.tabs.active == tab


async def test_a_clinician_sees_nothing_of_the_patient(tmp_path: Path) -> None:
    app = demo_app(tmp_path, role=Role.CLINICIAN)
    assert app.embedded is not None
    app.embedded.firmware.pump.attach_patient(typical({"morphine": 300.0}))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, app, lambda: app.status is not None)
        shown = ""
        for key, (tab, _) in zip("123456789", TABS, strict=True):  # every tab a clinic key has
            await pilot.press(key)
            if tab != "simulator":  # (not a clinician's: the key does nothing)
                await until(pilot, app, functools.partial(_shows, app, tab))
            shown += " ".join(str(w.render()) for w in app.query("Static"))
        assert len(app.panes) == len(TABS) - 1
        assert "Virtual patient" not in shown
        assert "exposure" not in shown.lower()
