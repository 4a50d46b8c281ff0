"""CI: the SBOM lists every runtime dependency of pumpsim, transitively.

Why a check: an SBOM that silently misses a package is worse than none. The closure is computed
from the installed packages' own metadata (the requirements pumpsim declares without extras, then
theirs, markers evaluated for this interpreter) and compared, by normalised name, with the
components of the CycloneDX document `cyclonedx-py environment` wrote.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def runtime_closure(root: str) -> set[str]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if _name(name) in seen:
            continue
        seen.add(_name(name))
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue  # an optional extra's, or another platform's
            todo.append(req.name)
    seen.discard(_name(root))
    return seen


def main(path: str) -> int:
    sbom = json.loads(Path(path).read_text())
    listed = {_name(c["name"]) for c in sbom.get("components", [])}
    needed = runtime_closure("pumpsim")
    missing = sorted(needed - listed)
    if missing:
        print(f"SBOM {path} lacks runtime dependencies: {', '.join(missing)}")
        return 1
    print(f"SBOM {path}: {len(listed)} components, all {len(needed)} runtime dependencies listed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
