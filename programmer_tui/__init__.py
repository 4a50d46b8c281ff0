"""programmer_tui: the clinician programmer in the terminal (Textual).

It talks to a pump only through `firmware_protocol`'s client, exactly as it would talk to an
implant: `backend.Backend` wraps that client for the UI, `embedded.EmbeddedPump` serves a simulated
pump in the same process for demonstrations and tests.
"""
