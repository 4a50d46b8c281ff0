"""Old module paths kept importable after the packages were split into folders (0.2.0).

Why: engineers' programmers and scripts import `firmware_protocol.security`, `pumpsim.faults` and
the like from last year's README; a move must not break them. An old path imports the module that
now holds its code, under both names (the same module object, so classes stay identical), with a
DeprecationWarning that names the new path. The aliases go in the next major version.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Mapping, Sequence
from types import ModuleType


class _Alias(importlib.abc.Loader):
    def __init__(self, old: str, new: str) -> None:
        self.old = old
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{self.old} moved to {self.new}; import it from there (the old path goes in 1.0)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was loaded under its new name."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def __init__(self, moves: Mapping[str, str]) -> None:
        self.moves = dict(moves)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = self.moves.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(fullname, new))


def alias_moved_modules(package: str, moves: Mapping[str, str]) -> None:
    """Make `package.old` import `package.new` for each old: new in `moves` (once per package)."""
    full = {f"{package}.{old}": f"{package}.{new}" for old, new in moves.items()}
    if not any(isinstance(f, _MovedFinder) and f.moves == full for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder(full))
