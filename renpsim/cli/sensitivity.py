"""``renpsim sensitivity``: Asimov coupling limits, decision exposures and dwell optimisation."""

from __future__ import annotations

import json
import math

import click
import numpy as np

from renpsim.cli.options import FiniteFloat, GreedyFloats, PhaseType
from renpsim.errors import InputError

SCAN_CHOICES = ("mediator-mass", "m-lightest", "exposure", "discovery", "optimise-dwell",
                "dipole", "wilks", "sterile")


def _masses(masses, mass_range) -> np.ndarray:
    if masses and mass_range:
        raise click.UsageError("give either --masses or --mass-range, not both")
    if mass_range:
        lo, hi, n = mass_range
        if n != int(n) or n < 1 or not (0 < lo < hi):
            raise InputError("option --mass-range", "LO HI N", mass_range,
                             "0 < LO < HI and a whole number N >= 1")
        return np.logspace(math.log10(lo), math.log10(hi), int(n))
    if masses:
        return np.asarray(masses, dtype=float)
    return np.logspace(-3, 4, 57)


@click.command("sensitivity")
@click.argument("campaign")
@click.option("--scan", type=click.Choice(SCAN_CHOICES), default="mediator-mass",
              show_default=True, help="What to compute.")
@click.option("--mediator", type=click.Choice(["vector", "scalar", "dipole"]), default="vector",
              show_default=True)
@click.option("--coupling", default=None,
              help="gL11/gR11 (vector, default gL11), yS11/yP11 (scalar, default yS11) or "
                   "mu11/eps12... (dipole, in mu_B).")
@click.option("--masses", cls=GreedyFloats, type=float, default=(),
              help="Mediator masses in eV (one or more numbers).")
@click.option("--mass-range", "mass_range", type=(float, float, float), default=None,
              help="LO HI N: N log-spaced mediator masses (sterile masses m4 for --scan "
                   "sterile).")
@click.option("--sterile-phase", "sterile_phase", type=PhaseType(), default=0.0,
              show_default=True, help="--scan sterile: phase of U_e4 (radians or '90deg').")
@click.option("--m-lightest", "m_lightest", cls=GreedyFloats, type=float, default=(),
              help="Lightest masses in eV for --scan m-lightest.")
@click.option("--mediator-mass", "mediator_mass", type=FiniteFloat(0.0, min_open=True),
              default=1e-3, show_default=True,
              help="Mediator mass (eV) for m-lightest, discovery, exposure, optimise-dwell.")
@click.option("--delta-chi2", "delta_chi2", type=FiniteFloat(0.0, min_open=True), default=None,
              help="Delta chi^2 threshold (default: from --cl and --dof; 3.84 = 95% CL 1 dof. "
                   "GP21 used 5.99, the 95% point for 2 dof).")
@click.option("--cl", type=FiniteFloat(0.0, min_open=True), default=None,
              help="Confidence level (default 0.95).")
@click.option("--dof", type=click.IntRange(1, 10), default=None,
              help="Degrees of freedom of the threshold (default 1).")
@click.option("--sign", type=click.Choice(["both", "+", "-"]), default="both",
              show_default=True, help="Coupling sign tested (both: the weaker limit; the "
                                      "output names the sign that gave it).")
@click.option("--sided", type=click.Choice(["two", "one"]), default="two", show_default=True,
              help="Limit convention for the threshold from --cl/--dof: one-sided for a "
                   "coupling of known sign (95%, 1 dof: 2.71), two-sided (3.84).")
@click.option("--majorana-phases", "majorana_phases", type=click.Choice(["profiled", "fixed"]),
              default="profiled", show_default=True,
              help="Majorana hypotheses of --decision nature/ordering: fit the phases alpha21, "
                   "alpha31 - 2 delta (multi-start on the torus) or keep them at 0.")
@click.option("--profile-norm", is_flag=True,
              help="Profile a free normalisation (default: fixed, as GP21).")
