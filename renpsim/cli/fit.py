"""``renpsim fit``: maximum-likelihood fit of a run file (or a JSON binned dataset)."""

from __future__ import annotations

import json
from dataclasses import replace

import click

from renpsim.cli.options import FiniteFloat
from renpsim.errors import InputError
from renpsim.physics.oscillation import list_presets

COMPARE = ("none", "ordering", "nature")


def _parse_fix(items: tuple[str, ...]) -> dict:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError("option --fix", "fix", item, "NAME=VALUE")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError("option --fix", name, value, "a number") from None
    return out


def _split(items: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        out.extend(x for x in item.replace(",", " ").split() if x)
    return tuple(out)


@click.command("fit")
@click.argument("run", type=click.Path(dir_okay=False))
@click.option("--model", default="sm-dirac", show_default=True,
              type=click.Choice(["sm-dirac", "sm-majorana", "vector", "scalar", "dipole"]),
              help="Physics model to fit.")
@click.option("--coupling", default=None,
              help="BSM coupling for vector/scalar (gL11, gR11, yS11, yP11...).")
@click.option("--mediator-mass", "mediator_mass", type=FiniteFloat(0.0, min_open=True),
              default=1.0, show_default=True, help="Mediator mass in eV (fixed).")
@click.option("--ordering", type=click.Choice(["NO", "IO"]), default="NO", show_default=True)
@click.option("--oscillation", type=click.Choice(list_presets()), default=None,
              help="Oscillation preset constraining the oscillation nuisances "
                   "(default: the dataset's).")
@click.option("--free", "free", multiple=True,
              help="Parameters of interest to float (repeatable or comma separated).")
@click.option("--profile", "profile", multiple=True,
              help="Extra nuisances to profile (need their calibration).")
@click.option("--fix", "fix", multiple=True, help="NAME=VALUE to fix a parameter (repeatable).")
@click.option("--no-oscillation-constraints", is_flag=True,
              help="Fix the oscillation parameters at the preset's best fit.")
@click.option("--compare", type=click.Choice(COMPARE), default="none", show_default=True,
              help="Also compare discrete hypotheses (profiled minima, multi-start).")
@click.option("--no-profile-scan", is_flag=True,
              help="Skip the profile scan of the lightest mass (boundary-aware interval).")
@click.option("--validate-truth", is_flag=True,
              help="Read /truth (synthetic files) and report pulls against it.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def fit_cmd(run, model, coupling, mediator_mass, ordering, oscillation, free, profile, fix,
            no_oscillation_constraints, compare, no_profile_scan, validate_truth, as_json):
    """Fit RUN (.h5 run file or .json binned dataset).

    Reports the best fit, HESSE errors, correlations, goodness of fit and parameters at limits.
    """
    from renpsim.stats.fit import (
        compare_hypotheses,
        fit_multistart,
        mass_ordering_models,
        nature_models,
    )
    from renpsim.stats.io import load_dataset
    from renpsim.stats.model import BinnedLikelihood, model_from_name

    ds, truth = load_dataset(run, validate_truth=validate_truth)
    if oscillation:
        ds = replace(ds, oscillation=oscillation)
    spec = model_from_name(model, ordering=ordering, coupling=coupling,
                           mediator_mass_eV=mediator_mass)
    kw = dict(free=_split(free), fixed=_parse_fix(fix), profile=_split(profile),
              oscillation_constraints=not no_oscillation_constraints)
    lik = BinnedLikelihood(ds, spec, **kw)
    result = fit_multistart(lik, hypothesis=model)
    out = result.to_dict()
    out["run"] = str(run)
    out["model"] = {"name": model, "ordering": spec.ordering, "nature": spec.nature,
                    "coupling": spec.coupling,
                    "mediator_mass_eV": spec.mediator_mass_eV if spec.coupling else None}
    if lik.parameters["m_lightest_eV"].role != "fixed" and not no_profile_scan:
        import numpy as np

        from renpsim.stats.fit import profile_scan

        grid = np.linspace(0.0, max(0.1, 3 * result.values["m_lightest_eV"]), 41)
        prof = profile_scan(lik, "m_lightest_eV", grid, best=result)
        out["intervals"] = {"m_lightest_eV": {
            "method": "profile scan (boundary m_lightest >= 0; not MINOS)",
            "68.27%": list(prof.interval(1.0)), "95%": list(prof.interval(3.841458820694124)),
            "grid_max_eV": float(grid[-1])}}
    if spec.coupling is not None and not no_profile_scan:
        import numpy as np

        from renpsim.stats.fit import profile_scan

        name = spec.coupling
        err = result.errors[name]
        span = 5.0 * err if np.isfinite(err) and err > 0 else 10.0 * lik.parameters[name].step
        centre = result.values[name]
        grid = np.linspace(centre - span, centre + span, 41)
        prof = profile_scan(lik, name, grid, best=result)
        lo95, hi95 = prof.interval(3.841458820694124)
        out.setdefault("intervals", {})[name] = {
            "method": "profile scan (couplings enter squared; not MINOS)",
            "68.27%": list(prof.interval(1.0)), "95%": [lo95, hi95],
            "abs_upper_95": max(abs(lo95), abs(hi95)),
            "grid": [float(grid[0]), float(grid[-1])]}
    if compare != "none":
        models = (mass_ordering_models(spec.nature) if compare == "ordering"
                  else nature_models(spec.ordering))
        out["comparison"] = compare_hypotheses(ds, models, **kw).to_dict()
        for f in out["comparison"]["fits"].values():
            f.pop("correlation", None)
    if truth is not None:
        pulls = {}
        for name, p in out["parameters"].items():
            if name in truth and p["error"] > 0:
                pulls[name] = (p["value"] - float(truth[name])) / p["error"]
        out["truth"] = truth
        out["pulls"] = pulls
    if as_json:
        click.echo(json.dumps(out, indent=1, default=float))
        return
    _print_human(out)


def _print_human(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"renpsim fit {out['run']}  [{out['model']['name']}, "
                    f"{out['model']['ordering']}]")
    for col in ("parameter", "value", "error", "role"):
        t.add_column(col)
    for name, p in out["parameters"].items():
        flag = " (at limit)" if name in out["at_limit"] else ""
        t.add_row(name, f"{p['value']:.6g}{flag}", f"{p['error']:.3g}", p["role"])
    con.print(t)
    pv = out["p_value"]
    con.print(f"deviance = {out['deviance']:.4g}, objective = {out['objective']:.4g}, "
              f"ndof = {out['ndof']}, p = {'n/a' if pv is None else f'{pv:.3g}'}, "
              f"valid = {out['valid']}")
    for note in out["notes"]:
        con.print(f"note: {note}")
    if "comparison" in out:
        c = out["comparison"]
        con.print(f"preferred: {c['preferred']}; Delta chi^2: "
                  + ", ".join(f"{k} {v:.4g}" for k, v in c["delta_chi2"].items()))
    for name, iv in out.get("intervals", {}).items():
        con.print(f"{name}: 68.27% [{iv['68.27%'][0]:.4g}, {iv['68.27%'][1]:.4g}], "
                  f"95% [{iv['95%'][0]:.4g}, {iv['95%'][1]:.4g}] ({iv['method']})")
    if "pulls" in out:
        con.print("pulls vs truth: " + ", ".join(f"{k} {v:+.2f}" for k, v in out["pulls"].items()))
