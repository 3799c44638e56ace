"""A labelled, validated input for one campaign field (label, input, unit and evidence tag).

The text typed is checked as you type (red border when refused) but reaches the campaign only
when committed: Enter or focus leaving the field. A refused text is then replaced by the value in
use and the message line says why, so the field never shows a value the campaign does not use.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select

from renpsim.errors import RenpsimError
from renpsim_tui.fields import FieldSpec, parse_field
from renpsim_tui.widgets.cells import cell


class FieldInput(Input):
    """Input of a numeric or text field; commits on Enter and on blur."""

    class Commit(Message):
        """The user finished editing ``spec``'s text (Enter or focus left)."""

        def __init__(self, field: FieldInput, spec: FieldSpec, text: str) -> None:
            super().__init__()
            self.field = field
            self.spec = spec
            self.text = text

    def __init__(self, spec: FieldSpec, value: str) -> None:
        super().__init__(value, id=spec.widget_id, classes="field-input")
        self.spec = spec
        self.committed = value

    def on_input_changed(self, event: Input.Changed) -> None:
        """Check as you type: red border on a text that would be refused (nothing applied)."""
        event.stop()
        try:
            parse_field(self.spec, event.value)
        except RenpsimError:
            self.add_class("-invalid")
        else:
            self.remove_class("-invalid")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter commits."""
        event.stop()
        self._commit()

    def on_blur(self, _event: events.Blur) -> None:
        """Leaving the field commits (or reverts an invalid text)."""
        self._commit()

    def _commit(self) -> None:
        if self.value != self.committed:
            self.post_message(self.Commit(self, self.spec, self.value))

    def show(self, text: str) -> None:
        """Display the value in use (after a commit, a refusal, undo or a new campaign)."""
        self.committed = text
        with self.prevent(Input.Changed):
            self.value = text
        self.remove_class("-invalid")


class FieldRow(Horizontal):
    """Label, input (or choice) and unit/tag of one campaign field."""

    def __init__(self, spec: FieldSpec, value: str) -> None:
        super().__init__(classes="field-row")
        self.spec = spec
        self.value = value

    def compose(self) -> ComposeResult:
        """Lay out label, input and unit."""
        yield Label(cell(self.spec.label), classes="field-label")
        if self.spec.kind == "choice":
            yield Select([(c, c) for c in self.spec.choices], value=self.value,
                         allow_blank=False, id=self.spec.widget_id, classes="field-input")
        else:
            yield FieldInput(self.spec, self.value)
        unit = " ".join(p for p in (self.spec.unit, self.spec.tag) if p)
        yield Label(cell(unit), classes="field-unit")
        if self.spec.help:
            self.tooltip = self.spec.help
