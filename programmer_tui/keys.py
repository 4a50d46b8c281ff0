"""Keys are handled one at a time, each to its end before the next is read.

Textual reads a key, hands it to the focused widget's queue and reads the next one at once; a key
the widget does not take itself goes back up to the app, which then looks up its binding against
whatever has focus *by then*. Keys typed ahead of the screen (a fast typist, a terminal that
delivers a burst in one read) therefore land out of order: "Tab Tab 7" put the 7 nowhere, "space,
Tab" ticked the next box instead of this one, and a Backspace bound in the dose field could delete
in the field after it (Textualize/textual#6605 is the same bug for Input's own keys). A dose typed
into the wrong field is not a cosmetic fault, so this app waits: a key is finished when a widget
stops it or when it has come back to the app and its binding has run; keys that arrive meanwhile
wait in line, in order. A key whose widget goes away before finishing it is given up on after
`STUCK_AFTER_S`, so that one lost key cannot stop the keyboard.

It reads two private attributes of Textual's messages (`_parent`, `_stop_propagation`); Textual
is pinned (constraints.txt), and tests/programmer_tui/test_tui_keys.py fails if they stop meaning
what they do.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

STUCK_AFTER_S = 0.5


class OneKeyAtATimeApp(App[Any]):
    # In a browser (pump-programmer --web) ctrl+p prints the page: ":" opens the palette too.
    COMMAND_PALETTE_BINDING = "ctrl+p,colon"
    COMMAND_PALETTE_DISPLAY = ":"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._key_in_flight: events.Key | None = None
        self._keys_waiting: deque[events.Key] = deque()

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)  # not a key, or a key coming back to the app
            return
        self._keys_waiting.append(event)
        await self._next()

    async def _next(self) -> None:
        if self._key_in_flight is not None or not self._keys_waiting:
            return
        key = self._keys_waiting.popleft()
        self._key_in_flight = key
        target: MessagePump = self.focused or self.screen  # where Textual forwards it
        await super().on_event(key)
        if not key.is_forwarded:  # taken by a priority binding, here and now
            await self._finished(key)
        else:
            target.call_later(self._follow, key, target)
            self.set_timer(STUCK_AFTER_S, lambda: self._finished(key))

    async def _follow(self, key: events.Key, node: MessagePump) -> None:
        """Called on `node` after it handled `key`: done if stopped, else next up the DOM."""
        parent = node._parent
        # A screen marks a key stopped as it hands it to the app (Textual stops a message after
        # its sender's child), so below the app "stopped" means a widget took it; at the screen
        # the key may still be on its way to the app, whose turn comes after it either way.
        if node is self or parent is None or (key._stop_propagation and parent is not self):
            await self._finished(key)
        else:
            parent.call_later(self._follow, key, parent)

    async def _finished(self, key: events.Key) -> None:
        """`key` is done (or given up on as stuck): read the next one."""
        if self._key_in_flight is key:
            self._key_in_flight = None
            await self._next()
