"""A firmware served on a TCP port: one programmer at a time, on the wall clock.

Why a harness of its own: `pumpsim serve --tcp` and the classroom's seats both put a pump behind a
socket, and they must behave alike (the same busy refusal, the same idle drop, the same loop). The
loop runs on the caller's thread and returns when `stop` is set.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from firmware_protocol.device.firmware import Firmware
from firmware_protocol.line.transport import Port
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Flags, Frame

log = logging.getLogger("pumpsim.serve")

__all__ = ["NoLine", "SocketPort", "busy_refusal", "listen", "serve_tcp"]


class SocketPort:
    """A connected TCP socket as a port."""

    def __init__(self, sock: socket.socket, timeout: float = 0.02) -> None:
        self.sock = sock
        self.timeout: float | None = timeout
        self.closed = False
        self.last_read_at = time.monotonic()

    @property
    def in_waiting(self) -> int:
        return 0

    def read(self, size: int = 1) -> bytes:
        self.sock.settimeout(self.timeout)
        try:
            data = self.sock.recv(max(1, size))
        except (TimeoutError, BlockingIOError):
            return b""  # nothing yet (a zero timeout makes the socket non-blocking)
        except OSError:
            data = b""
        if not data:
            self.closed = True
        else:
            self.last_read_at = time.monotonic()
        return data

    def write(self, data: bytes, /) -> int:
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True
        return len(data)

    def close(self) -> None:
        self.sock.close()


class NoLine:
    """What the firmware reads and writes while no programmer is connected: nothing."""

    timeout: float | None = 0.02
    in_waiting = 0

    def read(self, size: int = 1) -> bytes:
        return b""

    def write(self, data: bytes, /) -> int:
        return len(data)

    def close(self) -> None:
        pass


def busy_refusal() -> bytes:
    """The documented answer to a connection while another programmer holds the pump."""
    busy = m.ErrorReply(0, 0, m.WireError.PUMP_BUSY, "another programmer is connected", ())
    return Frame(Flags(0), 0, 0, 0, 0, m.SPECS[m.ErrorReply].code, codec.encode(busy)).encode()


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: any free one; read it back with getsockname)."""
    server = socket.create_server((host, port))
    server.setblocking(False)
    return server


def serve_tcp(
    server: socket.socket,
    firmware: Firmware,
    stop: threading.Event,
    *,
    wrap: Callable[[Port], Port] = lambda port: port,
    idle_timeout_s: float = 60.0,
    take_over: bool = False,
) -> None:
    """Serve `firmware` on `server` until `stop`. One programmer at a time: a second connection
    is refused at once (PUMP_BUSY) and closed, or, with `take_over`, replaces the first (for a
    host that decides itself who may connect, as the classroom does per seat); a connection
    silent for `idle_timeout_s` is dropped; a closed one frees the pump.
    """
    current: SocketPort | None = None
    while not stop.is_set():
        try:
            conn, peer = server.accept()
        except (BlockingIOError, InterruptedError):
            conn = None
        if conn is not None:
            conn.setblocking(True)
            if current is not None and not take_over:
                log.warning("connection from %s:%s refused: the pump is busy", *peer[:2])
                with contextlib.suppress(OSError):
                    conn.sendall(busy_refusal())
                conn.close()
            else:
                if current is not None:
                    log.info("connection replaced by one from %s:%s", *peer[:2])
                    current.close()
                current = SocketPort(conn)
                firmware.attach(wrap(current))
                log.info("connection from %s:%s", *peer[:2])
        if current is None:
            time.sleep(0.02)
            continue
        firmware.step()
        if current.closed:
            log.info("connection closed")
        elif time.monotonic() - current.last_read_at > idle_timeout_s:
            log.warning("connection dropped: silent for %g s", idle_timeout_s)
        else:
            continue
        current.close()
        current = None
        firmware.attach(NoLine())
    if current is not None:
        current.close()
    server.close()
