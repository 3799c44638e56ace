"""Fast equivalents used by the shot/events levels: the (shot, time) ordering equals numpy's
lexsort, and TableInterp equals np.interp, exactly."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from renpsim.daq.levels import TableInterp
from renpsim.hardware.detector import order_by_shot_time

_times = st.one_of(st.floats(-1e-7, 1e-7), st.sampled_from([0.0, 1e-9, -0.0, 5e-9, np.nan]))


@given(st.data())
def test_order_equals_lexsort(data):
    n = data.draw(st.integers(0, 200))
    span = data.draw(st.sampled_from([1, 3, 50, 70_000]))
    shot = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, span)))
    t = data.draw(hnp.arrays(np.float64, n, elements=_times))
    np.testing.assert_array_equal(order_by_shot_time(shot, t), np.lexsort((t, shot)))


def test_order_large_blocks_with_ties_and_sorted_input():
    rng = np.random.default_rng(4)
    for n, ties in ((50_000, False), (50_000, True), (3, False)):
        shot = np.sort(rng.integers(0, 16_384, n)) + 5 * 16_384
        t = rng.normal(0.0, 1e-9, n)
        if ties:
            t[::9] = t[0]
        np.testing.assert_array_equal(order_by_shot_time(shot, t), np.lexsort((t, shot)))
        o = np.lexsort((t, shot))          # already ordered input: identity
        np.testing.assert_array_equal(order_by_shot_time(shot[o], t[o]), np.arange(n))


# ---- TableInterp: np.interp bit for bit


@given(st.data())
def test_table_interp_equals_np_interp(data):
    m = data.draw(st.integers(2, 300))
    steps = data.draw(hnp.arrays(np.float64, m - 1, elements=st.sampled_from(
        [0.0, 1e-3, 0.5, 1.0, 7.25])))
    xp = data.draw(st.floats(-10, 10)) + np.concatenate(([0.0], np.cumsum(steps)))
    fp = data.draw(hnp.arrays(np.float64, m, elements=st.floats(-1e3, 1e3)))
    lo, hi = xp[0] - 1.0, xp[-1] + 1.0
    x = np.concatenate((data.draw(hnp.arrays(np.float64, st.integers(1, 200),
                                             elements=st.floats(lo, hi))), xp))
    np.testing.assert_array_equal(TableInterp(xp, fp)(x), np.interp(x, xp, fp))


def test_table_interp_on_simulation_tables():
    from renpsim.campaign import load_campaign
    from renpsim.daq.levels import _Sim

    rng = np.random.default_rng(2)
    for name in ("yb-threshold-scan", "xe-example"):
        sim = _Sim(load_campaign(name), 1)
        for kind in ("coh", "leak", "flat"):
            grid, cdf = sim._cdf(kind)
            u = rng.random(100_000)
            f = TableInterp(cdf, grid)
            assert f.exact
            np.testing.assert_array_equal(f(u), np.interp(u, cdf, grid))
        table = sim.I_table(0)
        if table is not None:
            x = rng.normal(0.0, table[0][-1] / 3, 50_000)
            np.testing.assert_array_equal(sim._interp[0](x), np.interp(x, *table))
    f = TableInterp([0.0, 1.0], [0.0, 2.0])
    x = np.array([0.5, np.nan, np.inf])
    np.testing.assert_array_equal(f(x), np.interp(x, [0.0, 1.0], [0.0, 2.0]))
