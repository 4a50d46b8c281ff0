"""The programmer as a person uses it (Textual pilot), checked against what the pump then holds."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.line.field_faults import lose_reply
from firmware_protocol.line.transport import FaultyPort
from firmware_protocol.session import log_seal
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.backend import Backend
from programmer_tui.format import EPOCH
from programmer_tui.screens.help import HelpScreen
from programmer_tui.screens.review import ReviewScreen
from pumpsim import (
    Continuous,
    FlexibleSchedule,
    LogKind,
    Mix,
    MriPhase,
    PatientBolusSettings,
    SchedulePeriod,
    Stopped,
    TherapyProgram,
)

from tui_helpers import (
    add_steps,
    click_button,
    demo_app,
    open_review,
    program_in_mode,
    ready,
    set_up_by_client,
    settle,
    text_of,
    until,
    write_schedule,
)


async def test_demo_connects_and_the_dashboard_shows_the_interrogation(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        # The demo filled 20 mL and primed 0.35 mL; then an hour at 0.3 mL/day.
        assert pump.status().reservoir_ml == pytest.approx(20.0 - 0.35 - 0.3 * 2340 / 86400)
        identity = text_of(app, "#identity")
        assert pump.status().mix.describe(pump.library) == "morphine 10 mg/mL"
        assert app.status is not None
        assert app.status.pump_id in identity
        assert "morphine 10 mg/mL" in text_of(app, "#therapy")
        assert "19.64 mL" in text_of(app, "#reservoir")
        assert "empty 2026-" in text_of(app, "#reservoir")
        assert "replacement (ERI)" in text_of(app, "#battery")
        assert "live" in text_of(app, "#link-banner")


async def test_alarms_show_by_severity_and_are_acknowledged(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f9")  # the simulator tab
        app.query_one("#sim-fault", Select).value = "motor stall (2 h)"
        await click_button(pilot, app, "#sim-inject")
        await until(pilot, app, lambda: bool(app.status and app.status.alarms))
        await pilot.press("f2")
        await settle(pilot, app)
        alarms = app.query_one("#alarms", Static)
        assert "CRITICAL  motor stall" in str(alarms.render())
        assert alarms.has_class("critical")
        assert [a.kind for a in pump.alarms] == ["motor_stall"]
        await click_button(pilot, app, "#ack")
        await until(pilot, app, lambda: pump.alarms == ())
        await until(pilot, app, lambda: text_of(app, "#alarms") == "none")


async def test_program_change_is_validated_reviewed_and_confirmed(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f3")
        await settle(pilot, app)
        dose = app.query_one("#dose", Input)
        await until(pilot, app, lambda: dose.value == "3")  # 0.3 mL/day of 10 mg/mL, in mg/day
        dose.value = "40"  # over morphine's daily limit
        await until(pilot, app, lambda: "DAILY_DOSE_OVER_LIMIT" in text_of(app, "#violations"))
        await click_button(pilot, app, "#review")  # refused here, not sent to the pump
        await settle(pilot, app)
        assert not isinstance(app.screen, ReviewScreen)
        dose.value = "4.25"
        await until(pilot, app, lambda: "0.425 mL/day" in text_of(app, "#rate"))
        assert "rules are met" in text_of(app, "#violations")
        await click_button(pilot, app, "#review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        table = app.screen.query_one(DataTable)
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["rate (mL/day)", "0.3", "0.425"] in cells
        assert pump.program.basal == Continuous(0.3)  # nothing written before confirming
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.program.basal == Continuous(0.425))


async def test_cancelling_the_review_writes_nothing(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await open_review(pilot, app, "f3", {"#dose": "5"}, "#review")
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, ReviewScreen)
        assert pump.program.basal == Continuous(0.3)


async def test_flexible_schedule_edited_as_a_table_of_steps(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        pump = await program_in_mode(pilot, app, "flexible")
        await until(pilot, app, lambda: "NO_STEPS" in text_of(app, "#violations"))
        await add_steps(pilot, app, [("00:00", "08:00", "2"), ("08:00", "24:00", "4")])
        assert app.query_one("#steps", DataTable).row_count == 2
        basal = await write_schedule(pilot, app, pump)
        assert [s.rate_ml_per_day for s in basal.steps] == [0.2, 0.4]


async def test_clinician_bolus_with_review(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f4")
        await settle(pilot, app)
        app.query_one("#bolus-dose", Input).value = "0.5"
        app.query_one("#bolus-minutes", Input).value = "30"
        await settle(pilot, app)
        assert "0.05 mL over 30 min" in text_of(app, "#bolus-summary")
        await click_button(pilot, app, "#bolus-review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        assert ("dose", "", "0.5 mg") in app.screen.rows  # type: ignore[attr-defined]
        assert ("over", "", "30 min (2.4 mL/day)") in app.screen.rows  # type: ignore[attr-defined]
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.status().active_bolus is not None)
        bolus = pump.status().active_bolus
        assert bolus is not None
        assert bolus.kind == "clinician"
        assert bolus.volume_ml == pytest.approx(0.05)
        await until(pilot, app, lambda: "Running: clinician" in text_of(app, "#bolus-summary"))
        await click_button(pilot, app, "#bolus-cancel")
        await until(pilot, app, lambda: pump.status().active_bolus is None)


async def test_mri_checklist_safe_mode_and_verified_recovery(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f6")
        await until(pilot, app, lambda: app.tabs.active == "mri")
        await click_button(pilot, app, "#mri-enter")  # the checklist is not done
        await settle(pilot, app)
        assert pump.status().mri is MriPhase.OFF
        for ident in ("mri-screened", "mri-alarms", "mri-plan"):
            app.query_one(f"#{ident}", Checkbox).value = True
        await click_button(pilot, app, "#mri-enter")
        await until(pilot, app, lambda: pump.status().mri is MriPhase.SCANNING)
        await until(pilot, app, lambda: "MRI-SAFE MODE" in text_of(app, "#mri-state"))
        await click_button(pilot, app, "#mri-exit")
        await until(pilot, app, lambda: pump.status().mri is MriPhase.RECOVERING)
        # What the technologist sees before the next step (the pane redraws, focus moves).
        await until(pilot, app, lambda: "motor recovering" in text_of(app, "#mri-state"))
        await app.backend.call(app.backend.sync.sim_advance, 3 * 3600.0)  # type: ignore[union-attr]
        await click_button(pilot, app, "#mri-verify")
        await until(pilot, app, lambda: "motor_stall_recovery" in text_of(app, "#mri-events"))
        assert pump.status().mri is MriPhase.OFF
        assert "Infusing normally" in text_of(app, "#mri-state")


async def test_event_log_filters_pages_and_exports(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        pump_count = len(pump.log)
        await pilot.press("f7")
        await settle(pilot, app)
        await click_button(pilot, app, "#log-download")
        table = app.query_one("#log-table", DataTable)
        await until(pilot, app, lambda: table.row_count > 0)
        assert table.row_count == pump_count
        verified = str(app.query_one("#log-verified", Static).render())
        assert verified == f"Log verified: {pump_count} records, signed by the pump."
        app.query_one("#log-kind", Select).value = "reservoir_filled"
        await settle(pilot, app)
        assert table.row_count == 1
        await click_button(pilot, app, "#log-export")
        await settle(pilot, app)
        exported = next(tmp_path.glob("*-event-log.csv"))
        with exported.open(newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0][:4] == ["index", "sim_time_s", "time", "kind"]
        assert [r[3] for r in rows[1:]] == ["reservoir_filled"]
        signed = json.loads(exported.with_suffix(".json").read_text())  # the whole log, sealed
        assert len(signed["records"]) == pump_count
        key = app.backend.sync.key  # type: ignore[union-attr]
        assert log_seal.verify_export(signed, key.pump_public_key).verified


async def test_telemetry_downloads_and_plots_a_window(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        await app.backend.call(app.backend.sync.sim_advance, 7 * 86400.0)  # type: ignore[union-attr]
        await pilot.press("i")
        await settle(pilot, app)
        await pilot.press("f8")
        await settle(pilot, app)
        await click_button(pilot, app, "#trend-download")
        await until(pilot, app, lambda: "hours" in text_of(app, "#trend-summary"))
        summary = text_of(app, "#trend-summary")
        assert summary.startswith("168 hours")
        assert "delivered 2.1" in summary  # 0.3 mL/day for 7 days


async def test_simulator_panel_moves_time_and_only_exists_when_offered(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        before = pump.now_s
        await pilot.press("f9")
        await settle(pilot, app)
        await click_button(pilot, app, "#sim-day")
        await until(pilot, app, lambda: pump.now_s >= before + 86400.0)
        assert "Simulated clock 2026-01-06" in text_of(app, "#sim-clock")
    clinician = demo_app(tmp_path / "c", role=Role.CLINICIAN)
    async with clinician.run_test(size=(120, 45)) as pilot:
        await until(pilot, clinician, lambda: clinician.status is not None)
        await pilot.press("f9")
        await settle(pilot, clinician)
        assert clinician.tabs.active != "simulator"


async def test_lost_link_is_shown_and_reconnect_restores_it(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot, app)
        pump = app.embedded
        assert pump is not None
        pump.kill()  # the pump falls silent; the reply timeout passes on virtual time
        await until(pilot, app, lambda: not app.link_ok, timeout=20)
        assert "LINK LOST" in text_of(app, "#link-banner")
        pump.restart()
        await pilot.press("r")
        await until(pilot, app, lambda: app.link_ok, timeout=10)
        await until(pilot, app, lambda: "live" in text_of(app, "#link-banner"))


async def test_help_and_keyboard_navigation(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("f1")
        await settle(pilot, app)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, HelpScreen)
        for key, tab in (("2", "program"), ("6", "log"), ("1", "dashboard")):
            await pilot.press(key)
            await settle(pilot, app)
            assert app.tabs.active == tab


async def test_an_untouched_form_follows_the_pumps_program(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        mode = app.query_one("#mode", Select)
        assert mode.value == "continuous"
        backend = app.backend
        assert backend is not None
        await backend.call(backend.sync.sim_inject_fault, '{"kind": "MemoryReset", "in_s": 0}')
        await until(pilot, app, lambda: mode.value == "stopped")
        assert app.embedded is not None
        assert isinstance(app.embedded.firmware.pump.program.basal, Stopped)


async def test_priming_bolus_from_the_bolus_tab(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await open_review(pilot, app, "f4", {"#bolus-kind": "priming"}, "#bolus-review")
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.status().active_bolus is not None)
        bolus = pump.status().active_bolus
        assert bolus is not None
        assert bolus.kind == "priming"


async def test_a_lost_reply_is_resolved_on_reconnect_and_never_repeated(tmp_path: Path) -> None:
    pump = simulated_pump(seed=3, paused=True)
    line = FaultyPort(pump.programmer_port, seed=1)
    backend = Backend(pump.client(Role.SIMULATOR, port=line, connect=False, reply_timeout_s=2.0))
    app = ProgrammerApp(backend, embedded=pump, demo_setup=True, poll_s=0.25)
    model = pump.firmware.pump

    def clinician_boluses() -> int:
        started = model.log.of_kind(LogKind.BOLUS_STARTED)
        return sum(r.details["kind"] == "clinician" for r in started)

    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        fields = {"#bolus-dose": "0.5", "#bolus-minutes": "30"}
        await open_review(pilot, app, "f4", fields, "#bolus-review")
        lose_reply(line, 1)  # the pump will act, and its reply will never arrive
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: bool(app.pending_uncertain), timeout=30)
        assert not app.link_ok
        assert clinician_boluses() == 1  # it did act
        line.drop_inbound = None  # the line recovers
        line.drop_outbound = None
        await pilot.press("r")
        await until(pilot, app, lambda: app.link_ok and not app.pending_uncertain, timeout=30)
        await settle(pilot, app)
        assert clinician_boluses() == 1  # and only once


def _fill_ziconotide(client: PumpClient) -> None:
    start = TherapyProgram(Continuous(0.096))  # 2.4 mcg/day of 25 mcg/mL ziconotide
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(ziconotide=25.0), start)


async def test_a_titration_past_a_soft_limit_needs_an_explicit_override(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        pump = await set_up_by_client(pilot, app, _fill_ziconotide)
        await until(pilot, app, lambda: app.status is not None and "ziconotide" in str(app.status))
        await open_review(pilot, app, "f3", {"#dose": "7.2"}, "#review")
        warnings = text_of(app.screen, "#review-warnings")
        assert "INCREASE_ABOVE_LIMIT" in warnings
        assert "2.4 mcg/day" in warnings
        confirm = app.screen.query_one("#confirm", Button)
        assert confirm.disabled
        await pilot.press("ctrl+y")  # refused while the override is not ticked
        await settle(pilot, app)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.click("#override")
        await until(pilot, app, lambda: not confirm.disabled)
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.program.basal == Continuous(0.288))
        (record,) = pump.log.of_kind(LogKind.SOFT_LIMIT_OVERRIDDEN)
        assert record.details["codes"] == "INCREASE_ABOVE_LIMIT"


async def test_a_patient_key_sees_only_the_patient_view(tmp_path: Path) -> None:
    """As a patient would use it at 80x24: one view; a bolus; a second inside the lockout is
    refused and the countdown says when; alarms shown; clinic actions not offered."""
    pump = simulated_pump(seed=11, paused=True)
    clinic = pump.client(Role.CLINICIAN)
    pb = PatientBolusSettings(0.01, 600.0, 3600.0, 3)
    clinic.refill_withdraw()
    clinic.refill_fill(20.0, Mix.of(morphine=10_000.0), TherapyProgram(Continuous(0.3), pb))
    clinic.close()
    backend = Backend(pump.client(Role.PATIENT, connect=False))
    app = ProgrammerApp(backend, embedded=pump, poll_s=0.25, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, app, lambda: app.status is not None)
        assert app.tabs.active == "patient"
        visible = [t.id for t in app.query("ContentTab") if t.display]
        assert visible == ["--content-tab-patient"]
        await until(pilot, app, lambda: "available now" in text_of(app, "#patient-next"))
        assert "3 of 3" in text_of(app, "#patient-left")
        await click_button(pilot, app, "#patient-request")
        await until(pilot, app, lambda: "granted" in text_of(app, "#patient-answer"))
        await until(pilot, app, lambda: "2 of 3" in text_of(app, "#patient-left"))
        await click_button(pilot, app, "#patient-request")
        await until(pilot, app, lambda: "Not" in text_of(app, "#patient-answer"))
        assert "in 1 h 00 min" in text_of(app, "#patient-next")
        await pilot.press("2", "f3")  # clinic tabs do not exist for a patient
        assert app.tabs.active == "patient"
        bolus_grants = pump.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED)
        assert len(bolus_grants) == 1


async def test_setting_the_clock_is_reviewed_confirmed_and_logged(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware  # type: ignore[union-attr]
        await pilot.press("f10")
        await until(pilot, app, lambda: app.tabs.active == "clock")
        assert "offset +00:00" in text_of(app, "#clock-now")
        app.query_one("#clock-target", Input).value = "not a date"
        await click_button(pilot, app, "#clock-review")
        await until(pilot, app, lambda: "YYYY-MM-DD" in text_of(app, "#clock-error"))
        at = app.status.at_s  # type: ignore[union-attr]
        app.query_one("#clock-target", Input).value = "2026-03-01 09:30"
        await click_button(pilot, app, "#clock-review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.pump.clock_offset_s != 0.0)
        shown = (EPOCH + timedelta(seconds=at + pump.pump.clock_offset_s)).strftime(
            "%Y-%m-%d %H:%M"
        )
        assert shown == "2026-03-01 09:30"
        assert (
            pump.pump.log.of_kind(LogKind.CLOCK_SET)[-1].details["offset_s"]
            == pump.pump.clock_offset_s
        )
        await until(pilot, app, lambda: "2026-03-01 09:3" in text_of(app, "#clock-now"))


async def test_a_weekly_schedule_with_a_week_view(tmp_path: Path) -> None:
    """Weekdays and weekend differ: steps by day and time, the dose of each day shown, and the
    pump gets a weekly pattern."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        pump = await program_in_mode(pilot, app, "weekly")
        await until(pilot, app, lambda: "Week:" in text_of(app, "#week-view"))
        await add_steps(
            pilot, app, [("Mon 00:00", "Sat 00:00", "3"), ("sat 00:00", "Sun 24:00", "2")]
        )
        week = text_of(app, "#week-view")
        for day in ("Mon 3", "Fri 3", "Sat 2", "Sun 2"):
            assert day in week
        await until(pilot, app, lambda: "rules are met" in text_of(app, "#violations"))
        await click_button(pilot, app, "#review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert ("step 2 (mg/day)", "", "Sat 00:00-Sun 24:00 2") in review.rows
        await click_button(pilot, app, "#confirm")
        await until(pilot, app, lambda: isinstance(pump.program.basal, FlexibleSchedule))
        basal = pump.program.basal
        assert isinstance(basal, FlexibleSchedule)
        assert basal.period is SchedulePeriod.WEEKLY
        assert [s.rate_ml_per_day for s in basal.steps] == [0.3, 0.2]
        await until(
            pilot, app, lambda: app.status is not None and app.status.program.mode == "flexible"
        )
        await settle(pilot, app)
        said = [n.message for n in app._notifications]
        assert not [n for n in said if "changed while you were editing" in n], said
