"""Files at rest that hold keys or the therapy: made private, and refused when they are not.

Why: the state file holds the therapy journal and the key files the pump's secrets; programmer
data at rest is among the advisories shared/domain.md cites. Like ssh with a private key, the
pump makes them readable by their owner alone (files 0600 in folders 0700) and will not start on
one that others can read, unless its operator says so on purpose.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class SharedFileError(Exception):
    """A key or state file (or its folder) that someone other than its owner can reach."""


def private_dir(path: Path) -> Path:
    """`path` as a folder, made 0700 if this call creates it (an existing one is left as it is,
    for `check_private` to judge)."""
    path = Path(path)
    if not path.exists():
        path.mkdir(mode=PRIVATE_DIR, parents=True)
        path.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask
    return path


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (its folder private too), so that
    whatever writes it next, SQLite's journal files included, starts from the owner's bits only."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)


def open_private_for_write(path: Path) -> int:
    """A descriptor on `path`, truncated, mode 0600 (a file that existed is made 0600 too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return fd


def check_private(*paths: Path) -> None:
    """Raise `SharedFileError` naming the first of `paths` (files or folders that exist) whose
    group or others have any permission on it."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            kind = "folder" if path.is_dir() else "file"
            wanted = PRIVATE_DIR if path.is_dir() else PRIVATE_FILE
            raise SharedFileError(
                f"{kind} {path} is {mode:04o}: others can reach it (chmod {wanted:o} {path}, "
                "or pass --allow-shared-files)"
            )
