"""The programmer side: a typed API over any port, for scripts (sync) and the UI (asyncio).

Each call sends one request and waits for its reply, driving the reliable link as it waits, so a
plain script needs no threads. Device refusals become `DeviceError` with the device's code, message
and violations. A link that stops answering becomes `LinkLostError` after the link's bounded
retries, never a hang. A state-changing command whose reply was lost becomes
`OutcomeUncertainError`: after `reconnect()`, `resolve()` asks the pump about that transaction id
and says whether it acted; the command is never re-sent under a new id.
"""

from __future__ import annotations

import dataclasses
import random
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import serial

from firmware_protocol import codec, convert
from firmware_protocol import messages as m
from firmware_protocol.client_errors import (
    AuthenticationError,
    ClientError,
    DeviceError,
    LinkLostError,
    OutcomeUncertainError,
    RequestTooLargeError,
)
from firmware_protocol.frame import SECURE, Frame, FrameDecoder
from firmware_protocol.link import Link, LinkStats
from firmware_protocol.security import (
    MAX_PLAINTEXT,
    DeviceKey,
    SessionCipher,
    proof,
    proofs_equal,
    session_keys,
)
from firmware_protocol.transport import Port, read_available
from pumpsim import Fault, Mix, TherapyProgram

__all__ = [  # the errors are re-exported: callers catch client.DeviceError and the like
    "AuthenticationError",
    "ClientError",
    "DeviceError",
    "LinkLostError",
    "LogPage",
    "OutcomeUncertainError",
    "PumpClient",
    "RequestTooLargeError",
    "Trend",
]


@dataclass(frozen=True)
class Trend:
    hour_start_s: npt.NDArray[np.float64]
    delivered_ml: npt.NDArray[np.float64]
    reservoir_ml: npt.NDArray[np.float64]
    battery_mah: npt.NDArray[np.float64]
    delivered_mcg: dict[str, npt.NDArray[np.float64]]


@dataclass(frozen=True)
class LogPage:
    first_index: int
    next_index: int
    overflow: int
    records: tuple[m.LogRecordSpec, ...]


ProgressFn = Callable[[int, int], None]


POLL_S = 0.05  # longest wait for bytes; a read returns as soon as any arrive


