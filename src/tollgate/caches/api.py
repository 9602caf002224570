"""CacheSv1 and the APIerSv1/2 cache methods, with v0.10's argument and reply shapes."""

from __future__ import annotations

from typing import Any

import msgspec

from tollgate.caches.service import CacheService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import MandatoryIeMissingError, NotFoundError, ServerError
from tollgate.core.times import format_rfc3339

__all__ = [
    "ARGS_CACHE_FIELDS",
    "APIerSv1Caches",
    "APIerSv2Caches",
    "ArgsGetCacheItem",
    "AttrReloadCache",
    "CacheSv1",
]

# utils.ArgsCache: field -> cache partition
ARGS_CACHE_FIELDS = {
    "DestinationIDs": "*destinations",
    "ReverseDestinationIDs": "*reverse_destinations",
    "RatingPlanIDs": "*rating_plans",
    "RatingProfileIDs": "*rating_profiles",
    "ActionIDs": "*actions",
    "ActionPlanIDs": "*action_plans",
    "AccountActionPlanIDs": "*account_action_plans",
    "ActionTriggerIDs": "*action_triggers",
    "SharedGroupIDs": "*shared_groups",
    "ResourceProfileIDs": "*resource_profiles",
    "ResourceIDs": "*resources",
    "StatsQueueIDs": "*statqueues",
    "StatsQueueProfileIDs": "*statqueue_profiles",
    "ThresholdIDs": "*thresholds",
    "ThresholdProfileIDs": "*threshold_profiles",
    "FilterIDs": "*filters",
    "SupplierProfileIDs": "*supplier_profiles",
    "AttributeProfileIDs": "*attribute_profiles",
    "ChargerProfileIDs": "*charger_profiles",
    "DispatcherProfileIDs": "*dispatcher_profiles",
    "DispatcherHostIDs": "*dispatcher_hosts",
    "DispatcherRoutesIDs": "*dispatcher_routes",
}
_ZERO_TIME = "0001-01-01T00:00:00Z"


class _Routed(msgspec.Struct, kw_only=True):
    APIKey: str | None = None
    RouteID: str | None = None
    Tenant: str | None = None


class ArgsGetCacheItem(_Routed, kw_only=True):
    """``engine.ArgsGetCacheItemWithArgDispatcher``."""

    CacheID: str = ""
    ItemID: str = ""


class ArgsGetCacheItemIDs(_Routed, kw_only=True):
    """``engine.ArgsGetCacheItemIDsWithArgDispatcher``."""

    CacheID: str = ""
    ItemIDPrefix: str = ""


class ArgsGetGroup(_Routed, kw_only=True):
    """``engine.ArgsGetGroupWithArgDispatcher``."""

    CacheID: str = ""
    GroupID: str = ""


class AttrCacheIDs(_Routed, kw_only=True):
    """``utils.AttrCacheIDsWithArgDispatcher``: no CacheIDs means every partition."""

    CacheIDs: list[str] | None = None


