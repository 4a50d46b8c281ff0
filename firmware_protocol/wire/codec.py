"""One codec for every message, derived from the message dataclasses' type annotations.

A message is a frozen dataclass; its fields' annotations say how each is laid out (big-endian):
`U8`/`U16`/`U32`/`U64` unsigned integers, `float` an IEEE-754 double, `float | None` a presence
byte then a double, `bool` one byte, `str` a u16 length and UTF-8, `bytes` a u16 length and the
bytes, `tuple[X, ...]` a u16 count then the items, and a nested record dataclass its fields in
order. The same annotations generate the message table in docs/protocol.md, so the spec and the
code cannot drift (the MAVLink lesson).

Versions (docs/protocol.md, "Protocol versions"): a field is only ever appended at the end of a
message, with a default, and marked with the version it appeared in (`appended`). `encode` at a
version leaves out the fields that came later; `decode` takes a message that ends before its
appended fields as meaning their defaults, and ignores bytes after the fields it knows (a newer
peer's). A removal or a reordering would be a new major version; none has happened.
"""

from __future__ import annotations

import dataclasses
import struct
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin, get_type_hints

U8 = Annotated[int, "u8"]
U16 = Annotated[int, "u16"]
U32 = Annotated[int, "u32"]
U64 = Annotated[int, "u64"]

_INTS = {"u8": struct.Struct(">B"), "u16": struct.Struct(">H"), "u32": struct.Struct(">I")}
_INTS["u64"] = struct.Struct(">Q")
_F64 = struct.Struct(">d")
_LEN = _INTS["u16"]


CURRENT_VERSION = 4  # the protocol version this code speaks, and the newest it knows
OLDEST_VERSION = 1  # the oldest it still serves


def appended(since: int, default: Any) -> Any:
    """A message field added in protocol version `since`, meaning `default` where absent."""
    return dataclasses.field(default=default, metadata={"since": since})


def since_of(field: dataclasses.Field[Any]) -> int:
    return int(field.metadata.get("since", 1))


class DecodeError(ValueError):
    """The payload does not match the message's layout."""


class EncodeError(ValueError):
    """A value does not fit its field (out of range, too long)."""


Encoder = Callable[[Any, bytearray], None]
Decoder = Callable[[bytes, int], tuple[Any, int]]


def _int_codec(kind: str) -> tuple[Encoder, Decoder, str]:
    s = _INTS[kind]
    limit = 1 << (8 * s.size)

    def enc(value: Any, out: bytearray) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
            raise EncodeError(f"{value!r} does not fit {kind}")
        out += s.pack(value)

    def dec(data: bytes, at: int) -> tuple[Any, int]:
        if at + s.size > len(data):
            raise DecodeError(f"{kind} runs past the end")
        return s.unpack_from(data, at)[0], at + s.size

    return enc, dec, kind


def _f64_enc(value: Any, out: bytearray) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EncodeError(f"{value!r} is not a number")
    out += _F64.pack(float(value))


def _f64_dec(data: bytes, at: int) -> tuple[Any, int]:
    if at + 8 > len(data):
        raise DecodeError("f64 runs past the end")
    return _F64.unpack_from(data, at)[0], at + 8


def _opt_f64_enc(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0)
    else:
        out.append(1)
        _f64_enc(value, out)


def _opt_f64_dec(data: bytes, at: int) -> tuple[Any, int]:
    if at >= len(data):
        raise DecodeError("optional f64 runs past the end")
    flag = data[at]
    if flag == 0:
        return None, at + 1
    if flag != 1:
        raise DecodeError("optional f64 presence byte must be 0 or 1")
    return _f64_dec(data, at + 1)


def _bool_enc(value: Any, out: bytearray) -> None:
    if not isinstance(value, bool):
        raise EncodeError(f"{value!r} is not a bool")
    out.append(1 if value else 0)


def _bool_dec(data: bytes, at: int) -> tuple[Any, int]:
    if at >= len(data) or data[at] > 1:
        raise DecodeError("bool must be one byte, 0 or 1")
    return data[at] == 1, at + 1


def _bytes_enc(value: Any, out: bytearray) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) > 0xFFFF:
        raise EncodeError("bytes field must be bytes of at most 65535")
    out += _LEN.pack(len(value))
    out += value


def _bytes_dec(data: bytes, at: int) -> tuple[Any, int]:
    if at + 2 > len(data):
        raise DecodeError("length runs past the end")
    (n,) = _LEN.unpack_from(data, at)
    at += 2
    if at + n > len(data):
        raise DecodeError("bytes run past the end")
    return bytes(data[at : at + n]), at + n


def _str_enc(value: Any, out: bytearray) -> None:
    if not isinstance(value, str):
        raise EncodeError(f"{value!r} is not a str")
    _bytes_enc(value.encode("utf-8"), out)


def _str_dec(data: bytes, at: int) -> tuple[Any, int]:
    raw, at = _bytes_dec(data, at)
    try:
        return raw.decode("utf-8"), at
    except UnicodeDecodeError as e:
        raise DecodeError(f"invalid UTF-8: {e.reason}") from None


