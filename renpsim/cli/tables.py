"""Terminal tables of the command line: as wide as the terminal, wrapping instead of cutting.

Identifiers (record ids, preset names, parameter names) are never wrapped or shortened; long
text such as citations and descriptions wraps inside its column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]], *,
                no_wrap: Iterable[str] = (), title: str | None = None,
                right: Iterable[str] = ()) -> None:
    """Print a table that follows the terminal width (``COLUMNS`` when not a terminal).

    Parameters
    ----------
    columns : sequence of str
        Column headers.
    rows : iterable of sequences
        Cell values (converted with ``str``).
    no_wrap : iterable of str
        Headers of columns holding identifiers: never wrapped, never cut.
    title : str, optional
        A title above the table.
    right : iterable of str
        Headers of right-aligned (numeric) columns.

    """
    from rich.console import Console
    from rich.table import Table

    keep = set(no_wrap)
    align_right = set(right)
    cells = [[str(v) for v in row] for row in rows]
    # Smallest width of each column that cuts nothing: the longest cell of an identifier column,
    # the longest word of a wrapping one.
    widths = []
    for j, col in enumerate(columns):
        texts = [col, *(row[j] for row in cells)]
        if col in keep:
            widths.append(max(len(t) for t in texts))
        else:
            widths.append(max((len(w) for t in texts for w in t.split()), default=1))
    table = Table(show_edge=False, title=title)
    for col, width in zip(columns, widths, strict=True):
        table.add_column(col, no_wrap=col in keep, overflow="fold", min_width=width,
                         justify="right" if col in align_right else "left")
    for row in cells:
        table.add_row(*row)
    console = Console(soft_wrap=False)
    needed = sum(widths) + 3 * len(widths)
    if console.width < needed:
        # Narrower than the identifiers need: grow rather than cut them.
        console = Console(soft_wrap=False, width=needed)
    console.print(table)
