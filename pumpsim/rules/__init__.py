"""The rules a program answers to: hard validation, soft (titration) limits, and the closed-form
arithmetic of a schedule (its integral and inverse).

May import: `pumpsim.domain`, `pumpsim.units`. Pure functions; no state.
"""
