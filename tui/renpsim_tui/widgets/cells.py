"""Formatting of numbers and table cells (plain text: brackets such as ``[A]`` stay visible)."""

from __future__ import annotations

import math

from rich.text import Text


def fmt(value: float | None, digits: int = 4) -> str:
    """Compact number text; ``-`` for a missing or non-finite value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"


def cell(value: object) -> Text:
    """Return a DataTable cell shown literally (a str would be parsed as Rich markup)."""
    return Text(str(value))


def row(*values: object) -> list[Text]:
    """Return a DataTable row of literal cells."""
    return [cell(v) for v in values]
