"""Command-line entry points: the I/O edge around the pure `pumpsim` core."""
