"""The programmer's half of exactly-once: a command keeps its transaction id until settled.

A command whose reply never came may or may not have been applied. The one safe policy: reconnect,
ask the pump about that transaction id (`PumpClient.resolve`), and if it never acted, send the
same request again under the same id; never a new id. Programmers, the scenario runner and the
swarm all follow it through `deliver`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware_protocol.client.pump_client import (
    AuthenticationError,
    ClientError,
    DeviceError,
    OutcomeUncertainError,
    PumpClient,
)


def connect(
    client: PumpClient,
    attempts: int = 8,
    before_each: Callable[[], None] | None = None,
    wait: Callable[[float], None] | None = None,
) -> bool:
    """Try to (re)authenticate a few times; True once connected. A pump backing off after
    failed authentications says how long (`AUTH_BACKOFF`, retry_after_s): with `wait` (a sleep on
    the caller's clock), that long is waited out first, instead of spending the attempts on
    refusals; without it, the attempts go at once, as before."""
    for _ in range(attempts):
        if before_each is not None:
            before_each()
        try:
            client.connect()
            return True
        except AuthenticationError as e:
            if wait is not None and e.retry_after_s > 0:
                wait(e.retry_after_s)
        except ClientError:
            continue
    return False


def deliver(
    client: PumpClient,
    msg: Any,
    *,
    attempts: int = 12,
    before_retry: Callable[[], None] | None = None,
    wait: Callable[[float], None] | None = None,
) -> Any | None:
    """Send `msg` until its outcome is known; return the pump's reply (None: never got through).

    A refusal by the pump raises `DeviceError`, whether it came at once or was stored under the
    transaction id. `before_retry` runs before each reconnection (a test's chance to power a pump
    back up); `wait` is passed to `connect`."""
    for _ in range(attempts):
        if not client.connected and not connect(client, before_each=before_retry, wait=wait):
            continue
        try:
            return client.request(msg)
        except OutcomeUncertainError as uncertain:
            if not connect(client, before_each=before_retry, wait=wait):
                continue
            try:
                settled = client.resolve(uncertain)
            except DeviceError:
                raise
            except ClientError:
                continue
            if settled is not None:
                return settled
            # never applied: the same request, same id, again
        except DeviceError:
            raise
        except ClientError:
            if before_retry is not None:
                before_retry()
    return None
