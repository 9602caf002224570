"""APIerSv1 filter methods: FilterProfiles (Set/Get/GetIDs/Remove) and the filter indexes
(Get/Remove/Compute/ComputeIDs), with v0.10's argument and reply shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from tollgate import tariffplans as tp
from tollgate.apier.models import TenantArgWithPaginator
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
    mandatory_missing,
)
from tollgate.filters.compiled import BY_ITEM_TYPE
from tollgate.filters.models import (
    ArgsComputeFilterIndexes,
    ArgsComputeFilterIndexIDs,
    AttrGetFilterIndexes,
    AttrRemFilterIndexes,
    Filter,
    FilterWithCache,
    TenantIDArg,
    TenantIDWithCache,
    filter_from_tp,
    tp_from_filter,
)
from tollgate.filters.rules import compile_rule
from tollgate.filters.service import FILTERS, FilterService

if TYPE_CHECKING:
    from tollgate.apier import ApierService

__all__ = ["APIerSv1Filters"]

_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoder = msgspec.msgpack.Decoder(tp.TPFilterProfile)


def _require(obj: object, *names: str) -> None:
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


def _page(items: list[str], limit: int | None, offset: int | None) -> list[str]:
    start = offset or 0
    end = start + limit if limit else None
    return items[start:end]


# the subsystem flags of ComputeFilterIndexes and the id lists of ComputeFilterIndexIDs
_COMPUTE = (
    ("AttributeS", "AttributeIDs", "*attribute_profiles"),
    ("ResourceS", "ResourceIDs", "*resource_profiles"),
    ("StatS", "StatIDs", "*statqueue_profiles"),
    ("SupplierS", "SupplierIDs", "*supplier_profiles"),
    ("ThresholdS", "ThresholdIDs", "*threshold_profiles"),
    ("ChargerS", "ChargerIDs", "*charger_profiles"),
    ("DispatcherS", "DispatcherIDs", "*dispatcher_profiles"),
)


class APIerSv1Filters(Api):
    """APIerSv1's FilterProfile and filter-index methods."""

    namespace = "APIerSv1"

    def __init__(self, service: FilterService, apier: ApierService) -> None:
        self.service = service
        self.apier = apier

    # -- FilterProfiles --------------------------------------------------------------------

    @rpc_method("SetFilter")
    async def set_filter(self, args: FilterWithCache, ctx: CallContext) -> str:
        """Store a FilterProfile (replacing one of the same Tenant and ID)."""
        _require(args, "Tenant", "ID")
        for rule in args.Rules or ():
            try:
                compile_rule(rule.Type, rule.Element, rule.Values or [])
            except TollgateError as exc:
                raise ServerError(exc) from None
        try:
            item = tp_from_filter(args)
            self.service.compile_profile(item)
        except (ValueError, TollgateError) as exc:
            raise ServerError(exc) from None
        key = f"{item.Tenant}:{item.ID}"
        await self.apier.apply({FILTERS: {key: _encoder.encode(item)}})
        return "OK"

    @rpc_method("GetFilter")
    async def get_filter(self, args: TenantIDArg, ctx: CallContext) -> Filter:
        """The stored FilterProfile, or NOT_FOUND."""
        _require(args, "Tenant", "ID")
        data = await self.apier.db.get(FILTERS, f"{args.Tenant}:{args.ID}")
        if data is None:
            raise NotFoundError()
        try:
            return filter_from_tp(_decoder.decode(data), self.service.timezone)
        except ValueError as exc:
            raise ServerError(exc) from None

    @rpc_method("GetFilterIDs")
    async def get_filter_ids(self, args: TenantArgWithPaginator, ctx: CallContext) -> list[str]:
        """The FilterProfile ids of a tenant (NOT_FOUND when it has none)."""
        prefix = f"{args.Tenant}:"
        keys = await self.apier.db.keys(FILTERS, prefix)
        if not keys:
            raise NotFoundError()
        return args.page([key[len(prefix) :] for key in keys])

    @rpc_method("RemoveFilter")
    async def remove_filter(self, args: TenantIDWithCache, ctx: CallContext) -> str:
        """Delete a FilterProfile (NOT_FOUND when there is none)."""
        _require(args, "Tenant", "ID")
        key = f"{args.Tenant}:{args.ID}"
        if await self.apier.db.get(FILTERS, key) is None:
            raise NotFoundError()
        await self.apier.apply({}, {FILTERS: [key]})
        return "OK"

    # -- filter indexes --------------------------------------------------------------------

    def _scope(self, args: AttrGetFilterIndexes | AttrRemFilterIndexes) -> tuple[str, str]:
        """(partition kind, scope) an ItemType/Tenant/Context names; NOT_FOUND if unknown."""
        _require(args, "Tenant", "ItemType")
        spec = BY_ITEM_TYPE.get(args.ItemType)
        if spec is None:
            raise NotFoundError()
        if spec.contexts is None:
            return spec.kind, args.Tenant
        if not args.Context:
            raise MandatoryIeMissingError("Context")
        return spec.kind, f"{args.Tenant}:{args.Context}"

    @rpc_method("GetFilterIndexes")
    async def get_filter_indexes(self, args: AttrGetFilterIndexes, ctx: CallContext) -> list[str]:
        """``<type>:<element>:<value>:<profile id>`` entries of one subsystem's indexes,
        narrowed by FilterType (a prefix), FilterField and FilterValue (contained)."""
        kind, scope = self._scope(args)
        entries = self.service.index_listing(kind, scope)
        if not entries:
            raise NotFoundError()
        if args.FilterType:
            entries = [e for e in entries if e.startswith(args.FilterType)]
            if not entries:
                raise NotFoundError()
        for wanted in (args.FilterField, args.FilterValue):
            if wanted:
                entries = [e for e in entries if wanted in e.rpartition(":")[0]]
                if not entries:
                    raise NotFoundError()
        return _page(entries, args.Limit, args.Offset)

    @rpc_method("RemoveFilterIndexes")
    async def remove_filter_indexes(self, args: AttrRemFilterIndexes, ctx: CallContext) -> str:
        """Drop a subsystem's indexes (of a tenant, or tenant and context)."""
        kind, scope = self._scope(args)
        self.service.remove_indexes(kind, scope)
        return "OK"

    @rpc_method("ComputeFilterIndexes")
    async def compute_filter_indexes(self, args: ArgsComputeFilterIndexes, ctx: CallContext) -> str:
        """Index every profile of the flagged subsystems again."""
        context = args.Context or None
        for flag, _ids, kind in _COMPUTE:
            if getattr(args, flag):
                self.service.compute_indexes(kind, args.Tenant, context, None)
        return "OK"

    @rpc_method("ComputeFilterIndexIDs")
    async def compute_filter_index_ids(
        self, args: ArgsComputeFilterIndexIDs, ctx: CallContext
    ) -> str:
        """Index the named profiles again."""
        context = args.Context or None
        for _flag, ids_field, kind in _COMPUTE:
            ids = getattr(args, ids_field)
            if ids:
                self.service.compute_indexes(kind, args.Tenant, context, ids)
        return "OK"
