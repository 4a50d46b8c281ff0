"""Code only tests and benchmarks run: the naive fixed-step reference integrator (the oracle).

May import: `pumpsim.domain`, `pumpsim.units`. No production path imports this folder.
"""
