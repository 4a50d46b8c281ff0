"""The programmer's end of a simulated line as a real pyserial port (`serial.SerialBase`).

Why: an engineer's programmer is written against pyserial. It calls `flush()`, `read_until()`,
`readline()`, `in_waiting`, `reset_input_buffer()`, sets `baudrate` and `timeout`, and uses the
port as a context manager; a lookalike that had only read and write failed at the first flush.
This is pyserial's own base class with the line behind it: while the code waits on a read, the
line's world runs on virtual time (the firmware answers, timeouts pass) and no wall time goes by.
`pumpsim://` URLs (`harness.protocol_pumpsim`) open one with a pump of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import serial

from firmware_protocol.line.virtual_time import SimPort

if TYPE_CHECKING:
    from typing_extensions import Buffer

NO_TIMEOUT_WAIT_S = 3600.0  # a read with no timeout waits this long on virtual time, at most


class VirtualSerial(serial.SerialBase):
    """A pyserial port over a `SimPort`: a blocking read waits on virtual time."""

    def __init__(self, end: SimPort | None = None, **settings: Any) -> None:
        """`settings` as pyserial's (`port` a URL for `harness.protocol_pumpsim`, `timeout`...)."""
        self._end = end
        super().__init__(**settings)
        if end is not None and not self.is_open:
            self.open()

    # -------------------------------------------------------------- pyserial's hooks

    def open(self) -> None:
        if self._end is None:
            raise serial.SerialException("no simulated line behind this port")
        self.is_open = True
        self._reconfigure_port()

    def close(self) -> None:
        self.is_open = False

    def _reconfigure_port(self, force_update: bool = False) -> None:
        """Baud rate, framing and flow control belong to the simulated line; nothing to set."""

    def _update_break_state(self) -> None: ...

    def _update_rts_state(self) -> None: ...

    def _update_dtr_state(self) -> None: ...

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True

    # ----------------------------------------------------------------- bytes

    def _line(self) -> SimPort:
        if not self.is_open or self._end is None:
            raise serial.PortNotOpenError()
        return self._end

    @property
    def in_waiting(self) -> int:
        return self._line().in_waiting

    @property
    def out_waiting(self) -> int:
        return 0  # a write is on the line at once

    def read(self, size: int = 1) -> bytes:
        """Up to `size` bytes: as pyserial's, it waits until all have come or `timeout` passed
        (virtual seconds); timeout 0 returns what is there."""
        end = self._line()
        timeout = self.timeout
        wait = NO_TIMEOUT_WAIT_S if timeout is None else float(timeout)
        end.wait_for(size, wait)
        return end.read(size)

    def write(self, data: Buffer, /) -> int:
        return self._line().write(bytes(data))

    def flush(self) -> None:
        self._line()  # what was written is on the line already

    def reset_input_buffer(self) -> None:
        self._line().reset_input_buffer()

    def reset_output_buffer(self) -> None:
        self._line()

    def cancel_read(self) -> None: ...

    def cancel_write(self) -> None: ...

    def send_break(self, duration: float = 0.25) -> None:
        self._line()
