"""Swarm testing: random lives of the whole stack from a seed, with power cuts and a bad line,
checked against a reference pump (the oracle), and the memory taps and planted bugs that prove the
checker.

May import: `firmware_protocol`, `pumpsim`. Not the scenario files or runner.
"""
