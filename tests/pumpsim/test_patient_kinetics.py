"""The patient's exposure kinetics: the closed form against a fine-step integration of the same
equation, and the two properties any one-compartment model must have."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from patient_reference import rk4

from pumpsim.patient import kinetics as kn
from pumpsim.patient.parameters import TABLE, parameter
from pumpsim.units import SECONDS_PER_HOUR

HALF_LIVES = st.floats(0.5 * SECONDS_PER_HOUR, 6 * SECONDS_PER_HOUR)
PIECES = st.lists(
    st.builds(
        kn.Piece,
        duration_s=st.floats(60.0, 12 * SECONDS_PER_HOUR),
        relative_inflow=st.floats(0.0, 4.0),
    ),
    min_size=1,
    max_size=6,
)


def _fine_steps(exposure: float, k: float, pieces: list[kn.Piece], periods: int) -> float:
    """The reference: classical Runge-Kutta on E' = k (r - E), many small steps a piece."""
    for _ in range(periods):
        for piece in pieces:
            n = max(50, int(piece.duration_s * k * 40))
            exposure = rk4(exposure, k, piece.relative_inflow, piece.duration_s, n)
    return exposure


@given(HALF_LIVES, st.floats(0.0, 3.0), PIECES, st.integers(1, 3))
def test_the_closed_form_agrees_with_a_fine_step_integration(
    half_life_s: float, start: float, pieces: list[kn.Piece], periods: int
) -> None:
    k = kn.elimination_rate_per_s(half_life_s)
    exact = kn.over_periods(start, k, pieces, periods)
    reference = _fine_steps(start, k, pieces, periods)
    assert exact == pytest.approx(reference, rel=1e-6, abs=1e-9)


@given(HALF_LIVES, st.floats(0.01, 3.0), st.floats(0.1, 10.0))
def test_with_nothing_delivered_exposure_halves_every_half_life(
    half_life_s: float, start: float, half_lives: float
) -> None:
    k = kn.elimination_rate_per_s(half_life_s)
    after = kn.relax(start, 0.0, k, half_lives * half_life_s)
    assert after == pytest.approx(start * 0.5**half_lives, rel=1e-9)


@given(HALF_LIVES, st.floats(0.0, 5.0), st.floats(0.0, 2.0))
def test_steady_state_is_proportional_to_the_dose(
    half_life_s: float, relative_dose: float, start: float
) -> None:
    k = kn.elimination_rate_per_s(half_life_s)
    assert kn.relax(start, relative_dose, k, 40 * half_life_s) == pytest.approx(
        relative_dose, rel=1e-9, abs=1e-9
    )


@given(HALF_LIVES, st.floats(0.0, 3.0), PIECES, st.integers(0, 40))
def test_whole_periods_in_closed_form_equal_going_through_them(
    half_life_s: float, start: float, pieces: list[kn.Piece], periods: int
) -> None:
    k = kn.elimination_rate_per_s(half_life_s)
    stepped = start
    for _ in range(periods):
        stepped = kn.over_pieces(stepped, k, pieces)
    assert kn.over_periods(start, k, pieces, periods) == pytest.approx(stepped, rel=1e-9, abs=1e-12)


@given(st.floats(0.0, 3.0), st.floats(0.0, 3.0), st.floats(0.0, 3.0), HALF_LIVES)
def test_a_level_is_reached_when_the_closed_form_says(
    start: float, inflow: float, level: float, half_life_s: float
) -> None:
    k = kn.elimination_rate_per_s(half_life_s)
    when = kn.time_to_reach(start, inflow, k, level)
    if math.isinf(when):  # never: not between the start and where exposure heads (exclusive),
        assert level != start  # or so near the asymptote that no double tells them apart
        near_asymptote = abs(level - inflow) <= 1e-12 * max(1.0, abs(start - inflow))
        assert near_asymptote or not min(start, inflow) < level < max(start, inflow)
    else:
        assert kn.relax(start, inflow, k, when) == pytest.approx(level, rel=1e-9, abs=1e-12)


def test_every_parameter_has_a_source_and_a_range_around_it() -> None:
    for row in TABLE:
        assert row.source
        assert row.low <= row.value <= row.high
    assert parameter("morphine", "csf_half_life_s").source.startswith("Anesthesiology 1984")
    assert parameter("clonidine", "csf_half_life_s").is_default
    with pytest.raises(KeyError):
        parameter("morphine", "volume_of_distribution_ml")
    assert parameter("aspirin", "csf_half_life_s").drug == "*"  # the row for every other drug
    with pytest.raises(ValueError, match="half-life"):
        kn.elimination_rate_per_s(0.0)
