"""Simulation of a campaign's DAQ into a run file, summarised through the run-file reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from renpsim.experiment.forecast import Experiment


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation wrote.

    Attributes
    ----------
    campaign, path, level : str, pathlib.Path, str
        Campaign name, the run file and its level of detail.
    seed : int
        Simulation seed (the campaign's unless overridden).
    steps, shots, total_counts : int
        Scan steps, shots and recorded signal counts (all channels).
    expected_signal, expected_background : float
        Expectations of the rate model for the whole campaign.

    """

    campaign: str
    path: Path
    level: str
    seed: int
    steps: int
    shots: int
    total_counts: int
    expected_signal: float
    expected_background: float

    def to_dict(self) -> dict:
        """Plain-data form."""
        return {"campaign": self.campaign, "output": str(self.path), "level": self.level,
                "seed": self.seed, "steps": self.steps, "shots": self.shots,
                "total_counts": self.total_counts, "expected_signal": self.expected_signal,
                "expected_background": self.expected_background}


def simulate_run(experiment: Experiment, path: str | Path, *, level: str = "steps",
                 seed: int | None = None, chunk_shots: int = 1 << 18,
                 progress=None) -> SimulationSummary:
    """Simulate the campaign (:func:`renpsim.daq.simulate`) and summarise the run file.

    The file is written crash-safely (temporary name, atomic rename; the writer validates it
    before the rename) and its total counts are read back in blocks
    (:func:`renpsim.runfile.run_total_counts`): memory does not grow with the number of steps.
    """
    from renpsim.daq import simulate
    from renpsim.runfile import run_total_counts

    camp = experiment.campaign
    out = simulate(camp, path, level=level, seed=seed, chunk_shots=chunk_shots,
                   progress=progress)
    total = run_total_counts(out)
    exp = experiment.expected_totals()
    return SimulationSummary(
        campaign=camp.name, path=Path(out), level=level,
        seed=camp.seed if seed is None else int(seed), steps=len(camp.steps),
        shots=int(camp.steps.total_shots), total_counts=int(total),
        expected_signal=float(exp["signal"]),
        expected_background=float(exp["background"]))


def observed_steps(path: str | Path):
    """Per-step table of a run file (omega_eV, exposure_s, live_s, counts...) via its reader."""
    from renpsim.runfile import open_run

    return open_run(path).steps
