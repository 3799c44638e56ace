"""Reach scans: coupling limits versus mediator mass or lightest mass, dipole moments.

Asimov limits of the statistics engine (:mod:`renpsim.stats.scan`,
:mod:`renpsim.stats.sensitivity`) on an :class:`~renpsim.experiment.forecast.Experiment`.
Majorana neutrinos have no diagonal dipole moments: their headline element is the transition
moment ``mu12`` (``eps12`` likewise), never the vanishing ``mu11`` [physics §4.3].
"""

from __future__ import annotations

import numpy as np

from renpsim.experiment.defaults import (
    DEFAULT_M_LIGHTEST_EV,
    DEFAULT_MASSES_EV,
    DEFAULT_MEDIATOR_MASS_EV,
    DEFAULT_SIDED,
    DEFAULT_SIGN,
    DEFAULT_STERILE_M4_EV,
    default_dipole_element,
)
from renpsim.experiment.forecast import Experiment
from renpsim.experiment.results import DipoleReach, ReachCurve, check_sided, sign_summary


def threshold(delta_chi2: float | None = None, cl: float | None = None,
              dof: int | None = None, sided: str = DEFAULT_SIDED) -> tuple[float, float, int]:
    """Return ``(delta_chi2, cl, dof)`` from any consistent subset (default 95% CL, 1 dof).

    ``sided="one"`` is the one-sided convention of a coupling of known sign (Delta chi^2 =
    2.71 at 95%, 1 dof); an explicit ``delta_chi2`` wins and its CL follows from ``sided``.
    """
    from renpsim.stats.scan import resolve_threshold

    return resolve_threshold(delta_chi2, cl, dof, check_sided(sided))


def confidence_level(delta_chi2: float, dof: int = 1, sided: str = DEFAULT_SIDED) -> float:
    """Return the CL of a Delta chi^2 threshold for ``dof`` (one- or two-sided convention)."""
    from renpsim.stats.deviance import cl_of_threshold

    return float(cl_of_threshold(delta_chi2, dof, check_sided(sided)))


def _curve(experiment: Experiment, scan: str, coupling: str, grid, *, delta_chi2, cl, dof,
           sided: str, mediator_mass_eV: float, sign: str, executor, meta,
           setup_kw) -> ReachCurve:
    from renpsim.stats.scan import sensitivity_scan

    setup = experiment.asimov_setup(**setup_kw)
    thr, cl_, dof_ = threshold(delta_chi2, cl, dof, sided)
    table = sensitivity_scan(setup, scan, coupling, grid, delta_chi2=thr, dof=dof_,
                             mediator_mass_eV=mediator_mass_eV, sign=sign, executor=executor,
                             meta={"campaign": experiment.name, **(meta or {})}, sided=sided)
    f = table.frame
    signs = tuple(str(v) for v in f["limit_sign"])
    return ReachCurve(
        coupling=table.meta["coupling"], quantity=table.quantity, x_name=table.x,
        x=tuple(float(v) for v in f[table.x]), limit=tuple(float(v) for v in f["limit"]),
        status=tuple(int(s) for s in f["status"]), table=table, limit_sign=signs,
        assumptions=experiment.assumptions(setup, delta_chi2=thr, cl=cl_, dof=dof_,
                                           coupling_sign=sign, sided=sided,
                                           limit_sign=sign_summary(signs)))


def reach_vs_mediator_mass(experiment: Experiment, coupling: str = "gL11",
                           masses_eV=DEFAULT_MASSES_EV, *, delta_chi2: float | None = None,
                           cl: float | None = None, dof: int | None = None,
                           sided: str = DEFAULT_SIDED, sign: str = DEFAULT_SIGN, executor=None,
                           meta: dict | None = None, **setup_kw) -> ReachCurve:
    """Asimov limit on a vector (gL/gR) or scalar (yS/yP) coupling versus mediator mass.

    ``sided`` is the threshold convention (:func:`threshold`); each limit records the sign
    that gave it (``ReachCurve.limit_sign``). ``setup_kw`` go to
    :meth:`Experiment.asimov_setup` (normalisation, width_fraction, scalar_phase,
    majorana_phases, imprinted momentum, truth overrides).
    """
    return _curve(experiment, "mediator-mass", coupling, masses_eV, delta_chi2=delta_chi2,
                  cl=cl, dof=dof, sided=sided, mediator_mass_eV=DEFAULT_MEDIATOR_MASS_EV,
                  sign=sign,
                  executor=executor, meta=meta, setup_kw=setup_kw)


def reach_vs_lightest_mass(experiment: Experiment, coupling: str = "gL11",
                           m_lightest_eV=DEFAULT_M_LIGHTEST_EV, *,
                           mediator_mass_eV: float = DEFAULT_MEDIATOR_MASS_EV,
                           delta_chi2: float | None = None, cl: float | None = None,
                           dof: int | None = None, sided: str = DEFAULT_SIDED,
                           sign: str = DEFAULT_SIGN, executor=None, meta: dict | None = None,
                           **setup_kw) -> ReachCurve:
    """Asimov limit on a coupling at one mediator mass versus the true lightest mass."""
    return _curve(experiment, "m-lightest", coupling, m_lightest_eV, delta_chi2=delta_chi2,
                  cl=cl, dof=dof, sided=sided, mediator_mass_eV=mediator_mass_eV, sign=sign,
                  executor=executor, meta=meta, setup_kw=setup_kw)


