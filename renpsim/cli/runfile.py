"""Run-file commands: ``inspect``, ``validate``, ``strip-truth`` and ``import``."""

from __future__ import annotations

import click

from renpsim._json import dumps
from renpsim.cli.options import OutputPath


@click.command("inspect")
@click.argument("run", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (steps, totals).")
def inspect_cmd(run: str, as_json: bool) -> None:
    """Summarise the run file RUN: identity, calibration and one line per scan step."""
    from renpsim.runfile.reader import open_run

    rf = open_run(run)
    s = rf.summary()
    if as_json:
        click.echo(dumps(s))
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]{s['path']}[/bold]: run {s['run_id']} ({s['file_kind']}, "
              f"{s['experiment'] or '-'}), schema {s['schema_version']}")
    con.print(f"  written {s['created_iso']} by {s['software']} {s['software_version']}; "
              f"run {s['run_start_iso']} .. {s['run_stop_iso']}")
    con.print(f"  {s['n_steps']} steps, {s['n_channels']} channel(s), {s['n_lasers']} laser(s);"
              f" shots: {'yes' if s['has_shots'] else 'no'}, events: "
              f"{'yes' if s['has_events'] else 'no'}, truth: "
              f"{'yes' if s['has_truth'] else 'no'}")
    con.print(f"  total counts {s['total_counts']} in {s['total_dwell_s']:.6g} s; dark: "
              + ", ".join(f"ch{c} {d['counts']} in {d['live_time_s']:.6g} s"
                          for c, d in s["dark"].items()))
    if s["imprinted_momentum_eV"] != 0.0:
        con.print(f"  imprinted pair momentum {s['imprinted_momentum_eV']:.6g} eV, cosine "
                  f"{s['imprinted_cos']:.6g} to the photon")
    for note in s["notes"]:
        con.print(f"  note: {note}")
    t = Table("step", "omega_eV", "omega'_eV", "dwell_s", "live_s", "shots", "counts",
              "bg counts", "exposure_s")
    for r in s["steps"]:
        t.add_row(str(r["step"]), f"{r['omega_eV']:.7f}", f"{r['omega_prime_eV']:.7f}",
                  f"{r['dwell_s']:.6g}", f"{r['live_s']:.6g}", str(r["n_shots"]),
                  str(r["counts"]), str(r["counts_background"]),
                  "-" if r["exposure_s"] is None else f"{r['exposure_s']:.4g}")
    con.print(t)


@click.command("validate")
@click.argument("run", type=click.Path(dir_okay=False))
@click.option("--quick", is_flag=True, help="Skip the value checks of /shots and /events.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (file, schema_version, dims, notes).")
def validate_cmd(run: str, quick: bool, as_json: bool) -> None:
    """Check the run file RUN against the schema: exit 0 if valid, 2 (one line) otherwise."""
    from renpsim.runfile.validate import validate_run

    report = validate_run(run, deep=not quick)
    if as_json:
        click.echo(dumps({"file": run, "valid": True, "schema_version": report.schema_version,
                          "dims": {k: int(v) for k, v in report.dims.items()},
                          "notes": list(report.notes)}))
        return
    dims = ", ".join(f"{k}={v}" for k, v in report.dims.items())
    click.echo(f"{run}: valid renp-run {report.schema_version} ({dims})")
    for note in report.notes:
        click.echo(f"note: {note}")


@click.command("strip-truth")
@click.argument("run", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=OutputPath(may_equal=("run",)),
              help="Blinded copy to write (may equal RUN).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {input, output}.")
def strip_truth_cmd(run: str, output: str, as_json: bool) -> None:
    """Write a copy of RUN without /truth (blinding), recording the parent's sha256."""
    from renpsim.runfile.strip import strip_truth

    strip_truth(run, output)
    if as_json:
        click.echo(dumps({"input": run, "output": output, "truth": False}, indent=None))
        return
    click.echo(f"wrote {output} (without /truth)")


@click.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["counts", "ptu", "photon-hdf5",
                                                    "timetags-csv"]),
              default="counts", show_default=True,
              help="counts: one table of counts per step (CSV or pandas-readable); ptu "
                   "(PicoQuant T3, via ptufile), photon-hdf5, timetags-csv (channel,time_ps "
                   "tag stream): time-tag files, one per step or one with step markers.")
@click.option("--metadata", required=True, type=click.Path(dir_okay=False),
              help="TOML with [run], [target], [[lasers]], [[detectors]], [daq], [calibration] "
                   "(and [coherence], [timetags]).")
@click.option("--monitors", type=click.Path(dir_okay=False), default=None,
              help="Time tags: per-shot monitor CSV (shot, set_frequency_Hz_<i>, "
                   "pulse_energy_J_<i>[, coherent_exposure_s]).")
@click.option("-o", "--output", required=True, type=OutputPath(),
              help="Run file to write.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object {sources, format, metadata, output}.")
def import_cmd(sources: tuple[str, ...], fmt: str, metadata: str, monitors: str | None,
               output: str, as_json: bool) -> None:
    """Turn SOURCES (counts per step, or time-tagger files) plus metadata into a run file.

    SOURCES is one table of counts per step (--format counts), or time-tag files: one file per
    scan step, or one file whose step markers separate the steps.
    """
    if fmt == "counts":
        if len(sources) != 1:
            raise click.BadParameter(f"{len(sources)} files: expected one counts table",
                                     param_hint="'SOURCES'")
        if monitors is not None:
            raise click.BadParameter(f"{monitors!r}: expected no monitor table with "
                                     "--format counts", param_hint="'--monitors'")
        from renpsim.runfile.importer import import_counts

        import_counts(sources[0], metadata, output)
    else:
        if monitors is None:
            raise click.BadParameter("missing: expected the per-shot monitor table (set "
                                     "frequencies, pulse energies) of the time tags",
                                     param_hint="'--monitors'")
        from renpsim.runfile.timetags import import_timetags

        import_timetags(list(sources), fmt, metadata, output, monitors=monitors)
    if as_json:
        click.echo(dumps({"sources": list(sources), "format": fmt, "metadata": metadata,
                          "output": output}, indent=None))
        return
    click.echo(f"wrote {output}")
