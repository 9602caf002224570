"""The ``*internal`` DataDB's append-only log: file format, writer and replay.

A log file is ``MAGIC`` followed by records; a record is a little-endian ``u32`` body
length, a ``u32`` CRC32 of the body, then the body: a msgpack array whose first item
tags the operation (:class:`SetRecord`, :class:`SetManyRecord`, :class:`RemoveRecord`,
:class:`FlushRecord`). Every operation is idempotent (set, delete, clear), so replaying a
record twice over a state that already holds it changes nothing; snapshots rely on that.

On replay, a damaged record is a *torn tail* (the crash interrupted the last write, it is
dropped and the file truncated) when nothing valid can follow it: fewer bytes left than a
header, a length reaching past the end of the file, a bad CRC on a record that ends exactly
at the end of the file, or only zero bytes left (a file extended but never written, after
a power loss). Anything else is :class:`CorruptDataError` naming the file and offset.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import msgspec

from tollgate.storage.errors import CorruptDataError

__all__ = [
    "LOG_MAGIC",
    "FlushRecord",
    "LogWriter",
    "Record",
    "RemoveRecord",
    "SetManyRecord",
    "SetRecord",
    "encode_record",
    "fsync_dir",
    "log_generation",
    "log_name",
    "replay_log",
]

logger = logging.getLogger(__name__)

LOG_MAGIC = b"TGDLOG1\n"
_HEADER = struct.Struct("<II")


class SetRecord(msgspec.Struct, array_like=True, frozen=True, tag=1):
    kind: str
    key: str
    value: bytes


class SetManyRecord(msgspec.Struct, array_like=True, frozen=True, tag=2):
    kind: str
    items: dict[str, bytes]


class RemoveRecord(msgspec.Struct, array_like=True, frozen=True, tag=3):
    kind: str
    key: str


class FlushRecord(msgspec.Struct, array_like=True, frozen=True, tag=4):
    pass


Record = SetRecord | SetManyRecord | RemoveRecord | FlushRecord

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Record)


def encode_record(record: Record) -> bytes:
    """The framed bytes of one record, ready to append."""
    body = _encoder.encode(record)
    return _HEADER.pack(len(body), zlib.crc32(body)) + body


def log_name(generation: int) -> str:
    return f"datadb-{generation:010d}.log"


def log_generation(name: str) -> int | None:
    """The generation of a log file name, ``None`` for any other file."""
    if not (name.startswith("datadb-") and name.endswith(".log")):
        return None
    digits = name[len("datadb-") : -len(".log")]
    return int(digits) if digits.isdigit() else None


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new, renamed, deleted files) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replay_log(path: Path, apply: Callable[[Record], None], *, last: bool) -> int:
    """Apply every record of the log at ``path`` in order; return how many.

    In the ``last`` log a torn tail is dropped and the file truncated after the last good
    record; in an older log (complete and fsynced before the next one was started) any
    damage is :class:`CorruptDataError`.
    """
    data = path.read_bytes()
    size = len(data)
    if size < len(LOG_MAGIC) and last and LOG_MAGIC.startswith(data):
        _truncate(path, 0, size, "an unfinished header")
        return 0
    if data[: len(LOG_MAGIC)] != LOG_MAGIC:
        raise CorruptDataError(f"{path} is not a Tollgate DataDB log (bad header)")
    view = memoryview(data)
    pos = len(LOG_MAGIC)
    count = 0
    while pos < size:
        problem = _check(view, pos, size)
        if problem is None:
            length = _HEADER.unpack_from(view, pos)[0]
            end = pos + _HEADER.size + length
            try:
                record = _decoder.decode(view[pos + _HEADER.size : end])
            except msgspec.DecodeError as exc:  # CRC is right: a writer bug or a newer format
                raise CorruptDataError(
                    f"{path}: undecodable record at offset {pos}: {exc}"
                ) from exc
            apply(record)
            count += 1
            pos = end
            continue
        reason, torn = problem
        if not (torn and last):
            raise CorruptDataError(f"{path}: corrupt record at offset {pos} ({reason})")
        _truncate(path, pos, size, reason)
        break
    return count


def _check(view: memoryview, pos: int, size: int) -> tuple[str, bool] | None:
    """``None`` when the record at ``pos`` is sound, else (reason, could be a torn tail)."""
    if size - pos < _HEADER.size:
        return "a partial record header", True
    length, crc = _HEADER.unpack_from(view, pos)
    end = pos + _HEADER.size + length
    if length == 0:
        return "zero length", _zeros_to_end(view, pos)
    if end > size:
        return f"length {length} reaches past the end of the file", True
    if zlib.crc32(view[pos + _HEADER.size : end]) != crc:
        return "CRC mismatch", end == size or _zeros_to_end(view, pos)
    return None


def _zeros_to_end(view: memoryview, pos: int) -> bool:
    return view[pos:].tobytes().count(0) == len(view) - pos


def _truncate(path: Path, pos: int, size: int, reason: str) -> None:
    logger.warning(
        "DataDB log %s: dropping a torn last write at offset %d (%d bytes, %s)",
        path,
        pos,
        size - pos,
        reason,
    )
    with path.open("r+b") as f:
        if pos == 0:
            f.write(LOG_MAGIC)
            pos = len(LOG_MAGIC)
        f.truncate(pos)
        f.flush()
        os.fsync(f.fileno())


class LogWriter:
    """An open log file that records are appended to (blocking calls; the caller decides
    which run in a thread)."""

    def __init__(self, path: Path, generation: int, fd: int) -> None:
        self.path = path
        self.generation = generation
        self._fd = fd

    @classmethod
    def create(cls, folder: Path, generation: int) -> LogWriter:
        """A new, empty log whose header and directory entry are durable."""
        path = folder / log_name(generation)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        writer = cls(path, generation, fd)
        try:
            writer.write(LOG_MAGIC)
            writer.sync()
            fsync_dir(folder)
        except BaseException:
            writer.close()
            raise
        return writer

    @classmethod
    def append_to(cls, path: Path, generation: int) -> LogWriter:
        return cls(path, generation, os.open(path, os.O_WRONLY | os.O_APPEND))

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def sync(self) -> None:
        os.fsync(self._fd)

    def dup_fd(self) -> int:
        """A second descriptor to fsync from another thread while this one may be closed."""
        return os.dup(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
