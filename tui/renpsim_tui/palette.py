"""The command palette's entries (Ctrl+P): every action of the planner by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from renpsim_tui import backend

Command = tuple[str, str, Callable[[], object]]


def commands(app) -> Iterator[Command]:
    """(title, help, callback) for every action of ``app`` (a PlannerApp)."""
    sched = app.tab("schedule")
    sens = app.tab("sensitivity")
    runs = app.tab("runs")

    def focus(tab: str, widget_id: str) -> Callable[[], None]:
        def go() -> None:
            app.action_tab(tab)
            app.query_one(f"#{widget_id}").focus()
        return go

    def on_tab(tab: str, fn: Callable[[], object]) -> Callable[[], None]:
        def go() -> None:
            app.action_tab(tab)
            fn()
        return go

    yield "Help", "Keys and workflows", app.action_help
    yield "Save campaign", "Write the TOML file", app.action_save
    yield "Save campaign as", "Write under a new name", app.action_save_as
    yield "Open campaign", "Load a TOML file", app.action_open
    yield "Undo", "Undo the last campaign edit (Ctrl+Z)", app.action_undo
    yield "Redo", "Redo the last undone edit (Ctrl+Y)", app.action_redo
    yield "Quit", "Leave the planner (asks about unsaved edits)", app.action_quit
    for tab in ("hardware", "schedule", "forecast", "sensitivity", "runs"):
        yield f"Go to {tab.title()}", f"Show the {tab} tab", lambda t=tab: app.action_tab(t)
    yield "Choose target", "Species and isotope (Hardware tab)", focus("hardware", "target")
    yield "Edit campaign name", "Name, description and seed", focus("hardware", "f-name")
    for kind, text in (("uniform", "Uniform steps"), ("dense", "Threshold-dense steps"),
                       ("paper", "Paper (GP21) points")):
        yield (f"Generate: {text}", "Replace the scan steps",
               on_tab("schedule", lambda k=kind: sched.generate(k)))
    yield "Add step", "Type omega and dwell, then Add step", focus("schedule", "add-omega")
    yield "Edit step", "Edit the selected scan step", on_tab("schedule", sched.action_edit_step)
    yield ("Delete step", "Remove the selected scan step",
           on_tab("schedule", sched.action_remove_step))
    yield ("Optimise dwell", "Reallocate the dwell times for the mass ordering (preview)",
           on_tab("schedule", sched.action_optimise))
    yield "Run sensitivity", "Asimov reach in the background (Ctrl+R)", app.action_sensitivity
    yield ("BSM reach", "Light mediators and dipole moments vs existing limits",
           on_tab("sensitivity", sens.run_bsm))
    yield "Cancel computations", "Stop the running jobs (Escape)", app.action_cancel
    yield "Simulate run", "Counts in memory, or a run file with a .h5 name", \
        on_tab("runs", runs.simulate)
    yield "Open run", "Type a run file or CSV table, then Open", focus("runs", "run-path")
    yield ("Follow run", "Show the steps of a run as they are written",
           on_tab("runs", lambda: runs.follow(True)))
    yield "Fit run", "Fit the loaded run (as renpsim fit for a run file)", \
        on_tab("runs", runs.fit)
    yield "Pin / unpin B (A/B)", "Compare the campaign with a pinned copy (Ctrl+B)", \
        app.action_pin
    for what, text in (("forecast", "forecast table as CSV"),
                       ("sensitivity", "sensitivity table as CSV"),
                       ("runs", "run table as CSV"), ("screen", "screen as SVG"),
                       ("forecast-plot", "forecast plot as PNG/SVG"),
                       ("sensitivity-plot", "sensitivity plot as PNG/SVG"),
                       ("eta-plot", "eta(t) plot as PNG/SVG"),
                       ("runs-plot", "run counts plot as PNG/SVG")):
        yield f"Export {text}", "Write a file (asks for the name)", \
            lambda w=what: app.action_export(w)
    for name in backend.hardware_presets():
        yield (f"Hardware preset: {name}", "Apply a hardware preset",
               lambda n=name: app.request_preset(n))
    for name in backend.detector_presets():
        yield (f"Detector preset: {name}", "Apply a detector preset",
               lambda n=name: app.apply_detector(n))
