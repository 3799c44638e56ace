"""BSM inputs: validation, spec parsing, effective moments, and the CLI contract of docs/bsm.md."""

import json

import numpy as np
import pytest

from renpsim.cli.main import main
from renpsim.errors import InputError
from renpsim.physics import load_target, neutrino_state
from renpsim.physics.bsm import (
    ChargeRadiusAnapole,
    DipoleMoments,
    ScalarMediator,
    VectorMediator,
    effective_moments,
    mu_eff_flavour,
    mu_stellar,
    parse_term_spec,
    spectral_function_bsm,
    state_pmns,
)
from renpsim.physics.neutrino import electron_row, pmns_matrix

YB = load_target("Yb")


# ---- term validation -------------------------------------------------------------------------

@pytest.mark.parametrize("make, key", [
    (lambda: VectorMediator(-1.0, gL=1e-16), "m"),
    (lambda: VectorMediator(1.0, gL=1e-16, width_eV=-0.1), "width"),
    (lambda: VectorMediator(float("nan"), gL=1e-16), "m"),
    (lambda: VectorMediator(1.0, gL={"12": 1e-16}), "gL12"),          # not hermitian
    (lambda: VectorMediator(1.0, gL={"14": 1e-16}), "gL14"),          # unknown element
    (lambda: VectorMediator(1.0, gL=np.ones((2, 2))), "gL"),           # wrong shape
    (lambda: VectorMediator(1.0, gR="abc"), "gR"),
    (lambda: ScalarMediator(1.0, yS=1e-9 + 1e-10j), "yS11"),          # complex diagonal
    (lambda: ScalarMediator(1.0, yS=1e-9, convention="gp21"), "convention"),
    (lambda: ScalarMediator(1.0, yS=1e-9, convention="paper", width_eV=0.1), "width"),
])
def test_bad_term_parameters(make, key):
    with pytest.raises(InputError) as exc:
        make()
    assert exc.value.key == key


def test_dipole_hermiticity_depends_on_nature():
    dirac = neutrino_state("NO", 0.01, "dirac")
    maj = neutrino_state("NO", 0.01, "majorana")
    antisym = DipoleMoments(mu={"12": 1e-11, "21": -1e-11})
    herm = DipoleMoments(mu={"12": 1e-11, "21": 1e-11})
    with pytest.raises(InputError, match="hermitian"):
        spectral_function_bsm(1.07, dirac, YB, [antisym])
    with pytest.raises(InputError, match="antisymmetric"):
        spectral_function_bsm(1.07, maj, YB, [herm])
    with pytest.raises(InputError, match="antisymmetric"):
        spectral_function_bsm(1.07, maj, YB, [DipoleMoments(mu=1e-11)])  # diagonal
    assert np.isfinite(spectral_function_bsm(1.07, dirac, YB, [herm]))
    assert np.isfinite(spectral_function_bsm(1.07, maj, YB, [antisym]))
    with pytest.raises(InputError, match="Dirac"):
        spectral_function_bsm(1.07, maj, YB, [ChargeRadiusAnapole(1e-32)])


def test_unknown_term_type():
    state = neutrino_state("NO", 0.01, "dirac")
    with pytest.raises(InputError, match="VectorMediator"):
        spectral_function_bsm(1.07, state, YB, [{"m": 1.0}])


# ---- spec parser -----------------------------------------------------------------------------

def test_spec_parser_builds_the_terms():
    v = parse_term_spec("vector", "m=20000,gL11=8e-16,gR11=0,gL12=1e-17+2e-18j,width=3")
    assert float(v.mass_eV) == 20000.0 and float(v.width_eV) == 3.0
    assert v.gL[0, 0] == 8e-16 and v.gL[0, 1] == 1e-17 + 2e-18j
    assert v.gL[1, 0] == 1e-17 - 2e-18j  # filled as the conjugate
    s = parse_term_spec("scalar", "m=20000,yS11=6e-9,yP11=0,convention=paper")
    assert s.convention == "paper" and s.yS[0, 0] == 6e-9
    d = parse_term_spec("dipole", "mu12=1e-11,eps13=2e-12", nature="majorana")
    assert d.mu[1, 0] == -1e-11 and d.eps[2, 0] == -2e-12
    d = parse_term_spec("dipole", "mu12=1e-11j")
    assert d.mu[1, 0] == -1e-11j


@pytest.mark.parametrize("kind, spec, key", [
    ("vector", "gL11=1e-16", "m"),
    ("vector", "m=-5,gL11=1e-16", "m"),
    ("vector", "m=5,gX11=1e-16", "gX11"),
    ("vector", "m=5,gL11=many", "gL11"),
    ("vector", "m=5,gL11", "gL11"),
    ("vector", "m=5,yS11=1", "yS11"),
    ("scalar", "m=5,yS11=1e-9,convention=gp21", "convention"),
    ("dipole", "m=5,mu11=1e-11", "m"),
    ("vector", "m=5,gL12=1e-16,gL21=2e-16", "gL12"),  # inconsistent transpose
])
def test_spec_parser_errors(kind, spec, key):
    with pytest.raises(InputError) as exc:
        parse_term_spec(kind, spec)
    assert exc.value.key == key
    assert exc.value.where == kind   # a parameter, not an option (the CLI re-labels it)


