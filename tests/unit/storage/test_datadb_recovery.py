"""``*internal`` DataDB recovery: torn and corrupt logs, crashes around snapshots, properties.

A *crash image* is a copy of the data folder taken at some instant while the DataDB runs:
exactly what ``kill -9`` at that instant leaves on disk, since every write the process made
is in the OS page cache. Opening an image must give a state that some prefix of the writes
(in their log order) produces, and that prefix must hold every acknowledged write.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tollgate.storage.datadb import InternalDataDB
from tollgate.storage.datadb import internal as internal_module
from tollgate.storage.datadb.logfile import (
    FlushRecord,
    LogWriter,
    Record,
    RemoveRecord,
    SetManyRecord,
    SetRecord,
    encode_record,
)
from tollgate.storage.datadb.snapshot import Snapshot, write_snapshot
from tollgate.storage.errors import CorruptDataError

ACC = "*accounts"
DST = "*destinations"
KINDS = (ACC, DST)
State = dict[str, dict[str, bytes]]


async def open_db(data_dir: Path, **kw: object) -> InternalDataDB:
    db = InternalDataDB(data_dir, **kw)  # type: ignore[arg-type]
    await db.open()
    return db


async def dump(db: InternalDataDB) -> State:
    state: State = {}
    for kind in KINDS:
        keys = await db.keys(kind)
        if keys:
            values = await db.get_many(kind, keys)
            state[kind] = {k: v for k, v in zip(keys, values, strict=True) if v is not None}
    return state


async def state_of(data_dir: Path) -> State:
    db = await open_db(data_dir)
    try:
        return await dump(db)
    finally:
        await db.close()


def crash_image(db: InternalDataDB, dest: Path) -> Path:
    shutil.copytree(db.folder, dest / "datadb")
    return dest


def last_log(data_dir: Path) -> Path:
    return sorted((data_dir / "datadb").glob("datadb-*.log"))[-1]


async def three_records(tmp_path: Path) -> Path:
    db = await open_db(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.set(ACC, "b", b"2")
    await db.set(ACC, "c", b"3")
    await db.close()
    return last_log(tmp_path)


# -- torn and corrupt logs ---------------------------------------------------------------

FRAMED = encode_record(SetRecord(ACC, "torn", b"x" * 40))
TORN_TAILS = {
    "partial header": FRAMED[:5],
    "partial body": FRAMED[:-3],
    "crc mismatch at the end": FRAMED[:-1] + bytes([FRAMED[-1] ^ 0xFF]),
    "zero filled": bytes(4096),
}


@pytest.mark.parametrize("tail", TORN_TAILS.values(), ids=TORN_TAILS.keys())
async def test_torn_last_record_is_dropped_and_truncated(tmp_path: Path, tail: bytes) -> None:
    log = await three_records(tmp_path)
    good_size = log.stat().st_size
    with log.open("ab") as f:
        f.write(tail)
    db = await open_db(tmp_path)
    assert await db.keys(ACC) == ["a", "b", "c"]
    assert log.stat().st_size == good_size
    await db.set(ACC, "d", b"4")  # appends after the good records, not after the garbage
    await db.close()
    assert await state_of(tmp_path) == {ACC: {"a": b"1", "b": b"2", "c": b"3", "d": b"4"}}


async def test_log_with_unfinished_header_is_reused(tmp_path: Path) -> None:
    folder = tmp_path / "datadb"
    folder.mkdir()
    (folder / "datadb-0000000001.log").write_bytes(b"TGD")  # crashed while being created
    db = await open_db(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.close()
    assert await state_of(tmp_path) == {ACC: {"a": b"1"}}


async def test_corrupt_middle_record_is_an_error(tmp_path: Path) -> None:
    log = await three_records(tmp_path)
    data = bytearray(log.read_bytes())
    data[8 + 8 + 2] ^= 0xFF  # a byte in the first record's body; two records follow
    log.write_bytes(bytes(data))
    with pytest.raises(
        CorruptDataError, match=re.escape(f"{log}: corrupt record at offset 8 (CRC mismatch)")
    ):
        await open_db(tmp_path)
    assert log.read_bytes() == data  # nothing was truncated away
    with pytest.raises(CorruptDataError):  # not DataDirLockedError: the lock was released
        await open_db(tmp_path)


async def test_torn_tail_in_an_older_log_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "datadb"
    folder.mkdir()
    first = LogWriter.create(folder, 1)
    first.write(encode_record(SetRecord(ACC, "a", b"1")) + FRAMED[:-3])
    first.close()
    LogWriter.create(folder, 2).close()
    with pytest.raises(
        CorruptDataError, match=re.escape("datadb-0000000001.log: corrupt record at offset")
    ):
        await open_db(tmp_path)


async def test_missing_log_generation_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "datadb"
    folder.mkdir()
    for generation in (1, 3):
        LogWriter.create(folder, generation).close()
    with pytest.raises(CorruptDataError, match="a log is missing"):
        await open_db(tmp_path)


async def test_foreign_log_file_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "datadb"
    folder.mkdir()
    (folder / "datadb-0000000001.log").write_bytes(b"hello world, not a log")
    with pytest.raises(CorruptDataError, match="is not a Tollgate DataDB log"):
        await open_db(tmp_path)


async def test_damaged_snapshot_is_an_error(tmp_path: Path) -> None:
    db = await open_db(tmp_path)
    await db.set(ACC, "a", b"1")
    await db.snapshot()
    await db.close()
    snapshot = tmp_path / "datadb" / "datadb.snapshot"
    data = bytearray(snapshot.read_bytes())
    data[-1] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match=re.escape("datadb.snapshot is damaged")):
        await open_db(tmp_path)


# -- crashes around snapshots ------------------------------------------------------------


def apply(state: State, record: Record) -> None:
    if isinstance(record, SetRecord):
        state.setdefault(record.kind, {})[record.key] = record.value
    elif isinstance(record, SetManyRecord):
        state.setdefault(record.kind, {}).update(record.items)
    elif isinstance(record, RemoveRecord):
        state.get(record.kind, {}).pop(record.key, None)
        if not state.get(record.kind, True):
            del state[record.kind]
    else:
        state.clear()


REPLAYED_TWICE = {
    "set remove set_many": [
        SetRecord(ACC, "a", b"1"),
        RemoveRecord(ACC, "b"),
        SetManyRecord(ACC, {"c": b"3", "a": b"2"}),
    ],
    "flush in between": [SetRecord(ACC, "x", b"1"), FlushRecord(), SetRecord(ACC, "y", b"2")],
}


@pytest.mark.parametrize("pending", REPLAYED_TWICE.values(), ids=REPLAYED_TWICE.keys())
async def test_records_in_snapshot_and_next_log_apply_once(
    tmp_path: Path, pending: list[Record]
) -> None:
    """Writes queued during a rotation land in the snapshot *and* the next log."""
    before: State = {ACC: {"a": b"0", "b": b"0", "d": b"0"}, DST: {"z": b"0"}}
    later = [RemoveRecord(ACC, "a"), SetRecord(ACC, "b", b"5"), SetRecord(DST, "y", b"9")]
    in_snapshot = {kind: dict(items) for kind, items in before.items()}
    for record in pending:
        apply(in_snapshot, record)
    expected = {kind: dict(items) for kind, items in in_snapshot.items()}
    for record in later:
        apply(expected, record)
    folder = tmp_path / "datadb"
    folder.mkdir()
    stale = LogWriter.create(folder, 1)  # what the snapshot retired; its cleanup never ran
    stale.write(b"".join(encode_record(SetRecord(ACC, k, b"stale")) for k in "abcd"))
    stale.close()
    log = LogWriter.create(folder, 2)
    log.write(b"".join(encode_record(r) for r in [*pending, *later]))
    log.close()
    write_snapshot(folder, Snapshot(2, in_snapshot))
    assert await state_of(tmp_path) == expected
    assert not (folder / "datadb-0000000001.log").exists()


async def test_crash_at_every_snapshot_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await open_db(tmp_path / "live")
    issued: list[Record] = []  # in apply order, which is log order
    durable = 0  # every write before this index was acknowledged
    images: list[tuple[str, Path, int]] = []

    def image(step: str) -> None:
        acked = durable  # read before copying: all of these are on disk already
        dest = crash_image(db, tmp_path / f"image{len(images)}")
        images.append((step, dest, acked))

    real_write, real_replace = internal_module.write_snapshot, os.replace
    real_drop = InternalDataDB._drop_logs_before

    def write_snapshot_steps(folder: Path, snapshot: Snapshot) -> None:
        image("rotated")
        real_write(folder, snapshot)
        image("renamed")

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(src).name == "snapshot.tmp":
            dest = Path(images[-1][1]).parent / f"image{len(images)}"
            image("tmp written")
            half = dest / "datadb" / "snapshot.tmp"
            shutil.copy(half, dest / "datadb" / "half")
            (dest / "datadb" / "half").rename(half)
            with half.open("r+b") as f:
                f.truncate(half.stat().st_size // 2)
        real_replace(src, dst)

    def drop(self: InternalDataDB, generation: int) -> None:
        image("before drop")
        real_drop(self, generation)
        image("dropped")

    monkeypatch.setattr(internal_module, "write_snapshot", write_snapshot_steps)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(InternalDataDB, "_drop_logs_before", drop)

    async def write(i: int) -> None:
        nonlocal durable
        key = f"k{i % 7}"
        index = len(issued)
        if i % 5 == 4:
            issued.append(RemoveRecord(ACC, key))
            await db.remove(ACC, key)
        elif i % 11 == 10:
            record = SetManyRecord(ACC, {key: b"m%d" % i, f"k{(i + 1) % 7}": b"n%d" % i})
            issued.append(record)
            await db.set_many(ACC, record.items)
        else:
            issued.append(SetRecord(ACC, key, b"v%d" % i))
            await db.set(ACC, key, b"v%d" % i)
        durable = max(durable, index + 1)

    for wave in range(6):
        jobs = [write(wave * 30 + i) for i in range(30)]
        jobs.insert(15, db.snapshot())  # rotates while half the wave is still queued
        await asyncio.gather(*jobs)
    monkeypatch.undo()
    image("final")
    await db.close()

    prefixes: list[State] = [{}]
    for record in issued:
        state = {kind: dict(items) for kind, items in prefixes[-1].items()}
        apply(state, record)
        prefixes.append(state)
    assert {step for step, _, _ in images} == {
        "rotated",
        "tmp written",
        "renamed",
        "before drop",
        "dropped",
        "final",
    }
    for step, folder, acked in images:
        if step == "before drop":  # the case to prove: a retired log still on disk
            assert len(list((folder / "datadb").glob("*.log"))) >= 2
        state = await state_of(folder)
        assert state in prefixes[acked:], f"image after {step!r} lost acknowledged writes"
    assert await state_of(images[-1][1]) == prefixes[-1]


# -- property: any sequence of operations survives reopening and crashing -----------------

keys = st.sampled_from(["a", "ab", "b", "cgrates.org:1001"])
values = st.binary(max_size=8)
operations = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(KINDS), keys, values),
    st.tuples(st.just("set_many"), st.sampled_from(KINDS), st.dictionaries(keys, values)),
    st.tuples(st.just("remove"), st.sampled_from(KINDS), keys),
    st.tuples(st.just("flush")),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("reopen")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(operations, max_size=40),
    policy=st.sampled_from(["always", "everysec", "no"]),
    snapshot_records=st.integers(1, 15),
)
def test_random_operations_survive_reopen_and_crash(
    ops: list[tuple[object, ...]], policy: str, snapshot_records: int
) -> None:
    async def scenario(data_dir: Path) -> None:
        kw = {"fsync": policy, "snapshot_records": snapshot_records}
        db = await open_db(data_dir, **kw)
        model: State = {}
        for op in ops:
            match op:
                case ("set", str(kind), str(key), bytes(value)):
                    await db.set(kind, key, value)
                    apply(model, SetRecord(kind, key, value))
                case ("set_many", str(kind), dict(items)):
                    await db.set_many(kind, items)
                    if items:
                        apply(model, SetManyRecord(kind, items))
                case ("remove", str(kind), str(key)):
                    existed = key in model.get(kind, {})
                    assert await db.remove(kind, key) is existed
                    apply(model, RemoveRecord(kind, key))
                case ("flush",):
                    await db.flush()
                    model.clear()
                case ("snapshot",):
                    await db.snapshot()
                case ("reopen",):
                    await db.close()
                    db = await open_db(data_dir, **kw)
        assert await dump(db) == model
        async with db._snapshot_lock:  # a copy is one instant only if no snapshot runs
            image = crash_image(db, data_dir.parent / "image")
        await db.close()
        assert await state_of(image) == model
        assert await state_of(data_dir) == model

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp) / "data"))
