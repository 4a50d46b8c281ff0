"""The pump's non-volatile medium: a simulated disk that holds writes until they are synced and
loses, keeps or tears them at a power cut, the SQLite VFS that puts the store on it, and the
commit register by which the firmware notices an acknowledged record it can no longer read.

May import: `apsw` and the standard library; nothing else of `firmware_protocol`.
"""
