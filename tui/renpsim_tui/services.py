"""Thin calls of the library for the planner's background jobs, with progress and cancel hooks.

Everything else goes through :mod:`renpsim_tui.backend`; this module only adds what the jobs of
the interface need on top: the dwell optimiser with its progress callback and cancel hook
(``renpsim.stats.planning``), and CSV export through the library's atomic writer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from renpsim_tui import backend


def optimise_dwell(info: backend.TargetInfo, hw: backend.Hardware, h: backend.Hypothesis,
                   omega_eV: Sequence[float], dwell_s: Sequence[float], decision: str, *,
                   progress: Callable[[float], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> dict:
    """Dwell times maximising a decision's Asimov Delta chi^2 at fixed total time.

    The campaign's expected counts (``renpsim.daq.expected_counts``) become the statistics
    engine's dataset (``campaign_from_counts_table``); the optimiser is
    ``renpsim.stats.planning.optimise_dwell_for_decision`` with its default treatment of the
    normalisation (free, profiled) and the lightest mass profiled, the same call as the CLI's.
    ``cancelled()`` returning true stops it with :class:`renpsim.errors.Cancelled`.

    Returns
    -------
    dict
        ``dwell_s`` (same order and total as the input), ``before``, ``after``, ``decision``.

    """
    from renpsim.campaign import campaign_from_dict
    from renpsim.daq import expected_counts
    from renpsim.physics import neutrino_state
    from renpsim.stats.benchmark import campaign_from_counts_table
    from renpsim.stats.model import ModelSpec
    from renpsim.stats.planning import optimise_dwell_for_decision

    doc = {"name": "planner", "seed": 0, "hardware": {k: dict(v) for k, v in hw.items()},
           "scan": {"generator": "explicit", "omega_eV": [float(w) for w in omega_eV],
                    "dwell_s": [float(t) for t in dwell_s], "order": "as_listed"}}
    camp = campaign_from_dict(doc, "campaign")
    df = expected_counts(camp, neutrinos=neutrino_state(h.ordering, h.m_lightest_eV, h.nature,
                                                        h.oscillation))
    sc = campaign_from_counts_table("planner", df, target=info.name, ordering=h.ordering,
                                    nature=h.nature, oscillation=h.oscillation,
                                    m_lightest_eV=h.m_lightest_eV)
    truth = ModelSpec(ordering=h.ordering, nature=h.nature, m_lightest_eV=h.m_lightest_eV)
    plan = optimise_dwell_for_decision(sc.dataset(), truth, decision, progress=progress,
                                       cancelled=cancelled)
    wall = np.asarray(dwell_s, float)
    frac = np.asarray(plan.dwell_after_s, float) / float(np.sum(plan.dwell_after_s))
    return {"decision": decision, "dwell_s": (frac * wall.sum()).tolist(),
            "before": float(plan.figure_before), "after": float(plan.figure_after)}


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
