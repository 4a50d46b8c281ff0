"""The Clock tab as a clinic uses it: a weekly program's steps follow a clock change, on the
dashboard as in the Program tab and the pump; a programmer that knows the clinic's time zone
shows its local time and sets the pump to it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from textual.widgets import DataTable, Input

from firmware_protocol.client.pump_client import PumpClient
from programmer_tui.panes.clock import local_time
from programmer_tui.screens.review import ReviewScreen
from pumpsim import FlexibleSchedule, SchedulePeriod, Step, TherapyProgram
from pumpsim.units import days

from tui_helpers import click_button, demo_app, set_up_by_client, text_of, until


def _write_weekly(client: PumpClient) -> None:
    """Monday to Thursday 0.3 mL/day, Thursday to Sunday 0.2 (written through the client: the
    Program tab's way to a weekly schedule is `test_tui`'s week-view test)."""
    steps = (Step(0.0, days(3), 0.3), Step(days(3), days(4), 0.2))
    review = client.stage_program(TherapyProgram(FlexibleSchedule(steps, SchedulePeriod.WEEKLY)))
    client.confirm_program(review.stage_id)


async def test_a_weekly_programs_steps_follow_a_clock_change_of_three_and_a_half_days(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        pump = await set_up_by_client(pilot, app, _write_weekly)
        basal = pump.program.basal
        assert isinstance(basal, FlexibleSchedule)
        monday_rate, thursday_rate = (s.rate_ml_per_day for s in basal.steps)
        assert pump.status().commanded_rate_ml_per_day == monday_rate  # Monday, early
        await until(pilot, app, lambda: "(Mon 00:00-Thu 00:00)" in text_of(app, "#therapy"))

        # The clinic's clock moves on to Thursday noon: 3 days 12 h ahead, not whole weeks.
        await pilot.press("f10")
        await until(pilot, app, lambda: app.tabs.active == "clock")
        app.query_one("#clock-target", Input).value = "2026-01-08 12:00"  # a Thursday
        await click_button(pilot, app, "#clock-review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert "steps follow the clock" in review.note
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.clock_offset_s != 0.0)
        # The pump runs Thursday's step now, the dashboard says so, the Program tab lists it.
        assert pump.status().commanded_rate_ml_per_day == thursday_rate
        await pilot.press("1")
        await until(pilot, app, lambda: "(Thu 00:00-Sun 24:00)" in text_of(app, "#therapy"))
        assert f"now {thursday_rate:g} mL/day" in text_of(app, "#therapy")
        await pilot.press("f3")
        await until(pilot, app, lambda: app.tabs.active == "program")
        steps = app.query_one("#steps", DataTable)
        listed = [str(steps.get_row_at(i)[0]) for i in range(steps.row_count)]
        assert "Thu 00:00" in listed


async def test_the_clinics_time_zone_is_shown_and_the_pump_set_to_it(tmp_path: Path) -> None:
    zone = ZoneInfo("America/New_York")
    app = demo_app(tmp_path, time_zone=zone)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, app, lambda: app.status is not None)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f10")
        await until(
            pilot, app, lambda: "Local time in America/New_York" in text_of(app, "#clock-now")
        )
        assert "the pump is 05:00 ahead" in text_of(app, "#clock-now")  # UTC, five hours ahead
        await click_button(pilot, app, "#clock-local")
        at_s = app.status.at_s  # type: ignore[union-attr]
        want = local_time(zone, at_s).strftime("%Y-%m-%d %H:%M")
        assert app.query_one("#clock-target", Input).value == want
        await click_button(pilot, app, "#clock-review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.clock_offset_s != 0.0)
        assert abs(pump.clock_offset_s - -5 * 3600.0) < 60.0  # to the minute the review set
        await until(pilot, app, lambda: "ahead" not in text_of(app, "#clock-now"))
