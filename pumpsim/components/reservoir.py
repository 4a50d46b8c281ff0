"""The drug's way out: the reservoir, the pump's reckoning of it, and tubing and catheter.

Two volumes on purpose: `volume_ml` is what is really there, `expected_ml` what the pump believes
from the volume it commanded. They part when the flow is not what was commanded (occlusion, drift,
a pocket fill), and only a refill's withdrawal shows the difference.
"""

from __future__ import annotations

from pumpsim.components.fluid_path import Conc, FluidPath
from pumpsim.domain.drugs import Mix
from pumpsim.domain.refill import BridgeOffer


class Reservoir:
    __slots__ = (
        "bridge_offer",
        "conc",
        "expected_ml",
        "filled_ml",
        "mix",
        "path",
        "pocket_mcg",
        "pocket_ml",
        "refill_due_at_s",
        "refill_in_progress",
        "volume_ml",
        "withdrawn_ml",
    )

    def __init__(self, dead_volume_ml: float, n_drugs: int) -> None:
        self.volume_ml = 0.0
        self.expected_ml = 0.0
        self.refill_in_progress = True  # a new pump has never been filled
        self.mix = Mix()
        self.conc: Conc = ()
        self.path = FluidPath(dead_volume_ml)
        self.filled_ml = 0.0
        self.withdrawn_ml = 0.0
        self.pocket_ml = 0.0
        self.pocket_mcg = [0.0] * n_drugs
        self.refill_due_at_s: float | None = None
        self.bridge_offer: BridgeOffer | None = None

    def withdraw(self) -> float:
        """Empty it; return what came out."""
        withdrawn = self.volume_ml
        self.withdrawn_ml += withdrawn
        self.volume_ml = 0.0
        self.expected_ml = 0.0
        self.refill_in_progress = True
        self.bridge_offer = None
        return withdrawn

    def fill(self, volume_ml: float, mix: Mix, conc: Conc, into_pocket: bool) -> None:
        """The clinician's fill; with `into_pocket` the needle missed the septum."""
        if into_pocket:
            self.pocket_ml += volume_ml
            for column, mcg_per_ml in conc:
                self.pocket_mcg[column] += volume_ml * mcg_per_ml
        else:
            self.volume_ml = volume_ml
            self.filled_ml += volume_ml
        self.expected_ml = volume_ml
        self.mix = mix
        self.conc = conc
        self.refill_in_progress = False
