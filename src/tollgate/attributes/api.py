"""AttributeSv1 (served while ``attributes.enabled``) and the APIerSv1/v2 AttributeProfile
methods, with v0.10's argument and reply shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.attributes.models import (
    AttrArgsProcessEvent,
    Attribute,
    AttributeProfile,
    AttributeWithCache,
    AttrSProcessEventReply,
    ExternalAttributeWithCache,
    RSRParserWire,
    TenantArg,
    TenantArgWithPaginator,
    TenantIDArg,
    TenantIDWithCache,
    profile_from_tp,
    split_rules,
    tp_from_profile,
)
from tollgate.attributes.service import ATTRIBUTE_PROFILES, AttributeService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
    mandatory_missing,
)

if TYPE_CHECKING:
    from tollgate.apier import ApierService

__all__ = [
    "APIerSv1Attributes",
    "APIerSv2Attributes",
    "AttributeSv1",
    "not_served",
    "page",
    "require",
]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(tp.TPAttributeProfile)


def require(obj: object, *names: str) -> None:
    """MANDATORY_IE_MISSING for the zero-valued fields among ``names``."""
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


def page(items: list[str], limit: int | None, offset: int | None) -> list[str]:
    """``Paginator.PaginateStringSlice``: ``Offset`` then ``Limit`` (0 = no limit)."""
    start = max(offset or 0, 0)
    end = start + limit if limit and limit > 0 else None
    return items[start:end]


def not_served(service: str, method: str) -> TollgateError:
    """What v0.10 answers for a subsystem that is not running: its methods are not
    registered, so Go's net/rpc reports the service missing."""
    return TollgateError(f"rpc: can't find service {service}.{method}")


class AttributeSv1(Api):
    """``AttributeSv1``: ProcessEvent, GetAttributeForEvent, Ping."""

    namespace = "AttributeSv1"

    def __init__(self, service: AttributeService) -> None:
        self.service = service

    def _check(self, method: str) -> None:
        if not self.service.settings.enabled:
            raise not_served(self.namespace, method)

    @rpc_method("ProcessEvent")
    async def process_event(
        self, args: AttrArgsProcessEvent, ctx: CallContext
    ) -> AttrSProcessEventReply:
        """Apply the matching AttributeProfiles to the event (``ProcessRuns`` runs)."""
        self._check("ProcessEvent")
        return await self.service.process_event(args)

    @rpc_method("GetAttributeForEvent")
    async def get_attribute_for_event(
        self, args: AttrArgsProcessEvent, ctx: CallContext
    ) -> AttributeProfile:
        """The AttributeProfile the event matches (highest Weight), or NOT_FOUND."""
        self._check("GetAttributeForEvent")
        return await self.service.attribute_for_event(args)

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        self._check("Ping")
        return "Pong"


class _ProfileWrites:
    """Validation and the all-or-nothing write shared by APIerSv1/v2.SetAttributeProfile."""

    def __init__(self, service: AttributeService, apier: ApierService) -> None:
        self.service = service
        self.apier = apier

    @staticmethod
    def check_path(path: str) -> None:
        """An attribute without a Path would write nowhere: refused."""
        if not path:
            raise MandatoryIeMissingError("Path")

    async def store(self, item: tp.TPAttributeProfile, cache: str | None = None) -> str:
        """Check ``item`` as the engine will use it, then write it and reload."""
        filters = self.service.filters
        filter_ids = [*item.FilterIDs, *(f for a in item.Attributes for f in a.FilterIDs)]
        try:
            filters.validate_filter_ids(
                item.Tenant, filter_ids, kind=ATTRIBUTE_PROFILES, item_id=item.ID
            )
            self.service.compile_profile(item)
        except (TollgateError, ValueError) as exc:
            raise ServerError(exc) from None
        key = f"{item.Tenant}:{item.ID}"
        store = self.service.store
        previous = store.cache.peek(key)
        await self.apier.apply({ATTRIBUTE_PROFILES: {key: _encoder.encode(item)}})
        store.apply_cache_option(key, cache, previous)
        return "OK"


