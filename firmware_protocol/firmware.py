"""The device side: a `pumpsim.Pump` behind a port, with sessions, roles and durable memory.

One loop reads bytes, turns them into frames, authenticates them, hands messages to the handlers
and writes what the link says is due. Handlers run the model's own validation on every command,
whoever sends it, and a command is answered only after its effect is committed to the
non-volatile store. A repeated transaction id gets the stored reply, never a second effect.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pumpsim
from firmware_protocol import codec, convert
from firmware_protocol import messages as m
from firmware_protocol.clock import SimClock
from firmware_protocol.frame import Flags, Frame, FrameDecoder
from firmware_protocol.link import Link
from firmware_protocol.security import (
    MAX_PLAINTEXT,
    PumpKeys,
    SessionCipher,
    proof,
    proofs_equal,
    session_keys,
)
from firmware_protocol.store import JournalEntry, NvStore
from firmware_protocol.transport import Port, read_available
from pumpsim import Pump, PumpConfig, PumpError

HANDSHAKE_TYPES = {spec.code for spec in m.SPECS.values() if spec.handshake}


@dataclass
class _Pending:
    session: int
    device: str
    role: m.Role
    key: bytes
    programmer_nonce: bytes
    pump_nonce: bytes
    challenge: m.Challenge


@dataclass
class _Session:
    session: int
    device: str
    role: m.Role
    cipher: SessionCipher
    link: Link
    started_at: float
    last_seen: float
    auth_proof: bytes
    staged: dict[int, pumpsim.TherapyProgram]


@dataclass
class FirmwareStats:
    frames_in: int = 0
    frames_out: int = 0
    auth_failures: int = 0
    rejected_unauthenticated: int = 0
    commands: int = 0
    replayed_txns: int = 0


class RejectError(Exception):
    """A request refused with a wire error code (not a model error)."""

    def __init__(self, code: m.WireError, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------- configuration


def config_to_json(config: PumpConfig) -> str:
    return json.dumps(dataclasses.asdict(config))


def config_from_json(text: str) -> PumpConfig:
    data = json.loads(text)
    data["variant"] = pumpsim.PumpVariant(data["variant"])
    data["battery"] = pumpsim.BatteryConfig(**data["battery"])
    return PumpConfig(**data)


# ---------------------------------------------------------------------- the device


class Firmware:
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
    ) -> None:
        self.port = port
        self.keys = keys
        self.store = store if isinstance(store, NvStore) else NvStore(store)
        self.simulator = simulator
        self.idle_timeout_s = idle_timeout_s
        self.max_session_s = max_session_s
        self._monotonic = monotonic
        # Session ids, nonces and stage ids; a seeded generator makes a session replayable.
        self._rng = rng if rng is not None else random.SystemRandom()
        self._decoder = FrameDecoder()
        self._pending: _Pending | None = None
        self._session: _Session | None = None
        self._closing = False
        self._failures = 0
        self._backoff_until = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = FirmwareStats()
        self._poll_s = poll_s
        port.timeout = poll_s
        stored = self.store.get_meta("config")
        if stored is None:
            self.config = config or PumpConfig()
            self.store.set_meta("config", config_to_json(self.config))
            self.store.set_meta("pump_id", keys.pump_id)
            self.clock = SimClock(0.0, acceleration, paused, wall)
            self.clock_offset_s = 0.0
            self.store.save_clock(self.clock.anchor, 0.0)
        else:
            self.config = config_from_json(stored)
            self.clock = SimClock(0.0, 1.0, True, wall)
            saved = self.store.clock()
            self.clock_offset_s = 0.0
            if saved is not None:
                self.clock.restore(saved[0])
                self.clock_offset_s = saved[1]
        self.pump = Pump(self.config)
        self.restored_commands = self._replay(self.store.journal())
        self.pump.advance(max(self.pump.now_s, self.clock.now()))

    # ---------------------------------------------------------------- running

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

    def step(self) -> None:
        """One turn of the loop: read what arrived, handle it, send (at most one frame) due.

        Writing one data frame a turn and reading in between keeps acknowledgements flowing
        while a bulk transfer fills a slow line; the read does not wait when frames are due.
        """
        s = self._session
        deadline = s.link.next_deadline() if s is not None else None
        busy = deadline is not None and deadline <= self._monotonic()
        self.port.timeout = 0 if busy else self._poll_s
        data = read_available(self.port)
        now = self._monotonic()
        if data:
            for frame in self._decoder.feed(data):
                self.stats.frames_in += 1
                self._on_frame(frame, now)
        self._expire_session(now)
        self._tick()
        self._flush(now)

    def next_wake_s(self) -> float:
        """When the loop next has work without new bytes: a link timer, a session's expiry."""
        s = self._session
        if s is None:
            return math.inf
        deadline = s.link.next_deadline()
        expiry = min(s.last_seen + self.idle_timeout_s, s.started_at + self.max_session_s)
        return min(math.inf if deadline is None else deadline, expiry)

    def _tick(self) -> None:
        target = self.clock.now()
        if target > self.pump.now_s:
            self.pump.advance(target)

    def _write(self, frame: Frame) -> None:
        self.port.write(frame.encode())
        self.stats.frames_out += 1

    def _flush(self, now: float) -> None:
        s = self._session
        if s is None:
            return
        for frame in s.link.due(now, limit=1):
            self._write(s.cipher.seal(frame))
        if s.link.failed or self._closing:
            self._session = None  # the programmer is gone; it will authenticate again
            self._closing = False

    # ---------------------------------------------------------------- frames

    def _on_frame(self, frame: Frame, now: float) -> None:
        if not frame.flags & Flags.SECURE:
            if frame.msg_type in HANDSHAKE_TYPES:
                self._on_handshake(frame, now)
            else:
                self.stats.rejected_unauthenticated += 1
                self._reply_plain(
                    m.ErrorReply(
                        frame.msg_type, 0, m.WireError.NOT_AUTHENTICATED, "authenticate first", ()
                    )
                )
            return
        s = self._session
        if s is None or frame.session != s.session:
            self.stats.rejected_unauthenticated += 1
            if self._pending is None or frame.session != self._pending.session:
                self._reply_plain(
                    m.ErrorReply(0, 0, m.WireError.SESSION_EXPIRED, "no such session", ())
                )
            return
        opened = s.cipher.open(frame)
        if opened is None:
            return  # forged or replayed: counted by the cipher, changes nothing
        s.last_seen = now
        for msg_type, payload in s.link.receive(opened, now):
            try:
                replies = self._dispatch(s, msg_type, payload)
            except Exception as e:  # a bug must not take the device down; say so instead
                replies = [m.ErrorReply(msg_type, 0, m.WireError.INTERNAL, repr(e), ())]
            for reply in replies:
                s.link.send(m.SPECS[type(reply)].code, codec.encode(reply))

    def _reply_plain(self, msg: Any) -> None:
        self._write(Frame(Flags(0), 0, 0, 0, 0, m.SPECS[type(msg)].code, codec.encode(msg)))

    def _expire_session(self, now: float) -> None:
        s = self._session
        if s is None:
            return
        if now - s.last_seen >= self.idle_timeout_s or now - s.started_at >= self.max_session_s:
            self._session = None

    # ------------------------------------------------------------- handshake

    def _on_handshake(self, frame: Frame, now: float) -> None:
        cls = m.MESSAGES[frame.msg_type]
        try:
            msg = codec.decode(cls, frame.payload)
        except codec.DecodeError as e:
            self._reply_plain(
                m.ErrorReply(frame.msg_type, 0, m.WireError.MALFORMED_MESSAGE, str(e), ())
            )
            return
        if isinstance(msg, m.Hello):
            self._on_hello(msg, now)
        elif isinstance(msg, m.Auth):
            self._on_auth(msg, now)

    def _fail(self, code: m.WireError, message: str, now: float) -> None:
        self._failures += 1
        self.stats.auth_failures += 1
        if self._failures >= 3:
            self._backoff_until = now + min(60.0, 2.0 ** (self._failures - 3))
        self._reply_plain(m.AuthFailed(code, message, max(0.0, self._backoff_until - now)))

    def _on_hello(self, hello: m.Hello, now: float) -> None:
        if now < self._backoff_until:
            self._reply_plain(
                m.AuthFailed(
                    m.WireError.AUTH_BACKOFF,
                    "too many failed authentications",
                    self._backoff_until - now,
                )
            )
            return
        p = self._pending
        if p is not None and p.programmer_nonce == hello.nonce:
            self._reply_plain(p.challenge)  # a retransmitted hello gets the same challenge
            return
        device = self.keys.devices.get(hello.device_id)
        try:
            role = m.Role(hello.role)
        except ValueError:
            self._fail(m.WireError.AUTH_FAILED, f"unknown role {hello.role!r}", now)
            return
        if role is m.Role.SIMULATOR and not self.simulator:
            self._reply_plain(
                m.AuthFailed(m.WireError.SIMULATOR_DISABLED, "simulator control is off", 0.0)
            )
            return
        if device is None or device.role is not role or len(hello.nonce) != 16:
            self._fail(m.WireError.AUTH_FAILED, "device not paired for that role", now)
            return
        session = self._rng.getrandbits(32) or 1
        pump_nonce = self._rng.randbytes(16)
        challenge = m.Challenge(
            session,
            self.keys.pump_id,
            pump_nonce,
            proof(device.key, "pump", session, hello.nonce, pump_nonce),
        )
        self._pending = _Pending(
            session, hello.device_id, role, device.key, hello.nonce, pump_nonce, challenge
        )
        self._reply_plain(challenge)

    def _on_auth(self, auth: m.Auth, now: float) -> None:
        s = self._session
        if s is not None and s.session == auth.session and proofs_equal(auth.proof, s.auth_proof):
            self._send_auth_ok(s)  # the programmer missed our AuthOk
            return
        p = self._pending
        if p is None or p.session != auth.session:
            self._fail(m.WireError.AUTH_FAILED, "no handshake in progress", now)
            return
        expected = proof(p.key, "programmer", p.session, p.programmer_nonce, p.pump_nonce)
        if not proofs_equal(auth.proof, expected):
            self._pending = None
            self._fail(m.WireError.AUTH_FAILED, "authentication failed", now)
            return
        c2p, p2c = session_keys(p.key, p.session, p.programmer_nonce, p.pump_nonce)
        self._session = _Session(
            p.session,
            p.device,
            p.role,
            SessionCipher(p.session, send_key=p2c, receive_key=c2p),
            Link(),
            now,
            now,
            auth.proof,
            {},
        )
        self._pending = None
        self._failures = 0
        self.pump.interrogate()  # a telemetry session costs battery and is logged
        self._commit("interrogate", {})
        self._send_auth_ok(self._session)

    def _send_auth_ok(self, s: _Session) -> None:
        ok = m.AuthOk(s.session, s.role, self.idle_timeout_s, self.max_session_s, self.simulator)
        frame = Frame(Flags(0), 0, 0, 0, 0, m.SPECS[m.AuthOk].code, codec.encode(ok))
        self._write(s.cipher.seal(frame))

    # -------------------------------------------------------------- requests

    def _dispatch(self, s: _Session, msg_type: int, payload: bytes) -> list[Any]:
        cls = m.MESSAGES.get(msg_type)
        if cls is None:
            return [m.ErrorReply(msg_type, 0, m.WireError.UNKNOWN_MESSAGE, "unknown type", ())]
        spec = m.SPECS[cls]
        if spec.handshake or spec.direction != "programmer->pump":
            return [m.ErrorReply(msg_type, 0, m.WireError.UNKNOWN_MESSAGE, "not a request", ())]
        try:
            msg = codec.decode(cls, payload)
        except codec.DecodeError as e:
            return [m.ErrorReply(msg_type, 0, m.WireError.MALFORMED_MESSAGE, str(e), ())]
        txn = int(getattr(msg, "txn", 0))
        if s.role not in spec.roles:
            return [
                m.ErrorReply(
                    msg_type,
                    txn,
                    m.WireError.ROLE_FORBIDDEN,
                    f"{s.role} may not {cls.__name__}",
                    (),
                )
            ]
        if isinstance(msg, m.Bye):
            self._closing = True  # dropped once its acknowledgement is out
            return []
        self._tick()
        if not spec.mutating:
            try:
                return self._read(s, msg)
            except RejectError as r:
                return [m.ErrorReply(msg_type, 0, r.code, r.message, ())]
        stored = self.store.txn(txn)
        if stored is not None:
            self.stats.replayed_txns += 1
            if stored.request_type != msg_type or stored.request != payload:
                return [
                    m.ErrorReply(
                        msg_type, txn, m.WireError.TXN_REUSED, "transaction id already used", ()
                    )
                ]
            return [codec.decode(m.MESSAGES[stored.response_type], stored.response)]
        self.stats.commands += 1
        op: tuple[str, dict[str, Any]] | None = None
        try:
            reply, op = self._mutate(s, msg)
        except PumpError as e:
            reply = m.ErrorReply(msg_type, txn, str(e.code), e.message, convert.error_details(e))
        except RejectError as r:
            reply = m.ErrorReply(msg_type, txn, r.code, r.message, ())
        except (ValueError, TypeError) as e:
            reply = m.ErrorReply(msg_type, txn, m.WireError.MALFORMED_MESSAGE, str(e), ())
        self._commit(
            op[0] if op else None,
            op[1] if op else None,
            txn=txn,
            request_type=msg_type,
            request=payload,
            reply=reply,
        )
        return [reply]

    def _commit(
        self,
        op: str | None,
        args: dict[str, Any] | None,
        *,
        txn: int | None = None,
        request_type: int = 0,
        request: bytes = b"",
        reply: Any = None,
        clock: bool = False,
    ) -> None:
        self.store.commit(
            sim_s=self.pump.now_s,
            op=op,
            args=args,
            txn=txn,
            request_type=request_type,
            request=request,
            response_type=m.SPECS[type(reply)].code if reply is not None else 0,
            response=codec.encode(reply) if reply is not None else b"",
            anchor=self.clock.anchor if clock or txn is not None else None,
            clock_offset_s=self.clock_offset_s,
        )

    # reads ------------------------------------------------------------------

    def status(self) -> m.Status:
        pump = self.pump
        st = pump.status()
        proj = pump.projections()
        log = pump.log
        return m.Status(
            at_s=st.at_s,
            pump_id=self.keys.pump_id,
            variant=str(st.variant),
            program=convert.program_to_spec(st.program),
            mix=convert.mix_to_specs(st.mix),
            reservoir_ml=st.reservoir_ml,
            reservoir_capacity_ml=st.reservoir_capacity_ml,
            commanded_rate_ml_per_day=st.commanded_rate_ml_per_day,
            bolus_kind=str(st.active_bolus.kind) if st.active_bolus else "",
            bolus_ends_at_s=st.active_bolus.ends_at_s if st.active_bolus else None,
            patient_bolus_ends_at_s=st.patient_bolus.ends_at_s if st.patient_bolus else None,
            motor=str(st.motor),
            mri=str(st.mri),
            battery_mah=st.battery_mah,
            battery_capacity_mah=st.battery_capacity_mah,
            eri_at_s=st.eri_at_s,
            end_of_service_at_s=st.end_of_service_at_s,
            alarms=tuple(
                m.AlarmSpec(str(a.kind), str(a.severity), a.raised_at_s) for a in st.alarms
            ),
            refill_in_progress=st.refill_in_progress,
            last_interrogated_at_s=st.last_interrogated_at_s,
            refill_due_at_s=st.refill_due_at_s,
            projected_low_reservoir_at_s=proj.low_reservoir_at_s,
            projected_empty_at_s=proj.empty_at_s,
            projected_eri_at_s=proj.eri_at_s,
            log_first_index=log.first_index,
            log_next_index=log.next_index,
            log_overflow=log.overflow_count,
            clock_offset_s=self.clock_offset_s,
            acceleration=self.clock.acceleration,
            paused=self.clock.paused,
            simulator_available=self.simulator,
        )

    def _read(self, s: _Session, msg: Any) -> list[Any]:
        if isinstance(msg, m.Ping):
            return [m.Pong(msg.token, self.pump.now_s)]
        if isinstance(msg, m.ReadStatus):
            return [self.status()]
        if isinstance(msg, m.Interrogate):
            self.pump.interrogate()
            self._commit("interrogate", {})
            return [self.status()]
        if isinstance(msg, m.ReadLog):
            return self._log_chunks(msg)
        if isinstance(msg, m.ReadTrend):
            return self._trend_chunks(msg)
        if isinstance(msg, m.StageProgram):
            return [self._stage(s, msg)]
        if isinstance(msg, m.TxnQuery):
            stored = self.store.txn(msg.txn)
            if stored is None:
                return [m.TxnStatus(msg.txn, False, 0, b"")]
            return [m.TxnStatus(msg.txn, True, stored.response_type, stored.response)]
        if isinstance(msg, m.SimTruthRequest):
            p = self.pump.physical()
            return [
                m.SimTruth(
                    p.at_s,
                    p.reservoir_ml,
                    p.filled_ml,
                    p.withdrawn_ml,
                    p.pumped_ml,
                    p.delivered_ml,
                    p.misplaced_ml,
                    p.pocket_ml,
                    tuple(m.DoseSpec(d, v) for d, v in p.delivered_mcg.items()),
                    p.flow_factor,
                    p.dislodged,
                )
            ]
        raise RejectError(m.WireError.UNKNOWN_MESSAGE, f"no handler for {type(msg).__name__}")

    def _log_chunks(self, msg: m.ReadLog) -> list[Any]:
        log = self.pump.log
        records = log.since(msg.since_index)[: msg.max_records or None]
        chunks: list[Any] = []
        batch: list[m.LogRecordSpec] = []
        size = 64
        for r in records:
            spec = m.LogRecordSpec(r.index, r.at_s, str(r.kind), json.dumps(dict(r.details)))
            rec_size = 20 + len(spec.kind) + len(spec.details_json.encode())
            if batch and size + rec_size > MAX_PLAINTEXT:
                chunks.append(batch)
                batch, size = [], 64
            batch.append(spec)
            size += rec_size
        chunks.append(batch)
        first, nxt, overflow = log.first_index, log.next_index, log.overflow_count
        return [
            m.LogChunk(first, nxt, overflow, tuple(b), i < len(chunks) - 1)
            for i, b in enumerate(chunks)
        ]

    def _trend_chunks(self, msg: m.ReadTrend) -> list[Any]:
        end = min(msg.end_s, self.pump.now_s)
        start = max(0.0, msg.start_s)
        if not (math.isfinite(start) and math.isfinite(end)) or end < start:
            raise RejectError(m.WireError.MALFORMED_MESSAGE, "bad trend window")
        trend = self.pump.trend(start, end)
        drugs = tuple(d for d, v in trend.delivered_mcg.items() if v.any())
        columns = [trend.delivered_ml, trend.reservoir_expected_ml, trend.battery_mah]
        columns += [trend.delivered_mcg[d] for d in drugs]
        rows = len(trend)
        per_row = 8 * len(columns)
        overhead = 64 + sum(len(d) + 2 for d in drugs)
        rows_per_chunk = max(1, (MAX_PLAINTEXT - overhead) // per_row)
        chunks: list[Any] = []
        for begin in range(0, max(rows, 1), rows_per_chunk):
            stop = min(rows, begin + rows_per_chunk)
            data = b"".join(
                struct.pack(f">{len(columns)}d", *(float(c[i]) for c in columns))
                for i in range(begin, stop)
            )
            hour0 = float(trend.hour_start_s[begin]) if rows else start
            chunks.append(m.TrendChunk(hour0, stop - begin, rows, drugs, data, stop < rows))
        return chunks

    def _stage(self, s: _Session, msg: m.StageProgram) -> m.ProgramReview:
        try:
            program = convert.program_from_spec(msg.program)
        except (ValueError, TypeError) as e:
            raise RejectError(m.WireError.MALFORMED_MESSAGE, str(e)) from None
        violations = self.pump.validate(program)
        old = self.pump.program
        mix = self.pump.status().mix
        review = m.ProgramReview(
            0,
            not violations,
            convert.violations_to_specs(violations),
            convert.program_changes(old, program),
            convert.daily_doses(old, mix),
            convert.daily_doses(program, mix),
            () if violations else convert.warnings_to_specs(self.pump.soft_limit_warnings(program)),
        )
        if violations:
            return review
        stage_id = self._rng.getrandbits(31) or 1
        s.staged = {stage_id: program}  # staging again replaces what was staged
        return dataclasses.replace(review, stage_id=stage_id)

    # changes ----------------------------------------------------------------

    def _mutate(self, s: _Session, msg: Any) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
        """Apply one command to the model; return the reply and the journal entry."""
        pump = self.pump
        txn = msg.txn
        if isinstance(msg, m.ConfirmProgram):
            program = s.staged.get(msg.stage_id)
            if program is None:
                raise RejectError(m.WireError.STAGE_UNKNOWN, "nothing staged under that id")
            pump.set_program(program, override_soft_limits=msg.override_soft_limits)
            s.staged = {}
            spec = convert.program_to_spec(program)
            args = {"program": _spec_json(spec), "override": msg.override_soft_limits}
            return m.Done(txn, "program written"), ("program", args)
        if isinstance(msg, m.ClinicianBolus):
            b = pump.start_bolus(msg.volume_ml, msg.duration_s)
            args = {"volume_ml": msg.volume_ml, "duration_s": msg.duration_s}
            return _bolus_reply(txn, b), ("bolus", args)
        if isinstance(msg, m.PrimingBolus):
            b = pump.start_priming_bolus(msg.volume_ml)
            return _bolus_reply(txn, b), ("priming", {"volume_ml": msg.volume_ml})
        if isinstance(msg, m.BridgeBolus):
            return _bolus_reply(txn, pump.start_bridge_bolus()), ("bridge", {})
        if isinstance(msg, m.CancelBolus):
            pump.cancel_bolus()
            return m.Done(txn, "bolus cancelled"), ("cancel_bolus", {})
        if isinstance(msg, m.PatientBolusRequest):
            outcome = pump.request_patient_bolus()
            return m.PatientBolusResult(txn, str(outcome)), ("patient_bolus", {})
        if isinstance(msg, m.RefillWithdraw):
            w = pump.withdraw_reservoir()
            reply = m.WithdrawResult(
                txn, w.withdrawn_ml, w.expected_ml, w.tolerance_ml, str(w.verdict)
            )
            return reply, ("withdraw", {})
        if isinstance(msg, m.RefillFill):
            return self._fill(msg)
        if isinstance(msg, m.MriEnter):
            pump.enter_mri_safe_mode()
            return m.Done(txn, "MRI-safe mode"), ("mri_enter", {})
        if isinstance(msg, m.MriExit):
            pump.exit_mri_safe_mode()
            return m.Done(txn, "MRI-safe mode ended"), ("mri_exit", {})
        if isinstance(msg, m.AcknowledgeAlarms):
            kinds = list(msg.kinds) or None
            cleared = pump.acknowledge_alarms(
                None if kinds is None else [pumpsim.AlarmKind(k) for k in kinds]
            )
            detail = ",".join(str(a.kind) for a in cleared)
            return m.Done(txn, detail), ("ack_alarms", {"kinds": kinds})
        if isinstance(msg, m.SetClock):
            if not math.isfinite(msg.clock_offset_s):
                raise RejectError(m.WireError.MALFORMED_MESSAGE, "clock offset must be finite")
            self.clock_offset_s = msg.clock_offset_s  # committed with the transaction
            return m.Done(txn, "clock set"), None
        return self._simulate(msg)

    def _fill(self, msg: m.RefillFill) -> tuple[Any, tuple[str, dict[str, Any]]]:
        if len(msg.program) > 1:
            raise RejectError(m.WireError.MALFORMED_MESSAGE, "at most one program")
        program = convert.program_from_spec(msg.program[0]) if msg.program else None
        mix = convert.mix_from_specs(msg.mix)
        result = self.pump.fill_reservoir(
            msg.volume_ml,
            mix,
            program,
            msg.refill_due_at_s,
            override_soft_limits=msg.override_soft_limits,
        )
        bridge = result.bridge_offer
        reply = m.FillResult(
            msg.txn,
            result.volume_ml,
            ()
            if bridge is None
            else (m.BridgeSpec(bridge.volume_ml, bridge.rate_ml_per_day, bridge.duration_s),),
        )
        args = {
            "volume_ml": msg.volume_ml,
            "mix": [[d.drug, d.mcg_per_ml] for d in msg.mix],
            "program": _spec_json(msg.program[0]) if msg.program else None,
            "refill_due_at_s": msg.refill_due_at_s,
            "override": msg.override_soft_limits,
        }
        return reply, ("fill", args)

    def _simulate(self, msg: Any) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
        if isinstance(msg, m.SimAdvance):
            if not (math.isfinite(msg.seconds) and msg.seconds >= 0):
                raise RejectError(m.WireError.MALFORMED_MESSAGE, "seconds must be >= 0")
            self.clock.jump(msg.seconds)  # committed with the transaction, like every change
            self._tick()
            return m.Done(msg.txn, f"advanced to {self.pump.now_s:.0f} s"), None
        if isinstance(msg, m.SimSetSpeed):
            try:
                self.clock.set_speed(msg.acceleration, msg.paused)
            except ValueError as e:
                raise RejectError(m.WireError.MALFORMED_MESSAGE, str(e)) from None
            return m.Done(msg.txn, "speed set"), None
        if isinstance(msg, m.SimInjectFault):
            fault = convert.fault_from_json(msg.fault_json, self.pump.now_s)
            self.pump.inject(fault)
            return m.Done(msg.txn, "fault scheduled"), (
                "fault",
                {"fault": convert.fault_to_json(fault)},
            )
        raise RejectError(m.WireError.UNKNOWN_MESSAGE, f"no handler for {type(msg).__name__}")

    # ------------------------------------------------------------- recovery

    def _replay(self, journal: list[JournalEntry]) -> int:
        """Rebuild the model from its journal (deterministic: same commands, same state)."""
        pump = self.pump
        for entry in journal:
            pump.advance(max(pump.now_s, entry.sim_s))
            apply_journal_entry(pump, entry.op, entry.args)
        return len(journal)


def _spec_json(spec: m.ProgramSpec) -> str:
    return json.dumps(dataclasses.asdict(spec))


def _spec_from_json(text: str) -> m.ProgramSpec:
    data = json.loads(text)
    return m.ProgramSpec(
        data["mode"],
        data["rate_ml_per_day"],
        data["period"],
        tuple(m.StepSpec(**s) for s in data["steps"]),
        tuple(m.PatientBolusSpec(**p) for p in data["patient_bolus"]),
        data["low_reservoir_alarm_ml"],
    )


def apply_journal_entry(pump: Pump, op: str, args: dict[str, Any]) -> None:
    """Apply a journalled command again. The journal holds only what was applied, and an
    override the clinician gave then holds again (older entries, without one, had none)."""
    override = bool(args.get("override", False))
    if op == "program":
        program = convert.program_from_spec(_spec_from_json(args["program"]))
        pump.set_program(program, override_soft_limits=override)
    elif op == "bolus":
        pump.start_bolus(args["volume_ml"], args["duration_s"])
    elif op == "priming":
        pump.start_priming_bolus(args["volume_ml"])
    elif op == "bridge":
        pump.start_bridge_bolus()
    elif op == "cancel_bolus":
        pump.cancel_bolus()
    elif op == "patient_bolus":
        pump.request_patient_bolus()
    elif op == "withdraw":
        pump.withdraw_reservoir()
    elif op == "fill":
        program = args["program"]
        pump.fill_reservoir(
            args["volume_ml"],
            convert.mix_from_specs(tuple(m.DrugSpec(d, c) for d, c in args["mix"])),
            convert.program_from_spec(_spec_from_json(program)) if program else None,
            args["refill_due_at_s"],
            override_soft_limits=override,
        )
    elif op == "mri_enter":
        pump.enter_mri_safe_mode()
    elif op == "mri_exit":
        pump.exit_mri_safe_mode()
    elif op == "ack_alarms":
        kinds = args["kinds"]
        pump.acknowledge_alarms(None if kinds is None else [pumpsim.AlarmKind(k) for k in kinds])
    elif op == "interrogate":
        pump.interrogate()
    elif op == "fault":
        pump.inject(convert.fault_from_json(args["fault"], pump.now_s))
    else:  # pragma: no cover - the journal only holds ops written above
        raise ValueError(f"unknown journal op {op!r}")


def _bolus_reply(txn: int, b: pumpsim.ActiveBolus) -> m.BolusStarted:
    return m.BolusStarted(txn, str(b.kind), b.volume_ml, b.rate_ml_per_day, b.ends_at_s)
