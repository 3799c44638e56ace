"""``renpsim limits ...`` and ``renpsim cite``: the existing-limits database from the shell.

Contract (docs/limits.md): ``renpsim limits list --json`` prints a list of records with at least
``id``, ``quantity``, ``value`` (null when only a curve or a citation exists), ``unit``, ``cl``,
``kind``, ``source``.
"""

from __future__ import annotations

import math

import click

from renpsim.cli.options import FiniteFloat, GreedyStrings, OutputPath
from renpsim.errors import InputError
from renpsim.limits.quantities import QUANTITIES

_KINDS = ["astrophysical", "cosmological", "terrestrial", "collider", "theory", "lab"]
_PROVENANCE = ["quoted", "derived", "digitised", "citation_only"]
_MU_DEFS = ["solar_flavour", "accelerator_flavour", "reactor_nubar_e", "stellar",
            "cosmological", "intrinsic"]

_quantity_arg = click.argument("quantity", metavar="QUANTITY",
                               type=click.Choice(sorted(QUANTITIES)))
_no_md = click.option("--no-model-dependent", "no_md", is_flag=True,
                      help="Leave out bounds that need a model relation or extra assumptions.")
_kind_opt = click.option("--kind", "kinds", cls=GreedyStrings, type=click.Choice(_KINDS),
                         help="Only these kinds (space-separated or repeated).")


def _dump(obj) -> str:
    from renpsim._json import dumps

    return dumps(obj)


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


@click.group("limits")
@click.option("--database", type=click.Path(file_okay=False), default=None,
              help="A limits database folder (records/ and curves/, docs/limits.md) to use "
                   "instead of the shipped one.")
@click.pass_context
def limits_group(ctx: click.Context, database: str | None) -> None:
    """Existing limits ([physics §3.3], [physics §7]) and their comparison with RENP sensitivity."""
    ctx.obj = {"database": database}


def _database():
    """Load the database chosen with ``renpsim limits --database`` (default: shipped)."""
    from renpsim.limits.database import load_database

    obj = click.get_current_context().obj or {}
    return load_database(obj.get("database"))


@limits_group.command("list")
@click.option("--quantity", "quantities", cls=GreedyStrings, type=click.Choice(sorted(QUANTITIES)),
              help="Only these quantities (space-separated or repeated).")
@_kind_opt
@click.option("--provenance", "provenances", cls=GreedyStrings, type=click.Choice(_PROVENANCE),
              help="Only quoted / derived / digitised / citation_only records (space-separated "
                   "or repeated).")
@_no_md
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of records.")
def list_cmd(quantities, kinds, provenances, no_md, as_json) -> None:
    """List the records of the limits database."""
    recs = _database().query(quantity=quantities or None, kind=kinds or None,
                                 provenance=provenances or None,
                                 include_model_dependent=not no_md)
    if as_json:
        click.echo(_dump([r.to_dict() for r in recs]))
        return
    from renpsim.cli.tables import print_table

    rows = []
    for r in recs:
        value = _fmt(r.value) if r.value is not None else (
            "curve" if r.curve is not None else r.raw["value_text"])
        rows.append([r.id, r.quantity, value, r.unit, r.cl_text, r.kind, r.provenance, r.tag,
                     r.citation])
    print_table(("id", "quantity", "value", "unit", "CL", "kind", "prov.", "tag", "source"), rows,
                no_wrap=("id", "quantity", "unit", "tag"),
                title=f"{len(recs)} limit records")


@limits_group.command("show")
@click.argument("record_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the full record as JSON.")
def show_cmd(record_id, as_json) -> None:
    """Show one record in full (metadata, curve, source); ID as in ``limits list``."""
    rec = _database().get(record_id)
    d = rec.to_dict()
    if as_json:
        click.echo(_dump(d))
        return
    lines = []
    for key, val in d.items():
        if key in ("curve_data", "source_detail"):
            continue
        if isinstance(val, dict):
            for k2, v2 in val.items():
                lines.append(f"{key}.{k2}: {v2}")
        else:
            lines.append(f"{key}: {val}")
    if rec.curve is not None:
        names = list(rec.curve)
        lines.append("curve: " + ", ".join(names))
        for row in zip(*(rec.curve[n] for n in names), strict=True):
            lines.append("  " + "  ".join(f"{v:.4g}" for v in row))
    click.echo("\n".join(lines))


def _read_with(path, quantity):
    from renpsim.limits.sensitivity import read_sensitivity

    sens = read_sensitivity(path)
    if sens.quantity != quantity:
        raise InputError(str(path), "quantity", sens.quantity,
                         f"the quantity given on the command line ({quantity})")
    return sens


@limits_group.command("plot")
@_quantity_arg
@click.option("--with", "with_file", type=click.Path(dir_okay=False), default=None,
              help="A renpsim-sensitivity v1 CSV to draw on top.")
@click.option("-o", "--output", required=True, type=OutputPath(),
              help="Output file (.png or .pdf).")
@click.option("--x-range", "x_range", nargs=2, type=FiniteFloat(0.0, min_open=True),
              default=None, help="LO HI: mass range in eV.")
