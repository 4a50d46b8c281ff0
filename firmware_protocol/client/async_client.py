"""The client for asyncio code: the same calls, each run on a worker thread, one at a time.

Why a thread and not an async port: the client underneath is the one every driver shares (a pty,
TCP, a simulated line), and a programmer's UI only needs its calls not to block the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from firmware_protocol.client.pump_client import LogPage, PumpClient
from firmware_protocol.wire import messages as m
from pumpsim import TherapyProgram

P = ParamSpec("P")
R = TypeVar("R")


class AsyncPumpClient:
    """The same API for asyncio: each call runs the sync client in a worker thread, one at a time.

    `await client.call(client.sync.interrogate)` works for any method; the common ones have
    named wrappers.
    """

    def __init__(self, sync: PumpClient) -> None:
        self.sync = sync
        self._lock = threading.Lock()

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        def locked() -> R:
            with self._lock:
                return fn(*args, **kwargs)

        return await asyncio.to_thread(locked)

    async def connect(self) -> m.AuthOk:
        return await self.call(self.sync.connect)

    async def interrogate(self) -> m.Status:
        return await self.call(self.sync.interrogate)

    async def read_status(self) -> m.Status:
        return await self.call(self.sync.read_status)

    async def read_log(self, since_index: int = 0, max_records: int = 0) -> LogPage:
        return await self.call(self.sync.read_log, since_index, max_records)

    async def stage_program(self, program: TherapyProgram) -> m.ProgramReview:
        return await self.call(self.sync.stage_program, program)

    async def confirm_program(self, stage_id: int, *, override_soft_limits: bool = False) -> m.Done:
        return await self.call(
            self.sync.confirm_program, stage_id, override_soft_limits=override_soft_limits
        )

    async def close(self) -> None:
        await self.call(self.sync.close)
