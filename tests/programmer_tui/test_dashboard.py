"""The dashboard's gauges: a level drawn as it is, an empty reservoir empty, a full battery full."""

from __future__ import annotations

from firmware_protocol.harness.simulated import simulated_pump
from programmer_tui.checks import PumpRules
from programmer_tui.panes.common import PumpView
from programmer_tui.panes.dashboard import DashboardPane
from programmer_tui.widgets.gauge import Gauge
from pumpsim import Continuous, Mix, TherapyProgram

from tui_helpers import Host


def _cells(gauge: Gauge) -> str:
    return str(gauge.render())


async def test_a_new_empty_pump_reads_empty_and_a_filled_one_reads_its_level() -> None:
    pump = simulated_pump(seed=4)
    client = pump.client()
    app = Host(DashboardPane(), client)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.pane
        assert isinstance(pane, DashboardPane)
        before = pane.query_one("#reservoir-bar", Gauge)
        assert set(_cells(before)) == {"┄"}  # nothing known yet: not a level at all
        status = client.read_status()
        assert status.refill_in_progress
        assert status.reservoir_ml == 0.0
        pane.show(PumpView(status, PumpRules(), stale=False))
        await pilot.pause()
        assert set(_cells(before)) == {"░"}  # empty, not a full moving bar
        assert set(_cells(pane.query_one("#battery-bar", Gauge))) == {"█"}
        client.refill_withdraw()
        client.refill_fill(10.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.3)))
        pane.show(PumpView(client.read_status(), PumpRules(), stale=False))
        await pilot.pause()
        cells = _cells(before)
        filled = cells.count("█") / len(cells)
        assert 0.2 < filled < 0.3  # 10 mL of a 40 mL reservoir, less the dead volume
    pump.close()
