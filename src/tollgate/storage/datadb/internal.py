"""``*internal`` DataDB: everything in memory, every write in an append-only log, snapshots.

Files, all under ``<data_dir>/datadb/``::

    LOCK                     flock'ed while open: one engine per data folder (holds its pid)
    datadb.snapshot          the whole state up to a log generation (see ``snapshot.py``)
    datadb-0000000007.log    the log generations after it (see ``logfile.py``); the highest
                             is the one being appended to
    snapshot.tmp             a snapshot being written; removed on open

Writes and acknowledgements. A write is applied to memory at once, in the caller's own
step of the event loop, and its record queued in the same step, so memory order and log
order are the same order. The caller's ``await`` returns (the *ack*) only when the writer
task has appended the record to the log file and, with ``fsync="always"``, fsynced it.
Reads therefore see writes that are not acknowledged yet; that is safe for everything that
writes because the log is sequential: a write that depends on a value it read is logged
after the write that produced it, so its own ack proves the earlier one durable too. Only
a read-only reply can show a value that a crash in the next milliseconds would undo.
Writers that are waiting together share one ``write`` and one ``fsync`` (group commit).

Policies: ``"always"`` acks after fsync (nothing acknowledged is lost, even on power loss);
``"everysec"`` acks after ``write`` and fsyncs once a second in the background (a killed
process loses nothing, a power loss up to about a second); ``"no"`` acks after ``write``
and leaves flushing to the OS. If writing or fsyncing the log ever fails, memory may hold
what the disk does not: the DataDB then refuses every further write (fail-stop) until the
engine restarts and reloads from disk.

Snapshots, every ``snapshot_interval`` seconds or ``snapshot_records`` log records: (1) fsync
the current log N and start log N+1, and copy the state, in one step of the loop; (2) write
``snapshot.tmp`` with next generation N+1, fsync, rename over ``datadb.snapshot``, fsync the
folder; (3) delete the logs before N+1. On open: load the snapshot, delete logs older than
it (left by a crash between 2 and 3), replay the rest in order. Records queued but not yet
written at step 1 are in the copied state *and* in log N+1; replaying them again is harmless
because every record is idempotent (set, delete, clear) and replay is in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from tollgate.storage.datadb.base import DataDB
from tollgate.storage.datadb.lock import lock_folder
from tollgate.storage.datadb.logfile import (
    FlushRecord,
    LogWriter,
    Record,
    RemoveRecord,
    SetManyRecord,
    SetRecord,
    encode_record,
    log_generation,
    replay_log,
)
from tollgate.storage.datadb.snapshot import (
    SNAPSHOT_TMP_NAME,
    Snapshot,
    read_snapshot,
    write_snapshot,
)
from tollgate.storage.errors import CorruptDataError, StorageError

__all__ = ["FsyncPolicy", "InternalDataDB"]

logger = logging.getLogger(__name__)

EVERYSEC_INTERVAL = 1.0  # seconds between background fsyncs with fsync="everysec"


class FsyncPolicy(StrEnum):
    """``data_db`` ``internal_fsync`` values (the names Redis uses for ``appendfsync``)."""

    ALWAYS = "always"
    EVERYSEC = "everysec"
    NO = "no"


class InternalDataDB(DataDB):
    """The embedded, durable DataDB (``db_type: "*internal"``)."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        fsync: str = "always",
        snapshot_interval: float = 300.0,
        snapshot_records: int = 100_000,
    ) -> None:
        try:
            self.policy = FsyncPolicy(fsync)
        except ValueError:
            raise ValueError(
                f"unknown DataDB fsync policy {fsync!r}: use 'always', 'everysec' or 'no'"
            ) from None
        if snapshot_interval <= 0 or snapshot_records <= 0:
            raise ValueError("DataDB snapshot_interval and snapshot_records must be positive")
        self.folder = Path(data_dir) / "datadb"
        self.snapshot_interval = snapshot_interval
        self.snapshot_records = snapshot_records
        self._data: dict[str, dict[str, bytes]] = {}
        self._log: LogWriter | None = None
        self._lock_fd = -1
        self._queue: list[tuple[bytes, asyncio.Future[None]]] = []
        self._log_records = 0  # records in the logs the next snapshot will retire
        self._unacked = 0  # records applied to memory and not acknowledged yet
        self._dirty = False  # written but not fsynced (everysec)
        self._failed: StorageError | None = None
        self._is_open = False
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle --------------------------------------------------------------------

    async def open(self) -> None:
        if self._is_open:
            raise StorageError(f"DataDB in {self.folder} is already open")
        await asyncio.to_thread(self._load)
        self._wake = asyncio.Event()
        self._snapshot_due = asyncio.Event()
        self._io_lock = asyncio.Lock()
        self._snapshot_lock = asyncio.Lock()
        self._queue = []
        self._unacked = 0
        self._failed = None
        self._closing = False
        self._is_open = True
        self._writer = asyncio.create_task(self._run_writer(), name="datadb-writer")
        self._tasks = [asyncio.create_task(self._run_snapshots(), name="datadb-snapshots")]
        if self.policy is FsyncPolicy.EVERYSEC:
            self._tasks.append(asyncio.create_task(self._run_everysec(), name="datadb-fsync"))
        if self._log_records >= self.snapshot_records:
            self._snapshot_due.set()

    async def close(self) -> None:
        if not self._is_open:
            return
        self._closing = True
        self._wake.set()
        await self._writer  # drains the queue: every accepted write gets its answer
        async with self._snapshot_lock:  # never abandon a snapshot half way
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        log = self._require_log()
        if self._failed is None:
            try:
                await asyncio.to_thread(log.sync)
            except OSError as exc:
                self._fail("fsync on close", exc)
        log.close()
        self._log = None
        os.close(self._lock_fd)
        self._lock_fd = -1
        self._data = {}
        self._is_open = False
        logger.debug("DataDB in %s closed", self.folder)

    def _load(self) -> None:
        """Lock the folder, load the snapshot, replay the logs (blocking)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_fd = lock_folder(self.folder)
        try:
            (self.folder / SNAPSHOT_TMP_NAME).unlink(missing_ok=True)
            snapshot = read_snapshot(self.folder)
            self._data = snapshot.data if snapshot is not None else {}
            first = snapshot.next_generation if snapshot is not None else 1
            live: list[tuple[int, Path]] = []
            for path in sorted(self.folder.iterdir()):
                generation = log_generation(path.name)
                if generation is None:
                    continue
                if generation < first:  # a crash came between the snapshot and its cleanup
                    logger.info("DataDB: removing %s, already in the snapshot", path)
                    path.unlink()
                else:
                    live.append((generation, path))
            if live and [g for g, _ in live] != list(range(first, first + len(live))):
                raise CorruptDataError(
                    f"{self.folder}: log generations {[g for g, _ in live]} do not follow "
                    f"the snapshot's next generation {first} without gaps; a log is missing"
                )
            self._log_records = 0
            for index, (_, path) in enumerate(live):
                self._log_records += replay_log(path, self._apply, last=index == len(live) - 1)
            if live:
                self._log = LogWriter.append_to(live[-1][1], live[-1][0])
            else:
                self._log = LogWriter.create(self.folder, first)
        except BaseException:
            os.close(self._lock_fd)
            self._lock_fd = -1
            self._data = {}
            raise
        logger.info(
            "DataDB loaded from %s: %d kinds, %d keys, %d log records replayed",
            self.folder,
            len(self._data),
            sum(len(items) for items in self._data.values()),
            self._log_records,
        )

    # -- reads ------------------------------------------------------------------------

    async def get(self, kind: str, key: str) -> bytes | None:
        self._check_open()
        items = self._data.get(kind)
        return None if items is None else items.get(key)

    async def get_many(self, kind: str, keys: Sequence[str]) -> list[bytes | None]:
        self._check_open()
        items = self._data.get(kind, {})
        return [items.get(key) for key in keys]

    async def keys(self, kind: str, prefix: str = "") -> list[str]:
        self._check_open()
        return sorted(key for key in self._data.get(kind, ()) if key.startswith(prefix))

    async def count(self, kind: str, prefix: str = "") -> int:
        self._check_open()
        items = self._data.get(kind, {})
        if not prefix:
            return len(items)
        return sum(1 for key in items if key.startswith(prefix))

    # -- writes -----------------------------------------------------------------------

    async def set(self, kind: str, key: str, value: bytes) -> None:
        _check_names(kind, (key,))
        await self._commit(SetRecord(kind, key, _as_bytes(value)))

    async def set_deferred(self, kind: str, key: str, value: bytes) -> Awaitable[None]:
        """Apply now; the future completes when the log holds the record per the policy.

        Records reach the log in the order they were applied, so a later write is never
        durable before an earlier one (the account lock can be let go before the wait)."""
        _check_names(kind, (key,))
        return self._commit_nowait(SetRecord(kind, key, _as_bytes(value)))

    async def set_many(self, kind: str, items: Mapping[str, bytes]) -> None:
        _check_names(kind, items)
        if items:
            record = SetManyRecord(kind, {key: _as_bytes(value) for key, value in items.items()})
            await self._commit(record)

    async def set_many_deferred(self, kind: str, items: Mapping[str, bytes]) -> Awaitable[None]:
        """One ``SetManyRecord`` applied now (a crash keeps all of it or none); the future
        completes when the log holds it per the policy."""
        _check_names(kind, items)
        record = SetManyRecord(kind, {key: _as_bytes(value) for key, value in items.items()})
        return self._commit_nowait(record)

    async def remove(self, kind: str, key: str) -> bool:
        _check_names(kind, (key,))
        self._check_writable()
        if key not in self._data.get(kind, {}):
            await self._barrier()  # "did not exist" must be as durable as "removed"
            return False
        await self._commit(RemoveRecord(kind, key))
        return True

    async def flush(self) -> None:
        await self._commit(FlushRecord())
        self._snapshot_due.set()  # give the disk space back soon

    async def _commit(self, record: Record) -> None:
        """Apply ``record`` to memory now; return once the log holds it per the policy."""
        await self._commit_nowait(record)

    def _commit_nowait(self, record: Record) -> asyncio.Future[None]:
        """Apply ``record`` to memory now; the future completes once the log holds it."""
        self._check_writable()
        framed = encode_record(record)
        self._apply(record)
        self._unacked += 1
        return self._enqueue_nowait(framed)

    async def _barrier(self) -> None:
        """Return once every write applied before this call is acknowledged."""
        if self._unacked:
            await self._enqueue(b"")

    async def _enqueue(self, framed: bytes) -> None:
        await self._enqueue_nowait(framed)

    def _enqueue_nowait(self, framed: bytes) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((framed, done))
        self._wake.set()
        return done

    def _apply(self, record: Record) -> None:
        """The one place records change memory, for live writes and replay alike."""
        if isinstance(record, SetRecord):
            self._data.setdefault(record.kind, {})[record.key] = record.value
        elif isinstance(record, SetManyRecord):
            self._data.setdefault(record.kind, {}).update(record.items)
        elif isinstance(record, RemoveRecord):
            items = self._data.get(record.kind)
            if items is not None:
                items.pop(record.key, None)
                if not items:
                    del self._data[record.kind]
        else:
            self._data.clear()

    async def _run_writer(self) -> None:
        """Append queued records in batches: one write and at most one fsync per batch."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue, []
                records = sum(1 for framed, _ in batch if framed)  # the rest are barriers
                error: StorageError | None = None
                try:
                    await self._write(b"".join(framed for framed, _ in batch))
                except StorageError as exc:
                    error = exc
                self._unacked -= records
                for _, done in batch:
                    if done.done():  # its caller was cancelled
                        continue
                    if error is None:
                        done.set_result(None)
                    else:
                        done.set_exception(error)
                self._log_records += records
                if self._log_records >= self.snapshot_records:
                    self._snapshot_due.set()
            if self._closing:
                return

    async def _write(self, data: bytes) -> None:
        async with self._io_lock:
            if self._failed is not None:
                raise self._failed
            if not data:  # only barriers: the batch before this one made everything durable
                return
            log = self._require_log()
            try:
                log.write(data)
                if self.policy is FsyncPolicy.ALWAYS:
                    await asyncio.to_thread(log.sync)
                else:
                    self._dirty = True
            except Exception as exc:  # OSError, or a bug: either way memory and disk differ
                raise self._fail("appending to the log", exc) from exc

    async def _run_everysec(self) -> None:
        while True:
            await asyncio.sleep(EVERYSEC_INTERVAL)
            if not self._dirty or self._failed is not None:
                continue
            async with self._io_lock:
                self._dirty = False
                fd = self._require_log().dup_fd()  # the log may rotate while this syncs
            try:
                await asyncio.to_thread(_fsync_and_close, fd)
            except OSError as exc:
                self._fail("background fsync", exc)

    # -- snapshots --------------------------------------------------------------------

    async def _run_snapshots(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.snapshot_interval):
                    await self._snapshot_due.wait()
            self._snapshot_due.clear()
            if self._closing:
                return
            if self._log_records == 0 or self._failed is not None:
                continue
            try:
                await self.snapshot()
            except StorageError:
                logger.exception("DataDB snapshot in %s failed", self.folder)

    async def snapshot(self) -> None:
        """Write the whole state to ``datadb.snapshot`` and retire the logs it contains."""
        self._check_writable()
        async with self._snapshot_lock:
            async with self._io_lock:
                if self._failed is not None:
                    raise self._failed
                old = self._require_log()
                try:
                    await asyncio.to_thread(old.sync)
                    new = await asyncio.to_thread(LogWriter.create, self.folder, old.generation + 1)
                except OSError as exc:
                    raise self._fail("rotating the log", exc) from exc
                old.close()
                self._log = new
                self._dirty = False
                self._log_records = 0
                state = Snapshot(new.generation, {k: dict(v) for k, v in self._data.items()})
            try:
                await asyncio.to_thread(write_snapshot, self.folder, state)
            except OSError as exc:  # not fatal: the logs still hold everything
                raise StorageError(f"DataDB snapshot in {self.folder} failed: {exc}") from exc
            await asyncio.to_thread(self._drop_logs_before, state.next_generation)
        logger.info("DataDB snapshot written in %s (log %d)", self.folder, state.next_generation)

    def _drop_logs_before(self, generation: int) -> None:
        for path in self.folder.iterdir():
            old = log_generation(path.name)
            if old is not None and old < generation:
                try:
                    path.unlink()
                except OSError as exc:  # the next open removes it
                    logger.warning("DataDB: could not remove %s: %s", path, exc)

    # -- state ------------------------------------------------------------------------

    def _fail(self, what: str, exc: Exception) -> StorageError:
        if self._failed is None:
            self._failed = StorageError(
                f"DataDB in {self.folder}: {what} failed ({exc}); writes are refused "
                "until the engine restarts"
            )
            logger.error("%s", self._failed)
        return self._failed

    def _check_open(self) -> None:
        if not self._is_open:
            raise StorageError(f"DataDB in {self.folder} is not open")

    def _check_writable(self) -> None:
        if not self._is_open or self._closing:
            raise StorageError(f"DataDB in {self.folder} is not open")
        if self._failed is not None:
            raise self._failed

    def _require_log(self) -> LogWriter:
        if self._log is None:
            raise StorageError(f"DataDB in {self.folder} is not open")
        return self._log


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_names(kind: str, keys: Mapping[str, bytes] | Sequence[str]) -> None:
    # a non-str would be logged fine but fail to decode on the next open: refuse it now
    if not isinstance(kind, str) or not all(isinstance(key, str) for key in keys):
        raise TypeError("DataDB kinds and keys must be str")


def _as_bytes(value: bytes) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)  # a private copy: the caller may reuse its buffer
    raise TypeError(f"DataDB values must be bytes, not {type(value).__name__}")
