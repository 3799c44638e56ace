"""The fast (shot, time) ordering used by the events level equals numpy's lexsort exactly."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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
