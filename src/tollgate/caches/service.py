"""CacheService: the ``caches`` partitions of an engine (docs/caches.md).

Two kinds of partition:

- *profile caches* (``*attribute_profiles``, ``*charger_profiles``): a
  :class:`CachePartition` of compiled profiles in front of the DataDB copy their
  ProfileStore keeps; ``limit``, ``ttl``, ``static_ttl`` and ``precache`` act on it.
- *held partitions* (``*filters``, the filter indexes, destinations, rating and action
  data): the subsystems hold these whole and compiled, as an index must be complete to be
  right; CacheS reports and lists what they hold, and a reload recompiles from the DataDB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tollgate.caches.partition import CachePartition

if TYPE_CHECKING:
    from tollgate.attributes.store import ProfileStore
    from tollgate.core.config import Config
    from tollgate.filters import FilterService
    from tollgate.storage.datadb import DataDB

__all__ = ["HELD_DATADB", "CacheService"]

# held partitions read from the DataDB partition of the same name
HELD_DATADB = (
    "*destinations",
    "*rating_plans",
    "*rating_profiles",
    "*actions",
    "*action_plans",
    "*action_triggers",
    "*shared_groups",
    "*timings",
)
_INDEX_PARTITIONS = {
    "*attribute_filter_indexes": "*attribute_profiles",
    "*charger_filter_indexes": "*charger_profiles",
}


class CacheService:
    """CacheS: ``engine.caches``."""

    name = "caches"

    def __init__(
        self,
        cfg: Callable[[], Config],
        *,
        datadb: Callable[[], DataDB | None],
        filters: FilterService | None = None,
        stores: Iterable[ProfileStore[Any, Any]] = (),
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._cfg = cfg
        self._datadb = datadb
        self.filters = filters
        self.stores: dict[str, ProfileStore[Any, Any]] = {s.kind: s for s in stores}
        self.clock = clock
        self.configure()

    def configure(self) -> None:
        """Give every profile store the partition ``caches`` describes (at start)."""
        params = self._cfg().caches
        for kind, store in self.stores.items():
            p = params.get(kind)
            store.cache = CachePartition(
                kind,
                limit=p.limit if p is not None else -1,
                ttl_ns=int(p.ttl) if p is not None else 0,
                static_ttl=p.static_ttl if p is not None else False,
                precache=p.precache if p is not None else False,
                clock=self.clock,
            )

    @property
    def partition_names(self) -> list[str]:
        return list(self._cfg().caches)

    def known(self, name: str) -> bool:
        return name in self._cfg().caches or name in self.stores

    # -- reading ----------------------------------------------------------------------------

    async def item_ids(self, name: str, prefix: str = "") -> list[str]:
        """The keys ``name`` holds now, starting with ``prefix``."""
        store = self.stores.get(name)
        if store is not None:
            return store.cache.keys(prefix)
        if name == "*filters" and self.filters is not None:
            keys = [f"{t}:{i}" for t, i in self.filters.compiled_filter_refs()]
            return sorted(k for k in keys if k.startswith(prefix))
        kind = _INDEX_PARTITIONS.get(name)
        if kind is not None and self.filters is not None:
            return sorted(k for k in self.filters.index_keys(kind) if k.startswith(prefix))
        if name in HELD_DATADB:
            db = self._datadb()
            if db is not None:
                return sorted(await db.keys(name, prefix))
        return []

    async def has_item(self, name: str, key: str) -> bool:
        store = self.stores.get(name)
        if store is not None:
            return store.cache.has(key)
        return key in await self.item_ids(name, key)

    def expiry_ns(self, name: str, key: str) -> int | None:
        """Unix ns when ``key`` expires (0: never), None when not cached."""
        store = self.stores.get(name)
        if store is None:
            return None
        at = store.cache.expiry_ns(key)
        if at is None or at == 0:
            return at
        return time.time_ns() + (at - self.clock())

    async def stats(self, names: Iterable[str] | None) -> dict[str, dict[str, int]]:
        """``ltcache.CacheStats`` (Items, Groups) per partition."""
        out: dict[str, dict[str, int]] = {}
        for name in names if names else self.partition_names:
            store = self.stores.get(name)
            if store is not None:
                out[name] = {"Items": len(store.cache), "Groups": store.cache.group_count()}
            else:
                out[name] = {"Items": len(await self.item_ids(name)), "Groups": 0}
        return out

    def precache_status(self, names: Iterable[str] | None) -> dict[str, str]:
        """``*ready`` for every partition: precaching finishes before the engine serves."""
        out: dict[str, str] = {}
        for name in names if names else self.partition_names:
            if not self.known(name):
                raise ValueError(f"unknown cacheID: {name}")
            out[name] = "*ready"
        return out

    # -- changing ---------------------------------------------------------------------------

    def remove_item(self, name: str, key: str) -> None:
        store = self.stores.get(name)
        if store is not None:
            store.cache.remove(key)

    def remove_group(self, name: str, group: str) -> None:
        store = self.stores.get(name)
        if store is not None:
            store.cache.remove_group(group)

    def clear(self, names: Iterable[str] | None) -> None:
        """Empty the named partitions (all of them for none)."""
        wanted = set(names) if names else None
        for kind, store in self.stores.items():
            if wanted is None or kind in wanted:
                store.cache.clear()

    async def load(self, ids: Mapping[str, list[str]], *, reload: bool) -> None:
        """CacheSv1.ReloadCache (``reload``) / LoadCache: (re)compile the named keys from
        the DataDB into their profile caches; held partitions are brought up to the DataDB
        first, by the same diff a tariff-plan load runs."""
        db = self._datadb()
        if db is not None and self.filters is not None and ids:
            await self.filters.reload(db)
        for name, keys in ids.items():
            store = self.stores.get(name)
            if store is None:
                continue
            if db is not None:
                await store.reload(db)
            for key in keys:
                if reload or not store.cache.has(key):
                    store.load_key(key)
