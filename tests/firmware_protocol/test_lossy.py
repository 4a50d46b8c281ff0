"""Over a lossy line, every command is applied exactly once, or reported as not known to be.

A hypothesis test drives real firmware and client threads over a seeded noisy link (dropped,
duplicated, reordered frames, flipped bits). Each command is a patient-bolus request, which the
pump logs whether it grants it or not, so the log counts how often commands were applied.
"""

from __future__ import annotations

import contextlib
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from firmware_protocol.client import recovery
from firmware_protocol.client.pump_client import ClientError, OutcomeUncertainError
from firmware_protocol.line.transport import LineFaults
from firmware_protocol.wire import messages as m
from pumpsim import Continuous, LogKind, TherapyProgram

from builders import MORPHINE_10, patient_bolus
from protocol_helpers import bench

EXAMPLES = 60 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 6


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 2**31),
    drop=st.sampled_from([0.0, 0.05, 0.15]),
    flip=st.sampled_from([0.0, 1e-4, 1e-3]),
    dup=st.sampled_from([0.0, 0.1]),
    reorder=st.sampled_from([0.0, 0.1]),
    commands=st.integers(2, 6),
)
def test_commands_apply_exactly_once_or_are_reported(
    seed: int, drop: float, flip: float, dup: float, reorder: float, commands: int
) -> None:
    line = LineFaults(
        bit_flip_rate=flip,
        drop_frame_rate=drop,
        duplicate_frame_rate=dup,
        reorder_frame_rate=reorder,
    )
    with bench(faults=(line, line), seed=seed) as b:
        # Set up in the model directly: the firmware is idle (no session, clock paused).
        b.firmware.pump.fill_reservoir(
            20.0, MORPHINE_10, TherapyProgram(Continuous(0.3), patient_bolus())
        )
        client = b.client(connect=False, reply_timeout_s=2.0)
        confirmed = 0
        unresolved = 0
        for _ in range(commands):
            request = m.PatientBolusRequest(client.new_txn())
            if recovery.deliver(client, request, attempts=6) is not None:
                confirmed += 1
            else:
                unresolved += 1
        applied = len(
            b.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED, LogKind.PATIENT_BOLUS_DENIED)
        )
        assert confirmed <= applied <= confirmed + unresolved
        assert applied <= commands


class LossyLinkMachine(RuleBasedStateMachine):
    """A programmer at work while the line gets better and worse; the pump's log is the judge."""

    def __init__(self) -> None:
        super().__init__()
        self._stack = contextlib.ExitStack()
        self.line = LineFaults()
        self.bench = self._stack.enter_context(bench(faults=(self.line, self.line)))
        self.bench.firmware.pump.fill_reservoir(
            20.0, MORPHINE_10, TherapyProgram(Continuous(0.3), patient_bolus())
        )
        self.client = self.bench.client(connect=False, reply_timeout_s=1.5)
        self.confirmed = 0
        self.uncertain: list[OutcomeUncertainError] = []
        self.sent = 0

    def teardown(self) -> None:
        self._stack.close()

    def applied(self) -> int:
        log = self.bench.firmware.pump.log
        return len(log.of_kind(LogKind.PATIENT_BOLUS_GRANTED, LogKind.PATIENT_BOLUS_DENIED))

    @rule(drop=st.sampled_from([0.0, 0.1, 0.3, 1.0]), flip=st.sampled_from([0.0, 1e-3]))
    def weather(self, drop: float, flip: float) -> None:
        self.line.drop_frame_rate = drop
        self.line.bit_flip_rate = flip

    @rule()
    def command(self) -> None:
        if not self.client.connected and not recovery.connect(self.client, attempts=2):
            return
        self.sent += 1
        try:
            self.client.request(m.PatientBolusRequest(self.client.new_txn()))
            self.confirmed += 1
        except OutcomeUncertainError as e:
            self.uncertain.append(e)
        except ClientError:
            self.sent -= 1  # refused before it left (not connected)

    @rule()
    def resolve(self) -> None:
        if not self.uncertain or not recovery.connect(self.client, attempts=2):
            return
        pending = self.uncertain.pop()
        try:
            if self.client.resolve(pending) is not None:
                self.confirmed += 1
                return
            self.client.retry(pending)  # not applied: send it again under the same id
            self.confirmed += 1
        except OutcomeUncertainError as e:
            self.uncertain.append(e)
        except ClientError:
            self.uncertain.append(pending)

    @invariant()
    def applied_once_or_reported(self) -> None:
        applied = self.applied()
        assert self.confirmed <= applied <= self.confirmed + len(self.uncertain)
        assert applied <= self.sent


LossyLinkMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=20 if EXAMPLES > 6 else 8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestLossyLink = LossyLinkMachine.TestCase
