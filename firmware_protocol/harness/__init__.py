"""Harnesses that put a pump together: the one simulated-pump builder, a pump on a pty, recorded
sessions and their replay, and the pytest plugin.

May import: every other folder of `firmware_protocol`, and `pumpsim`.
"""
