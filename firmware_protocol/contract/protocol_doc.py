"""The generated part of docs/protocol.md, rendered from the same schema `pumpsim spec --json`
prints: field encodings, messages, records, vocabularies, errors, the JSON carried in text
fields, key files, and test vectors.

`python -m firmware_protocol.contract.protocol_doc` prints it (`--write` puts it into
docs/protocol.md); the tests check that the document holds exactly what this prints, so the contract
cannot drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from firmware_protocol.contract.schema import build
from firmware_protocol.contract.vectors import vectors


def _field_list(fields: list[dict[str, Any]]) -> str:
    out = []
    for f in fields:
        text = f"{f['name']}: `{f['type']}`"
        if "vocabulary" in f:
            text += f" ({f['vocabulary']})"
        if "json_schema" in f:
            text += f" (JSON: {f['json_schema']})"
        if f.get("since", 1) > 1:
            text += f" [v{f['since']}, default {json.dumps(f['default'])}]"
        out.append(text)
    return ", ".join(out) or "-"


def encoding_table(schema: dict[str, Any]) -> str:
    lines = ["| type | layout |", "|---|---|"]
    for name, p in schema["primitives"].items():
        lines.append(f"| `{name}` | {p['description']} |")
    return "\n".join(lines)


def message_table(schema: dict[str, Any]) -> str:
    lines = [
        "| code | message | direction | roles | txn | fields |",
        "|---|---|---|---|---|---|",
    ]
    for msg in schema["messages"]:
        roles = ", ".join(msg["roles"]) or "-"
        if msg["before_session"] and msg["roles"]:
            roles = "any (before a session)"
        name = msg["name"] + (f" [v{msg['since']}]" if msg["since"] > 1 else "")
        lines.append(
            f"| 0x{msg['type']:04x} | {name} | {msg['direction']} | {roles} | "
            f"{'yes' if msg['transaction'] else ''} | {_field_list(msg['fields'])} |"
        )
    return "\n".join(lines)


def record_table(schema: dict[str, Any]) -> str:
    lines = ["| record | fields |", "|---|---|"]
    lines += [f"| {r['name']} | {_field_list(r['fields'])} |" for r in schema["records"]]
    return "\n".join(lines)


def vocabulary_table(schema: dict[str, Any]) -> str:
    lines = ["| vocabulary | what | values |", "|---|---|---|"]
    for name, v in schema["vocabularies"].items():
        values = ", ".join(f"`{x}`" if x else '`""`' for x in v["values"])
        lines.append(f"| {name} | {v['description']} | {values} |")
    return "\n".join(lines)


def error_table(schema: dict[str, Any]) -> str:
    lines = ["| number | code | kind | when |", "|---|---|---|---|"]
    for e in schema["errors"]:
        lines.append(f"| {e['number']} | {e['code']} | {e['source']} | {e['when']} |")
    return "\n".join(lines)


def key_file_text(schema: dict[str, Any]) -> list[str]:
    out = []
    for name in ("device", "pump"):
        entry = schema["key_files"][name]
        out.append(f"- **{name} key file**: {entry['description']}:")
        out += [f"  - `{k}`: {v}" for k, v in entry["fields"].items()]
    out.append(f"- **Provisioning**: {schema['key_files']['provisioning']}")
    return out


def render() -> str:
    schema = build()
    parts = [
        BEGIN,
        "The same content, as JSON for programs: `pumpsim spec --json`.",
        "",
        "### Field encodings",
        "",
        "A message's payload is its fields laid out one after the other, in the order of the",
        "table, with no padding. Every multi-byte number is big-endian.",
        "",
        encoding_table(schema),
        "",
        "### Messages",
        "",
        "A name in parentheses after a `str` field is the vocabulary its values come from.",
        "`[v2]`, `[v3]` and `[v4]` mark what protocol versions 2, 3 and 4 added (a field with",
        "the default it means where absent); everything else is as in version 1. Rules: see",
        "Protocol versions, above.",
        "",
        message_table(schema),
        "",
        "### Records (laid out inline, fields in order)",
        "",
        record_table(schema),
        "",
        "### Vocabularies",
        "",
        vocabulary_table(schema),
        "",
        "### Error codes",
        "",
        "Codes travel as strings; the numbers are stable, for implementations that keep an enum.",
        "",
        error_table(schema),
        "",
        "### JSON inside text fields",
        "",
        "Two `str` fields carry JSON, described by these JSON Schemas (draft 2020-12).",
        "",
    ]
    for name, js in schema["json_schemas"].items():
        parts += [f"#### {name}", "", "```json-schema", json.dumps(js, indent=1), "```", ""]
    parts += ["### Key files and provisioning", "", *key_file_text(schema), ""]
    parts += [
        "### Test vectors",
        "",
        "Each vector is a frame exactly as it goes on the wire (COBS, delimiter included). Sealed",
        "vectors give the paired key and both nonces: derive the session keys as in",
        "[Sessions](#3-sessions), open the frame with the counter it carries. Between them, every",
        "message type, every field encoding and both states of an optional appear.",
        "",
    ]
    for v in vectors():
        parts += [f"#### {v.name}", "", "```json", v.as_json(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def write(path: Path) -> None:
    """Replace the generated part of the document at `path` with what the code says now."""
    text = path.read_text()
    start = text.index(BEGIN)
    end = text.index(END) + len(END)
    path.write_text(text[:start] + render() + text[end:])


BEGIN = "<!-- BEGIN GENERATED: python -m firmware_protocol.contract.protocol_doc -->"
END = "<!-- END GENERATED -->"

if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write(Path(sys.argv[2] if len(sys.argv) > 2 else "docs/protocol.md"))
    else:
        print(render())
