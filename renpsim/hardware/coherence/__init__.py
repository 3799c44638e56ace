"""Macro-coherence from the trigger lasers: a 1-D Maxwell-Bloch solver (docs/coherence.md).

Pure numerics, no I/O. :func:`solve` gives one shot's eta(z, t), coherent exposure, prepared
coherence and paired-superradiance (McQ2) output; :mod:`.table` caches lookup tables of these
over the hardware knobs for the DAQ simulation; :func:`solve_hardware` is the entry point for
front ends (command line, TUI).
"""

from renpsim.hardware.coherence.model import FIELDS, Grid, MBParameters, Pulse
from renpsim.hardware.coherence.result import CoherenceSolution

__all__ = ["FIELDS", "CoherenceSolution", "Grid", "MBParameters", "Pulse", "solve"]


def __getattr__(name: str):
    """Import ``solve`` when first used.

    The solver loads numba (about 0.5 s), which reading a hardware file (``coherence.config``)
    does not need.
    """
    if name == "solve":
        from renpsim.hardware.coherence.solver import solve

        return solve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
