"""The whole stack on one virtual clock: a simulated serial line and a world that runs it.

Why: on the wall clock a stack run waits on a firmware thread's polls, a link's timers and a
client's reply timeout, so it is slow and no two runs are alike. Here nothing sleeps and there are
no threads. `SimLine` is a serial line in memory that charges each byte ten bit times at its baud
rate, adds a latency and applies the seeded fault model (`line_faults`); `SimWorld` holds the
firmware and, whenever the programmer waits for bytes, moves virtual time to the next thing that
can happen (bytes arriving, a timer of the firmware's) and steps the firmware there. The same seed
and the same commands give the same bytes at the same virtual times.

Like python-can's virtual bus or SimPy's environment, it is a driver: the firmware and the client
are the same code as on a pty or TCP, given this clock and these ports instead of the wall clock
and pyserial's.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from typing import Protocol

from firmware_protocol.line.line_faults import FrameFilter, FrameShaper, LineFaults

EPOCH_WALL_S = 1_767_225_600.0  # 2026-01-01T00:00:00Z: the wall clock a simulated world shows


class PowerCut(BaseException):
    """Raised inside a device's turn to cut its power there (a test's saboteur does this).

    A BaseException, so that the firmware's own guard against bugs (`except Exception`) does not
    swallow it: the world catches it and the device is simply gone until restarted."""


class VirtualClock:
    """Seconds since the world began; moved only by `SimWorld`."""

    def __init__(self, start_s: float = 0.0) -> None:
        self.now_s = start_s

    def monotonic(self) -> float:
        return self.now_s

    def wall(self) -> float:
        return EPOCH_WALL_S + self.now_s


class Steppable(Protocol):
    """What the world needs of a device: a turn of its loop, and when it next wants one."""

    def step(self) -> None: ...

    def next_wake_s(self) -> float: ...


class SimPort:
    """One end of a `SimLine`, shaped like `serial.Serial` (the part this package uses)."""

    def __init__(self, line: SimLine, side: int) -> None:
        self._line = line
        self._side = side
        self._buffer = bytearray()
        self.timeout: float | None = 0.0
        self.is_open = True

    @property
    def in_waiting(self) -> int:
        line = self._line
        queue = line._queues[self._side]
        if queue and queue[0][0] <= line.clock.now_s:  # asked every turn: mostly nothing new
            self._buffer += line.take(self._side)
        return len(self._buffer)

    def wait_for(self, size: int, timeout_s: float) -> None:
        """Let the world run until `size` bytes have arrived or `timeout_s` has passed (the
        programmer's end only: the pump's is read by the world itself)."""
        line = self._line
        if self._side != SimLine.PROGRAMMER or line.world is None or self.in_waiting >= size:
            return
        line.world.run_until(line.clock.now_s + timeout_s, lambda: self.in_waiting >= size)

    def read(self, size: int = 1) -> bytes:
        """What has arrived; the programmer's end lets the world run for up to `timeout`."""
        if not self.in_waiting and self._side == SimLine.PROGRAMMER and self._line.world:
            limit = self._line.clock.now_s + (self.timeout or 0.0)
            self._line.world.run_until(limit, lambda: self.in_waiting > 0)
        chunk = bytes(self._buffer[:size])
        del self._buffer[:size]
        return chunk

    def write(self, data: bytes, /) -> int:
        if self.is_open:
            self._line.send(self._side, bytes(data))
        return len(data)

    def close(self) -> None:
        self.is_open = False

    def reset_input_buffer(self) -> None:
        self._buffer.clear()


