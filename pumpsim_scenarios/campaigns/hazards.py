"""The hazard analysis, traced to what exercises each hazard.

In the style of the FDA/UPenn generic infusion pump hazard analysis: each hazard has a cause, how
the device mitigates it, and the safety requirement it implies; and names the shipped scenarios
and tests that exercise it. `pumpsim scenario hazards` prints the matrix and fails on a gap.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hazard:
    id: str
    hazard: str
    cause: str
    mitigation: str
    requirement: str
    scenarios: tuple[str, ...]
    tests: tuple[str, ...]
    harm: str = ""  # what it does to the patient (the virtual patient's signs)


HAZARDS: tuple[Hazard, ...] = (
    Hazard(
        "H1",
        "Overdose from a programming error",
        "Dose or concentration over the drug's limit entered",
        "Firmware validates every program against the drug library, "
        "worst case of patient boluses included",
        "The pump shall refuse any program whose worst 24 h exceeds the drug's daily limit",
        ("unsafe-dose-refused", "ziconotide-titration"),
        (
            "tests/pumpsim/test_violation_codes.py",
            "tests/firmware_protocol/test_firmware.py",
            "tests/pumpsim/test_soft_limits.py",
        ),
        harm="toxicity: opioid respiratory depression; baclofen drowsiness to coma; "
        "ziconotide neuropsychiatric events",
    ),
    Hazard(
        "H2",
        "Overdose from patient-bolus abuse",
        "Repeated requests from the handheld",
        "Lockout and maximum per 24 h enforced by the pump",
        "Grants shall respect lockout and the 24 h cap",
        ("patient-bolus-abuse",),
        ("tests/pumpsim/test_stateful.py", "tests/pumpsim/test_pump.py"),
        harm="toxicity: sedation, respiratory depression",
    ),
    Hazard(
        "H3",
        "Underdose or withdrawal from catheter occlusion",
        "Kink, occlusion, tip granuloma",
        "Refill discrepancy verdict; optional back-pressure sensor alarm",
        "A withdrawn volume above expected by more than the tolerance shall be flagged",
        ("partial-occlusion", "total-occlusion", "granuloma-with-sensor"),
        ("tests/pumpsim/test_fault_effects.py",),
        harm="loss of effect, then withdrawal (baclofen: fever, altered mental status)",
    ),
    Hazard(
        "H4",
        "Loss of effect from catheter dislodgement",
        "Catheter out of the intrathecal space",
        "None in the device (clinical follow-up); modelled so training shows it",
        "The simulator shall account misplaced drug apart from intrathecal delivery",
        ("catheter-dislodgement",),
        ("tests/pumpsim/test_fault_effects.py",),
        harm="loss of effect, then withdrawal",
    ),
    Hazard(
        "H5",
        "Overdose from over-infusion",
        "Drift beyond the accuracy band",
        "Refill discrepancy verdict (the low-reservoir alarm is computed and cannot see it)",
        "A withdrawn volume below expected by more than the tolerance shall be flagged",
        ("over-infusion-runs-dry",),
        ("tests/pumpsim/test_fault_effects.py",),
        harm="rising exposure toward toxicity, then loss of effect when it runs dry",
    ),
    Hazard(
        "H6",
        "Interrupted therapy from motor stall",
        "Rotor stall (fault or magnet)",
        "Critical alarm, stall and recovery logged",
        "A stall shall raise a critical alarm at once",
        ("motor-stall", "permanent-motor-stall"),
        ("tests/pumpsim/test_fault_effects.py",),
        harm="loss of effect, then withdrawal if it lasts",
    ),
    Hazard(
        "H7",
        "Therapy stops at battery depletion",
        "Battery end of life, premature ERI, brown-out",
        "ERI 90 days ahead, end of service, low-battery reset to minimum rate",
        "ERI shall come when 90 days of life remain under the current program",
        ("battery-to-end-of-service", "battery-faults"),
        ("tests/pumpsim/test_battery_mri_refill.py",),
        harm="loss of effect, then withdrawal",
    ),
    Hazard(
        "H8",
        "Reservoir runs empty",
        "Missed refill, or a drug kept past its stability",
        "Low-reservoir and empty alarms; a refill-date alarm from each drug's stability; "
        "projected dates on the programmer",
        "The low-reservoir alarm shall come when the computed volume reaches the set level",
        (
            "over-infusion-runs-dry",
            "baclofen-refill-missed",
            "baclofen-refill-in-time",
            "ziconotide-first-fill",
        ),
        ("tests/pumpsim/test_pump.py", "tests/pumpsim/test_stateful.py"),
        harm="loss of effect, then withdrawal (baclofen's boxed warning)",
    ),
    Hazard(
        "H9",
        "Subcutaneous overdose from a pocket fill",
        "Needle outside the reservoir at refill",
        "None in the device; training and refill technique",
        "The simulator shall model the misplaced fill",
        ("pocket-fill",),
        ("tests/pumpsim/test_fault_effects.py",),
        harm="systemic overdose from the pocket (not modelled by the virtual patient)",
    ),
    Hazard(
        "H10",
        "Therapy lost after memory corruption",
        "Memory error, reset",
        "Safe stopped state, critical alarm, log record",
        "A reset shall stop infusion and alarm",
        ("memory-reset",),
        ("tests/pumpsim/test_fault_effects.py",),
        harm="loss of effect, then withdrawal",
    ),
    Hazard(
        "H11",
        "MRI: uncontrolled delivery or no resumption",
        "Magnet stalls the rotor or opens valves",
        "MRI-safe mode; held until interrogated if alarming; valve-gated needs an empty reservoir",
        "Infusion shall resume only after the recovery lag, or after interrogation if alarmed",
        ("mri", "mri-valve-gated", "mri-baclofen"),
        ("tests/pumpsim/test_battery_mri_refill.py", "tests/programmer_tui/test_tui.py"),
        harm="loss of effect during the recovery lag; withdrawal if it is long",
    ),
    Hazard(
        "H12",
        "Command applied twice or lost over a noisy link",
        "Retransmission, lost acknowledgement",
        "Transaction ids, stored replies, resolution after reconnect",
        "A retransmitted command shall never be applied twice; nothing acknowledged shall be lost",
        ("link-noise-program-change",),
        (
            "tests/firmware_protocol/test_lossy.py",
            "tests/firmware_protocol/test_crash.py",
            "tests/pumpsim_scenarios/test_swarm.py",
        ),
        harm="a dose applied twice: toxicity; a lost change: wrong therapy",
    ),
    Hazard(
        "H13",
        "Unauthorised programming",
        "Forged or replayed frames, wrong role",
        "Mutual authentication, AEAD on every frame, replay window, roles checked by the firmware",
        "Forged, replayed and wrong-role frames shall change nothing",
        (),
        (
            "tests/firmware_protocol/test_firmware.py",
            "tests/firmware_protocol/test_firmware_edges.py",
            "tests/firmware_protocol/test_crypto.py",
        ),
        harm="any of the above, by someone else's hand",
    ),
    Hazard(
        "H14",
        "Another concentration or drug in the refill syringe than the one entered",
        "Syringe prepared or chosen wrongly; the pump believes what it is told",
        "None in the device; double checks at refill (training)",
        "The simulator shall deliver the syringe's true mix while the pump reports the entered one",
        ("morphine-double-concentration",),
        ("tests/pumpsim/test_patient.py",),
        harm="toxicity within hours of the old drug leaving the catheter, or a drug never titrated",
    ),
)


def coverage_table(scenario_names: set[str]) -> str:
    lines = ["| id | hazard | harm to the patient | scenarios | tests |", "|---|---|---|---|---|"]
    for h in HAZARDS:
        shown = [s if s in scenario_names else f"{s} (MISSING)" for s in h.scenarios]
        lines.append(
            f"| {h.id} | {h.hazard} | {h.harm} | {', '.join(shown) or '—'} | "
            f"{', '.join(h.tests) or '—'} |"
        )
    return "\n".join(lines)


def uncovered(scenario_names: set[str]) -> list[str]:
    """Hazards nothing exercises: no scenario that exists and no test."""
    return [
        h.id for h in HAZARDS if not h.tests and not any(s in scenario_names for s in h.scenarios)
    ]
