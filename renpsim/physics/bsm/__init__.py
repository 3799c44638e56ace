"""BSM terms of the RENP spectrum: light Z', light scalar/pseudoscalar, neutrino EM moments.

A spectrum is "SM + any set of BSM terms" ([physics §4.1] to [physics §4.3]); see docs/bsm.md.

Entry points: :func:`spectral_function_bsm`, :func:`channel_matrix_bsm`, :func:`bsm_spectrum`;
terms :class:`VectorMediator`, :class:`ScalarMediator`, :class:`DipoleMoments`,
:class:`ChargeRadiusAnapole`; spec parsing :func:`parse_term_spec`; effective moments
:func:`mu_eff_flavour`, :func:`mu_stellar`.
"""

from renpsim.physics.bsm.couplings import element_matrix
from renpsim.physics.bsm.dipole import ChargeRadiusAnapole, DipoleMoments
from renpsim.physics.bsm.effective_moments import (
    effective_moments,
    mu_eff_flavour,
    mu_stellar,
    state_pmns,
)
from renpsim.physics.bsm.model import (
    K_EM_INV_EV2,
    BSMSpectrumResult,
    bsm_spectrum,
    channel_matrix_bsm,
    spectral_function_bsm,
)
from renpsim.physics.bsm.scalar import ScalarMediator, scalar_width_eV
from renpsim.physics.bsm.spec import parse_term_spec
from renpsim.physics.bsm.vector import VectorMediator, vector_width_eV

__all__ = [
    "K_EM_INV_EV2",
    "BSMSpectrumResult",
    "ChargeRadiusAnapole",
    "DipoleMoments",
    "ScalarMediator",
    "VectorMediator",
    "bsm_spectrum",
    "channel_matrix_bsm",
    "effective_moments",
    "element_matrix",
    "mu_eff_flavour",
    "mu_stellar",
    "parse_term_spec",
    "scalar_width_eV",
    "spectral_function_bsm",
    "state_pmns",
    "vector_width_eV",
]
