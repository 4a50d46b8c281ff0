"""The programmer served to a real browser (`pump-programmer --web`), used with keys a browser
leaves alone: a page opens the programmer, which connects to a pump served on a TCP port; the
Clock tab (key 9), a date typed, its review (Enter) and confirmation (ctrl+y) set the pump's
clock. Each step waits until the page has drawn what it leads to (read from the terminal's output on
its websocket, as the page draws on a canvas), and what happened is read from the pump itself
once the page has let it go; a screenshot is kept."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import serial
from served_terminal import ServedTerminal

from firmware_protocol.client.errors import ClientError
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.line.transport import close_port
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire.messages import Status

from serving import free_port, pumpsim_serve, started

if TYPE_CHECKING:  # the browser tests import playwright only when they run
    from playwright.sync_api import Page


@contextlib.contextmanager
def _web(*args: str) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "programmer_tui.main", "--web", "--web-port", str(port), *args]
    proc, _, drain = started(argv, "in a browser", port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drain.join(5)
        assert proc.stdout is not None
        proc.stdout.close()


def _status_once_free(address: str, key: Path, timeout_s: float = 15.0) -> Status:
    """The pump's status, read as soon as the page's programmer has let the pump go (a pump
    takes one programmer at a time)."""
    deadline = time.monotonic() + timeout_s
    while True:
        line = serial.serial_for_url(address, timeout=0.01)
        try:
            client = PumpClient(line, DeviceKey.load(key))
            client.connect()
            status = client.read_status()
            client.close()
            return status
        except ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            close_port(line)  # a refused line's socket too


SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_a_browser_sets_the_pumps_clock_with_keys_it_leaves_alone(
    chromium_page: Page, tmp_path: Path
) -> None:
    page = chromium_page
    keys = tmp_path / "keys"
    with pumpsim_serve("--tcp", "0", "--simulator", "--paused", "--keys", str(keys)) as served:
        address = served.address
        key = keys / "simulator.key"
        with _web("--port", address, "--role", "simulator", "--key", str(key)) as url:
            term = ServedTerminal(page)
            page.goto(url)
            term.wait_for("Connected to", "as simulator")  # its dashboard, connected to the pump
            page.mouse.click(640, 400)  # the terminal takes the keyboard
            mark = term.mark()
            page.keyboard.press("9")  # the Clock tab (F10 would be the browser's)
            term.wait_for("Set to (YYYY-MM-DD HH:MM)", since=mark)
            page.keyboard.press("Tab")
            page.keyboard.type("2026-03-01 09:30")
            page.keyboard.press("Tab")
            mark = term.mark()
            page.keyboard.press("Enter")  # Review and set...
            term.wait_for("Set the pump's clock", "(ctrl+y)", since=mark)
            mark = term.mark()
            page.keyboard.press("Control+y")  # confirm
            term.wait_for("The pump's clock is set", since=mark)
            SCREENSHOTS.mkdir(exist_ok=True)  # kept, pass or fail (ignored by git)
            page.screenshot(path=str(SCREENSHOTS / "served-programmer.png"))
            page.close()  # the page's programmer ends, and lets the pump go
        status = _status_once_free(address, key)
        assert status.clock_offset_s != 0.0, "the clock set in the browser never reached the pump"
        shown = status.at_s + status.clock_offset_s  # 2026-03-01 09:30, from 2026-01-05 00:00
        assert abs(shown - (55 * 86400 + 9.5 * 3600)) < 120
