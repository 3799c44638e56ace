"""The GP21 benchmark point [GP21], the one definition of its numbers.

Yb at V = 100 cm^3, n_a = n_gamma = 1e21 cm^-3, eta = 1; three trigger energies with 2.3 days
of running IN TOTAL, split equally over them [physics §1.5]; S-bench neutrinos: normal
ordering, m1 = 0.01 eV, Dirac, NuFIT 5.0-like oscillation parameters [physics §8].
"""

from __future__ import annotations

#: Trigger energies of the three scan points (eV).
GP21_OMEGA_EV = (1.0688, 1.0699, 1.0711)

#: Total running time over the three points (days), split equally.
GP21_TOTAL_DAYS = 2.3

#: Truth hypothesis of the benchmark.
GP21_ORDERING = "NO"
GP21_M_LIGHTEST_EV = 0.01
GP21_NATURE = "dirac"
GP21_OSCILLATION = "nufit-5.0"
