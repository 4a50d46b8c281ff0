"""The two ways a scenario reaches a pump: straight onto the model, or through the whole stack.

Both speak in the programmer's requests, built once by the verbs of `Driver`; they differ only in
how a request is carried out. The model driver applies it to a bare `Pump` through the firmware's
own command table (firmware_protocol.device.dispatch, the one the firmware uses live and for journal
replay), so the two modes cannot mean different things by the same verb. The stack driver sends it
through firmware and client on a simulated line on virtual time, and recovers from line faults
the way a programmer must: reconnect, then settle an uncertain command by its transaction id,
never by sending it again under a new one.
"""

from __future__ import annotations

import abc
import dataclasses
import itertools
from typing import Any

import pumpsim
from firmware_protocol.client.pump_client import ClientError, DeviceError, OutcomeUncertainError
from firmware_protocol.client.recovery import deliver
from firmware_protocol.device import dispatch as commands
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.line.line_faults import LineFaults
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from pumpsim import Mix, Pump, PumpError, TherapyProgram
from pumpsim_scenarios.files.spec import Scenario
from pumpsim_scenarios.files.values import Rejected, pump_config


class Driver(abc.ABC):
    """The scenario verbs, each as the request(s) a programmer would send."""

    @property
    @abc.abstractmethod
    def pump(self) -> Pump:
        """The pump the scenario is judged on."""

    @abc.abstractmethod
    def send(self, msg: Any) -> Any:
        """Carry out one request and return the pump's reply; a refusal raises `Rejected`."""

    @abc.abstractmethod
    def new_txn(self) -> int: ...

    @property
    def now_s(self) -> float:
        return self.pump.now_s

    def advance(self, to_s: float) -> None:
        gap = to_s - self.now_s
        if gap > 0:
            self.send(m.SimAdvance(self.new_txn(), gap))

    def program(self, program: TherapyProgram, override: bool = False) -> None:
        review = self.send(m.StageProgram(convert.program_to_spec(program)))
        if not review.accepted:
            raise Rejected([v.code for v in review.violations] + ["PROGRAM_REJECTED"])
        self.send(m.ConfirmProgram(self.new_txn(), review.stage_id, override))

    def bolus(self, volume_ml: float, duration_s: float) -> None:
        self.send(m.ClinicianBolus(self.new_txn(), volume_ml, duration_s))

    def priming(self) -> None:
        self.send(m.PrimingBolus(self.new_txn(), None))

    def patient_bolus(self) -> str:
        return str(self.send(m.PatientBolusRequest(self.new_txn())).outcome)

    def withdraw(self) -> tuple[str, float, float]:
        r = self.send(m.RefillWithdraw(self.new_txn()))
        return str(r.verdict), r.withdrawn_ml, r.expected_ml

    def fill(
        self, volume_ml: float, mix: Mix, program: TherapyProgram | None, override: bool = False
    ) -> None:
        programs = () if program is None else (convert.program_to_spec(program),)
        specs = convert.mix_to_specs(mix)
        self.send(m.RefillFill(self.new_txn(), volume_ml, specs, programs, None, override))

    def mri_enter(self) -> None:
        self.send(m.MriEnter(self.new_txn()))

    def mri_exit(self) -> None:
        self.send(m.MriExit(self.new_txn()))

    def interrogate(self) -> None:
        self.send(m.Interrogate())

    def acknowledge(self) -> None:
        self.send(m.AcknowledgeAlarms(self.new_txn(), ()))

    def fault(self, fault: pumpsim.Fault) -> None:
        self.send(m.SimInjectFault(self.new_txn(), convert.fault_to_json(fault)))

    def conditions(self, body_temperature_c: float, ambient_pressure_kpa: float) -> None:
        self.send(m.SimSetConditions(self.new_txn(), body_temperature_c, ambient_pressure_kpa))

    def attach_patients(self, profiles: tuple[pumpsim.PatientProfile, ...]) -> None:
        specs = tuple(convert.patient_to_spec(p) for p in profiles)
        self.send(m.SimAttachPatient(self.new_txn(), specs))

    def close(self) -> dict[str, Any]:
        return {}


