"""A decoder written the way a third party would write one: from the schema JSON alone.

It imports nothing of this project: frames, COBS, the session keys and the payload layout all
come from docs/protocol.md and `pumpsim spec --json`. Values come out as the vectors print them:
numbers, strings, booleans, None, {"hex": ...} for bytes, lists, and objects for records.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

HEADER = struct.Struct(">BBIIHHHH")


class MalformedError(ValueError):
    pass


class SchemaDecoder:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.primitives = schema["primitives"]
        self.records = {r["name"]: r["fields"] for r in schema["records"]}
        self.messages = {msg["type"]: msg for msg in schema["messages"]}

    def decode(self, msg_type: int, payload: bytes) -> tuple[str, dict[str, Any]]:
        message = self.messages[msg_type]
        value, at = self._fields(message["fields"], payload, 0)
        if at != len(payload):
            raise MalformedError(f"{len(payload) - at} bytes left over")
        return message["name"], value

    def _fields(self, fields: list[dict[str, Any]], data: bytes, at: int) -> tuple[Any, int]:
        out = {}
        for field in fields:
            out[field["name"]], at = self._value(field["type"], data, at)
        return out, at

    def _take(self, data: bytes, at: int, n: int) -> bytes:
        if at + n > len(data):
            raise MalformedError("runs past the end")
        return data[at : at + n]

    def _value(self, type_name: str, data: bytes, at: int) -> tuple[Any, int]:
        if type_name.startswith("list[") and type_name.endswith("]"):
            prefix = self.primitives["list"]["count_prefix"]
            count, at = self._value(prefix, data, at)
            items = []
            for _ in range(count):
                item, at = self._value(type_name[5:-1], data, at)
                items.append(item)
            return items, at
        if type_name.startswith("optional[") and type_name.endswith("]"):
            presence = self._take(data, at, 1)[0]
            if str(presence) not in self.primitives["optional"]["presence_byte"]:
                raise MalformedError("presence byte")
            if presence == 0:
                return None, at + 1
            return self._value(type_name[9:-1], data, at + 1)
        if type_name in self.records:
            return self._fields(self.records[type_name], data, at)
        p = self.primitives[type_name]
        kind = p["kind"]
        if kind == "uint":
            raw = self._take(data, at, p["width"])
            return int.from_bytes(raw, p["endianness"]), at + p["width"]
        if kind == "float":
            order = ">" if p["endianness"] == "big" else "<"
            return struct.unpack(order + "d", self._take(data, at, 8))[0], at + 8
        if kind == "bool":
            b = self._take(data, at, 1)[0]
            if b > 1:
                raise MalformedError("bool")
            return b == 1, at + 1
        if kind in ("string", "bytes"):
            n, at = self._value(p["length_prefix"], data, at)
            raw = self._take(data, at, n)
            value: Any = raw.decode(p["encoding"]) if kind == "string" else {"hex": raw.hex()}
            return value, at + n
        raise MalformedError(f"unknown primitive {type_name}")


def cobs_decode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        out += data[i + 1 : i + code]
        i += code
        if code < 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def parse_frame(wire: bytes) -> dict[str, Any]:
    """One frame off the wire (delimiter included), CRC checked."""
    assert wire.endswith(b"\x00")
    body = cobs_decode(wire[:-1])
    crc = int.from_bytes(body[-2:], "big")
    if _crc16(body[:-2]) != crc:
        raise MalformedError("crc")
    version, flags, session, counter, seq, ack, msg_type, length = HEADER.unpack_from(body)
    return {
        "version": version,
        "flags": flags,
        "session": session,
        "counter": counter,
        "seq": seq,
        "ack": ack,
        "type": msg_type,
        "header": body[: HEADER.size],
        "payload": body[HEADER.size : HEADER.size + length],
    }


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, bit by bit as the spec states it."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def session_keys(key: bytes, session: int, nonce_p: bytes, nonce_q: bytes) -> tuple[bytes, bytes]:
    """HKDF-SHA256 (RFC 5869) over the paired key, as docs/protocol.md section 3 says."""
    salt = nonce_p + nonce_q
    info = b"pumpsim-v1 session keys " + session.to_bytes(4, "big")
    prk = hmac.new(salt, key, hashlib.sha256).digest()
    okm, block = b"", b""
    for i in range(1, 3):
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        okm += block
    return okm[:32], okm[32:64]


def open_sealed(frame: dict[str, Any], receive_key: bytes) -> bytes:
    nonce = bytes(8) + frame["counter"].to_bytes(4, "big")
    return ChaCha20Poly1305(receive_key).decrypt(nonce, frame["payload"], frame["header"])
