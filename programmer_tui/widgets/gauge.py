"""A level gauge: how full a reservoir or a battery is, drawn once, never animated.

Why not Textual's ProgressBar: that widget is for work in progress. With no total it animates a
full, moving bar, which over an empty new pump (a refill in progress) read as a full reservoir;
and three widgets and a timer apiece were a fifth of the dashboard's start-up. A level is a
fraction, and an empty one must look empty.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class Gauge(Widget):
    """`fraction` of the width filled (0 to 1; None: not known yet, drawn as a dotted line)."""

    DEFAULT_CSS = """
    Gauge { height: 1; width: 1fr; }
    Gauge > .gauge--filled { color: $accent; }
    Gauge > .gauge--empty { color: $foreground 30%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"gauge--filled", "gauge--empty"}

    fraction: reactive[float | None] = reactive(None)

    def set_level(self, value: float, full: float) -> None:
        self.fraction = min(1.0, max(0.0, value / full)) if full > 0 else 0.0

    def render(self) -> Text:
        width = max(1, self.size.width)
        if self.fraction is None:
            return Text("┄" * width, style=self.get_component_rich_style("gauge--empty"))
        filled = round(self.fraction * width)
        if self.fraction > 0 and filled == 0:
            filled = 1  # a drop left still shows
        text = Text("█" * filled, style=self.get_component_rich_style("gauge--filled"))
        text.append("░" * (width - filled), style=self.get_component_rich_style("gauge--empty"))
        return text