class AttrReloadCache(_Routed, kw_only=True):
    """``utils.AttrReloadCacheWithArgDispatcher``: ``ArgsCache`` ids per partition
    (``Tenant:ID`` keys), and FlushAll."""

    FlushAll: bool = False
    DestinationIDs: list[str] | None = None
    ReverseDestinationIDs: list[str] | None = None
    RatingPlanIDs: list[str] | None = None
    RatingProfileIDs: list[str] | None = None
    ActionIDs: list[str] | None = None
    ActionPlanIDs: list[str] | None = None
    AccountActionPlanIDs: list[str] | None = None
    ActionTriggerIDs: list[str] | None = None
    SharedGroupIDs: list[str] | None = None
    ResourceProfileIDs: list[str] | None = None
    ResourceIDs: list[str] | None = None
    StatsQueueIDs: list[str] | None = None
    StatsQueueProfileIDs: list[str] | None = None
    ThresholdIDs: list[str] | None = None
    ThresholdProfileIDs: list[str] | None = None
    FilterIDs: list[str] | None = None
    SupplierProfileIDs: list[str] | None = None
    AttributeProfileIDs: list[str] | None = None
    ChargerProfileIDs: list[str] | None = None
    DispatcherProfileIDs: list[str] | None = None
    DispatcherHostIDs: list[str] | None = None
    DispatcherRoutesIDs: list[str] | None = None

    def by_partition(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for field, name in ARGS_CACHE_FIELDS.items():
            ids = getattr(self, field)
            if ids is not None:
                out[name] = list(ids)
        return out


def _require_cache_id(cache_id: str) -> None:
    if not cache_id:
        raise MandatoryIeMissingError("CacheID")


class _CacheMethods(Api):
    def __init__(self, service: CacheService) -> None:
        self.service = service

    async def _stats(self, args: AttrCacheIDs | list[str] | None) -> dict[str, dict[str, int]]:
        names = args.CacheIDs if isinstance(args, AttrCacheIDs) else args
        return await self.service.stats(names)

    async def _reload(self, args: AttrReloadCache, *, reload: bool) -> str:
        if args.FlushAll:
            self.service.clear(None)
        await self.service.load(args.by_partition(), reload=reload)
        return "OK"


class CacheSv1(_CacheMethods):
    """``CacheSv1``: the cache partitions (docs/caches.md)."""

    namespace = "CacheSv1"

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        return "Pong"

    @rpc_method("GetCacheStats")
    async def get_cache_stats(
        self, args: AttrCacheIDs, ctx: CallContext
    ) -> dict[str, dict[str, int]]:
        """Items and Groups per partition (every partition without CacheIDs)."""
        return await self._stats(args)

    @rpc_method("GetItemIDs")
    async def get_item_ids(self, args: ArgsGetCacheItemIDs, ctx: CallContext) -> list[str]:
        """The cached item ids of a partition starting with ItemIDPrefix (NOT_FOUND: none)."""
        _require_cache_id(args.CacheID)
        ids = await self.service.item_ids(args.CacheID, args.ItemIDPrefix)
        if not ids:
            raise NotFoundError()
        return ids

    @rpc_method("HasItem")
    async def has_item(self, args: ArgsGetCacheItem, ctx: CallContext) -> bool:
        _require_cache_id(args.CacheID)
        return await self.service.has_item(args.CacheID, args.ItemID)

    @rpc_method("GetItemExpiryTime")
    async def get_item_expiry_time(self, args: ArgsGetCacheItem, ctx: CallContext) -> str:
        """When the item expires (Go's zero time when it never does); NOT_FOUND if absent."""
        _require_cache_id(args.CacheID)
        if args.CacheID not in self.service.stores:
            if await self.service.has_item(args.CacheID, args.ItemID):
                return _ZERO_TIME
            raise NotFoundError()
        at = self.service.expiry_ns(args.CacheID, args.ItemID)
        if at is None:
            raise NotFoundError()
        return _ZERO_TIME if at == 0 else format_rfc3339(at)

    @rpc_method("RemoveItem")
    def remove_item(self, args: ArgsGetCacheItem, ctx: CallContext) -> str:
        _require_cache_id(args.CacheID)
        self.service.remove_item(args.CacheID, args.ItemID)
        return "OK"

    @rpc_method("Clear")
    def clear(self, args: AttrCacheIDs, ctx: CallContext) -> str:
        """Empty the named partitions (every one without CacheIDs)."""
        self.service.clear(args.CacheIDs)
        return "OK"

    @rpc_method("FlushCache")
    async def flush_cache(self, args: AttrReloadCache, ctx: CallContext) -> str:
        """FlushAll empties every partition, then the named ids are reloaded."""
        return await self._reload(args, reload=True)

    @rpc_method("ReloadCache")
    async def reload_cache(self, args: AttrReloadCache, ctx: CallContext) -> str:
        """(Re)compile the named ids from the DataDB into their partitions."""
        return await self._reload(args, reload=True)

    @rpc_method("LoadCache")
    async def load_cache(self, args: AttrReloadCache, ctx: CallContext) -> str:
        """Compile the named ids not cached yet."""
        return await self._reload(args, reload=False)

    @rpc_method("PrecacheStatus")
    def precache_status(self, args: AttrCacheIDs, ctx: CallContext) -> dict[str, str]:
        try:
            return self.service.precache_status(args.CacheIDs)
        except ValueError as exc:
            raise ServerError(exc) from None

    @rpc_method("HasGroup")
    async def has_group(self, args: ArgsGetGroup, ctx: CallContext) -> bool:
        _require_cache_id(args.CacheID)
        store = self.service.stores.get(args.CacheID)
        return store is not None and store.cache.has_group(args.GroupID)

    @rpc_method("GetGroupItemIDs")
    async def get_group_item_ids(self, args: ArgsGetGroup, ctx: CallContext) -> list[str]:
        _require_cache_id(args.CacheID)
        store = self.service.stores.get(args.CacheID)
        if store is None or not store.cache.has_group(args.GroupID):
            raise NotFoundError()
        return store.cache.group_keys(args.GroupID)

    @rpc_method("RemoveGroup")
    def remove_group(self, args: ArgsGetGroup, ctx: CallContext) -> str:
        _require_cache_id(args.CacheID)
        self.service.remove_group(args.CacheID, args.GroupID)
        return "OK"


class APIerSv1Caches(_CacheMethods):
    """APIerSv1.ReloadCache and GetCacheStats (v0.10's aliases of CacheSv1's)."""

    namespace = "APIerSv1"

    @rpc_method("ReloadCache")
    async def reload_cache(self, args: AttrReloadCache, ctx: CallContext) -> str:
        return await self._reload(args, reload=True)

    @rpc_method("GetCacheStats")
    async def get_cache_stats(
        self, args: AttrCacheIDs, ctx: CallContext
    ) -> dict[str, dict[str, int]]:
        return await self._stats(args)


class APIerSv2Caches(_CacheMethods):
    """APIerSv2.GetCacheStats."""

    namespace = "APIerSv2"

    @rpc_method("GetCacheStats")
    async def get_cache_stats(
        self, args: AttrCacheIDs, ctx: CallContext
    ) -> dict[str, dict[str, int]]:
        return await self._stats(args)
