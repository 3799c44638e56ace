"""Thin calls of the library for the planner's background jobs, with progress and cancel hooks.

Everything else goes through :mod:`renpsim_tui.backend`; this module only adds what the jobs of
the interface need on top: the dwell optimiser with its progress callback and cancel hook
(``renpsim.stats.planning``), and the exports through the library's atomic writer: tables as
CSV, plots as PNG or SVG (matplotlib, imported when first used).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from renpsim_tui import backend


def optimise_dwell(info: backend.TargetInfo, hw: backend.Hardware, h: backend.Hypothesis,
                   omega_eV: Sequence[float], dwell_s: Sequence[float], decision: str, *,
                   progress: Callable[[float], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> dict:
    """Dwell times maximising a decision's Asimov Delta chi^2 at fixed total time.

    The same call as the CLI's (:func:`renpsim.experiment.optimise_dwell` through the
    backend), with the default normalisation treatment (returned as ``normalisation``).
    ``cancelled()`` returning true stops it with :class:`renpsim.errors.Cancelled`.

    Returns
    -------
    dict
        ``dwell_s`` (same order and total as the input), ``before``, ``after``, ``decision``,
        ``normalisation``.

    """
    return backend.optimise_dwell(info, hw, h, omega_eV, dwell_s, decision, progress=progress,
                                  cancelled=cancelled)


def export_csv(path: str | Path, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Write a table as CSV, atomically (``renpsim._atomic``); absent values as empty cells.

    Raises
    ------
    DataFileError
        The path exists and is not a regular file, or cannot be written.

    """
    import csv
    import io
    import math

    from renpsim._atomic import atomic_write_text
    from renpsim.errors import DataFileError

    p = Path(path)
    if p.exists() and not p.is_file():
        raise DataFileError(str(p), "-", "not a regular file: choose another name")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v
                    for v in r])
    try:
        return atomic_write_text(p, buf.getvalue())
    except OSError as exc:
        raise DataFileError(str(p), "-", f"cannot write: {exc.strerror or exc}") from None


#: File types of :func:`export_plot`.
PLOT_SUFFIXES = (".png", ".svg")


def export_plot(path: str | Path, figure, inputs: Sequence[str | Path] = ()) -> Path:
    """Render a plot's recorded series to PNG or SVG with matplotlib, atomically.

    The series are those the terminal plot drew (:class:`renpsim_tui.widgets.plot.Figure`);
    the file is written through ``renpsim._atomic``.

    Parameters
    ----------
    path : path-like
        Output file, ``.png`` or ``.svg``.
    figure : Figure
        The series, marks, title, labels and y range the terminal plot shows.
    inputs : sequence of path-like
        Files the interface read (the campaign): never overwritten.

    Raises
    ------
    InputError
        Not a ``.png``/``.svg`` name, or nothing plotted yet.
    FileSystemError
        Not a regular file name, an input, or the file system refused the write.

    """
    from renpsim._atomic import atomic_write, check_output
    from renpsim.errors import InputError

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in PLOT_SUFFIXES:
        raise InputError("export", "plot file", str(path), "a .png or .svg file name")
    if figure is None or figure.is_empty():
        raise InputError("export", "plot", None, "a plot with data (compute it first)")
    check_output(p, inputs=[Path(i) for i in inputs])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 4.8))
    try:
        for s in figure.series:
            if s.kind == "line":
                ax.plot(s.x, s.y, color=s.colour, label=s.label, linewidth=1.2)
            else:
                ax.plot(s.x, s.y, "x", color=s.colour, label=s.label, markersize=6)
        for m in figure.marks:
            draw = ax.axvline if m.kind == "vline" else ax.axhline
            draw(m.value, color=m.colour, linewidth=0.8, linestyle="--")
            if m.label:
                if m.kind == "vline":
                    ax.annotate(m.label, (m.value, 1.0), xycoords=("data", "axes fraction"),
                                rotation=90, va="top", ha="right", fontsize=7, color=m.colour)
                else:
                    ax.annotate(m.label, (0.0, m.value), xycoords=("axes fraction", "data"),
                                va="bottom", ha="left", fontsize=7, color=m.colour)
        if figure.ylim is not None:
            ax.set_ylim(*figure.ylim)
        ax.set_title(figure.title, fontsize=10)
        ax.set_xlabel(figure.xlabel)
        ax.set_ylabel(figure.ylabel)
        if figure.series:   # the legend outside the data, below the axes
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=8,
                      frameon=False)
        fig.tight_layout()
        return atomic_write(p, lambda tmp: fig.savefig(tmp, format=suffix[1:], dpi=120,
                                                       bbox_inches="tight"))
    finally:
        plt.close(fig)
