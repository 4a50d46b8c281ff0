"""Telemetry: reservoir, delivered dose per hour and battery, plotted over a chosen window."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ProgressBar, Select, Static
from textual_plotext import PlotextPlot

from firmware_protocol.client.pump_client import Trend
from programmer_tui.panes.common import Pane, PumpCall
from pumpsim.units import SECONDS_PER_DAY

WINDOWS = ((1, "last day"), (7, "last week"), (30, "last 30 days"), (90, "last 90 days"))


class TelemetryPane(Pane, Vertical):
    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Select(
                [(label, d) for d, label in WINDOWS],
                value=7,
                allow_blank=False,
                id="trend-window",
                compact=True,
            )
            yield Button("Download trend", id="trend-download", variant="primary", compact=True)
            yield ProgressBar(show_eta=False, id="trend-progress")
        yield Static("", id="trend-summary")
        yield PlotextPlot(id="plot-reservoir")
        yield PlotextPlot(id="plot-dose")
        yield PlotextPlot(id="plot-battery")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        status = self.view.status
        if event.button.id != "trend-download" or status is None:
            return
        days = int(str(self.query_one("#trend-window", Select).value))
        end = status.at_s
        start = max(0.0, end - days * SECONDS_PER_DAY)
        bar = self.query_one("#trend-progress", ProgressBar)
        bar.update(total=None, progress=0)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

        self.post_message(
            PumpCall(
                lambda pump: pump.read_trend(start, end, progress), done=self.plot, refresh=False
            )
        )

    def plot(self, trend: Trend) -> None:
        self.query_one("#trend-progress", ProgressBar).update(total=1, progress=1)
        days = (
            trend.hour_start_s - (trend.hour_start_s[0] if len(trend.hour_start_s) else 0)
        ) / SECONDS_PER_DAY
        x = days.tolist()
        drug, mcg = next(iter(trend.delivered_mcg.items()), ("", None))
        series = (
            ("plot-reservoir", "reservoir (mL, pump's reckoning)", trend.reservoir_ml.tolist()),
            (
                "plot-dose",
                f"{drug or 'drug'} delivered per hour (mcg)",
                mcg.tolist() if mcg is not None else [],
            ),
            ("plot-battery", "battery (mAh)", trend.battery_mah.tolist()),
        )
        for ident, title, y in series:
            widget = self.query_one(f"#{ident}", PlotextPlot)
            plt = widget.plt
            plt.clear_data()
            plt.title(title)
            plt.xlabel("days into window")
            if y:
                plt.plot(x, y, marker="braille")
            widget.refresh()
        total = float(mcg.sum()) if mcg is not None else 0.0
        self.query_one("#trend-summary", Static).update(
            f"{len(x)} hours · delivered {trend.delivered_ml.sum():.3f} mL"
            + (f" · {drug} {total:.4g} mcg" if drug else "")
        )
