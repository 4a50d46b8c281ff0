"""The programmer served to a real browser (`pump-programmer --web`), used with keys a browser
leaves alone: a page opens the programmer, which connects to a pump served on a TCP port; the
Clock tab (key 9), a date typed, its review (Enter) and confirmation (ctrl+y) set the pump's
clock. The page draws the terminal on a canvas, so what happened is read from the pump itself
once the page has let it go, and a screenshot is kept."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import serial
from playwright.sync_api import Page

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.session.security import DeviceKey

from serving import free_port, pumpsim_serve, started


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
            page.goto(url)
            page.wait_for_selector("canvas", timeout=20_000)
            for _ in range(200):  # the page's programmer has started and connected to the pump
                if "connection from" in served.text:
                    break
                time.sleep(0.1)
            time.sleep(3)  # and drawn its dashboard
            page.mouse.click(640, 400)  # the terminal takes the keyboard
            page.keyboard.press("9")  # the Clock tab (F10 would be the browser's)
            time.sleep(1)
            page.keyboard.press("Tab")
            page.keyboard.type("2026-03-01 09:30")
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")  # Review and set...
            time.sleep(1.5)
            page.keyboard.press("Control+y")  # confirm
            time.sleep(2)
            SCREENSHOTS.mkdir(exist_ok=True)  # kept, pass or fail (ignored by git)
            page.screenshot(path=str(SCREENSHOTS / "served-programmer.png"))
            page.close()  # the page's programmer ends, and lets the pump go
        time.sleep(1)
        line = serial.serial_for_url(address, timeout=0.01)
        try:
            client = PumpClient(line, DeviceKey.load(key))
            client.connect()
            status = client.read_status()
            client.close()
        finally:
            line.close()
        assert status.clock_offset_s != 0.0, "the clock set in the browser never reached the pump"
        shown = status.at_s + status.clock_offset_s  # 2026-03-01 09:30, from 2026-01-05 00:00
        assert abs(shown - (55 * 86400 + 9.5 * 3600)) < 120
