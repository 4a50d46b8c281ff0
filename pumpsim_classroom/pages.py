"""The classroom's own pages: the door (the class code), the plain refusals, and the console.

Why plain server-made HTML and a little script: the trainees' pages are textual-serve's terminal;
these few pages need no framework, load from 127.0.0.1 with nothing fetched from elsewhere, and
their text is real text (a test reads it, a screen reader reads it).
"""

from __future__ import annotations

import json
from html import escape

from pumpsim_classroom.console_script import CONSOLE_SCRIPT

DISCLAIMER = (
    "A simulator for training: not a medical device. The virtual patients are illustrative, "
    "judged against their own baselines; nothing here is dosing advice."
)
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #16232b; background: #f6f8f9; }
h1 { font-size: 1.4rem; } .muted { color: #52616b; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; background: white; }
th, td { border: 1px solid #c9d3d9; padding: .35rem .5rem; text-align: left; vertical-align: top;
  font-size: .9rem; }
th { background: #e4eaee; } .alarm { color: #a00; font-weight: 600; }
.harm-serious, .harm-life-threatening { color: #a00; font-weight: 600; }
.harm-mild { color: #8a5a00; } fieldset { margin: .8rem 0; background: white; }
button, select, input { font-size: 1rem; margin: .2rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title><style>{STYLE}</style></head><body>{body}"
        f"<p class='muted'>{escape(DISCLAIMER)}</p></body></html>"
    )


def door(seats: int, scenario: str) -> str:
    """Where a trainee starts: the class code, and the next free seat (or one by number)."""
    return _page(
        "Pump programmer class",
        f"<h1>Pump programmer class: {escape(scenario)}</h1>"
        "<form action='/join' method='get'>"
        "<label>Class code <input name='code' autocomplete='off' autofocus required></label>"
        f"<label> Seat <select name='seat'><option value=''>next free</option>"
        + "".join(f"<option>{n}</option>" for n in range(1, seats + 1))
        + "</select></label> <button type='submit'>Take a seat</button></form>",
    )


def refusal(title: str, text: str) -> str:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href='/'>Back</a></p>")


def wrong_code() -> str:
    return refusal(
        "Not this class's code", "That code does not open this class. Ask your instructor."
    )


def seat_taken(seat: int) -> str:
    return refusal(
        f"Seat {seat} is taken", f"Another browser holds seat {seat}. Choose another seat."
    )


def not_the_console() -> str:
    return refusal("Not the console", "That is not this class's console address.")


def no_free_seat() -> str:
    return refusal("No free seat", "Every seat of this class is taken. Ask your instructor.")


def no_such_seat(seat: str) -> str:
    return refusal("No such seat", f"This class has no seat {seat}.")


def console(token: str, scenario: str, code_shown: str, faults: list[str]) -> str:
    """The instructor's console: every seat at a glance, refreshed every two seconds."""
    options = "".join(f"<option>{escape(f)}</option>" for f in faults)
    body = f"""
<h1>Instructor console: {escape(scenario)}</h1>
<p>Class code <strong id='code'>{escape(code_shown)}</strong>. Trainees open this server's
address and enter it. <span id='clock' class='muted'></span></p>
<fieldset><legend>Class clock</legend>
<button id='run'>Run</button><button id='pause'>Pause</button>
<label>Speed <select id='speed'><option value='60'>1 min/s</option>
<option value='3600' selected>1 h/s</option><option value='86400'>1 day/s</option></select></label>
<button id='set-speed'>Set speed</button>
<button id='step-hour'>Step 1 h</button><button id='step-day'>Step 1 day</button></fieldset>
<fieldset><legend>Inject a fault</legend>
<label>Seat <select id='fault-seat'><option value='all'>all seats</option></select></label>
<label>Fault <select id='fault'>{options}</select></label>
<button id='inject'>Inject now</button></fieldset>
<fieldset><legend>End</legend><button id='end'>End the session and write the debrief</button>
<a id='debrief-link' href='/console/{escape(token)}/debrief' hidden>Class debrief</a></fieldset>
<p id='said' role='status'></p>
<table><thead><tr><th>Seat</th><th>Trainee</th><th>Pump time</th><th>Program</th>
<th>Reservoir</th><th>Alarms</th><th>Patient (vs own baseline)</th><th>Scenario</th>
<th>Latest</th></tr></thead><tbody id='seats'></tbody></table>
<script>const TOKEN = {json.dumps(token)};</script><script>{CONSOLE_SCRIPT}</script>
"""
    return _page("Instructor console", body)