class PumpClient:
    def __init__(
        self,
        port: Port,
        key: DeviceKey,
        *,
        reply_timeout_s: float = 10.0,
        handshake_timeout_s: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
        window: int = 16,
        rng: random.Random | None = None,
    ) -> None:
        self.port = port
        self.key = key
        self.reply_timeout_s = reply_timeout_s
        self.handshake_timeout_s = handshake_timeout_s
        self._monotonic = monotonic
        self._window = window
        # Nonces and transaction ids; a seeded generator makes a run replayable byte for byte.
        self._rng = rng if rng is not None else random.SystemRandom()
        self._decoder = FrameDecoder()
        self._cipher: SessionCipher | None = None
        self._link: Link | None = None
        self._inbox: deque[Any] = deque()
        # Transaction ids of every command the pump acknowledged to this client, in order.
        self.acknowledged: list[int] = []
        self.session: m.AuthOk | None = None
        port.timeout = POLL_S

    # ---------------------------------------------------------------- session

    @property
    def link_stats(self) -> LinkStats | None:
        """The session's link counters (sent, retransmitted, duplicates...), None before one."""
        return self._link.stats if self._link is not None else None

    @property
    def connected(self) -> bool:
        return self._cipher is not None and self._link is not None and not self._link.failed

    def connect(self) -> m.AuthOk:
        """Mutual authentication; on success every later frame is encrypted and authenticated."""
        self._cipher = None
        self._link = None
        self._inbox.clear()
        nonce = self._rng.randbytes(16)
        hello = m.Hello(str(self.key.role), self.key.device_id, nonce)
        challenge = self._handshake_exchange(hello, m.Challenge)
        assert isinstance(challenge, m.Challenge)
        expected = proof(self.key.key, "pump", challenge.session, nonce, challenge.nonce)
        if challenge.pump_id != self.key.pump_id or not proofs_equal(challenge.proof, expected):
            raise AuthenticationError("PUMP_NOT_AUTHENTIC", "the pump failed to prove its key")
        c2p, p2c = session_keys(self.key.key, challenge.session, nonce, challenge.nonce)
        cipher = SessionCipher(challenge.session, send_key=c2p, receive_key=p2c)
        auth = m.Auth(
            challenge.session,
            proof(self.key.key, "programmer", challenge.session, nonce, challenge.nonce),
        )
        ok = self._handshake_exchange(auth, m.AuthOk, cipher)
        assert isinstance(ok, m.AuthOk)
        self._cipher = cipher
        self._link = Link(window=self._window)
        self.session = ok
        return ok

    def _handshake_exchange(self, msg: Any, want: type, cipher: SessionCipher | None = None) -> Any:
        frame = Frame(0, 0, 0, 0, 0, m.SPECS[type(msg)].code, codec.encode(msg))
        deadline = self._monotonic() + self.handshake_timeout_s
        resend_at = 0.0
        while True:
            now = self._monotonic()
            if now >= deadline:
                raise LinkLostError("no answer from the pump during authentication")
            try:
                if now >= resend_at:
                    self.port.write(frame.encode())
                    resend_at = now + 0.5
                # Wait for bytes until the next resend at most, and never not at all: a timeout
                # of 0 left over from the link (its timer was due) made this loop spin without
                # time passing, for ever on virtual time (swarm seed 4869).
                self.port.timeout = max(0.001, min(POLL_S, resend_at - now, deadline - now))
                data = read_available(self.port)
            except (OSError, serial.SerialException) as e:
                raise LinkLostError(f"the port failed: {e}") from None
            for f in self._decoder.feed(data):
                if f.flags & SECURE:
                    if cipher is None or f.msg_type != m.SPECS[want].code:
                        continue
                    opened = cipher.open(f)
                    if opened is None:
                        continue
                    return codec.decode(want, opened.payload)
                cls = m.MESSAGES.get(f.msg_type)
                if cls is m.AuthFailed:
                    failed = codec.decode(m.AuthFailed, f.payload)
                    raise AuthenticationError(failed.code, failed.message, failed.retry_after_s)
                if cls is want and cipher is None:
                    return codec.decode(want, f.payload)

    def close(self) -> None:
        """Say goodbye (best effort) and forget the session."""
        if self.connected:
            assert self._link is not None
            self._link.send(m.SPECS[m.Bye].code, b"")
            deadline = self._monotonic() + 1.0
            while not self._link.idle and self._monotonic() < deadline and not self._link.failed:
                self._pump_io()
        self._cipher = None
        self._link = None

    def reconnect(self) -> m.AuthOk:
        return self.connect()

    # ------------------------------------------------------------------- I/O

    def _pump_io(self) -> None:
        try:
            self._pump_io_once()
        except (OSError, serial.SerialException) as e:
            if self._link is not None:
                self._link.failed = True
            raise LinkLostError(f"the port failed: {e}") from None

    def _pump_io_once(self) -> None:
        link, cipher = self._link, self._cipher
        assert link is not None
        assert cipher is not None
        now = self._monotonic()
        for frame in link.due(now):
            self.port.write(cipher.seal(frame).encode())
        # Wait for bytes, but not past the link's next timer (a retransmission is due then).
        deadline = link.next_deadline()
        wait = POLL_S if deadline is None else min(POLL_S, max(0.0, deadline - now))
        self.port.timeout = wait
        data = read_available(self.port)
        if not data:
            return
        now = self._monotonic()
        for frame in self._decoder.feed(data):
            if not frame.flags & SECURE:
                if frame.msg_type == m.SPECS[m.ErrorReply].code:
                    try:
                        err = codec.decode(m.ErrorReply, frame.payload)
                    except codec.DecodeError:
                        continue
                    if err.code == m.WireError.SESSION_EXPIRED:
                        link.failed = True
                continue
            opened = cipher.open(frame)
            if opened is None:
                continue
            for msg_type, payload in link.receive(opened, now):
                cls = m.MESSAGES.get(msg_type)
                if cls is not None:
                    self._inbox.append(codec.decode(cls, payload))
        for frame in link.due(self._monotonic()):  # acknowledge promptly
            self.port.write(cipher.seal(frame).encode())

    def _next_reply(self) -> Any:
        if not self.connected:
            raise LinkLostError("not connected")
        assert self._link is not None
        deadline = self._monotonic() + self.reply_timeout_s
        while not self._inbox:
            if self._link.failed:
                raise LinkLostError("the pump stopped acknowledging")
            if self._monotonic() > deadline:
                self._link.failed = True
                raise LinkLostError("no reply from the pump in time")
            self._pump_io()
        return self._inbox.popleft()

    def _send(self, msg: Any) -> None:
        if not self.connected:
            raise LinkLostError("not connected")
        assert self._link is not None
        payload = codec.encode(msg)
        if len(payload) > MAX_PLAINTEXT:
            raise RequestTooLargeError(
                f"{type(msg).__name__} takes {len(payload)} bytes; a message holds at most "
                f"{MAX_PLAINTEXT} (a schedule that long has too many steps to send)"
            )
        self._inbox.clear()
        self._link.send(m.SPECS[type(msg)].code, payload)

    def request(self, msg: Any) -> Any:
        """Send one request and return its reply; raise DeviceError on the pump's refusal."""
        mutating = m.SPECS[type(msg)].mutating
        self._send(msg)
        try:
            reply = self._next_reply()
        except LinkLostError:
            if mutating:
                raise OutcomeUncertainError(msg.txn, msg) from None
            raise
        if isinstance(reply, m.ErrorReply):
            raise DeviceError(reply)
        if mutating:
            self.acknowledged.append(msg.txn)
        return reply

    def _stream(
        self, msg: Any, count: Callable[[Any], tuple[int, int]], progress: ProgressFn | None
    ) -> list[Any]:
        """A bulk read: chunks until one says `more = False`; `progress(done, total)` on each."""
        self._send(msg)
        chunks: list[Any] = []
        done = 0
        while True:
            reply = self._next_reply()
            if isinstance(reply, m.ErrorReply):
                raise DeviceError(reply)
            chunks.append(reply)
            items, total = count(reply)
            done += items
            if progress is not None:
                progress(done, total)
            if not reply.more:
                return chunks

    def new_txn(self) -> int:
        return self._rng.getrandbits(64)

    # ------------------------------------------------------------- recovery

    def resolve(self, uncertain: OutcomeUncertainError) -> Any | None:
        """After reconnecting: the stored reply if the pump acted on it, None if it never did."""
        status = self.request(m.TxnQuery(uncertain.txn))
        if not status.known:
            return None
        reply = codec.decode(m.MESSAGES[status.response_type], status.response)
        if isinstance(reply, m.ErrorReply):
            raise DeviceError(reply)
        return reply

    def retry(self, uncertain: OutcomeUncertainError) -> Any:
        """Send the same command again under the same id: applied at most once either way."""
        return self.request(uncertain.request)

    # ------------------------------------------------------------------ reads

    def ping(self) -> float:
        token = self._rng.getrandbits(32)
        pong = self.request(m.Ping(token))
        if pong.token != token:
            raise ClientError("pong does not match ping")
        return float(pong.sim_time_s)

    def interrogate(self) -> m.Status:
        reply: m.Status = self.request(m.Interrogate())
        return reply

    def read_status(self) -> m.Status:
        reply: m.Status = self.request(m.ReadStatus())
        return reply

    def read_description(self) -> m.PumpDescription:
        """The pump's configuration and drug library, to check forms the way the pump will."""
        chunks = self._stream(m.ReadDescription(), lambda c: (len(c.drugs), 0), None)
        drugs = tuple(d for c in chunks for d in c.drugs)
        whole: m.PumpDescription = dataclasses.replace(chunks[-1], drugs=drugs, more=False)
        return whole

    def read_log(
        self, since_index: int = 0, max_records: int = 0, progress: ProgressFn | None = None
    ) -> LogPage:
        expected = 0

        def count(chunk: m.LogChunk) -> tuple[int, int]:
            nonlocal expected
            if not expected:
                expected = chunk.next_index - max(since_index, chunk.first_index)
                if max_records:
                    expected = min(expected, max_records)
            return len(chunk.records), expected

        chunks = self._stream(m.ReadLog(since_index, max_records), count, progress)
        records = tuple(r for c in chunks for r in c.records)
        last = chunks[-1]
        return LogPage(last.first_index, last.next_index, last.overflow, records)

    def read_trend(self, start_s: float, end_s: float, progress: ProgressFn | None = None) -> Trend:
        chunks = self._stream(
            m.ReadTrend(start_s, end_s), lambda c: (c.rows, c.total_rows), progress
        )
        drugs = chunks[0].drugs
        width = 3 + len(drugs)
        data = b"".join(c.data for c in chunks)
        rows = len(data) // (8 * width)
        table = np.array(struct.unpack(f">{rows * width}d", data)).reshape(rows, width)
        first = chunks[0].hour_start_s
        hours = first + 3600.0 * np.arange(rows, dtype=np.float64)
        return Trend(
            hours,
            table[:, 0].copy(),
            table[:, 1].copy(),
            table[:, 2].copy(),
            {d: table[:, 3 + i].copy() for i, d in enumerate(drugs)},
        )

    # -------------------------------------------------------------- commands

    def stage_program(self, program: TherapyProgram) -> m.ProgramReview:
        """The device validates and diffs; nothing changes until `confirm_program`."""
        reply: m.ProgramReview = self.request(m.StageProgram(convert.program_to_spec(program)))
        return reply

    def confirm_program(self, stage_id: int, *, override_soft_limits: bool = False) -> m.Done:
        """Write what was staged. Past a soft limit (the review's `warnings`) the pump refuses
        with SOFT_LIMIT_OVERRIDE_REQUIRED unless the clinician overrides."""
        msg = m.ConfirmProgram(self.new_txn(), stage_id, override_soft_limits)
        reply: m.Done = self.request(msg)
        return reply

    def clinician_bolus(self, volume_ml: float, duration_s: float) -> m.BolusStarted:
        reply: m.BolusStarted = self.request(
            m.ClinicianBolus(self.new_txn(), volume_ml, duration_s)
        )
        return reply

    def priming_bolus(self, volume_ml: float | None = None) -> m.BolusStarted:
        reply: m.BolusStarted = self.request(m.PrimingBolus(self.new_txn(), volume_ml))
        return reply

    def bridge_bolus(self) -> m.BolusStarted:
        reply: m.BolusStarted = self.request(m.BridgeBolus(self.new_txn()))
        return reply

    def cancel_bolus(self) -> m.Done:
        reply: m.Done = self.request(m.CancelBolus(self.new_txn()))
        return reply

    def patient_bolus(self) -> str:
        reply: m.PatientBolusResult = self.request(m.PatientBolusRequest(self.new_txn()))
        return reply.outcome

    def refill_withdraw(self) -> m.WithdrawResult:
        reply: m.WithdrawResult = self.request(m.RefillWithdraw(self.new_txn()))
        return reply

    def refill_fill(
        self,
        volume_ml: float,
        mix: Mix,
        program: TherapyProgram | None = None,
        refill_due_at_s: float | None = None,
        *,
        override_soft_limits: bool = False,
    ) -> m.FillResult:
        msg = m.RefillFill(
            self.new_txn(),
            volume_ml,
            convert.mix_to_specs(mix),
            () if program is None else (convert.program_to_spec(program),),
            refill_due_at_s,
            override_soft_limits,
        )
        reply: m.FillResult = self.request(msg)
        return reply

    def mri_enter(self) -> m.Done:
        reply: m.Done = self.request(m.MriEnter(self.new_txn()))
        return reply

    def mri_exit(self) -> m.Done:
        reply: m.Done = self.request(m.MriExit(self.new_txn()))
        return reply

    def acknowledge_alarms(self, kinds: tuple[str, ...] = ()) -> m.Done:
        reply: m.Done = self.request(m.AcknowledgeAlarms(self.new_txn(), tuple(kinds)))
        return reply

    def set_clock(self, clock_offset_s: float) -> m.Done:
        reply: m.Done = self.request(m.SetClock(self.new_txn(), clock_offset_s))
        return reply

    # ------------------------------------------------------------- simulator

    def sim_advance(self, seconds: float) -> m.Done:
        reply: m.Done = self.request(m.SimAdvance(self.new_txn(), seconds))
        return reply

    def sim_set_speed(self, acceleration: float, paused: bool = False) -> m.Done:
        reply: m.Done = self.request(m.SimSetSpeed(self.new_txn(), acceleration, paused))
        return reply

    def sim_inject_fault(self, fault: Fault | str) -> m.Done:
        text = fault if isinstance(fault, str) else convert.fault_to_json(fault)
        reply: m.Done = self.request(m.SimInjectFault(self.new_txn(), text))
        return reply

    def sim_truth(self) -> m.SimTruth:
        reply: m.SimTruth = self.request(m.SimTruthRequest())
        return reply
