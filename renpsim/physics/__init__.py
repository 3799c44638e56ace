"""Pure physics: neutrino inputs, atomic targets, kinematics and the RENP spectral function.

Nothing here knows about hardware, files or the command line.
"""

from renpsim.physics.neutrino import NeutrinoArrays, NeutrinoState, neutrino_state
from renpsim.physics.oscillation import OscillationParameters, list_presets, load_preset
from renpsim.physics.spectrum import SpectrumResult, spectral_function, spectrum
from renpsim.physics.sterile import SterileParameters, SterileState, sterile_state
from renpsim.physics.targets import AtomicTarget, load_target

__all__ = [
    "AtomicTarget",
    "NeutrinoArrays",
    "NeutrinoState",
    "OscillationParameters",
    "SpectrumResult",
    "SterileParameters",
    "SterileState",
    "list_presets",
    "load_preset",
    "load_target",
    "neutrino_state",
    "spectral_function",
    "spectrum",
    "sterile_state",
]
