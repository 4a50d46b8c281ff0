"""Values to bytes and back, by code: a tagged binary layout that can hold data and nothing else.

Why not pickle: a pickle names the callables that rebuild it, so bytes from a file choose what
runs (an allow-list that admitted `getattr` let a 300-byte snapshot run a shell command). Here
the bytes hold only values: None, booleans, integers, floats (bit for bit), strings, bytes,
tuples, lists, sets, dicts, deques, arrays of doubles, and objects of the types a caller lists in
a `TypeTable`. Such an object is written as its type's place in the table and its fields in the
order the code declares them; reading builds it from the table, sets those fields, and calls
nothing of the input's choosing. Shared objects stay shared (each is written once, then referred
to), so a mutable graph comes back with the same shape.

Every malformed input raises `CodecError`; nothing else can escape `decode`.
"""

from __future__ import annotations

import array
import dataclasses
import enum
import struct
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

__all__ = ["CodecError", "TypeTable", "decode", "encode"]

MAX_DEPTH = 200  # deeper than any pump state; a crafted input cannot exhaust the stack
_F64 = struct.Struct(">d")
_LITTLE_ENDIAN = array.array("H", [1]).tobytes() == b"\x01\x00"

# One byte says what follows.
NONE, FALSE, TRUE, INT, FLOAT, STR, BYTES = range(7)
TUPLE, LIST, SET, FROZENSET, DICT, DEQUE, DOUBLES, ENUM, OBJECT, REF = range(7, 17)


class CodecError(ValueError):
    """Bytes that are not a value this table can read, or a value it cannot write."""