@click.option("--scalar-phase", type=click.Choice(["gp21", "physical"]), default="physical",
              show_default=True, help="Pseudoscalar current phase convention (physics.md 0.7).")
@click.option("--width-fraction", type=FiniteFloat(0.0), default=1e-6, show_default=True,
              help="Mediator width Gamma/M [assumption].")
@click.option("--ordering", type=click.Choice(["NO", "IO"]), default=None,
              help="Override the campaign's true ordering.")
@click.option("--nature", type=click.Choice(["dirac", "majorana"]), default=None,
              help="Override the campaign's true neutrino nature.")
@click.option("--true-m-lightest", "true_m_lightest", type=FiniteFloat(0.0), default=None,
              help="Override the campaign's true lightest mass (eV).")
@click.option("--decision", type=click.Choice(["ordering", "lightest-mass", "nature", "limit"]),
              default="ordering", show_default=True,
              help="For exposure / optimise-dwell: which decision (or 'limit').")
@click.option("--sigma", "n_sigma", type=FiniteFloat(0.0, min_open=True), default=3.0,
              show_default=True, help="Target significance for --scan exposure.")
@click.option("--target-limit", type=FiniteFloat(0.0, min_open=True), default=None,
              help="With --scan exposure --decision limit: coupling limit to reach.")
@click.option("--coupling-value", type=float, default=None,
              help="True coupling for --scan discovery.")
@click.option("--toys", "n_toys", type=click.IntRange(0, 10**7), default=0, show_default=True,
              help="SM toys: expected-limit bands (mediator-mass scan) or the Wilks check "
                   "(--scan wilks).")
@click.option("--seed", type=click.IntRange(0, None), default=None,
              help="SeedSequence entropy for --toys (recorded in the output; random if omitted).")
@click.option("--executor", type=click.Choice(["serial", "processes", "dask"]),
              default="serial", show_default=True)
