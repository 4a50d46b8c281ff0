"""Running one scenario: on the model or through the whole stack (drivers), its results and series,
and the live training player with its debrief.

May import: `pumpsim_scenarios.files`, `firmware_protocol`, `pumpsim`.
"""