def _fields_of(cls: type) -> tuple[str, ...]:
    """The fields an object of `cls` holds, as its own code declares them."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    slots = [
        name
        for klass in reversed(cls.__mro__)
        for name in klass.__dict__.get("__slots__", ())
        if name not in ("__dict__", "__weakref__")
    ]
    if not slots:
        raise TypeError(f"{cls.__qualname__} declares neither dataclass fields nor __slots__")
    return tuple(slots)


# How an object of a table's type is written and read (worked out once, when the table is made).
_ENUM, _FIELDS, _STATE, _DATACLASS_STATE = range(4)
_DC_GETSTATE = getattr(dataclasses, "_dataclass_getstate", None)
_DC_SETSTATE = getattr(dataclasses, "_dataclass_setstate", None)
Plan = tuple[int, int, tuple[str, ...], frozenset[str], frozenset[str]]  # place, how, fields...


class TypeTable:
    """The types a layout may hold, by position: the table is the schema. Append new types at
    the end (a type's place is its tag); change a type's fields and the format version must
    change too. A type with `__getstate__`/`__setstate__` of its own is written as its state."""

    def __init__(
        self, types: Sequence[type], older_fields: Mapping[type, tuple[str, ...]] | None = None
    ) -> None:
        """`older_fields`: for reading an older layout, the fields a type held then (a reader
        sets what is missing since; a field the type no longer holds is read and dropped)."""
        self.types = tuple(types)
        self.index = {cls: i for i, cls in enumerate(self.types)}
        if len(self.index) != len(self.types):
            raise ValueError("a type appears twice in the table")
        self.fields: dict[type, tuple[str, ...]] = {}
        self.custom: set[type] = set()
        for cls in self.types:
            if issubclass(cls, enum.Enum):
                continue
            if "__setstate__" in cls.__dict__:
                self.custom.add(cls)
            else:
                self.fields[cls] = _fields_of(cls)
        self.dropped: dict[type, frozenset[str]] = {}
        for cls, names in (older_fields or {}).items():
            self.fields[cls] = tuple(names)
            gone = frozenset(names) - frozenset(_fields_of(cls))
            if gone:
                self.dropped[cls] = gone
        # Per type, by class and by place: (place, how, fields, their set, fields dropped).
        self.plans: dict[type, Plan] = {cls: self._plan(cls) for cls in self.types}
        self.by_place = [(cls, *self.plans[cls][1:]) for cls in self.types]

    def _plan(self, cls: type) -> Plan:
        """How `cls` is written and read. A slotted dataclass's own state (the list of its
        fields, in order) is written and set directly, as its `__getstate__` and `__setstate__`
        would, without looking its fields up again for every object."""
        how, names = _FIELDS, self.fields.get(cls, ())
        if issubclass(cls, enum.Enum):
            how = _ENUM
        elif cls in self.custom:
            own = cls.__dict__
            plain = _DC_GETSTATE is not None and own.get("__getstate__") is _DC_GETSTATE
            plain = plain and own.get("__setstate__") is _DC_SETSTATE
            how, names = (_DATACLASS_STATE, _fields_of(cls)) if plain else (_STATE, ())
        gone = self.dropped.get(cls, frozenset())
        return self.index[cls], how, names, frozenset(names), gone


_NO_TYPES = TypeTable(())


# ----------------------------------------------------------------------------------- writing

_TAGGED_F64 = struct.Struct(">Bd")


def _varint(out: bytearray, n: int) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


class _Writer:
    """Why the shape: a pump's state is a few thousand values, most of them floats and short
    strings, written at every snapshot; the common scalars are written inline and each type of
    the table looked up once per object, so a snapshot costs its values, not its dispatch."""

    def __init__(self, table: TypeTable) -> None:
        self.table = table
        self.out = bytearray()
        self.memo: dict[int, int] = {}
        self.places = 0  # places given so far (some to values that cannot recur: no memo entry)
        self.keep: list[object] = []  # memoised objects stay alive while their ids are in use

    def _seen(self, value: object) -> bool:
        """Refer to `value` if it was written already; else give it the next place."""
        key = id(value)
        place = self.memo.get(key)
        if place is not None:
            self.out.append(REF)
            _varint(self.out, place)
            return True
        self.memo[key] = self.places
        self.places += 1
        self.keep.append(value)
        return False

    def value(self, v: Any) -> None:
        t = type(v)
        out = self.out
        if t is float:
            out += _TAGGED_F64.pack(FLOAT, v)
        elif t is str:
            raw = v.encode("utf-8", "surrogatepass")
            out.append(STR)
            _varint(out, len(raw))
            out += raw
        elif t is int:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True)
            out.append(INT)
            _varint(out, len(raw))
            out += raw
        elif v is None:
            out.append(NONE)
        elif t is bool:
            out.append(TRUE if v else FALSE)
        else:
            self._compound(v, t)

    def _compound(self, v: Any, t: type) -> None:
        out = self.out
        tag = _HOLDERS.get(t)
        if tag is not None:  # (never an enumeration: those are of their own classes)
            if self._seen(v):
                return
            out.append(tag)
            if tag == DICT:
                _varint(out, len(v))
                self._items(chain.from_iterable(v.items()), None)
            else:
                self._items(v, len(v))
            return
        if isinstance(v, enum.Enum):
            out.append(ENUM)
            _varint(out, self._place(t))
            self.value(v.value)
        elif self._seen(v):
            return
        elif t is bytes:
            out.append(BYTES)
            _varint(out, len(v))
            out += v
        elif t is deque:
            out.append(DEQUE)
            self.value(v.maxlen)
            self._items(v, len(v))
        elif t is array.array and v.typecode == "d":
            out.append(DOUBLES)
            _varint(out, len(v))
            if not _LITTLE_ENDIAN:
                v = array.array("d", v)
                v.byteswap()
            out += v.tobytes()
        else:
            self._object(v, self.table.plans.get(t))

    def _items(self, items: Iterable[Any], count: int | None) -> None:
        """`count` items (a count of None: none written, a dict's pairs being counted apart)."""
        out = self.out
        if count is not None:
            _varint(out, count)
        value = self.value
        pack = _TAGGED_F64.pack
        for item in items:
            t = type(item)
            if t is float:
                out += pack(FLOAT, item)
            elif t is str and len(item) < 0x80 and item.isascii():
                out.append(STR)
                out.append(len(item))
                out += item.encode()
            else:
                value(item)

    def _place(self, cls: type) -> int:
        place = self.table.index.get(cls)
        if place is None:
            raise _not_in_table(cls)
        return place

    def _object(self, v: Any, plan: Plan | None) -> None:
        out = self.out
        out.append(OBJECT)
        if plan is None:
            raise _not_in_table(type(v))
        place, how, names, known, _ = plan
        _varint(out, place)
        if how == _STATE:
            self.value(v.__getstate__())
            return
        if how == _DATACLASS_STATE:  # as `__getstate__` would: a fresh list of the fields
            self.places += 1  # (the list's place: it is never referred to)
            out.append(LIST)
            self._items([getattr(v, name) for name in names], len(names))
            return
        own = getattr(v, "__dict__", None)
        if own and not own.keys() <= known:  # a field the table does not know: a snapshot
            extra = sorted(own.keys() - known)  # would silently drop it
            raise CodecError(f"{type(v).__qualname__} holds undeclared fields {extra}")
        value = self.value
        for name in names:
            value(getattr(v, name))


def _not_in_table(cls: type) -> CodecError:
    return CodecError(f"{cls.__module__}.{cls.__qualname__} is not in the table")


_HOLDERS: dict[type, int] = {tuple: TUPLE, list: LIST, dict: DICT, set: SET, frozenset: FROZENSET}


def encode(value: object, table: TypeTable = _NO_TYPES) -> bytes:
    """`value` as bytes; `CodecError` if it holds a type the table does not list."""
    writer = _Writer(table)
    writer.value(value)
    return bytes(writer.out)


# ----------------------------------------------------------------------------------- reading

_PENDING = object()  # a place taken by a tuple whose items are still being read


class _Reader:
    """Every read checks its bounds; floats, strings and one-byte lengths, the bulk of a
    snapshot, are read inline for the same reason the writer writes them so."""

    def __init__(self, data: bytes, table: TypeTable) -> None:
        self.data = data
        self.pos = 0
        self.end = len(data)
        self.table = table
        self.memo: list[object] = []

    def _count(self) -> int:
        """A length: never more than the bytes left could hold (no allocation on a lie)."""
        n = self._place()
        if n > self.end - self.pos:
            raise CodecError("a length past the end")
        return n

    def _place(self) -> int:
        """A place in the table or the memo (an unsigned varint)."""
        data, pos, end = self.data, self.pos, self.end
        n = shift = 0
        while True:
            if pos >= end:
                raise CodecError("truncated")
            b = data[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise CodecError("a number too long")
        self.pos = pos
        return n

    def _take(self, n: int) -> bytes:
        pos = self.pos
        if pos + n > self.end:
            raise CodecError("truncated")
        self.pos = pos + n
        return self.data[pos : pos + n]

    def _remember(self, value: object) -> int:
        self.memo.append(value)
        return len(self.memo) - 1

    def value(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError("nested too deep")
        pos = self.pos
        if pos >= self.end:
            raise CodecError("truncated")
        tag = self.data[pos]
        self.pos = pos + 1
        if tag == FLOAT:
            if pos + 9 > self.end:
                raise CodecError("truncated")
            self.pos = pos + 9
            number: float = _F64.unpack_from(self.data, pos + 1)[0]
            return number
        reader = _READERS.get(tag)
        if reader is None:
            raise CodecError(f"unknown tag {tag}")
        return reader(self, depth + 1)

    def _items(self, depth: int) -> list[Any]:
        value = self.value
        return [value(depth) for _ in range(self._count())]

    def read_int(self, _depth: int) -> int:
        n = self._count()
        if n > 64:
            raise CodecError("an integer too long")
        return int.from_bytes(self._take(n), "big", signed=True)

    def read_str(self, _depth: int) -> str:
        try:
            return self._take(self._count()).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise CodecError("a string that is not UTF-8") from None

    def read_bytes(self, _depth: int) -> bytes:
        n = self._count()
        value = bytes(self._take(n))
        self._remember(value)
        return value

    def read_tuple(self, depth: int) -> tuple[Any, ...]:
        place = self._remember(_PENDING)
        value = tuple(self._items(depth))
        self.memo[place] = value
        return value

    def read_frozenset(self, depth: int) -> frozenset[Any]:
        place = self._remember(_PENDING)
        value = frozenset(self._items(depth))
        self.memo[place] = value
        return value

    def read_list(self, depth: int) -> list[Any]:
        value: list[Any] = []
        self._remember(value)
        value.extend(self._items(depth))
        return value

    def read_set(self, depth: int) -> set[Any]:
        value: set[Any] = set()
        self._remember(value)
        value.update(self._items(depth))
        return value

    def read_dict(self, depth: int) -> dict[Any, Any]:
        value: dict[Any, Any] = {}
        self._remember(value)
        for _ in range(self._count()):
            key = self.value(depth)
            value[key] = self.value(depth)
        return value

    def read_deque(self, depth: int) -> deque[Any]:
        maxlen = self.value(depth)
        if maxlen is not None and (type(maxlen) is not int or maxlen < 0):
            raise CodecError("a deque's bound must be a whole number")
        value: deque[Any] = deque(maxlen=maxlen)
        self._remember(value)
        value.extend(self._items(depth))
        return value

    def read_doubles(self, _depth: int) -> array.array[float]:
        n = self._count()
        value = array.array("d")
        value.frombytes(self._take(8 * n))
        if not _LITTLE_ENDIAN:
            value.byteswap()
        self._remember(value)
        return value

    def _plan(self) -> tuple[type, int, tuple[str, ...], frozenset[str], frozenset[str]]:
        place = self._place()
        if place >= len(self.table.types):
            raise CodecError(f"no type at place {place} of the table")
        return self.table.by_place[place]

    def read_enum(self, depth: int) -> enum.Enum:
        cls, how, *_ = self._plan()
        if how != _ENUM:
            raise CodecError(f"{cls.__qualname__} is not an enumeration")
        raw = self.value(depth)
        try:
            return cls._value2member_map_[raw]  # type: ignore[attr-defined, no-any-return]
        except (KeyError, TypeError):
            pass  # not a value as it stands: what the type's own look-up makes of it
        try:
            member: enum.Enum = cls(raw)
            return member
        except ValueError:
            raise CodecError(f"{raw!r} is not a {cls.__qualname__}") from None

    def read_object(self, depth: int) -> object:
        cls, how, names, _, dropped = self._plan()
        if how == _ENUM:
            raise CodecError(f"{cls.__qualname__} is an enumeration, not an object")
        obj: Any = object.__new__(cls)
        self._remember(obj)
        if how == _STATE:
            obj.__setstate__(self.value(depth))
            return obj
        put = object.__setattr__
        if how == _DATACLASS_STATE:  # as its `__setstate__` would: fields from the list
            for name, item in zip(names, self.value(depth)):  # noqa: B905 - as it does
                put(obj, name, item)
            return obj
        value = self.value
        for name in names:
            item = value(depth)
            if name not in dropped:
                put(obj, name, item)
        return obj

    def read_ref(self, _depth: int) -> object:
        place = self._place()
        if place >= len(self.memo) or self.memo[place] is _PENDING:
            raise CodecError(f"a reference to nothing read yet ({place})")
        return self.memo[place]


_READERS: dict[int, Callable[[_Reader, int], Any]] = {
    NONE: lambda _r, _d: None,
    FALSE: lambda _r, _d: False,
    TRUE: lambda _r, _d: True,
    INT: _Reader.read_int,
    STR: _Reader.read_str,
    BYTES: _Reader.read_bytes,
    TUPLE: _Reader.read_tuple,
    LIST: _Reader.read_list,
    SET: _Reader.read_set,
    FROZENSET: _Reader.read_frozenset,
    DICT: _Reader.read_dict,
    DEQUE: _Reader.read_deque,
    DOUBLES: _Reader.read_doubles,
    ENUM: _Reader.read_enum,
    OBJECT: _Reader.read_object,
    REF: _Reader.read_ref,
}


def decode(data: bytes, table: TypeTable = _NO_TYPES) -> Any:
    """The value `encode` wrote; `CodecError` for anything else, trailing bytes included."""
    reader = _Reader(bytes(data), table)
    try:
        value = reader.value()
    except CodecError:
        raise
    except Exception as e:  # an unhashable key, a state its type cannot take: still bad bytes
        raise CodecError(f"{type(e).__name__}: {e}") from None
    if reader.pos != len(reader.data):
        raise CodecError(f"{len(reader.data) - reader.pos} bytes after the value")
    return value
