"""Connect: port, baud, role and key file; a clear message when any of them is wrong."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static

from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire.messages import Role


@dataclass(frozen=True)
class ConnectRequest:
    url: str
    role: str
    key_file: str
    baud: int = 115200
    # How long a silent line is given to answer the handshake before "the pump is silent".
    handshake_timeout_s: float = 3.0

    def key(self) -> DeviceKey:
        key = DeviceKey.load(Path(self.key_file))
        if key.role != Role(self.role):
            raise ValueError(f"{self.key_file} is a {key.role} key, not {self.role}")
        return key


class ConnectScreen(Screen[ConnectRequest | None]):
    def __init__(self, defaults: ConnectRequest | None = None, error: str = "") -> None:
        super().__init__()
        self.defaults = defaults or ConnectRequest("", Role.CLINICIAN, "pump-keys/clinician.key")
        self.error = error

    def compose(self) -> ComposeResult:
        d = self.defaults
        with Vertical(id="connect-box"):
            yield Static("Connect to a pump", classes="card-title")
            yield Label("Port (device path or pyserial URL, e.g. /dev/pts/3, socket://host:7000)")
            yield Input(d.url, placeholder="/dev/ttyUSB0", id="url")
            yield Label("Baud")
            yield Select(
                [(str(b), b) for b in (9600, 19200, 57600, 115200, 230400, 460800, 921600)],
                value=d.baud,
                allow_blank=False,
                id="baud",
            )
            yield Label("Role")
            yield Select(
                [(r.value, r.value) for r in Role], value=d.role, allow_blank=False, id="role"
            )
            yield Label("Key file")
            yield Input(d.key_file, id="key")
            yield Static(self.error, id="connect-error", classes="critical" if self.error else "")
            with Horizontal(classes="buttons"):
                yield Button("Connect", variant="primary", id="connect")
                yield Button("Quit", id="quit")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quit":
            self.dismiss(None)
            return
        url = self.query_one("#url", Input).value.strip()
        key_file = self.query_one("#key", Input).value.strip()
        error = ""
        if not url:
            error = "Enter the port."
        elif not Path(key_file).is_file():
            error = f"Key file {key_file!r} not found (pumpsim pair writes one)."
        if error:
            self.query_one("#connect-error", Static).update(error)
            return
        baud = self.query_one("#baud", Select).value
        role = self.query_one("#role", Select).value
        self.dismiss(
            replace(self.defaults, url=url, role=str(role), key_file=key_file, baud=int(str(baud)))
        )


def describe_open_error(e: Exception) -> str:
    text = str(e)
    if isinstance(e, FileNotFoundError) or "No such file" in text or "Errno 2]" in text:
        return f"The port does not exist: {text}"
    lowered = text.lower()
    if "lock" in lowered or "busy" in lowered or "resource temporarily" in lowered:
        return f"The port is busy (another program has it open): {text}"
    if isinstance(e, ValueError | OSError) and "key" in lowered:
        return f"The key file is not usable: {text}"
    return f"Could not open the port: {text}"
