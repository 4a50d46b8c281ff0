"""`pumpsim serve` in a subprocess for the wall-clock driver's tests: started, read, and cleaned up
(killed, reaped, its pipe drained and closed, so no test leaks a file)."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Served:
    proc: subprocess.Popen[str]
    address: str  # what the server printed after "serving on"
    lines: list[str] = field(default_factory=list)  # everything it printed so far

    @property
    def text(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def pumpsim_serve(*args: str) -> Iterator[Served]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pumpsim_cli.main", "serve", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    served = Served(proc, "")
    for line in proc.stdout:
        served.lines.append(line)
        found = re.search(r"serving on (\S+)", line)
        if found:
            served.address = found.group(1)
            break
    drain = threading.Thread(target=lambda: served.lines.extend(proc.stdout or ()), daemon=True)
    drain.start()
    try:
        assert served.address, f"the server did not start: {served.text}"
        yield served
    finally:
        proc.kill()
        proc.wait()
        drain.join(5)
        proc.stdout.close()
