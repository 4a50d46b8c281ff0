"""The programmer's own check of a form, against the connected pump's description.

The programmer checks what the clinician types with the same rules the pump runs (the model's
validation, fed the pump's configuration and drug library as the pump reported them), so the form
and the pump never disagree: a 20 mL pump's alarm threshold, a narrower rate range, another
library's limits. A test drives this and a simulated pump's firmware with the same random
programs. Without a description (a pump that cannot give one) it falls back to the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.limits import wire_violations
from pumpsim import (
    DEFAULT_LIBRARY,
    DrugLibrary,
    Mix,
    PumpConfig,
    TherapyProgram,
    Violation,
    validate_program,
)


@dataclass(frozen=True)
class PumpRules:
    """What a form is checked against: the pump's configuration and its drug library."""

    config: PumpConfig = field(default_factory=PumpConfig)
    library: DrugLibrary = field(default_factory=lambda: DEFAULT_LIBRARY)
    reported: bool = False  # False: the defaults, the pump gave no description

    @classmethod
    def of(cls, description: m.PumpDescription | None) -> PumpRules:
        if description is None:
            return cls()
        config, library = convert.described(description)
        return cls(config, library, reported=True)

    def unit_mcg(self, drug: str) -> float:
        """Micrograms in one of the drug's dosing unit (1000 for a drug dosed in mg)."""
        return self.library[drug].unit.mcg if drug in self.library else 1.0

    def violations(self, program: TherapyProgram, mix: Mix) -> tuple[Violation, ...]:
        """What the pump will refuse: its own rules, and what its protocol cannot carry."""
        own = validate_program(program, mix, self.config, self.library)
        return own + wire_violations(program)
