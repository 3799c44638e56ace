"""``renpsim sensitivity``: Asimov coupling limits, decision exposures and dwell optimisation."""

from __future__ import annotations

import math

import click
import numpy as np

from renpsim._json import dumps
from renpsim.cli.options import (
    CampaignCommand,
    FiniteFloat,
    GreedyFloats,
    OutputPath,
    PhaseType,
    complete_campaign,
)
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


@click.command("sensitivity", cls=CampaignCommand)
@click.argument("campaign", shell_complete=complete_campaign)
@click.option("--scan", type=click.Choice(SCAN_CHOICES), default="mediator-mass",
              show_default=True, help="What to compute.")
@click.option("--mediator", type=click.Choice(["vector", "scalar", "dipole"]), default="vector",
              show_default=True, help="Which BSM term the limit is on: a light vector or "
                                      "scalar mediator, or neutrino dipole moments.")
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
              help="Majorana hypotheses (Majorana-truth limits, their toy bands, the "
                   "discovery significance, --decision nature/ordering): "
                   "fit the phases alpha21, alpha31 - 2 delta (multi-start on the torus) or "
                   "keep them at 0.")
@click.option("--normalisation", type=click.Choice(["fixed", "profiled"]), default=None,
              help="Signal normalisation: fixed (default, as GP21: no systematics) or "
                   "profiled (free).")
@click.option("--profile-norm", is_flag=True, help="Same as --normalisation profiled.")
@click.option("--scalar-phase", type=click.Choice(["gp21", "physical"]), default="physical",
              show_default=True,
              help="Pseudoscalar current phase convention ([physics §0] item 7).")
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
              default="serial", show_default=True,
              help="Where toys and scan points run: in this process, in local worker "
                   "processes, or on Dask (pip install '.[dask]'); results do not depend on it.")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Number of workers of --executor processes/dask (default: the CPU count).")
@click.option("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT.")
@click.option("--csv", "csv_path", type=OutputPath(), default=None,
              help="Also write the table to this CSV file (renpsim-sensitivity header).")
@click.option("--hdf5", "h5_path", type=OutputPath(), default=None,
              help="Also write the result to this HDF5 file.")
@click.option("--plot", "plot_path", type=OutputPath(), default=None,
              help="Also draw the result into this figure file (.png, .pdf or .svg).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sensitivity_cmd(campaign, scan, mediator, coupling, masses, mass_range, sterile_phase,
                    m_lightest, mediator_mass, delta_chi2, cl, dof, sign, sided,
                    majorana_phases, normalisation, profile_norm, scalar_phase,
                    width_fraction, ordering, nature, true_m_lightest, decision, n_sigma,
                    target_limit, coupling_value, n_toys, seed, executor, workers, scheduler,
                    csv_path, h5_path, plot_path, as_json):
    """Asimov sensitivity of CAMPAIGN (e.g. gp21-benchmark).

    Coupling limits versus mediator mass (GP21 Fig. 3) or lightest mass (Fig. 4), discovery
    significance, exposure needed for a decision and dwell-time optimisation.
    """
    from renpsim import experiment as xp
    from renpsim.cli.options import option_errors
    from renpsim.experiment.defaults import default_coupling

    if profile_norm and normalisation == "fixed":
        raise InputError("option --profile-norm", "normalisation", "profiled",
                         "either --profile-norm or --normalisation fixed, not both")
    norm = "profiled" if profile_norm else (normalisation or "fixed")
    if scan == "dipole":
        mediator = "dipole"
    if mediator == "dipole" and scan not in ("dipole", "discovery", "exposure", "wilks"):
        raise InputError("option --scan", "scan", scan,
                         "'dipole' (limits per matrix element) for dipole moments")
    with option_errors():
        exp = xp.load_experiment(campaign)
        setup_kw = {"normalisation": norm, "scalar_phase": scalar_phase,
                    "width_fraction": width_fraction, "ordering": ordering, "nature": nature,
                    "true_m_lightest_eV": true_m_lightest, "majorana_phases": majorana_phases}
        coupling = coupling or default_coupling(mediator, nature or exp.truth["nature"])
        c = xp.parse_coupling(coupling, mediator)
        thr, cl_, dof_ = xp.threshold(delta_chi2, cl, dof, sided)
        setup = exp.asimov_setup(**setup_kw)
        fc = xp.forecast(exp)
        out = _run_scan(exp, setup, setup_kw, scan, c, masses, mass_range, sterile_phase,
                        m_lightest, mediator_mass, thr, cl_, dof_, sided, sign, decision,
                        n_sigma, target_limit, coupling_value, n_toys, seed, executor, workers,
                        scheduler, csv_path, h5_path, plot_path)
    default_note = ("default" if delta_chi2 is None and cl is None and dof is None
                    else "as requested")
    sign_tested = out.pop("sign_tested", sign)
    sign_note = "|U_e4|^2 >= 0" if scan == "sterile" else sign_tested
    out = {"campaign": campaign, "scan": scan, "coupling": c, "delta_chi2": thr,
           "dof": dof_, "cl": cl_, "sided": sided, "sign_tested": sign_tested,
           "normalisation": norm, "majorana_phases": majorana_phases,
           "oscillation": setup.oscillation, "viability": fc.to_dict(),
           "threshold_note": f"Delta chi^2 = {thr:.4g} = {cl_:.4g} CL {sided}-sided for "
           f"{dof_} dof ({default_note}); sign tested: {sign_note}; normalisation {norm}",
           "setup": setup.to_dict(), **out}
    if as_json:
        click.echo(dumps(out))
    else:
        _print_human(out)


