"""A pump's whole state as versioned bytes, and back, exactly.

Why: a firmware restart should not replay years of commands, and a test should be able to stop a
life anywhere and go on from a copy. Every component is plain Python data, so the state is
pickled whole (floats bit for bit, shared objects shared) behind a magic and a format version, and
read back by an unpickler that will only build pumpsim's own types and a few containers: bytes
from elsewhere can fail to load, but cannot call a function.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from pumpsim.domain.errors import SnapshotError

MAGIC = b"PUMPSNAP"
FORMAT_VERSION = 1
_HEADER = len(MAGIC) + 2

_ALLOWED_BUILTINS = {
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "float"),
    ("builtins", "getattr"),
    ("collections", "deque"),
    ("array", "_array_reconstructor"),
    ("array", "array"),
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("builtins", "object"),
}


class _PumpsimUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_BUILTINS:
            return super().find_class(module, name)
        if module.startswith("pumpsim.") and not name.startswith("__"):
            found = super().find_class(module, name)
            if isinstance(found, type):  # pumpsim's own types only, never a function
                return found
        raise SnapshotError(f"a snapshot may not hold {module}.{name}")


def dumps(state: object) -> bytes:
    """Not compressed: a restart waits on loading it, and the trend's floats hardly shrink."""
    return MAGIC + FORMAT_VERSION.to_bytes(2, "big") + pickle.dumps(state, protocol=5)


def loads(data: bytes) -> Any:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SnapshotError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < _HEADER or not data.startswith(MAGIC):
        raise SnapshotError("not a pumpsim snapshot")
    version = int.from_bytes(data[len(MAGIC) : _HEADER], "big")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"snapshot format {version}; this pumpsim reads {FORMAT_VERSION}")
    try:
        return _PumpsimUnpickler(io.BytesIO(data[_HEADER:])).load()
    except SnapshotError:
        raise
    except Exception as e:  # any corruption: say so with the code, never half-restore
        raise SnapshotError(f"corrupt snapshot: {type(e).__name__}: {e}") from None
