"""Asimov sensitivities, all batched.

Coupling limits versus mediator mass (GP21 Fig. 3) and versus the lightest mass (GP21 Fig. 4),
and the discovery significance.

Method (GP21 section IV, eqs. 30-31 with the sign correction of [physics §0] item 5):
N_true is the Asimov expectation of the SM truth; N_test the expectation with one coupling g
switched on; the limit is the smallest |g| with Delta chi^2 = D(N_true, N_test) >= threshold.
Optionally the normalisation is profiled ([physics §6.1]: k = sum N_true / sum N_test without
background; a vectorised Newton solve otherwise).

The spectra come from the physics layer (:mod:`renpsim.physics.bsm` through
:mod:`renpsim.stats.spectra`): per grid point, the exact expansion I(g) = I0 + c1 g + c2 g^2 at
fixed mediator mass (:func:`renpsim.stats.spectra.coupling_expansion`, two batched physics calls
for the whole grid), after which any coupling costs one multiply-add. The limit search is
vectorised over the whole grid (mediator masses or lightest masses): one coarse log-spaced scan
of g for all grid points at once locates the **first** crossing of the threshold (the Delta
chi^2 curve need not be monotonic when the new term interferes destructively), then a batched
bisection in log g refines every bracket simultaneously; there is no Python loop over grid
points. Results per grid point do not depend on how the grid is chunked, so executors can split
it freely.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError
from renpsim.physics.kinematics import check_imprinted_momentum, photon_endpoint
from renpsim.physics.neutrino import (
    NeutrinoArrays,
    coupling_matrix,
    electron_row,
    masses_from_lightest,
)
from renpsim.physics.oscillation import DEFAULT_PRESET, load_preset
from renpsim.physics.spectrum import spectral_function_arrays
from renpsim.physics.targets import load_target
from renpsim.stats.deviance import deviance_terms
from renpsim.stats.spectra import Coupling, CouplingExpansion, coupling_expansion, parse_coupling

#: Coarse search range of log10 |coupling| and its step (decades).
LOG10_G_RANGE = (-34.0, 2.0)
COARSE_STEP_DEC = 0.25
N_BISECT = 30


@dataclass(frozen=True)
class AsimovSetup:
    """Plain-data description of an Asimov sensitivity study (picklable task input).

    Attributes
    ----------
    omega_eV, exposure_s : tuple of float
        Scan steps and coherent exposures (s of full coherence).
    rate_scale_per_s : float or tuple of float
        Signal rate per unit I(omega) (one value or one per step).
    efficiency : float
        Detector efficiency.
    background_rate_per_s : tuple of float
        Background photon rate per step (before efficiency).
    dark_rate_per_s : float
        Dark rate.
    target : str
        Target name.
    ordering, nature, oscillation : str
        Truth neutrino hypothesis and oscillation preset.
    m_lightest_eV : float
        Truth lightest mass.
    profile_norm : bool
        Profile a free normalisation in Delta chi^2 (default False = GP21: no systematics).
    width_fraction : float
        Mediator Gamma/M [A].
    scalar_phase : str
        ``"physical"`` or ``"gp21"`` (alias ``"paper"``), see :mod:`renpsim.stats.spectra`.
    imprinted_momentum_eV, imprinted_cos : float
        Imprinted pair momentum and its cosine to the photon (SM and sterile spectra; BSM
        couplings need 0).
    majorana_phases : {"profiled", "fixed"}
        Majorana truth: the tested hypotheses of the coupling limits minimise Delta chi^2 over
        the Majorana phases (alpha21, alpha31 - 2 delta) on :data:`PHASE_GRID` plus the truth
        point (default), or keep the truth's phases (zero, ``"fixed"``). Ignored for Dirac.

    """

    omega_eV: tuple
    exposure_s: tuple
    rate_scale_per_s: float | tuple
    efficiency: float = 1.0
    background_rate_per_s: tuple = ()
    dark_rate_per_s: float = 0.0
    target: str = "Yb-gp21"
    ordering: str = "NO"
    nature: str = "dirac"
    oscillation: str = DEFAULT_PRESET
    m_lightest_eV: float = 0.01
    profile_norm: bool = False
    width_fraction: float = 1e-6
    scalar_phase: str = "physical"
    imprinted_momentum_eV: float = 0.0
    imprinted_cos: float = 1.0
    majorana_phases: str = "profiled"

    @classmethod
    def from_campaign(cls, campaign, **overrides) -> AsimovSetup:
        """Return a copy with ``overrides`` (from a setup, or a dataset-like object).

        ``campaign`` is an :class:`AsimovSetup` (e.g. ``renpsim.stats.benchmark.gp21_benchmark()``)
        or anything with ``omega_eV``, ``exposure_s``, ``calibration``, ``target``, ``ordering``,
        ``nature``, ``oscillation`` and ``m_lightest_eV``.
        """
        if isinstance(campaign, AsimovSetup):
            return replace(campaign, **overrides)
        cal = campaign.calibration
        bkg = () if cal.background_rate_per_s is None else tuple(
            np.broadcast_to(cal.background_rate_per_s, np.shape(campaign.omega_eV)).tolist())
        base = dict(
            omega_eV=tuple(map(float, campaign.omega_eV)),
            exposure_s=tuple(map(float, campaign.exposure_s)),
            rate_scale_per_s=(float(cal.rate_scale_per_s) if np.ndim(cal.rate_scale_per_s) == 0
                              else tuple(map(float, cal.rate_scale_per_s))),
            efficiency=float(cal.efficiency),
            background_rate_per_s=bkg, dark_rate_per_s=cal.dark_rate_nominal_per_s,
            target=campaign.target, ordering=campaign.ordering, nature=campaign.nature,
            oscillation=campaign.oscillation, m_lightest_eV=float(campaign.m_lightest_eV),
        )
        p0 = float(getattr(campaign, "imprinted_momentum_eV", 0.0))
        if p0 != 0.0:
            base.update(imprinted_momentum_eV=p0,
                        imprinted_cos=float(getattr(campaign, "imprinted_cos", 1.0)))
        base.update(overrides)
        return cls(**base)

    @property
    def calibration(self):
        """The likelihood's calibration of this setup (rate scale, efficiency, backgrounds).

        A nonzero ``dark_rate_per_s`` has no dark run to constrain it and is not carried over.
        """
        from renpsim.stats.dataset import LikelihoodCalibration

        r = self.rate_scale_per_s
        return LikelihoodCalibration(
            rate_scale_per_s=float(r) if np.ndim(r) == 0 else np.asarray(r, float),
            efficiency=self.efficiency,
            background_rate_per_s=(np.asarray(self.background_rate_per_s, float)
                                   if len(self.background_rate_per_s) else None))

    def dataset(self, counts=None, label: str = "asimov"):
        """Return the binned dataset of this setup (zero counts unless given)."""
        from renpsim.stats.dataset import BinnedDataset

        omega = np.asarray(self.omega_eV, float)
        return BinnedDataset(
            omega_eV=omega, exposure_s=np.asarray(self.exposure_s, float),
            counts=np.zeros(omega.size) if counts is None else counts,
            calibration=self.calibration, target=self.target, oscillation=self.oscillation,
            label=label, **self.imprinted)

    def to_dict(self) -> dict:
        """Plain dictionary (for lineage hashing and output headers).

        Without imprinted momentum its two keys are left out, so the lineage of a setup is
        what it was before the parameter existed.
        """
        d = asdict(self)
        if self.imprinted_momentum_eV == 0.0:
            del d["imprinted_momentum_eV"], d["imprinted_cos"]
        if self.nature == "dirac":  # no phases to treat: the lineage of Dirac setups as before
            del d["majorana_phases"]
        return d

    @property
    def imprinted(self) -> dict:
        """Keyword arguments of the physics layer for the imprinted momentum."""
        return {"imprinted_momentum_eV": self.imprinted_momentum_eV,
                "imprinted_cos": self.imprinted_cos}


class _Context:
    """Arrays derived from an :class:`AsimovSetup` (built once per task)."""

    def __init__(self, setup: AsimovSetup, m_lightest_eV: ArrayLike | None = None) -> None:
        self.setup = setup
        tgt = load_target(setup.target)
        osc = load_preset(setup.oscillation, setup.ordering)
        self.target = tgt
        self.E_eg, self.E_vg = tgt.E_eg_eV, tgt.E_vg_eV
        self.omega = np.asarray(setup.omega_eV, dtype=float)
        self.dwell = np.asarray(setup.exposure_s, dtype=float)
        if setup.imprinted_momentum_eV == 0.0:
            if np.any(self.omega >= 0.5 * self.E_eg) or np.any(self.omega <= 0):
                raise InputError("sensitivity", "omega_eV", setup.omega_eV,
                                 f"energies in (0, E_eg/2 = {0.5 * self.E_eg:.6f}) eV")
        else:
            check_imprinted_momentum(setup.imprinted_momentum_eV, setup.imprinted_cos, self.E_eg)
            end = float(photon_endpoint(self.E_eg, **setup.imprinted))
            if np.any(self.omega >= end) or np.any(self.omega <= 0):
                raise InputError("sensitivity", "omega_eV", setup.omega_eV,
                                 f"energies in (0, the photon endpoint {end:.6f}) eV")
        ml = np.asarray(setup.m_lightest_eV if m_lightest_eV is None else m_lightest_eV,
                        dtype=float)
        if np.any(~np.isfinite(ml)) or np.any(ml < 0):
            raise InputError("sensitivity", "m_lightest_eV", ml.tolist(), "masses >= 0 eV")
        self.masses = masses_from_lightest(ml, setup.ordering, osc.dm2_21_eV2.value,
                                           osc.dm2_3l_eV2.value)
        self.a = coupling_matrix(electron_row(osc.sin2_theta12.value, osc.sin2_theta13.value,
                                              osc.delta_cp_rad))
        self.s12, self.s13 = osc.sin2_theta12.value, osc.sin2_theta13.value
        if setup.majorana_phases not in ("profiled", "fixed"):
            raise InputError("sensitivity", "majorana_phases", setup.majorana_phases,
                             "'profiled' or 'fixed'")
        bkg = np.asarray(setup.background_rate_per_s or 0.0, dtype=float)
        self.floor = self.dwell * (setup.efficiency * bkg + setup.dark_rate_per_s)
        self.sig_scale = self.dwell * setup.efficiency * np.asarray(setup.rate_scale_per_s,
                                                                    dtype=float)

    def sm_counts(self, masses, a=None):
        """Return (signal, floor) expected SM counts, broadcast; the last axis is the step.

        ``a``: the a_ij of another tested hypothesis (:meth:`tested_couplings`); default the
        truth's.
        """
        I = spectral_function_arrays(self.omega, masses, self.a if a is None else a,
                                     E_eg_eV=self.E_eg,
                                     E_vg_eV=self.E_vg, majorana=self.setup.nature == "majorana",
                                     **self.setup.imprinted)
        return self.sig_scale * I, self.floor

    def tested_couplings(self) -> list:
        """Return a_ij of the tested hypotheses.

        The truth's, then (Majorana, phases profiled) those of the :data:`PHASE_GRID` points
        (alpha21, alpha31 - 2 delta).
        """
        if self.setup.nature != "majorana" or self.setup.majorana_phases != "profiled":
            return [self.a]
        return [self.a] + [coupling_matrix(electron_row(self.s12, self.s13, 0.0, a21, p31))
                           for a21, p31 in PHASE_GRID]

    def signal(self, masses, coupling: Coupling, mediator_mass, a=None) -> CouplingExpansion:
        """Return the signal counts as an exact quadratic in the coupling (physics layer)."""
        s = self.setup
        if s.imprinted_momentum_eV != 0.0:
            raise InputError("sensitivity", "imprinted_momentum_eV", s.imprinted_momentum_eV,
                             "0 for BSM coupling limits (the BSM terms assume no imprinted "
                             "momentum)")
        exp = coupling_expansion(self.omega, NeutrinoArrays(
                                     masses, self.a if a is None else a, s.nature),
                                 self.target, coupling, mediator_mass,
                                 width_fraction=s.width_fraction, scalar_phase=s.scalar_phase,
                                 where="sensitivity")
        return exp.scaled(self.sig_scale)


def _delta_chi2(n_true, sig_test, floor, profile_norm: bool):
    """Delta chi^2 = D(n_true, k sig_test + floor), k = 1 or profiled (vectorised Newton)."""
    if not profile_norm:
        return np.sum(deviance_terms(n_true, sig_test + floor), axis=-1)
    n = np.broadcast_to(n_true, np.broadcast_shapes(np.shape(n_true), np.shape(sig_test)))
    S = np.broadcast_to(sig_test, n.shape)
    B = np.broadcast_to(floor, n.shape)
    k = np.sum(n, axis=-1, keepdims=True) / np.maximum(np.sum(S + B, axis=-1, keepdims=True),
                                                        1e-300)
    if np.any(B > 0):
        for _ in range(20):
            mu = np.maximum(k * S + B, 1e-300)
            grad = np.sum(S - n * S / mu, axis=-1, keepdims=True)
            hess = np.sum(n * S * S / mu**2, axis=-1, keepdims=True)
            k = np.maximum(k - grad / np.maximum(hess, 1e-300), 0.0)
    return np.sum(deviance_terms(n, k * S + B), axis=-1)


#: Majorana phases (alpha21, alpha31 - 2 delta) over which the tested hypotheses of a
#: Majorana-truth limit are profiled: a 4 x 4 grid of multiples of pi/2 (with the truth point).
PHASE_GRID = tuple((a * np.pi / 2, b * np.pi / 2) for a in range(4) for b in range(4))


def _coupling_dchi2(ctx: _Context, masses, c: Coupling, mediator, n_true, floor, g_axes: int):
    """Delta chi^2(g) of the coupling test, minimised over the tested phase points.

    ``g_axes`` trailing axes are appended to g before it meets the expansion (as in the
    unprofiled scans). With one tested point (Dirac, or fixed phases) this is the old
    statistic exactly.
    """
    signals = [ctx.signal(masses, c, mediator, a) for a in ctx.tested_couplings()]
    profile = ctx.setup.profile_norm

    def dchi2(g):
        gg = g.reshape(g.shape + (1,) * g_axes)
        out = _delta_chi2(n_true, signals[0](gg), floor, profile)
        for sig in signals[1:]:
            out = np.minimum(out, _delta_chi2(n_true, sig(gg), floor, profile))
        return out

    return dchi2


def _batched_limit(dchi2_fn, batch_shape, threshold: float, sign: float):
    """First crossing of ``dchi2_fn(g) = threshold`` in |g| for every batch element.

    ``dchi2_fn(g)`` takes g of shape ``batch + (K,)`` and returns Delta chi^2 of that shape.
    Returns (limit, status) with status 0 = found, 1 = excluded already at the lower end of the
    search range (limit is an upper bound), 2 = not excluded within the range (limit = inf).
    """
    lo_dec, hi_dec = LOG10_G_RANGE
    grid = np.arange(lo_dec, hi_dec + 1e-9, COARSE_STEP_DEC)
    G = np.broadcast_to(sign * 10.0**grid, batch_shape + grid.shape)
    d = dchi2_fn(G)
    above = d >= threshold
    has = np.any(above, axis=-1)
    k = np.argmax(above, axis=-1)
    status = np.where(has, np.where(k == 0, 1, 0), 2)
    k = np.clip(k, 1, grid.size - 1)
    lo = grid[k - 1]
    hi = grid[k]
    for _ in range(N_BISECT):
        mid = 0.5 * (lo + hi)
        dm = dchi2_fn((sign * 10.0**mid)[..., None])[..., 0]
        up = dm >= threshold
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    limit = 10.0 ** (0.5 * (lo + hi))
    limit = np.where(status == 2, np.inf, np.where(status == 1, 10.0**grid[0], limit))
    return limit, status


def coupling_limits_vs_mass(setup: AsimovSetup, coupling: str, mediator_masses_eV: ArrayLike,
                            delta_chi2: float, sign: str = "both") -> dict:
    """Upper limits on |coupling| versus mediator mass, all masses at once (GP21 Fig. 3).

    Parameters
    ----------
    setup : AsimovSetup
        Campaign and truth (SM).
    coupling : str
        ``gL11``, ``gR11``, ``yS11``, ``yP11``, ... (products g^e g^nu, y^e y^nu).
    mediator_masses_eV : array_like
        Mediator masses (eV), 1-d.
    delta_chi2 : float
        Threshold.
    sign : {"both", "+", "-"}
        Sign of the coupling tested; ``both`` reports the weaker (conservative) of the two.

    Returns
    -------
    dict
        ``m_eV``, ``limit``, ``limit_pos``, ``limit_neg``, ``status`` arrays and
        ``limit_sign`` ("+" or "-": the sign that gave ``limit``).

    """
    c = parse_coupling(coupling, "sensitivity")
    M = np.atleast_1d(np.asarray(mediator_masses_eV, dtype=float))
    if M.ndim != 1 or np.any(~np.isfinite(M)) or np.any(M <= 0):
        raise InputError("sensitivity", "masses", M.tolist(), "mediator masses > 0 eV")
    if sign not in ("both", "+", "-"):
        raise InputError("sensitivity", "sign", sign, "'both', '+' or '-'")
    ctx = _Context(setup)
    sig0, floor = ctx.sm_counts(ctx.masses)
    n_true = sig0 + floor
    dchi2 = _coupling_dchi2(ctx, ctx.masses, c, M[:, None, None], n_true, floor, 1)

    out = {"m_eV": M}
    lims = {}
    stats = {}
    for name, sgn in (("pos", 1.0), ("neg", -1.0)):
        if sign == "both" or (sign == "+") == (sgn > 0):
            lims[name], stats[name] = _batched_limit(dchi2, (M.size,), delta_chi2, sgn)
    vals = list(lims.values())
    out["limit"] = np.maximum.reduce(vals) if len(vals) > 1 else vals[0]
    out["limit_pos"] = lims.get("pos", np.full(M.size, np.nan))
    out["limit_neg"] = lims.get("neg", np.full(M.size, np.nan))
    out["limit_sign"] = _limit_sign(lims, M.size)
    out["status"] = np.maximum.reduce(list(stats.values()))
    return out


def _limit_sign(lims: dict, n: int) -> NDArray[np.str_]:
    """Which sign gave the reported limit: the only one tested, or the weaker of the two."""
    if "neg" not in lims:
        return np.full(n, "+")
    if "pos" not in lims:
        return np.full(n, "-")
    return np.where(lims["pos"] >= lims["neg"], "+", "-")


def coupling_limits_vs_lightest(setup: AsimovSetup, coupling: str, m_lightest_eV: ArrayLike,
                                mediator_mass_eV: float, delta_chi2: float,
                                sign: str = "both") -> dict:
    """Upper limits on |coupling| versus the (true = tested) lightest mass (GP21 Fig. 4).

    The truth is the SM at each lightest mass; the tested hypothesis adds the coupling at the
    same lightest mass and the given mediator mass. Steps whose channels are all closed have
    N_true = N_test = 0 and contribute nothing ([physics §6.1]).
    """
    c = parse_coupling(coupling, "sensitivity")
    ml = np.atleast_1d(np.asarray(m_lightest_eV, dtype=float))
    if not (np.isfinite(mediator_mass_eV) and mediator_mass_eV > 0):
        raise InputError("sensitivity", "mediator_mass_eV", mediator_mass_eV,
                         "a mass > 0 eV")
    ctx = _Context(setup, ml)
    masses = ctx.masses[:, None, None, :]
    sig0, floor = ctx.sm_counts(masses)
    n_true = sig0 + floor
    dchi2 = _coupling_dchi2(ctx, masses, c, mediator_mass_eV, n_true, floor, 1)

    lims, stats = {}, []
    for name, sgn in (("pos", 1.0), ("neg", -1.0)):
        if sign == "both" or (sign == "+") == (sgn > 0):
            lims[name], st = _batched_limit(dchi2, (ml.size,), delta_chi2, sgn)
            stats.append(st)
    return {"m_lightest_eV": ml, "limit": np.maximum.reduce(list(lims.values())),
            "limit_sign": _limit_sign(lims, ml.size),
            "status": np.maximum.reduce(stats),
            "n_sm_events": np.sum(n_true, axis=-1).reshape(ml.size)}


def discovery_significance(setup: AsimovSetup, coupling: str, value: ArrayLike,
                           mediator_mass_eV: ArrayLike) -> NDArray[np.float64]:
    """Asimov discovery significance Z = sqrt(Delta chi^2) of a true coupling against the SM.

    Broadcast over coupling values and mediator masses (1 dof: the SM is the coupling = 0 point).
    For a Majorana truth with ``majorana_phases = "profiled"`` (the default) the rejected SM
    hypothesis has its phases profiled: Delta chi^2 is the minimum over the truth's phases and
    the :data:`PHASE_GRID` points (as for the limits); Dirac and fixed phases test the truth's
    phases alone, as before.
    """
    c = parse_coupling(coupling, "sensitivity")
    ctx = _Context(setup)
    signal = ctx.signal(ctx.masses, c, np.asarray(mediator_mass_eV, float)[..., None])
    sig1 = signal(np.asarray(value, float)[..., None])
    sig0, floor = ctx.sm_counts(ctx.masses)
    d = _delta_chi2(sig1 + floor, sig0, floor, setup.profile_norm)
    for a in ctx.tested_couplings()[1:]:
        d = np.minimum(d, _delta_chi2(sig1 + floor, ctx.sm_counts(ctx.masses, a)[0], floor,
                                      setup.profile_norm))
    return np.sqrt(np.maximum(d, 0.0))


def limit_task(payload: dict) -> dict:
    """Executor task: one chunk of a mediator-mass or lightest-mass scan (pure, plain data).

    ``payload`` keys: ``setup`` (dict of :class:`AsimovSetup`), ``scan`` (``mediator-mass`` or
    ``m-lightest``), ``coupling``, ``grid`` (list), ``delta_chi2``, ``sign`` and, for the
    lightest-mass scan, ``mediator_mass_eV``.
    """
    setup = AsimovSetup(**payload["setup"])
    if payload["scan"] == "mediator-mass":
        r = coupling_limits_vs_mass(setup, payload["coupling"], payload["grid"],
                                    payload["delta_chi2"], payload.get("sign", "both"))
        x = r["m_eV"]
    else:
        r = coupling_limits_vs_lightest(setup, payload["coupling"], payload["grid"],
                                        payload["mediator_mass_eV"], payload["delta_chi2"],
                                        payload.get("sign", "both"))
        x = r["m_lightest_eV"]
    return {"x": np.asarray(x).tolist(), "limit": np.asarray(r["limit"]).tolist(),
            "status": np.asarray(r["status"]).tolist(),
            "limit_sign": np.asarray(r["limit_sign"]).tolist()}


def _first_crossing_side(d, dmin, k_best, thr, side):
    """Index of the first coarse point beyond the best fit (side +1/-1) with d - dmin >= thr."""
    n = d.shape[-1]
    idx = np.arange(n)
    beyond = (idx[None, :] > k_best[:, None]) if side > 0 else (idx[None, :] < k_best[:, None])
    hit = beyond & (d - dmin[:, None] >= thr)
    if side > 0:
        k = np.where(np.any(hit, axis=-1), np.argmax(hit, axis=-1), -1)
    else:
        k = np.where(np.any(hit, axis=-1), n - 1 - np.argmax(hit[:, ::-1], axis=-1), -1)
    return k


def toy_limits(setup: AsimovSetup, coupling: str, mediator_masses_eV: ArrayLike,
               delta_chi2: float, indices, entropy: int) -> NDArray[np.float64]:
    """Upper limits on |coupling| for SM toys (Poisson data), all masses at once.

    For toy ``k`` (generator :func:`renpsim.stats.executor.toy_seed` (entropy, k)) the
    statistic is Delta chi^2(g) = D(n_toy, N_test(g)) - min_g D(n_toy, N_test(g)); the limit on
    each sign is the first crossing of the threshold beyond the best fit (coarse log grid,
    then bisection), and the weaker of the two signs is reported (as ``sign="both"``). The
    minimum is taken on the coarse grid (0.25 decade), which can make a limit slightly
    conservative. For a Majorana setup with ``majorana_phases = "profiled"`` (the default) the
    tested hypotheses' phases are profiled as in the Asimov limits: D is the minimum over the
    truth's phases and the :data:`PHASE_GRID` points at every g (Dirac and fixed phases: the
    truth's alone, as before).

    Returns
    -------
    numpy.ndarray
        Shape (len(indices), n_masses).

    """
    from renpsim.stats.executor import toy_seed

    c = parse_coupling(coupling, "toys")
    M = np.atleast_1d(np.asarray(mediator_masses_eV, dtype=float))
    ctx = _Context(setup)
    sig0, floor = ctx.sm_counts(ctx.masses)
    n_true = sig0 + floor
    lo_dec, hi_dec = LOG10_G_RANGE
    pos = 10.0 ** np.arange(lo_dec, hi_dec + 1e-9, COARSE_STEP_DEC)
    lg = np.log10(pos)
    gs = np.concatenate([-pos[::-1], [0.0], pos])
    # one signal per tested phase point (the truth's first: alone for Dirac / fixed phases)
    signals = [ctx.signal(ctx.masses, c, M[:, None, None], a)   # (M, 1, F)
               for a in ctx.tested_couplings()]
    mus = [sig(gs[None, :, None]) + floor for sig in signals]  # (M, G, F) each

    def deviance(n, mu_list):
        d = np.sum(deviance_terms(n, mu_list[0]), axis=-1)
        for mu_r in mu_list[1:]:
            d = np.minimum(d, np.sum(deviance_terms(n, mu_r), axis=-1))
        return d

    out = np.empty((len(indices), M.size))
    izero = pos.size
    for row, idx in enumerate(indices):
        n = toy_seed(entropy, idx).poisson(n_true).astype(float)
        d = deviance(n, mus)  # (M, G)
        k_best = np.argmin(d, axis=-1)
        dmin = d[np.arange(M.size), k_best]
        lims = []
        for side in (1, -1):
            k = _first_crossing_side(d, dmin, k_best, delta_chi2, side)
            found = k >= 0
            kk = np.where(found, k, izero + side)
            # bracket in log|g| between the previous coarse point and the crossing
            j = kk - izero
            mag_idx = np.clip(np.abs(j) - 1, 0, pos.size - 1)
            hi = lg[mag_idx]
            lo_ = np.where(np.abs(j) > 1, lg[np.clip(np.abs(j) - 2, 0, pos.size - 1)], lo_dec - 1)
            for _ in range(N_BISECT):
                mid = 0.5 * (lo_ + hi)
                dm = deviance(n, [sig((side * 10.0**mid)[:, None, None])[:, 0] + floor
                                  for sig in signals]) - dmin
                up = dm >= delta_chi2
                hi = np.where(up, mid, hi)
                lo_ = np.where(up, lo_, mid)
            lims.append(np.where(found, 10.0**hi, np.inf))
        out[row] = np.maximum(lims[0], lims[1])
    return out


def toy_limit_task(payload: dict) -> dict:
    """Executor task: SM toys ``payload["indices"]`` of a toy-limit study (pure, plain data)."""
    lim = toy_limits(AsimovSetup(**payload["setup"]), payload["coupling"], payload["grid"],
                     payload["delta_chi2"], payload["indices"], payload["entropy"])
    return {"indices": list(payload["indices"]), "limits": lim.tolist()}


#: Dipole matrix elements reported by :func:`dipole_limits` (Dirac: hermitian, so ij = ji).
DIPOLE_ELEMENTS = ("mu11", "mu12", "mu13", "mu22", "mu23", "mu33",
                   "eps11", "eps12", "eps13", "eps22", "eps23", "eps33")


def dipole_limits(setup: AsimovSetup, delta_chi2: float,
                  elements: tuple[str, ...] | None = None) -> dict:
    """Asimov upper limits on |mu_ij| and |eps_ij| (units of mu_B), one element at a time.

    The EM term adds incoherently ([physics §4.3]), so the limit hardly depends on the sign
    (both signs are tested and the weaker is kept); each element only acts below its own
    threshold omega_ij^max, which is how a scan isolates individual elements. Elements whose
    channel is closed at every step get inf. Default elements: all of
    :data:`DIPOLE_ELEMENTS` for Dirac neutrinos, the off-diagonal (transition) ones for Majorana
    neutrinos, whose diagonal moments vanish (asking for one raises InputError).
    """
    if elements is None:
        elements = tuple(n for n in DIPOLE_ELEMENTS
                         if setup.nature != "majorana" or n[-1] != n[-2])
    out = {}
    for name in elements:
        c = parse_coupling(name, "dipole element")
        if c.mediator != "dipole":
            raise InputError("dipole element", "element", name, "mu<ij> or eps<ij>")
        r = coupling_limits_vs_mass(setup, name, [1.0], delta_chi2, sign="both")
        out[name] = float(r["limit"][0])
    return out


#: Probe points of the exact quadratic I(|U_e4|^2) (:func:`sterile_expansion`).
_U_PROBES = (0.0, 0.25, 0.5)


def sterile_expansion(setup: AsimovSetup, m4_eV: ArrayLike, phase_rad: float = 0.0):
    """Signal counts of the 3+1 model as the exact quadratic s0 + s1 u + s2 u^2, u = |U_e4|^2.

    With only U_e4 mixing every a_ij is a polynomial of degree 2 in u
    (:func:`renpsim.physics.sterile.theta14_rows`), so three evaluations of the physics layer
    (u = 0, 1/4, 1/2; four masses, 16 channels) determine I(u) exactly; u = 0 is the
    three-flavour spectrum bit for bit. Returns the coefficients, each of shape
    ``(len(m4), n_steps)``, and the floor (background + dark counts).
    """
    from renpsim.physics.sterile import coupling_from_rows, theta14_rows

    ctx = _Context(setup)
    m4 = np.atleast_1d(np.asarray(m4_eV, dtype=float))
    if m4.ndim != 1 or np.any(~np.isfinite(m4)) or np.any(m4 < 0):
        raise InputError("sensitivity", "m4_eV", m4.tolist(), "sterile masses >= 0 eV")
    osc = load_preset(setup.oscillation, setup.ordering)
    ue3 = electron_row(osc.sin2_theta12.value, osc.sin2_theta13.value, osc.delta_cp_rad)
    ue, us = theta14_rows(ue3, np.asarray(_U_PROBES), phase_rad)
    a = coupling_from_rows(ue, us)[:, None, None]  # (3, 1, 1, 4, 4)
    masses = np.concatenate([np.broadcast_to(ctx.masses, (m4.size, 3)), m4[:, None]], axis=-1)
    I = spectral_function_arrays(ctx.omega, masses[:, None, :], a, E_eg_eV=ctx.E_eg,
                                 E_vg_eV=ctx.E_vg, majorana=setup.nature == "majorana",
                                 **setup.imprinted)
    # I[k] = c0 + c1 u_k + c2 u_k^2 at u = 0, 1/4, 1/2
    c0 = I[0]
    c2 = 8.0 * (I[2] - 2.0 * I[1] + I[0])
    c1 = 4.0 * (I[1] - I[0]) - 0.25 * c2
    return tuple(ctx.sig_scale * c for c in (c0, c1, c2)), ctx.floor


def sterile_limits_vs_mass(setup: AsimovSetup, m4_eV: ArrayLike, delta_chi2: float,
                           phase_rad: float = 0.0) -> dict:
    """Asimov upper limits on |U_e4|^2 versus m4 for a three-flavour (SM) truth.

    The tested hypothesis is the 3+1 model with only U_e4 mixing (phase ``phase_rad``, which
    matters for Majorana neutrinos only); Delta chi^2 = D(N_true, N_test(u)), with the
    normalisation profiled if ``setup.profile_norm``. Same batched first-crossing search as
    the coupling limits; limits at or above |U_e4|^2 = 1 are reported as inf (status 2).

    Returns
    -------
    dict
        ``m4_eV``, ``limit`` (on |U_e4|^2), ``status`` (0 found, 1 below the search range,
        2 not excluded).

    """
    m4 = np.atleast_1d(np.asarray(m4_eV, dtype=float))
    (s0, s1, s2), floor = sterile_expansion(setup, m4, phase_rad)
    n_true = s0 + floor

    def dchi2(u):
        uu = np.minimum(u, 1.0)[..., None]  # |U_e4|^2 <= 1: no excursion past the physical end
        return _delta_chi2(n_true[:, None, :], s0[:, None, :] + s1[:, None, :] * uu
                           + s2[:, None, :] * uu * uu, floor, setup.profile_norm)

    lim, status = _batched_limit(dchi2, (m4.size,), delta_chi2, 1.0)
    unphysical = lim >= 1.0
    return {"m4_eV": m4, "limit": np.where(unphysical, np.inf, lim),
            "status": np.where(unphysical, 2, status)}
