"""Each drug's stability in the reservoir sets the refill-by date at a fill, and the pump raises
its refill-date alarm then: a new pump's first Prialt fill on day 14, then 84 days undiluted or
40 diluted; a mix keeps as long as its shortest-keeping drug; a programmer's sooner date wins."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import AlarmKind, Continuous, Mix, Pump, TherapyProgram
from pumpsim.domain import stability
from pumpsim.units import SECONDS_PER_DAY, days


def _filled(mix: Mix, rate: float = 0.09) -> Pump:
    pump = Pump()
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, mix, TherapyProgram(Continuous(rate)))
    return pump


def test_a_new_pumps_first_prialt_fill_raises_its_refill_date_alarm_on_day_14() -> None:
    pump = _filled(Mix.of(ziconotide=25.0))
    assert pump.status().refill_due_at_s == days(14)
    pump.advance(days(14) - 1.0)
    assert AlarmKind.REFILL_DUE not in pump.alarm_conditions
    pump.advance(days(14))
    assert [a.kind for a in pump.alarms] == [AlarmKind.REFILL_DUE]
    assert pump.alarms[0].raised_at_s == days(14)


@pytest.mark.parametrize(("mcg_per_ml", "keeps"), [(25.0, 84), (100.0, 84), (10.0, 40)])
def test_later_prialt_fills_keep_84_days_undiluted_and_40_diluted(
    mcg_per_ml: float, keeps: int
) -> None:
    pump = _filled(Mix.of(ziconotide=25.0))
    pump.advance(days(13))
    pump.withdraw_reservoir()
    # (the same rate at another strength: an override, as the soft limits ask)
    pump.fill_reservoir(20.0, Mix.of(ziconotide=mcg_per_ml), override_soft_limits=True)
    assert pump.status().refill_due_at_s == pytest.approx(days(13 + keeps))


def test_a_mix_keeps_as_long_as_its_shortest_keeping_drug_and_a_sooner_date_wins() -> None:
    mix = Mix.of(morphine=10_000.0, bupivacaine=15_000.0, clonidine=500.0)
    pump = _filled(mix, rate=0.2)
    assert pump.status().refill_due_at_s == days(90)
    pump.advance(days(30))
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, mix, refill_due_at_s=days(60))  # the clinician's date, sooner
    assert pump.status().refill_due_at_s == days(60)
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, mix, refill_due_at_s=days(200))  # later than the drug keeps
    assert pump.status().refill_due_at_s == days(120)


@given(
    st.lists(
        st.sampled_from([r.drug for r in stability.TABLE]), min_size=1, max_size=3, unique=True
    ),
    st.floats(0.0, 1e8),
    st.booleans(),
)
def test_the_refill_by_date_is_the_fill_plus_the_shortest_stability(
    drugs: list[str], at_s: float, first: bool
) -> None:
    mix = Mix.of(**{d: 10.0 for d in drugs})
    want = at_s + min(stability.keeps_days(d, 10.0, first) or 0.0 for d in drugs) * SECONDS_PER_DAY
    assert stability.refill_by_s(mix, at_s, first) == pytest.approx(want)


def test_every_stability_has_a_source_or_says_default() -> None:
    for row in stability.TABLE:
        assert row.source
        assert row.days > 0
    assert stability.keeps_days("aspirin", 1.0, first_fill=False) is None
    assert not stability.TABLE[0].source.startswith("default")
