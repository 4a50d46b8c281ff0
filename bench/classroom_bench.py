"""Benchmark of the classroom: 30 seats driven from headless Chromium pages on this machine.

A class is served (`pumpsim classroom --seats 30`, in its own process, as a trainer starts it) and
one Chromium opens a page per seat, one after the other, each through the door with the class
code. Printed as one JSON object (the last line):

- memory: proportional set size (PSS) of the server (its 30 pumps), of the programmer processes
  it started (one a page), and of Chromium, in MiB; `per_seat_mib` is the server's and the
  programmers' together over the seats (the browser runs on the trainees' machines in a real
  class);
- open_to_dashboard_s (median, worst): from asking for a seat to its programmer holding the
  seat's telemetry session and its first screen in the page (textual-serve marks the page on its
  first bytes);
- key_to_paint_ms: a tab key pressed in a page to the first bytes of the repaint reaching it and
  the next animation frame (a WebSocket hook in the page), median over `KEYS` presses on 5 seats
  while all 30 are open; `terminal_key_to_paint_ms` is the same programmer on a pseudo-terminal
  (a key written, to its repaint's first bytes) against the same pump; the ratio of the two;
- console_refresh_ms: the class loop's pass over every seat (scenario turn and glance), and
  console_state_ms the console's state request, medians over `POLLS` refreshes.

Run: python bench/classroom_bench.py [--seats 30] [--screenshots DIR]; it needs Chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

KEYS = 20
POLLS = 10
HOOK = """
window.__wsIn = [];
window.__keyAt = [];
document.addEventListener('keydown', () => window.__keyAt.push(performance.now()), true);
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('message', () => window.__wsIn.push(performance.now()));
  return ws;
};
window.WebSocket.prototype = Native.prototype;
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pss_mib(pids: set[int]) -> float:
    """Proportional set size: each shared page counted once over the processes sharing it, so
    the sum over many processes (Chromium's, the programmers') is what they really hold."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def _children(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier}
        found |= frontier
    return found


@contextlib.contextmanager
def _class(seats: int) -> Iterator[tuple[subprocess.Popen[str], str, str, str]]:
    port = _free_port()
    command = ["classroom", "--seats", str(seats), "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pumpsim_cli.main", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    text = ""
    for line in proc.stdout:
        text += line
        if "Ctrl-C" in line:
            break
    code = re.search(r"class code (\S+)", text)
    token = re.search(r"console/(\S+)", text)
    assert code is not None, text
    assert token is not None, text
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            break
        time.sleep(0.1)
    try:
        yield proc, base, code.group(1), f"{base}/console/{token.group(1)}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdout.close()


def _state(console: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{console}/state", timeout=30) as r:
        state = json.load(r)
    return state, (time.perf_counter() - started) * 1000


def _act(console: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{console}/action", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


def _browser_key_to_paint(page: Any) -> list[float]:
    """The key's own time in the page (its keydown), to the first bytes after it and a frame."""
    out = []
    for i in range(KEYS):
        keys = page.evaluate("window.__keyAt.length")
        page.keyboard.press("2" if i % 2 == 0 else "1")
        page.wait_for_function(
            f"window.__keyAt.length > {keys} && "
            f"window.__wsIn.some(t => t > window.__keyAt[{keys}])",
            timeout=10_000,
        )
        took = page.evaluate(
            "new Promise(r => requestAnimationFrame(() => {"
            f"  const k = window.__keyAt[{keys}];"
            "  r(window.__wsIn.find(t => t > k) - k); }))"
        )
        out.append(float(took))
        time.sleep(0.3)
    return out