_cache: dict[Any, tuple[Encoder, Decoder, str]] = {}


def codec_for(annotation: Any) -> tuple[Encoder, Decoder, str]:
    """(encoder, decoder, wire description) for one annotation."""
    key = annotation
    if key in _cache:
        return _cache[key]
    result: tuple[Encoder, Decoder, str]
    origin = get_origin(annotation)
    if origin is Annotated:
        result = _int_codec(get_args(annotation)[1])
    elif annotation is float:
        result = (_f64_enc, _f64_dec, "f64")
    elif annotation is bool:
        result = (_bool_enc, _bool_dec, "bool")
    elif annotation is str:
        result = (_str_enc, _str_dec, "str")
    elif annotation is bytes:
        result = (_bytes_enc, _bytes_dec, "bytes")
    elif origin in (types.UnionType, typing.Union) and set(get_args(annotation)) == {
        float,
        type(None),
    }:
        result = (_opt_f64_enc, _opt_f64_dec, "f64?")
    elif origin is tuple:
        result = _tuple_codec(get_args(annotation)[0])
    elif dataclasses.is_dataclass(annotation):
        result = _record_codec(annotation)  # type: ignore[arg-type]
    else:
        raise TypeError(f"no wire layout for {annotation!r}")
    _cache[key] = result
    return result


def _tuple_codec(item: Any) -> tuple[Encoder, Decoder, str]:
    enc_item, dec_item, desc = codec_for(item)

    def enc(value: Any, out: bytearray) -> None:
        if not isinstance(value, tuple | list) or len(value) > 0xFFFF:
            raise EncodeError("list field must be a tuple of at most 65535 items")
        out += _LEN.pack(len(value))
        for v in value:
            enc_item(v, out)

    def dec(data: bytes, at: int) -> tuple[Any, int]:
        if at + 2 > len(data):
            raise DecodeError("list count runs past the end")
        (n,) = _LEN.unpack_from(data, at)
        at += 2
        items = []
        for _ in range(n):
            v, at = dec_item(data, at)
            items.append(v)
        return tuple(items), at

    return enc, dec, f"list[{desc}]"


def fields_of(cls: type) -> list[tuple[str, Any]]:
    hints = get_type_hints(cls, include_extras=True)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


def _record_codec(cls: type) -> tuple[Encoder, Decoder, str]:
    parts = [(name, *codec_for(ann)[:2]) for name, ann in fields_of(cls)]

    def enc(value: Any, out: bytearray) -> None:
        if not isinstance(value, cls):
            raise EncodeError(f"expected {cls.__name__}, got {type(value).__name__}")
        for name, enc_field, _ in parts:
            enc_field(getattr(value, name), out)

    def dec(data: bytes, at: int) -> tuple[Any, int]:
        values = {}
        for name, _, dec_field in parts:
            values[name], at = dec_field(data, at)
        return cls(**values), at

    return enc, dec, cls.__name__


_MessageField = tuple[str, Encoder, Decoder, int, Any]  # name, enc, dec, since, default
_message_cache: dict[type, list[_MessageField]] = {}


def _message_fields(cls: type) -> list[_MessageField]:
    cached = _message_cache.get(cls)
    if cached is None:
        hints = get_type_hints(cls, include_extras=True)
        cached = []
        for f in dataclasses.fields(cls):
            enc, dec, _ = codec_for(hints[f.name])
            since = since_of(f)
            if cached and since < cached[-1][3]:  # the rule, kept by construction
                raise TypeError(f"{cls.__name__}.{f.name}: fields are only appended, in order")
            cached.append((f.name, enc, dec, since, f.default))
        _message_cache[cls] = cached
    return cached


def encode(message: Any, version: int = CURRENT_VERSION) -> bytes:
    """`message` laid out as protocol `version` has it (fields appended later left out)."""
    cls = type(message)
    if not dataclasses.is_dataclass(cls):
        raise EncodeError(f"not a message: {cls.__name__}")
    out = bytearray()
    for name, enc, _, since, _ in _message_fields(cls):
        if since <= version:
            enc(getattr(message, name), out)
    return bytes(out)


def decode(cls: type, payload: bytes) -> Any:
    """Decode a payload as `cls`, in any protocol version: appended fields a shorter payload
    lacks take their defaults, and bytes after the last field known here are a newer peer's,
    ignored. A payload that ends inside a field, or before a field every version has, is an
    error."""
    values: dict[str, Any] = {}
    at = 0
    try:
        for name, _, dec, since, default in _message_fields(cls):
            if at == len(payload) and since > OLDEST_VERSION:
                values[name] = default
                continue
            values[name], at = dec(payload, at)
        return cls(**values)
    except struct.error as e:  # pragma: no cover - every read is bounds-checked first
        raise DecodeError(str(e)) from None
    except (TypeError, ValueError) as e:
        if isinstance(e, DecodeError):
            raise
        raise DecodeError(f"{cls.__name__}: {e}") from None
