"""programmer_tui: the clinician programmer in the terminal (Textual).

It talks to a pump only through `firmware_protocol`'s client, exactly as it would talk to an
implant: `backend.Backend` wraps that client for the UI; `firmware_protocol.harness.simulated`
builds the simulated pump served in the same process for demonstrations and tests.
"""
