"""Training: a scenario played live against the programmer, then a debrief.

This lives in the scenario layer, which owns the scenario format and its judge; the programmer
sees the player only through the small protocol in `programmer_tui.training`, and only its entry
point constructs one (trainer mode).

The scenario's faults appear at their scripted simulated times while the trainee works: with the
pump's clock still stopped, the programmer schedules every one of them through the simulator role
(each fault has its own onset time, so none depends on how often the screen is refreshed), then
starts the clock. Everything else in the timeline is the trainee's job. When the scenario's time
is up the clock is paused and the debrief compares what happened on the pump, up to the scenario's
end, with what the scenario expected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pumpsim
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from pumpsim.domain.program import average_rate_ml_per_day
from pumpsim_scenarios.files.spec import Action, Scenario
from pumpsim_scenarios.running import patients, runner


@dataclass
class Debrief:
    lines: list[tuple[bool, str]]
    alarms_seen: list[str]
    alarms_acknowledged: list[str]
    verdicts: list[str]
    delivered: dict[str, float]
    patient: list[str] = field(default_factory=list)  # the virtual patient's story, in words

    @property
    def passed(self) -> bool:
        return all(ok for ok, _ in self.lines)


@dataclass
class ScenarioPlayer:
    scenario: Scenario
    acceleration: float = 3600.0
    injected: list[int] = field(default_factory=list)
    finished: bool = False
    # (time, exposure) per patient and drug, as read while the trainee works (for `exposure`)
    samples: dict[int, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)

    def setup(self, client: PumpClient) -> None:
        """Implant as the scenario says (the trainee starts from there)."""
        init = self.scenario.initial
        conc = runner.mcg_of(init, "concentration") or 1000.0
        config = runner.pump_config(self.scenario)
        program_params = init.get("program", {"mode": "stopped"}) | runner.patient_bolus_params(
            init
        )
        program = runner.program_from(program_params, conc, config)
        status = client.read_status()
        if status.refill_in_progress:
            client.refill_withdraw()
            flows_by_itself = config.is_constant_flow  # no program and no priming, as the runner
            client.refill_fill(
                float(init.get("fill_ml", 20.0)),
                pumpsim.Mix.of(**{init.get("drug", "morphine"): conc}),
                None if flows_by_itself else program,
            )
            if init.get("prime", True) and not flows_by_itself:
                client.priming_bolus()
        if self.scenario.patient is not None:
            status = client.read_status()
            basal = convert.program_from_spec(status.program).basal
            rate = average_rate_ml_per_day(basal)
            dose = rate * conc
            client.sim_attach_patient(*self.scenario.patient.profiles(self.scenario.seed, dose))
        for action in self.scenario.timeline:
            if action.kind == "fault" and action.index not in self.injected:
                client.sim_inject_fault(runner.fault_json(action.params, action.at_s))
                self.injected.append(action.index)
        client.sim_set_speed(self.acceleration, False)

    def due_faults(self, now_s: float) -> list[Action]:
        return [
            a
            for a in self.scenario.timeline
            if a.kind == "fault" and a.at_s <= now_s and a.index not in self.injected
        ]

    def inject(self, client: PumpClient, action: Action) -> None:
        """A fault scheduled late (the scenario changed under way): it begins now, pump time."""
        scripted = json.loads(runner.fault_json(action.params, action.at_s))
        del scripted["onset_s"]
        client.sim_inject_fault(json.dumps({**scripted, "in_s": 0}))
        self.injected.append(action.index)

    def over(self, now_s: float) -> bool:
        return now_s >= self.scenario.duration_s

    def observe(self, client: PumpClient, now_s: float) -> None:
        """Note each patient's exposure now (as the trainee's screen refreshes), so the debrief
        can judge `exposure` expectations as the runner does on its own samples."""
        if self.scenario.patient is None or now_s > self.scenario.duration_s:
            return
        for index, report in _reports(client):
            mine = self.samples.setdefault(index, {})
            for e in report.exposures:
                mine.setdefault(e.drug, []).append((report.at_s, e.exposure))

    def _patients(self, client: PumpClient) -> list[dict[str, Any]]:
        """Each patient's outcome as the runner describes it, read through the simulator role."""
        out: list[dict[str, Any]] = []
        for index, r in _reports(client):
            changes = [
                (c.at_s, c.drug, c.sign, c.severity)
                for c in r.timeline
                if c.at_s <= self.scenario.duration_s
            ]
            exposures = {e.drug: (e.exposure, e.band_low, e.band_high) for e in r.exposures}
            samples = {d: tuple(v) for d, v in self.samples.get(index, {}).items()}
            out.append(patients.described(r.label, changes, exposures, samples))
        return out

    def debrief(self, client: PumpClient, refusals: Sequence[str] = ()) -> Debrief:
        """Judge every expectation as the runner does, with its words: on what the pump logged
        and delivered, the codes it refused the trainee's commands with (`refusals`: a trainee's
        command is not tied to a timeline entry, so any refusal with the code counts), and the
        transactions the pump acknowledged to this programmer, asked of the pump by id."""
        records = client.read_log().records
        details = [(r, json.loads(r.details_json)) for r in records]
        alarms = [(str(d["alarm"]), r.at_s) for r, d in details if r.kind == "alarm_raised"]
        acknowledged = [str(d["alarm"]) for r, d in details if r.kind == "alarm_acknowledged"]
        verdicts = [
            (r.at_s, str(d["verdict"]))
            for r, d in details
            if r.kind == "reservoir_withdrawn" and r.at_s > 0  # not the implant's first fill
        ]
        # Doses up to the scenario's end, however far the accelerated clock ran past it.
        trend = client.read_trend(0.0, self.scenario.duration_s)
        sc = self.scenario
        # Training runs through the whole stack: firmware, link and client.
        result = runner.ScenarioResult(sc.id, sc.path, sc.name, "stack", {}, sc.seed, False, [])
        result.alarms = alarms
        result.verdicts = verdicts
        result.delivered_mcg = {d: float(v.sum()) for d, v in trend.delivered_mcg.items()}
        result.rejections = {
            int(e.params["timeline_index"]): list(refusals)
            for e in sc.expectations
            if e.kind == "rejected"
        }
        lost = [txn for txn in client.acknowledged if not client.request(m.TxnQuery(txn)).known]
        extra: dict[str, Any] = {
            "lost_transactions": len(lost),
            "acknowledged": len(client.acknowledged),
        }
        told: list[str] = []
        if sc.patient is not None:
            result.patients = self._patients(client)
            if result.patients:
                result.cohort = patients.summary(result.patients)
                told = _told(result.patients, result.cohort)
        lines = []
        for e in self.scenario.expectations:
            judged = runner.judge(e, result, self.scenario, extra)
            lines.append((judged.passed, judged.message))
        return Debrief(
            lines,
            [k for k, _ in alarms],
            acknowledged,
            [v for _, v in verdicts],
            result.delivered_mcg,
            told,
        )


def _told(outcomes: list[dict[str, Any]], cohort: dict[str, Any]) -> list[str]:
    """The debrief's patient lines: the verdict, then the worst patient's story in words."""
    worst = next(o for o in outcomes if o["label"] == cohort["worst"]["label"])
    head = cohort["verdict"] if len(outcomes) > 1 else f"harmed {cohort['harmed']} of 1"
    return [head, *(f"{worst['label']}: {line}" for line in worst["story"] or ["no sign"])]


def _reports(client: PumpClient) -> Iterator[tuple[int, m.SimPatient]]:
    """Every attached patient's report, read one by one through the simulator role."""
    index = 0
    while True:
        report = client.sim_patient(index)
        if not report.attached:
            return
        yield index, report
        index += 1
        if index >= report.patients:
            return