class APIerSv1Attributes(Api):
    """APIerSv1's AttributeProfile methods (profiles in the DataDB)."""

    namespace = "APIerSv1"

    def __init__(self, service: AttributeService, apier: ApierService) -> None:
        self.service = service
        self.apier = apier
        self._writes = _ProfileWrites(service, apier)

    @rpc_method("SetAttributeProfile")
    async def set_attribute_profile(self, args: AttributeWithCache, ctx: CallContext) -> str:
        """Store an AttributeProfile (replacing one of the same Tenant and ID)."""
        require(args, "Tenant", "ID")
        for attr in args.Attributes or ():
            for parser in attr.Value or ():
                if not parser.Rules:
                    raise MandatoryIeMissingError("Rules")
            self._writes.check_path(attr.Path)
        try:
            item = tp_from_profile(args, self.service.separator)
        except ValueError as exc:
            raise ServerError(exc) from None
        return await self._writes.store(item, args.Cache)

    @rpc_method("GetAttributeProfile")
    async def get_attribute_profile(self, args: TenantIDArg, ctx: CallContext) -> AttributeProfile:
        """The stored AttributeProfile, or NOT_FOUND."""
        require(args, "Tenant", "ID")
        data = await self.apier.db.get(ATTRIBUTE_PROFILES, f"{args.Tenant}:{args.ID}")
        if data is None:
            raise NotFoundError()
        cfg = self.service.cfg
        try:
            return profile_from_tp(
                _decoder.decode(data), cfg.general.default_timezone, self.service.separator
            )
        except (ValueError, msgspec.DecodeError) as exc:
            raise ServerError(exc) from None

    @rpc_method("GetAttributeProfileIDs")
    async def get_attribute_profile_ids(
        self, args: TenantArgWithPaginator, ctx: CallContext
    ) -> list[str]:
        """The AttributeProfile ids of a tenant (NOT_FOUND when it has none)."""
        require(args, "Tenant")
        prefix = f"{args.Tenant}:"
        keys = await self.apier.db.keys(ATTRIBUTE_PROFILES, prefix)
        if not keys:
            raise NotFoundError()
        return page([key[len(prefix) :] for key in keys], args.Limit, args.Offset)

    @rpc_method("GetAttributeProfileIDsCount")
    async def get_attribute_profile_ids_count(self, args: TenantArg, ctx: CallContext) -> int:
        """How many AttributeProfiles a tenant has (NOT_FOUND when none)."""
        require(args, "Tenant")
        count = await self.apier.db.count(ATTRIBUTE_PROFILES, f"{args.Tenant}:")
        if not count:
            raise NotFoundError()
        return count

    @rpc_method("RemoveAttributeProfile")
    async def remove_attribute_profile(self, args: TenantIDWithCache, ctx: CallContext) -> str:
        """Delete an AttributeProfile (NOT_FOUND when there is none)."""
        require(args, "Tenant", "ID")
        key = f"{args.Tenant}:{args.ID}"
        if await self.apier.db.get(ATTRIBUTE_PROFILES, key) is None:
            raise NotFoundError()
        store = self.service.store
        previous = store.cache.peek(key)
        await self.apier.apply({}, {ATTRIBUTE_PROFILES: [key]})
        store.apply_cache_option(key, args.Cache, previous)
        return "OK"


class APIerSv2Attributes(Api):
    """APIerSv2.SetAttributeProfile: attribute values as rules text."""

    namespace = "APIerSv2"

    def __init__(self, service: AttributeService, apier: ApierService) -> None:
        self.service = service
        self._writes = _ProfileWrites(service, apier)

    @rpc_method("SetAttributeProfile")
    async def set_attribute_profile(
        self, args: ExternalAttributeWithCache, ctx: CallContext
    ) -> str:
        """Store an AttributeProfile whose attribute Values are ``;``-separated rules."""
        require(args, "Tenant", "ID")
        if not args.Attributes:
            raise MandatoryIeMissingError("Attributes")
        sep = self.service.separator
        attributes = []
        for attr in args.Attributes:
            if not attr.Value:
                raise MandatoryIeMissingError("Value")
            rules = split_rules(attr.Value, sep)
            self._writes.check_path(attr.Path)
            attributes.append(
                Attribute(
                    FilterIDs=attr.FilterIDs,
                    Path=attr.Path,
                    Type=attr.Type,
                    Value=[RSRParserWire(Rules=r, AllFiltersMatch=True) for r in rules],
                )
            )
        profile = AttributeProfile(
            Tenant=args.Tenant,
            ID=args.ID,
            Contexts=args.Contexts,
            FilterIDs=args.FilterIDs,
            ActivationInterval=args.ActivationInterval,
            Attributes=attributes,
            Blocker=args.Blocker,
            Weight=args.Weight,
        )
        try:
            item = tp_from_profile(profile, sep)
        except ValueError as exc:
            raise ServerError(exc) from None
        return await self._writes.store(item, args.Cache)
