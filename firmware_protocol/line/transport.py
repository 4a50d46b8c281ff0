"""Byte transports: anything with pyserial's `read`/`write`, and wrappers that shape the bytes.

The firmware and the client take any object that reads and writes like `serial.Serial`, so a
pty, `socket://`, `rfc2217://`, a USB adapter and the in-process pair below are interchangeable.
`LinkPair` plays python-can's virtual bus: two connected ports in one process, unbounded (no
4 KiB deadlock as pyserial's `loop://`, which only echoes to itself). `PacedPort` holds writes to
a baud rate so timing is realistic on a pty; `FaultyPort` injects seeded line faults for QA;
`RecordingPort` keeps both directions with timestamps.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import serial

from firmware_protocol.line.line_faults import FaultStats, FrameFilter, FrameShaper, LineFaults

__all__ = [
    "FaultStats",
    "FaultyPort",
    "FrameFilter",
    "LineFaults",
    "PacedPort",
    "PairPort",
    "Port",
    "PortWrapper",
    "RecordingPort",
    "close_port",
    "link_pair",
    "open_port",
    "read_available",
]


class Port(Protocol):
    """The part of `serial.Serial` this package uses."""

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    @property
    def in_waiting(self) -> int: ...

    def close(self) -> None: ...


def open_port(url: str, baud: int = 115200, timeout: float = 0.02) -> Port:
    """Open a pyserial URL or device path (a pty path, socket://host:port, rfc2217://...).

    A device path is locked for exclusive use, so a second programmer gets "busy", not a mess.
    """
    if "://" in url:
        port: Port = serial.serial_for_url(url, baudrate=baud, timeout=timeout)
    else:
        port = serial.serial_for_url(url, baudrate=baud, timeout=timeout, exclusive=True)
    return port


def close_port(port: Port) -> None:
    """Close a port for good. pyserial's `socket://` close skips the socket's own close when the
    shutdown before it fails, as it does once the far end has gone (a pump that refused or
    restarted): the descriptor would leak, one a reconnect; and it then sleeps 0.3 s "in case of
    quick reconnects". A socket port's socket is closed here instead; any other port as it is."""
    sock = getattr(port, "_socket", None)
    if not isinstance(sock, socket.socket):
        port.close()
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    setattr(port, "_socket", None)  # noqa: B010 - pyserial's own attribute, as its close sets it
    setattr(port, "is_open", False)  # noqa: B010


def read_available(port: Port, limit: int = 4096) -> bytes:
    """Whatever has arrived, waiting at most the port's timeout for the first byte."""
    try:
        waiting = port.in_waiting
    except (OSError, serial.SerialException):
        waiting = 0
    return port.read(max(1, min(limit, waiting)))


# ------------------------------------------------------------------ in-process link pair


class _Pipe:
    def __init__(self) -> None:
        self.data = bytearray()
        self.cond = threading.Condition()
        self.closed = False


class PairPort:
    """One end of an in-process link: what one end writes, the other reads."""

    def __init__(self, inbound: _Pipe, outbound: _Pipe, timeout: float | None = 0.02) -> None:
        self._in = inbound
        self._out = outbound
        self.timeout = timeout
        self.is_open = True

    @property
    def in_waiting(self) -> int:
        return len(self._in.data)

    def read(self, size: int = 1) -> bytes:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        with self._in.cond:
            while len(self._in.data) < size and not self._in.closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._in.cond.wait(remaining)
            chunk = bytes(self._in.data[:size])
            del self._in.data[:size]
            return chunk

    def write(self, data: bytes, /) -> int:
        if not self.is_open:
            raise serial.SerialException("port is closed")
        with self._out.cond:
            if self._out.closed:
                return len(data)  # the far end has gone: bytes fall on the floor, as on a wire
            self._out.data += data
            self._out.cond.notify_all()
        return len(data)

    def close(self) -> None:
        self.is_open = False
        for pipe in (self._in, self._out):
            with pipe.cond:
                pipe.closed = True
                pipe.cond.notify_all()


def link_pair(timeout: float | None = 0.02) -> tuple[PairPort, PairPort]:
    a_to_b, b_to_a = _Pipe(), _Pipe()
    return PairPort(b_to_a, a_to_b, timeout), PairPort(a_to_b, b_to_a, timeout)


# ----------------------------------------------------------------------------- wrappers


class PortWrapper:
    """A port around another port: everything passes through unless a subclass shapes it."""

    def __init__(self, port: Port) -> None:
        self._port = port

    @property
    def timeout(self) -> float | None:
        return self._port.timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._port.timeout = value

    @property
    def in_waiting(self) -> int:
        return self._port.in_waiting

    def read(self, size: int = 1) -> bytes:
        return self._port.read(size)

    def write(self, data: bytes, /) -> int | None:
        return self._port.write(data)

    def close(self) -> None:
        close_port(self._port)


class PacedPort(PortWrapper):
    """Writes take as long as the bytes take on a wire at `baud` (8N1: ten bits a byte)."""

    def __init__(self, port: Port, baud: int) -> None:
        if not 300 <= baud <= 4_000_000:
            raise ValueError(f"baud {baud} out of range")
        super().__init__(port)
        self.baud = baud
        self._line_free_at = 0.0

    def write(self, data: bytes, /) -> int | None:
        """Deliver `data` when its last byte would have left the wire."""
        now = time.monotonic()
        start = max(now, self._line_free_at)
        self._line_free_at = start + len(data) * 10 / self.baud
        delay = self._line_free_at - now
        if delay > 0:
            time.sleep(delay)
        return self._port.write(data)


class FaultyPort(PortWrapper):
    """A port whose line misbehaves, reproducibly for a seed.

    `outbound` shapes what this end writes, `inbound` what it reads. `drop_outbound` and
    `drop_inbound` are optional per-frame filters (given the encoded frame) for faults aimed at a
    particular message: see `firmware_protocol.faults` for the two field failures.
    """

    def __init__(
        self,
        port: Port,
        seed: int = 0,
        outbound: LineFaults | None = None,
        inbound: LineFaults | None = None,
    ) -> None:
        super().__init__(port)
        rng = random.Random(seed)
        self.out = FrameShaper(outbound or LineFaults(), random.Random(rng.random()))
        self.inn = FrameShaper(inbound or LineFaults(), random.Random(rng.random()))
        self.drop_outbound: FrameFilter | None = None
        self.drop_inbound: FrameFilter | None = None
        self._ready: deque[tuple[float, bytes]] = deque()
        self._buffer = bytearray()

    @property
    def in_waiting(self) -> int:
        return len(self._buffer) + self._port.in_waiting

    def write(self, data: bytes, /) -> int:
        shaped = self.out.shape(data, self.drop_outbound)
        if shaped:
            self._port.write(shaped)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        raw = self._port.read(max(size, 1)) if not self._buffer else b""
        if raw:
            shaped = self.inn.shape(raw, self.drop_inbound)
            if shaped:
                self._ready.append((time.monotonic() + self.inn.faults.delay_s, shaped))
        now = time.monotonic()
        while self._ready and self._ready[0][0] <= now:
            self._buffer += self._ready.popleft()[1]
        chunk = bytes(self._buffer[:size])
        del self._buffer[:size]
        return chunk


class RecordingPort(PortWrapper):
    """Records both directions, with timestamps, as JSON lines: {"t", "dir", "hex"}.

    "out" is always programmer to pump and "in" pump to programmer, whichever end records:
    pass `pump_side=True` when wrapping the pump's port.
    """

    def __init__(
        self,
        port: Port,
        sink: IO[str] | Path,
        *,
        pump_side: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(port)
        self._read_dir, self._write_dir = ("out", "in") if pump_side else ("in", "out")
        self._own = isinstance(sink, Path)
        self._sink: IO[str] = sink.open("w") if isinstance(sink, Path) else sink
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()

    def _note(self, direction: str, data: bytes) -> None:
        if data:
            t = round(self._clock() - self._t0, 6)
            line = {"t": t, "dir": direction, "hex": data.hex()}
            with self._lock:
                self._sink.write(json.dumps(line) + "\n")
                self._sink.flush()

    def read(self, size: int = 1) -> bytes:
        data = self._port.read(size)
        self._note(self._read_dir, data)
        return data

    def write(self, data: bytes, /) -> int | None:
        self._note(self._write_dir, data)
        return self._port.write(data)

    def close(self) -> None:
        close_port(self._port)
        if self._own:
            self._sink.close()


# ------------------------------------------------------------- ports for `pumpsim serve`


class FdPort:
    """A port over a file descriptor (the master side of a pseudo-terminal)."""

    def __init__(self, fd: int, timeout: float | None = 0.02) -> None:
        self.fd = fd
        self.timeout = timeout

    @property
    def in_waiting(self) -> int:
        import fcntl
        import termios

        buf = bytearray(4)
        try:
            fcntl.ioctl(self.fd, termios.FIONREAD, buf)
        except OSError:
            return 0
        return int.from_bytes(buf, "little")

    def read(self, size: int = 1) -> bytes:
        import os
        import select

        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, max(1, size))
        except OSError:  # the other side closed: like silence on a line
            time.sleep(self.timeout or 0.0)
            return b""

    def write(self, data: bytes, /) -> int:
        import os

        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            view = view[n:]
        return len(data)

    def close(self) -> None:
        import os

        os.close(self.fd)


def open_pty() -> tuple[FdPort, str]:
    """A raw pseudo-terminal: our end, and the path a programmer opens (like a serial device)."""
    import os
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    path = os.ttyname(slave)
    # Keep the slave open ourselves so the line does not hang up between programmer sessions.
    return FdPort(master), path
