"""APIerSv1/APIerSv2 ``SetTP*``/``GetTP*``/``GetTP*Ids``/``RemoveTP*`` on the StorDB's
rating tables: destinations, timings, rates, destination rates and rating plans.

Missing ``TPid``/``ID`` answer ``MANDATORY_IE_MISSING: [..]``, an absent item ``NOT_FOUND``,
an empty id listing ``NOT_FOUND``; removing what is not there is "OK", as in CGRateS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tollgate.apier.tp_models import AttrGetTPIds, AttrGetTPItem, AttrGetTPItemV2
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import NotFoundError, ServerError, mandatory_missing
from tollgate.storage.stordb import StorDB, TariffPlanStore
from tollgate.tariffplans import (
    ApierTPTiming,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingPlan,
)

__all__ = [
    "APIerSv1TPRating",
    "APIerSv2TPRating",
    "StorDBSource",
    "found_one",
    "require",
    "tp_ids",
    "tp_store",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
StorDBSource = Callable[[], StorDB | None]


def require(obj: object, *names: str) -> None:
    """Raise ``MANDATORY_IE_MISSING: [..]`` naming the zero-valued ``names``."""
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


def tp_store(source: StorDBSource) -> TariffPlanStore:
    db = source()
    if db is None:
        raise ServerError("StorDB is not open")
    if not isinstance(db, TariffPlanStore):
        raise ServerError("this StorDB does not keep tariff plans")
    return db


async def found_one(found: Awaitable[list[T]]) -> T:
    """The first item found, or ``NOT_FOUND``."""
    items = await found
    if not items:
        raise NotFoundError()
    return items[0]


async def tp_ids(
    store: TariffPlanStore, table: str, args: AttrGetTPIds, distinct: tuple[str, ...] = ("tag",)
) -> list[str]:
    """``GetTP*Ids``: the plan's ids (``distinct`` columns joined by ``:``), or ``NOT_FOUND``."""
    require(args, "TPid")
    ids = await store.get_tp_ids(
        table,
        args.TPid,
        distinct=distinct,
        search=args.Search,
        limit=args.Limit,
        offset=args.Offset,
    )
    if not ids:
        raise NotFoundError()
    return ids


async def _remove(store: TariffPlanStore, table: str, tpid: str, item_id: str) -> str:
    await store.remove_tp_data(table, tpid, {"tag": item_id})
    return "OK"


