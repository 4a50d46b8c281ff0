"""The virtual patient in a few lines of text: each drug's exposure against its therapy band, the
signs present now. For the Simulator tab only: the pump cannot know its patient, so neither the
clinician's nor the patient's views show any of this.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from firmware_protocol.wire import messages as m

SCALE_X = 2.5  # the bar's right end, in multiples of the patient's baseline
WIDTH = 30
_STYLE = {"mild": "yellow", "serious": "dark_orange", "life-threatening": "bold red"}


def bar(e: m.ExposureSpec) -> Text:
    """'baclofen    0.03x ▕█·····│▓▓▓▓▓▓│··········▏ below the band'"""
    cells = []
    low = round(e.band_low / SCALE_X * WIDTH)
    high = round(e.band_high / SCALE_X * WIDTH)
    filled = round(min(e.exposure, SCALE_X) / SCALE_X * WIDTH)
    for i in range(WIDTH):
        inside = low <= i < high
        cells.append(("█" if i < filled else ("░" if inside else "·"), "green" if inside else ""))
    where = (
        "below the band"
        if e.exposure < e.band_low
        else "above the band"
        if e.exposure >= e.band_high
        else "in the band"
    )
    out = Text(f"{e.drug:13} {e.exposure:5.2f}x ▕")
    for char, style in cells:
        out.append(char, style=style)
    out.append(f"▏ {where}", style="" if where == "in the band" else "bold")
    return out


def signs(report: m.SimPatient, when: Callable[[float], str]) -> list[Text]:
    """One line a sign now present; `when(at_s)` formats a time as the app shows its clock."""
    if not report.signs_now:
        return [Text("No sign now.", style="dim")]
    lines = []
    for s in report.signs_now:
        line = Text("● ", style=_STYLE.get(s.severity, ""))
        line.append(f"{s.sign.replace('_', ' ')} ({s.drug}), {s.severity}", style="bold")
        line.append(f" since {when(s.since_s)}: {s.words}")
        lines.append(line)
    return lines
