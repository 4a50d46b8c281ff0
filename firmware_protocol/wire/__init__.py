"""The wire format: COBS framing, checked frames, the message table and its one codec, and the
translation between the model's values and their wire records.

May import: `pumpsim` (for `convert`). Knows nothing of lines, sessions, the device or the client.
"""
