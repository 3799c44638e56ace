"""Existing limits on RENP-relevant quantities and their comparison with RENP sensitivity.

Public API (docs/limits.md):

- :func:`load_database`, :class:`LimitDatabase` (``.get``, ``.query``, ``.counts``),
  :class:`LimitRecord`;
- quantity registry :data:`QUANTITIES`, :func:`get_quantity`;
- sensitivity files: :func:`read_sensitivity`, :func:`write_sensitivity`,
  :func:`make_sensitivity`, :class:`Sensitivity`;
- comparison: :func:`compare`, :func:`envelope`, :func:`applicable_records`,
  :func:`record_limit_at`;
- plots: :func:`plot_limits`;
- conversions: :mod:`renpsim.limits.conversions`;
- BibTeX: :func:`renpsim_bibtex`, :func:`record_bibtex`.
"""

from renpsim.limits import conversions
from renpsim.limits.bibtex import record_bibtex, renpsim_bibtex
from renpsim.limits.compare import (
    Comparison,
    Envelope,
    applicable_records,
    compare,
    envelope,
    record_limit_at,
)
from renpsim.limits.database import LimitDatabase, LimitRecord, load_database
from renpsim.limits.quantities import QUANTITIES, Quantity, get_quantity
from renpsim.limits.sensitivity import (
    Sensitivity,
    make_sensitivity,
    read_sensitivity,
    write_sensitivity,
)


def plot_limits(*args, **kwargs):
    """Lazy wrapper of :func:`renpsim.limits.plot.plot_limits` (imports matplotlib on use)."""
    from renpsim.limits.plot import plot_limits as _plot

    return _plot(*args, **kwargs)


__all__ = [
    "QUANTITIES",
    "Comparison",
    "Envelope",
    "LimitDatabase",
    "LimitRecord",
    "Quantity",
    "Sensitivity",
    "applicable_records",
    "compare",
    "conversions",
    "envelope",
    "get_quantity",
    "load_database",
    "make_sensitivity",
    "plot_limits",
    "read_sensitivity",
    "record_bibtex",
    "record_limit_at",
    "renpsim_bibtex",
    "write_sensitivity",
]
