"""The machine-readable schema is complete, and enough: a decoder that knows only it (and the
published key derivation) decodes every vector in docs/protocol.md and every random message."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol.contract import schema, vectors
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m

from schema_decoder import SchemaDecoder, open_sealed, parse_frame, session_keys

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
SECURE = 0x01  # flags bit 0, as the frame table in docs/protocol.md says


@cache
def published_schema() -> dict[str, Any]:
    """What a third party gets: the installed command's output."""
    exe = shutil.which("pumpsim", path=str(Path(sys.executable).parent))
    assert exe is not None
    out = subprocess.run([exe, "spec", "--json"], capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def doc_vectors() -> list[dict[str, Any]]:
    text = DOC.read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


def _types_in(type_name: str, records: dict[str, Any]) -> set[str]:
    """Every primitive, list and optional a type is built from."""
    if type_name.startswith("list["):
        return {"list"} | _types_in(type_name[5:-1], records)
    if type_name.startswith("optional["):
        return {"optional"} | _types_in(type_name[9:-1], records)
    if type_name in records:
        found = {"record"}
        for f in records[type_name]:
            found |= _types_in(f["type"], records)
        return found
    return {type_name}


def test_the_schema_is_complete() -> None:
    s = published_schema()
    records = {r["name"]: r["fields"] for r in s["records"]}
    assert len(s["messages"]) >= 20
    assert len(s["errors"]) >= 10
    assert all(v["values"] for v in s["vocabularies"].values())
    assert {"device", "pump", "provisioning"} <= set(s["key_files"])
    used: set[str] = set()
    for owner in [*s["messages"], *s["records"]]:
        for f in owner["fields"]:
            used |= _types_in(f["type"], records)  # raises KeyError if a type does not resolve
            assert f.get("vocabulary", next(iter(s["vocabularies"]))) in s["vocabularies"]
            assert f.get("json_schema", "fault") in s["json_schemas"]
    assert used <= set(s["primitives"]), used - set(s["primitives"])
    assert set(s["primitives"]) <= used
    text = DOC.read_text()
    for name in s["primitives"]:
        assert f"`{name}`" in text, f"docs/protocol.md does not describe `{name}`"
    codes = [e["code"] for e in s["errors"]]
    numbers = [e["number"] for e in s["errors"]]
    assert len(set(zip(codes, [e["source"] for e in s["errors"]], strict=True))) == len(codes)
    assert len(set(numbers)) == len(numbers)
    assert all(e["when"] for e in s["errors"])


def test_every_string_field_is_a_vocabulary_json_or_named_free_text() -> None:
    for owner in [*m.MESSAGES.values(), *schema.record_types()]:
        for name, annotation in codec.fields_of(owner):
            if "str" not in schema.type_name(annotation):
                continue
            key = (owner.__name__, name)
            classified = [
                key in schema.FIELD_VOCABULARY,
                key in schema.FIELD_JSON,
                key in schema.FREE_TEXT,
            ]
            assert sum(classified) == 1, f"{key}: give it a vocabulary, or list it as free text"


def test_vectors_cover_every_message_type_encoding_and_optional_state() -> None:
    s = published_schema()
    records = {r["name"]: r["fields"] for r in s["records"]}
    by_name = {msg["name"]: msg for msg in s["messages"]}
    shown = {v["message"] for v in doc_vectors()}
    assert shown == set(by_name)
    used: set[str] = set()
    for name in shown:
        for f in by_name[name]["fields"]:
            used |= _types_in(f["type"], records)
    assert used == set(s["primitives"])
    optional_states = {
        v["fields"][f["name"]] is None
        for v in doc_vectors()
        for f in by_name[v["message"]]["fields"]
        if f["type"].startswith("optional[")
    }
    assert optional_states == {True, False}


@pytest.mark.parametrize("vector", doc_vectors(), ids=lambda v: str(v["name"]))
def test_a_decoder_that_knows_only_the_schema_decodes_every_vector(
    vector: dict[str, Any],
) -> None:
    s = published_schema()
    frame = parse_frame(bytes.fromhex(vector["wire"]))
    payload = frame["payload"]
    if frame["flags"] & SECURE:
        to_pump, to_programmer = session_keys(
            bytes.fromhex(vector["paired_key"]),
            frame["session"],
            bytes.fromhex(vector["programmer_nonce"]),
            bytes.fromhex(vector["pump_nonce"]),
        )
        message = next(x for x in s["messages"] if x["type"] == frame["type"])
        from_programmer = message["direction"] == "programmer->pump"
        payload = open_sealed(frame, to_pump if from_programmer else to_programmer)
    name, fields = SchemaDecoder(s).decode(frame["type"], payload)
    assert name == vector["message"]
    assert fields == vector["fields"]
    vocabularies = s["vocabularies"]
    for f in next(x for x in s["messages"] if x["name"] == name)["fields"]:
        if "vocabulary" in f and f["type"] == "str":
            assert fields[f["name"]] in vocabularies[f["vocabulary"]]["values"]


def _strategy(annotation: Any) -> st.SearchStrategy[Any]:
    kind = schema.type_name(annotation)
    if kind in ("u8", "u16", "u32", "u64"):
        return st.integers(0, (1 << (8 * int(schema.PRIMITIVES[kind]["width"]))) - 1)
    if kind == "f64":
        return st.floats(allow_nan=False)
    if kind.startswith("optional["):
        return st.none() | st.floats(allow_nan=False)
    if kind == "bool":
        return st.booleans()
    if kind == "str":
        return st.text(max_size=20)
    if kind == "bytes":
        return st.binary(max_size=20)
    if get_origin(annotation) is tuple:
        return st.lists(_strategy(get_args(annotation)[0]), max_size=3).map(tuple)
    return _builds(annotation)


def _builds(cls: type) -> st.SearchStrategy[Any]:
    fields = {name: _strategy(a) for name, a in codec.fields_of(cls)}
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


ANY_MESSAGE = st.sampled_from(sorted(m.MESSAGES)).flatmap(lambda c: _builds(m.MESSAGES[c]))


@given(ANY_MESSAGE)
def test_random_messages_round_trip_through_the_codec_and_the_schema_decoder(msg: Any) -> None:
    code = m.SPECS[type(msg)].code
    payload = codec.encode(msg)
    name, fields = SchemaDecoder(published_schema()).decode(code, payload)
    assert name == type(msg).__name__
    assert fields == vectors.jsonable(msg)
    assert vectors.from_jsonable(type(msg), fields) == msg
