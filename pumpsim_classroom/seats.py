"""A seat: one trainee's pump, with its own keys and memory, on a TCP line of its own.

Why a pump per seat in this process, on the wall clock: a trainee's browser page runs a programmer
process of its own (textual-serve starts one per page) that reaches the pump over
`socket://127.0.0.1:PORT` with the seat's clinician key, exactly as it reaches a pump by a USB
adapter; a reloaded page starts a new programmer on the same pump, which keeps its memory. The
instructor console reaches the same pump beside that line, on its rig port (`harness.rig`).
"""

from __future__ import annotations

import shlex
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.rig import rig_client
from firmware_protocol.harness.tcp_pump import NoLine, listen, serve_tcp
from firmware_protocol.session.security import DeviceKey, PumpKeys, provision
from firmware_protocol.wire.messages import Role
from programmer_tui.training import Debrief
from pumpsim_scenarios.files.spec import Scenario
from pumpsim_scenarios.running import runner
from pumpsim_scenarios.running.player import ScenarioPlayer

IDLE_DROP_S = 600.0  # a seat's line silent this long is dropped (the programmer polls far more)


@dataclass
class Seat:
    number: int  # from 1, as the trainees see it
    directory: Path  # the seat's keys and memory (private to this user)
    firmware: Firmware
    rig: PumpClient  # the console's way in (the simulator role, beside the trainee's line)
    player: ScenarioPlayer
    tcp_port: int
    notes: list[str] = field(default_factory=list)  # what the scenario did, for the console
    debrief: Debrief | None = None  # judged so far (every few refreshes) or at the end
    finished: bool = False
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.tcp_port}"

    def programmer_command(self) -> str:
        """How a page's programmer reaches this seat: as a clinician, over TCP, with the key."""
        return shlex.join(
            [
                sys.executable,
                "-m",
                "programmer_tui.main",
                "--port",
                self.url,
                "--key",
                str(self.directory / f"{Role.CLINICIAN}.key"),
                "--role",
                str(Role.CLINICIAN),
            ]
        )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self.firmware.store.close()


def open_seat(
    number: int, root: Path, scenario: Scenario, acceleration: float, *, paused: bool
) -> Seat:
    """Pair, implant as the scenario says, schedule its faults, and start serving the line."""
    directory = root / f"seat-{number}"
    pump_file, device_files = provision(directory, pump_id=f"CLASS-SEAT-{number:02d}")
    firmware = Firmware(
        NoLine(),
        PumpKeys.load(pump_file),
        NvStore(directory / "pump.sqlite"),
        config=runner.pump_config(scenario),
        simulator=True,
        acceleration=acceleration,
        paused=True,
    )
    rig = rig_client(firmware, DeviceKey.load(device_files[Role.SIMULATOR]))
    player = ScenarioPlayer(scenario, acceleration=acceleration)
    player.setup(rig)  # implants, schedules the faults, starts the clock
    if paused:
        rig.sim_set_speed(acceleration, True)
    server = listen()
    seat = Seat(number, directory, firmware, rig, player, server.getsockname()[1])
    seat._thread = threading.Thread(
        target=serve_tcp,
        args=(server, firmware, seat._stop),
        kwargs={"idle_timeout_s": IDLE_DROP_S, "take_over": True},
        name=f"seat-{number}",
        daemon=True,
    )
    seat._thread.start()
    return seat
