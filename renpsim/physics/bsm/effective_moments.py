"""Effective neutrino magnetic moments seen by other experiments.

Source: [physics §4.3], [physics §7.3]; NF22.

From the mass-basis matrices mu_ij, eps_ij (units of mu_B):

* solar / reactor / accelerator nu-e scattering, flavour alpha at the detector [Q: NF22]::

      (mu_eff_alpha)^2 = sum_j | sum_k U*_alpha k (mu_jk - i eps_jk) |^2

* stellar plasmon decay (red giants, globular clusters) [Q: NF22]::

      (mu_star)^2 = sum_ij (|mu_ij|^2 + |eps_ij|^2)

The first needs the full PMNS matrix (:func:`renpsim.physics.neutrino.pmns_matrix`, PDG
convention). For solar neutrinos the flavour composition at the detector differs from a pure
flavour state; the limits module decides which combination applies ([physics §7.3]).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.physics.bsm.couplings import as_coupling_matrix
from renpsim.physics.neutrino import NeutrinoState, pmns_matrix

FLAVOURS = ("e", "mu", "tau")


def state_pmns(state: NeutrinoState) -> NDArray[np.complex128]:
    """Full PMNS matrix for a :class:`NeutrinoState` (its preset's angles and its phases)."""
    osc = state.oscillation
    return pmns_matrix(osc.sin2_theta12.value, osc.sin2_theta13.value, osc.sin2_theta23.value,
                       state.delta, state.alpha21, state.alpha31)


def mu_eff_flavour(mu: ArrayLike, eps: ArrayLike, U: ArrayLike) -> NDArray[np.float64]:
    """mu_eff_alpha for alpha = e, mu, tau (units of mu_B), shape ``batch + (3,)``.

    Parameters
    ----------
    mu, eps : number, mapping or array (..., 3, 3)
        Mass-basis moments in mu_B (a number is the (11) element).
    U : array_like (..., 3, 3)
        PMNS matrix, rows flavour, columns mass.

    """
    m = as_coupling_matrix(mu, "mu", "mu_eff_flavour")
    e = as_coupling_matrix(eps, "eps", "mu_eff_flavour")
    u = np.asarray(U, dtype=complex)
    lam = m - 1j * e  # lam[j, k]
    # amplitude A[alpha, j] = sum_k U*_{alpha k} lam_{jk}
    amp = np.einsum("...ak,...jk->...aj", np.conj(u), lam)
    return np.sqrt(np.sum(np.abs(amp) ** 2, axis=-1))


def mu_stellar(mu: ArrayLike, eps: ArrayLike) -> NDArray[np.float64]:
    """Stellar-cooling combination sqrt(sum_ij |mu_ij|^2 + |eps_ij|^2) in mu_B."""
    m = as_coupling_matrix(mu, "mu", "mu_stellar")
    e = as_coupling_matrix(eps, "eps", "mu_stellar")
    return np.sqrt(np.sum(np.abs(m) ** 2 + np.abs(e) ** 2, axis=(-2, -1)))


def effective_moments(dipole, state: NeutrinoState) -> dict[str, NDArray[np.float64]]:
    """All effective moments of a :class:`~renpsim.physics.bsm.dipole.DipoleMoments` term.

    Returns ``{"mu_eff_e", "mu_eff_mu", "mu_eff_tau", "mu_stellar"}`` in units of mu_B, using
    the state's PMNS matrix (its preset's angles and its phases). The moments are validated for
    the state's nature first (hermitian for Dirac, antisymmetric for Majorana).
    """
    dipole.validate_for(state.nature)
    flav = mu_eff_flavour(dipole.mu, dipole.eps, state_pmns(state))
    out = {f"mu_eff_{name}": flav[..., k] for k, name in enumerate(FLAVOURS)}
    out["mu_stellar"] = mu_stellar(dipole.mu, dipole.eps)
    return out
