"""Snapshots: stop a random life anywhere, restore, go on, and end exactly where it would have.

The twin is rebuilt from the original's snapshot whenever hypothesis says so, and then receives
the same commands; after every step the two must be the same pump to the bit: every attribute of
every component equal, floats exactly, which is stronger than any tolerance on what they report.
(The snapshot format and what it refuses: test_snapshot_safety.py.)
"""

from __future__ import annotations

import contextlib
import enum
import math
from array import array
from collections import deque
from collections.abc import Callable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pumpsim import (
    Continuous,
    DrugLibrary,
    Mix,
    Pump,
    PumpConfig,
    PumpError,
    TherapyProgram,
)
from pumpsim.units import hours

from strategies import DURATIONS, MIXES, faults, programs

_ATOMS = frozenset({type(None), bool, int, str})
_FLOAT = {float}


def _item(value: Any) -> object:
    """One element of a container: atoms inline (most of a pump's state), the rest recursively."""
    kind = type(value)
    if kind is float:
        return ("float", value.hex())  # bit for bit (and -0.0 is not 0.0)
    if kind in _ATOMS:
        return value
    return canonical(value)


def canonical(value: Any) -> object:
    """The whole state reachable from `value`, as nested tuples compared by value.

    Each type's way is worked out once (`_way`): it runs on two whole pumps after every step."""
    kind = type(value)
    way = _WAYS.get(kind)
    if way is None:
        way = _WAYS[kind] = _way(kind)
    return way(value)


def _sequence(value: Any) -> object:
    if value and type(value[0]) is float and set(map(type, value)) == _FLOAT:
        return ("floats", array("d", value).tobytes())  # bit for bit, at C's speed
    return tuple(map(_item, value))


def _mapping(value: Any) -> object:
    return ("dict", tuple((_item(k), _item(v)) for k, v in value.items()))


def _way(kind: type) -> Callable[[Any], object]:
    """How to take a value of `kind` apart, decided by its class."""
    if kind is float:
        return _item
    if kind in _ATOMS or issubclass(kind, enum.Enum):
        return lambda value: value
    params = getattr(kind, "__dataclass_params__", None)
    if params is not None and params.frozen:
        return lambda value: value  # an immutable value (a program, a mix): equal by its fields
    if issubclass(kind, DrugLibrary):
        return lambda value: ("library", tuple(value.values()))
    if issubclass(kind, array):
        return lambda value: ("array", value.typecode, value.tobytes())  # bit for bit
    if issubclass(kind, list | tuple | deque):
        return _sequence
    if issubclass(kind, set | frozenset):
        return lambda value: ("set", tuple(sorted(repr(_item(v)) for v in value)))
    if issubclass(kind, dict):
        return _mapping
    names = tuple(n for c in kind.__mro__ for n in getattr(c, "__slots__", ()))

    def parts(value: Any) -> object:
        state = tuple(_item(getattr(value, n)) for n in names)
        attributes = getattr(value, "__dict__", None)
        if attributes:
            state += tuple((n, _item(attributes[n])) for n in sorted(attributes))
        return (kind.__name__, state)

    return parts


_WAYS: dict[type, Callable[[Any], object]] = {}


class SnapshotMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.pump = Pump(PumpConfig(reservoir_capacity_ml=20.0, trend_capacity_knots=64))
        self.twin = Pump.restore(self.pump.snapshot())

    def both(self, action: str, *args: object) -> None:
        outcomes = []
        for pump in (self.pump, self.twin):
            try:
                getattr(pump, action)(*args)
                outcomes.append("ok")
            except PumpError as e:
                outcomes.append(str(e.code))
        assert outcomes[0] == outcomes[1]

    @initialize(program=programs(), mix=MIXES, volume=st.floats(1.0, 20.0))
    def implant(self, program: TherapyProgram, mix: Mix, volume: float) -> None:
        self.both("fill_reservoir", volume, mix, program)
        if self.pump.status().refill_in_progress:
            self.both("fill_reservoir", volume, mix, TherapyProgram(Continuous(0.1)))

    @rule()
    def restart_from_snapshot(self) -> None:
        self.twin = Pump.restore(self.pump.snapshot())

    @rule(dt=DURATIONS)
    def advance(self, dt: float) -> None:
        self.both("advance", self.pump.now_s + dt)

    @rule(dt=DURATIONS, pieces=st.integers(2, 5))
    def advance_in_pieces_on_the_twin_only(self, dt: float, pieces: int) -> None:
        """The same span in one jump and in pieces: the same state (to a float's rounding)."""
        end = self.pump.now_s + dt
        self.pump.advance(end)
        for k in range(1, pieces + 1):
            self.twin.advance(self.twin.now_s + (end - self.twin.now_s) / (pieces - k + 1))
        # Pieces round differently (the last digit of a time), so compare with a tolerance, and
        # from here on the twin restarts from the original.
        one, many = self.pump.status().alarms, self.twin.status().alarms
        assert [a.kind for a in one] == [a.kind for a in many]
        for a, b in zip(one, many, strict=True):
            assert math.isclose(a.raised_at_s, b.raised_at_s, rel_tol=1e-12, abs_tol=1e-6)
        self.twin = Pump.restore(self.pump.snapshot())

    @rule(program=programs(), override=st.booleans())
    def program(self, program: TherapyProgram, override: bool) -> None:
        for pump in (self.pump, self.twin):
            with contextlib.suppress(PumpError):
                pump.set_program(program, override_soft_limits=override)

    @rule(volume=st.floats(0.001, 1.0), duration=st.floats(60.0, hours(6)))
    def bolus(self, volume: float, duration: float) -> None:
        self.both("start_bolus", volume, duration)

    @rule(repeat=st.integers(1, 4), gap=st.floats(0.0, hours(3)))
    def patient_requests(self, repeat: int, gap: float) -> None:
        for _ in range(repeat):
            assert self.pump.request_patient_bolus() == self.twin.request_patient_bolus()
            self.both("advance", self.pump.now_s + gap)

    @rule(volume=st.floats(0.5, 20.0), mix=MIXES)
    def refill(self, volume: float, mix: Mix) -> None:
        self.both("withdraw_reservoir")
        self.both("fill_reservoir", volume, mix)

    @rule()
    def mri(self) -> None:
        self.both("enter_mri_safe_mode")
        self.both("advance", self.pump.now_s + hours(1))
        self.both("exit_mri_safe_mode")

    @rule()
    def interrogate_and_acknowledge(self) -> None:
        self.both("interrogate")
        self.both("acknowledge_alarms")

    @precondition(lambda self: len(self.pump.faults) < 4)
    @rule(data=st.data())
    def fault(self, data: st.DataObject) -> None:
        self.both("inject", data.draw(faults(self.pump.now_s)))

    @invariant()
    def the_twin_is_the_same_pump(self) -> None:
        assert self.twin.status() == self.pump.status()
        assert self.twin.physical() == self.pump.physical()
        assert list(self.twin.log) == list(self.pump.log)
        assert canonical(self.twin._c) == canonical(self.pump._c)


TestSnapshotMachine = SnapshotMachine.TestCase
# Every step compares two whole pumps: half the profile's examples keep it within CI's budget.
TestSnapshotMachine.settings = settings(max_examples=max(20, settings().max_examples // 2))
