"""``renpsim simulate``: simulate a campaign's DAQ into an HDF5 run file."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from renpsim.cli.options import OutputPath
from renpsim.errors import InputError


def _parse_set(values: tuple[str, ...]) -> dict:
    out = {}
    for item in values:
        if "=" not in item:
            raise InputError("option --set", "KEY=VALUE", item, "KEY=VALUE (dotted key)")
        key, raw = item.split("=", 1)
        try:
            import tomllib

            value = tomllib.loads(f"v = {raw}")["v"]
        except Exception:
            value = raw
        out[key.strip()] = value
    return out


@click.command("simulate")
@click.argument("campaign")
@click.option("-o", "--output", "output", required=True, type=OutputPath(),
              help="Run file to write (HDF5).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed (default: the campaign's).")
@click.option("--level", type=click.Choice(["steps", "shots", "events"]), default="steps",
              show_default=True, help="Level of detail.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a campaign key, e.g. --set hardware.target.density_cm3=1e16.")
@click.option("--chunk-shots", type=click.IntRange(min=1), default=1 << 18, show_default=True,
              help="Shots per write chunk (memory bound; results do not depend on it).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def simulate_cmd(campaign, output, seed, level, sets, chunk_shots, no_progress, as_json):
    """Simulate CAMPAIGN (preset name or TOML path) and write the run file OUTPUT.

    The file is written under a temporary name and renamed when complete: an interrupted run
    leaves no file under the final name (an existing file there stays intact).
    """
    from renpsim.campaign import load_campaign
    from renpsim.daq import simulate
    from renpsim.daq.rates import expected_totals

    camp = load_campaign(campaign, overrides=_parse_set(sets) or None)
    exp = expected_totals(camp)      # block by block: memory does not grow with the steps
    t0 = time.perf_counter()
    show = not (no_progress or as_json) and sys.stderr.isatty()
    if show:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        unit = "steps" if level == "steps" else "shots"
        with Progress(TextColumn(f"simulate {camp.name} [{level}]"), BarColumn(),
                      MofNCompleteColumn(), TextColumn(unit), TimeRemainingColumn(),
                      transient=True) as bar:
            task = bar.add_task("sim", total=None)

            def progress(done, total):
                bar.update(task, completed=done, total=total)

            path = simulate(camp, output, level=level, seed=seed, chunk_shots=chunk_shots,
                            progress=progress)
    else:
        path = simulate(camp, output, level=level, seed=seed, chunk_shots=chunk_shots)
    elapsed = time.perf_counter() - t0
    import h5py

    from renpsim._numbers import exact_sum

    with h5py.File(path, "r") as f:     # in blocks: memory does not grow with the steps
        ds = f["scan/counts_signal"]
        total = sum(exact_sum(ds[k:k + (1 << 20)], str(path), "/scan/counts_signal")
                    for k in range(0, ds.shape[0], 1 << 20))
    summary = {"campaign": camp.name, "output": str(Path(path)), "level": level,
               "seed": camp.seed if seed is None else seed, "steps": len(camp.steps),
               "shots": camp.steps.total_shots, "total_counts": total,
               "expected_signal": exp["signal"], "expected_background": exp["background"],
               "elapsed_s": round(elapsed, 3)}
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(f"wrote {summary['output']}: {summary['steps']} steps, {summary['shots']} "
                   f"shots, {total} counts (expected signal {summary['expected_signal']:.4g}, "
                   f"background {summary['expected_background']:.4g}) in {elapsed:.2f} s")
