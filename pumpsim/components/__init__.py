"""The device's parts, one job each: battery, reservoir and fluid path, motor, boluses, the program
in force, latched alarms, fault state, and the ledger (event log and trend).

May import: `pumpsim.rules`, `pumpsim.domain`, `pumpsim.units`. A component knows nothing of the
others; the engine wires them together.
"""
