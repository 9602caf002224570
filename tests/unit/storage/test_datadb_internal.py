"""``*internal`` DataDB: the key-value API, reopening, fsync policies, group commit, locking."""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tollgate.storage.datadb import DataDB, InternalDataDB, open_datadb
from tollgate.storage.datadb import internal as internal_module
from tollgate.storage.errors import DataDirLockedError, StorageError

ACC = "*accounts"
DST = "*destinations"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path)
    await store.open()
    yield store
    await store.close()


def count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


async def reopened(tmp_path: Path, **kw: object) -> InternalDataDB:
    store = InternalDataDB(tmp_path, **kw)  # type: ignore[arg-type]
    await store.open()
    return store


async def test_get_set_remove(db: InternalDataDB) -> None:
    assert await db.get(ACC, "cgrates.org:1001") is None
    await db.set(ACC, "cgrates.org:1001", b"v1")
    await db.set(ACC, "cgrates.org:1001", b"v2")
    assert await db.get(ACC, "cgrates.org:1001") == b"v2"
    assert await db.get(DST, "cgrates.org:1001") is None  # kinds are separate
    assert await db.remove(ACC, "cgrates.org:1001") is True
    assert await db.remove(ACC, "cgrates.org:1001") is False
    assert await db.get(ACC, "cgrates.org:1001") is None


async def test_keys_prefix_count_get_many(db: InternalDataDB) -> None:
    await db.set_many(DST, {"DST_1002": b"a", "DST_1001": b"b", "DST_FS": b"c", "OTHER": b"d"})
    assert await db.keys(DST) == ["DST_1001", "DST_1002", "DST_FS", "OTHER"]
    assert await db.keys(DST, "DST_100") == ["DST_1001", "DST_1002"]
    assert await db.count(DST) == 4
    assert await db.count(DST, "DST_") == 3
    assert await db.count(ACC) == 0
    assert await db.keys(ACC) == []
    assert await db.get_many(DST, ["OTHER", "missing", "DST_FS"]) == [b"d", None, b"c"]


async def test_flush_removes_everything(tmp_path: Path, db: InternalDataDB) -> None:
    await db.set(ACC, "a", b"1")
    await db.set(DST, "d", b"2")
    await db.flush()
    assert await db.count(ACC) == 0
    assert await db.get(DST, "d") is None
    await db.set(ACC, "after", b"3")
    await db.close()
    again = await reopened(tmp_path)
    assert await again.keys(ACC) == ["after"]
    assert await again.count(DST) == 0
    await again.close()


