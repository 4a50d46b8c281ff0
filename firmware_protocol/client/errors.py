"""What a client call can raise: the pump's refusal, a lost link, an outcome not known.

Kept apart from the client so that code which only handles these (the recovery policy, the
programmer's UI, scenario drivers) names them without the client's machinery; `client`
re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from firmware_protocol.wire import messages as m


class ClientError(Exception):
    pass


class DeviceError(ClientError):
    """The pump refused: `code` is its error code, `violations` every rule broken."""

    def __init__(self, reply: m.ErrorReply) -> None:
        super().__init__(f"{reply.code}: {reply.message}")
        self.code = reply.code
        self.message = reply.message
        self.violations = reply.violations
        self.reply = reply


class RequestTooLargeError(ClientError, ValueError):
    """The request does not fit one frame (e.g. a schedule with too many steps): nothing sent."""


class AuthenticationError(ClientError):
    def __init__(self, code: str, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.retry_after_s = retry_after_s


class LinkLostError(ClientError):
    """The pump stopped answering (out of range, cable out, too much noise)."""


@dataclass
class OutcomeUncertainError(ClientError):
    """A command went out and no reply came back: it may or may not have been applied."""

    txn: int
    request: Any

    def __str__(self) -> str:
        return (
            f"outcome of {type(self.request).__name__} (txn {self.txn:016x}) unknown: "
            "reconnect and resolve() it"
        )
