"""RPC methods of rating: Responder.GetCost*, APIerSv1.GetCost/GetDataCost,
RALsV1.GetRatingPlansCost.

Responder errors go out bare (``UNAUTHORIZED_DESTINATION``); APIerSv1.GetCost and GetDataCost
wrap them as ``SERVER_ERROR: <err>``, as CGRateS does.
"""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal
from typing import Any

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.durations import parse_duration
from tollgate.core.errors import MandatoryIeMissingError, ServerError, TollgateError
from tollgate.core.times import GoTime, parse_rfc3339, parse_time_detect_layout
from tollgate.rating.args import (
    AttrGetCost,
    AttrGetDataCost,
    CallDescriptorArgs,
    GetCostOnRatingPlansArgs,
    RatingPlanCost,
    RatingPlanCostArg,
)
from tollgate.rating.engine import CallDescriptor
from tollgate.rating.models import ToR
from tollgate.rating.replies import (
    CallCostReply,
    DataCostReply,
    EventCost,
    call_cost_reply,
    data_cost_reply,
    event_cost_from_call_cost,
)
from tollgate.rating.rounding import money
from tollgate.rating.service import RatingService

__all__ = ["APIerSv1Costs", "RALsV1", "ResponderCosts"]

_RATING_PLAN_COST = "*rating_plan_cost"


def _go_time(text: str) -> GoTime:
    """A ``time.Time`` field in a request: RFC 3339, or the zero time when empty."""
    if not text:
        return parse_time_detect_layout("")
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise ServerError(exc) from None


def _descriptor(args: CallDescriptorArgs) -> CallDescriptor:
    start, end = _go_time(args.TimeStart), _go_time(args.TimeEnd)
    return CallDescriptor(
        args.Category,
        args.Tenant,
        args.Subject,
        args.Destination,
        start.ns,
        end.ns,
        start.tz,
        account=args.Account,
        tor=args.ToR,
        loop_index=args.LoopIndex,
        duration_index=args.DurationIndex,
        max_cost_so_far=args.MaxCostSoFar,
        perform_rounding=args.PerformRounding,
    )


def _short_id(*parts: object) -> str:
    seed = f"{time.time_ns()}/{parts!r}".encode()
    return hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:7]


class ResponderCosts(Api):
    """``Responder.GetCost`` and ``Responder.GetCostOnRatingPlans``."""

    namespace = "Responder"

    def __init__(self, service: RatingService) -> None:
        self.service = service

    @rpc_method("GetCost")
    def get_cost(self, args: CallDescriptorArgs, ctx: CallContext) -> CallCostReply:
        """The CallCost of a CallDescriptor (Timespans with compressed Increments)."""
        return call_cost_reply(self.service.get_cost(_descriptor(args)))

    @rpc_method("GetCostOnRatingPlans")
    def get_cost_on_rating_plans(
        self, args: GetCostOnRatingPlansArgs, ctx: CallContext
    ) -> dict[str, Any] | None:
        """``{Cost, RatingPlanID}`` of the first plan that covers the destination."""
        settings = self.service.settings
        start = _go_time(args.SetupTime)
        cd = CallDescriptor(
            "*tmp",
            args.Tenant or settings.default_tenant,
            args.Subject,
            args.Destination,
            start.ns,
            start.ns + args.Usage,
            start.tz,
            account=args.Account,
            duration_index=args.Usage,
        )
        found = self.service.get_cost_on_rating_plans(cd, args.RatingPlanIDs)
        if found is None:
            return None
        cc, plan_id = found
        return {"Cost": money(cc.cost), "RatingPlanID": plan_id}


def _answer_time(text: str, timezone: str) -> GoTime:
    try:
        return parse_time_detect_layout(text, timezone)
    except ValueError as exc:
        raise ServerError(exc) from None


class APIerSv1Costs(Api):
    """``APIerSv1.GetCost`` and ``GetDataCost``."""

    namespace = "APIerSv1"

    def __init__(self, service: RatingService) -> None:
        self.service = service

    @rpc_method("GetCost")
    def get_cost(self, args: AttrGetCost, ctx: CallContext) -> EventCost:
        """The EventCost of a call starting at AnswerTime lasting Usage."""
        settings = self.service.settings
        try:
            usage = parse_duration(args.Usage)
        except ValueError as exc:
            raise ServerError(exc) from None
        start = _answer_time(args.AnswerTime, settings.default_timezone)
        cd = CallDescriptor(
            args.Category,
            args.Tenant or settings.default_tenant,
            args.Subject,
            args.Destination,
            start.ns,
            start.ns + usage,
            start.tz,
            duration_index=usage,
        )
        try:
            cc = self.service.get_cost(cd)
        except TollgateError as exc:
            raise ServerError(exc) from None
        return event_cost_from_call_cost(cc, settings.rounding_decimals)

    @rpc_method("GetDataCost")
    def get_data_cost(self, args: AttrGetDataCost, ctx: CallContext) -> DataCostReply:
        """The DataCost of a ``*data`` session of Usage units."""
        settings = self.service.settings
        start = _answer_time(args.AnswerTime, settings.default_timezone)
        cd = CallDescriptor(
            args.Category,
            args.Tenant,
            args.Subject,
            "",
            start.ns,
            start.ns + args.Usage,
            start.tz,
            tor=ToR.DATA,
            duration_index=args.Usage,
        )
        try:
            cc = self.service.get_cost(cd)
        except TollgateError as exc:
            raise ServerError(exc) from None
        return data_cost_reply(cc)


def _rating_plans_cost(service: RatingService, args: RatingPlanCostArg) -> RatingPlanCost:
    missing = [
        name
        for name, value in (
            ("RatingPlanIDs", args.RatingPlanIDs),
            ("Destination", args.Destination),
            ("SetupTime", args.SetupTime),
            ("Usage", args.Usage),
        )
        if not value
    ]
    if missing:
        raise MandatoryIeMissingError(*missing)
    settings = service.settings
    try:
        start = parse_time_detect_layout(args.SetupTime, settings.default_timezone)
        usage = parse_duration(args.Usage)
    except ValueError as exc:  # CGRateS returns these unwrapped
        raise TollgateError(str(exc)) from None
    cd = CallDescriptor(
        _RATING_PLAN_COST,
        _short_id("tenant", args.RatingPlanIDs),
        _short_id("subject", args.Destination),
        args.Destination,
        start.ns,
        start.ns + usage,
        start.tz,
        duration_index=usage,
        max_cost_so_far=Decimal(0),
    )
    found = service.get_cost_on_rating_plans(cd, args.RatingPlanIDs)
    if found is None:
        return RatingPlanCost()
    cc, plan_id = found
    return RatingPlanCost(
        EventCost=event_cost_from_call_cost(cc, settings.rounding_decimals),
        RatingPlanID=plan_id,
    )


class RALsV1(Api):
    """``RALsV1.GetRatingPlansCost`` (the EventCost of the first plan that covers a call) and
    ``RALsV1.Ping``."""

    namespace = "RALsV1"

    def __init__(self, service: RatingService) -> None:
        self.service = service

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        """Answers "Pong"."""
        return "Pong"

    @rpc_method("GetRatingPlansCost")
    def get_rating_plans_cost(self, args: RatingPlanCostArg, ctx: CallContext) -> RatingPlanCost:
        """``{EventCost, RatingPlanID}``; an empty reply when no plan covers the destination."""
        return _rating_plans_cost(self.service, args)
