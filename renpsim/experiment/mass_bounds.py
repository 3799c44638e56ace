"""Bounds on Sum m_nu or m_beta expressed as bounds on the lightest neutrino mass.

A cosmological bound on Sum m_nu or a beta-decay bound on m_beta limits the lightest mass of
each ordering ([physics §3.3]): both grow monotonically with m_lightest at fixed oscillation
parameters, so the bound on m_lightest is the root of Sum m(m_l) = bound (or m_beta). A bound
below the ordering's minimum (m_l = 0) excludes the ordering outright.
"""

from __future__ import annotations

from renpsim.errors import InputError
from renpsim.physics.neutrino import neutrino_state
from renpsim.physics.oscillation import DEFAULT_PRESET

#: Quantities :func:`lightest_mass_bound` translates.
QUANTITIES = ("m_lightest", "sum_mnu", "m_beta")
#: Largest lightest mass searched, eV (far above every laboratory or cosmological bound).
_M_MAX_EV = 10.0


def lightest_mass_bound(quantity: str, bound_eV: float, ordering: str = "NO",
                        oscillation: str = DEFAULT_PRESET, *, xtol_eV: float = 1e-9
                        ) -> float | None:
    """Return the lightest mass at which ``quantity`` reaches ``bound_eV``.

    Parameters
    ----------
    quantity : {"m_lightest", "sum_mnu", "m_beta"}
        What the bound limits (``m_lightest``: returned as it is).
    bound_eV : float
        Upper bound in eV.
    ordering : {"NO", "IO"}
        Mass ordering.
    oscillation : str
        Oscillation preset (mass splittings and mixing).
    xtol_eV : float
        Absolute tolerance of the root in eV.

    Returns
    -------
    float or None
        The bound on m_lightest in eV; None when even m_lightest = 0 exceeds the bound (the
        ordering is excluded).

    Raises
    ------
    InputError
        Unknown quantity, a bound that is not a positive number, or one beyond what a lightest
        mass up to 10 eV reaches.

    """
    if quantity not in QUANTITIES:
        raise InputError("mass bound", "quantity", quantity, "one of " + ", ".join(QUANTITIES))
    try:
        bound = float(bound_eV)
    except (TypeError, ValueError):
        raise InputError("mass bound", "bound_eV", bound_eV, "a mass in eV") from None
    if not bound > 0.0 or bound == float("inf"):
        raise InputError("mass bound", "bound_eV", bound_eV, "a finite mass > 0 eV")
    if quantity == "m_lightest":
        return bound

    def value(m: float) -> float:
        st = neutrino_state(ordering, m, "dirac", oscillation)   # masses: nature-independent
        return float(st.sum_masses_eV if quantity == "sum_mnu" else st.m_beta_eV)

    if value(0.0) >= bound:
        return None
    if value(_M_MAX_EV) < bound:
        raise InputError("mass bound", "bound_eV", bound,
                         f"a {quantity} reached by a lightest mass <= {_M_MAX_EV:g} eV")
    from scipy.optimize import brentq

    return float(brentq(lambda m: value(m) - bound, 0.0, _M_MAX_EV, xtol=xtol_eV))
