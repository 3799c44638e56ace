"""Run-file commands: ``inspect``, ``validate``, ``strip-truth`` and ``import``."""

from __future__ import annotations

import json

import click


@click.command("inspect")
@click.argument("run", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (steps, totals).")
def inspect_cmd(run: str, as_json: bool) -> None:
    """Summarise the run file RUN: identity, calibration and one line per scan step."""
    from renpsim.runfile.reader import open_run

    rf = open_run(run)
    s = rf.summary()
    if as_json:
        click.echo(json.dumps(s, indent=1, allow_nan=False))
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
        click.echo(json.dumps({"file": run, "valid": True, "schema_version": report.schema_version,
                               "dims": dict(report.dims), "notes": list(report.notes)},
                              indent=1, allow_nan=False, default=int))
        return
    dims = ", ".join(f"{k}={v}" for k, v in report.dims.items())
    click.echo(f"{run}: valid renp-run {report.schema_version} ({dims})")
    for note in report.notes:
        click.echo(f"note: {note}")


@click.command("strip-truth")
@click.argument("run", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Blinded copy to write (may equal RUN).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {input, output}.")
def strip_truth_cmd(run: str, output: str, as_json: bool) -> None:
    """Write a copy of RUN without /truth (blinding), recording the parent's sha256."""
    from renpsim.runfile.strip import strip_truth

    strip_truth(run, output)
    if as_json:
        click.echo(json.dumps({"input": run, "output": output, "truth": False}))
        return
    click.echo(f"wrote {output} (without /truth)")


@click.command("import")
@click.argument("counts", type=click.Path(dir_okay=False))
@click.option("--metadata", required=True, type=click.Path(dir_okay=False),
              help="TOML with [run], [target], [[lasers]], [[detectors]], [daq], [calibration].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Run file to write.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object {counts, metadata, output}.")
def import_cmd(counts: str, metadata: str, output: str, as_json: bool) -> None:
    """Turn COUNTS, a table of counts per step (CSV or pandas-readable), into a run file."""
    from renpsim.runfile.importer import import_counts

    import_counts(counts, metadata, output)
    if as_json:
        click.echo(json.dumps({"counts": counts, "metadata": metadata, "output": output}))
        return
    click.echo(f"wrote {output}")
