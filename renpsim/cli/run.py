"""``renpsim run``: the main job, from a campaign to a report directory."""

from __future__ import annotations

import sys
import time

import click

from renpsim.cli.options import CampaignCommand, FiniteFloat, OutputPath, complete_campaign


@click.command("run", cls=CampaignCommand)
@click.argument("campaign", required=False, default=None, shell_complete=complete_campaign)
@click.option("-o", "--outdir", default="renpsim-report", show_default=True,
              type=OutputPath(folder=True), help="Report directory (created).")
@click.option("--seed", type=click.IntRange(0), default=None,
              help="Simulation seed (default: the campaign's).")
@click.option("--level", type=click.Choice(["steps", "shots", "events"]), default="steps",
              show_default=True, help="Detail of the simulated run file.")
@click.option("--cl", type=FiniteFloat(0.0, min_open=True), default=0.95, show_default=True,
              help="Confidence level of the limits.")
@click.option("--dof", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Degrees of freedom of the limit threshold (GP21 used 2: 5.99).")
@click.option("--mass-points", type=click.IntRange(3, 1000), default=57, show_default=True,
              help="Mediator masses (log-spaced 1e-3..1e4 eV) of the coupling curves.")
@click.option("--overwrite", is_flag=True,
              help="Replace an earlier report in OUTDIR (only its files are removed).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (campaign, outdir, viability statement, limit tables).")
def run_cmd(campaign, outdir, seed, level, cl, dof, mass_points, overwrite, as_json) -> None:
    """Simulate CAMPAIGN, fit it, compute its reach, compare with existing limits, report.

    Without CAMPAIGN the embedded default (gp21-benchmark: GP21's Yb benchmark) is used.
    OUTDIR receives run.h5, fit.json, sensitivity CSV tables, PNG/PDF figures, summary.md and
    a self-contained summary.html, and report-files.json (the list of the report's files). An
    OUTDIR holding an earlier report is refused unless --overwrite (other files are kept).
    """
    import numpy as np
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from renpsim.report import DEFAULT_CAMPAIGN, ReportSettings, run_report

    if cl >= 1.0:
        raise click.BadParameter(f"{cl!r}: expected a value < 1", param_hint="'--cl'")
    ctx = click.get_current_context()
    argv = ["renpsim", "run"] + ([campaign] if campaign else [])
    for param in ctx.command.params:  # every choice spelled out: the command reproduces it
        value = ctx.params[param.name]
        if not isinstance(param, click.Option) or value is None:
            continue
        if param.is_flag:
            argv += [param.opts[-1]] if value else []
        else:
            argv += [param.opts[-1], str(value)]
    settings = ReportSettings(seed=seed, level=level, cl=cl, dof=dof,
                              masses_eV=tuple(np.logspace(-3, 4, mass_points)),
                              extra={"command_line": " ".join(argv)})
    from renpsim.campaign import load_campaign
    from renpsim.errors import InputError
    from renpsim.report.outdir import claim_outdir, record_report

    load_campaign(str(campaign or DEFAULT_CAMPAIGN))   # bad input fails before OUTDIR changes
    try:
        claim = claim_outdir(outdir, overwrite=overwrite)
    except InputError as exc:
        hint = "'-o' / '--outdir'" + ("" if overwrite else " (or --overwrite)")
        raise click.BadParameter(f"{outdir!r}: expected {exc.expected}", param_hint=hint) \
            from None
    name = campaign or DEFAULT_CAMPAIGN
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  transient=True, disable=not sys.stderr.isatty(),
                  console=None) as bar:
        task = bar.add_task(f"renpsim run {name}", total=6)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{name}: {label}")

        results = run_report(name, outdir, settings, progress)
    record_report(outdir, claim)
    v = results["viability"]
    if as_json:
        from renpsim._json import dumps

        sens = results.get("sensitivity")
        click.echo(dumps({
            "campaign": name, "outdir": str(outdir), "statement": v["statement"],
            "sensitivity": None if sens is None else {
                "delta_chi2": sens["delta_chi2"], "cl": sens["cl"], "dof": sens["dof"],
                "tables": [t["file"] for t in sens["tables"].values()]},
            "report": ["summary.md", "summary.html"]}))
        return
    click.echo(f"{name}: {v['statement']}")
    if "sensitivity" in results:
        s = results["sensitivity"]
        click.echo(f"limits at Delta chi^2 = {s['delta_chi2']:.4g} ({100 * s['cl']:.4g}% CL, "
                   f"{s['dof']} dof); tables: "
                   + ", ".join(t["file"] for t in s["tables"].values()))
    click.echo(f"report written to {outdir}/ (summary.md, summary.html) in "
               f"{time.perf_counter() - t0:.1f} s")
