"""Bad input never escapes as anything but InputError (property test over campaign documents)."""

import copy
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from renpsim.campaign import campaign_from_dict, load_campaign
from renpsim.errors import InputError

BASE = tomllib.loads(load_campaign("yb-ordering-6pt").to_toml())
PATHS = [(k,) for k in BASE if not isinstance(BASE[k], dict | list)] + [
    (sec, k) for sec in ("scan", "truth") for k in BASE[sec]] + [
    ("hardware", sec, k) for sec, tbl in BASE["hardware"].items() if isinstance(tbl, dict)
    for k in tbl]

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                   st.lists(st.floats(allow_nan=True), max_size=3),
                   st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(PATHS), value=VALUES, rename=st.booleans())
def test_mutated_campaign_gives_input_error_or_loads(path, value, rename):
    doc = copy.deepcopy(BASE)
    tbl = doc
    for p in path[:-1]:
        tbl = tbl[p]
    if rename:
        tbl[path[-1] + "x"] = tbl.pop(path[-1])
    elif value is None:
        tbl.pop(path[-1])
    else:
        tbl[path[-1]] = value
    try:
        campaign_from_dict(doc, "fuzz.toml")
    except InputError as exc:
        assert exc.where.startswith("fuzz.toml")
