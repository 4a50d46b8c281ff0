"""The programmer application: a link banner, one tab per workflow, and the pump's status.

The app holds the connection and the latest status. It hands the pane on screen a view of the pump
and runs the pump calls panes ask for (`panes.common`), in a worker so the UI never waits on the
line. Errors come back as notifications: a refusal shows the pump's code, a lost link shows a
banner with a way to reconnect, and a command whose reply was lost is resolved by transaction id
after reconnecting, never sent twice. Keys are read one at a time (`keys`).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Static, TabbedContent, TabPane, Tabs

from firmware_protocol.client.pump_client import (
    AuthenticationError,
    DeviceError,
    LinkLostError,
    OutcomeUncertainError,
)
from firmware_protocol.harness.simulated import SimulatedPump
from firmware_protocol.wire import messages as m
from programmer_tui.backend import Backend
from programmer_tui.checks import PumpRules
from programmer_tui.demo import set_up_demo_pump
from programmer_tui.heap import Heap
from programmer_tui.keys import OneKeyAtATimeApp
from programmer_tui.panes.common import Pane, PumpCall, PumpView
from programmer_tui.panes.registry import ALL_TABS, CLINIC_TABS, FIRST_SHOWN, TABS, build_pane
from programmer_tui.screens.connect import ConnectRequest, ConnectScreen, describe_open_error
from programmer_tui.training import Debrief, ScenarioPlayer, inject_due_faults
from programmer_tui.widgets.footer import CoalescingFooter

R = TypeVar("R")

STALE_AFTER_S = 5.0


# What a worker is given: a coroutine function (called when the worker starts), not a coroutine.
Job = Callable[[], Coroutine[None, None, object]]


class ProgrammerApp(OneKeyAtATimeApp):
    CSS_PATH = "programmer.tcss"
    TITLE = "Pump programmer"
    SUB_TITLE = "simulator for training and testing, not a medical device"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("question_mark,f1", "help", "Help", key_display="?"),  # a browser keeps F1
        Binding("i", "interrogate", "Interrogate"),
        Binding("a", "acknowledge", "Ack alarms"),
        Binding("r", "reconnect", "Reconnect", show=False),
        # Digits switch tabs unless a field has the keys; F2-F9 always do.
        *[
            Binding(str(n), f"show_tab('{tab}')", title, show=False)
            for n, (tab, title) in enumerate(TABS, 1)
        ],
        *[
            Binding(f"f{n + 1}", f"show_tab('{tab}')", title, show=False, priority=True)
            for n, (tab, title) in enumerate(TABS, 1)
        ],
        Binding("q", "quit", "Quit"),
    ]

    status: reactive[m.Status | None] = reactive(None)
    link_ok: reactive[bool] = reactive(False)

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        embedded: SimulatedPump | None = None,
        demo_setup: bool = False,
        connect_defaults: ConnectRequest | None = None,
        poll_s: float = 1.0,
        export_dir: Path | None = None,
        player: ScenarioPlayer | None = None,
        time_zone: ZoneInfo | None = None,  # the clinic's, for the Clock tab (--tz)
    ) -> None:
        super().__init__()
        self.time_zone = time_zone
        self.backend = backend
        self.embedded = embedded
        self.demo_setup = demo_setup
        self.connect_defaults = connect_defaults
        self.poll_s = poll_s
        self.export_dir = export_dir or Path.cwd()
        self.status_received_at: float | None = None
        self.pending_uncertain: list[OutcomeUncertainError] = []
        self.role = ""
        self.player = player
        self.debrief: Debrief | None = None
        self.refusals: list[str] = []  # every code the pump refused with (the debrief judges them)
        self._last_connect_error = ""
        self.connecting = False
        self._banner_shown: tuple[str, bool, bool] | None = None
        self.rules = PumpRules()  # replaced by the connected pump's own on connecting
        self.view = PumpView()
        self._mounting: dict[str, asyncio.Future[Widget]] = {}  # panes being built (`_pane_for`)
        self._patient_tabs = False  # the tab bar starts as a clinic's
        self._heap = Heap()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("Not connected", id="link-banner", classes="lost")
        with TabbedContent(id="tabs"):
            for tab, title in ALL_TABS:
                with TabPane(title, id=tab):
                    if tab in FIRST_SHOWN:
                        yield build_pane(tab, self.export_dir)
        yield CoalescingFooter()

    def on_mount(self) -> None:
        # Kept, because app-level queries look at the active screen (a modal may be on top).
        self.banner = self.query_one("#link-banner", Static)
        self.tabs = self.query_one(TabbedContent)
        self.panes: dict[str, Pane] = {
            str(tab.id): pane
            for tab in self.query(TabPane)
            for pane in tab.children
            if isinstance(pane, Pane)
        }
        self.tabs.hide_tab("simulator")
        self.tabs.hide_tab("patient")
        if self.backend is not None:
            self.connect_backend(self.backend)
        else:
            self.push_screen(ConnectScreen(self.connect_defaults), self._on_connect_request)
        self.set_interval(self.poll_s, self.poll_status)

    async def _pane_for(self, tab: str) -> Pane:
        """The pane of `tab`, built the first time its tab is shown: start-up pays only for what
        it shows (230-odd widgets in ten forms cost four times a bare app's start, and most of a
        short session's or a test's), and a tab's first showing, its module imported and its form
        mounted, paints within about a tenth of a second (`bench/tui_bench.py`: first_show_*).
        Keys wait their turn meanwhile (`keys`)."""
        if tab not in self.panes:
            mounting = self._mounting.get(tab)
            if mounting is None:  # one build, however many ask for it while it mounts
                # From the tabs themselves: the screen on top may be another (connect, help).
                host = self.tabs.query_one(f"#{tab}", TabPane)
                built = build_pane(tab, self.export_dir)
                mounting = self._mounting[tab] = asyncio.ensure_future(_mounted(host, built))
            pane = await mounting
            assert isinstance(pane, Pane)
            if tab not in self.panes:
                self.panes[tab] = pane
                self.call_after_refresh(self._heap.settle)
        return self.panes[tab]

    # ------------------------------------------------------------- connection

    def _on_connect_request(self, request: ConnectRequest | None) -> None:
        if request is None:
            self.exit()
            return
        self.open_and_connect(request)

    @work(exclusive=True, group="connect")
    async def open_and_connect(self, request: ConnectRequest) -> None:
        try:
            backend = Backend.open(
                request.url, request.key(), request.baud, request.handshake_timeout_s
            )
        except Exception as e:  # absent, busy, unreadable key: say which
            screen = ConnectScreen(request, error=describe_open_error(e))
            self.push_screen(screen, self._on_connect_request)
            return
        self.backend = backend
        ok = await self._connect(backend)
        if not ok:
            backend.close_port()
            self.backend = None
            self.push_screen(
                ConnectScreen(request, error=self._last_connect_error),
                self._on_connect_request,
            )

    def connect_backend(self, backend: Backend) -> None:
        self.backend = backend
        self.start_job(functools.partial(self._connect, backend), exclusive=True, group="connect")

    async def _connect(self, backend: Backend) -> bool:
        try:
            ok = await backend.call(backend.sync.connect)
        except AuthenticationError as e:
            self._last_connect_error = f"Authentication failed: {e}"
            self.notify(self._last_connect_error, severity="error", timeout=8)
            return False
        except LinkLostError:
            self._last_connect_error = "The pump is silent: check the port and that it is on."
            self.notify(self._last_connect_error, severity="error", timeout=8)
            self.link_ok = False
            return False
        self.role = ok.role
        self.link_ok = True
        self.rules = await self._read_rules(backend)
        self.connecting = True  # no status polls until set-up and recovery are done
        if ok.simulator_available and ok.role == m.Role.SIMULATOR:
            self.tabs.show_tab("simulator")
        self._tabs_for_role(ok.role)
        if self.player is not None:
            await backend.call(self.player.setup, backend.sync)
        elif self.demo_setup:
            await backend.call(set_up_demo_pump, backend.sync)
        await self._resolve_pending(backend)
        self.connecting = False
        await self._interrogate(backend)
        return True

    def _tabs_for_role(self, role: str) -> None:
        """A patient key sees the patient's view and nothing else; a clinic key sees the clinic's
        tabs (and the simulator's, when it has that role)."""
        patient = role == m.Role.PATIENT
        if patient != self._patient_tabs:  # (each change of a tab restyles the whole bar)
            self._patient_tabs = patient
            for tab in CLINIC_TABS:
                if tab != "simulator":
                    (self.tabs.hide_tab if patient else self.tabs.show_tab)(tab)
            if patient:
                self.tabs.show_tab("patient")
                self.tabs.active = "patient"
            else:
                self.tabs.hide_tab("patient")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Interrogating and acknowledging are not a patient's to do: not offered to one.
        return not (self.role == m.Role.PATIENT and action in ("interrogate", "acknowledge"))

    @on(PumpCall)
    def _pump_call(self, event: PumpCall) -> None:
        backend = self.backend
        if backend is None:
            self.notify("Not connected to a pump.", severity="error")
            return
        self.pump_call(
            event.call, backend.sync, done=event.done, failed=event.failed, refresh=event.refresh
        )

    async def _read_rules(self, backend: Backend) -> PumpRules:
        """The connected pump's configuration and drug library, which the forms check against."""
        try:
            description = await backend.call(backend.sync.read_description)
        except DeviceError:
            self.notify(
                "This pump does not describe itself: forms are checked against the defaults; "
                "the pump still checks everything.",
                severity="warning",
                timeout=8,
            )
            return PumpRules()
        return PumpRules.of(description)

    async def _resolve_pending(self, backend: Backend) -> None:
        while self.pending_uncertain:
            uncertain = self.pending_uncertain[0]
            reply = await backend.call(backend.sync.resolve, uncertain)
            name = type(uncertain.request).__name__
            if reply is None:
                self.notify(f"{name} did not reach the pump: it was NOT applied.", timeout=10)
            else:
                self.notify(f"{name} had been applied by the pump (confirmed).", timeout=10)
            self.pending_uncertain.pop(0)

    def start_job(self, job: Job, **options: Any) -> None:
        """Run `job` in a worker. It is given the coroutine function, not a coroutine, so that
        one cancelled before it starts (an exclusive worker replaced, the app closing) leaves no
        coroutine unawaited. (Textual's annotation cannot infer a result type for it.)"""
        self.run_worker(job, **options)  # type: ignore[arg-type]

    def action_reconnect(self) -> None:
        if self.backend is not None:
            self.connect_backend(self.backend)

    # ------------------------------------------------------------------ status

    def poll_status(self) -> None:
        if self.backend is not None and self.link_ok and not self.connecting:
            self.start_job(
                functools.partial(self._poll, self.backend), exclusive=True, group="poll"
            )
        self._show_state()

    async def _poll(self, backend: Backend) -> None:
        try:
            self._take_status(await backend.call(backend.sync.read_status))
            if self.player is not None and self.status is not None and self.is_running:
                await self._play(backend, self.status)
        except LinkLostError:
            self._link_lost()
        except DeviceError:
            pass

    async def _play(self, backend: Backend, status: m.Status) -> None:
        """Training: inject the scenario's faults when due; debrief when its time is up."""
        player = self.player
        assert player is not None
        for note in await backend.call(inject_due_faults, player, backend.sync, status.at_s):
            self.notify(note, timeout=6)
        if player.over(status.at_s) and not player.finished:
            player.finished = True
            # Its own worker: the next status poll replaces this one, and must not cancel it.
            self.start_job(functools.partial(self._debrief, backend, status), group="debrief")

    async def _debrief(self, backend: Backend, status: m.Status) -> None:
        player = self.player
        assert player is not None
        await backend.call(backend.sync.sim_set_speed, status.acceleration, True)
        self.debrief = await backend.call(player.debrief, backend.sync, self.refusals)
        from programmer_tui.screens.debrief import DebriefScreen  # training only

        self.push_screen(DebriefScreen(player.scenario.name, self.debrief))

    async def _interrogate(self, backend: Backend) -> None:
        # A patient's device may read the status, not interrogate (a clinic's act, logged).
        read = backend.sync.read_status if self.role == m.Role.PATIENT else backend.sync.interrogate
        try:
            self._take_status(await backend.call(read))
        except LinkLostError:
            self._link_lost()

    def _take_status(self, status: m.Status) -> None:
        self.status_received_at = time.monotonic()
        first = self.status is None
        self.status = status
        self._show_state()
        if first:  # the first screen is up: what lives as long as the app is built
            self.call_after_refresh(self._heap.settle)

    def _link_lost(self) -> None:
        if self.link_ok:
            self.notify("Link lost. Press r to reconnect.", severity="error", timeout=8)
        self.link_ok = False
        self._show_state()

    @property
    def stale(self) -> bool:
        if self.status_received_at is None:
            return True
        return time.monotonic() - self.status_received_at > STALE_AFTER_S or not self.link_ok

    def _show_state(self) -> None:
        """The link banner, and the pane on screen, from the latest status (called on each poll:
        each touches its widgets only on a change)."""
        if not self.is_running:
            # A poll that ends while the app shuts down: its widgets are being taken away.
            return
        status = self.status
        if self.link_ok and status is not None:
            text = (
                f"Connected to {status.pump_id} as {self.role}  ·  "
                f"{'status STALE: press i' if self.stale else 'status live'}"
            )
            lost, stale = False, self.stale
        else:
            text = "LINK LOST — press r to reconnect" if self.backend else "Not connected"
            lost, stale = True, False
        # Called on every poll: touch the widget only on a change, since each update re-lays out.
        if (text, lost, stale) != self._banner_shown:
            self._banner_shown = (text, lost, stale)
            self.banner.update(text)
            self.banner.set_class(lost, "lost")
            self.banner.set_class(stale, "stale")
        view = PumpView(self.status, self.rules, self.stale)
        if view != self.view:
            self.view = view
            self._show_active()

    def _show_active(self) -> None:
        """The pane on screen gets the new view; a hidden one gets it when it is shown."""
        pane = self.panes.get(self.tabs.active)
        if pane is not None and pane.view is not self.view:
            pane.show(self.view)

    # ----------------------------------------------------------------- actions

    def pump_call(
        self,
        fn: Callable[..., R],
        *args: Any,
        done: Callable[[R], None] | None = None,
        failed: Callable[[DeviceError], bool] | None = None,
        refresh: bool = True,
    ) -> None:
        """Run one client call in a worker; report errors; then refresh the status."""
        backend = self.backend
        if backend is None or not self.link_ok:
            self.notify("Not connected to a pump.", severity="error")
            return

        async def run() -> None:
            try:
                result = await backend.call(fn, *args)
            except DeviceError as e:
                self.refusals += [e.code, *(v.code for v in e.violations)]
                if failed is None or not failed(e):
                    self.notify(
                        f"Pump refused ({e.code}): {e.message}", severity="error", timeout=8
                    )
                return
            except OutcomeUncertainError as e:
                self.pending_uncertain.append(e)
                self.notify(
                    "No reply from the pump: outcome unknown. Reconnect (r) to check it.",
                    severity="error",
                    timeout=10,
                )
                self._link_lost()
                return
            except LinkLostError:
                self._link_lost()
                return
            if done is not None:
                done(result)
            if refresh:
                await self._poll(backend)

        self.start_job(run, group="pump")

    def action_interrogate(self) -> None:
        if self.backend is not None and self.link_ok:
            self.start_job(functools.partial(self._interrogate, self.backend), group="pump")

    def action_acknowledge(self) -> None:
        if self.role == m.Role.PATIENT:
            self.notify("Alarms are cleared at your clinic: please call them.", timeout=6)
            return
        if self.backend is not None:
            self.pump_call(self.backend.sync.acknowledge_alarms, ())

    async def action_show_tab(self, tab: str) -> None:
        tabs = self.tabs
        if tab == "simulator" and self.role != m.Role.SIMULATOR:
            return  # only a simulator-role session on a pump that offers it has this tab
        if (self.role == m.Role.PATIENT) != (tab == "patient"):
            return  # a patient has one view; a clinic has no patient tab
        await self._pane_for(tab)  # before the tab shows, so the keys after it find its fields
        # Let go of a field in the pane we leave, or focus would pull its tab back. Focus moves
        # straight to the tab bar (once, or not at all when it is there): each move restyles.
        self.set_focus(tabs.query_one(Tabs))
        tabs.active = tab

    def action_help(self) -> None:
        from programmer_tui.screens.help import HelpScreen  # not needed for the first screen

        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab, title in TABS:
            yield SystemCommand(f"Go to {title}", f"Show the {title} tab", _bind(self, tab))
        yield SystemCommand("Interrogate", "Read the pump now", self.action_interrogate)
        yield SystemCommand("Acknowledge alarms", "Clear latched alarms", self.action_acknowledge)
        yield SystemCommand("Reconnect", "Authenticate again", self.action_reconnect)

    async def on_unmount(self) -> None:
        self._heap.release()
        if self.embedded is not None:
            self.embedded.close()

    @on(TabbedContent.TabActivated)
    async def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        await self._pane_for(str(event.pane.id))  # a tab clicked, or the patient's view set
        self._show_active()


async def _mounted(host: TabPane, pane: Widget) -> Widget:
    await host.mount(pane)
    return pane


def _bind(app: ProgrammerApp, tab: str) -> Callable[[], None]:
    def show() -> None:
        app.call_later(app.action_show_tab, tab)

    return show
