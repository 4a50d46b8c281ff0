"""The refill wizard as a clinician uses it: withdraw and compare, a new concentration and its
bridge bolus, the refill-by date the pump will set, and a mixture of three drugs filled and
programmed by one drug's dose at 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, Label, Select, Static

from firmware_protocol.client.pump_client import PumpClient
from programmer_tui.screens.review import ReviewScreen
from pumpsim import Continuous, LogKind, Mix

from tui_helpers import click_button, demo_app, ready, set_up_by_client, settle, text_of, until


async def test_refill_wizard_with_new_concentration_and_bridge(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f5")
        await until(pilot, app, lambda: app.tabs.active == "refill")
        await click_button(pilot, app, "#withdraw")
        await until(pilot, app, lambda: pump.status().refill_in_progress)
        await until(pilot, app, lambda: "within tolerance" in text_of(app, "#verdict"))
        app.query_one("#withdrawn", Input).value = "15"  # the syringe says less than expected
        await until(pilot, app, lambda: "over-infusion suspected" in text_of(app, "#verdict"))
        app.query_one("#fill-conc", Input).value = "5"
        app.query_one("#fill-volume", Input).value = "18"
        await click_button(pilot, app, "#fill")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert isinstance(review, ReviewScreen)
        rows = {what: new for what, _old, new in review.rows}
        assert rows["refill by"] == "2026-04-05"  # the morphine's 90 days, before the fill
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: not pump.status().refill_in_progress)
        assert pump.status().mix.concentration_mcg_per_ml("morphine") == 5000.0
        assert pump.status().reservoir_ml == pytest.approx(18.0)
        await until(pilot, app, lambda: app.query_one("#bridge", Button).display)
        assert "bridge bolus would push" in text_of(app, "#fill-result")
        due = pump.status().refill_due_at_s  # the morphine's stability: 90 days on
        assert due == pytest.approx(pump.now_s + 90 * 86400.0)
        await until(pilot, app, lambda: "Refill by 2026-04-" in text_of(app, "#fill-result"))
        await click_button(pilot, app, "#bridge")
        await until(pilot, app, lambda: pump.status().active_bolus is not None)
        bolus = pump.status().active_bolus
        assert bolus is not None
        assert bolus.kind == "bridge"


async def test_a_three_drug_mixture_is_filled_with_each_drugs_concentration_in_its_unit(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("4")  # Refill, by a key a browser leaves alone
        await until(pilot, app, lambda: app.tabs.active == "refill")
        await click_button(pilot, app, "#withdraw")
        await until(pilot, app, lambda: pump.status().refill_in_progress)
        app.query_one("#fill-conc", Input).value = "10"  # morphine, mg/mL
        app.query_one("#fill-drug-2", Select).value = "bupivacaine"
        app.query_one("#fill-conc-2", Input).value = "15"  # mg/mL
        app.query_one("#fill-drug-3", Select).value = "clonidine"
        app.query_one("#fill-conc-3", Input).value = "500"  # mcg/mL
        app.query_one("#fill-volume", Input).value = "18"
        await settle(pilot, app)
        assert "(mcg/mL)" in str(app.query_one("#conc-label-3", Label).render())
        await click_button(pilot, app, "#fill")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert isinstance(review, ReviewScreen)
        shown = [new for _what, _old, new in review.rows]
        assert "morphine 10 mg/mL" in shown
        assert "bupivacaine 15 mg/mL" in shown
        assert "clonidine 500 mcg/mL" in shown
        assert "clonidine 150 mcg" in shown  # its dose a day, at the program in force
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: not pump.status().refill_in_progress)
        mix = pump.status().mix
        assert [d.drug for d in mix.components] == ["morphine", "bupivacaine", "clonidine"]
        assert mix.concentration_mcg_per_ml("clonidine") == 500.0
        written = list(pump.log.of_kind(LogKind.RESERVOIR_FILLED))[-1]  # every drug is logged
        assert "clonidine" in str(written.details["mix"])


def _fill_three_drugs(client: PumpClient) -> None:
    """The mixture the wizard fills above, filled through the client (the program kept)."""
    client.refill_withdraw()
    client.refill_fill(18.0, Mix.of(morphine=10_000.0, bupivacaine=15_000.0, clonidine=500.0))


async def test_a_three_drug_mixture_is_programmed_by_one_drugs_dose(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        pump = await set_up_by_client(pilot, app, _fill_three_drugs)
        await until(pilot, app, lambda: app.status is not None and len(app.status.mix) == 3)
        # The Program tab: the dose a day of the drug picked, and what follows for the others.
        await pilot.press("2")
        await until(pilot, app, lambda: app.tabs.active == "program")
        await until(pilot, app, lambda: app.query_one("#dose-drug-row").display)
        app.query_one("#dose", Input).value = "2"  # mg of morphine a day
        await settle(pilot, app)
        rate = str(app.query_one("#rate", Static).render())
        assert "= 0.2 mL/day" in rate
        assert "bupivacaine 3 mg/day" in rate
        assert "clonidine 100 mcg/day" in rate
        app.query_one("#dose-drug", Select).value = "clonidine"  # dose it by clonidine instead
        await settle(pilot, app)
        assert app.query_one("#dose", Input).value == "100"  # the same program, in its unit
        await click_button(pilot, app, "#review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: pump.program.basal == Continuous(0.2))