# ---- effective moments ([physics §4.3], [physics §7.3]; NF22)
# ------------------------------------------

def test_pmns_first_row_and_unitarity():
    U = pmns_matrix(0.304, 0.02219, 0.573, 3.44, 0.7, 1.9)
    np.testing.assert_allclose(U @ U.conj().T, np.eye(3), atol=1e-15)
    np.testing.assert_allclose(U[0], electron_row(0.304, 0.02219, 3.44, 0.7, 1.9), atol=1e-16)
    # PDG: U_mu3 = s23 c13, U_tau3 = c23 c13 (times the alpha31 phase)
    assert abs(U[1, 2]) == pytest.approx(np.sqrt(0.573 * (1 - 0.02219)))
    assert abs(U[2, 2]) == pytest.approx(np.sqrt((1 - 0.573) * (1 - 0.02219)))


def test_effective_moments():
    state = neutrino_state("NO", 0.01, "dirac", alpha21=0.3, alpha31=1.2)
    U = state_pmns(state)
    x = 2e-11
    got = mu_eff_flavour(x, 0.0, U)
    np.testing.assert_allclose(got, x * np.abs(U[:, 0]), rtol=1e-14)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    mu, eps = 1e-11 * (a + a.conj().T), 1e-12 * (a.T + a.conj())
    # unitarity: sum over flavours of mu_eff^2 = sum_jk |mu_jk - i eps_jk|^2
    total = np.sum(mu_eff_flavour(mu, eps, U) ** 2)
    assert total == pytest.approx(np.sum(np.abs(mu - 1j * eps) ** 2), rel=1e-12)
    assert mu_stellar(mu, eps) == pytest.approx(
        np.sqrt(np.sum(np.abs(mu) ** 2) + np.sum(np.abs(eps) ** 2)), rel=1e-14)


# ---- CLI contract -------------------------------------------------------------------------------

BASE = ("spectrum --target Yb --ordering NO --m-lightest 0.01 --nature dirac "
        "--omega 1.0688 1.0699 1.0711 --json").split()


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cli_bsm_json_contract(capsys):
    args = [*BASE, "--vector", "m=20000,gL11=8e-16,gR11=0", "--scalar",
            "m=20000,yS11=6e-9,yP11=0,convention=paper", "--dipole", "mu11=1e-11,eps12=0"]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    rec = json.loads(out)
    assert len(rec["I"]) == len(rec["I_sm"]) == len(rec["ratio"]) == 3
    for i, i_sm, r in zip(rec["I"], rec["I_sm"], rec["ratio"], strict=True):
        assert r == pytest.approx(i / i_sm, rel=1e-14)
    bsm = rec["inputs"]["bsm"]
    assert [b["kind"] for b in bsm] == ["vector", "scalar", "dipole"]
    assert bsm[0]["m_eV"] == 20000.0 and bsm[0]["gL"] == {"11": 8e-16}
    assert bsm[1]["convention"] == "paper" and bsm[1]["yS"] == {"11": 6e-9}
    assert bsm[2]["mu"] == {"11": 1e-11} and bsm[2]["unit"] == "mu_B"
    assert bsm[0]["spec"] == "m=20000,gL11=8e-16,gR11=0"
    # without BSM terms the record has no I_sm / ratio (SM contract unchanged)
    code, out, _ = run_cli(BASE, capsys)
    rec_sm = json.loads(out)
    assert "ratio" not in rec_sm and "bsm" not in rec_sm["inputs"]
    assert rec_sm["I"] == rec["I_sm"]


def test_cli_zero_couplings_ratio_is_one(capsys):
    code, out, _ = run_cli([*BASE, "--vector", "m=1,gL11=0"], capsys)
    assert code == 0
    assert json.loads(out)["ratio"] == pytest.approx([1.0, 1.0, 1.0], rel=1e-15)


@pytest.mark.parametrize("option, spec, fragment", [
    ("--vector", "gL11=8e-16", "option --vector: m"),
    ("--vector", "m=-1,gL11=8e-16", "option --vector: m = '-1'"),
    ("--vector", "m=1,gQ11=8e-16", "option --vector: gQ11"),
    ("--scalar", "m=1,yS11=x", "option --scalar: yS11 = 'x'"),
    ("--dipole", "mu12=1e-11,mu21=3e-11", "option --dipole: mu12"),
])
def test_cli_bad_specs_one_line_exit_2(capsys, option, spec, fragment):
    code, out, err = run_cli([*BASE, option, spec], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and fragment in err


def test_effective_moments_of_a_majorana_term():
    state = neutrino_state("NO", 0.01, "majorana", alpha21=0.4)
    term = DipoleMoments(mu={"12": 1e-11, "21": -1e-11})
    got = effective_moments(term, state)
    U = state_pmns(state)
    # mu_eff_e^2 = |U*_e2 mu_12|^2 + |U*_e1 mu_21|^2 (rows j = 1, 2)
    expected = 1e-11 * np.sqrt(abs(U[0, 1]) ** 2 + abs(U[0, 0]) ** 2)
    assert float(got["mu_eff_e"]) == pytest.approx(expected, rel=1e-14)
    assert float(got["mu_stellar"]) == pytest.approx(np.sqrt(2) * 1e-11, rel=1e-14)
    with pytest.raises(InputError, match="antisymmetric"):
        effective_moments(DipoleMoments(mu=1e-11), state)
