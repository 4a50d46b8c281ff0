"""SQLite on the simulated disk: an apsw VFS whose files live on a `SimDisk`.

Why a VFS rather than a store of our own: the store's atomicity is SQLite's (a write-ahead log with
checksummed frames, synced at each commit), and that is exactly what a power cut must be tested
against; a VFS puts the real SQLite on a medium that can lose writes, as SQLite's own crash tests
do, without a second store to keep in step with the one the device uses on a real file.

One VFS serves every disk in the process: a file's name begins with its disk's id (`/7/pump.db`),
and the disks are held weakly, so a disk lives exactly as long as its store. A handle opened
before a power cut is dead after it: whatever it does afterwards (the old connection being closed)
touches nothing, as a process that lost its power touches nothing.

The disk keeps no shared-memory file: the store opens it with `locking_mode=EXCLUSIVE`, which is
what SQLite asks of a VFS without one to run a write-ahead log (one process holds the pump's
memory, as one firmware does).
"""

from __future__ import annotations

import weakref
from typing import Any

import apsw

from firmware_protocol.memory.sim_disk import SECTOR_BYTES, SimDisk

VFS_NAME = "pumpsim-disk"
_DISKS: weakref.WeakValueDictionary[int, SimDisk] = weakref.WeakValueDictionary()


def disk_path(disk: SimDisk, name: str) -> str:
    """The name SQLite opens for file `name` on `disk` (registering the VFS on first use)."""
    _ensure_registered()
    _DISKS[disk.id] = disk
    return f"/{disk.id}/{name}"


def _split(path: str) -> tuple[SimDisk, str]:
    _, disk_id, name = path.split("/", 2)
    disk = _DISKS.get(int(disk_id))
    if disk is None:
        raise apsw.CantOpenError(f"no simulated disk {disk_id}")
    return disk, name


class DiskFile:
    """One open file: SQLite's calls turned into the disk's, while the power lasts."""

    def __init__(self, disk: SimDisk, name: str) -> None:
        self.disk, self.name, self.epoch = disk, name, disk.epoch

    @property
    def _alive(self) -> bool:
        return self.epoch == self.disk.epoch and self.disk.exists(self.name)

    def xRead(self, amount: int, offset: int) -> bytes:  # noqa: N802 - apsw's names
        if not self._alive:
            # Nothing comes back (a dead process reads zeros), and no new exception either: the
            # power cut already raised is what must reach the firmware's caller.
            return b""
        return self.disk.read(self.name, offset, amount)  # short: apsw zero-fills, as asked

    def xWrite(self, data: bytes, offset: int) -> None:  # noqa: N802
        if self._alive:
            self.disk.write(self.name, offset, data)

    def xTruncate(self, size: int) -> None:  # noqa: N802
        if self._alive:
            self.disk.truncate(self.name, size)

    def xSync(self, flags: int) -> None:  # noqa: N802
        if self._alive:
            self.disk.sync(self.name)

    def xFileSize(self) -> int:  # noqa: N802
        return self.disk.size(self.name) if self._alive else 0

    def xLock(self, level: int) -> None:  # noqa: N802
        pass

    def xUnlock(self, level: int) -> None:  # noqa: N802
        pass

    def xCheckReservedLock(self) -> bool:  # noqa: N802
        return False

    def xFileControl(self, op: int, ptr: int) -> bool:  # noqa: N802
        return False

    def xSectorSize(self) -> int:  # noqa: N802
        return SECTOR_BYTES

    def xDeviceCharacteristics(self) -> int:  # noqa: N802
        # A torn write garbles its own bytes only (`sim_disk`): no atomic writes, but power-safe
        # overwrite, so SQLite need not pad its log to a sector.
        return int(apsw.SQLITE_IOCAP_POWERSAFE_OVERWRITE)

    def xClose(self) -> None:  # noqa: N802
        pass


class _ScratchFile(DiskFile):
    """A nameless temporary file SQLite asks for (a sort, a statement journal): process memory."""

    def __init__(self) -> None:
        self.data = bytearray()

    def xRead(self, amount: int, offset: int) -> bytes:  # noqa: N802
        return bytes(self.data[offset : offset + amount])

    def xWrite(self, data: bytes, offset: int) -> None:  # noqa: N802
        if len(self.data) < offset:
            self.data.extend(bytes(offset - len(self.data)))
        self.data[offset : offset + len(data)] = data

    def xTruncate(self, size: int) -> None:  # noqa: N802
        del self.data[size:]

    def xSync(self, flags: int) -> None:  # noqa: N802
        pass

    def xFileSize(self) -> int:  # noqa: N802
        return len(self.data)


class _DiskVFS(apsw.VFS):
    def __init__(self) -> None:
        super().__init__(VFS_NAME, "", makedefault=False)

    def xOpen(self, name: Any, flags: list[int]) -> Any:  # noqa: N802 - a VFSFile in all but name
        if name is None:
            return _ScratchFile()
        path = name if isinstance(name, str) else name.filename()
        disk, file = _split(path)
        if not disk.powered:
            raise apsw.CantOpenError(f"{path}: the disk has no power")
        if not disk.exists(file):
            if not flags[0] & apsw.SQLITE_OPEN_CREATE:
                raise apsw.CantOpenError(path)
            disk.create(file)
        return DiskFile(disk, file)

    def xAccess(self, pathname: str, flags: int) -> bool:  # noqa: N802
        disk, file = _split(pathname)
        return disk.exists(file)

    def xDelete(self, filename: str, syncdir: bool) -> None:  # noqa: N802
        disk, file = _split(filename)
        disk.delete(file)

    def xFullPathname(self, name: str) -> str:  # noqa: N802
        return name


_VFS: list[_DiskVFS] = []


def _ensure_registered() -> None:
    if not _VFS:
        _VFS.append(_DiskVFS())
