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
from collections.abc import Callable, Mapping, Sequence
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


_NO_TYPES = TypeTable(())


# ----------------------------------------------------------------------------------- writing


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
    def __init__(self, table: TypeTable) -> None:
        self.table = table
        self.out = bytearray()
        self.memo: dict[int, int] = {}
        self.keep: list[object] = []  # memoised objects stay alive while their ids are in use

    def _seen(self, value: object) -> bool:
        """Refer to `value` if it was written already; else give it the next place."""
        key = id(value)
        place = self.memo.get(key)
        if place is not None:
            self.out.append(REF)
            _varint(self.out, place)
            return True
        self.memo[key] = len(self.memo)
        self.keep.append(value)
        return False

    def value(self, v: Any) -> None:
        out = self.out
        t = type(v)
        if v is None:
            out.append(NONE)
        elif t is bool:
            out.append(TRUE if v else FALSE)
        elif t is float:
            out.append(FLOAT)
            out += _F64.pack(v)
        elif t is int:
            out.append(INT)
            raw = v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True)
            _varint(out, len(raw))
            out += raw
        elif t is str:
            raw = v.encode("utf-8", "surrogatepass")
            out.append(STR)
            _varint(out, len(raw))
            out += raw
        elif isinstance(v, enum.Enum):
            out.append(ENUM)
            _varint(out, self._place(t))
            self.value(v.value)
        elif self._seen(v):
            return
        elif t is bytes:
            out.append(BYTES)
            _varint(out, len(v))
            out += v
        elif t in _SEQUENCES:
            out.append(_SEQUENCES[t])
            self._items(v)
        elif t is dict:
            out.append(DICT)
            _varint(out, len(v))
            for key, item in v.items():
                self.value(key)
                self.value(item)
        elif t is deque:
            out.append(DEQUE)
            self.value(v.maxlen)
            self._items(v)
        elif t is array.array and v.typecode == "d":
            out.append(DOUBLES)
            _varint(out, len(v))
            if not _LITTLE_ENDIAN:
                v = array.array("d", v)
                v.byteswap()
            out += v.tobytes()
        else:
            self._object(v)

    def _items(self, items: Any) -> None:
        _varint(self.out, len(items))
        for item in items:
            self.value(item)

    def _place(self, cls: type) -> int:
        place = self.table.index.get(cls)
        if place is None:
            raise CodecError(f"{cls.__module__}.{cls.__qualname__} is not in the table")
        return place

    def _object(self, v: Any) -> None:
        cls = type(v)
        self.out.append(OBJECT)
        _varint(self.out, self._place(cls))
        if cls in self.table.custom:
            self.value(v.__getstate__())
            return
        names = self.table.fields[cls]
        extra = getattr(v, "__dict__", {}).keys() - set(names)
        if extra:  # a field the table does not know: a snapshot would silently drop it
            raise CodecError(f"{cls.__qualname__} holds undeclared fields {sorted(extra)}")
        for name in names:
            self.value(getattr(v, name))


_SEQUENCES: dict[type, int] = {tuple: TUPLE, list: LIST, set: SET, frozenset: FROZENSET}


def encode(value: object, table: TypeTable = _NO_TYPES) -> bytes:
    """`value` as bytes; `CodecError` if it holds a type the table does not list."""
    writer = _Writer(table)
    writer.value(value)
    return bytes(writer.out)


# ----------------------------------------------------------------------------------- reading

_PENDING = object()  # a place taken by a tuple whose items are still being read


class _Reader:
    def __init__(self, data: bytes, table: TypeTable) -> None:
        self.data = data
        self.pos = 0
        self.table = table
        self.memo: list[object] = []

    def _byte(self) -> int:
        if self.pos >= len(self.data):
            raise CodecError("truncated")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def _count(self) -> int:
        """A length: never more than the bytes left could hold (no allocation on a lie)."""
        n = self._place()
        if n > len(self.data) - self.pos:
            raise CodecError("a length past the end")
        return n

    def _place(self) -> int:
        """A place in the table or the memo (an unsigned varint)."""
        n = shift = 0
        while True:
            b = self._byte()
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise CodecError("a number too long")
        return n

    def _take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise CodecError("truncated")
        self.pos += n
        return chunk

    def _remember(self, value: object) -> int:
        self.memo.append(value)
        return len(self.memo) - 1

    def value(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError("nested too deep")
        tag = self._byte()
        reader = _READERS.get(tag)
        if reader is None:
            raise CodecError(f"unknown tag {tag}")
        return reader(self, depth + 1)

    def _items(self, depth: int) -> list[Any]:
        return [self.value(depth) for _ in range(self._count())]

    def read_int(self, _depth: int) -> int:
        n = self._count()
        if n > 64:
            raise CodecError("an integer too long")
        return int.from_bytes(self._take(n), "big", signed=True)

    def read_float(self, _depth: int) -> float:
        value: float = _F64.unpack(self._take(8))[0]
        return value

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

    def _type(self) -> type:
        place = self._place()
        if place >= len(self.table.types):
            raise CodecError(f"no type at place {place} of the table")
        return self.table.types[place]

    def read_enum(self, depth: int) -> enum.Enum:
        cls = self._type()
        if not issubclass(cls, enum.Enum):
            raise CodecError(f"{cls.__qualname__} is not an enumeration")
        raw = self.value(depth)
        try:
            return cls(raw)
        except ValueError:
            raise CodecError(f"{raw!r} is not a {cls.__qualname__}") from None

    def read_object(self, depth: int) -> object:
        cls = self._type()
        if issubclass(cls, enum.Enum):
            raise CodecError(f"{cls.__qualname__} is an enumeration, not an object")
        obj = object.__new__(cls)
        self._remember(obj)
        if cls in self.table.custom:
            obj.__setstate__(self.value(depth))  # type: ignore[attr-defined]
            return obj
        dropped = self.table.dropped.get(cls, frozenset())
        for name in self.table.fields[cls]:
            value = self.value(depth)
            if name not in dropped:
                object.__setattr__(obj, name, value)
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
    FLOAT: _Reader.read_float,
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
