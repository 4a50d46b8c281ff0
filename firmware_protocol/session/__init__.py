"""Sessions and their security: keys, mutual authentication, per-frame authenticated encryption,
replay windows, and the pump's side of the handshake.

May import: `firmware_protocol.line`, `firmware_protocol.wire`, `pumpsim`.
"""
