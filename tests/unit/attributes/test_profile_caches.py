"""Profile caches behind AttributeS: lazy compile, precache, limit, ttl, Cache options and the
CacheService reloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from attribute_support import AttributesEnv, attr, profile

from tollgate import tariffplans as tp
from tollgate.caches import CacheService
from tollgate.storage.datadb import InternalDataDB

KIND = "*attribute_profiles"


class Clock:
    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path, fsync="no")
    await store.open()
    yield store
    await store.close()


def _profiles(n: int) -> list[tp.TPAttributeProfile]:
    return [
        profile(f"P{i}", attr("*req.Tag", f"t{i}"), filters=[f"*string:~*req.Account:a{i}"])
        for i in range(n)
    ]


async def _env(
    db: InternalDataDB, params: dict[str, object], clock: Clock | None = None
) -> tuple[AttributesEnv, CacheService]:
    for item in _profiles(5):
        await db.set(KIND, f"cgrates.org:{item.ID}", msgspec.msgpack.encode(item))
    env = AttributesEnv(db, {"caches": {KIND: params}})
    caches = CacheService(
        lambda: env.cfg,
        datadb=lambda: db,
        filters=env.filters,
        stores=[env.attributes.store],
        clock=clock or Clock(),
    )
    await env.reload()  # the engine's start
    return env, caches


async def _stats(caches: CacheService) -> int:
    return (await caches.stats([KIND]))[KIND]["Items"]


async def test_without_precache_profiles_compile_on_first_use(db: InternalDataDB) -> None:
    env, caches = await _env(db, {})
    assert await _stats(caches) == 0
    reply = await env.process({"Account": "a3"})
    assert reply.MatchedProfiles == ["P3"]
    assert await caches.item_ids(KIND) == ["cgrates.org:P3"]


async def test_precache_compiles_everything_at_start(db: InternalDataDB) -> None:
    _, caches = await _env(db, {"precache": True})
    assert await _stats(caches) == 5
    assert caches.precache_status([KIND]) == {KIND: "*ready"}


async def test_limit_bounds_the_compiled_profiles(db: InternalDataDB) -> None:
    env, caches = await _env(db, {"limit": 2, "precache": True})
    assert await _stats(caches) == 2
    for i in range(5):  # evicted ones compile again: every event still matches
        assert (await env.process({"Account": f"a{i}"})).MatchedProfiles == [f"P{i}"]
    assert await caches.item_ids(KIND) == ["cgrates.org:P3", "cgrates.org:P4"]


async def test_ttl_drops_unused_profiles(db: InternalDataDB) -> None:
    clock = Clock()
    env, caches = await _env(db, {"ttl": "10s", "precache": True}, clock)
    assert await _stats(caches) == 5
    clock.now += 6 * 10**9
    await env.process({"Account": "a1"})  # refreshed
    clock.now += 6 * 10**9
    assert await caches.item_ids(KIND) == ["cgrates.org:P1"]
    assert (await env.process({"Account": "a2"})).MatchedProfiles == ["P2"]


async def test_reload_and_load_cache(db: InternalDataDB) -> None:
    _, caches = await _env(db, {})
    await caches.load({KIND: ["cgrates.org:P1", "cgrates.org:NOPE"]}, reload=True)
    assert await caches.item_ids(KIND) == ["cgrates.org:P1"]
    caches.clear([KIND])
    assert await _stats(caches) == 0
    await caches.load({KIND: ["cgrates.org:P2"]}, reload=False)
    assert await caches.has_item(KIND, "cgrates.org:P2")
    caches.remove_item(KIND, "cgrates.org:P2")
    assert not await caches.has_item(KIND, "cgrates.org:P2")


async def test_cache_none_keeps_the_old_profile(db: InternalDataDB) -> None:
    env, _ = await _env(db, {"precache": True})
    store = env.attributes.store
    key = "cgrates.org:P1"
    previous = store.cache.peek(key)
    await env.put(profile("P1", attr("*req.Tag", "new"), filters=["*string:~*req.Account:a1"]))
    store.apply_cache_option(key, "*none", previous)
    assert (await env.process({"Account": "a1"})).CGREvent.Event["Tag"] == "t1"
    store.cache.remove(key)  # *remove: the next use compiles the stored one
    assert (await env.process({"Account": "a1"})).CGREvent.Event["Tag"] == "new"


def test_unknown_partition_in_precache_status() -> None:
    from tollgate.core.config import load_config

    cfg = load_config(None)
    caches = CacheService(lambda: cfg, datadb=lambda: None)
    with pytest.raises(ValueError, match="unknown cacheID: \\*nope"):
        caches.precache_status(["*nope"])


async def test_profiles_compiled_on_first_use_share_their_attributes(db: InternalDataDB) -> None:
    env, _ = await _env(db, {})
    same = attr("*req.Caller", "~*req.Account", "*variable")
    await env.put(
        profile("Q1", same, attr("*req.Tag", "q1"), filters=["*string:~*req.Account:q1"]),
        profile("Q2", same, attr("*req.Tag", "q2"), filters=["*string:~*req.Account:q2"]),
    )
    assert (await env.process({"Account": "q2"})).CGREvent.Event == {
        "Account": "q2", "Caller": "q2", "Tag": "q2",
    }  # fmt: skip
    env.attributes.store.cache.clear()  # both compile again, one at a time, on use
    for account in ("q1", "q2"):
        assert (await env.process({"Account": account})).CGREvent.Event["Caller"] == account
    q1, q2 = (
        env.attributes.store.get("cgrates.org", "Q1"),
        env.attributes.store.get("cgrates.org", "Q2"),
    )
    assert q1 is not None
    assert q2 is not None
    assert q1.attributes[0] is q2.attributes[0]
    assert q1.attributes[1] is not q2.attributes[1]
    assert q1.attributes[1].target is q2.attributes[1].target
