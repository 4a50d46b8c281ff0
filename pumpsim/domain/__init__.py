"""The domain as values: units of dose and time, drugs and mixes, programs, configuration, faults,
alarms, log records, status and the errors, as frozen dataclasses and enums.

May import: `pumpsim.units` only. Everything else in pumpsim stands on this floor.
"""
