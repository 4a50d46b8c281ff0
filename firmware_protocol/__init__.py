"""firmware_protocol: the pump's telemetry wire, its firmware, and the client a programmer uses.

Layers, bottom up: `cobs` and `frame` (bytes to checked frames and back), `security` (per-session
authenticated encryption and replay windows), `link` (reliable, ordered delivery with a sliding
window), `messages` (typed messages with one codec), then `firmware` (binds a `pumpsim.Pump` to a
port) and `client` (what a programmer calls). The wire format is specified in docs/protocol.md.
"""

import logging

# A library logs, its user decides where to: without this, Python's last-resort handler printed
# every refused command of a swarm's million to stderr. `pumpsim serve` installs a real handler.
logging.getLogger("pumpsim").addHandler(logging.NullHandler())
