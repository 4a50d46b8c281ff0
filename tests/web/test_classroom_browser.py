"""A class in a real browser, end to end: `pumpsim classroom --seats 3` served, a trainee takes a
seat with the class code and programs by keys a browser leaves alone, the instructor's console
injects an occlusion into that seat, the alarm reaches the trainee (who acknowledges it by key),
and the class debrief has it. Each step waits until the seat's terminal has drawn what it leads
to (its output as its websocket carries it: the page draws on a canvas); what happened is read
from the console (the pumps' side) and the debrief; screenshots are kept in test-results/."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from served_terminal import ServedTerminal

from serving import pumpsim_classroom

if TYPE_CHECKING:  # the browser tests import playwright only when they run
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
LESSON = """
[scenario]
name = "occlusion-drill"
duration_days = 30
seed = 5

[pump]
back_pressure_sensor = true  # a pump that can suspect an occlusion (most cannot)

[initial]
drug = "morphine"
concentration_mg_per_ml = 10
fill_ml = 20
program = { mode = "continuous", dose_mg_per_day = 3 }

[patient]
baseline_mcg_per_day = 3000

[[expect]]
kind = "alarm"
alarm = "occlusion_suspected"
"""


def _seat(console_url: str, number: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"{console_url}/state", timeout=5) as r:
        state = json.load(r)
    return next(s for s in state["seats"] if s["number"] == number)


def _until(
    check: Callable[[], bool], what: str, timeout_s: float = 60.0, poll_s: float = 0.25
) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen in time: {what}")
        time.sleep(poll_s)


def test_a_class_takes_a_seat_programs_meets_an_injected_occlusion_and_is_debriefed(
    chromium_page: Page, tmp_path: Path
) -> None:
    lesson = tmp_path / "occlusion-drill.toml"
    lesson.write_text(LESSON)
    SCREENSHOTS.mkdir(exist_ok=True)  # kept, pass or fail (ignored by git)
    trainee = chromium_page
    term = ServedTerminal(trainee)  # what the seat's programmer draws
    with pumpsim_classroom("--seats", "3", "--scenario", str(lesson)) as served:
        base, code, console_url = served.base, served.code, served.console
        trainee.goto(base)
        trainee.fill("input[name=code]", code.lower())  # as a trainee might type it
        trainee.click("button[type=submit]")
        assert trainee.url.endswith("/seat/1/" + code.replace("-", ""))
        term.wait_for("Connected to", "Clock")  # its dashboard drawn, its tabs named
        _until(lambda: _seat(console_url, 1)["connected"], "the console sees the seat taken")
        trainee.screenshot(path=str(SCREENSHOTS / "classroom-seat.png"))

        # Program by keys: the Program tab (2), the dose field, 4 mg/day, review, confirm.
        trainee.mouse.click(640, 400)  # the terminal takes the keyboard
        mark = term.mark()
        trainee.keyboard.press("2")
        term.wait_for("Reservoir: morphine", since=mark)  # the Program tab, filled from the pump
        trainee.keyboard.press("Tab")
        trainee.keyboard.press("Tab")
        for _ in range(6):
            trainee.keyboard.press("Backspace")
        trainee.keyboard.type("4")
        for _ in range(7):  # past the bolus and alarm fields to "Review and write…"
            trainee.keyboard.press("Tab")
        mark = term.mark()
        trainee.keyboard.press("Enter")  # the review opens once the pump has checked it
        term.wait_for("Review the new program", "(ctrl+y)", since=mark)
        mark = term.mark()
        trainee.keyboard.press("Control+y")
        term.wait_for("Program written to the pump", since=mark)
        _until(lambda: "0.4 mL/day" in _seat(console_url, 1)["program"], "the console shows it")
        assert "0.3 mL/day" in _seat(console_url, 2)["program"]  # the other seats untouched

        # The instructor injects a total occlusion into seat 1 only.
        browser = trainee.context.browser
        assert browser is not None
        console = browser.new_page(viewport={"width": 1400, "height": 800})  # the instructor's
        console.goto(console_url)
        console.wait_for_selector("#seat-1")
        console.select_option("#fault-seat", "1")
        console.select_option("#fault", "total occlusion")
        console.click("#inject")
        _until(lambda: "injected" in console.inner_text("#said"), "the console's answer")
        _until(lambda: "occlusion_suspected" in _seat(console_url, 1)["alarms"], "the alarm")
        assert _seat(console_url, 2)["alarms"] == []
        console.wait_for_selector("#seat-1 .alarm")
        console.screenshot(path=str(SCREENSHOTS / "classroom-console.png"), full_page=True)

        # It reaches the trainee, who acknowledges it (a).
        trainee.bring_to_front()
        mark = term.mark()
        trainee.keyboard.press("1")  # the dashboard, once the programmer's status poll shows it
        term.wait_for("occlusion suspected", since=mark, timeout_s=60)
        trainee.screenshot(path=str(SCREENSHOTS / "classroom-seat-alarm.png"))
        mark = term.mark()
        trainee.keyboard.press("a")
        term.wait_for("│ none ", since=mark)  # the alarms card: the latched alarm cleared

        # The end: the class debrief, one section per seat.
        console.bring_to_front()
        console.click("#end")
        console.wait_for_url("**/debrief", timeout=30_000)
        section = console.inner_text("#seat-1")
        console.screenshot(path=str(SCREENSHOTS / "classroom-debrief.png"), full_page=True)
        assert "Alarms raised: occlusion_suspected" in section
        assert "Alarms acknowledged: occlusion_suspected" in section
        assert "instructor injected: total occlusion" in section
        assert "✓" in section  # the lesson's expectation: the alarm was raised
        assert "Alarms raised: none" in console.inner_text("#seat-2")
        assert len(console.query_selector_all("section.seat")) == 3
