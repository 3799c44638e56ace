"""Poisson deviance (the test statistic) and Delta chi^2 thresholds.

Deviance ([physics §6.1] = GP21 eq. 30 with the sign corrected, [physics §0] item 5)::

    chi^2 = 2 sum_k [ N_test,k - N_true,k + N_true,k ln(N_true,k / N_test,k) ]

Bins with N_true = 0 contribute exactly 2 N_test; bins with both zero contribute 0; a bin with
N_true > 0 and N_test = 0 gives +inf. Counts are float64 (Asimov "data" are not integers).

Thresholds ([physics §6.2]): Delta chi^2 = F^-1_{chi^2_dof}(CL) (Wilks). GP21 used 5.99, which
is the 95% point for **2** dof; one coupling at fixed mediator mass is 1 dof (3.84).
One-sided limits (a coupling of known sign): 1/2 chi^2_{dof-1} + 1/2 chi^2_dof, i.e.
2.71 for 95% and 1 dof.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError


def deviance_terms(n_true: ArrayLike, n_test: ArrayLike) -> NDArray[np.float64]:
    """Per-bin Poisson deviance 2[N_test - N_true + N_true ln(N_true/N_test)], broadcast.

    Exact at zero counts: N_true = 0 gives 2 N_test, both zero give 0, N_test = 0 < N_true gives
    +inf. Never NaN for finite non-negative input.
    """
    n = np.asarray(n_true, dtype=np.float64)
    mu = np.asarray(n_test, dtype=np.float64)
    n, mu = np.broadcast_arrays(n, mu)
    pos = n > 0.0
    with np.errstate(divide="ignore"):
        log_term = np.where(
            pos, n * (np.log(np.where(pos, n, 1.0)) - np.log(np.where(pos, mu, 1.0))), 0.0
        )
    return 2.0 * (mu - n + log_term)


def poisson_deviance(n_true: ArrayLike, n_test: ArrayLike, axis: int | None = -1) -> NDArray:
    """Poisson deviance summed over ``axis`` (default: the last axis, the scan steps).

    Parameters
    ----------
    n_true : array_like
        Observed (or Asimov) counts, >= 0.
    n_test : array_like
        Expected counts of the tested hypothesis, >= 0.
    axis : int or None
        Axis to sum over; None sums everything.

    """
    return np.sum(deviance_terms(n_true, n_test), axis=axis)


def _stats():
    """scipy.stats, imported on use (it is slow to import; ``renpsim --help`` never needs it)."""
    from scipy import stats

    return stats


#: Limit conventions: ``two``-sided (Wilks, chi^2_dof) or ``one``-sided (a coupling of known sign).
SIDED = ("two", "one")


def _check(cl: float, dof: int, sided: str) -> None:
    if not (isinstance(dof, int | np.integer) and dof >= 1):
        raise InputError("statistics", "dof", dof, "a whole number >= 1")
    if not (math.isfinite(cl) and 0.0 < cl < 1.0):
        raise InputError("statistics", "cl", cl, "a confidence level in (0, 1)")
    if sided not in SIDED:
        raise InputError("statistics", "sided", sided, "'one' or 'two'")


def _one_sided_cdf(x: float, dof: int) -> float:
    """CDF of 1/2 chi^2_{dof-1} + 1/2 chi^2_dof (chi^2_0 = a point mass at 0), x >= 0."""
    lower = 1.0 if dof == 1 else float(_stats().chi2.cdf(x, dof - 1))
    return 0.5 * lower + 0.5 * float(_stats().chi2.cdf(x, dof))


def delta_chi2_threshold(cl: float = 0.95, dof: int = 1, sided: str = "two") -> float:
    """Delta chi^2 threshold for confidence level ``cl`` with ``dof`` degrees of freedom.

    ``sided="two"`` (default): the ``cl`` quantile of chi^2_dof (Wilks),
    ``delta_chi2_threshold(0.95, 1) = 3.84``, ``(0.95, 2) = 5.99`` [physics §6.2].

    ``sided="one"``: a limit on a parameter of known sign (a coupling constrained to one side
    of zero). At the boundary the statistic follows 1/2 chi^2_{dof-1} + 1/2 chi^2_dof
    (Chernoff; chi^2_0 is a point mass at 0), so for 1 dof the threshold is the
    (2 cl - 1) quantile of chi^2_1: 2.71 at 95%, 1.64^2.
    """
    _check(cl, dof, sided)
    if sided == "two":
        return float(_stats().chi2.ppf(cl, dof))
    if dof == 1:
        return float(_stats().chi2.ppf(2.0 * cl - 1.0, 1)) if cl > 0.5 else 0.0
    from scipy.optimize import brentq

    if _one_sided_cdf(0.0, dof) >= cl:
        return 0.0
    hi = float(_stats().chi2.ppf(cl, dof)) + 1.0
    return float(brentq(lambda x: _one_sided_cdf(x, dof) - cl, 0.0, hi, xtol=1e-12))


def cl_of_threshold(delta_chi2: float, dof: int, sided: str = "two") -> float:
    """Confidence level that a Delta chi^2 threshold corresponds to (inverse of the above)."""
    if sided not in SIDED:
        raise InputError("statistics", "sided", sided, "'one' or 'two'")
    if sided == "two":
        return float(_stats().chi2.cdf(delta_chi2, dof))
    return _one_sided_cdf(float(delta_chi2), int(dof))


def significance_from_delta_chi2(delta_chi2: ArrayLike, dof: int = 1) -> NDArray[np.float64]:
    """Gaussian-equivalent two-sided significance Z of a Delta chi^2 with ``dof`` dof.

    For 1 dof this is sqrt(Delta chi^2).
    """
    d = np.maximum(np.asarray(delta_chi2, dtype=float), 0.0)
    if dof == 1:
        return np.sqrt(d)
    st = _stats()
    p = st.chi2.sf(d, dof)
    return st.norm.isf(0.5 * p)
