"""The renpsim campaign planner: a Textual application with five tabs.

The App holds the campaign, the key bindings, tab switching, files (open, save, export), undo and
redo, confirmations and the help; each tab is a module of :mod:`renpsim_tui.tabs` owning its
widgets, handlers and jobs; reusable widgets live in :mod:`renpsim_tui.widgets`, the styles in
``styles.tcss``. Edits go through :meth:`PlannerApp.edit` (validated, undoable, results marked
out of date); long computations run in thread workers with progress and Escape to cancel.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

import tomlkit
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, ProgressBar, Select, Static, TabbedContent, TabPane

from renpsim.errors import InputError, RenpsimError
from renpsim_tui import backend
from renpsim_tui.campaign import Campaign, load_campaign_arg
from renpsim_tui.tabs.forecast import ForecastTab
from renpsim_tui.tabs.hardware import HardwareTab
from renpsim_tui.tabs.runs import RUN_COLUMNS, RunsTab
from renpsim_tui.tabs.schedule import ScheduleTab
from renpsim_tui.tabs.sensitivity import SensitivityTab
from renpsim_tui.widgets.cells import cell
from renpsim_tui.widgets.dialogs import ConfirmScreen, HelpScreen, PathScreen
from renpsim_tui.widgets.field_row import FieldInput

TABS = ("hardware", "schedule", "forecast", "sensitivity", "runs")
_TAB_CLASSES = {"hardware": HardwareTab, "schedule": ScheduleTab, "forecast": ForecastTab,
                "sensitivity": SensitivityTab, "runs": RunsTab}
#: Plots that export to PNG/SVG: name -> (tab, plot widget id); "runs" is built from its table.
_PLOTS = {"forecast": ("forecast", "forecast-plot"), "sensitivity": ("sensitivity", "mass-plot"),
          "eta": ("hardware", "eta-plot"), "runs": ("runs", "")}
#: Actions that act on the main screen: not while a dialog is open.
_MAIN_ONLY = {"tab", "save", "save_as", "open", "sensitivity", "undo", "redo", "pin", "help"}

Snapshot = tuple[str, dict]


class PlannerApp(App[None]):
    """Plan, forecast and check RENP exposure campaigns."""

    TITLE = "renpsim campaign planner"
    CSS_PATH = Path(__file__).with_name("styles.tcss")

    BINDINGS: ClassVar = [
        Binding("f1", "help", "Help", priority=True),
        Binding("f2", "tab('hardware')", "Hardware", priority=True),
        Binding("f3", "tab('schedule')", "Schedule", priority=True),
        Binding("f4", "tab('forecast')", "Forecast", priority=True),
        Binding("f5", "tab('sensitivity')", "Sensitivity", priority=True),
        Binding("f6", "tab('runs')", "Runs", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "open", "Open", priority=True),
        Binding("ctrl+z", "undo", "Undo", priority=True),
        Binding("ctrl+y", "redo", "Redo", priority=True),
        Binding("ctrl+r", "sensitivity", "Reach", priority=True),
        Binding("ctrl+b", "pin", "Pin A/B", priority=True),
        Binding("escape", "cancel", "Cancel jobs"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, campaign: Campaign | None = None, path: str | None = None) -> None:
        super().__init__()
        self.campaign = campaign or Campaign.new()
        self.initial_path = path
        self.messages: list[str] = []
        self.undo_stack: list[Snapshot] = []
        self.redo_stack: list[Snapshot] = []
        self.saved_text = self.campaign.dumps()
        self.generation = 0          # bumped by every change of the inputs
        self.pinned: Campaign | None = None
        self._viability: backend.Viability | None = None
        self._stale_views: set[str] = set(TABS)
        self.last_optimisation: dict | None = None
        self.sensitivity_fn = backend.sensitivity  # replaceable (tests use a slow stand-in)
        self.recovery_file: Path | None = None
        #: Set once every tab is mounted (right after the first filled frame).
        self.built = asyncio.Event()

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Five tabs, the message line and the footer."""
        yield Header()
        # Only the first tab is composed before the first frame; the others are mounted into
        # their (empty) panes right after it is painted (fast start-up; see _mount_deferred).
        self._tabs = {name: _TAB_CLASSES[name](id=f"{name}-tab") for name in TABS}
        with TabbedContent(id="tabs", initial=TABS[0]):
            for name in TABS:
                with TabPane(name.title(), id=name):
                    if name == TABS[0]:
                        yield self._tabs[name]
        yield Static(id="message")
        yield Footer()

    def tab(self, name: str):
        """Return the tab widget of one of :data:`TABS`."""
        return self._tabs[name]

    def mounted_tabs(self) -> list:
        """Return the tab widgets mounted so far (all of them after the first frame)."""
        return [t for t in self._tabs.values() if t.is_mounted]

    def on_mount(self) -> None:
        """Paint the first frame, fill the visible tab, then mount the other tabs."""
        def first_fill() -> None:
            self.refresh_all()
            self.call_after_refresh(self._mount_deferred)

        self.call_after_refresh(first_fill)
        self.say(f"campaign: {self.campaign.path or 'new (unsaved)'}; F1 for help"
                 + "".join(f"; {n}" for n in self.campaign.notes))

    async def _mount_deferred(self) -> None:
        """Mount the tabs not composed at start-up (after the first filled frame)."""
        tabs = self.query_one("#tabs", TabbedContent)
        try:
            await self.tab("hardware").mount_deferred()
            for name in TABS:
                widget, pane = self._tabs[name], tabs.get_pane(name)
                if not widget.is_attached and pane.is_attached:   # (not while quitting)
                    await pane.mount(widget)
            self.sync_widgets()
            self._refresh_view(tabs.active)
        finally:
            self.built.set()

    @asynccontextmanager
    async def run_test(self, **kwargs) -> AsyncGenerator:
        """Textual's headless test run, handing over the pilot once every tab is built."""
        async with super().run_test(**kwargs) as pilot:
            await self.built.wait()
            await pilot.pause()
            yield pilot

    # -- results held by the tabs (read by tests and the exports) ------------------------------
    @property
    def last_forecast(self) -> backend.StepForecast | None:
        """Expected counts per step shown on the Forecast tab."""
        self._refresh_view("forecast")
        return self.tab("forecast").last_forecast

    @property
    def sensitivity_result(self) -> backend.SensitivityResult | None:
        """The current (not stale) sensitivity result, if any."""
        return self.tab("sensitivity").result

    @property
    def bsm_result(self) -> dict | None:
        """The current BSM reach, if any."""
        return self.tab("sensitivity").bsm_result

    @property
    def mass_limits(self) -> list[backend.MassLimit]:
        """Existing bounds shown with the sensitivity result."""
        return self.tab("sensitivity").mass_limits

    @property
    def run_table(self) -> backend.StepTable | None:
        """The run shown on the Runs tab."""
        return self.tab("runs").run_table

    @property
    def last_fit(self):
        """The last fit of the Runs tab (None after an input change)."""
        return self.tab("runs").last_fit

    def action_simulate(self) -> None:
        """Simulate the campaign (Runs tab)."""
        self.tab("runs").simulate()

    # -- messages and helpers -----------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        """Show a message at the bottom (red for errors) and keep it in the log."""
        self.messages.append(("ERROR: " if error else "") + text)
        msg = self.query_one("#message", Static)
        msg.update(cell(text))
        msg.set_class(error, "error")

    @staticmethod
    def short(err: BaseException | None, limit: int = 300) -> str:
        """Return an error message cut to ``limit`` characters (long value lists elided)."""
        text = str(err)
        return text if len(text) <= limit else text[:limit - 3] + "..."

    def is_dirty(self) -> bool:
        """Tell whether the campaign differs from the file it was read from or saved to."""
        return self.campaign.dumps() != self.saved_text

    def forecast(self, campaign: Campaign | None = None) -> backend.StepForecast:
        """Return the expected counts per step of a campaign (the current one by default)."""
        c = campaign or self.campaign
        return backend.forecast(c.target, c.hardware_sections(), c.hypothesis(),
                                [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps])

    def progress_to(self, bar: ProgressBar) -> Callable[[float], None]:
        """Return a thread-safe progress callback for ``bar`` (at most 20 updates a second)."""
        last = [-1.0, 0.0]

        def progress(frac: float) -> None:
            now = time.monotonic()
            if frac >= 1.0 or now - last[1] >= 0.05:
                last[:] = [frac, now]
                self.call_from_thread(bar.update, progress=100.0 * min(max(frac, 0.0), 1.0))

        return progress

    # -- views --------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        """Recompute the visible tab now and the others when they are shown (fast start-up).

        A refusal of the physics becomes a message, never an exception.
        """
        self._stale_views = set(TABS)
        self._refresh_view(self.query_one("#tabs", TabbedContent).active)
        self.sub_title = self.campaign.name + (" *" if self.is_dirty() else "") + (
            f"   [B pinned: {self.pinned.name}]" if self.pinned is not None else "")

    def mark_stale(self, name: str) -> None:
        """Recompute tab ``name`` when it is next shown (e.g. after a cancelled job)."""
        self._stale_views.add(name)

    def _refresh_view(self, name: str) -> None:
        if name not in self._stale_views or not self._tabs[name].is_mounted:
            return
        self._stale_views.discard(name)
        try:
            self.tab(name).refresh_view()
        except RenpsimError as exc:
            self.say(f"{name}: {self.short(exc)}", error=True)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id in TABS:
            self._refresh_view(event.pane.id)

    @property
    def last_viability(self) -> backend.Viability | None:
        """The viability of the current campaign (computed when first asked for)."""
        self._refresh_view("forecast")
        return self._viability

    @last_viability.setter
    def last_viability(self, value: backend.Viability | None) -> None:
        self._viability = value

    def sync_widgets(self) -> None:
        """Put the campaign's values back into every field widget."""
        c = self.campaign
        for field in self.query(FieldInput):
            field.show(c.text(field.spec.key))
        with self.prevent(Select.Changed):
            for spec in c.fields.values():
                for w in self.query(f"#{spec.widget_id}"):
                    if isinstance(w, Select):
                        w.value = c.text(spec.key)
        self.tab("hardware").sync()

    # -- edits, undo and redo -----------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        return self.campaign.dumps(), dict(self.campaign.session)

    def _restore(self, snap: Snapshot) -> None:
        text, session = snap
        c = Campaign(tomlkit.parse(text), self.campaign.path)
        c.session = dict(session)
        self.campaign = c

    def edit(self, description: str, change: Callable[[], object]) -> bool:
        """Apply one validated, undoable change to the campaign.

        ``change`` raises a :class:`RenpsimError` (and leaves the campaign as it was) when
        the input is refused; the message line then says why. Returns True if accepted.
        """
        snap = self._snapshot()
        try:
            change()
        except RenpsimError as exc:
            self.say(f"refused: {self.short(exc)}", error=True)
            return False
        if self._snapshot() != snap:
            self.undo_stack.append(snap)
            self.redo_stack.clear()
            self.changed(description)
        return True

    def changed(self, description: str) -> None:
        """Handle changed inputs: results out of date, views recomputed, widgets in sync."""
        self.generation += 1
        for tab in self.mounted_tabs():
            hook = getattr(tab, "inputs_changed", None)
            if hook is not None:
                hook()
        self.sync_widgets()
        self.refresh_all()
        self.say(description)

    def action_undo(self) -> None:
        """Undo the last campaign edit."""
        if not self.undo_stack:
            self.say("nothing to undo")
            return
        self.redo_stack.append(self._snapshot())
        self._restore(self.undo_stack.pop())
        self.changed("undone (Ctrl+Y redoes)")

    def action_redo(self) -> None:
        """Redo the last undone edit."""
        if not self.redo_stack:
            self.say("nothing to redo")
            return
        self.undo_stack.append(self._snapshot())
        self._restore(self.redo_stack.pop())
        self.changed("redone")

    @on(FieldInput.Commit)
    def _commit(self, event: FieldInput.Commit) -> None:
        key, text = event.spec.key, event.text
        unit = f" {event.spec.unit}" if event.spec.unit else ""
        if not self.edit(f"{key} = {text}{unit}", lambda: self.campaign.set_text(key, text)):
            self.say(f"{self.messages[-1].removeprefix('ERROR: ')}; kept "
                     f"{self.campaign.text(key) or '(unset)'}{unit}", error=True)
        event.field.show(self.campaign.text(key))

    @on(Select.Changed)
    def _choice(self, event: Select.Changed) -> None:
        spec = next((s for s in self.campaign.fields.values()
                     if s.widget_id == event.select.id), None)
        if spec is None or event.value is Select.BLANK:
            return
        if self.campaign.text(spec.key) != str(event.value):
            value = str(event.value)
            if not self.edit(f"{spec.key} = {value}",
                             lambda: self.campaign.set_text(spec.key, value)):
                self.sync_widgets()

    def request_preset(self, name: str) -> None:
        """Switch the hardware preset, asking first when it drops overrides."""
        over = self.campaign._lookup("hardware_overrides") or {}
        n = sum(len(v) for v in over.values() if isinstance(v, dict))

        def apply(ok: bool | None = True) -> None:
            if not ok or not self.edit(
                    f"hardware preset {name} applied"
                    + (f", {n} override(s) dropped (Ctrl+Z restores them)" if n else ""),
                    lambda: self.campaign.apply_hardware_preset(name)):
                self.tab("hardware").sync()
                return
            self.tab("schedule").reset_generator()

        if n:
            self.push_screen(ConfirmScreen(
                f"Preset {name} replaces the hardware and drops {n} hardware override(s) of "
                "this campaign.", "Apply the preset"), apply)
        else:
            apply()

    def apply_detector(self, name: str) -> None:
        """Apply a detector preset (its knobs become detector overrides)."""
        self.edit(f"detector preset {name} applied",
                  lambda: self.campaign.apply_detector_preset(name))

    # -- jobs ---------------------------------------------------------------------------------
    def action_sensitivity(self) -> None:
        """Show the Sensitivity tab and start the reach computation."""
        self.action_tab("sensitivity")
        self.tab("sensitivity").run_sensitivity()

    def action_cancel(self) -> None:
        """Cancel every running computation."""
        hit = False
        for tab in self.mounted_tabs():
            cancel = getattr(tab, "cancel_jobs", None)
            if cancel is not None and cancel():
                hit = True
        self.say("cancelling ..." if hit else "nothing is running")

    def action_pin(self) -> None:
        """Pin a copy of the campaign as B (A/B mode), or unpin it."""
        if self.pinned is not None:
            self.pinned = None
            msg = "B unpinned"
        else:
            self.pinned = Campaign(tomlkit.parse(self.campaign.dumps()), self.campaign.path)
            self.pinned.session = dict(self.campaign.session)
            msg = "campaign pinned as B: its forecast and reach are overlaid (magenta)"
        self.generation += 1
        if self.tab("sensitivity").is_mounted:
            self.tab("sensitivity").inputs_changed()
        self.refresh_all()
        self.say(msg)

    # -- files --------------------------------------------------------------------------------
    def action_save(self) -> None:
        """Save to the campaign's file, asking for a name the first time."""
        if self.campaign.path is None:
            self.push_screen(PathScreen("Save campaign as:", "campaign.toml"), self.save_to)
        else:
            self.save_to(str(self.campaign.path))

    def action_save_as(self) -> None:
        """Save under a new name."""
        self.push_screen(PathScreen("Save campaign as:", str(self.campaign.path or "")),
                         self.save_to)

    def save_to(self, path: str | None) -> None:
        """Write the campaign to ``path`` (comments preserved, atomic)."""
        if not path:
            return
        p = Path(path)
        if p.exists() and not p.is_file():
            self.say(f"not saved: {path} is not a regular file", error=True)
            return
        try:
            p = self.campaign.save(p)
        except RenpsimError as exc:
            self.say(f"not saved: {exc}", error=True)
            return
        self.saved_text = self.campaign.dumps()
        self.refresh_all()
        self.say(f"saved {p}")

    def action_open(self) -> None:
        """Ask for a campaign file and load it (asking first if there are unsaved edits)."""
        def ask(ok: bool | None = True) -> None:
            if ok:
                self.push_screen(PathScreen("Open campaign:", str(self.campaign.path or "")),
                                 self.open_path)

        if self.is_dirty():
            self.push_screen(ConfirmScreen("The campaign has unsaved edits; open another file "
                                           "and discard them?"), ask)
        else:
            ask()

    def open_path(self, path: str | None) -> None:
        """Load a campaign file; on error keep the current campaign and say why."""
        if not path:
            return
        try:
            campaign = Campaign.load(path)
        except RenpsimError as exc:
            self.say(f"cannot open: {exc}", error=True)
            return
        self.action_cancel()
        self.campaign = campaign
        self.saved_text = campaign.dumps()
        self.undo_stack.clear()
        self.redo_stack.clear()
        self.tab("schedule").reset_generator()
        self.changed(f"opened {path}" + "".join(f"; {n}" for n in campaign.notes))

    def action_export(self, what: str) -> None:
        """Export a table as CSV, the screen as SVG, or a plot as PNG or SVG.

        ``what``: ``forecast``, ``sensitivity``, ``runs`` (tables), ``screen``, or
        ``forecast-plot``, ``sensitivity-plot``, ``eta-plot``, ``runs-plot``.
        """
        default = {"forecast": "forecast.csv", "sensitivity": "sensitivity.csv",
                   "runs": "run-table.csv", "screen": "planner.svg",
                   **{f"{name}-plot": f"{name}.png" for name in _PLOTS}}[what]

        def write(path: str | None) -> None:
            if not path:
                return
            try:
                p = self._export(what, path)
            except RenpsimError as exc:
                self.say(f"not exported: {exc}", error=True)
                return
            self.say(f"exported {what} to {p}")

        self.push_screen(PathScreen(f"Export {what} to:", default), write)

    def _export(self, what: str, path: str) -> Path:
        from renpsim_tui import services

        if what.endswith("-plot"):
            name = what.removesuffix("-plot")
            if name == "runs":
                figure = self.tab("runs").figure()
            else:
                tab, plot_id = _PLOTS[name]
                figure = self.tab(tab).query_one(f"#{plot_id}").figure
            return services.export_plot(path, figure, inputs=[self.campaign.path]
                                        if self.campaign.path is not None else [])
        if what == "screen":
            from renpsim._atomic import atomic_write_text

            if Path(path).exists() and not Path(path).is_file():
                raise InputError("export", "path", path, "a regular file name")
            return atomic_write_text(path, self.export_screenshot())
        if what == "forecast":
            fc = self.forecast()
            rows = [[i, float(fc.omega_eV[i]), float(fc.dwell_s[i]), float(fc.spectral[i]),
                     float(fc.signal[i]), float(fc.background[i])]
                    for i in range(fc.omega_eV.size)]
            cols = ["step", "omega_eV", "dwell_s", "I_eff", "signal_counts",
                    "background_counts"]
        elif what == "sensitivity":
            res = self.tab("sensitivity").result
            if res is None:
                raise InputError("export", "sensitivity", None, "a computed result (Ctrl+R)")
            rows = [[r["test"], r["delta_chi2"], r["exposure_factor"], res.delta_chi2, res.dof,
                     "profiled" if res.profile_norm else "fixed", r.get("source", "")]
                    for r in res.rows]
            cols = ["against", "delta_chi2", "exposure_factor", "threshold_delta_chi2", "dof",
                    "normalisation", "computed_by"]
        else:
            rows = self.tab("runs").rows()
            if not rows:
                raise InputError("export", "run table", None, "a loaded run")
            cols = ["step", "omega_eV", "dwell_s", "counts", "expected", "pull"]
            assert len(cols) == len(RUN_COLUMNS)
        return services.export_csv(path, cols, rows)

    # -- navigation, help, quit ---------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        """Switch tab and move the focus into it (so the switch sticks from any field)."""
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.active = tab
        self.set_focus(None)    # nothing focused is left behind in the hidden pane

        def focus_first() -> None:
            # after the switch is laid out: a widget of a hidden pane cannot take the focus
            if tabs.active != tab:
                return
            pane = tabs.get_pane(tab)
            target = next((w for w in pane.query("Input, Select, Button, Checkbox, DataTable")
                           if w.focusable), None)
            if target is not None:
                target.focus(scroll_visible=False)

        self.call_after_refresh(focus_first)

    def action_help(self) -> None:
        """Show the help screen."""
        self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Main-screen actions are off while a dialog is open."""
        if action in _MAIN_ONLY and isinstance(self.screen, ModalScreen):
            return False
        return True

    async def action_quit(self) -> None:
        """Quit, asking first when there are unsaved edits."""
        if not self.is_dirty():
            self.exit()
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.exit()

        if not isinstance(self.screen, ConfirmScreen):
            self.push_screen(ConfirmScreen("The campaign has unsaved edits; quit without "
                                           "saving?", "Quit without saving"), answer)

    def get_system_commands(self, screen: Screen):
        """Command-palette entries (Ctrl+P): every action by name."""
        yield from super().get_system_commands(screen)
        from renpsim_tui.palette import commands

        for title, help_, fn in commands(self):
            yield SystemCommand(title, help_, fn)

    # -- crashes ------------------------------------------------------------------------------
    def recovery_path(self) -> Path:
        """Return a new file next to the campaign (never an existing one) for a recovery."""
        base = self.campaign.path or Path.cwd() / "untitled.toml"
        p = base.with_name(base.stem + ".recovered.toml")
        k = 1
        while p.exists():
            p = base.with_name(f"{base.stem}.recovered-{k}.toml")
            k += 1
        return p

    def _handle_exception(self, error: Exception) -> None:
        """Keep the user's campaign in a recovery file, then let Textual stop (exit 1)."""
        if self.recovery_file is None:
            try:
                from renpsim._atomic import atomic_write_text

                p = self.recovery_path()
                atomic_write_text(p, self.campaign.dumps())
                self.recovery_file = p
            except Exception:
                pass
        super()._handle_exception(error)


def run(path: str | None = None) -> int:
    """Open the planner; return the exit status (1 after an internal error, 0 otherwise).

    Raises
    ------
    RenpsimError
        The file is not a valid campaign (the CLI prints one line).

    """
    app = PlannerApp(load_campaign_arg(path), path)
    app.run()
    if app.recovery_file is not None:
        print(f"renpsim tui: stopped by an internal error; the campaign was saved to "
              f"{app.recovery_file}", file=sys.stderr)
    return app.return_code or 0
