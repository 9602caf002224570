"""The ``*internal`` DataDB's snapshot file: the whole state at a log rotation.

``datadb.snapshot`` is ``MAGIC``, a ``u64`` body length, a ``u32`` CRC32 of the body, then
the msgpack body: ``next_generation`` (the first log generation *not* contained in the
snapshot, the one to replay from) and the data (kind → key → value). It is written to
``snapshot.tmp``, fsynced, renamed over ``datadb.snapshot`` and the directory fsynced, so
at every instant the folder holds either the old snapshot or the new one, never a part.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from pathlib import Path

import msgspec

from tollgate.storage.datadb.logfile import fsync_dir
from tollgate.storage.errors import CorruptDataError

__all__ = ["SNAPSHOT_NAME", "SNAPSHOT_TMP_NAME", "Snapshot", "read_snapshot", "write_snapshot"]

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "datadb.snapshot"
SNAPSHOT_TMP_NAME = "snapshot.tmp"
_MAGIC = b"TGDSNP1\n"
_HEADER = struct.Struct("<QI")


class Snapshot(msgspec.Struct, array_like=True):
    next_generation: int
    data: dict[str, dict[str, bytes]]


_decoder = msgspec.msgpack.Decoder(Snapshot)


def write_snapshot(folder: Path, snapshot: Snapshot) -> None:
    """Replace ``datadb.snapshot`` atomically and durably (blocking)."""
    body = msgspec.msgpack.encode(snapshot)
    tmp = folder / SNAPSHOT_TMP_NAME
    with tmp.open("wb") as f:
        f.write(_MAGIC)
        f.write(_HEADER.pack(len(body), zlib.crc32(body)))
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / SNAPSHOT_NAME)
    fsync_dir(folder)


def read_snapshot(folder: Path) -> Snapshot | None:
    """The snapshot in ``folder``, ``None`` when there is none (blocking)."""
    path = folder / SNAPSHOT_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    start = len(_MAGIC) + _HEADER.size
    if data[: len(_MAGIC)] != _MAGIC or len(data) < start:
        raise CorruptDataError(f"{path} is not a Tollgate DataDB snapshot (bad header)")
    length, crc = _HEADER.unpack_from(data, len(_MAGIC))
    body = memoryview(data)[start:]
    # the snapshot was fsynced before it was renamed into place: any damage is the disk's
    if len(body) != length or zlib.crc32(body) != crc:
        raise CorruptDataError(
            f"{path} is damaged (length or CRC mismatch); restore it from a backup"
        )
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise CorruptDataError(f"{path}: undecodable snapshot: {exc}") from exc
