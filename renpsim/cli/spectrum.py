"""``renpsim spectrum``: the RENP photon spectral function I(omega) at chosen photon energies."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

from renpsim._json import dumps
from renpsim.cli.options import FiniteFloat, GreedyFloats, PhaseType
from renpsim.errors import InputError
from renpsim.physics.oscillation import DEFAULT_PRESET, list_presets

if TYPE_CHECKING:
    import numpy as np


def _omega_grid(omega, omega_range, target, endpoint) -> np.ndarray:
    import numpy as np

    if omega and omega_range:
        raise click.UsageError("give either --omega or --omega-range, not both")
    if omega:
        return np.asarray(omega, dtype=float)
    if omega_range:
        lo, hi, n = omega_range
        if n != int(n) or n < 1:
            raise InputError("option --omega-range", "N", n, "a whole number >= 1")
        return np.linspace(lo, hi, int(n))
    # Default: 11 points spanning the region of the thresholds (2.5 meV below the endpoint,
    # E_eg/2 without imprinted momentum, up to it).
    return np.linspace(endpoint - 2.5e-3, endpoint, 11)


def _imprinted_option(value: str | None, E_eg_eV: float) -> tuple[float, float]:
    """Parse ``P0_eV[,cos=C]`` into (P0, C); default (0, 1)."""
    where = "option --imprinted-momentum"
    if value is None:
        return 0.0, 1.0
    head, _, rest = value.partition(",")
    try:
        p0 = float(head)
    except ValueError:
        raise InputError(where, "P0_eV", head, "a momentum in eV, optionally ',cos=C'") from None
    c = 1.0
    if rest:
        key, sep, text = (s.strip() for s in rest.partition("="))
        if key != "cos" or not sep:
            raise InputError(where, key or rest, rest, "'cos=C' after the momentum")
        try:
            c = float(text)
        except ValueError:
            raise InputError(where, "cos", text, "a cosine between -1 and 1") from None
    from renpsim.physics.kinematics import check_imprinted_momentum

    try:
        check_imprinted_momentum(p0, c, E_eg_eV)
    except InputError as exc:
        raise InputError(where, "P0_eV" if exc.key == "imprinted_momentum_eV" else "cos",
                         exc.value, exc.expected) from None
    return p0, c


def _gamma0_option(value: str | None) -> float | str | None:
    if value is None or value == "placeholder":
        return value
    try:
        return float(value)
    except ValueError:
        raise InputError("option --gamma0", "gamma0", value, "a rate in s^-1 or 'placeholder'")\
            from None


@click.command("spectrum")
@click.option("--target", default="Yb", show_default=True,
              help="Target: Yb or Xe, optionally with isotope (Yb-174, Yb-171, Yb-natural).")
@click.option("--isotope", default=None, help="Isotope label (default: the target's default).")
@click.option("--E-eg", "E_eg", type=FiniteFloat(0.0, min_open=True), default=None,
              help="Override E_eg in eV.")
@click.option("--ordering", type=click.Choice(["NO", "IO"]), default="NO", show_default=True,
              help="Neutrino mass ordering: normal (NO) or inverted (IO).")
@click.option("--m-lightest", "m_lightest", type=FiniteFloat(0.0), default=0.01,
              show_default=True, help="Lightest neutrino mass in eV.")
@click.option("--nature", type=click.Choice(["dirac", "majorana"]), default="dirac",
              show_default=True, help="Dirac or Majorana neutrinos.")
@click.option("--oscillation", type=click.Choice(list_presets()), default=DEFAULT_PRESET,
              show_default=True, help="Oscillation-parameter preset.")
@click.option("--alpha21", type=PhaseType(), default=0.0, show_default=True,
              help="Majorana phase alpha21 (radians, or '90deg').")
@click.option("--alpha31", type=PhaseType(), default=0.0, show_default=True,
              help="Majorana phase alpha31 (radians, or '90deg').")
@click.option("--delta", type=PhaseType(), default=None,
              help="Dirac CP phase (radians, or '197deg'); default: the preset's best fit.")
@click.option("--omega", cls=GreedyFloats, type=FiniteFloat(), default=(),
              help="Photon energies in eV (one or more values).")
@click.option("--omega-range", "omega_range", nargs=3, type=FiniteFloat(), default=None,
              help="LO HI N: N evenly spaced photon energies in eV.")
@click.option("--dwell-s", "dwell_s", type=FiniteFloat(0.0), default=None,
              help="Also give expected events for this time (s of full coherence) per point.")
@click.option("--gamma0", default=None,
              help="Gamma_0 in s^-1 (needed for Xe), or 'placeholder'; with --dwell-s.")
@click.option("--vector", "vector_specs", multiple=True, metavar="SPEC",
              help="Light Z' term, e.g. 'm=20000,gL11=8e-16,gR11=0[,width=EV]': mass in eV, "
                   "products g^e g^nu_{L/R,ij} (any ij; ji filled as conj). Repeatable.")
@click.option("--scalar", "scalar_specs", multiple=True, metavar="SPEC",
              help="Light scalar term, e.g. 'm=20000,yS11=6e-9,yP11=0[,convention=paper]"
                   "[,width=EV]': products y^e y^nu_{S/P,ij}. Repeatable.")
@click.option("--dipole", "dipole_specs", multiple=True, metavar="SPEC",
              help="Neutrino dipole moments in mu_B, e.g. 'mu11=1e-11,eps12=0' (Dirac: ji = "
                   "conj(ij); Majorana: antisymmetric, ji = -ij).")
@click.option("--sterile", "sterile_spec", default=None, metavar="SPEC",
              help="3+1 light sterile neutrino, e.g. 'm4=0.3,Ue4=0.1[,phase=RAD|DEGdeg]"
                   "[,Umu4=..,phase_mu4=..,Utau4=..,alpha41=..]' (or dm41=EV2 for m4); "
                   "convention in docs/sterile-and-momentum.md.")
@click.option("--imprinted-momentum", "imprinted", default=None, metavar="P0_EV[,cos=C]",
              help="Pair momentum imprinted by the trigger geometry: magnitude P0 in eV and the "
                   "cosine C of its angle to the photon momentum (default 1); moves s and "
                   "every threshold.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def spectrum_cmd(target, isotope, E_eg, ordering, m_lightest, nature, oscillation, alpha21,
                 alpha31, delta, omega, omega_range, dwell_s, gamma0, vector_specs, scalar_specs,
                 dipole_specs, sterile_spec, imprinted, as_json) -> None:
    """Evaluate the RENP spectral function I(omega) ([physics §1.3]) and its channels.

    With --vector/--scalar/--dipole the spectrum is SM + BSM terms ([physics §4.1] to
    [physics §4.3], docs/bsm.md); the SM spectrum and the ratio I/I_SM are reported too.
    """
    from renpsim.physics.bsm import bsm_spectrum, parse_term_spec
    from renpsim.physics.kinematics import photon_endpoint
    from renpsim.physics.neutrino import neutrino_state
    from renpsim.physics.rate import expected_events, rate_scale, resolve_gamma0
    from renpsim.physics.spectrum import spectrum
    from renpsim.physics.targets import load_target

    tgt = load_target(target, isotope)
    if E_eg is not None:
        tgt = tgt.with_E_eg(E_eg)
    p0, cos = _imprinted_option(imprinted, tgt.E_eg_eV)
    endpoint = float(photon_endpoint(tgt.E_eg_eV, p0, cos))
    grid = _omega_grid(omega, omega_range, tgt, endpoint)
    option = "--omega-range" if omega_range else "--omega"
    bad = grid[(grid <= 0) | (grid > endpoint)]
    if bad.size:
        limit = (f"E_eg/2 = {endpoint:.9g} eV" if p0 == 0.0
                 else f"the photon endpoint {endpoint:.9g} eV (P0 = {p0:g} eV, cos = {cos:g})")
        raise InputError(f"option {option}", "omega_eV", float(bad[0]),
                         f"0 < omega <= {limit} for {tgt.name}")
    state = neutrino_state(ordering, m_lightest, nature, oscillation, alpha21, alpha31, delta)
    specs = [(kind, spec) for kind, given in (("vector", vector_specs),
                                              ("scalar", scalar_specs),
                                              ("dipole", dipole_specs)) for spec in given]
    from renpsim.cli.options import option_errors

    with option_errors():
        terms = [parse_term_spec(kind, spec, nature) for kind, spec in specs]
    if terms and (sterile_spec is not None or p0 != 0.0):
        raise click.UsageError("--sterile and --imprinted-momentum cannot be combined with "
                               "--vector/--scalar/--dipole (the BSM terms assume three states "
                               "and zero imprinted momentum)")
    if sterile_spec is not None:
        from renpsim.physics.sterile import parse_sterile_spec, sterile_state

        state = sterile_state(state, parse_sterile_spec(
            sterile_spec, float(state.masses_eV[0]), "option --sterile"))
    with option_errors():
        result = bsm_spectrum(grid, state, tgt, terms) if terms else None
    if terms:
        record = spectrum_record(result)
        record["I_sm"] = result.I_sm.tolist()
        record["ratio"] = [r if math.isfinite(r) else None for r in result.ratio.tolist()]
        record["inputs"]["bsm"] = [dict(term.describe(), spec=spec)
                                   for term, (_, spec) in zip(terms, specs, strict=True)]
        record["conventions"]["bsm"] = (
            "SM + BSM terms on one amplitude, docs/bsm.md ([physics §4.1] to [physics §4.3], "
            "corrected); ratio = I / I_sm (null where I_sm = 0)"
        )
    else:
        result = spectrum(grid, state, tgt, imprinted_momentum_eV=p0, imprinted_cos=cos)
        record = spectrum_record(result)
    if dwell_s is not None:
        g0 = resolve_gamma0(tgt, _gamma0_option(gamma0))
        scale = rate_scale(tgt, gamma0_per_s=g0)
        record["inputs"]["gamma0_per_s"] = g0
        record["inputs"]["dwell_s"] = dwell_s
        record["events"] = expected_events(result.total, dwell_s, scale).tolist()
    if as_json:
        click.echo(dumps(record))
    else:
        _print_table(record)


def spectrum_record(result) -> dict:
    """Machine-readable record of a :class:`~renpsim.physics.spectrum.SpectrumResult`."""
    from renpsim.physics.kinematics import channel_labels, threshold_labels

    st, tgt = result.state, result.target
    osc = st.oscillation
    thr = result.thresholds_eV
    n = st.masses_eV.shape[-1]
    inputs = {
        "target": tgt.name,
        "E_eg_eV": tgt.E_eg_eV,
        "E_eg_sigma_eV": tgt.E_eg_sigma_eV,
        "E_vg_eV": tgt.E_vg_eV,
        "ordering": st.ordering,
        "m_lightest_eV": float(st.m_lightest_eV),
        "masses_eV": st.masses_eV.tolist(),
        "sum_masses_eV": float(st.sum_masses_eV),
        "m_beta_eV": float(st.m_beta_eV),
        "nature": st.nature,
        "oscillation": osc.preset,
        "oscillation_parameters": osc.as_dict(),
        "oscillation_verified": bool(osc.meta.get("verified", False)),
        "Ue": [[float(z.real), float(z.imag)] for z in st.Ue],
        "alpha21": float(st.alpha21),
        "alpha31": float(st.alpha31),
        "delta": float(st.delta),
        "phase_unit": "rad",
        "imprinted_momentum_eV": getattr(result, "imprinted_momentum_eV", 0.0),
        "imprinted_cos": getattr(result, "imprinted_cos", 1.0),
    }
    if n == 4:
        from renpsim.physics.sterile import describe

        inputs["sterile"] = describe(st)
        inputs["a"] = [[[float(z.real), float(z.imag)] for z in row] for row in st.coupling]
    return {
        "inputs": inputs,
        "omega_eV": result.omega_eV.tolist(),
        "I": result.total.tolist(),
        "channels": {
            label: result.channels[..., int(label[0]) - 1, int(label[1]) - 1].tolist()
            for label in channel_labels(n)
        },
        "thresholds_eV": {
            label: float(thr[int(label[0]) - 1, int(label[1]) - 1]) for label in threshold_labels(n)
        },
        "conventions": {
            "I": "dimensionless spectral function, [physics §1.3] (GP21 eqs. 16-17 corrected)",
            "events": "N = Gamma_0 (V/100cm^3)(n_a/1e21)^2(n_gamma/1e21) eta I(omega) T, "
                      "T = dwell time at that frequency",
        },
    }


def _print_table(record: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    inp = record["inputs"]
    console = Console()
    masses = ", ".join(f"{m:.6g}" for m in inp["masses_eV"])
    console.print(
        f"[bold]{inp['target']}[/] E_eg = {inp['E_eg_eV']:.9g} eV, E_vg = {inp['E_vg_eV']:.7g} eV;"
        f" {inp['ordering']}, {inp['nature']}, masses = ({masses}) eV; {inp['oscillation']}"
        + ("" if inp["oscillation_verified"] else " (values unverified, see preset caveat)")
    )
    thr = record["thresholds_eV"]
    half = inp["E_eg_eV"] / 2
    if inp["imprinted_momentum_eV"]:
        console.print(f"imprinted pair momentum P0 = {inp['imprinted_momentum_eV']:g} eV, "
                      f"cos = {inp['imprinted_cos']:g}")
    if "sterile" in inp:
        ste = inp["sterile"]
        console.print(f"sterile: m4 = {ste['m4_eV']:.6g} eV, |U_e4| = {ste['Ue4']:.6g}")
    console.print(
        "thresholds (E_eg/2 - omega_ij^max, ueV): "
        + ", ".join(f"{k}: {1e6 * (half - v):.1f}" for k, v in thr.items())
    )
    table = Table(show_edge=False)
    table.add_column("omega [eV]", justify="right")
    table.add_column("I(omega)", justify="right")
    has_bsm = "ratio" in record
    if has_bsm:
        table.add_column("I_SM", justify="right")
        table.add_column("I/I_SM", justify="right")
    has_events = "events" in record
    if has_events:
        table.add_column("events", justify="right")
    table.add_column("open channels")
    for k, (w, value) in enumerate(zip(record["omega_eV"], record["I"], strict=True)):
        opened = [lab for lab, t in thr.items() if w < t or (lab == "11" and math.isclose(w, t))]
        row = [f"{w:.7f}", f"{value:.6e}"]
        if has_bsm:
            ratio = record["ratio"][k]
            row += [f"{record['I_sm'][k]:.6e}", "-" if ratio is None else f"{ratio:.6f}"]
        if has_events:
            row.append(f"{record['events'][k]:.4g}")
        row.append(" ".join(opened) or "-")
        table.add_row(*row)
    for term in inp.get("bsm", []):
        console.print(f"BSM {term['kind']}: {term['spec']}")
    console.print(table)
