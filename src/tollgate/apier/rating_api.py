"""APIerSv1/APIerSv2 methods on the DataDB's rating objects: destinations, plans, profiles.

Every change is written to its DataDB partition (as the TP struct a load stores) and rating
is rebuilt from the DataDB before the reply, so the next GetCost sees it. A change the
rebuild refuses (a broken reference) is undone and answered with the rebuild's error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec

from tollgate.apier.models import TenantArgWithPaginator
from tollgate.apier.rating_models import (
    AttrGetDestinations,
    AttrGetRatingProfile,
    AttrRemoveRatingProfile,
    AttrSetDestination,
    AttrSetRatingProfile,
    DestinationReply,
    RatingPlanReply,
    RatingProfileReply,
    rating_plan_reply,
    rating_profile_reply,
)
from tollgate.apier.service import ApierService
from tollgate.apier.tpstore import PARTITIONS
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    ExistsError,
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
    mandatory_missing,
)
from tollgate.core.times import format_rfc3339, parse_time_detect_layout
from tollgate.rating import RatingService
from tollgate.tariffplans import TPDestination, TPRatingActivation, TPRatingProfile

__all__ = ["APIerSv1Rating", "APIerSv2Rating", "resolve_activation_time"]

logger = logging.getLogger(__name__)

_PART = {p.kind: p for p in PARTITIONS}
_DESTINATIONS = _PART["*destinations"]
_RATING_PLANS = _PART["*rating_plans"]
_RATING_PROFILES = _PART["*rating_profiles"]


def resolve_activation_time(text: str, timezone: str) -> str:
    """An ActivationTime as the absolute RFC 3339 instant CGRateS stores at set time.

    ``*now`` or ``+1h`` must not move each time rating is rebuilt.
    """
    return format_rfc3339(parse_time_detect_layout(text, timezone).ns)


class _RatingObjects:
    """DataDB reads shared by the v1 and v2 APIs."""

    def __init__(self, service: ApierService, rating: RatingService) -> None:
        self.service = service
        self.rating = rating

    async def destination(self, dest_id: str) -> TPDestination | None:
        data = await self.service.db.get(_DESTINATIONS.kind, dest_id)
        return None if data is None else _DESTINATIONS.decode(data)

    async def rating_profile(self, key: str) -> TPRatingProfile | None:
        data = await self.service.db.get(_RATING_PROFILES.kind, key)
        return None if data is None else _RATING_PROFILES.decode(data)


def _dest_reply(dest: TPDestination) -> DestinationReply:
    return DestinationReply(Id=dest.ID, Prefixes=list(dest.Prefixes))


def _raise_if_missing(obj: object, *names: str) -> None:
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


class APIerSv1Rating(Api):
    """Destinations, rating plans and rating profiles straight in the DataDB."""

    namespace = "APIerSv1"

    def __init__(
        self,
        service: ApierService,
        rating: RatingService,
        timezone: Callable[[], str] | None = None,
    ) -> None:
        self.objects = _RatingObjects(service, rating)
        self.service = service
        self.rating = rating
        self._timezone = timezone or (lambda: rating.settings.default_timezone)

    # -- destinations -------------------------------------------------------------------------

    @rpc_method("SetDestination")
    async def set_destination(self, args: AttrSetDestination, ctx: CallContext) -> str:
        """Store a destination; an existing one is replaced only with ``Overwrite``."""
        _raise_if_missing(args, "Id", "Prefixes")
        if not args.Overwrite and await self.objects.destination(args.Id) is not None:
            raise ExistsError()
        dest = TPDestination(ID=args.Id, Prefixes=list(dict.fromkeys(args.Prefixes)))
        await self.service.apply({_DESTINATIONS.kind: {dest.ID: _DESTINATIONS.encode(dest)}})
        return "OK"

    @rpc_method("GetDestination")
    async def get_destination(self, args: str, ctx: CallContext) -> DestinationReply:
        """The destination ``args`` (its id, a bare string as CGRateS takes it)."""
        dest = await self.objects.destination(args)
        if dest is None:
            raise NotFoundError()
        return _dest_reply(dest)

    @rpc_method("GetReverseDestination")
    def get_reverse_destination(self, args: str, ctx: CallContext) -> list[str]:
        """The ids of the destinations holding exactly the prefix ``args``."""
        if not args:
            raise MandatoryIeMissingError("prefix")
        ids = self.rating.data.reverse_destination(args)
        if not ids:
            raise NotFoundError()
        return list(ids)

    @rpc_method("ComputeReverseDestinations")
    async def compute_reverse_destinations(self, args: Any, ctx: CallContext) -> str:
        """Rebuild the prefix index (and the rest of rating) from the DataDB."""
        await self.service.reload()
        return "OK"

    # -- rating plans ---------------------------------------------------------------------------

    @rpc_method("GetRatingPlan")
    def get_rating_plan(self, args: str, ctx: CallContext) -> RatingPlanReply:
        """The run-time rating plan ``args`` in CGRateS's ``engine.RatingPlan`` shape."""
        plan = self.rating.data.get_rating_plan(args)
        if plan is None:
            raise NotFoundError()
        return rating_plan_reply(plan)

    @rpc_method("RemoveRatingPlan")
    async def remove_rating_plan(self, args: str, ctx: CallContext) -> str:
        """Forget a rating plan; refused (BROKEN_REFERENCE) while a profile activates it."""
        if not args:
            raise MandatoryIeMissingError("ID")
        if await self.service.db.get(_RATING_PLANS.kind, args) is None:
            raise NotFoundError()
        await self.service.apply({}, {_RATING_PLANS.kind: [args]})
        return "OK"

    # -- rating profiles ----------------------------------------------------------------------

    @rpc_method("GetRatingProfile")
    def get_rating_profile(
        self, args: AttrGetRatingProfile, ctx: CallContext
    ) -> RatingProfileReply:
        _raise_if_missing(args, "Tenant", "Category", "Subject")
        key = f"*out:{args.Tenant}:{args.Category}:{args.Subject}"
        profile = self.rating.data.get_rating_profile(key)
        if profile is None:
            raise NotFoundError()
        return rating_profile_reply(profile)

    @rpc_method("GetRatingProfileIDs")
    async def get_rating_profile_ids(
        self, args: TenantArgWithPaginator, ctx: CallContext
    ) -> list[str]:
        """``Category:Subject`` of the tenant's rating profiles (Limit/Offset page them)."""
        _raise_if_missing(args, "Tenant")
        prefix = f"*out:{args.Tenant}:"
        keys = await self.service.db.keys(_RATING_PROFILES.kind, prefix)
        if not keys:
            raise NotFoundError()
        return args.page([key[len(prefix) :] for key in keys])

    @rpc_method("SetRatingProfile")
    async def set_rating_profile(self, args: AttrSetRatingProfile, ctx: CallContext) -> str:
        """Store a rating profile; without ``Overwrite`` the activations are appended."""
        _raise_if_missing(args, "Tenant", "Subject", "RatingPlanActivations")
        for act in args.RatingPlanActivations:
            missing = [n for n in ("ActivationTime", "RatingPlanId") if not getattr(act, n)]
            if missing:
                raise TollgateError(
                    f"MANDATORY_IE_MISSING:RatingPlanActivation:[{' '.join(missing)}]"
                )
        profile = TPRatingProfile(Tenant=args.Tenant, Category=args.Category, Subject=args.Subject)
        if not args.Overwrite:
            old = await self.objects.rating_profile(profile.key)
            if old is not None:
                profile.RatingPlanActivations = list(old.RatingPlanActivations)
        timezone = self._timezone()
        for act in args.RatingPlanActivations:
            try:
                when = resolve_activation_time(act.ActivationTime, timezone)
            except ValueError:
                raise TollgateError(
                    f"SERVER_ERROR:Cannot parse activation time from {act.ActivationTime}"
                ) from None
            if await self.service.db.get(_RATING_PLANS.kind, act.RatingPlanId) is None:
                raise TollgateError(f"NOT_FOUND:RatingPlanId:{act.RatingPlanId}")
            profile.RatingPlanActivations.append(
                TPRatingActivation(
                    ActivationTime=when,
                    RatingPlanId=act.RatingPlanId,
                    FallbackSubjects=act.FallbackSubjects,
                )
            )
        await self._store_profile(profile)
        return "OK"

    async def _store_profile(self, profile: TPRatingProfile) -> None:
        try:
            await self.service.apply(
                {_RATING_PROFILES.kind: {profile.key: _RATING_PROFILES.encode(profile)}}
            )
        except ValueError as exc:  # a stored activation time rating cannot read
            raise ServerError(exc) from exc

    @rpc_method("RemoveRatingProfile")
    async def remove_rating_profile(self, args: AttrRemoveRatingProfile, ctx: CallContext) -> str:
        """Remove the profiles under a key prefix: a tenant, its category, or one subject.

        A Subject needs Tenant and Category, a Category needs Tenant (else the bare
        ``MANDATORY_IE_MISSING``, as CGRateS). Nothing matching is not an error.
        """
        if (args.Subject and not (args.Tenant and args.Category)) or (
            args.Category and not args.Tenant
        ):
            raise MandatoryIeMissingError()
        keys = await self.service.db.keys(_RATING_PROFILES.kind, _remove_prefix(args))
        if args.Subject:  # one profile, not every subject starting with this one
            keys = [k for k in keys if k == f"*out:{args.Tenant}:{args.Category}:{args.Subject}"]
        if keys:
            await self.service.apply({}, {_RATING_PROFILES.kind: keys})
        return "OK"


def _remove_prefix(args: AttrRemoveRatingProfile) -> str:
    prefix = "*out:"
    for part in (args.Tenant, args.Category):
        if not part or part == "*any":
            return prefix
        prefix += part + ":"
    return prefix + args.Subject


class APIerSv2Rating(Api):
    """APIerSv2.GetDestinations."""

    namespace = "APIerSv2"

    def __init__(self, service: ApierService, rating: RatingService) -> None:
        self.objects = _RatingObjects(service, rating)
        self.service = service

    @rpc_method("GetDestinations")
    async def get_destinations(
        self, args: AttrGetDestinations, ctx: CallContext
    ) -> list[DestinationReply]:
        """The named destinations (every one when none is named); NOT_FOUND for a missing id."""
        ids = args.DestinationIDs or await self.service.db.keys(_DESTINATIONS.kind)
        values = await self.service.db.get_many(_DESTINATIONS.kind, ids)
        if any(v is None for v in values):
            raise NotFoundError()
        return [
            _dest_reply(msgspec.msgpack.decode(v, type=TPDestination))
            for v in values
            if v is not None
        ]
