"""Where every message type registers: its code, who may send it, which protocol version it
appeared in. `messages` and `simulator` declare the messages; the codec, the firmware's role
checks and the docs' message table read this one table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, dataclass_transform

from firmware_protocol.wire.vocabulary import Role

ALL_ROLES = frozenset(Role)
CLINICAL = frozenset({Role.CLINICIAN, Role.SIMULATOR})
SIM_ONLY = frozenset({Role.SIMULATOR})


@dataclass(frozen=True, slots=True)
class Spec:
    code: int
    name: str
    roles: frozenset[Role]
    mutating: bool  # carries `txn`; answered from the transaction store when repeated
    handshake: bool = False  # travels before a session exists (unencrypted)
    direction: str = "programmer->pump"
    since: int = 1  # the protocol version it appeared in; refused in a session of an older one


MESSAGES: dict[int, type] = {}
SPECS: dict[type, Spec] = {}

M = TypeVar("M")


@dataclass_transform(frozen_default=True)
def message(
    code: int,
    roles: frozenset[Role] = ALL_ROLES,
    *,
    mutating: bool = False,
    handshake: bool = False,
    reply: bool = False,
    since: int = 1,
) -> Callable[[type[M]], type[M]]:
    def register(bare: type[M]) -> type[M]:
        cls = dataclass(frozen=True, slots=True)(bare)
        if code in MESSAGES:
            raise ValueError(f"message code 0x{code:04x} used twice")
        MESSAGES[code] = cls
        direction = "pump->programmer" if reply else "programmer->pump"
        SPECS[cls] = Spec(code, cls.__name__, roles, mutating, handshake, direction, since)
        return cls

    return register


def spec_of(msg: Any) -> Spec:
    return SPECS[type(msg)]