class SimLine:
    """A serial line in memory: 8N1 at `baud`, one direction at a time per wire, plus latency.

    `faults[0]` shapes what the programmer sends (commands), `faults[1]` what the pump sends
    (replies); change them at any time (a burst of noise, a dead line). `drop[0]`/`drop[1]` are
    optional per-frame filters for faults aimed at one message (a lost command, a lost reply).
    """

    PROGRAMMER, PUMP = 0, 1

    def __init__(
        self,
        clock: VirtualClock,
        *,
        baud: int = 115_200,
        latency_s: float = 0.002,
        seed: int = 0,
        faults: tuple[LineFaults, LineFaults] | None = None,
    ) -> None:
        self.clock = clock
        self.baud = baud
        self.latency_s = latency_s
        self.faults = faults or (LineFaults(), LineFaults())
        rng = random.Random(seed)
        self._shapers = tuple(FrameShaper(f, random.Random(rng.random())) for f in self.faults)
        self.drop: list[FrameFilter | None] = [None, None]
        self._free_at = [0.0, 0.0]  # when each direction's wire is next idle
        self._queues: tuple[deque[tuple[float, bytes]], ...] = (deque(), deque())
        self.world: SimWorld | None = None
        self.ends = (SimPort(self, self.PROGRAMMER), SimPort(self, self.PUMP))
        self.bytes_sent = [0, 0]
        # Sees every write as it goes on the wire: (side, bytes). For digests and saboteurs.
        self.tap: Callable[[int, bytes], None] | None = None

    @property
    def programmer(self) -> SimPort:
        return self.ends[self.PROGRAMMER]

    @property
    def pump(self) -> SimPort:
        return self.ends[self.PUMP]

    def set_faults(self, direction: int, faults: LineFaults) -> None:
        self._shapers[direction].faults = faults

    def send(self, side: int, data: bytes) -> None:
        """`side` writes `data`: it arrives at the other end once its last bit is through."""
        now = self.clock.now_s
        start = max(now, self._free_at[side])
        self._free_at[side] = start + len(data) * 10 / self.baud
        self.bytes_sent[side] += len(data)
        shaper = self._shapers[side]
        shaped = shaper.shape(data, self.drop[side])
        if shaped:
            arrive = self._free_at[side] + self.latency_s + shaper.faults.delay_s
            queue = self._queues[1 - side]
            if queue and queue[-1][0] > arrive:
                arrive = queue[-1][0]  # a line does not overtake itself
            queue.append((arrive, shaped))
        if self.tap is not None:
            self.tap(side, data)  # after: what it sees is on its way

    def take(self, side: int) -> bytes:
        """Bytes that have arrived at `side` by now."""
        queue = self._queues[side]
        now = self.clock.now_s
        out = b""
        while queue and queue[0][0] <= now:
            out += queue.popleft()[1]
        return out

    def next_arrival_after(self, now_s: float) -> float:
        """The first arrival still to come (bytes already there wait to be read)."""
        soonest = math.inf
        for queue in self._queues:
            for at, _ in queue:
                if at > now_s:
                    soonest = min(soonest, at)
                    break
        return soonest

    def fault_stats(self) -> tuple[int, int]:
        """(frames dropped, bytes corrupted) over both directions so far."""
        stats = [s.stats for s in self._shapers]
        return sum(s.dropped for s in stats), sum(s.corrupted_bytes for s in stats)


class SimWorld:
    """Runs the pump's side of a `SimLine` while the programmer waits: one thread, no sleeping."""

    def __init__(self, clock: VirtualClock, line: SimLine) -> None:
        self.clock = clock
        self.line = line
        line.world = self
        self.device: Steppable | None = None
        self.steps = 0
        self.power_cuts = 0

    def run_until(self, until_s: float, done: Callable[[], bool] | None = None) -> None:
        """Advance to `until_s`, stepping the device whenever it has work; stop early once
        `done()` is true."""
        clock, line = self.clock, self.line
        while True:
            device = self.device
            wake = math.inf
            turns = 0
            while device is not None:
                wake = device.next_wake_s()
                if not (line.pump.in_waiting or wake <= clock.now_s):
                    break
                try:
                    device.step()
                except PowerCut:
                    self.device = device = None
                    self.power_cuts += 1
                    wake = math.inf
                    break
                self.steps += 1
                turns += 1
                if turns > 10_000:  # pragma: no cover - a device bug, not an input
                    raise RuntimeError("the simulated device keeps asking for turns")
            if (done is not None and done()) or clock.now_s >= until_s:
                return
            clock.now_s = min(until_s, line.next_arrival_after(clock.now_s), wake)

    def advance(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass (the device keeps working meanwhile)."""
        self.run_until(self.clock.now_s + seconds)
