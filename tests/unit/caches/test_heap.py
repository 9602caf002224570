"""After a big load the heap is collected and frozen, so full collections stop rescanning
the compiled profiles; small writes and a disabled GC leave it alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tollgate import tariffplans as tp
from tollgate.attributes.store import ProfileStore
from tollgate.caches import heap
from tollgate.filters import FilterService
from tollgate.storage.datadb import InternalDataDB


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


def test_a_big_load_freezes_what_is_alive() -> None:
    assert not heap.settle_after_load(heap.BIG_LOAD - 1)
    assert gc.get_freeze_count() == 0
    assert heap.settle_after_load(heap.BIG_LOAD)
    assert gc.get_freeze_count() > 0


def test_nothing_while_the_gc_is_off() -> None:
    gc.disable()
    assert not heap.settle_after_load(10 * heap.BIG_LOAD)
    assert gc.get_freeze_count() == 0


async def test_reloads_settle_after_changing_many_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap, "BIG_LOAD", 5)
    db = InternalDataDB(tmp_path, fsync="no")
    await db.open()
    try:
        for n in range(5):
            item = tp.TPAttributeProfile(Tenant="t", ID=f"P{n}", FilterIDs=[f"*string:~*req.A:{n}"])
            await db.set("*attribute_profiles", f"t:P{n}", msgspec.msgpack.encode(item))
        store: ProfileStore[tp.TPAttributeProfile, object] = ProfileStore(
            "*attribute_profiles", tp.TPAttributeProfile, lambda item: item.ID
        )
        await FilterService(lambda: db).reload()
        assert gc.get_freeze_count() > 0  # FilterS indexed 5 profiles
        gc.unfreeze()
        await store.reload(db)
        assert gc.get_freeze_count() > 0  # the store took 5 new items in
        gc.unfreeze()
        await store.reload(db)
        assert gc.get_freeze_count() == 0  # nothing changed: nothing to settle
        await db.remove("*attribute_profiles", "t:P0")
        await store.reload(db)
        assert gc.get_freeze_count() == 0  # one removal is a small change
    finally:
        await db.close()


async def test_profiles_compiled_on_use_settle_every_big_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap, "BIG_LOAD", 3)
    db = InternalDataDB(tmp_path, fsync="no")
    await db.open()
    try:
        for n in range(2):
            item = tp.TPAttributeProfile(Tenant="t", ID=f"P{n}")
            await db.set("*attribute_profiles", f"t:P{n}", msgspec.msgpack.encode(item))
        store: ProfileStore[tp.TPAttributeProfile, object] = ProfileStore(
            "*attribute_profiles", tp.TPAttributeProfile, lambda item: item.ID
        )
        await store.reload(db)  # at start, without precache: nothing compiled yet
        gc.unfreeze()
        assert store.get("t", "P0") == "P0"
        assert store.get("t", "P1") == "P1"
        assert gc.get_freeze_count() == 0
        store.cache.clear()
        assert store.get("t", "P0") == "P0"  # the third compile on use
        assert gc.get_freeze_count() > 0
    finally:
        await db.close()
