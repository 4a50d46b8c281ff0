"""Training: a scenario played live against the programmer, faults on time, then a debrief."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_protocol.client.pump_client import DeviceError
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.backend import Backend
from programmer_tui.screens.debrief import DebriefScreen
from pumpsim import Continuous, MotorStall, TherapyProgram
from pumpsim_scenarios.files import spec
from pumpsim_scenarios.running import runner
from pumpsim_scenarios.running.player import ScenarioPlayer

from tui_helpers import until

SCENARIO = """\
# Teaches: a stall alarms at once; acknowledge it.
[scenario]
name = "stall-drill"
duration_days = 1

[initial]
drug = "morphine"
concentration_mg_per_ml = 10
fill_ml = 20
program = { mode = "continuous", dose_mg_per_day = 3 }

[[timeline]]
at_days = 0.25
action = "fault"
fault = "MotorStall"
duration_hours = 2

[[expect]]
kind = "alarm"
alarm = "motor_stall"

[[expect]]
kind = "refill_verdict"
verdict = "within_tolerance"
"""


async def test_faults_appear_on_time_and_the_debrief_judges_the_trainee(tmp_path: Path) -> None:
    path = tmp_path / "drill.toml"
    path.write_text(SCENARIO)
    scenario = spec.load(path)[0]
    pump = simulated_pump(seed=scenario.seed, paused=True, config=runner.pump_config(scenario))
    backend = Backend(pump.client(Role.SIMULATOR, connect=False))
    player = ScenarioPlayer(scenario, acceleration=1.0)  # the test moves time itself
    app = ProgrammerApp(backend, embedded=pump, player=player, poll_s=0.2)
    model = pump.firmware.pump
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, app, lambda: app.status is not None and app.status.reservoir_ml > 0)
        assert model.status().mix.describe(model.library) == "morphine 10 mg/mL"
        scheduled = list(model.faults)  # scheduled at once, for its own time
        assert [type(f) for f in scheduled] == [MotorStall]
        assert scheduled[0].onset_s == 0.25 * 86400
        assert app.status is not None
        assert app.status.alarms == ()
        await backend.call(backend.sync.sim_advance, 0.3 * 86400)
        await until(pilot, app, lambda: bool(app.status and app.status.alarms))
        assert model.alarms[0].raised_at_s == 0.25 * 86400
        await pilot.press("a")  # the trainee acknowledges the alarm
        await until(pilot, app, lambda: model.alarms == ())
        await backend.call(backend.sync.sim_advance, 0.8 * 86400)
        await until(pilot, app, lambda: isinstance(app.screen, DebriefScreen))
        debrief = app.debrief
        assert debrief is not None
        assert debrief.lines[0][0]  # the stall alarm came
        assert not debrief.lines[1][0]  # no refill was done, so its verdict is missing
        assert "motor_stall" in debrief.alarms_acknowledged
        assert debrief.delivered["morphine"] > 0
        assert app.status is not None
        assert model.now_s >= scenario.duration_s


TITRATION = """\
# Teaches: a ziconotide jump past the label needs an explicit override.
[scenario]
name = "titration-drill"
duration_days = 1
mode = "stack"

[initial]
drug = "ziconotide"
concentration_mcg_per_ml = 25
fill_ml = 20
program = { mode = "continuous", dose_mcg_per_day = 2.4 }

[[timeline]]
at_days = 0.5
action = "program"
mode = "continuous"
dose_mcg_per_day = 7.2

[[expect]]
kind = "rejected"
timeline_index = 0
code = "SOFT_LIMIT_OVERRIDE_REQUIRED"

[[expect]]
kind = "nothing_lost"
"""


def test_the_debrief_judges_refusals_and_lost_transactions_in_the_runners_words(
    tmp_path: Path,
) -> None:
    path = tmp_path / "titration.toml"
    path.write_text(TITRATION)
    scenario = spec.load(path)[0]
    pump = simulated_pump(seed=scenario.seed, paused=True, config=runner.pump_config(scenario))
    client = pump.client(Role.SIMULATOR)
    player = ScenarioPlayer(scenario, acceleration=1.0)
    player.setup(client)
    refusals: list[str] = []
    review = client.stage_program(TherapyProgram(Continuous(7.2 / 25)))  # the trainee's jump
    with pytest.raises(DeviceError) as refused:
        client.confirm_program(review.stage_id)
    refusals += [refused.value.code, *(v.code for v in refused.value.violations)]
    client.sim_advance(scenario.duration_s)
    debrief = player.debrief(client, refusals)
    words = {line for _, line in debrief.lines}
    assert all(ok for ok, _ in debrief.lines)
    assert any(w.startswith("timeline[0] rejected with") for w in words)
    assert any(w.endswith(f"lost of {len(client.acknowledged)}") for w in words)
    assert len(client.acknowledged) >= 4  # the set-up's commands and the advance
    # Without the refusal the same expectation fails, in the runner's words.
    assert not player.debrief(client, []).lines[0][0]
