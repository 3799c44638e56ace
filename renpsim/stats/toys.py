"""Pseudo-experiments (toys): Poisson data from a known truth, fitted with the full likelihood.

Used for pull checks (fitted - true)/error, the Wilks check of the Delta chi^2 distribution and
toy-based thresholds. Tasks are pure functions of plain data (:func:`toy_task`); toy ``k`` uses
the generator :func:`~renpsim.stats.executor.toy_seed` (entropy, k), so a set of toys is the
same whatever the executor, worker count or chunking; partial results merge with
:func:`merge_toys`.

Convention: the auxiliary measurements (calibration constraint centres, dark-run counts) are
kept at their recorded values; only the scan-step counts fluctuate (conditional toys).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import stats as _st

from renpsim.errors import InputError
from renpsim.stats.dataset import BinnedDataset
from renpsim.stats.executor import Executor, chunk, new_entropy, toy_seed
from renpsim.stats.fit import _minuit
from renpsim.stats.model import BinnedLikelihood, ModelSpec


@dataclass(frozen=True)
class ToyConfig:
    """Plain-data description of a toy study.

    Attributes
    ----------
    dataset : BinnedDataset
        Exposure and calibration (its counts are replaced by each toy).
    model : ModelSpec
        Model used for generation and fitting.
    truth : dict
        Parameter values of the truth (others nominal).
    poi : str
        Parameter tested in Delta chi^2 = chi^2(poi fixed at truth) - chi^2(poi free).
    free, fixed : tuple, dict
        Passed to :class:`BinnedLikelihood`.
    oscillation_constraints : bool
        Profile oscillation parameters (default False for speed in toys).

    """

    dataset: BinnedDataset
    model: ModelSpec
    truth: dict = field(default_factory=dict)
    poi: str = "norm"
    free: tuple = ()
    fixed: dict = field(default_factory=dict)
    oscillation_constraints: bool = False

    def likelihood(self, counts=None) -> BinnedLikelihood:
        """Return the likelihood of this configuration (optionally with other counts)."""
        ds = self.dataset if counts is None else self.dataset.with_counts(counts)
        return BinnedLikelihood(ds, self.model, free=self.free, fixed=dict(self.fixed),
                                oscillation_constraints=self.oscillation_constraints)


@dataclass
class ToyResult:
    """Results of a set of toys (mergeable).

    Attributes
    ----------
    index : numpy.ndarray
        Global toy indices.
    delta_chi2 : numpy.ndarray
        chi^2(poi = truth) - chi^2(best).
    values, errors : numpy.ndarray
        Best-fit values and HESSE errors, shape (n_toys, n_floating).
    names : list of str
        Column names of ``values``.
    valid : numpy.ndarray
        MIGRAD validity of the unconditional fit.
    truth : dict
        True values of the floating parameters.
    entropy : int
        Recorded SeedSequence entropy.

    """

    index: NDArray[np.int64]
    delta_chi2: NDArray[np.float64]
    values: NDArray[np.float64]
    errors: NDArray[np.float64]
    names: list
    valid: NDArray[np.bool_]
    truth: dict
    entropy: int

    def pulls(self, name: str) -> NDArray[np.float64]:
        """(fitted - true)/error of parameter ``name`` over the valid toys."""
        if name not in self.names:
            raise InputError("toys", "parameter", name, "one of " + ", ".join(self.names))
        k = self.names.index(name)
        ok = self.valid & (self.errors[:, k] > 0)
        return (self.values[ok, k] - self.truth[name]) / self.errors[ok, k]


def toy_task(payload: dict) -> dict:
    """Run the toys ``payload["indices"]`` of ``payload["config"]`` (pure; executor task)."""
    cfg: ToyConfig = payload["config"]
    entropy = int(payload["entropy"])
    lik = cfg.likelihood()
    x_true = lik.vector(cfg.truth)
    mu = lik.expected(x_true)
    names = lik.floating
    out_d, out_v, out_e, out_ok = [], [], [], []
    for idx in payload["indices"]:
        rng = toy_seed(entropy, idx)
        counts = rng.poisson(mu).astype(np.float64)
        tl = lik.with_counts(counts)
        sm = _minuit(tl, cfg.truth)
        m = sm.m
        m.strategy = 0
        m.migrad()
        m.hesse()
        full = m.fval
        out_v.append([sm.value(n) for n in names])
        out_e.append([sm.error(n) for n in names])
        out_ok.append(bool(m.valid))
        sm.set(cfg.poi, cfg.truth.get(cfg.poi, lik.parameters[cfg.poi].value), fixed=True)
        m.migrad()
        out_d.append(max(m.fval - full, 0.0))
    return {"index": list(payload["indices"]), "delta_chi2": out_d, "values": out_v,
            "errors": out_e, "valid": out_ok, "names": names,
            "truth": {n: float(x_true[lik.names.index(n)]) for n in names}}


def merge_toys(parts: list[dict], entropy: int) -> ToyResult:
    """Merge partial toy results (any order) into one :class:`ToyResult` sorted by index.

    Raises
    ------
    InputError
        The parts overlap (a toy index appears twice) or disagree on the parameters.

    """
    parts = [p for p in parts if p["index"]]
    if not parts:
        raise InputError("toys", "parts", [], "at least one non-empty partial result")
    names = parts[0]["names"]
    if any(p["names"] != names for p in parts):
        raise InputError("toys", "names", [p["names"] for p in parts], "the same parameters")
    idx = np.concatenate([np.asarray(p["index"], dtype=np.int64) for p in parts])
    if np.unique(idx).size != idx.size:
        raise InputError("toys", "index", "duplicates", "disjoint toy indices in the parts")
    order = np.argsort(idx)

    def cat(key, dtype=float):
        return np.concatenate([np.asarray(p[key], dtype=dtype).reshape(len(p["index"]), -1)
                               for p in parts])[order]

    return ToyResult(index=idx[order], delta_chi2=cat("delta_chi2")[:, 0],
                     values=cat("values"), errors=cat("errors"), names=list(names),
                     valid=cat("valid", bool)[:, 0], truth=parts[0]["truth"], entropy=entropy)


def run_toys(config: ToyConfig, n_toys: int, *, entropy: int | None = None,
             executor: Executor | None = None, first_index: int = 0,
             chunks_per_worker: int = 2) -> ToyResult:
    """Run ``n_toys`` toys (indices first_index .. first_index + n_toys - 1).

    Parameters
    ----------
    config : ToyConfig
        What to generate and fit.
    n_toys : int
        Number of toys (>= 1).
    entropy : int, optional
        SeedSequence entropy; recorded in the result (new if None).
    executor : Executor, optional
        Back end (serial if None).
    first_index : int
        Offset of the global toy index (to extend a study; results merge).
    chunks_per_worker : int
        Tasks per worker (load balancing only; results do not depend on it).

    """
    if not isinstance(n_toys, int | np.integer) or n_toys < 1:
        raise InputError("toys", "n_toys", n_toys, "a whole number >= 1")
    entropy = new_entropy() if entropy is None else int(entropy)
    ex = executor or Executor("serial")
    indices = list(range(first_index, first_index + int(n_toys)))
    payloads = [{"config": config, "entropy": entropy, "indices": c}
                for c in chunk(indices, ex.n_workers * chunks_per_worker)]
    return merge_toys(ex.map(toy_task, payloads), entropy)


@dataclass
class WilksCheck:
    """Comparison of a toy Delta chi^2 distribution with chi^2(dof).

    Attributes
    ----------
    dof : int
        Degrees of freedom tested.
    ks_pvalue : float
        Kolmogorov-Smirnov p-value of the toys against chi^2(dof).
    cl : float
        Confidence level of the thresholds.
    asymptotic_threshold, toy_threshold : float
        Wilks and toy-quantile thresholds at ``cl``.
    toy_threshold_error : float
        Binomial standard error of the toy quantile.
    use_toy_threshold : bool
        True when the toys disagree with Wilks (KS p < 0.01 or the quantiles differ by more
        than 3 standard errors): the toy threshold should then be used.

    """

    dof: int
    ks_pvalue: float
    cl: float
    asymptotic_threshold: float
    toy_threshold: float
    toy_threshold_error: float
    use_toy_threshold: bool

    @property
    def threshold(self) -> float:
        """The threshold to use (toy-based when Wilks fails)."""
        return self.toy_threshold if self.use_toy_threshold else self.asymptotic_threshold


def wilks_check(delta_chi2: NDArray[np.float64], dof: int = 1, cl: float = 0.95) -> WilksCheck:
    """Test the toy distribution of Delta chi^2 against chi^2(dof) (Wilks; [physics §6.2])."""
    d = np.asarray(delta_chi2, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 20:
        raise InputError("toys", "n_toys", int(d.size), "at least 20 valid toys")
    ks = float(_st.kstest(d, _st.chi2(dof).cdf).pvalue)
    q_asym = float(_st.chi2.ppf(cl, dof))
    q_toy = float(np.quantile(d, cl))
    # standard error of a quantile: sqrt(p(1-p)/n) / f(q), f from the asymptotic density
    dens = max(float(_st.chi2.pdf(q_toy, dof)), 1e-6)
    err = float(np.sqrt(cl * (1 - cl) / d.size) / dens)
    use_toy = ks < 0.01 or abs(q_toy - q_asym) > 3 * err
    return WilksCheck(dof=dof, ks_pvalue=ks, cl=cl, asymptotic_threshold=q_asym,
                      toy_threshold=q_toy, toy_threshold_error=err, use_toy_threshold=use_toy)


__all__ = ["ToyConfig", "ToyResult", "WilksCheck", "merge_toys", "run_toys", "toy_task",
           "wilks_check"]
