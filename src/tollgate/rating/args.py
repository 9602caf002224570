"""Wire arguments of the rating RPC methods (Go field names; embedded structs flattened)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "AttrGetCost",
    "AttrGetDataCost",
    "CallDescriptorArgs",
    "GetCostOnRatingPlansArgs",
    "RatingPlanCost",
    "RatingPlanCostArg",
]


class CallDescriptorArgs(msgspec.Struct, kw_only=True):
    """``CallDescriptorWithArgDispatcher``: the CallDescriptor fields at top level."""

    Category: str = ""
    Tenant: str = ""
    Subject: str = ""
    Account: str = ""
    Destination: str = ""
    TimeStart: str = ""
    TimeEnd: str = ""
    LoopIndex: Decimal = Decimal(0)
    DurationIndex: int = 0
    FallbackSubject: str = ""
    RatingInfos: Any = None
    Increments: Any = None
    ToR: str = ""
    ExtraFields: dict[str, str] | None = None
    MaxRate: Decimal = Decimal(0)
    MaxRateUnit: int = 0
    MaxCostSoFar: Decimal = Decimal(0)
    CgrID: str = ""
    RunID: str = ""
    ForceDuration: bool = False
    PerformRounding: bool = False
    DryRun: bool = False
    DenyNegativeAccount: bool = False
    APIKey: str | None = None
    RouteID: str | None = None


class GetCostOnRatingPlansArgs(msgspec.Struct, kw_only=True):
    """``Responder.GetCostOnRatingPlans`` (used by SupplierS least-cost sorting)."""

    Account: str = ""
    Subject: str = ""
    Destination: str = ""
    Tenant: str = ""
    SetupTime: str = ""
    Usage: int = 0
    RatingPlanIDs: list[str] = msgspec.field(default_factory=list)
    APIKey: str | None = None
    RouteID: str | None = None


class AttrGetCost(msgspec.Struct, kw_only=True):
    """``APIerSv1.GetCost``: AnswerTime any ParseTimeDetectLayout form, Usage a duration string."""

    Tenant: str = ""
    Category: str = ""
    Subject: str = ""
    AnswerTime: str = ""
    Destination: str = ""
    Usage: str = ""
    APIKey: str | None = None
    RouteID: str | None = None


class AttrGetDataCost(msgspec.Struct, kw_only=True):
    """``APIerSv1.GetDataCost``: Usage is a time.Duration (int units)."""

    Category: str = ""
    Tenant: str = ""
    Subject: str = ""
    AnswerTime: str = ""
    Usage: int = 0
    APIKey: str | None = None
    RouteID: str | None = None


class RatingPlanCostArg(msgspec.Struct, kw_only=True):
    """``RALsV1.GetRatingPlansCost``: all four fields are mandatory."""

    RatingPlanIDs: list[str] = msgspec.field(default_factory=list)
    Destination: str = ""
    SetupTime: str = ""
    Usage: str = ""
    APIKey: str | None = None
    RouteID: str | None = None


class RatingPlanCost(msgspec.Struct, kw_only=True):
    EventCost: Any = None
    RatingPlanID: str = ""
