"""A footer that rebuilds itself once per burst of binding changes.

Textual's Footer recomposes every time the screen's bindings change, and a tab switch changes them
two or three times (focus leaves the old pane, lands on the tab bar): each recompose mounts a dozen
keys and restyles them, which was most of a tab switch's cost. Coalescing the burst into one
rebuild after the next refresh shows the same keys, sooner.

Served to a browser (`--web`, a classroom seat) the footer also names the tab keys, 1-9: the
function keys that the terminal's footer leaves implicit belong to the browser there.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class CoalescingFooter(Footer):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_pending:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        if self.app.is_web and keys:
            self.styles.grid_size_columns = (self.styles.grid_size_columns or 0) + 1
            yield FooterKey("1", "1-9", "Tabs", "show_tab('dashboard')", classes="served-tab-keys")
        yield from keys

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
