"""Progress for long commands: drawn by rich, on a terminal only, and never with --quiet.

Why rich: it is already installed (Textual uses it) and handles terminal width, redraws and
non-terminals; a hand-drawn bar printed carriage returns into log files.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

Update = Callable[[int, int], None]


@contextlib.contextmanager
def progress(label: str, quiet: bool = False) -> Iterator[Update | None]:
    """A callback `update(done, total)`, or None when there is nobody to show it to."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
