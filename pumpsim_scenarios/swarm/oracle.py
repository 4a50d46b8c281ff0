"""What a request should do to a pump, applied straight to a model: the swarm's oracle.

It reads the request as the programmer sent it (not the firmware's journal entry), so a reference
pump fed this way is an independent witness of what the firmware did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from pumpsim import Pump, PumpError, TherapyProgram


def apply_request(ref: Pump, msg: Any, staged: Mapping[int, TherapyProgram]) -> bool:
    """Apply a request to `ref` as the pump should; True if the model refused it.

    `staged` maps stage ids to the programs staged under them (a confirmation names only its id).
    """
    try:
        if isinstance(msg, m.ConfirmProgram):
            program = staged.get(msg.stage_id)
            if program is None:
                return True
            ref.set_program(program, override_soft_limits=msg.override_soft_limits)
        elif isinstance(msg, m.ClinicianBolus):
            ref.start_bolus(msg.volume_ml, msg.duration_s)
        elif isinstance(msg, m.PatientBolusRequest):
            ref.request_patient_bolus()
        elif isinstance(msg, m.RefillWithdraw):
            ref.withdraw_reservoir()
        elif isinstance(msg, m.RefillFill):
            program = convert.program_from_spec(msg.program[0]) if msg.program else None
            mix = convert.mix_from_specs(msg.mix)
            ref.fill_reservoir(
                msg.volume_ml, mix, program, override_soft_limits=msg.override_soft_limits
            )
        elif isinstance(msg, m.MriEnter):
            ref.enter_mri_safe_mode()
        elif isinstance(msg, m.MriExit):
            ref.exit_mri_safe_mode()
        elif isinstance(msg, m.AcknowledgeAlarms):
            ref.acknowledge_alarms()
        elif isinstance(msg, m.SimAdvance):
            ref.advance(ref.now_s + msg.seconds)
        elif isinstance(msg, m.SetClock):
            ref.set_clock(msg.clock_offset_s)
        elif isinstance(msg, m.SimInjectFault):
            ref.inject(convert.fault_from_json(msg.fault_json, ref.now_s))
        elif isinstance(msg, m.SimAttachPatient):
            ref.attach_cohort([convert.patient_from_spec(p) for p in msg.patients])
    except PumpError:
        return True
    return False
