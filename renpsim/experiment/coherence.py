"""Coherence workflow: eta(t), exposure per shot and PSR yield of a hardware configuration.

The one entry point front ends call for the Maxwell-Bloch model ([hardware §5.1], [hardware
§5.2]): it solves one shot at the configured point with :func:`renpsim.hardware.coherence.
from_hardware.solve_hardware` (memoised per inputs) and returns the quantities an interface
shows, as plain arrays and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    from renpsim.hardware.config import HardwareConfig


@dataclass(frozen=True)
class CoherenceResponse:
    """One Maxwell-Bloch shot of a hardware configuration.

    Attributes
    ----------
    hardware : str
        Name of the hardware configuration.
    eta_model : str
        The configuration's ``coherence.eta_model`` (the solution is that of its
        ``[maxwell_bloch]`` table whatever the model).
    t_s, eta_t : ndarray
        Time (s, pulse centre at 0) and the coherence factor eta(t) the RENP rate uses.
    gate_s : tuple of float
        Detector gate (s) over which the exposure is integrated.
    exposure_per_shot_s : float
        Coherent exposure per shot, int eta dt over the gate, in s ([hardware §5.2]).
    eta_peak, rho_ge_prepared : float
        Largest eta(t) and the prepared |rho_ge|.
    psr_photons_per_shot : float
        Paired-superradiance (McQ2) photons per shot leaving the cell.
    psr_linewidth_Hz : float or None
        FWHM of the McQ2 line (None without PSR photons).
    n_cells, n_steps : int
        Cells of the z grid and time steps of the solution.

    """

    hardware: str
    eta_model: str
    t_s: NDArray[np.float64]
    eta_t: NDArray[np.float64]
    gate_s: tuple[float, float]
    exposure_per_shot_s: float
    eta_peak: float
    rho_ge_prepared: float
    psr_photons_per_shot: float
    psr_linewidth_Hz: float | None
    n_cells: int
    n_steps: int


def coherence_response(hw: HardwareConfig, *, n_cells: int | None = None) -> CoherenceResponse:
    """Solve one Maxwell-Bloch shot of ``hw`` and return eta(t), exposure and PSR yield.

    Parameters
    ----------
    hw : HardwareConfig
        Validated hardware configuration (its ``[maxwell_bloch]`` table sets the solver).
    n_cells : int, optional
        Cells of the z grid (default ``maxwell_bloch.n_cells``).

    Returns
    -------
    CoherenceResponse

    Raises
    ------
    InputError
        Photon energies of the ``[maxwell_bloch]`` table that do not fit E_eg.

    """
    from renpsim.hardware.coherence.from_hardware import solve_hardware

    sol = solve_hardware(hw, n_cells=n_cells)
    summary = sol.summary()
    return CoherenceResponse(
        hardware=hw.name, eta_model=hw.coherence.eta_model,
        t_s=np.asarray(sol.t_fine_s, dtype=float), eta_t=np.asarray(sol.eta_t, dtype=float),
        gate_s=(float(sol.gate_s[0]), float(sol.gate_s[1])),
        exposure_per_shot_s=float(summary["exposure_per_shot_s"]),
        eta_peak=float(summary["eta_peak"]), rho_ge_prepared=float(summary["rho_ge_prepared"]),
        psr_photons_per_shot=float(summary["psr_photons_per_shot"]),
        psr_linewidth_Hz=summary["psr_linewidth_Hz"], n_cells=int(summary["n_cells"]),
        n_steps=int(summary["n_steps"]))