def dipole_reach(experiment: Experiment, *, delta_chi2: float | None = None,
                 cl: float | None = None, dof: int | None = None, sided: str = DEFAULT_SIDED,
                 elements: tuple[str, ...] | None = None, **setup_kw) -> DipoleReach:
    """Asimov limits on dipole-moment elements (mu_B), one at a time, for either nature.

    Default elements: all for Dirac neutrinos, the transition (off-diagonal) ones for Majorana
    neutrinos. The headline element is ``mu11`` (Dirac) or ``mu12`` (Majorana).
    """
    from renpsim.stats.sensitivity import dipole_limits

    setup = experiment.asimov_setup(**setup_kw)
    thr, cl_, dof_ = threshold(delta_chi2, cl, dof, sided)
    lims = dipole_limits(setup, thr, elements)
    # moduli of the moments: both signs tested, the weaker kept
    return DipoleReach(limits=tuple((k, float(v)) for k, v in lims.items()),
                       headline=default_dipole_element(setup.nature),
                       assumptions=experiment.assumptions(setup, delta_chi2=thr, cl=cl_,
                                                          dof=dof_, coupling_sign="both",
                                                          sided=sided))


def reach_vs_sterile_mass(experiment: Experiment, m4_eV=DEFAULT_STERILE_M4_EV, *,
                          phase_rad: float = 0.0, delta_chi2: float | None = None,
                          cl: float | None = None, dof: int | None = None,
                          sided: str = DEFAULT_SIDED, meta: dict | None = None,
                          **setup_kw) -> ReachCurve:
    """Asimov upper limits on |U_e4|^2 of a 3+1 light sterile neutrino versus m4.

    The truth is three-flavour; the tested hypothesis mixes only U_e4 (phase ``phase_rad``,
    relevant for Majorana neutrinos) [physics §1.3] (docs/sterile-and-momentum.md). The sign
    tested is ``"+"`` (|U_e4|^2 >= 0); limits at or above 1 are absent (inf, status 2).
    ``setup_kw`` go to :meth:`Experiment.asimov_setup`.
    """
    import pandas as pd

    from renpsim.stats.output import SensitivityTable, lineage_hash
    from renpsim.stats.sensitivity import sterile_limits_vs_mass

    setup = experiment.asimov_setup(**setup_kw)
    thr, cl_, dof_ = threshold(delta_chi2, cl, dof, sided)
    grid = np.atleast_1d(np.asarray(m4_eV, float))
    r = sterile_limits_vs_mass(setup, grid, thr, phase_rad)
    frame = pd.DataFrame({"m4_eV": r["m4_eV"], "limit": r["limit"], "status": r["status"],
                          "limit_sign": "+"})
    inputs = {"setup": setup.to_dict(), "scan": "sterile", "grid": grid.tolist(),
              "delta_chi2": thr, "sterile_phase_rad": phase_rad}
    table = SensitivityTable(
        quantity="sterile_Ue4_sq", x="m4_eV", frame=frame, cl=cl_, dof=dof_, delta_chi2=thr,
        lineage=lineage_hash(inputs),
        meta={"coupling": "Ue4_sq", "scan": "sterile", "sign_tested": "+", "sided": sided,
              "sterile_phase_rad": phase_rad, "profile_norm": setup.profile_norm,
              "campaign": experiment.name, **(meta or {})})
    return ReachCurve(
        coupling="Ue4_sq", quantity="sterile_Ue4_sq", x_name="m4_eV",
        x=tuple(map(float, r["m4_eV"])), limit=tuple(map(float, r["limit"])),
        status=tuple(int(s) for s in r["status"]), table=table,
        limit_sign=("+",) * grid.size,
        assumptions=experiment.assumptions(setup, delta_chi2=thr, cl=cl_, dof=dof_,
                                           coupling_sign="+", sided=sided, limit_sign="+"))


def pole_masses(experiment: Experiment, lo: float, hi: float) -> np.ndarray:
    """Mediator poles of the scan steps (s = M^2) strictly inside (lo, hi), eV."""
    from renpsim.physics.kinematics import pole_mass

    camp = experiment.campaign
    poles = pole_mass(np.unique(camp.steps.omega_eV), camp.hardware.E_eg_eV)
    return poles[(poles > lo) & (poles < hi)]


def mass_grid_with_poles(experiment: Experiment, masses_eV) -> tuple[np.ndarray, np.ndarray]:
    """Return the grid with the mediator poles sampled exactly (and at +-0.1%), and the poles."""
    m = np.asarray(masses_eV, float)
    poles = pole_masses(experiment, float(m.min()), float(m.max()))
    grid = np.unique(np.concatenate([m, poles, poles * (1 - 1e-3), poles * (1 + 1e-3)]))
    return grid, poles


def discovery(experiment: Experiment, coupling: str, coupling_value: float, masses_eV,
              **setup_kw) -> list[dict]:
    """Asimov discovery significance Z of a true coupling value per mediator mass."""
    from renpsim.stats.sensitivity import discovery_significance

    setup = experiment.asimov_setup(**setup_kw)
    grid = np.atleast_1d(np.asarray(masses_eV, float))
    z = discovery_significance(setup, coupling, coupling_value, grid)
    return [{"m_eV": float(m), "Z": float(v)} for m, v in zip(grid, z, strict=True)]
