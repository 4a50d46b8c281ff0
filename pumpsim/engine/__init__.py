"""The event loop over the components: the state (`core`), the law of each stretch and `advance`
(`loop`), what becomes due at an instant (`settle`), the commands (`operations`), faults taking
effect, occurrences turned into alarms and log records, views, and snapshots.

May import: `pumpsim.components`, `pumpsim.rules`, `pumpsim.domain`, `pumpsim.units`.
"""
