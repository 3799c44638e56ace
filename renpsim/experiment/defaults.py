"""Defaults of the experiment workflows, in one place.

Front ends (CLI, report, TUI) take their defaults from here; the physics layer owns the
oscillation preset default (:data:`renpsim.physics.oscillation.DEFAULT_PRESET`) and the
photon-range rule (:func:`renpsim.physics.kinematics.outside_photon_range`).
"""

from __future__ import annotations

import numpy as np

from renpsim.physics.gp21 import GP21_OMEGA_EV, GP21_TOTAL_DAYS  # noqa: F401 (re-exported)
from renpsim.physics.oscillation import DEFAULT_PRESET

#: The embedded default campaign: the GP21 Yb benchmark.
DEFAULT_CAMPAIGN = "gp21-benchmark"

#: Oscillation preset used when neither the caller nor a file names one.
DEFAULT_OSCILLATION = DEFAULT_PRESET

#: GP21 benchmark points [GP21] (defined in :mod:`renpsim.physics.gp21`): trigger energies (eV)
#: and the TOTAL running time (days), split equally over the three energies [physics §1.5].

#: Normalisation treatments of every Delta chi^2 (fixed: no systematics, as [GP21]).
NORMALISATIONS = ("fixed", "profiled")
DEFAULT_NORMALISATION = "fixed"

#: Limit convention: 95% CL for 1 dof (Delta chi^2 = 3.84) [physics §6.2], two-sided; a
#: one-sided limit (coupling of known sign) has Delta chi^2 = 2.71 at 95%, 1 dof.
DEFAULT_CL = 0.95
DEFAULT_DOF = 1
SIDED = ("two", "one")
DEFAULT_SIDED = "two"

#: Majorana phases (alpha21, alpha31 - 2 delta) of Majorana hypotheses: profiled by default
#: (multi-start on the phase torus), or fixed at zero.
MAJORANA_PHASES = ("profiled", "fixed")
DEFAULT_MAJORANA_PHASES = "profiled"

#: Sterile reach grid: m4 (eV) of the |U_e4|^2 limits (``reach_vs_sterile_mass``).
DEFAULT_STERILE_M4_EV = (0.05, 0.1, 0.3, 0.6)

#: Discrete decisions and their default significance.
DECISIONS = ("ordering", "lightest-mass", "nature")
DEFAULT_N_SIGMA = 3.0

#: Signal events regarded as the minimum for a measurement (viability verdict).
TARGET_EVENTS = 10.0

#: Mediator width Gamma/M [A], pseudoscalar phase convention, coupling sign tested.
DEFAULT_WIDTH_FRACTION = 1e-6
DEFAULT_SCALAR_PHASE = "physical"
DEFAULT_SIGN = "both"

#: Mediator-mass grid (eV) of the coupling-limit curves and the mediator mass of the
#: lightest-mass curve.
DEFAULT_MASSES_EV = tuple(float(x) for x in np.logspace(-3, 4, 57))
DEFAULT_MEDIATOR_MASS_EV = 1e-3

#: Lightest-mass grid (eV) of the reach-versus-lightest-mass curve.
DEFAULT_M_LIGHTEST_EV = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08)

#: Default couplings per mediator; the dipole default depends on the nature (Majorana
#: neutrinos have transition moments only [physics §4.3]).
DEFAULT_COUPLING = {"vector": "gL11", "scalar": "yS11"}


def default_dipole_element(nature: str) -> str:
    """Return the headline dipole element: ``mu11`` (Dirac) or ``mu12`` (Majorana)."""
    return "mu12" if nature == "majorana" else "mu11"


def default_coupling(mediator: str, nature: str = "dirac") -> str:
    """Return the default coupling of a mediator family (``vector``, ``scalar``, ``dipole``)."""
    if mediator == "dipole":
        return default_dipole_element(nature)
    return DEFAULT_COUPLING[mediator]
