"""`pumpsim serve` and `pumpsim classroom` in a subprocess for the wall-clock drivers' tests:
started, read, and cleaned up (stopped, reaped, the pipe drained and closed, so no test leaks a
file)."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
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


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server told its port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ClassServed:
    proc: subprocess.Popen[str]
    base: str  # http://127.0.0.1:PORT
    port: int
    code: str  # the class code as printed (with its dash)
    console: str  # the console's URL
    lines: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """Ctrl-C, as a trainer ends the class; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def started(
    argv: list[str], ready: str, port: int
) -> tuple[subprocess.Popen[str], list[str], threading.Thread]:
    """A server in a subprocess, read until it prints a line with `ready`, then until `port`
    listens; what it prints goes on into the list, read by the thread returned (the caller
    stops the server, joins the thread, then closes the pipe)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if ready in line:
            break
    drain = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    drain.start()
    for _ in range(100):  # until aiohttp listens
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            break
        time.sleep(0.1)
    return proc, lines, drain


@contextlib.contextmanager
def pumpsim_classroom(*args: str) -> Iterator[ClassServed]:
    """`pumpsim classroom` in a subprocess, listening; stopped with Ctrl-C at the end."""
    port = free_port()
    argv = [sys.executable, "-m", "pumpsim_cli.main", "classroom", "--port", str(port), *args]
    proc, lines, drain = started(argv, "Ctrl-C", port)
    text = "".join(lines)
    code, console = re.search(r"class code (\S+)", text), re.search(r"console: (\S+)", text)
    try:
        assert code is not None, text
        assert console is not None, text
        url = console.group(1).replace("localhost", "127.0.0.1")
        yield ClassServed(proc, f"http://127.0.0.1:{port}", port, code.group(1), url, lines)
    finally:
        served_ok = ClassServed(proc, "", port, "", "", lines).stop()
        drain.join(5)
        assert proc.stdout is not None
        proc.stdout.close()
        assert served_ok == 0, "".join(lines)
