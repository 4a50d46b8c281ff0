"""Event log: downloaded in the background with progress, checked against the pump's signature,
filtered, paged, exported to CSV (for people) and JSON (with its seal, for `pumpsim verify-log`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, Static

from firmware_protocol.client.pump_client import SealedLog
from firmware_protocol.session import log_seal
from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.panes.common import Pane, PumpCall
from pumpsim import LogKind
from pumpsim.domain.clock import offsets_as_written
from pumpsim.units import SECONDS_PER_DAY

PAGE = 100


class EventLogPane(Pane, Vertical):
    def __init__(self, export_dir: Path) -> None:
        super().__init__()
        self.export_dir = export_dir
        self.records: list[m.LogRecordSpec] = []
        self.sealed: SealedLog | None = None
        self.page = 0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Button("Download log", id="log-download", variant="primary", compact=True)
            yield Select(
                [("all kinds", "")] + [(k.value, k.value) for k in LogKind],
                value="",
                allow_blank=False,
                id="log-kind",
                compact=True,
            )
            yield Label("days")
            yield Input("", placeholder="from", id="log-from", compact=True)
            yield Input("", placeholder="to", id="log-to", compact=True)
        yield ProgressBar(show_eta=False, id="log-progress")
        yield Static("", id="log-verified")
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="row"):
            yield Button("◀ newer", id="log-prev", compact=True)
            yield Static("", id="log-page")
            yield Button("older ▶", id="log-next", compact=True)
            yield Button("Export CSV + JSON", id="log-export", compact=True)

    def on_mount(self) -> None:
        self.query_one("#log-table", DataTable).add_columns("#", "time", "kind", "details")

    def _offsets(self) -> dict[int, float]:
        """Each record's clock offset as it was when written (the log keeps running time)."""
        now = self.view.status.clock_offset_s if self.view.status else 0.0
        pairs = [(r.kind, json.loads(r.details_json)) for r in self.records]
        return {
            r.index: o for r, o in zip(self.records, offsets_as_written(pairs, now), strict=True)
        }

    def filtered(self) -> list[m.LogRecordSpec]:
        kind = str(self.query_one("#log-kind", Select).value)
        try:
            lo = float(self.query_one("#log-from", Input).value) * SECONDS_PER_DAY
        except ValueError:
            lo = float("-inf")
        try:
            hi = float(self.query_one("#log-to", Input).value) * SECONDS_PER_DAY
        except ValueError:
            hi = float("inf")
        return [
            r for r in reversed(self.records) if (not kind or r.kind == kind) and lo <= r.at_s <= hi
        ]

    def show_page(self) -> None:
        rows = self.filtered()
        pages = max(1, -(-len(rows) // PAGE))
        self.page = min(max(self.page, 0), pages - 1)
        table = self.query_one("#log-table", DataTable)
        table.clear()
        offsets = self._offsets()
        for r in rows[self.page * PAGE : (self.page + 1) * PAGE]:
            details = ", ".join(f"{k}={v}" for k, v in json.loads(r.details_json).items())
            table.add_row(str(r.index), fmt.when(r.at_s, offsets[r.index]), r.kind, details)
        self.query_one("#log-page", Static).update(
            f"page {self.page + 1}/{pages} · {len(rows)} records"
        )

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.page = 0
        self.show_page()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.page = 0
        self.show_page()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "log-download":
            bar = self.query_one("#log-progress", ProgressBar)
            bar.update(total=None, progress=0)

            def progress(done: int, total: int) -> None:
                self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

            self.post_message(
                PumpCall(
                    lambda pump: pump.read_sealed_log(progress),
                    done=self._downloaded,
                    refresh=False,
                )
            )
        elif event.button.id == "log-next":
            self.page += 1
            self.show_page()
        elif event.button.id == "log-prev":
            self.page -= 1
            self.show_page()
        elif event.button.id == "log-export":
            self.export()

    def _downloaded(self, sealed: SealedLog) -> None:
        self.sealed = sealed
        self.records = list(sealed.page.records)
        verdict = sealed.verdict
        line = self.query_one("#log-verified", Static)
        if verdict is None:
            line.update(
                "Not checked: this device key does not know the pump's signing key "
                "(paired before 0.2: pair it again)."
            )
        elif verdict.verified:
            line.update(f"Log verified: {verdict.records} records, signed by the pump.")
        else:
            line.update(f"LOG {verdict}: do not rely on it; keep the pump for investigation.")
        line.set_class(verdict is not None and not verdict.verified, "critical")
        bar = self.query_one("#log-progress", ProgressBar)
        bar.update(total=1, progress=1)
        self.page = 0
        self.show_page()

    def export(self) -> None:
        status = self.view.status
        path = self.export_dir / f"{status.pump_id if status else 'pump'}-event-log.csv"
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["index", "sim_time_s", "time", "kind", "details"])
            offsets = self._offsets()
            for r in sorted(self.filtered(), key=lambda r: r.index):
                when = fmt.when(r.at_s, offsets[r.index])
                writer.writerow([r.index, r.at_s, when, r.kind, r.details_json])
        exported = f"Exported {len(self.filtered())} records to {path}"
        sealed = self.sealed
        if sealed is not None and sealed.seal is not None:
            signed = path.with_suffix(".json")
            pump_id = status.pump_id if status else ""
            data = log_seal.export(pump_id, list(sealed.page.records), sealed.seal)
            signed.write_text(json.dumps(data, indent=1) + "\n")
            exported += f", and the whole log with its seal to {signed.name}"
        self.notify(exported)
