"""DAQ simulation: one rate model (:func:`expected_counts`) and three levels (:func:`simulate`)."""

from renpsim.daq.levels import BLOCK_SHOTS, LEVELS, simulate
from renpsim.daq.rates import BACKGROUNDS, StepModel, expected_counts, smeared_I, step_model

__all__ = ["BACKGROUNDS", "BLOCK_SHOTS", "LEVELS", "StepModel", "expected_counts", "simulate",
           "smeared_I", "step_model"]