async def test_values_are_private_copies_and_typed(db: InternalDataDB) -> None:
    buffer = bytearray(b"abc")
    await db.set(ACC, "k", buffer)  # type: ignore[arg-type]
    buffer[0] = ord("X")
    assert await db.get(ACC, "k") == b"abc"
    with pytest.raises(TypeError, match="must be bytes"):
        await db.set(ACC, "k", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be str"):
        await db.set(ACC, 7, b"x")  # type: ignore[arg-type]
    assert await db.get(ACC, "k") == b"abc"


async def test_reopen_from_log_only(tmp_path: Path) -> None:
    db = await reopened(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.set_many(DST, {"x": b"2", "y": b"3"})
    await db.remove(DST, "x")
    await db.close()
    assert not (tmp_path / "datadb" / "datadb.snapshot").exists()
    db = await reopened(tmp_path)
    assert await db.get(ACC, "a") == b"1"
    assert await db.keys(DST) == ["y"]
    await db.close()


async def test_reopen_from_snapshot_only(tmp_path: Path) -> None:
    db = await reopened(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.set(ACC, "b", b"2")
    await db.remove(ACC, "b")
    await db.snapshot()
    await db.close()
    folder = tmp_path / "datadb"
    logs = sorted(p.name for p in folder.glob("*.log"))
    assert logs == ["datadb-0000000002.log"]  # generation 1 retired by the snapshot
    assert (folder / logs[0]).stat().st_size == 8  # just the header: the state is all snapshot
    db = await reopened(tmp_path)
    assert await db.keys(ACC) == ["a"]
    await db.close()


async def test_reopen_from_snapshot_only_without_any_log(tmp_path: Path) -> None:
    db = await reopened(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.snapshot()
    await db.close()
    for log in (tmp_path / "datadb").glob("*.log"):
        log.unlink()  # e.g. a backup that kept only datadb.snapshot
    db = await reopened(tmp_path)
    assert await db.get(ACC, "a") == b"1"
    await db.set(ACC, "b", b"2")
    await db.close()
    db = await reopened(tmp_path)
    assert await db.keys(ACC) == ["a", "b"]
    await db.close()


async def test_reopen_from_snapshot_and_log(tmp_path: Path) -> None:
    db = await reopened(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.set(ACC, "b", b"1")
    await db.snapshot()
    await db.set(ACC, "a", b"2")  # overrides the snapshot
    await db.remove(ACC, "b")  # deletes from the snapshot
    await db.set(ACC, "c", b"3")
    await db.close()
    db = await reopened(tmp_path)
    assert await db.get_many(ACC, ["a", "b", "c"]) == [b"2", None, b"3"]
    await db.close()


async def test_snapshot_after_snapshot_records(tmp_path: Path) -> None:
    db = await reopened(tmp_path, snapshot_records=10)
    for i in range(25):
        await db.set(ACC, f"k{i:02d}", b"v")
    for _ in range(100):  # the snapshot runs in the background
        if (tmp_path / "datadb" / "datadb.snapshot").exists():
            break
        await asyncio.sleep(0.01)
    assert (tmp_path / "datadb" / "datadb.snapshot").exists()
    assert "datadb-0000000001.log" not in os.listdir(tmp_path / "datadb")
    await db.close()
    db = await reopened(tmp_path)
    assert await db.count(ACC) == 25
    await db.close()


async def test_snapshot_after_snapshot_interval(tmp_path: Path) -> None:
    db = await reopened(tmp_path, snapshot_interval=0.02)
    await db.set(ACC, "a", b"1")
    for _ in range(200):
        if (tmp_path / "datadb" / "datadb.snapshot").exists():
            break
        await asyncio.sleep(0.01)
    assert (tmp_path / "datadb" / "datadb.snapshot").exists()
    await db.close()


async def test_group_commit_shares_fsyncs(
    db: InternalDataDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs = count_fsyncs(monkeypatch)
    await asyncio.gather(*(db.set(ACC, f"k{i}", b"v") for i in range(200)))
    assert 1 <= len(fsyncs) <= 3
    assert await db.count(ACC) == 200
    fsyncs.clear()
    for i in range(5):  # one at a time: each ack waits for its own fsync
        await db.set(ACC, f"seq{i}", b"v")
    assert len(fsyncs) == 5


async def test_always_acks_after_fsync_but_reads_see_write_at_once(
    db: InternalDataDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = os.fsync

    def slow_fsync(fd: int) -> None:
        release.wait(5)
        real(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    pending = asyncio.create_task(db.set(ACC, "a", b"1"))
    await asyncio.sleep(0.05)
    assert not pending.done()  # not acknowledged while the fsync is outstanding
    assert await db.get(ACC, "a") == b"1"  # but memory already has it
    release.set()
    await asyncio.wait_for(pending, 5)


async def test_set_many_deferred_applies_now_and_acks_the_group_once_durable(
    tmp_path: Path, db: InternalDataDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = os.fsync

    def slow_fsync(fd: int) -> None:
        release.wait(5)
        real(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    ack = await db.set_many_deferred(ACC, {"a": b"1", "b": b"2"})
    assert await db.get_many(ACC, ["a", "b"]) == [b"1", b"2"]  # visible before the ack
    waiting = asyncio.ensure_future(ack)
    await asyncio.sleep(0.05)
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 5)
    await db.close()
    store = await reopened(tmp_path)
    assert await store.get_many(ACC, ["a", "b"]) == [b"1", b"2"]
    await store.close()


async def test_policy_no_never_fsyncs_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await reopened(tmp_path, fsync="no")
    fsyncs = count_fsyncs(monkeypatch)
    for i in range(10):
        await db.set(ACC, f"k{i}", b"v")
    assert fsyncs == []
    await db.close()
    assert len(fsyncs) == 1  # close makes everything durable


async def test_policy_everysec_fsyncs_in_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(internal_module, "EVERYSEC_INTERVAL", 0.01)
    db = await reopened(tmp_path, fsync="everysec")
    fsyncs = count_fsyncs(monkeypatch)
    await db.set(ACC, "a", b"1")
    assert fsyncs == []  # acknowledged after write(), before any fsync
    for _ in range(200):
        if fsyncs:
            break
        await asyncio.sleep(0.01)
    assert len(fsyncs) == 1
    await asyncio.sleep(0.05)
    assert len(fsyncs) == 1  # nothing new written: nothing to fsync
    await db.close()


async def test_failed_fsync_stops_writes(
    db: InternalDataDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(StorageError, match="Input/output error"):
        await db.set(ACC, "a", b"1")
    monkeypatch.undo()
    with pytest.raises(StorageError, match="writes are refused until the engine restarts"):
        await db.set(ACC, "b", b"2")


async def test_closed_store_refuses_calls(tmp_path: Path) -> None:
    db = await reopened(tmp_path)
    await db.close()
    with pytest.raises(StorageError, match="is not open"):
        await db.set(ACC, "a", b"1")
    with pytest.raises(StorageError, match="is not open"):
        await db.get(ACC, "a")


async def test_second_open_of_the_folder_is_refused(tmp_path: Path, db: InternalDataDB) -> None:
    other = InternalDataDB(tmp_path)
    with pytest.raises(
        DataDirLockedError, match=re.escape(f"data folder {tmp_path / 'datadb'} is already in use")
    ):
        await other.open()
    await db.close()
    await other.open()  # free again once the first one closed
    await other.close()


def test_factory(tmp_path: Path) -> None:
    store = open_datadb("*internal", data_dir=tmp_path, fsync="everysec", snapshot_records=5)
    assert isinstance(store, InternalDataDB)
    assert isinstance(store, DataDB)
    assert store.folder == tmp_path / "datadb"
    with pytest.raises(ValueError, match="'\\*redis' is not built yet"):
        open_datadb("*redis", data_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown data_db db_type '\\*mongo'"):
        open_datadb("*mongo", data_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown DataDB fsync policy 'sometimes'"):
        InternalDataDB(tmp_path, fsync="sometimes")
