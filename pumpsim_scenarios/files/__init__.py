"""Scenario files: the TOML format checked into frozen values with precise errors, the numbers
turned into the model's values, and the shipped library (data in `library/`).

May import: `pumpsim`, `firmware_protocol.wire`.
"""
