"""Toy studies: expected-limit bands and the Wilks check of the Delta chi^2 threshold.

Seeds are spawned from one recorded SeedSequence entropy by toy index, so the numbers do not
depend on the executor or the worker count.
"""

from __future__ import annotations

from renpsim.experiment.forecast import Experiment
from renpsim.experiment.results import ToyBands


def new_seed() -> int:
    """Fresh SeedSequence entropy (record it: it reproduces the toys)."""
    from renpsim.stats.executor import new_entropy

    return new_entropy()


def toy_bands(experiment: Experiment, coupling: str, masses_eV, *, delta_chi2: float,
              n_toys: int, seed: int, executor=None, **setup_kw) -> ToyBands:
    """Median and central 68% / 95% of SM-toy limits per mediator mass."""
    from renpsim.stats.scan import toy_limit_bands

    setup = experiment.asimov_setup(**setup_kw)
    frame = toy_limit_bands(setup, coupling, masses_eV, delta_chi2=delta_chi2, n_toys=n_toys,
                            entropy=seed, executor=executor)
    return ToyBands(coupling=coupling, n_toys=int(n_toys), frame=frame,
                    assumptions=experiment.assumptions(setup, delta_chi2=delta_chi2,
                                                       seed=int(seed)))


def wilks_check(experiment: Experiment, coupling: str, mediator_mass_eV: float, *, dof: int,
                cl: float, n_toys: int, seed: int, executor=None, **setup_kw) -> dict:
    """Toy distribution of Delta chi^2 for the coupling at its true value 0 against chi^2(dof).

    Returns a plain row (toy and asymptotic thresholds, KS p-value, the threshold to use) with
    the normalisation treatment and the seed.
    """
    from renpsim.experiment.decisions import truth_spec
    from renpsim.stats.model import ModelSpec
    from renpsim.stats.toys import ToyConfig, run_toys
    from renpsim.stats.toys import wilks_check as _wilks

    setup = experiment.asimov_setup(**setup_kw)
    t = truth_spec(setup)
    spec = ModelSpec(ordering=t.ordering, nature=t.nature, coupling=coupling,
                     mediator_mass_eV=mediator_mass_eV, m_lightest_eV=t.m_lightest_eV)
    fixed = {"m_lightest_eV": setup.m_lightest_eV}
    if not setup.profile_norm:
        fixed["norm"] = 1.0
    cfg = ToyConfig(experiment.asimov_dataset(setup), spec, truth={coupling: 0.0}, poi=coupling,
                    fixed=fixed)
    toys = run_toys(cfg, n_toys, entropy=seed, executor=executor)
    w = _wilks(toys.delta_chi2, dof=dof, cl=cl)
    return {"coupling": coupling, "mediator_mass_eV": mediator_mass_eV, "n_toys": n_toys,
            "seed": seed, "dof": dof, "cl": cl,
            "normalisation": "profiled" if setup.profile_norm else "fixed",
            "ks_pvalue": w.ks_pvalue, "asymptotic_threshold": w.asymptotic_threshold,
            "toy_threshold": w.toy_threshold, "toy_threshold_error": w.toy_threshold_error,
            "use_toy_threshold": w.use_toy_threshold, "threshold": w.threshold}
