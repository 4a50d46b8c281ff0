"""The contract a third party reads: the machine-readable schema, the generated part of
docs/protocol.md, the frozen test vectors and the catalogue of every wire error code.

May import: everything below the harnesses (`device` excepted), and `pumpsim`.
"""
