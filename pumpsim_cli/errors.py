"""A user's mistake is one line naming the problem and what to do, and exit status 2.

Why in one place: every subcommand opens files, ports and sockets, and every one of those can be
wrong in the same few ways. Exit status 1 stays for "ran, and something failed" (a scenario
expectation, a swarm invariant); a traceback appears only with `--debug`.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Callable

import serial

USER_ERROR = 2


def version() -> str:
    try:
        return importlib.metadata.version("pumpsim")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def explain(error: BaseException) -> str | None:
    """One line for a mistake a user can fix; None for anything else (a bug: let it show)."""
    if isinstance(error, FileNotFoundError):
        return f"no such file or directory: {error.filename} (check the path)"
    if isinstance(error, IsADirectoryError):
        return f"{error.filename} is a directory; give a file"
    if isinstance(error, PermissionError):
        return f"permission denied: {error.filename}"
    if isinstance(error, serial.SerialException):
        return f"cannot open the port: {error} (is the path or URL right, and the port free?)"
    if isinstance(error, OverflowError | ValueError | UnicodeDecodeError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.strerror or error} ({error.filename or 'the operating system said so'})"
    return None


def run_guarded(run: Callable[[], int], debug: bool) -> int:
    """Run a command; turn a user's mistake into one line and exit status 2."""
    try:
        return run()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        message = explain(e)
        if message is None or debug:
            raise
        print(f"error: {message}", file=sys.stderr)
        return USER_ERROR
