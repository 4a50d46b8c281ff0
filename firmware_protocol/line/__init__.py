"""The line: byte transports with pyserial's read/write, the one seeded fault model of a serial
line, the reliable link (a sans-I/O sliding window) and the whole stack on one virtual clock.

May import: `firmware_protocol.wire`.
"""