@_kind_opt
@_no_md
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object {output, drawn, not_drawn}.")
def plot_cmd(quantity, with_file, output, x_range, kinds, no_md, as_json) -> None:
    """Plot the existing limits on QUANTITY (log-log), optionally with a RENP sensitivity."""
    from renpsim.limits.plot import PLOT_FORMATS, plot_limits

    if not output.lower().endswith(PLOT_FORMATS):
        raise InputError("option --output", "output", output, "a .png or .pdf file name")
    sens = _read_with(with_file, quantity) if with_file else None
    plot = plot_limits(quantity, sens, db=_database(), include_model_dependent=not no_md,
                       kinds=kinds or None, x_range=tuple(x_range) if x_range else None)
    plot.save(output)
    if as_json:
        click.echo(_dump({"output": output, "drawn": list(plot.drawn_ids),
                          "not_drawn": list(plot.not_drawn)}))
        return
    click.echo(f"wrote {output}: {len(plot.drawn)} limits drawn "
               f"({', '.join(plot.drawn_ids) or 'none'})"
               + (f"; cited, not drawn: {', '.join(plot.not_drawn)}" if plot.not_drawn else ""))


@limits_group.command("compare")
@_quantity_arg
@click.option("--with", "with_file", required=True, type=click.Path(dir_okay=False),
              help="A renpsim-sensitivity v1 CSV.")
@click.option("--mu-definition", type=click.Choice(_MU_DEFS), default=None,
              help="For mu_nu_eff: compare only with this experiment-type definition.")
@click.option("--mediator-mass-GeV", "mediator_mass_GeV", type=FiniteFloat(0.0, min_open=True),
              default=None, help="For EFT coefficients: only bounds whose EFT threshold is "
              "below this mediator mass (GeV).")
@_kind_opt
@_no_md
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def compare_cmd(quantity, with_file, mu_definition, mediator_mass_GeV, kinds, no_md,
                as_json) -> None:
    """Where RENP would improve on the existing limits on QUANTITY, and by what factor."""
    from renpsim.limits.compare import compare

    sens = _read_with(with_file, quantity)
    comp = compare(sens, _database(), include_model_dependent=not no_md, kinds=kinds or None,
                   mu_definition=mu_definition, mediator_mass_GeV=mediator_mass_GeV)
    if as_json:
        click.echo(_dump(comp.to_dict()))
        return
    from renpsim.cli.tables import print_table

    click.echo(f"{quantity}: RENP {sens.cl:.0%} CL, {sens.dof} dof (delta chi2 = "
               f"{sens.delta_chi2:g}); factor = existing / RENP (> 1: RENP improves)")
    print_table([str(c) for c in comp.table.columns],
                [[_fmt(v) for v in row] for row in comp.table.itertuples(index=False)],
                title="per mass point" if sens.x is not None else None)
    print_table(("id", "kind", "provenance", "CL", "model-dep.", "max factor", "at x",
                 "at a pole", "source"),
                [[row.id, row.kind, row.provenance, row.cl_text,
                  "yes" if row.model_dependent else "no", _fmt(row.max_factor),
                  _fmt(row.x_at_max), _fmt(row.max_factor_at_pole), row.source]
                 for row in comp.per_record.itertuples(index=False)],
                no_wrap=("id",), title="per existing limit (max factor away from the poles)")
    if comp.pole_dips:
        print_table(("pole mass [eV]", "sampled at [eV]", "mass resolution needed",
                     "RENP limit", "smooth curve", "dip depth", "existing", "factor",
                     "width Gamma/M"),
                    [[_fmt(d["pole_mass_eV"]), _fmt(d["m_eV"]), _fmt(d["mass_resolution"]),
                      _fmt(d["renp_limit"]), _fmt(d["smooth_limit"]), _fmt(d["dip_depth"]),
                      _fmt(d["existing_limit"]), _fmt(d["factor"]),
                      _fmt(d["width_fraction"]) + " (assumed)"] for d in comp.pole_dips],
                    title=(f"scan-step pole dips (points within {comp.pole_window:.0%} of a "
                           "pole mass; not counted above)"))
    if sens.x is not None and comp.has_comparison:
        regions = ", ".join(f"[{lo:.3g}, {hi:.3g}] eV" for lo, hi in comp.regions)
        click.echo(comp.verdict())
        click.echo(f"RENP improves on the envelope for {sens.x_name} (away from the "
                   f"poles): {regions or 'nowhere'}")
    elif sens.x is not None:
        click.echo(f"{quantity}: {comp.verdict()}")
    else:
        click.echo(comp.verdict())


@click.command("cite")
@click.option("--limits", "ids", cls=GreedyStrings, metavar="ID...",
              help="Also cite these limit records (space-separated ids, e.g. M7 S3).")
@click.option("--figure", "figure", type=click.Choice(sorted(QUANTITIES)), default=None,
              help="Also cite every limit drawn by `renpsim limits plot QUANTITY`.")
@_no_md
def cite_cmd(ids, figure, no_md) -> None:
    """Print BibTeX for renpsim and for the sources of limit records."""
    from renpsim.limits.bibtex import record_bibtex, renpsim_bibtex
    from renpsim.limits.database import load_database

    db = load_database()
    recs = [db.get(i) for i in ids]
    if figure is not None:
        from renpsim.limits.plot import plot_limits

        plot = plot_limits(figure, include_model_dependent=not no_md)
        import matplotlib.pyplot as plt

        plt.close(plot.figure)
        recs += [db.get(i) for i in plot.drawn_ids if i not in ids]
    out = renpsim_bibtex()
    if recs:
        out += "\n" + record_bibtex(recs, db)
    click.echo(out, nl=False)
