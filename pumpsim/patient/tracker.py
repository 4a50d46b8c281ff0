"""One drug in one patient: its exposure, the level band it is in, and the signs that follow.

Why regions: every sign is a function of which band of levels exposure is in (below the
withdrawal level, below the therapy band, above each toxicity level) and of how long it has been
there (withdrawal needs the drug's onset delay). Over a stretch of constant inflow exposure moves
monotonically, so the band changes at most once per level and the exact time of each change is
solved (`kinetics.time_to_reach`); the signs are then a small state machine fed those times,
which is why a sign's onset is exact to the second without being an event of the pump's.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from pumpsim.patient import parameters as pr
from pumpsim.patient.kinetics import elimination_rate_per_s
from pumpsim.patient.profile import DrugResponse
from pumpsim.patient.response import Response
from pumpsim.patient.signs import HarmSeverity, SignChange, SignKind
from pumpsim.units import SECONDS_PER_DAY

_LOE, _TOX, _WD, _UNEXPECTED = (
    SignKind.LOSS_OF_EFFECT,
    SignKind.TOXICITY,
    SignKind.WITHDRAWAL,
    SignKind.UNEXPECTED_DRUG,
)
_NO_FLOW = ((86_400.0, 0.0),)
MAX_SAMPLES = 4096  # (time, exposure) pairs kept for plots; thinned by half beyond


class DrugTrack:
    """Plain data (a snapshot holds it as it is). `levels` ascending; region i lies between
    levels[i-1] and levels[i]."""

    __slots__ = (
        "band_high",
        "band_low",
        "base_levels",
        "dev",
        "drug",
        "exposure",
        "g",
        "k_per_s",
        "last_sample_s",
        "levels",
        "low_since_s",
        "pending",
        "pieces",
        "pulse_decay",
        "pulse_s",
        "quiet",
        "ref_s",
        "region",
        "risk_factor",
        "risk_s",
        "risk_until_s",
        "s",
        "samples",
        "scale",
        "severities",
        "stages",
        "steps",
        "unexpected",
        "wd_stage",
    )

    def __init__(self, drug: str, response: DrugResponse | None) -> None:
        self.drug = drug
        self.levels: tuple[float, ...] = ()
        self.base_levels: tuple[float, ...] = ()  # levels outside any early-risk window
        self.exposure = 0.0  # at the last exact walk or sample (see state.exposure_at)
        # The flow it is under (one period of (duration, mL/s), None before the first) and the
        # relative inflow per mL/s; exposure = s * that flow's steady cycle + dev, decaying
        # from ref_s on.
        self.pieces: tuple[tuple[float, float], ...] | None = None
        self.s = 0.0
        self.dev = 0.0
        self.ref_s = 0.0
        # What the envelope gives for each step of the flow, in the region it is in now
        # (state.py sets it with the flow and the region: ahead.py), and whether the deviation
        # at ref_s is known to stay clear (quiet: nothing to do until the flow changes).
        self.steps: tuple[tuple[float, ...], ...] = ()
        self.quiet = False
        self.pulse_s = self.pulse_decay = math.nan  # the last pulse's length and e^(-k length)
        # Plot points noted as deviations, made exposures later.
        self.pending: list[float] = []
        self.last_sample_s = -math.inf
        self.samples: list[float] = []
        self.severities: dict[str, int] = {}  # sign -> severity now (absent: none)
        self.low_since_s: float | None = None
        self.wd_stage = 0  # withdrawal stages reached in this low spell
        self.band_low = pr.parameter(drug, "band_low").value
        self.band_high = pr.parameter(drug, "band_high").value
        self.risk_until_s = -math.inf
        if response is None:  # never titrated on it: exposure against 1 mcg a day
            self.unexpected = True
            self.scale = SECONDS_PER_DAY / 1.0
            self.k_per_s = elimination_rate_per_s(pr.parameter(drug, "csf_half_life_s").value)
            self.g = Response(_NO_FLOW, self.k_per_s)  # the flow's steady cycle (state.py)
            self.levels = (pr.parameter(drug, "unexpected_drug_level").value,)
            self.stages: tuple[float, ...] = ()
            self.region = 0
            self.base_levels = self.levels
            self.risk_s, self.risk_factor = 0.0, 1.0
            return
        self.unexpected = False
        self.scale = SECONDS_PER_DAY / response.baseline_mcg_per_day
        self.k_per_s = elimination_rate_per_s(response.half_life_s)
        self.g = Response(_NO_FLOW, self.k_per_s)
        s = response.sensitivity
        self.levels = (
            pr.parameter(drug, "withdrawal_level").value,
            self.band_low,
            pr.parameter(drug, "toxicity_mild").value / s,
            pr.parameter(drug, "toxicity_serious").value / s,
            pr.parameter(drug, "toxicity_life_threatening").value / s,
        )
        self.base_levels = self.levels
        # After a start or an increase, an opioid's toxicity levels sit lower for a while.
        has_risk = any(r.drug == drug and r.name == "early_risk_s" for r in pr.TABLE)
        self.risk_s = pr.parameter(drug, "early_risk_s").value if has_risk else 0.0
        self.risk_factor = pr.parameter(drug, "early_risk_factor").value if has_risk else 1.0
        stages = []
        if response.withdrawal_onset_s is not None:
            at = response.withdrawal_onset_s
            stages.append(at)
            for later in (
                response.withdrawal_serious_after_s,
                response.withdrawal_life_threatening_after_s,
            ):
                if later is None:
                    break
                stages.append(at + later)
        self.stages = tuple(stages)  # after how long low each withdrawal severity begins
        self.region = 2  # a titrated patient starts stable on its baseline

    def start_at(self, exposure: float, at_s: float, out: list[SignChange]) -> None:
        """Set the exposure (and so the region) without a history: the patient as attached."""
        self.exposure = self.dev = exposure
        self.pieces = None
        self.ref_s = at_s
        self.enter(bisect_right(self.levels, exposure), at_s, out)
        self.sample(at_s)

    def set_risk(self, until_s: float, exposure: float, at_s: float, out: list[SignChange]) -> None:
        """Lower the toxicity levels until `until_s` (or restore them: -inf); the sign follows
        the exposure's new region at once."""
        self.risk_until_s = until_s
        f = self.risk_factor if until_s > at_s else 1.0
        base = self.base_levels
        self.levels = (*base[:2], *(x / f for x in base[2:]))
        region = self.region_of(exposure)
        if region != self.region:
            self.enter(region, at_s, out)

    def region_of(self, exposure: float) -> int:
        return bisect_right(self.levels, exposure)

    def sample(self, at_s: float) -> None:
        self.last_sample_s = at_s
        samples = self.samples
        samples.append(at_s)
        samples.append(self.exposure)
        if len(samples) > 2 * MAX_SAMPLES:
            self.thin()

    def thin(self) -> None:
        s = self.samples
        pairs = [(s[i], s[i + 1]) for i in range(0, len(s), 2)]
        kept = pairs[:1] + pairs[1:-1:2] + pairs[-1:]
        self.samples = [v for pair in kept for v in pair]

    # ------------------------------------------------------------------ the signs

    def _set(self, sign: SignKind, severity: int, at_s: float, out: list[SignChange]) -> None:
        if self.severities.get(sign, 0) == severity:
            return
        if severity:
            self.severities[sign] = severity
        else:
            self.severities.pop(sign, None)
        out.append(SignChange(at_s, self.drug, sign, HarmSeverity(severity)))

    def flush(self, until_s: float, out: list[SignChange]) -> None:
        """Withdrawal stages reached by `until_s` in the low spell now running."""
        since = self.low_since_s
        if since is None:
            return
        stages = self.stages
        while self.wd_stage < len(stages) and since + stages[self.wd_stage] <= until_s:
            self._set(_WD, self.wd_stage + 1, since + stages[self.wd_stage], out)
            self.wd_stage += 1

    def enter(self, region: int, at_s: float, out: list[SignChange]) -> None:
        """Exposure crossed into `region` at `at_s`."""
        self.flush(at_s, out)
        self.region = region
        if self.unexpected:
            self._set(_UNEXPECTED, int(HarmSeverity.SERIOUS) if region else 0, at_s, out)
            return
        if region == 0:
            if self.low_since_s is None:
                self.low_since_s = at_s
                self.wd_stage = 0
                self.flush(at_s, out)
        else:
            self.low_since_s = None
        if region >= 2:
            self._set(_WD, 0, at_s, out)  # withdrawal resolves once back in the band
        self._set(_LOE, int(HarmSeverity.MILD) if region <= 1 else 0, at_s, out)
        self._set(_TOX, max(0, region - 2), at_s, out)
