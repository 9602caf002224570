"""APIerSv1 ``SetTP*``/``GetTP*``/``GetTP*IDs``/``RemoveTP*`` on the StorDB's profile tables:
filters, attributes, chargers, resources, stats, thresholds, suppliers and dispatchers.

Profiles are named by ``{TPid, Tenant, ID}`` (``utils.TPTntID``) and listed as
``Tenant:ID``. Only the methods v0.10 serves are here: it has no ``GetTPResourceIDs``,
``GetTPStatIDs`` nor TP dispatcher-host methods in its method table.
"""

from __future__ import annotations

import logging
from typing import TypeVar, cast

from tollgate.apier.tp_api import StorDBSource, found_one, require, tp_ids, tp_store
from tollgate.apier.tp_models import AttrGetTPIds, TPTntID
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.storage.stordb import TariffPlanStore
from tollgate.tariffplans import (
    TPAttributeProfile,
    TPChargerProfile,
    TPDispatcherProfile,
    TPFilterProfile,
    TPResourceProfile,
    TPStatProfile,
    TPSupplierProfile,
    TPThresholdProfile,
)

__all__ = ["APIerSv1TPProfiles"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_KEY = ("TPid", "Tenant", "ID")
_TENANT_ID = ("tenant", "id")


class APIerSv1TPProfiles(Api):
    """The profile files of a StorDB tariff plan."""

    namespace = "APIerSv1"

    def __init__(self, stordb: StorDBSource) -> None:
        self._stordb = stordb

    def _store(self) -> TariffPlanStore:
        return tp_store(self._stordb)

    async def _set(self, table: str, profile: object, *mandatory: str) -> str:
        require(profile, *_KEY, *mandatory)
        await self._store().set_tp(table, [profile])
        return "OK"

    async def _get(self, model: type[T], table: str, args: TPTntID) -> T:
        require(args, *_KEY)
        filters = {"tenant": args.Tenant, "id": args.ID}
        return cast(T, await found_one(self._store().get_tp(table, args.TPid, filters)))

    async def _ids(self, table: str, args: AttrGetTPIds) -> list[str]:
        return await tp_ids(self._store(), table, args, _TENANT_ID)

    async def _remove(self, table: str, args: TPTntID) -> str:
        require(args, *_KEY)
        filters = {"tenant": args.Tenant, "id": args.ID}
        await self._store().remove_tp_data(table, args.TPid, filters)
        return "OK"

    # -- filters ------------------------------------------------------------------------------

    @rpc_method("SetTPFilterProfile")
    async def set_tp_filter_profile(self, args: TPFilterProfile, ctx: CallContext) -> str:
        return await self._set("tp_filters", args)

    @rpc_method("GetTPFilterProfile")
    async def get_tp_filter_profile(self, args: TPTntID, ctx: CallContext) -> TPFilterProfile:
        return await self._get(TPFilterProfile, "tp_filters", args)

    @rpc_method("GetTPFilterProfileIds")
    async def get_tp_filter_profile_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await self._ids("tp_filters", args)

    @rpc_method("RemoveTPFilterProfile")
    async def remove_tp_filter_profile(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_filters", args)

    # -- attributes ---------------------------------------------------------------------------

    @rpc_method("SetTPAttributeProfile")
    async def set_tp_attribute_profile(self, args: TPAttributeProfile, ctx: CallContext) -> str:
        return await self._set("tp_attributes", args)

    @rpc_method("GetTPAttributeProfile")
    async def get_tp_attribute_profile(self, args: TPTntID, ctx: CallContext) -> TPAttributeProfile:
        return await self._get(TPAttributeProfile, "tp_attributes", args)

    @rpc_method("GetTPAttributeProfileIds")
    async def get_tp_attribute_profile_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await self._ids("tp_attributes", args)

    @rpc_method("RemoveTPAttributeProfile")
    async def remove_tp_attribute_profile(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_attributes", args)

    # -- chargers -----------------------------------------------------------------------------

    @rpc_method("SetTPCharger")
    async def set_tp_charger(self, args: TPChargerProfile, ctx: CallContext) -> str:
        return await self._set("tp_chargers", args)

    @rpc_method("GetTPCharger")
    async def get_tp_charger(self, args: TPTntID, ctx: CallContext) -> TPChargerProfile:
        return await self._get(TPChargerProfile, "tp_chargers", args)

    @rpc_method("GetTPChargerIDs")
    async def get_tp_charger_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await self._ids("tp_chargers", args)

    @rpc_method("RemoveTPCharger")
    async def remove_tp_charger(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_chargers", args)

    # -- resources ----------------------------------------------------------------------------

    @rpc_method("SetTPResource")
    async def set_tp_resource(self, args: TPResourceProfile, ctx: CallContext) -> str:
        return await self._set("tp_resources", args, "Limit")

    @rpc_method("GetTPResource")
    async def get_tp_resource(self, args: TPTntID, ctx: CallContext) -> TPResourceProfile:
        return await self._get(TPResourceProfile, "tp_resources", args)

    @rpc_method("RemoveTPResource")
    async def remove_tp_resource(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_resources", args)

    # -- stats --------------------------------------------------------------------------------

    @rpc_method("SetTPStat")
    async def set_tp_stat(self, args: TPStatProfile, ctx: CallContext) -> str:
        return await self._set("tp_stats", args)

    @rpc_method("GetTPStat")
    async def get_tp_stat(self, args: TPTntID, ctx: CallContext) -> TPStatProfile:
        return await self._get(TPStatProfile, "tp_stats", args)

    @rpc_method("RemoveTPStat")
    async def remove_tp_stat(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_stats", args)

    # -- thresholds ---------------------------------------------------------------------------

    @rpc_method("SetTPThreshold")
    async def set_tp_threshold(self, args: TPThresholdProfile, ctx: CallContext) -> str:
        return await self._set("tp_thresholds", args)

    @rpc_method("GetTPThreshold")
    async def get_tp_threshold(self, args: TPTntID, ctx: CallContext) -> TPThresholdProfile:
        return await self._get(TPThresholdProfile, "tp_thresholds", args)

    @rpc_method("GetTPThresholdIDs")
    async def get_tp_threshold_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await self._ids("tp_thresholds", args)

    @rpc_method("RemoveTPThreshold")
    async def remove_tp_threshold(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_thresholds", args)

    # -- suppliers ----------------------------------------------------------------------------

    @rpc_method("SetTPSupplierProfile")
    async def set_tp_supplier_profile(self, args: TPSupplierProfile, ctx: CallContext) -> str:
        return await self._set("tp_suppliers", args)

    @rpc_method("GetTPSupplierProfile")
    async def get_tp_supplier_profile(self, args: TPTntID, ctx: CallContext) -> TPSupplierProfile:
        return await self._get(TPSupplierProfile, "tp_suppliers", args)

    @rpc_method("GetTPSupplierProfileIDs")
    async def get_tp_supplier_profile_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await self._ids("tp_suppliers", args)

    @rpc_method("RemoveTPSupplierProfile")
    async def remove_tp_supplier_profile(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_suppliers", args)

    # -- dispatcher profiles ------------------------------------------------------------------

    @rpc_method("SetTPDispatcherProfile")
    async def set_tp_dispatcher_profile(self, args: TPDispatcherProfile, ctx: CallContext) -> str:
        return await self._set("tp_dispatcher_profiles", args)

    @rpc_method("GetTPDispatcherProfile")
    async def get_tp_dispatcher_profile(
        self, args: TPTntID, ctx: CallContext
    ) -> TPDispatcherProfile:
        return await self._get(TPDispatcherProfile, "tp_dispatcher_profiles", args)

    @rpc_method("GetTPDispatcherProfileIDs")
    async def get_tp_dispatcher_profile_ids(
        self, args: AttrGetTPIds, ctx: CallContext
    ) -> list[str]:
        return await self._ids("tp_dispatcher_profiles", args)

    @rpc_method("RemoveTPDispatcherProfile")
    async def remove_tp_dispatcher_profile(self, args: TPTntID, ctx: CallContext) -> str:
        return await self._remove("tp_dispatcher_profiles", args)
