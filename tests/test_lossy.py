"""Over a lossy line, every command is applied exactly once or reported as not known to be.

A hypothesis test drives real firmware and client threads over a seeded noisy link (dropped,
duplicated, reordered frames, flipped bits). Each command is a patient-bolus request, which the
pump logs whether it grants it or not, so the log counts how often commands were applied.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from builders import MORPHINE_10, patient_bolus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protocol_helpers import bench

from firmware_protocol import messages as m
from firmware_protocol.client import ClientError, OutcomeUncertainError, PumpClient
from firmware_protocol.messages import Role
from firmware_protocol.transport import LineFaults
from pumpsim import Continuous, LogKind, TherapyProgram

EXAMPLES = 60 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 6


def _connect(client: PumpClient, attempts: int = 10) -> bool:
    for _ in range(attempts):
        try:
            client.connect()
            return True
        except ClientError:
            continue
    return False


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
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench(Path(tmp), faults=(line, line), seed=seed) as b,
    ):
        # Set up in the model directly: the firmware's thread is idle (no session, clock paused).
        b.firmware.pump.fill_reservoir(
            20.0, MORPHINE_10, TherapyProgram(Continuous(0.3), patient_bolus())
        )
        client = PumpClient(b.programmer_port, b.keys[Role.CLINICIAN], reply_timeout_s=2.0)
        confirmed = 0
        unresolved = 0
        for _ in range(commands):
            request = m.PatientBolusRequest(client.new_txn())
            if not client.connected and not _connect(client):
                unresolved += 1
                continue
            for _attempt in range(6):
                try:
                    client.request(request)
                    confirmed += 1
                    break
                except OutcomeUncertainError as uncertain:
                    if not _connect(client):
                        continue
                    try:
                        if client.resolve(uncertain) is not None:
                            confirmed += 1
                            break
                    except ClientError:
                        continue
                except ClientError:
                    if not _connect(client):
                        continue
            else:
                unresolved += 1
        applied = len(
            b.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED, LogKind.PATIENT_BOLUS_DENIED)
        )
        assert confirmed <= applied <= confirmed + unresolved
        assert applied <= commands
