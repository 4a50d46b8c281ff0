"""The device: the firmware that binds a `pumpsim.Pump` to a port, its request handlers and command
table, its clock, and its durable memory (store and journal).

May import: `firmware_protocol.session`, `.line`, `.wire`, `pumpsim`. Never the client.
"""
