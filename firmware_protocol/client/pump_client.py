"""The programmer side: a typed API over any port, for scripts (sync) and the UI (asyncio).

Each call sends one request and waits for its reply over the client's `Channel` (handshake,
sealed frames, the reliable link, in `channel.py`), which drives the link as it waits, so a
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from firmware_protocol.client.channel import Carrier, Channel
from firmware_protocol.client.errors import (
    AuthenticationError,
    ClientError,
    DeviceError,
    LinkLostError,
    OutcomeUncertainError,
    RequestTooLargeError,
)
from firmware_protocol.line.link import LinkStats
from firmware_protocol.line.transport import Port
from firmware_protocol.session import log_seal
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire import codec, convert
from firmware_protocol.wire import messages as m
from pumpsim import Fault, Mix, PatientProfile, TherapyProgram

__all__ = [  # the errors are re-exported: callers catch client.DeviceError and the like
    "AuthenticationError",
    "ClientError",
    "DeviceError",
    "LinkLostError",
    "LogPage",
    "OutcomeUncertainError",
    "PumpClient",
    "RequestTooLargeError",
    "SealedLog",
    "Trend",
]

if TYPE_CHECKING:  # numpy is imported where a trend is read: a dashboard never needs it
    import numpy as np
    import numpy.typing as npt


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


@dataclass(frozen=True)
class SealedLog:
    page: LogPage
    seal: m.LogSeal | None  # None for an empty log
    verdict: log_seal.LogVerdict | None  # None: no public key to check with (pair again)


ProgressFn = Callable[[int, int], None]


class PumpClient:
    """Typed requests to one pump: reads, staged programs, commands, the simulator's calls."""

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
        protocol_version: int = codec.CURRENT_VERSION,
        carrier: Carrier | None = None,
    ) -> None:
        """`carrier`, when given, carries the requests instead of a channel over `port`."""
        self.reply_timeout_s = reply_timeout_s
        # Nonces and transaction ids; a seeded generator makes a run replayable byte for byte.
        self._rng = rng if rng is not None else random.SystemRandom()
        self.carrier: Carrier = carrier or Channel(
            port,
            key,
            handshake_timeout_s=handshake_timeout_s,
            monotonic=monotonic,
            window=window,
            rng=self._rng,
            protocol_version=protocol_version,
        )
        # Transaction ids of every command the pump acknowledged to this client, in order.
        self.acknowledged: list[int] = []

    # ---------------------------------------------------------------- session

    @property
    def channel(self) -> Channel:
        """The line's channel (handshake, cipher, link); a client on a rig port has none."""
        if not isinstance(self.carrier, Channel):
            raise AttributeError("this client is on a rig port: it has no line channel")
        return self.carrier

    @property
    def port(self) -> Port:
        return self.carrier.port

    @property
    def key(self) -> DeviceKey:
        return self.carrier.key

    @property
    def session(self) -> m.AuthOk | None:
        return self.carrier.session

    @property
    def link_stats(self) -> LinkStats | None:
        """The session's link counters (sent, retransmitted, duplicates...), None before one."""
        return self.carrier.link_stats

    @property
    def connected(self) -> bool:
        return self.carrier.connected

    def connect(self) -> m.AuthOk:
        """Mutual authentication; on success every later frame is encrypted and authenticated."""
        return self.carrier.connect()

    def reconnect(self) -> m.AuthOk:
        return self.carrier.connect()

    def close(self) -> None:
        """Say goodbye (best effort) and forget the session."""
        self.carrier.close()

    # --------------------------------------------------------------- requests

    def request(self, msg: Any) -> Any:
        """Send one request and return its reply; raise DeviceError on the pump's refusal."""
        mutating = m.SPECS[type(msg)].mutating
        self.carrier.send(msg)
        try:
            reply = self.carrier.next_reply(self.reply_timeout_s)
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
        self.carrier.send(msg)
        chunks: list[Any] = []
        done = 0
        while True:
            reply = self.carrier.next_reply(self.reply_timeout_s)
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

    def read_log_seal(self, first_index: int, index: int) -> m.LogSeal:
        """The pump's signed seal of record `index`, anchored before `first_index`."""
        reply: m.LogSeal = self.request(m.ReadLogSeal(first_index, index))
        return reply

    def read_sealed_log(self, progress: ProgressFn | None = None) -> SealedLog:
        """The whole log the pump holds, its seal, and the verdict of checking one against the
        other with the pump's public key from pairing (no verdict for a key paired before 0.2)."""
        page = self.read_log(0, 0, progress)
        if not page.records:
            return SealedLog(page, None, log_seal.LogVerdict(True, 0))
        seal = self.read_log_seal(page.records[0].index, page.records[-1].index)
        public = self.key.pump_public_key
        verdict = (
            log_seal.verify_page(page.records, seal, public, self.key.pump_id) if public else None
        )
        return SealedLog(page, seal, verdict)

    def read_trend(self, start_s: float, end_s: float, progress: ProgressFn | None = None) -> Trend:
        import numpy as np

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

    def sim_set_conditions(
        self, body_temperature_c: float = 37.0, ambient_pressure_kpa: float = 101.325
    ) -> m.Done:
        """The world at the pump (protocol 4, simulator role): a constant-flow pump follows it."""
        msg = m.SimSetConditions(self.new_txn(), body_temperature_c, ambient_pressure_kpa)
        reply: m.Done = self.request(msg)
        return reply

    def sim_truth(self) -> m.SimTruth:
        reply: m.SimTruth = self.request(m.SimTruthRequest())
        return reply

    def sim_attach_patient(self, *profiles: PatientProfile) -> m.Done:
        """Put a virtual patient (or a cohort) at the end of the catheter (protocol 3,
        simulator role); replaces any attached before."""
        specs = tuple(convert.patient_to_spec(p) for p in profiles)
        reply: m.Done = self.request(m.SimAttachPatient(self.new_txn(), specs))
        return reply

    def sim_patient(self, index: int = 0) -> m.SimPatient:
        """A virtual patient now: exposure, the signs present, the latest changes."""
        reply: m.SimPatient = self.request(m.SimPatientRequest(index))
        return reply