class APIerSv1TPRating(Api):
    """The tag-keyed rating tables of a StorDB tariff plan."""

    namespace = "APIerSv1"

    def __init__(self, stordb: StorDBSource) -> None:
        self._stordb = stordb

    def _store(self) -> TariffPlanStore:
        return tp_store(self._stordb)

    # -- destinations -------------------------------------------------------------------------

    @rpc_method("SetTPDestination")
    async def set_tp_destination(self, args: TPDestination, ctx: CallContext) -> str:
        require(args, "TPid", "ID", "Prefixes")
        await self._store().set_tp_destinations([args])
        return "OK"

    @rpc_method("GetTPDestination")
    async def get_tp_destination(self, args: AttrGetTPItem, ctx: CallContext) -> TPDestination:
        require(args, "TPid", "ID")
        return await found_one(self._store().get_tp_destinations(args.TPid, args.ID))

    @rpc_method("GetTPDestinationIDs")
    async def get_tp_destination_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_destinations", args)

    @rpc_method("RemoveTPDestination")
    async def remove_tp_destination(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        return await _remove(self._store(), "tp_destinations", args.TPid, args.ID)

    # -- timings ------------------------------------------------------------------------------

    @rpc_method("SetTPTiming")
    async def set_tp_timing(self, args: ApierTPTiming, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        await self._store().set_tp_timings([args])
        return "OK"

    @rpc_method("GetTPTiming")
    async def get_tp_timing(self, args: AttrGetTPItem, ctx: CallContext) -> ApierTPTiming:
        require(args, "TPid", "ID")
        return await found_one(self._store().get_tp_timings(args.TPid, args.ID))

    @rpc_method("GetTPTimingIds")
    async def get_tp_timing_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_timings", args)

    @rpc_method("RemoveTPTiming")
    async def remove_tp_timing(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        return await _remove(self._store(), "tp_timings", args.TPid, args.ID)

    # -- rates --------------------------------------------------------------------------------

    @rpc_method("SetTPRate")
    async def set_tp_rate(self, args: TPRate, ctx: CallContext) -> str:
        require(args, "TPid", "ID", "RateSlots")
        await self._store().set_tp_rates([args])
        return "OK"

    @rpc_method("GetTPRate")
    async def get_tp_rate(self, args: AttrGetTPItem, ctx: CallContext) -> TPRate:
        require(args, "TPid", "ID")
        return await found_one(self._store().get_tp_rates(args.TPid, args.ID))

    @rpc_method("GetTPRateIds")
    async def get_tp_rate_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_rates", args)

    @rpc_method("RemoveTPRate")
    async def remove_tp_rate(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        return await _remove(self._store(), "tp_rates", args.TPid, args.ID)

    # -- destination rates --------------------------------------------------------------------

    @rpc_method("SetTPDestinationRate")
    async def set_tp_destination_rate(self, args: TPDestinationRate, ctx: CallContext) -> str:
        require(args, "TPid", "ID", "DestinationRates")
        await self._store().set_tp_destination_rates([args])
        return "OK"

    @rpc_method("GetTPDestinationRate")
    async def get_tp_destination_rate(
        self, args: AttrGetTPItem, ctx: CallContext
    ) -> TPDestinationRate:
        require(args, "TPid", "ID")
        return await found_one(self._store().get_tp_destination_rates(args.TPid, args.ID))

    @rpc_method("GetTPDestinationRateIds")
    async def get_tp_destination_rate_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_destination_rates", args)

    @rpc_method("RemoveTPDestinationRate")
    async def remove_tp_destination_rate(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        return await _remove(self._store(), "tp_destination_rates", args.TPid, args.ID)

    # -- rating plans -------------------------------------------------------------------------

    @rpc_method("SetTPRatingPlan")
    async def set_tp_rating_plan(self, args: TPRatingPlan, ctx: CallContext) -> str:
        require(args, "TPid", "ID", "RatingPlanBindings")
        await self._store().set_tp_rating_plans([args])
        return "OK"

    @rpc_method("GetTPRatingPlan")
    async def get_tp_rating_plan(self, args: AttrGetTPItem, ctx: CallContext) -> TPRatingPlan:
        require(args, "TPid", "ID")
        return await found_one(self._store().get_tp_rating_plans(args.TPid, args.ID))

    @rpc_method("GetTPRatingPlanIds")
    async def get_tp_rating_plan_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_rating_plans", args)

    @rpc_method("RemoveTPRatingPlan")
    async def remove_tp_rating_plan(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        return await _remove(self._store(), "tp_rating_plans", args.TPid, args.ID)


class APIerSv2TPRating(Api):
    """APIerSv2's destination and timing TP methods (destinations named by ``Tag``)."""

    namespace = "APIerSv2"

    def __init__(self, stordb: StorDBSource) -> None:
        self._stordb = stordb
        self.v1 = APIerSv1TPRating(stordb)

    @rpc_method("SetTPDestination")
    async def set_tp_destination(self, args: TPDestination, ctx: CallContext) -> str:
        return await self.v1.set_tp_destination(args, ctx)

    @rpc_method("GetTPDestination")
    async def get_tp_destination(self, args: AttrGetTPItemV2, ctx: CallContext) -> TPDestination:
        require(args, "TPid")
        if not args.item_id:
            require(args, "Tag")
        return await found_one(tp_store(self._stordb).get_tp_destinations(args.TPid, args.item_id))

    @rpc_method("GetTPDestinationIDs")
    async def get_tp_destination_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await self.v1.get_tp_destination_ids(args, ctx)

    @rpc_method("RemoveTPDestination")
    async def remove_tp_destination(self, args: AttrGetTPItemV2, ctx: CallContext) -> str:
        require(args, "TPid")
        if not args.item_id:
            require(args, "Tag")
        return await _remove(tp_store(self._stordb), "tp_destinations", args.TPid, args.item_id)

    @rpc_method("SetTPTiming")
    async def set_tp_timing(self, args: ApierTPTiming, ctx: CallContext) -> str:
        return await self.v1.set_tp_timing(args, ctx)

    @rpc_method("GetTPTiming")
    async def get_tp_timing(self, args: AttrGetTPItem, ctx: CallContext) -> ApierTPTiming:
        return await self.v1.get_tp_timing(args, ctx)

    @rpc_method("RemoveTPTiming")
    async def remove_tp_timing(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        return await self.v1.remove_tp_timing(args, ctx)
