"""firmware_protocol: the pump's telemetry wire, its firmware, and the client a programmer uses.

Layers, bottom up: `cobs` and `frame` (bytes to checked frames and back), `security` (per-session
authenticated encryption and replay windows), `link` (reliable, ordered delivery with a sliding
window), `messages` (typed messages with one codec), then `firmware` (binds a `pumpsim.Pump` to a
port) and `client` (what a programmer calls). The wire format is specified in docs/protocol.md.
"""
