"""The one sensitivity-table format (CSV with a ``# renpsim-sensitivity v1`` header, HDF5).

Readers and writers live in :mod:`renpsim.stats.output`; front ends reach them through here.
"""

from __future__ import annotations

from renpsim.stats.output import SensitivityTable, plot_table, read_csv, write_csv, write_hdf5

__all__ = ["SensitivityTable", "plot_table", "read_csv", "write_csv", "write_hdf5"]
