"""Benchmark of the programmer UI: startup and keypress-to-repaint, in demo mode, headless.

startup_s: from creating the embedded pump to the dashboard showing interrogated data, each app in
a fresh interpreter after its imports (a first app in a process pays for Textual's caches, which a
second would find warm), median of nine; import_s and baseline_import_s: a fresh interpreter
importing each app, median of nine; launch_s: their sum, a launch from the shell to the dashboard
(`launch_over_baseline` is the start-up figure a user feels). Both run as an installed package
does, with its modules' bytecode compiled.
key_to_paint_ms: median over 200 tab switches (F3/F2) of the time from posting the key event to the
first screen update written after the app acted on it (Textual's headless driver; a real terminal
adds its own drawing time). Measured by wrapping the app's display call, because the test pilot's
own waits (about 80 ms a keypress even for an empty app) would swamp the figure. Animations are off
(TEXTUAL_ANIMATIONS=none): the tab underline's slide is decoration, painted after the content.
Keys come 20-60 ms apart (seeded, the same gaps for both apps), as a person's do: Textual paints on
a 60 Hz timer, and keys at a fixed pace lock onto one phase of it, which made one app's figure wait
out a whole frame on every other key and the other's never (a 2x difference from the pacing alone).
first_show_ms: the same for each tab's first showing, when its pane is built (the dashboard is
built with the app; each other pane when its tab is first shown): the largest and the median.
The same run measures a bare Textual app with the same tabs, header and footer and trivial content
(`baseline_*`), so the `*_over_baseline` ratios hold on any machine.
The last line printed is one JSON object. Run: python bench/tui_bench.py
"""

from __future__ import annotations

import os

os.environ["TEXTUAL_ANIMATIONS"] = "none"  # read by textual at import

import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.backend import Backend
from programmer_tui.panes.registry import TABS

PRESSES = 200


async def _key_to_paint(
    app: Any, pilot: Any, show_tab: Any, keys: list[str] | None = None
) -> list[float]:
    """Median-worthy samples: posting F3/F2 (or `keys`) until the screen is written after the
    switch."""
    keys = keys or ["f3" if i % 2 == 0 else "f2" for i in range(PRESSES)]
    painted: list[float] = []
    acted: list[float] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        painted.append(time.perf_counter())
        display(screen, renderable)

    async def timed_show_tab(tab: str) -> None:
        shown = show_tab(tab)
        if asyncio.iscoroutine(shown):  # the programmer's waits for its panes to be built
            await shown
        acted.append(time.perf_counter())

    app._display = timed_display
    app.action_show_tab = timed_show_tab
    pauses = random.Random(PRESSES)  # the same gaps for both apps
    timings = []
    for key in keys:
        t0 = time.perf_counter()
        app.post_message(events.Key(key, None))
        while not (acted and acted[-1] > t0 and painted and painted[-1] > acted[-1]):
            await asyncio.sleep(0.0002)
        timings.append(painted[-1] - t0)
        await pilot.pause(pauses.uniform(0.02, 0.06))
    return timings


def _summary(prefix: str, startup_s: float, timings: list[float]) -> dict[str, float]:
    return {
        f"{prefix}startup_s": round(startup_s, 3),
        f"{prefix}key_to_paint_ms": round(statistics.median(timings) * 1000, 2),
        f"{prefix}key_to_paint_p95_ms": round(sorted(timings)[int(0.95 * PRESSES)] * 1000, 2),
    }


async def measure(presses: bool = True) -> dict[str, float]:
    started = time.perf_counter()
    pump = simulated_pump(seed=None, realtime=True, paused=False, acceleration=3600.0)
    backend = Backend(pump.client(Role.SIMULATOR, connect=False, reply_timeout_s=10.0))
    app = ProgrammerApp(backend, embedded=pump, demo_setup=True)
    async with app.run_test(size=(120, 40)) as pilot:
        identity = app.query_one("#identity", Static)
        while app.status is None or app.status.pump_id not in str(identity.render()):
            await asyncio.sleep(0.001)
        startup_s = time.perf_counter() - started
        if not presses:
            return {"startup_s": startup_s}
        first_keys = [f"f{n + 1}" for n in range(2, len(TABS) + 1)]  # F3-F10: all but the first
        first = await _key_to_paint(app, pilot, app.action_show_tab, first_keys)
        timings = await _key_to_paint(app, pilot, app.action_show_tab)
    return {
        **_summary("", startup_s, timings),
        "first_show_max_ms": round(max(first) * 1000, 1),
        "first_show_median_ms": round(statistics.median(first) * 1000, 1),
        "presses": PRESSES,
    }


class BareApp(App[None]):
    """Bare Textual with the programmer's chrome and tabs and trivial content: the baseline."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        *[
            Binding(f"f{n + 1}", f"show_tab('{tab}')", title, show=False, priority=True)
            for n, (tab, title) in enumerate(TABS, 1)
        ],
        Binding("q", "quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            for tab, title in TABS:
                with TabPane(title, id=tab):
                    yield Static(f"{title}: trivial content", id=f"content-{tab}")
        yield Footer()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab


async def measure_baseline(presses: bool = True) -> dict[str, float]:
    started = time.perf_counter()
    app = BareApp()
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.query("#content-dashboard"):
            await asyncio.sleep(0.001)
        await pilot.pause(0)
        startup_s = time.perf_counter() - started
        if not presses:
            return {"baseline_startup_s": startup_s}
        timings = await _key_to_paint(app, pilot, app.action_show_tab)
    return _summary("baseline_", startup_s, timings)


# As a user's launch finds them: modules compiled once (pip compiles an installed package; a
# checkout writes __pycache__ on first import). An environment that sets PYTHONDONTWRITEBYTECODE
# would make our modules compile from source at every launch while Textual's came precompiled.
_AS_INSTALLED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_seconds(module: str) -> float:
    """Median over nine fresh interpreters (after one that writes the bytecode caches)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = []
    for _ in range(10):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=_AS_INSTALLED,
        )
        runs.append(float(out.stdout))
    return round(statistics.median(runs[1:]), 3)


def cold_startup_s(which: str) -> float:
    """Median over nine fresh interpreters of one app's start-up (imports done first)."""
    runs = []
    for _ in range(9):
        out = subprocess.run(
            [sys.executable, __file__, "--startup-only", which],
            capture_output=True,
            text=True,
            check=True,
            env=_AS_INSTALLED,
        )
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return round(statistics.median(runs), 3)


def main() -> None:
    if sys.argv[1:2] == ["--startup-only"]:
        app = sys.argv[2] == "app"
        measured = asyncio.run(measure(False) if app else measure_baseline(False))
        print(measured["startup_s" if app else "baseline_startup_s"])
        return
    result = asyncio.run(measure())
    result.update(asyncio.run(measure_baseline()))
    result["startup_s"] = cold_startup_s("app")
    result["baseline_startup_s"] = cold_startup_s("baseline")
    result["import_s"] = import_seconds("programmer_tui.app")
    result["baseline_import_s"] = import_seconds("textual.app, textual.widgets")
    for prefix in ("", "baseline_"):  # from the shell: import, then to the dashboard
        result[f"{prefix}launch_s"] = round(
            result[f"{prefix}import_s"] + result[f"{prefix}startup_s"], 3
        )
    for name in ("key_to_paint_ms", "key_to_paint_p95_ms", "startup_s", "import_s", "launch_s"):
        result[f"{name.removesuffix('_ms').removesuffix('_s')}_over_baseline"] = round(
            result[name] / result[f"baseline_{name}"], 2
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