def _terminal_key_to_paint(command: list[str]) -> list[float]:
    """The same programmer on a pseudo-terminal: a key written, to its repaint's first bytes."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the programmer, 120x40 like the pages
        os.environ["COLUMNS"], os.environ["LINES"] = "120", "40"
        os.execvp(command[0], command)
    out: list[float] = []
    try:
        deadline = time.monotonic() + 30
        seen = b""
        while b"Dashboard" not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                seen += os.read(fd, 65536)
        time.sleep(3)
        _drain(fd, 0.5)
        for i in range(KEYS):
            t0 = time.perf_counter()
            os.write(fd, b"2" if i % 2 == 0 else b"1")
            if select.select([fd], [], [], 10)[0]:
                out.append((time.perf_counter() - t0) * 1000)
            _drain(fd, 0.3)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return out


def _drain(fd: int, quiet_s: float) -> None:
    while select.select([fd], [], [], quiet_s)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--screenshots", type=Path, help="save the console and a seat here")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no Chromium here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with _class(args.seats) as (proc, base, code, console), sync_playwright() as p:
        time.sleep(2)
        server_alone_mib = _pss_mib({proc.pid})
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1100, "height": 720})
        context.add_init_script(HOOK)
        pages, opened = [], []
        for n in range(1, args.seats + 1):
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"{base}/join?code={code}&seat={n}")
            page.wait_for_selector("body.-first-byte", timeout=120_000)
            while not next(s for s in _state(console)[0]["seats"] if s["number"] == n)["connected"]:
                time.sleep(0.05)
            opened.append(time.perf_counter() - started)
            pages.append(page)
        time.sleep(5)  # every programmer settled into its polling
        children = _children(proc.pid)
        browser_pids = _children(os.getpid()) - children - {proc.pid}
        memory = {
            "server_mib": _pss_mib({proc.pid}),
            "server_before_seats_mib": server_alone_mib,
            "programmers_mib": _pss_mib(children),
            "chromium_mib": _pss_mib(browser_pids),
        }
        memory["per_seat_mib"] = round(
            (memory["server_mib"] + memory["programmers_mib"]) / args.seats, 1
        )
        if args.screenshots is not None:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            _act(console, {"inject": "total occlusion", "seat": "2"})
            time.sleep(3)
            pages[1].bring_to_front()
            pages[1].screenshot(path=str(args.screenshots / "seat-2.png"))
            view = context.new_page()
            view.set_viewport_size({"width": 1500, "height": 1400})
            view.goto(console)
            view.wait_for_selector(f"#seat-{args.seats}")
            view.screenshot(path=str(args.screenshots / "console.png"), full_page=True)
            view.close()
        _act(console, {"clock": "pause"})  # no repaint of a running clock among the keys'
        keys: list[float] = []
        for page in pages[:: max(1, args.seats // 5)][:5]:
            page.bring_to_front()
            page.mouse.click(500, 400)
            keys += _browser_key_to_paint(page)
        refresh, state_ms = [], []
        for _ in range(POLLS):
            state, ms = _state(console)
            refresh.append(state["refresh_ms"])
            state_ms.append(ms)
            time.sleep(1.0)
        # The terminal: the same programmer (seat 1's command, read from its live process) on
        # a pseudo-terminal against seat 1's pump, once its page has let the pump go.
        command = _programmer_command(proc.pid, seat=1)
        pages[0].close()
        time.sleep(2)
        terminal = _terminal_key_to_paint(command)
        browser.close()
    key_ms = statistics.median(keys)
    term_ms = statistics.median(terminal) if terminal else float("nan")
    print(
        json.dumps(
            {
                "seats": args.seats,
                "cpus": os.cpu_count(),
                **memory,
                "open_to_dashboard_s_median": round(statistics.median(opened), 2),
                "open_to_dashboard_s_worst": round(max(opened), 2),
                "key_to_paint_ms": round(key_ms, 1),
                "key_to_paint_p95_ms": round(sorted(keys)[int(0.95 * len(keys))], 1),
                "terminal_key_to_paint_ms": round(term_ms, 1),
                "browser_over_terminal": round(key_ms / term_ms, 2),
                "console_refresh_ms": round(statistics.median(refresh), 1),
                "console_state_ms": round(statistics.median(state_ms), 1),
            }
        )
    )


def _programmer_command(server_pid: int, seat: int) -> list[str]:
    """A seat's programmer command as the server started it for its page."""
    for pid in sorted(_children(server_pid)):
        with contextlib.suppress(OSError):
            words = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
            if words[0] != "/bin/sh" and any(f"seat-{seat}/clinician.key" in w for w in words):
                return [w for w in words if w]
    raise RuntimeError(f"no programmer process for seat {seat}")


if __name__ == "__main__":
    main()
