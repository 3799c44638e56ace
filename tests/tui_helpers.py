"""Fixtures shared by the TUI tests: a commented GP21-benchmark campaign file."""

from __future__ import annotations

import tomlkit
from renpsim_tui.app import PlannerApp
from renpsim_tui.campaign import Campaign

#: GP21 benchmark ([hardware §8.2] preset 1): Yb, V = 100 cm^3, n = 1e21 cm^-3, eta = 1, ideal
#: detector, three frequencies with 2.3 days in total split equally (66 240 s each).
GP21_TOML = """\
# GP21 benchmark campaign (test fixture)
name = "gp21-test"  # name comment
hardware = "gp21-benchmark"
seed = 7

[hardware_overrides.target]
# the benchmark density
density_cm3 = 1e21

[truth]
ordering = "NO"
m_lightest_eV = 0.01  # lightest mass comment
nature = "dirac"
oscillation = "nufit-5.0"

[scan]
generator = "explicit"  # scan comment
omega_eV = [1.0688, 1.0699, 1.0711]
dwell_s = 66240.0
order = "as_listed"

[[calibration]]  # not interpreted by the interface: must survive a round trip
kind = "dark"
shots = 1000
position = "start"
"""

#: [physics §8.3] / [hardware §8.2] (N2): expected events per frequency for the benchmark.
GP21_EVENTS = (8.3, 6.5, 5.9)


def gp21_campaign() -> Campaign:
    """The benchmark campaign, not bound to a file (deterministic messages for snapshots)."""
    return Campaign(tomlkit.parse(GP21_TOML))


def gp21_app() -> PlannerApp:
    """A planner on the benchmark campaign (no animations: faster, deterministic tests)."""
    app = PlannerApp(gp21_campaign())
    app.animation_level = "none"
    return app