def _run_scan(exp, setup, setup_kw, scan, c, masses, mass_range, sterile_phase, m_lightest,
              mediator_mass, thr, cl_, dof_, sided, sign, decision, n_sigma, target_limit,
              coupling_value, n_toys, seed, executor, workers, scheduler, csv_path, h5_path,
              plot_path) -> dict:
    from renpsim import experiment as xp

    out: dict = {}
    if scan in ("mediator-mass", "m-lightest", "sterile"):
        bands = None
        with xp.executor(executor, workers=workers, scheduler=scheduler) as ex:
            if scan == "mediator-mass":
                from renpsim.experiment.tables import pole_header
                from renpsim.physics.targets import load_target

                grid = _masses(masses, mass_range)
                # scan-step poles in the header, for the comparison with existing limits
                meta = pole_header(setup.omega_eV, load_target(setup.target).E_eg_eV)
                curve = xp.reach_vs_mediator_mass(exp, c, grid, delta_chi2=thr, dof=dof_,
                                                  sided=sided, sign=sign, executor=ex,
                                                  meta=meta, **setup_kw)
            elif scan == "m-lightest":
                grid = np.asarray(m_lightest or (0.0, 0.005, 0.01, 0.02, 0.03, 0.05), float)
                curve = xp.reach_vs_lightest_mass(exp, c, grid, mediator_mass_eV=mediator_mass,
                                                  delta_chi2=thr, dof=dof_, sided=sided,
                                                  sign=sign, executor=ex, **setup_kw)
            else:
                from renpsim.experiment.defaults import DEFAULT_STERILE_M4_EV

                grid = (_masses(masses, mass_range) if (masses or mass_range)
                        else np.asarray(DEFAULT_STERILE_M4_EV))
                curve = xp.reach_vs_sterile_mass(exp, grid, phase_rad=sterile_phase,
                                                 delta_chi2=thr, dof=dof_, sided=sided,
                                                 **setup_kw)
                out.update(coupling=curve.coupling, sign_tested="+",
                           sterile_phase_rad=sterile_phase)
            if n_toys and scan == "mediator-mass":
                seed = xp.new_seed() if seed is None else seed
                bands = xp.toy_bands(exp, c, grid, delta_chi2=thr, n_toys=n_toys, seed=seed,
                                     executor=ex, **setup_kw).frame
                out["toys"] = {"n": n_toys, "seed": seed}
        table = curve.table
        if bands is not None:
            from renpsim.experiment.tables import with_bands

            # the bands go into --csv, --hdf5 and --plot too
            table = with_bands(table, bands, toys=n_toys, toy_seed=seed)
        out["quantity"] = curve.quantity
        out["lineage"] = table.lineage
        out["rows"] = curve.rows()
        if bands is not None:
            for row, (_, b) in zip(out["rows"], bands.iterrows(), strict=True):
                row.update({k: float(b[k]) for k in ("toy_median", "toy_lo68", "toy_hi68",
                                                     "toy_lo95", "toy_hi95")})
        if csv_path or h5_path or plot_path:
            from renpsim.experiment.tables import plot_table, write_csv, write_hdf5

            if csv_path:
                write_csv(table, csv_path)
            if h5_path:
                write_hdf5(table, h5_path)
            if plot_path:
                plot_table(table, plot_path)
    elif scan == "dipole":
        d = xp.dipole_reach(exp, delta_chi2=thr, dof=dof_, sided=sided, **setup_kw)
        out["sign_tested"] = "both"  # moduli of the moments: both signs, the weaker kept
        out["quantity"] = "dipole_mu"
        out["unit"] = "mu_B"
        out["headline"] = d.headline
        out["rows"] = d.rows()
    elif scan == "wilks":
        if n_toys < 20:
            raise InputError("option --toys", "toys", n_toys, "at least 20 toys for --scan wilks")
        seed = xp.new_seed() if seed is None else seed
        with xp.executor(executor, workers=workers, scheduler=scheduler) as ex:
            out["rows"] = [xp.wilks_check(exp, c, mediator_mass, dof=dof_, cl=cl_,
                                          n_toys=n_toys, seed=seed, executor=ex, **setup_kw)]
    elif scan == "discovery":
        if coupling_value is None:
            raise InputError("option --coupling-value", "coupling_value", None,
                             "the true coupling for --scan discovery")
        grid = _masses(masses, mass_range) if (masses or mass_range) else np.array(
            [mediator_mass])
        out["rows"] = xp.discovery(exp, c, coupling_value, grid, **setup_kw)
    elif scan == "exposure":
        if decision == "limit":
            if target_limit is None:
                raise InputError("option --target-limit", "target_limit", None,
                                 "a coupling value for --decision limit")
            r = xp.limit_exposure(exp, c, mediator_mass, target_limit, thr, **setup_kw)
        else:
            r = xp.decision_exposure(exp, decision, n_sigma, **setup_kw)
        out["rows"] = [r.row()]
    else:
        p = xp.optimise_dwell(exp, decision, coupling=c, mediator_mass_eV=mediator_mass,
                              delta_chi2=thr, **setup_kw)
        out["rows"] = [p.row()]
    return out


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
