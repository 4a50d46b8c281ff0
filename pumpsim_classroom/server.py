"""The classroom's web server: textual-serve's pieces, with a seat per page and a console.

Why not textual-serve's `Server` as it is: it serves one command at `/` to anyone who opens it.
A class needs a door (the class code), a page per seat that starts that seat's programmer (its
own command: the seat's TCP line and clinician key), a seat that stays its browser's, and pages
of its own for the instructor. So this subclass keeps textual-serve's terminal page, static files
and per-page process (`AppService`, which ends the programmer with its page) and routes the rest.
Every call on a pump's rig port runs on one worker thread, in turn: the console, the class loop
and the scenario never interleave their requests to one seat.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any, TypeVar

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from pumpsim_classroom import conduct, pages
from pumpsim_classroom.access import CLAIM_COOKIE, ClassAccess, SeatClaims
from pumpsim_classroom.debrief_page import class_debrief
from pumpsim_classroom.seats import Seat

log = logging.getLogger("pumpsim.classroom")
CONDUCT_EVERY_S = 1.0  # the class loop: scenario turns and the console's glances
T = TypeVar("T")


class ClassroomServer(Server):
    def __init__(
        self,
        seats: list[Seat],
        access: ClassAccess,
        scenario: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
    ) -> None:
        super().__init__("pump-programmer", host=host, port=port, title="Pump programmer class")
        self.seats = {s.number: s for s in seats}
        self.access = access
        self.scenario = scenario
        self.claims = SeatClaims(len(seats))
        self.live: dict[int, int] = {}  # open pages per seat
        self.glances: dict[int, conduct.SeatGlance] = {}
        self.refresh_ms = 0.0
        self.turns = 0
        self.ended = False
        self.debrief_html: str | None = None
        self.said: list[str] = []
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="rig")
        self._services: set[AppService] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        self._loop_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ plumbing

    async def _on_rig(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.door),
                web.get("/join", self.join),
                web.get("/seat/{seat}/{code}", self.seat_page),
                web.get("/seat/{seat}/{code}/ws", self.seat_socket),
                web.get("/console/{token}", self.console_page),
                web.get("/console/{token}/state", self.state),
                web.post("/console/{token}/action", self.action),
                web.get("/console/{token}/debrief", self.debrief),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_startup(self, app: web.Application) -> None:
        self._loop_task = asyncio.create_task(self._conduct_loop())

    async def on_shutdown(self, app: web.Application) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        await asyncio.gather(*(_end_programmer(s) for s in list(self._services)))
        for socket in list(self._sockets):
            await socket.close()
        self._worker.shutdown(wait=True)

    def initialize_logging(self) -> None:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    # --------------------------------------------------------------- the class loop

    async def _conduct_loop(self) -> None:
        while True:
            started = time.perf_counter()
            await self._on_rig(self._conduct_once)
            self.refresh_ms = round((time.perf_counter() - started) * 1000, 1)
            await asyncio.sleep(CONDUCT_EVERY_S)

    def _conduct_once(self) -> None:
        self.turns += 1
        for seat in self.seats.values():
            try:
                conduct.turn(seat, self.turns)
            except Exception:  # one seat's trouble must not stop the class
                log.exception("seat %d: the class loop failed", seat.number)
        self._look()

    def _look(self) -> None:
        """The console's glance at every seat, as its pump stands now."""
        for seat in self.seats.values():
            try:
                self.glances[seat.number] = conduct.glance(seat)
            except Exception:  # one seat's trouble must not blind the console to the others
                log.exception("seat %d: the console's glance failed", seat.number)

    # ------------------------------------------------------------------ trainees

    async def door(self, request: web.Request) -> web.Response:
        return _html(pages.door(len(self.seats), self.scenario))

    async def join(self, request: web.Request) -> web.Response:
        code = request.query.get("code", "")
        if not self.access.admits(code):
            return _html(pages.wrong_code(), 403)
        wanted = request.query.get("seat", "")
        seat = to_int(wanted, 0) if wanted else self.claims.free_seat()
        if seat is None:
            return _html(pages.no_free_seat(), 409)
        raise web.HTTPSeeOther(f"/seat/{seat}/{self.access.code}")

    def _seat_of(self, request: web.Request) -> int | web.Response:
        if not self.access.admits(request.match_info["code"]):
            return _html(pages.wrong_code(), 403)
        text = request.match_info["seat"]
        seat = to_int(text, 0)
        if not self.claims.valid(seat):
            return _html(pages.no_such_seat(text), 404)
        if not self.claims.may_take(seat, request.cookies.get(CLAIM_COOKIE)):
            return _html(pages.seat_taken(seat), 409)
        return seat

    async def seat_page(self, request: web.Request) -> web.Response:
        seat = self._seat_of(request)
        if isinstance(seat, web.Response):
            return seat
        claim = request.cookies.get(CLAIM_COOKIE) or self.claims.new_claim()
        self.claims.take(seat, claim)
        scheme = "wss" if request.secure else "ws"
        static = request.app.router["static"].url_for(filename="/")
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            # The template does not escape: the Host header is the asker's, so escape it here.
            "app_websocket_url": escape(f"{scheme}://{request.host}{request.path}/ws"),
            "config": {"static": {"url": str(static).rstrip("/") + "/"}},
            "application": {"name": f"Seat {seat}: pump programmer (simulator)"},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.set_cookie(CLAIM_COOKIE, claim, httponly=True, samesite="Strict")
        return response

    async def seat_socket(self, request: web.Request) -> web.StreamResponse:
        seat = self._seat_of(request)
        if isinstance(seat, web.Response):
            return seat
        claim = request.cookies.get(CLAIM_COOKIE)
        if claim is None or not self.claims.take(seat, claim):  # not the browser that took it
            return _html(pages.seat_taken(seat), 409)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        self._sockets.add(websocket)
        self.live[seat] = self.live.get(seat, 0) + 1

        async def close() -> None:
            await websocket.close()

        service = AppService(
            self.seats[seat].programmer_command(),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
            debug=False,
        )
        self._services.add(service)
        try:
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            await _end_programmer(service)
            self._services.discard(service)
            self._sockets.discard(websocket)
            self.live[seat] -= 1
            if self.live[seat] == 0:
                self.claims.release(seat, claim)
        return websocket

    # --------------------------------------------------------------- the console

    def _console_ok(self, request: web.Request) -> bool:
        return self.access.is_console(request.match_info["token"])

    async def console_page(self, request: web.Request) -> web.Response:
        if not self._console_ok(request):
            return _html(pages.not_the_console(), 403)
        token = request.match_info["token"]
        page = pages.console(token, self.scenario, self.access.code_shown, conduct.fault_names())
        return _html(page)

    async def state(self, request: web.Request) -> web.Response:
        if not self._console_ok(request):
            return web.json_response({"error": "not the console"}, status=403)
        seats = [
            dataclasses.asdict(g) | {"taken": n in self.claims.holders}
            for n, g in sorted(self.glances.items())
        ]
        return web.json_response(
            {
                "seats": seats,
                "taken": len(self.claims.holders),
                "refresh_ms": self.refresh_ms,
                "ended": self.ended,
                "said": self.said[-5:],
            }
        )

    async def action(self, request: web.Request) -> web.Response:
        if not self._console_ok(request):
            return web.json_response({"ok": False, "said": "not the console"}, status=403)
        try:
            body = await request.json()
            said = await self._on_rig(self._act_and_look, body if isinstance(body, dict) else {})
        except (ValueError, KeyError, TypeError) as e:
            return web.json_response({"ok": False, "said": f"not done: {e}"}, status=400)
        self.said.append(said)
        return web.json_response({"ok": True, "said": said})

    def _act_and_look(self, body: dict[str, Any]) -> str:
        """An action, then a fresh glance at the seats: the console's refresh that follows its
        answer shows what the action did (an injected alarm, a stopped clock) at once, not the
        glance of up to a class-loop turn before."""
        said = self._act(body)
        self._look()
        return said

    def _act(self, body: dict[str, Any]) -> str:
        """One console action (on the rig worker): the class clock, a fault, the end."""
        if self.ended:
            raise ValueError("the session has ended")
        if body.get("end"):
            return self._end()
        if "inject" in body:
            name = str(body["inject"])
            if name not in conduct.fault_names():
                raise ValueError(f"no fault called {name!r}")
            which = str(body.get("seat", "all"))
            targets = self._targets(which)
            return "; ".join(conduct.inject(seat, name) for seat in targets)
        clock = body.get("clock")
        live = list(self.seats.values())
        if clock == "run":
            conduct.set_speed(live, None, paused=False)
            return "the class clock runs"
        if clock == "pause":
            conduct.set_speed(live, None, paused=True)
            return "the class clock is stopped"
        if clock == "speed":
            acceleration = float(body["acceleration"])
            conduct.set_speed(live, acceleration, paused=False)
            return f"the class clock runs at {acceleration:g}x"
        if clock == "step":
            seconds = float(body["seconds"])
            conduct.step(live, seconds)
            return f"every seat moved on {seconds / 3600:g} h"
        raise ValueError("unknown action")

    def _targets(self, which: str) -> list[Seat]:
        if which == "all":
            return list(self.seats.values())
        seat = self.seats.get(to_int(which, 0))
        if seat is None:
            raise ValueError(f"no seat {which}")
        return [seat]

    def _end(self) -> str:
        debriefs = conduct.end(self.seats.values())
        rows = [(s.number, d, s.notes) for s, d in zip(self.seats.values(), debriefs, strict=True)]
        self.debrief_html = class_debrief(
            self.scenario, rows, datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        )
        self.ended = True  # (the glance after the action shows every seat stopped)
        return "the session has ended: the class debrief is written"

    async def debrief(self, request: web.Request) -> web.Response:
        if not self._console_ok(request):
            return _html(pages.not_the_console(), 403)
        if self.debrief_html is None:
            not_yet = pages.refusal("Not yet", "End the session first (the console's End).")
            return _html(not_yet, 409)
        response = _html(self.debrief_html)
        response.headers["Content-Disposition"] = 'inline; filename="class-debrief.html"'
        return response


async def _end_programmer(service: AppService, grace_s: float = 5.0) -> None:
    """Ask a page's programmer to quit, and see it gone: a process that outlives its page (or
    the server) is killed after `grace_s`. (`_process` is textual-serve's; it is pinned.)"""
    with contextlib.suppress(Exception):
        await service.stop()
    process = getattr(service, "_process", None)
    if process is None or process.returncode is not None:
        return
    try:
        await asyncio.wait_for(process.wait(), grace_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")