@click.option("--workers", type=click.IntRange(1, 1024), default=None)
@click.option("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None)
@click.option("--hdf5", "h5_path", type=click.Path(dir_okay=False), default=None)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sensitivity_cmd(campaign, scan, mediator, coupling, masses, mass_range, sterile_phase,
                    m_lightest,
                    mediator_mass, delta_chi2, cl, dof, sign, sided, majorana_phases,
                    profile_norm, scalar_phase,
                    width_fraction, ordering, nature, true_m_lightest, decision, n_sigma,
                    target_limit, coupling_value, n_toys, seed, executor, workers, scheduler,
                    csv_path, h5_path, plot_path, as_json):
    """Asimov sensitivity of CAMPAIGN (e.g. gp21-benchmark).

    Coupling limits versus mediator mass (GP21 Fig. 3) or lightest mass (Fig. 4), discovery
    significance, exposure needed for a decision and dwell-time optimisation.
    """
    from renpsim.stats.benchmark import load_campaign
    from renpsim.stats.executor import Executor
    from renpsim.stats.scan import resolve_threshold, sensitivity_scan
    from renpsim.stats.sensitivity import AsimovSetup
    from renpsim.stats.spectra import parse_coupling

    if scan == "dipole":
        mediator = "dipole"
    if mediator == "dipole" and scan not in ("dipole", "discovery", "exposure", "wilks"):
        raise InputError("option --scan", "scan", scan,
                         "'dipole' (limits per matrix element) for dipole moments")
    coupling = coupling or {"vector": "gL11", "scalar": "yS11", "dipole": "mu11"}[mediator]
    c = parse_coupling(coupling, "option --coupling")
    if c.mediator != mediator:
        families = {"vector": "gL/gR", "scalar": "yS/yP", "dipole": "mu/eps"}[mediator]
        raise InputError("option --coupling", "coupling", coupling,
                         f"a {mediator} coupling ({families}ij)")
    camp = load_campaign(campaign)
    over = {"profile_norm": profile_norm, "scalar_phase": scalar_phase,
            "width_fraction": width_fraction}
    for key, val in (("ordering", ordering), ("nature", nature),
                     ("m_lightest_eV", true_m_lightest)):
        if val is not None:
            over[key] = val
    setup = AsimovSetup.from_campaign(camp, **over)
    thr, cl_, dof_ = resolve_threshold(delta_chi2, cl, dof, sided)
    default_note = ("default" if delta_chi2 is None and cl is None and dof is None
                    else "as requested")
    out = {"campaign": campaign, "scan": scan, "coupling": c.name, "delta_chi2": thr,
           "dof": dof_, "cl": cl_, "sided": sided, "sign_tested": sign,
           "threshold_note": f"Delta chi^2 = {thr:.4g} = {cl_:.4g} CL {sided}-sided "
           f"for {dof_} dof ({default_note}); sign tested: {sign}", "setup": setup.to_dict()}
    if scan in ("mediator-mass", "m-lightest"):
        grid = (_masses(masses, mass_range) if scan == "mediator-mass"
                else np.asarray(m_lightest or (0.0, 0.005, 0.01, 0.02, 0.03, 0.05), float))
        with Executor(executor, workers=workers, scheduler=scheduler) as ex:
            table = sensitivity_scan(setup, scan, c.name, grid, delta_chi2=thr, dof=dof_,
                                     mediator_mass_eV=mediator_mass, sign=sign, executor=ex,
                                     meta={"campaign": campaign}, sided=sided)
            bands = None
            if n_toys and scan == "mediator-mass":
                from renpsim.stats.executor import new_entropy
                from renpsim.stats.scan import toy_limit_bands

                seed = new_entropy() if seed is None else seed
                bands = toy_limit_bands(setup, c.name, grid, delta_chi2=thr, n_toys=n_toys,
                                        entropy=seed, executor=ex)
                out["toys"] = {"n": n_toys, "seed": seed}
        out["cl"] = table.cl
        out["quantity"] = table.quantity
        out["lineage"] = table.lineage
        xcol = table.x
        out["rows"] = [{xcol: float(x), "limit": (None if not math.isfinite(v) else float(v)),
                        "sign": str(sg), "status": int(s)}
                       for x, v, sg, s in zip(table.frame[xcol], table.frame["limit"],
                                              table.frame["limit_sign"], table.frame["status"],
                                              strict=True)]
        if bands is not None:
            for row, (_, b) in zip(out["rows"], bands.iterrows(), strict=True):
                row.update({k: float(b[k]) for k in ("toy_median", "toy_lo68", "toy_hi68",
                                                     "toy_lo95", "toy_hi95")})
        if csv_path or h5_path or plot_path:
            from renpsim.stats.output import plot_table, write_csv, write_hdf5

            if csv_path:
                write_csv(table, csv_path)
            if h5_path:
                write_hdf5(table, h5_path)
            if plot_path:
                plot_table(table, plot_path)
    elif scan == "sterile":
        from renpsim.stats.sensitivity import sterile_limits_vs_mass

        grid = (_masses(masses, mass_range) if (masses or mass_range)
                else np.array([0.05, 0.1, 0.3, 0.6]))
        r = sterile_limits_vs_mass(setup, grid, thr, sterile_phase)
        out.update(quantity="sterile_Ue4_sq", coupling="Ue4_sq", sign_tested="+",
                   sterile_phase_rad=sterile_phase,
                   threshold_note=out["threshold_note"].replace(f"sign tested: {sign}",
                                                                "|U_e4|^2 >= 0"))
        out["rows"] = [{"m4_eV": float(m), "limit": (float(v) if math.isfinite(v) else None),
                        "sign": "+", "status": int(s)}
                       for m, v, s in zip(r["m4_eV"], r["limit"], r["status"], strict=True)]
        if csv_path or h5_path or plot_path:
            _write_sterile_table(r, setup, thr, cl_, dof_, sided, sterile_phase, campaign,
                                 csv_path, h5_path, plot_path)
    elif scan == "dipole":
        from renpsim.stats.sensitivity import dipole_limits

        lims = dipole_limits(setup, thr)
        out["sign_tested"] = "both"  # moduli of the moments: both signs, the weaker kept
        out["quantity"] = "dipole_mu"
        out["unit"] = "mu_B"
        out["rows"] = [{"element": k, "limit": (v if math.isfinite(v) else None)}
                       for k, v in lims.items()]
    elif scan == "wilks":
        out["rows"] = [_wilks(camp, setup, c.name, mediator_mass, dof_, cl_, n_toys, seed,
                              workers, executor, scheduler)]
    elif scan == "discovery":
        from renpsim.stats.sensitivity import discovery_significance

        if coupling_value is None:
            raise InputError("option --coupling-value", "coupling_value", None,
                             "the true coupling for --scan discovery")
        grid = _masses(masses, mass_range) if (masses or mass_range) else np.array(
            [mediator_mass])
        z = discovery_significance(setup, c.name, coupling_value, grid)
        out["rows"] = [{"m_eV": float(m), "Z": float(v)} for m, v in zip(grid, z, strict=True)]
    elif scan == "exposure":
        out["rows"] = [_exposure(camp, setup, c.name, decision, n_sigma, target_limit,
                                 mediator_mass, thr, profile_norm, majorana_phases)]
    else:
        out["rows"] = [_optimise(camp, setup, c.name, decision, mediator_mass, thr,
                                 profile_norm, majorana_phases)]
    if as_json:
        click.echo(json.dumps(out, indent=1, default=float))
    else:
        _print_human(out)


def _write_sterile_table(r, setup, thr, cl, dof, sided, phase, campaign, csv_path, h5_path,
                         plot_path) -> None:
    """Write the sterile reach as a sensitivity table (CSV/HDF5/plot, the usual formats)."""
    import pandas as pd

    from renpsim.stats.output import (
        SensitivityTable,
        lineage_hash,
        plot_table,
        write_csv,
        write_hdf5,
    )

    frame = pd.DataFrame({"m4_eV": r["m4_eV"], "limit": r["limit"], "status": r["status"],
                          "limit_sign": "+"})
    inputs = {"setup": setup.to_dict(), "scan": "sterile", "grid": list(map(float, r["m4_eV"])),
              "delta_chi2": thr, "sterile_phase_rad": phase}
    table = SensitivityTable(quantity="sterile_Ue4_sq", x="m4_eV", frame=frame, cl=cl, dof=dof,
                             delta_chi2=thr, lineage=lineage_hash(inputs),
                             meta={"coupling": "Ue4_sq", "scan": "sterile", "sign_tested": "+",
                                   "sided": sided, "sterile_phase_rad": phase,
                                   "profile_norm": setup.profile_norm, "campaign": campaign})
    if csv_path:
        write_csv(table, csv_path)
    if h5_path:
        write_hdf5(table, h5_path)
    if plot_path:
        plot_table(table, plot_path)


def _wilks(camp, setup, coupling, mediator_mass, dof, cl, n_toys, seed, workers, executor,
           scheduler) -> dict:
    """Toy distribution of Delta chi^2 for the coupling at the truth (0) against chi^2(dof)."""
    from renpsim.stats.executor import Executor, new_entropy
    from renpsim.stats.model import ModelSpec
    from renpsim.stats.toys import ToyConfig, run_toys, wilks_check

    if n_toys < 20:
        raise InputError("option --toys", "toys", n_toys, "at least 20 toys for --scan wilks")
    seed = new_entropy() if seed is None else seed
    spec = ModelSpec(ordering=setup.ordering, nature=setup.nature, coupling=coupling,
                     mediator_mass_eV=mediator_mass, m_lightest_eV=setup.m_lightest_eV)
    fixed = {"m_lightest_eV": setup.m_lightest_eV}
    if not setup.profile_norm:
        fixed["norm"] = 1.0
    cfg = ToyConfig(_dataset(camp, setup), spec, truth={coupling: 0.0}, poi=coupling,
                    fixed=fixed)
    with Executor(executor, workers=workers, scheduler=scheduler) as ex:
        toys = run_toys(cfg, n_toys, entropy=seed, executor=ex)
    w = wilks_check(toys.delta_chi2, dof=dof, cl=cl)
    return {"coupling": coupling, "mediator_mass_eV": mediator_mass, "n_toys": n_toys,
            "seed": seed, "dof": dof, "cl": cl, "ks_pvalue": w.ks_pvalue,
            "asymptotic_threshold": w.asymptotic_threshold, "toy_threshold": w.toy_threshold,
            "toy_threshold_error": w.toy_threshold_error,
            "use_toy_threshold": w.use_toy_threshold, "threshold": w.threshold}


def _truth_spec(setup):
    from renpsim.stats.model import ModelSpec

    return ModelSpec(ordering=setup.ordering, nature=setup.nature,
                     m_lightest_eV=setup.m_lightest_eV)


def _dataset(camp, setup):
    from dataclasses import replace

    return replace(camp.dataset(), oscillation=setup.oscillation)


def _exposure(camp, setup, coupling, decision, n_sigma, target_limit, mediator_mass, thr,
              profile_norm, majorana_phases="profiled") -> dict:
    from renpsim.stats.planning import exposure_for_decision, exposure_for_limit

    if decision == "limit":
        if target_limit is None:
            raise InputError("option --target-limit", "target_limit", None,
                             "a coupling value for --decision limit")
        r = exposure_for_limit(setup, coupling, mediator_mass, target_limit, thr)
        return {"decision": "limit", "target_limit": target_limit, **r}
    r = exposure_for_decision(_dataset(camp, setup), _truth_spec(setup), decision, n_sigma,
                              profile_norm=profile_norm, majorana_phases=majorana_phases)
    return {"decision": decision, "n_sigma": n_sigma, "majorana_phases": majorana_phases, **r}


def _optimise(camp, setup, coupling, decision, mediator_mass, thr, profile_norm,
              majorana_phases="profiled") -> dict:
    from renpsim.stats.planning import optimise_dwell_for_decision, optimise_dwell_for_limit

    if decision == "limit":
        p = optimise_dwell_for_limit(setup, coupling, mediator_mass, thr)
    else:
        p = optimise_dwell_for_decision(_dataset(camp, setup), _truth_spec(setup), decision,
                                        profile_norm=profile_norm,
                                        majorana_phases=majorana_phases)
    return {"objective": p.objective, "omega_eV": p.omega_eV.tolist(),
            "dwell_before_s": p.dwell_before_s.tolist(), "dwell_after_s": p.dwell_after_s.tolist(),
            "before": p.figure_before, "after": p.figure_after}


def _print_human(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    rows = out["rows"]
    t = Table(title=f"renpsim sensitivity {out['campaign']} --scan {out['scan']} "
                    f"({out['coupling']})")
    keys = [k for k in rows[0] if k != "status"] if rows else []
    if len(rows) == 1 and len(keys) > 5:  # one result with many fields: key/value table
        t.add_column("quantity")
        t.add_column("value")
        for k in keys:
            v = rows[0][k]
            t.add_row(k, f"{v:.6g}" if isinstance(v, float) else str(v))
        con.print(t)
        con.print(out["threshold_note"])
        return
    for k in keys:
        t.add_column(k)
    for r in rows:
        t.add_row(*[(f"{v:.4g}" if isinstance(v, float) else str(v)) for v in
                    (r[k] for k in keys)])
    con.print(t)
    con.print(out["threshold_note"])
    if "lineage" in out:
        con.print(f"lineage {out['lineage']}")
