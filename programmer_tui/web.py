"""`pump-programmer --web`: the programmer served to a web browser, for a trainer who shares a
screen or a trainee without a terminal.

Why textual-serve: it is Textualize's own server for Textual apps (aiohttp, no cloud). Each page
that opens gets a programmer process of its own, started with the same arguments as
`pump-programmer` minus the web ones, so a page talks to its pump through the client exactly as
the terminal programmer does (with `--demo`, each page has its own embedded demo pump). A
browser keeps some keys for itself (F5 reloads, F3 searches, ctrl+p prints): every tab and action
is also on a key it leaves alone (1-9, ?, :) and on the mouse.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

WEB_FLAGS_WITH_VALUE = ("--web-port", "--host")


def programmer_argv(argv: Sequence[str]) -> list[str]:
    """The arguments a page's programmer gets: these, without the web server's own."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--web":
            continue
        elif arg in WEB_FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith(tuple(f"{f}=" for f in WEB_FLAGS_WITH_VALUE)):
            out.append(arg)
    return out


def serve(argv: Sequence[str], host: str, port: int) -> int:
    """Serve until Ctrl-C; every page's programmer process ends with its page or the server."""
    try:
        from textual_serve.server import Server
    except ImportError:
        print("the web programmer needs textual-serve: pip install 'pumpsim[web]'", file=sys.stderr)
        return 2
    command = shlex.join([sys.executable, "-m", "programmer_tui.main", *programmer_argv(argv)])
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: serving on {host}: anyone who can reach this machine on port {port} gets a "
            "programmer (and, with --demo or a simulator key, its pump)",
            file=sys.stderr,
        )
    print(f"The programmer in a browser: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    Server(command, host=host, port=port, title="Pump programmer (simulator)").serve()
    return 0
