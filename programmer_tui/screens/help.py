"""Help: the keys, and what each tab is for."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# Pump programmer

A simulator for engineering, testing and training — **not a medical device**, no dosing advice.

| key | does |
|---|---|
| F2-F10, or 1-9 | Dashboard, Program, Bolus, Refill, MRI, Event log, Telemetry, Simulator, Clock |
| i | interrogate the pump now |
| a | acknowledge alarms |
| r | reconnect after a lost link |
| ctrl+p, or : | command palette |
| tab / shift+tab | move between fields (digits then type into the field) |
| ctrl+y | confirm in a review |
| esc | cancel a review, close this help |
| q | quit |

Every change goes through a review showing the program in force and the new one side by side;
nothing reaches the pump before you confirm. The pump validates every command itself and
refuses what its rules forbid, with a code. Past a soft limit (a dose or a step up that the drug's
titration rules warn about) the review lists the pump's warnings; confirming needs the override
ticked, and the pump logs it. Keys are taken in the order typed, however fast.

In a browser (`pump-programmer --web`, or a seat of `pumpsim classroom`) the function keys and
ctrl+p belong to the browser (F5 reloads the page): use 1-9 for the tabs (the footer says so
there), ? for this help, : for the command palette, or the mouse.

A **STALE** mark means the status shown is more than five seconds old (or the link is down).
If a reply was lost, the programmer reconnects and asks the pump whether the command was applied;
it never sends it twice.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,q,f1,question_mark", "close", "Close")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
