"""Modal dialogs: help, a file path, a yes/no confirmation, a step editor, the optimiser preview."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label

from renpsim_tui.widgets.cells import cell, fmt, row

HELP_TEXT = """\
# renpsim campaign planner

Plan an exposure campaign without editing TOML by hand. A field is checked as you type (red
border) and applied when you press Enter or leave it; a refused value is put back to the value in
use and the message line says why.

## Keys

| key | action |
|---|---|
| F1 | this help |
| F2 ... F6 | Hardware, Schedule, Forecast, Sensitivity, Runs (from any field) |
| Ctrl+S / Ctrl+O | save / open a campaign TOML file |
| Ctrl+Z / Ctrl+Y | undo / redo a campaign edit |
| Ctrl+R | compute the sensitivity (in the background) |
| Ctrl+B | pin the campaign as B (A/B comparison); again to unpin |
| Escape | cancel the running computations / close a dialog |
| Delete, Enter, e | remove / edit the selected step (Schedule table) |
| Ctrl+T | optimise the dwell times (Schedule tab; a preview to apply or discard) |
| Ctrl+P | command palette: every action by name |
| Ctrl+Q | quit (asks first when there are unsaved edits) |

## Numbers and units
Numbers may carry a unit of the field's family: `2.3 d`, `10 mJ`, `50 ns`, `1.0699 eV`.
`[A]` marks an assumption of the hardware model, `[C]` a computed value, `[V]` verified,
`[U]` unverified, `[Q]` quoted.

## Results
Results are cleared whenever their inputs change. Every Delta chi^2 states its normalisation
treatment and its threshold with CL and dof.

Press Escape to close.
"""


class HelpScreen(ModalScreen[None]):
    """Key bindings and workflows."""

    BINDINGS: ClassVar = [Binding("escape,q,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        """Lay out the help text."""
        from textual.widgets import Markdown  # lazy: a slow import, needed only here

        with VerticalScroll(id="help-box"):
            yield Markdown(HELP_TEXT)

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help."""
        self.dismiss(None)


class PathScreen(ModalScreen[str | None]):
    """Ask for a file path (open, save, export)."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial

    def compose(self) -> ComposeResult:
        """Lay out the prompt."""
        with Vertical(id="path-box", classes="dialog"):
            yield Label(cell(self.title_text))
            yield Input(self.initial, placeholder="path/to/file", id="path-input")
            yield Label("Enter to confirm, Escape to cancel", classes="hint")

    @on(Input.Submitted, "#path-input")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without a path."""
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question (unsaved edits before quit, open or a preset change)."""

    BINDINGS: ClassVar = [Binding("escape,n", "answer(False)", "No"),
                          Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: str, yes: str = "Discard edits") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        """Question and two buttons."""
        with Vertical(id="confirm-box", classes="dialog"):
            yield Label(cell(self.question))
            with Horizontal(classes="bar"):
                yield Button(f"{self.yes} (y)", id="confirm-yes", variant="error")
                yield Button("Keep editing (n)", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        """Default to the safe answer."""
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        """Answer from the keyboard."""
        self.dismiss(value)


class StepScreen(ModalScreen[tuple[str, str] | None]):
    """Edit one scan step in place: omega and dwell time (units allowed, checked on apply)."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, index: int, omega_text: str, dwell_text: str) -> None:
        super().__init__()
        self.index = index
        self.omega_text = omega_text
        self.dwell_text = dwell_text

    def compose(self) -> ComposeResult:
        """Two inputs and the buttons."""
        with Vertical(id="step-box", classes="dialog"):
            yield Label(f"Step {self.index}: omega (eV) and dwell time (s, or h, d)")
            yield Input(self.omega_text, id="step-omega")
            yield Input(self.dwell_text, id="step-dwell")
            with Horizontal(classes="bar"):
                yield Button("Apply", id="step-apply", variant="primary")
                yield Button("Cancel", id="step-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#step-apply")
    def _apply(self, event) -> None:
        event.stop()
        self.dismiss((self.query_one("#step-omega", Input).value,
                      self.query_one("#step-dwell", Input).value))

    @on(Button.Pressed, "#step-cancel")
    def action_cancel(self) -> None:
        """Close without a change."""
        self.dismiss(None)


class OptimisePreview(ModalScreen[bool]):
    """Before/after schedule and Delta chi^2 of the dwell optimiser: apply or discard."""

    BINDINGS: ClassVar = [Binding("escape", "answer(False)", "Discard"),
                          Binding("a", "answer(True)", "Apply")]

    def __init__(self, summary: str, omega_eV, before_s, after_s) -> None:
        super().__init__()
        self.summary = summary
        self.rows = list(zip(omega_eV, before_s, after_s, strict=True))

    def compose(self) -> ComposeResult:
        """Summary, a table of both allocations, apply/discard."""
        with Vertical(id="preview-box", classes="dialog"):
            yield Label(cell(self.summary), id="preview-summary")
            yield DataTable(id="preview-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="bar"):
                yield Button("Apply (a)", id="preview-apply", variant="primary")
                yield Button("Discard (Esc)", id="preview-discard")

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one("#preview-table", DataTable)
        table.add_columns("#", "omega eV", "dwell before s", "dwell after s")
        for i, (w, b, a) in enumerate(self.rows):
            table.add_row(*row(i, f"{w:.7f}", fmt(b), fmt(a) if a > 0 else "0 (removed)"))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "preview-apply")

    def action_answer(self, value: bool) -> None:
        """Apply (true) or discard (false)."""
        self.dismiss(value)
