"""ChargerSv1 (served while ``chargers.enabled``) and the APIerSv1 ChargerProfile methods,
with v0.10's argument and reply shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.attributes.api import not_served, page, require
from tollgate.attributes.models import TenantArgWithPaginator, TenantIDArg, TenantIDWithCache
from tollgate.chargers.models import (
    CGREventArgs,
    ChargerProfile,
    ChargerWithCache,
    ChrgSProcessEventReply,
    profile_from_tp,
    tp_from_profile,
)
from tollgate.chargers.service import CHARGER_PROFILES, ChargerService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import NotFoundError, ServerError, TollgateError

if TYPE_CHECKING:
    from tollgate.apier import ApierService

__all__ = ["APIerSv1Chargers", "ChargerSv1"]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(tp.TPChargerProfile)


class ChargerSv1(Api):
    """``ChargerSv1``: ProcessEvent, GetChargersForEvent, Ping."""

    namespace = "ChargerSv1"

    def __init__(self, service: ChargerService) -> None:
        self.service = service

    def _check(self, method: str) -> None:
        if not self.service.settings.enabled:
            raise not_served(self.namespace, method)

    @rpc_method("ProcessEvent")
    async def process_event(
        self, args: CGREventArgs, ctx: CallContext
    ) -> list[ChrgSProcessEventReply]:
        """Fork the event per matching ChargerProfile, each fork through AttributeS."""
        self._check("ProcessEvent")
        return await self.service.process_event(args)

    @rpc_method("GetChargersForEvent")
    async def get_chargers_for_event(
        self, args: CGREventArgs, ctx: CallContext
    ) -> list[ChargerProfile]:
        """The ChargerProfiles the event matches, highest Weight first (or NOT_FOUND)."""
        self._check("GetChargersForEvent")
        return await self.service.chargers_for_event(args)

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        self._check("Ping")
        return "Pong"


class APIerSv1Chargers(Api):
    """APIerSv1's ChargerProfile methods (profiles in the DataDB)."""

    namespace = "APIerSv1"

    def __init__(self, service: ChargerService, apier: ApierService) -> None:
        self.service = service
        self.apier = apier

    @rpc_method("SetChargerProfile")
    async def set_charger_profile(self, args: ChargerWithCache, ctx: CallContext) -> str:
        """Store a ChargerProfile (replacing one of the same Tenant and ID)."""
        require(args, "Tenant", "ID")
        try:
            item = tp_from_profile(args)
            self.service.filters.validate_filter_ids(
                item.Tenant, item.FilterIDs, kind=CHARGER_PROFILES, item_id=item.ID
            )
            self.service.compile_profile(item)
        except (TollgateError, ValueError) as exc:
            raise ServerError(exc) from None
        key = f"{item.Tenant}:{item.ID}"
        store = self.service.store
        previous = store.cache.peek(key)
        await self.apier.apply({CHARGER_PROFILES: {key: _encoder.encode(item)}})
        store.apply_cache_option(key, args.Cache, previous)
        return "OK"

    @rpc_method("GetChargerProfile")
    async def get_charger_profile(self, args: TenantIDArg, ctx: CallContext) -> ChargerProfile:
        """The stored ChargerProfile, or NOT_FOUND."""
        require(args, "Tenant", "ID")
        data = await self.apier.db.get(CHARGER_PROFILES, f"{args.Tenant}:{args.ID}")
        if data is None:
            raise NotFoundError()
        try:
            return profile_from_tp(_decoder.decode(data), self.service.cfg.general.default_timezone)
        except (ValueError, msgspec.DecodeError) as exc:
            raise ServerError(exc) from None

    @rpc_method("GetChargerProfileIDs")
    async def get_charger_profile_ids(
        self, args: TenantArgWithPaginator, ctx: CallContext
    ) -> list[str]:
        """The ChargerProfile ids of a tenant (NOT_FOUND when it has none)."""
        require(args, "Tenant")
        prefix = f"{args.Tenant}:"
        keys = await self.apier.db.keys(CHARGER_PROFILES, prefix)
        if not keys:
            raise NotFoundError()
        return page([key[len(prefix) :] for key in keys], args.Limit, args.Offset)

    @rpc_method("RemoveChargerProfile")
    async def remove_charger_profile(self, args: TenantIDWithCache, ctx: CallContext) -> str:
        """Delete a ChargerProfile (NOT_FOUND when there is none)."""
        require(args, "Tenant", "ID")
        key = f"{args.Tenant}:{args.ID}"
        if await self.apier.db.get(CHARGER_PROFILES, key) is None:
            raise NotFoundError()
        store = self.service.store
        previous = store.cache.peek(key)
        await self.apier.apply({}, {CHARGER_PROFILES: [key]})
        store.apply_cache_option(key, args.Cache, previous)
        return "OK"
