"""A request the firmware refuses with a wire error code (not one of the model's own)."""

from __future__ import annotations

from firmware_protocol.wire import messages as m


class RejectError(Exception):
    def __init__(self, code: m.WireError, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
