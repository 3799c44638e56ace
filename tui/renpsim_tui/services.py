"""Thin calls of the library for the planner's background jobs, with progress and cancel hooks.

Everything else goes through :mod:`renpsim_tui.backend`; this module only adds what the jobs of
the interface need on top: the dwell optimiser with its progress callback and cancel hook
(``renpsim.stats.planning``), and CSV export through the library's atomic writer.
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
