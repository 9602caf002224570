"""StorDB rating profiles (``SetTPRatingProfile`` …) and the loads of one rating plan or
rating profile from a StorDB tariff plan into the DataDB (``LoadRatingPlan``,
``LoadRatingProfile``), after which rating is rebuilt as after a folder load.

A loaded plan brings the timings, destination rates, rates and destinations it references
(a destination already in the DataDB may stay there); a loaded profile needs its plans in
the DataDB already. Stored items keep their ids, so a plan loaded from one tariff plan
replaces a destination rate of the same id that another plan uses, as the folder loader does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tollgate.apier.rating_api import resolve_activation_time
from tollgate.apier.service import ApierService
from tollgate.apier.tp_api import StorDBSource, require, tp_store
from tollgate.apier.tp_models import (
    AttrGetTPIds,
    AttrGetTPRatingProfile,
    AttrLoadRatingPlan,
    AttrTPRatingProfileIds,
)
from tollgate.apier.tpstore import PARTITIONS, Partition
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import NotFoundError, ServerError, TollgateError
from tollgate.storage.stordb import TariffPlanStore
from tollgate.tariffplans import BUILTIN_TIMINGS, TPRatingActivation, TPRatingProfile

__all__ = ["APIerSv1TPLoads"]

logger = logging.getLogger(__name__)

_PART = {p.kind: p for p in PARTITIONS}
_PROFILE_COLUMNS = ("loadid", "tenant", "category", "subject")


def _split_profile_id(profile_id: str) -> dict[str, str]:
    parts = profile_id.split(":")
    if len(parts) != 4:
        raise TollgateError(f"Wrong TPRatingProfileId: {profile_id}")
    return dict(zip(_PROFILE_COLUMNS, parts, strict=True))


def _batch(kind: str, items: dict[str, Any]) -> tuple[str, dict[str, bytes]]:
    part: Partition = _PART[kind]
    return kind, {key: part.encode(item) for key, item in items.items()}


class APIerSv1TPLoads(Api):
    """Rating profiles in a StorDB tariff plan, and loading plans and profiles from it."""

    namespace = "APIerSv1"

    def __init__(
        self, stordb: StorDBSource, service: ApierService, timezone: Callable[[], str]
    ) -> None:
        self._stordb = stordb
        self.service = service
        self._timezone = timezone  # general.default_timezone, read when used

    def _store(self) -> TariffPlanStore:
        return tp_store(self._stordb)

    # -- TP rating profiles ---------------------------------------------------------------------

    @rpc_method("SetTPRatingProfile")
    async def set_tp_rating_profile(self, args: TPRatingProfile, ctx: CallContext) -> str:
        require(args, "TPid", "LoadId", "Tenant", "Category", "Subject", "RatingPlanActivations")
        await self._store().set_tp_rating_profiles([args])
        return "OK"

    @rpc_method("GetTPRatingProfile")
    async def get_tp_rating_profile(
        self, args: AttrGetTPRatingProfile, ctx: CallContext
    ) -> TPRatingProfile:
        if not args.profile_id:
            require(args, "TPid", "RatingProfileID")
        require(args, "TPid")
        found = await self._store().get_tp_rating_profiles(
            args.TPid, **_split_profile_id(args.profile_id)
        )
        if not found:
            raise NotFoundError()
        return found[0]

    @rpc_method("RemoveTPRatingProfile")
    async def remove_tp_rating_profile(self, args: AttrGetTPRatingProfile, ctx: CallContext) -> str:
        if not args.profile_id:
            require(args, "TPid", "RatingProfileID")
        require(args, "TPid")
        filters = _split_profile_id(args.profile_id)
        await self._store().remove_tp_data("tp_rating_profiles", args.TPid, filters)
        return "OK"

    @rpc_method("GetTPRatingProfileIds")
    async def get_tp_rating_profile_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        """``LoadId:Tenant:Category:Subject`` of the plan's rating profiles."""
        require(args, "TPid")
        ids = await self._store().get_tp_ids(
            "tp_rating_profiles",
            args.TPid,
            distinct=_PROFILE_COLUMNS,
            search=args.Search,
            limit=args.Limit,
            offset=args.Offset,
        )
        if not ids:
            raise NotFoundError()
        return ids

    @rpc_method("GetTPRatingProfileLoadIds")
    async def get_tp_rating_profile_load_ids(
        self, args: AttrTPRatingProfileIds, ctx: CallContext
    ) -> list[str]:
        require(args, "TPid")
        filters = {"tenant": args.Tenant, "category": args.Category, "subject": args.Subject}
        ids = await self._store().get_tp_ids(
            "tp_rating_profiles", args.TPid, filters, distinct=("loadid",)
        )
        if not ids:
            raise NotFoundError()
        return ids

    @rpc_method("GetTPRatingProfilesByLoadID")
    async def get_tp_rating_profiles_by_load_id(
        self, args: TPRatingProfile, ctx: CallContext
    ) -> list[TPRatingProfile]:
        """A load's profiles; naming a Subject makes Tenant and Category mandatory too."""
        names = ["TPid", "LoadId"]
        if args.Subject:
            names += ["Tenant", "Category", "Subject"]
        require(args, *names)
        found = await self._store().get_tp_rating_profiles(
            args.TPid,
            loadid=args.LoadId,
            tenant=args.Tenant,
            category=args.Category,
            subject=args.Subject,
        )
        if not found:
            raise NotFoundError()
        return found

    # -- loads into the DataDB ------------------------------------------------------------------

    @rpc_method("LoadRatingPlan")
    async def load_rating_plan(self, args: AttrLoadRatingPlan, ctx: CallContext) -> str:
        """Copy a plan (every plan when RatingPlanId is empty) and what it references."""
        require(args, "TPid")
        store, tpid = self._store(), args.TPid
        plans = await store.get_tp_rating_plans(tpid, args.RatingPlanId)
        if not plans:
            raise NotFoundError()
        timings: dict[str, Any] = {}
        drates: dict[str, Any] = {}
        rates: dict[str, Any] = {}
        dests: dict[str, Any] = {}
        for plan in plans:
            for binding in plan.RatingPlanBindings:
                tm = binding.TimingId
                if tm not in BUILTIN_TIMINGS and tm not in timings:
                    timings[tm] = await _need(store.get_tp_timings(tpid, tm), "timing", tm)
                dr_id = binding.DestinationRatesId
                if dr_id in drates:
                    continue
                drates[dr_id] = tdr = await _need(
                    store.get_tp_destination_rates(tpid, dr_id), "destination rates", dr_id
                )
                for dr in tdr.DestinationRates:
                    if dr.RateId not in rates:
                        rates[dr.RateId] = await _need(
                            store.get_tp_rates(tpid, dr.RateId), "rates", dr.RateId
                        )
                    dest = dr.DestinationId
                    if dest == "*any" or dest in dests:
                        continue
                    found = await store.get_tp_destinations(tpid, dest)
                    if found:
                        dests[dest] = found[0]
                    elif await self.service.db.get("*destinations", dest) is None:
                        raise ServerError(f"could not get destination for tag {dest}")
        writes = dict(
            [
                _batch("*destinations", dests),
                _batch("*timings", timings),
                _batch("*rates", rates),
                _batch("*destination_rates", drates),
                _batch("*rating_plans", {p.ID: p for p in plans}),
            ]
        )
        await self.service.apply(writes)
        return "OK"

    @rpc_method("LoadRatingProfile")
    async def load_rating_profile(self, args: TPRatingProfile, ctx: CallContext) -> str:
        """Copy the plan's rating profiles matching LoadId/Tenant/Category/Subject."""
        require(args, "TPid")
        found = await self._store().get_tp_rating_profiles(
            args.TPid,
            loadid=args.LoadId,
            tenant=args.Tenant,
            category=args.Category,
            subject=args.Subject,
        )
        if not found:
            raise NotFoundError()
        timezone = self._timezone()
        profiles: dict[str, Any] = {}
        for tp in found:
            profile = profiles.setdefault(
                tp.key,
                TPRatingProfile(
                    TPid=tp.TPid,
                    LoadId=tp.LoadId,
                    Tenant=tp.Tenant,
                    Category=tp.Category,
                    Subject=tp.Subject,
                ),
            )
            for act in tp.RatingPlanActivations:
                if await self.service.db.get("*rating_plans", act.RatingPlanId) is None:
                    raise ServerError(f"could not load rating plans for tag: {act.RatingPlanId}")
                try:
                    when = resolve_activation_time(act.ActivationTime, timezone)
                except ValueError as exc:
                    raise ServerError(exc) from exc
                profile.RatingPlanActivations.append(
                    TPRatingActivation(
                        ActivationTime=when,
                        RatingPlanId=act.RatingPlanId,
                        FallbackSubjects=act.FallbackSubjects,
                    )
                )
        await self.service.apply(dict([_batch("*rating_profiles", profiles)]))
        return "OK"


async def _need(found: Awaitable[list[Any]], what: str, tag: str) -> Any:
    items = await found
    if not items:
        raise ServerError(f"could not get {what} for tag {tag}")
    return items[0]
