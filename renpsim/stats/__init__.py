"""Statistics engine of renpsim.

Poisson-deviance likelihood, iminuit fits, Asimov/toy sensitivities, exposure planning and an
executor seam (serial / processes / Dask) for scans and toys.

See docs/statistics.md for the likelihood, nuisances, conventions and output formats.
"""
