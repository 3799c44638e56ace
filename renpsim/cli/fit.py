"""``renpsim fit``: maximum-likelihood fit of a run file (or a JSON binned dataset)."""

from __future__ import annotations

import click

from renpsim._json import dumps
from renpsim.cli.options import FiniteFloat
from renpsim.errors import InputError
from renpsim.experiment.fit import COMPARE, MODELS
from renpsim.physics.oscillation import list_presets


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
              type=click.Choice(MODELS),
              help="Physics model to fit.")
@click.option("--coupling", default=None,
              help="BSM coupling for vector/scalar/dipole (gL11, gR11, yS11, yP11, mu12...).")
@click.option("--nature", type=click.Choice(["dirac", "majorana"]), default=None,
              help="Neutrino nature of a vector/scalar/dipole model (default dirac; the "
                   "sm-* models name their own). Majorana dipole moments are off-diagonal.")
@click.option("--mediator-mass", "mediator_mass", type=FiniteFloat(0.0, min_open=True),
              default=1.0, show_default=True, help="Mediator mass in eV (fixed).")
@click.option("--ordering", type=click.Choice(["NO", "IO"]), default="NO", show_default=True,
              help="Neutrino mass ordering of the model: normal (NO) or inverted (IO).")
@click.option("--oscillation", type=click.Choice(list_presets()), default=None,
              help="Oscillation preset constraining the oscillation nuisances "
                   "(default: the one the run file records).")
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
@click.option("--allow-invalid", is_flag=True,
              help="Exit 0 even if the minimiser reports an invalid fit (default: exit 1).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def fit_cmd(run, model, coupling, nature, mediator_mass, ordering, oscillation, free, profile, fix,
            no_oscillation_constraints, compare, no_profile_scan, validate_truth, allow_invalid,
            as_json):
    """Fit RUN (.h5 run file or .json binned dataset).

    Reports the best fit, HESSE errors, correlations, goodness of fit and parameters at limits.
    """
    from renpsim.cli.options import option_errors
    from renpsim.experiment import fit_run_file

    with option_errors():
        res = fit_run_file(run, model=model, coupling=coupling, nature=nature,
                           mediator_mass_eV=mediator_mass,
                           ordering=ordering, oscillation=oscillation, free=_split(free),
                           fixed=_parse_fix(fix), profile=_split(profile),
                           oscillation_constraints=not no_oscillation_constraints,
                           compare=compare, profile_scans=not no_profile_scan,
                           validate_truth=validate_truth)
    out = res.report
    if as_json:
        click.echo(dumps(out))
    else:
        _print_human(out)
    if not res.valid and not allow_invalid:
        click.echo("renpsim: error: fit of " + str(run) + " is not valid (the minimiser did "
                   "not converge); inspect it, or pass --allow-invalid to accept it", err=True)
        raise click.exceptions.Exit(1)


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
    osc = out["oscillation"]
    con.print(f"oscillation preset {osc['preset']} ({osc['source']}); normalisation "
              f"{out['normalisation']}")
    for note in out["notes"]:
        con.print(f"note: {note}")
    if "comparison" in out:
        c = out["comparison"]
        con.print(f"preferred: {c['preferred']}; Delta chi^2: "
                  + ", ".join(f"{k} {v:.4g}" for k, v in c["delta_chi2"].items()))
    for name, iv in out.get("intervals", {}).items():
        con.print(f"{name}: 68.27% [{iv['68.27%'][0]:.4g}, {iv['68.27%'][1]:.4g}], "
                  f"95% [{iv['95%'][0]:.4g}, {iv['95%'][1]:.4g}] ({iv['method']})")
        for cl, ends in iv.get("scan_edge_bounds", {}).items():
            con.print(f"  {cl}: " + ", ".join(f"{side} end = scan edge {x:.4g} (a bound, "
                                              "not a measured end)"
                                              for side, x in ends.items()))
    if "pulls" in out:
        con.print("pulls vs truth: " + ", ".join(f"{k} {v:+.2f}" for k, v in out["pulls"].items()))
