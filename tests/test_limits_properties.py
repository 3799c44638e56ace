"""Property tests: envelope is the pointwise minimum; sensitivity files round-trip exactly."""

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from renpsim.limits import (
    applicable_records,
    envelope,
    make_sensitivity,
    read_sensitivity,
    record_limit_at,
    write_sensitivity,
)

RECS = applicable_records("scalar_ye_ynu") + applicable_records("pseudoscalar_c_nu")

log_masses = st.lists(st.floats(-3.0, 9.0, allow_nan=False), min_size=1, max_size=30,
                      unique=True)


@given(log_masses)
def test_envelope_is_pointwise_minimum(logs):
    x = np.sort(10.0 ** np.asarray(logs))
    for quantity in ("scalar_ye_ynu", "pseudoscalar_c_nu"):
        recs = [r for r in RECS if r.quantity == quantity]
        env = envelope(recs, x)
        stack = np.vstack([record_limit_at(r, x) for r in recs])
        for j in range(len(x)):
            col = stack[:, j]
            if np.isfinite(col).any():
                assert env.limit[j] == np.nanmin(col)
                assert env.best_id[j] in {r.id for r, v in zip(recs, col, strict=True)
                                          if v == env.limit[j]}
            else:
                assert np.isnan(env.limit[j]) and env.best_id[j] is None


@given(log_masses, st.lists(st.floats(-30, 5, allow_nan=False), min_size=30, max_size=30))
def test_sensitivity_roundtrip_exact(logs, loglim):
    x = np.unique(10.0 ** np.asarray(logs))
    lim = 10.0 ** np.asarray(loglim[: len(x)])
    sens = make_sensitivity("vector_ge_gnu", x, lim, cl=0.9, dof=2, label="prop")
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.csv"
        write_sensitivity(p, sens)
        back = read_sensitivity(p)
    assert np.array_equal(back.x, x) and np.array_equal(back.limit, lim)
    assert (back.cl, back.dof, back.delta_chi2) == (0.9, 2, sens.delta_chi2)
