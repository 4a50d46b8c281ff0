"""The value codec under snapshots: its layout does not move, and any value it holds comes back.

The writer and the reader take short cuts for the values a pump's state is made of (floats, short
strings, slotted dataclasses written as their state); these tests hold the short cuts to the
layout the plain code wrote and to exact round trips of whatever else a value may be.
"""

from __future__ import annotations

import array
import math
from collections import deque
from dataclasses import dataclass
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import Pump, data_codec
from pumpsim.patient.signs import HarmSeverity, SignChange, SignKind

FORMAT_5 = Path(__file__).parent / "data" / "pump-format-5.snap"


def test_a_format_5_snapshot_is_written_again_byte_for_byte() -> None:
    """The file was written by commit a39c785, before the codec's short cuts (data/README.md):
    the pump it holds, written by today's code, gives the same bytes."""
    written = FORMAT_5.read_bytes()
    pump = Pump.restore(written)
    patient = pump.patient()
    assert patient is not None
    assert any(c.sign is SignKind.WITHDRAWAL for c in patient.timeline)  # dataclass states
    assert len(pump.log) > 0  # an event log, with its records frozen
    assert pump.snapshot() == written


class Colour(Enum):
    RED = "red"
    ONE = 1


class Level(IntEnum):
    LOW = 1


@dataclass
class Plain:  # a dataclass with a __dict__: written field by field
    a: Any
    b: Any = None


@dataclass(frozen=True, slots=True)
class Slotted:  # written as its own state: the list of its fields
    x: Any
    y: Any = 0.0


TABLE = data_codec.TypeTable((Colour, Level, Plain, Slotted, SignChange, SignKind, HarmSeverity))

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**300), 2**300)
    | st.floats()
    | st.text()
    | st.text(min_size=120, max_size=300)
    | st.binary()
    | st.sampled_from(list(Colour) + list(Level))
)


keys = (
    st.text()
    | st.integers()
    | st.tuples(scalars, scalars)
    | st.frozensets(st.integers() | st.text(), max_size=4)
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=6)
        | st.tuples(children, children)
        | st.dictionaries(keys, children, max_size=5)
        | st.sets(st.integers() | st.text(), max_size=5)
        | st.builds(deque, st.lists(children, max_size=4))
        | st.builds(lambda xs: array.array("d", xs), st.lists(st.floats(), max_size=5))
        | st.builds(Plain, children, children)
        | st.builds(Slotted, children, children)
    ),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, floats bit for bit (nan included), types included."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b))
    if isinstance(a, array.array):
        return bool(a.tobytes() == b.tobytes())
    if isinstance(a, list | tuple | deque):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, Plain | Slotted):
        return _same(_fields(a), _fields(b))
    return bool(a == b)


def _fields(v: Plain | Slotted) -> list[Any]:
    return [v.a, v.b] if isinstance(v, Plain) else [v.x, v.y]


@given(values)
def test_any_value_comes_back_exactly(value: Any) -> None:
    back = data_codec.decode(data_codec.encode(value, TABLE), TABLE)
    assert _same(back, value)


def test_shared_objects_stay_shared_and_a_slotted_dataclass_is_its_state() -> None:
    inner = [1.5, "x"]
    change = SignChange(3600.0, "baclofen", SignKind.WITHDRAWAL, HarmSeverity.MILD)
    back = data_codec.decode(data_codec.encode((inner, inner, change, change), TABLE), TABLE)
    assert back[0] is back[1]
    assert back[0] == inner
    assert back[2] is back[3]
    assert back[2] == change


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (Slotted, "not in the table"),  # a class is not a value
        (object(), "not in the table"),
        ([1.0, {2: (complex(0, 1),)}], "complex is not in the table"),  # however deep
    ],
)
def test_what_the_table_cannot_hold_is_refused(value: Any, says: str) -> None:
    with pytest.raises(data_codec.CodecError, match=says):
        data_codec.encode(value, TABLE)


def test_an_undeclared_field_is_refused_rather_than_dropped() -> None:
    plain = Plain(1)
    plain.extra = 2  # type: ignore[attr-defined]
    with pytest.raises(data_codec.CodecError, match="undeclared fields"):
        data_codec.encode(plain, TABLE)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (bytes([data_codec.ENUM, 0, data_codec.STR, 4]) + b"blue", "is not a Colour"),
        (bytes([data_codec.ENUM, 2, data_codec.NONE]), "not an enumeration"),
        (bytes([data_codec.OBJECT, 0]), "enumeration, not an object"),
        (bytes([data_codec.OBJECT, 40]), "no type at place 40"),
        (bytes([data_codec.FLOAT, 0, 0]), "truncated"),
        (bytes([data_codec.STR, 9, 65]), "past the end"),
        (bytes([data_codec.OBJECT, 3, data_codec.INT, 1, 7]), "TypeError"),  # a state not a list
    ],
)
def test_bad_bytes_are_refused_with_the_reason(data: bytes, says: str) -> None:
    with pytest.raises(data_codec.CodecError, match=says):
        data_codec.decode(data, TABLE)


def test_an_enum_read_by_value_is_its_member() -> None:
    for member in (*Colour, *Level):
        assert data_codec.decode(data_codec.encode(member, TABLE), TABLE) is member
