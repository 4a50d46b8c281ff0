"""What a served terminal (textual-serve) has drawn in a browser page, as text a test can wait on.

Why: the page draws the terminal on a canvas, so its words cannot be read from the DOM; a test
that cannot read the screen can only sleep and hope, and pays the full sleep every run. The app's
output reaches the page over its websocket as the bytes a terminal would get; this keeps them,
with the escape sequences taken out, so a test waits until a word has been drawn and no longer.
"""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the browser tests import playwright only when they run
    from playwright.sync_api import Page


# CSI and OSC sequences, and the other two-byte escapes a terminal's output holds.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


class ServedTerminal:
    """Listens to every websocket the page opens (call before `page.goto`)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._chunks: list[str] = []
        self._lock = threading.Lock()
        page.on("websocket", self._opened)

    def _opened(self, ws: Any) -> None:
        ws.on("framereceived", self._received)

    def _received(self, payload: Any) -> None:
        raw = payload if isinstance(payload, bytes | bytearray) else str(payload).encode()
        text = _ESCAPES.sub("", raw.decode("utf-8", errors="replace"))
        with self._lock:
            self._chunks.append(text)

    def text(self, since: int = 0) -> str:
        """Everything drawn since mark `since` (0: since the page opened)."""
        with self._lock:
            return "".join(self._chunks[since:])

    def mark(self) -> int:
        """A point to wait from, so that a word drawn before it does not count."""
        with self._lock:
            return len(self._chunks)

    def wait_for(self, *words: str, since: int = 0, timeout_s: float = 30.0) -> None:
        """Until every one of `words` has been drawn since `since` (playwright's events are
        delivered while the page is waited on, so this waits on the page, not on a sleep)."""
        deadline = time.monotonic() + timeout_s
        while True:
            drawn = self.text(since)
            missing = [w for w in words if w not in drawn]
            if not missing:
                return
            if time.monotonic() > deadline:
                tail = drawn[-600:]
                raise AssertionError(f"not drawn in {timeout_s} s: {missing}; last drawn: {tail!r}")
            self.page.wait_for_timeout(50)