class ModelDriver(Driver):
    """Straight onto the model: fastest, no protocol, the firmware's command table."""

    def __init__(self, scenario: Scenario) -> None:
        self._pump = Pump(pump_config(scenario))
        self._txns = itertools.count(1)
        self._staged: dict[int, TherapyProgram] = {}

    @property
    def pump(self) -> Pump:
        return self._pump

    def new_txn(self) -> int:
        return next(self._txns)

    def send(self, msg: Any) -> Any:
        try:
            return self._carry_out(msg)
        except pumpsim.ProgramRejectedError as e:
            raise Rejected([str(v.code) for v in e.violations] + [str(e.code)]) from None
        except pumpsim.SoftLimitOverrideRequiredError as e:
            raise Rejected([str(w.code) for w in e.warnings] + [str(e.code)]) from None
        except PumpError as e:
            raise Rejected([str(e.code)]) from None
        except ValueError as e:  # what the firmware answers MALFORMED_MESSAGE
            raise Rejected([m.WireError.MALFORMED_MESSAGE]) from e

    def _carry_out(self, msg: Any) -> Any:
        pump = self.pump
        if isinstance(msg, m.StageProgram):
            review, program = commands.review(pump, msg.program)
            if program is None:
                self._staged = {}  # as the firmware does: a refused staging drops the last one
                return review
            stage_id = self.new_txn()
            self._staged = {stage_id: program}  # staging again replaces what was staged
            return dataclasses.replace(review, stage_id=stage_id)
        if isinstance(msg, m.ConfirmProgram):
            if msg.stage_id not in self._staged:
                raise Rejected([m.WireError.STAGE_UNKNOWN])
            reply = commands.apply(pump, msg, self._staged[msg.stage_id])
            self._staged = {}  # written: nothing staged (a refusal leaves it staged)
            return reply
        if isinstance(msg, m.SimAdvance):
            pump.advance(pump.now_s + msg.seconds)
            return m.Done(msg.txn, "")
        if isinstance(msg, m.Interrogate):
            return pump.interrogate()
        return commands.apply(pump, msg)

    def fault(self, fault: pumpsim.Fault) -> None:
        # The model takes the fault object itself: it becomes bytes only where it crosses a wire.
        try:
            self.pump.inject(fault)
        except PumpError as e:
            raise Rejected([str(e.code)]) from None


class StackDriver(Driver):
    """Through the whole stack: firmware and client on a simulated line, on virtual time."""

    def __init__(self, scenario: Scenario) -> None:
        self.line = LineFaults()  # both directions; link_noise changes it in place
        self.config = pump_config(scenario)
        self.sim = simulated_pump(
            seed=scenario.seed,
            config=self.config,
            faults=(self.line, self.line),
            pump_id=f"SCN-{scenario.seed:08d}",
        )
        self.client = self.sim.client(m.Role.SIMULATOR, connect=False)
        self.acknowledged: list[int] = []
        self.uncertain: list[OutcomeUncertainError] = []
        self.lose_next = False
        self.connect()

    @property
    def firmware(self) -> Firmware:
        return self.sim.firmware

    @property
    def pump(self) -> Pump:
        return self.firmware.pump

    def connect(self) -> None:
        for _ in range(30):
            try:
                self.client.connect()
                for pending in list(self.uncertain):
                    try:
                        self.client.resolve(pending)
                        self.uncertain.remove(pending)
                    except ClientError:
                        break
                return
            except ClientError:
                continue
        raise RuntimeError("the programmer could not reconnect to the pump")

    def new_txn(self) -> int:
        return self.client.new_txn()

    def send(self, msg: Any) -> Any:
        """Send until it gets through: reconnect, resolve by transaction id, never a new id."""
        if not self.client.connected:
            self.connect()
        if self.lose_next:
            self.lose_next = False
            self._send_into_a_dead_line(msg)
            self.connect()
        try:
            reply = deliver(self.client, msg, attempts=30)
        except DeviceError as e:
            raise Rejected([v.code for v in e.violations] + [e.code]) from None
        if reply is None:
            raise RuntimeError(f"{type(msg).__name__} never got through")
        if m.SPECS[type(msg)].mutating:
            self.acknowledged.append(msg.txn)
        return reply

    def _send_into_a_dead_line(self, msg: Any) -> None:
        dropping = self.line.drop_frame_rate
        self.line.drop_frame_rate = 1.0
        try:
            self.client.request(msg)
        except OutcomeUncertainError as e:
            self.uncertain.append(e)
        except ClientError:
            pass
        finally:
            self.line.drop_frame_rate = dropping
        self.connect()  # resolves what went missing, by transaction id

    def link_noise(self, params: dict[str, Any]) -> None:
        self.line.bit_flip_rate = float(params.get("bit_error_rate", 0.0))
        self.line.drop_frame_rate = float(params.get("drop_rate", 0.0))
        self.line.duplicate_frame_rate = float(params.get("duplicate_rate", 0.0))
        self.line.reorder_frame_rate = float(params.get("reorder_rate", 0.0))

    def link_loss(self) -> None:
        """The next command goes out into a dead line; the programmer must recover it."""
        self.lose_next = True

    def firmware_reset(self) -> None:
        self.sim.restart()
        self.connect()

    def nothing_lost(self) -> list[int]:
        """Acknowledged transactions the pump's memory no longer holds (should be none).

        Read from the pump's non-volatile store, as the judge reads ground truth: what is there
        survives any restart, and the protocol tests prove TxnQuery reports it."""
        return [txn for txn in self.acknowledged if self.sim.store.txn(txn) is None]

    def close(self) -> dict[str, Any]:
        lost = self.nothing_lost()
        return {"lost_transactions": len(lost), "acknowledged": len(self.acknowledged)}
