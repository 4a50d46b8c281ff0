"""The class debrief: every seat's debrief as the trainer mode writes it, side by side, on one
self-contained HTML page (no script, nothing fetched: it can be saved, mailed, printed)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from programmer_tui import format as fmt
from programmer_tui.training import Debrief
from pumpsim_classroom.pages import DISCLAIMER, STYLE

COLUMNS_STYLE = """
.seats { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
.seat { background: white; border: 1px solid #c9d3d9; padding: .8rem; }
.seat h2 { font-size: 1.1rem; margin: 0 0 .5rem; } .ok { color: #176a2c; } .no { color: #a00; }
ul { padding-left: 1.1rem; margin: .3rem 0; }
"""


def seat_section(number: int, debrief: Debrief, notes: Sequence[str]) -> str:
    verdict = "all expectations met" if debrief.passed else "some expectations not met"
    lines = "".join(
        f"<li class='{'ok' if ok else 'no'}'>{'✓' if ok else '✗'} {escape(text)}</li>"
        for ok, text in debrief.lines
    )
    doses = ", ".join(f"{d} {fmt.dose(d, mcg)}" for d, mcg in debrief.delivered.items())
    patient = ""
    if debrief.patient:
        head, *story = debrief.patient
        patient = (
            "<h3>Virtual patient (illustrative, vs its own baseline)</h3>"
            f"<p>{escape(head)}</p><ul>"
            + "".join(f"<li>{escape(line)}</li>" for line in story)
            + "</ul>"
        )
    happened = "".join(f"<li>{escape(n)}</li>" for n in notes) or "<li>nothing injected</li>"
    return (
        f"<section class='seat' id='seat-{number}'><h2>Seat {number}: {escape(verdict)}</h2>"
        f"<ul>{lines or '<li>no expectation</li>'}</ul>"
        f"<p>Alarms raised: {escape(', '.join(debrief.alarms_seen) or 'none')}<br>"
        f"Alarms acknowledged: {escape(', '.join(debrief.alarms_acknowledged) or 'none')}<br>"
        f"Refill verdicts: {escape(', '.join(debrief.verdicts) or 'no refill done')}<br>"
        f"Delivered to the spine: {escape(doses or 'nothing')}</p>{patient}"
        f"<h3>What the scenario and the instructor did</h3><ul>{happened}</ul></section>"
    )


def class_debrief(
    scenario: str, seats: Sequence[tuple[int, Debrief, Sequence[str]]], written_at: str
) -> str:
    passed = sum(d.passed for _, d, _ in seats)
    sections = "".join(seat_section(n, d, notes) for n, d, notes in seats)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Class debrief: {escape(scenario)}</title>"
        f"<style>{STYLE}{COLUMNS_STYLE}</style></head><body>"
        f"<h1>Class debrief: {escape(scenario)}</h1>"
        f"<p>{len(seats)} seats; {passed} met every expectation. Written {escape(written_at)}.</p>"
        f"<div class='seats'>{sections}</div>"
        f"<p class='muted'>{escape(DISCLAIMER)}</p></body></html>"
    )
