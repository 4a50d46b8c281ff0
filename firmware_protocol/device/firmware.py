"""The device side: a `pumpsim.Pump` behind a port, with sessions, roles and durable memory.

The firmware is a loop fed bytes and time: `step()` reads what arrived, turns it into frames, has
the session keeper authenticate them (`sessions`), hands requests to the handlers (`handlers`,
`bulk`) and writes what the link says is due; `next_wake_s()` says when it next has work without new
bytes. Who calls `step` is the driver's business: a thread on the wall clock (`start`, for `pumpsim
serve` and the demo) or a simulated world on virtual time (`virtual_time`). A command is answered
only after its effect is committed to the non-volatile store (`journal`); a repeated transaction id
gets the stored reply, never a second effect.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware_protocol.device import handlers
from firmware_protocol.device.clock import SimClock
from firmware_protocol.device.journal import (
    apply_journal_entry,
    config_from_json,
    config_to_json,
    restore_pump,
)
from firmware_protocol.device.log_chain import LogChain
from firmware_protocol.device.reject import RejectError
from firmware_protocol.device.sessions import FirmwareStats, SessionKeeper
from firmware_protocol.device.store import NvStore
from firmware_protocol.line.fault_sites import OFF, FaultSites
from firmware_protocol.line.link import Link
from firmware_protocol.line.transport import Port, read_available
from firmware_protocol.session.handshake import Session
from firmware_protocol.session.security import PumpKeys, SessionCipher
from firmware_protocol.wire import codec, convert
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Frame, FrameDecoder
from pumpsim import PumpConfig, PumpError

log = logging.getLogger("pumpsim.firmware")  # sessions, refusals, faults: one record each
SNAPSHOT_EVERY = 25  # journal entries between two snapshots of the pump

__all__ = ["SNAPSHOT_EVERY", "Firmware", "FirmwareStats"]


class Firmware:
    """A pump behind a port: the device loop, its requests, and what it commits to memory."""

    def __init__(
        self,
        port: Port,
        keys: PumpKeys,
        store: NvStore | Path | str,
        *,
        config: PumpConfig | None = None,
        simulator: bool = False,
        acceleration: float = 1.0,
        paused: bool = False,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        idle_timeout_s: float = 300.0,
        max_session_s: float = 3600.0,
        poll_s: float = 0.02,
        rng: random.Random | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        sites: FaultSites = OFF,
    ) -> None:
        self.port = port
        self.keys = keys
        self.store = store if isinstance(store, NvStore) else NvStore(store)
        self.simulator = simulator
        self.snapshot_every = snapshot_every
        self.sites = sites  # fault sites: the swarm's, on virtual time; OFF elsewhere
        self._monotonic = monotonic
        # Session ids, nonces and stage ids; a seeded generator makes a session replayable.
        self._rng = rng if rng is not None else random.SystemRandom()
        self._decoder = FrameDecoder()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Held while a turn of the loop or a rig request runs: the two may come from threads.
        self.lock = threading.RLock()
        self._rig_session: Session | None = None
        self.stats = FirmwareStats()
        self.sessions = SessionKeeper(
            keys,
            simulator,
            self._rng,
            idle_timeout_s=idle_timeout_s,
            max_session_s=max_session_s,
            write=self._write,
            opened=self._session_opened,
            stats=self.stats,
            sites=sites,
        )
        self._poll_s = poll_s
        self._syncing_until = -math.inf  # the fault site "firmware.delayed_sync"
        self._held_input = b""
        port.timeout = poll_s
        stored = self.store.get_meta("config")
        stored_offset_s = 0.0
        if stored is None:
            self.config = config or PumpConfig()
            self.store.set_meta("config", config_to_json(self.config))
            self.store.set_meta("pump_id", keys.pump_id)
            self.clock = SimClock(0.0, acceleration, paused, wall)
            self.store.save_clock(self.clock.anchor, 0.0)
        else:
            self.config = config_from_json(stored)
            self.clock = SimClock(0.0, 1.0, True, wall)
            saved = self.store.clock()
            if saved is not None:
                self.clock.restore(saved[0])
                stored_offset_s = saved[1]
        self.pump, self.restored_commands = restore_pump(self.store, self.config)
        self._since_snapshot = self.restored_commands
        self.log_chain = LogChain(self.store, keys)
        if stored is not None and self.pump.clock_offset_s != stored_offset_s:
            # A state from before the pump held its own clock: the store's offset is the truth.
            apply_journal_entry(self.pump, "set_clock", {"clock_offset_s": stored_offset_s})
            self.commit("set_clock", {"clock_offset_s": stored_offset_s})
        self._log_key_changes()
        self.pump.advance(max(self.pump.now_s, self.clock.now()))

    def _log_key_changes(self) -> None:
        """Keys revoked or rotated (`pumpsim pair`) while the pump was off go into its log at
        power-up, once each: the store remembers which it has logged."""
        logged = set(json.loads(self.store.get_meta("keys_logged") or "[]"))
        for device_id, reason in sorted(self.keys.retired.items()):
            if device_id not in logged:
                args = {"device": device_id, "reason": reason}
                apply_journal_entry(self.pump, "key_retired", args)
                self.commit("key_retired", args)
                logged.add(device_id)
                self.store.set_meta("keys_logged", json.dumps(sorted(logged)))
                log.info("key of device %s %s: logged", device_id, reason)

    # ---------------------------------------------------------- the wall-clock driver

    def start(self) -> threading.Thread:
        self._stop.clear()
        self._thread = threading.Thread(target=self.serve_forever, name="firmware", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def serve_forever(self) -> None:
        while not self._stop.is_set():
            self.step()

    # ------------------------------------------------------------------ the loop

    def step(self) -> None:
        """One turn of the loop: read what arrived, handle it, send (at most one frame) due.

        Writing one data frame a turn and reading in between keeps acknowledgements flowing
        while a bulk transfer fills a slow line; the read does not wait when frames are due.
        """
        s = self.sessions.session
        deadline = s.link.next_deadline() if s is not None else None
        busy = deadline is not None and deadline <= self._monotonic()
        self.port.timeout = 0 if busy else self._poll_s
        data = read_available(self.port)
        with self.lock:
            now = self._monotonic()
            if now < self._syncing_until:  # blocked on the memory: what arrives waits its turn
                self._held_input += data
                return
            data, self._held_input = self._held_input + data, b""
            if data:
                for frame in self._decoder.feed(data):
                    self.stats.frames_in += 1
                    for session, msg_type, payload in self.sessions.requests(frame, now):
                        replies = self._answer(session, msg_type, payload)
                        self.sessions.send(session, msg_type, replies)
            self.sessions.expire(now)
            self.tick()
            self.sessions.flush(now)

    def rig(self, msg: Any) -> list[Any]:
        """A request from the simulator's test rig (the classroom's instructor console), beside
        the telemetry link: what a rig's debug port is to a real device. It takes the simulator
        role and goes through the same dispatch, replay guard and journal as a request from the
        line, under the loop's lock, so it may come from another thread; it opens no telemetry
        session (no interrogation logged, no battery spent) and leaves the programmer's alone.
        Only a pump that offers the simulator role has a rig port."""
        if not self.simulator:
            raise PermissionError("this pump offers no simulator role, so no rig port")
        if isinstance(msg, m.Bye):
            return []  # the rig holds no session to end (and must not end the line's)
        with self.lock:
            if self._rig_session is None:
                keys = self._rng.randbytes(32), self._rng.randbytes(32)
                self._rig_session = Session(
                    0, "rig", m.Role.SIMULATOR, SessionCipher(0, *keys), Link(), 0.0, 0.0, b""
                )
            payload = codec.encode(msg)
            return self._answer(self._rig_session, m.SPECS[type(msg)].code, payload)

    def attach(self, port: Port) -> None:
        """A new connection: read and write `port` from now on, with no session carried over
        (whoever was connected before must authenticate again)."""
        self.port = port
        port.timeout = self._poll_s
        self._decoder = FrameDecoder()
        self.sessions.reset()

    def next_wake_s(self) -> float:
        """When the loop next has work without new bytes: a link timer, a session's expiry,
        the end of a slow sync."""
        if self._syncing_until > self._monotonic() or self._held_input:
            return self._syncing_until
        return self.sessions.next_wake_s()

    def tick(self) -> None:
        """Bring the pump's clock up to the firmware's."""
        target = self.clock.now()
        if target > self.pump.now_s:
            self.pump.advance(target)

    def new_stage_id(self) -> int:
        return self._rng.getrandbits(31) or 1

    def _write(self, frame: Frame) -> None:
        data = frame.encode()
        if len(data) > 1 and self.sites.fires("firmware.short_write"):
            cut = len(data) // 2
            self.port.write(data[:cut])  # the rest follows at once: a short write, completed
            self.port.write(data[cut:])
        else:
            self.port.write(data)
        self.stats.frames_out += 1

    def _session_opened(self, session: Session) -> None:
        self.pump.interrogate()  # a telemetry session costs battery and is logged
        self.commit("interrogate", {})

    # -------------------------------------------------------------- requests

    def _answer(self, s: Session, msg_type: int, payload: bytes) -> list[Any]:
        try:
            return self._dispatch(s, msg_type, payload)
        except Exception as e:  # a bug must not take the device down; say so instead
            return [m.ErrorReply(msg_type, 0, m.WireError.INTERNAL, repr(e), ())]

    def _dispatch(self, s: Session, msg_type: int, payload: bytes) -> list[Any]:
        cls = m.MESSAGES.get(msg_type)
        if cls is None:
            return [m.ErrorReply(msg_type, 0, m.WireError.UNKNOWN_MESSAGE, "unknown type", ())]
        spec = m.SPECS[cls]
        if spec.since > s.version:
            later = f"{cls.__name__} is of version {spec.since}; the session speaks {s.version}"
            return [m.ErrorReply(msg_type, 0, m.WireError.UNKNOWN_MESSAGE, later, ())]
        if spec.handshake or spec.direction != "programmer->pump":
            return [m.ErrorReply(msg_type, 0, m.WireError.UNKNOWN_MESSAGE, "not a request", ())]
        try:
            msg = codec.decode(cls, payload)
        except codec.DecodeError as e:
            return [m.ErrorReply(msg_type, 0, m.WireError.MALFORMED_MESSAGE, str(e), ())]
        txn = int(getattr(msg, "txn", 0))
        if s.role not in spec.roles:
            forbidden = f"{s.role} may not {cls.__name__}"
            return [m.ErrorReply(msg_type, txn, m.WireError.ROLE_FORBIDDEN, forbidden, ())]
        if isinstance(msg, m.Bye):
            self.sessions.close_after_ack()
            return []
        self.tick()
        if not spec.mutating:
            try:
                return handlers.read(self, s, msg)
            except RejectError as r:
                return [m.ErrorReply(msg_type, 0, r.code, r.message, ())]
            except PumpError as e:  # the model refuses a read of what it has not (a program)
                return [m.ErrorReply(msg_type, 0, str(e.code), e.message, ())]
        stored = self.store.txn(txn)
        if stored is not None:
            self.stats.replayed_txns += 1
            if stored.request_type != msg_type or stored.request != payload:
                reused = "transaction id already used"
                return [m.ErrorReply(msg_type, txn, m.WireError.TXN_REUSED, reused, ())]
            return [codec.decode(m.MESSAGES[stored.response_type], stored.response)]
        self.stats.commands += 1
        op: tuple[str, dict[str, Any]] | None = None
        try:
            reply, op = handlers.mutate(self, s, msg)
        except PumpError as e:
            reply = m.ErrorReply(msg_type, txn, str(e.code), e.message, convert.error_details(e))
        except RejectError as r:
            reply = m.ErrorReply(msg_type, txn, r.code, r.message, ())
        except (ValueError, TypeError) as e:
            reply = m.ErrorReply(msg_type, txn, m.WireError.MALFORMED_MESSAGE, str(e), ())
        if isinstance(reply, m.ErrorReply):
            log.warning("%s refused: %s (%s)", cls.__name__, reply.code, reply.message)
        elif isinstance(msg, m.SimInjectFault):
            log.info("fault injected: %s", msg.fault_json)
        try:
            self.commit(
                op[0] if op else None,
                op[1] if op else None,
                txn=txn,
                request_type=msg_type,
                request=payload,
                reply=reply,
            )
        except Exception:
            # Not durable, so not done: go back to what the memory holds, as a reboot would.
            self.pump, _ = restore_pump(self.store, self.config)
            self.tick()
            raise
        return [reply]

    def commit(
        self,
        op: str | None,
        args: dict[str, Any] | None,
        *,
        txn: int | None = None,
        request_type: int = 0,
        request: bytes = b"",
        reply: Any = None,
    ) -> None:
        """Make a command durable (with its reply, and a snapshot now and then) before it is
        answered: all in one store transaction, with the seals of the records it logged."""
        snapshot = None
        seals = self.log_chain.pending(self.pump)
        if op is not None:
            self._since_snapshot += 1
            off_cadence = self.sites.fires("firmware.snapshot_mid_append")
            if self._since_snapshot >= self.snapshot_every or off_cadence:
                snapshot = self.pump.snapshot()
                self._since_snapshot = 0
        self.store.commit(
            sim_s=self.pump.now_s,
            op=op,
            args=args,
            txn=txn,
            request_type=request_type,
            request=request,
            response_type=m.SPECS[type(reply)].code if reply is not None else 0,
            response=codec.encode(reply) if reply is not None else b"",
            anchor=self.clock.anchor if txn is not None else None,
            clock_offset_s=self.pump.clock_offset_s,
            snapshot=snapshot,
            chain=seals,
            chain_from=self.pump.log.first_index,
        )
        self.log_chain.stored(seals)
        if self.sites.fires("firmware.delayed_sync"):
            # A slow sync (a flash erase, a busy controller): the firmware is blocked in it, so
            # the reply and everything after waits; on virtual time only.
            self._syncing_until = self._monotonic() + self.sites.uniform(0.1, 3.0)

    def status(self) -> m.Status:
        return handlers.status(self)
