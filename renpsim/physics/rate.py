"""Event rates and expected counts from the spectral function.

Rate model ([physics §1.5]; GP21 eqs. 11b and 31 with correction 10 of [physics §0])::

    Gamma(omega) = Gamma_0 * (V / V_ref) * (n_a / n_ref)^2 * (n_gamma / n_ref) * eta * I(omega)
    N(omega)     = Gamma(omega) * T(omega)

with Gamma_0 the target's reference rate (0.002 s^-1 for Yb at V_ref = 100 cm^3,
n_ref = 1e21 cm^-3, eta = 1) and T(omega) the **dwell time spent at that frequency** (seconds of
full coherence). Convention: a campaign's total time is the sum of its dwell times. GP21's
"O(20) events in T = 2.3 days" is 2.3 days in total over its three frequencies (about 21 events);
2.3 days at each frequency would give about 62 ([physics §1.5] and [physics §8.3]).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError, MissingInputError
from renpsim.physics.targets import AtomicTarget


def resolve_gamma0(target: AtomicTarget, gamma0_per_s: float | str | None = None) -> float:
    """Return the Gamma_0 to use, in s^-1.

    Parameters
    ----------
    target : AtomicTarget
        Supplies the reference value (``None`` for Xe).
    gamma0_per_s : float or "placeholder" or None
        Explicit value; ``"placeholder"`` selects the target's labelled placeholder; ``None``
        uses the target's reference value.

    Raises
    ------
    MissingInputError
        No value is known and none was given (Xe).

    """
    if gamma0_per_s is None:
        if target.gamma0_ref_per_s is None:
            raise MissingInputError(
                target.name, "gamma0_per_s", None,
                "an explicit Gamma_0 in s^-1 (no source gives it for "
                f"{target.species}; 'placeholder' = {target.gamma0_placeholder_per_s} s^-1 "
                "is an order-of-magnitude estimate)",
            )
        return target.gamma0_ref_per_s
    if gamma0_per_s == "placeholder":
        if target.gamma0_placeholder_per_s is None:
            raise InputError(target.name, "gamma0_per_s", gamma0_per_s, "a number in s^-1")
        return target.gamma0_placeholder_per_s
    try:
        value = float(gamma0_per_s)
    except (TypeError, ValueError):
        raise InputError(target.name, "gamma0_per_s", gamma0_per_s, "a number in s^-1") from None
    if not (math.isfinite(value) and value > 0.0):
        raise InputError(target.name, "gamma0_per_s", gamma0_per_s, "a positive finite rate")
    return value


def rate_scale(
    target: AtomicTarget,
    *,
    volume_cm3: ArrayLike | None = None,
    n_atoms_cm3: ArrayLike | None = None,
    n_gamma_cm3: ArrayLike | None = None,
    eta: ArrayLike = 1.0,
    gamma0_per_s: float | str | None = None,
) -> NDArray[np.float64]:
    """Gamma_0 (V/V_ref)(n_a/n_ref)^2(n_gamma/n_ref) eta in s^-1: the rate per unit I(omega).

    Defaults are the target's reference conditions ([physics §1.5]).
    """
    g0 = resolve_gamma0(target, gamma0_per_s)
    V = np.asarray(target.V_ref_cm3 if volume_cm3 is None else volume_cm3, dtype=float)
    na = np.asarray(target.n_ref_cm3 if n_atoms_cm3 is None else n_atoms_cm3, dtype=float)
    ng = np.asarray(target.n_ref_cm3 if n_gamma_cm3 is None else n_gamma_cm3, dtype=float)
    e = np.asarray(eta, dtype=float)
    for name, arr in (("volume_cm3", V), ("n_atoms_cm3", na), ("n_gamma_cm3", ng), ("eta", e)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0.0):
            raise InputError("rate", name, arr.tolist(), "finite values >= 0")
    return (
        g0 * (V / target.V_ref_cm3) * (na / target.n_ref_cm3) ** 2 * (ng / target.n_ref_cm3)
        * (e / target.eta_ref)
    )


def expected_events(
    spectral_value: ArrayLike, dwell_s: ArrayLike, scale_per_s: ArrayLike
) -> NDArray[np.float64]:
    """Return the expected signal events N = scale * I(omega) * T (GP21 eq. 31).

    Parameters
    ----------
    spectral_value : array_like
        I(omega) at the step frequencies.
    dwell_s : array_like
        Time spent at each frequency, seconds of full coherence (>= 0).
    scale_per_s : array_like
        Output of :func:`rate_scale`.

    """
    T = np.asarray(dwell_s, dtype=float)
    if not np.all(np.isfinite(T)) or np.any(T < 0.0):
        raise InputError("rate", "dwell_s", T.tolist(), "finite times >= 0 s")
    return np.asarray(scale_per_s, dtype=float) * np.asarray(spectral_value, dtype=float) * T


def gamma0_first_principles_per_s(
    target: AtomicTarget, n_cm3: float | None = None, volume_cm3: float | None = None
) -> float:
    """Consistency estimate of Gamma_0 from atomic data ([physics §1.5], [D/C]).

    Gamma_0 ~ 6 (2J_v+1) C_ev gamma_vg G_F^2 n^3 V E_eg / E_vg^3, from the macro-coherent rate
    with |M|^2 = (16/3)(2J_v+1)C_ev G_F^2 |a|^2 (...) ([physics §0] item 9), a dipole
    aligned with the trigger field and omega ~ E_eg/2. The field normalisation and orientation are
    assumptions: this is a cross-check of the literature value (2.1e-3 s^-1 for Yb against
    0.002 s^-1), not a value of record.

    Raises
    ------
    MissingInputError
        The target's (2J_v+1)C_ev is unknown (Xe).

    """
    from renpsim.constants import CM3_IN_INV_EV3, G_F_EV2

    if target.two_Jv_plus_1_C_ev is None:
        raise MissingInputError(target.name, "two_Jv_plus_1_C_ev", None,
                                "the atomic factor (2J_v+1)C_ev (unknown for this target)")
    n = (target.n_ref_cm3 if n_cm3 is None else n_cm3) / CM3_IN_INV_EV3
    V = (target.V_ref_cm3 if volume_cm3 is None else volume_cm3) * CM3_IN_INV_EV3
    return (
        6.0 * target.two_Jv_plus_1_C_ev * target.gamma_vg_per_s * G_F_EV2**2 * n**3 * V
        * target.E_eg_eV / target.E_vg_eV**3
    )
