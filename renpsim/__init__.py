"""renpsim: a physics-grade simulator for RENP experiments.

RENP is the radiative emission of a neutrino pair, ``|e> -> |g> + gamma + nu nubar``, in atoms
made macro-coherent by two counter-propagating trigger lasers.

Layers (dependencies point downward only):

* :mod:`renpsim.physics` - pure physics: neutrino inputs, atomic targets, the spectral function.
* hardware/campaign models, DAQ simulation and statistics build on it.
* :mod:`renpsim.cli` - the ``renpsim`` command line, a thin front end.
"""

from renpsim.errors import InputError, PhysicsDomainError, RenpsimError

__version__ = "0.1.0"

__all__ = ["InputError", "PhysicsDomainError", "RenpsimError", "__version__"]
