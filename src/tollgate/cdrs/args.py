"""The wire arguments and replies of the CDRs methods (Go field names, embedded structs
flattened): ``engine.CDR`` as replied and as ProcessCDR's argument, ``ExternalCDR``, the
ProcessEvent/RateCDRs arguments, the CDR filters and the session cost arguments."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.cdrs.eventcost import EventCost

__all__ = [
    "ArgRateCDRs",
    "ArgV1ProcessEvent",
    "AttrCDRSStoreSMCost",
    "AttrGetCallCost",
    "AttrGetCdrs",
    "CDRArgs",
    "CDRReply",
    "ExternalCDR",
    "ExternalCDRArgs",
    "RPCCDRsFilter",
    "SMCost",
]

logger = logging.getLogger(__name__)


class CDRReply(msgspec.Struct, kw_only=True):
    """``engine.CDR`` as Go writes it."""

    CGRID: str
    RunID: str
    OrderID: int
    OriginHost: str
    Source: str
    OriginID: str
    ToR: str
    RequestType: str
    Tenant: str
    Category: str
    Account: str
    Subject: str
    Destination: str
    SetupTime: str
    AnswerTime: str
    Usage: int
    ExtraFields: dict[str, str] | None
    ExtraInfo: str
    Partial: bool
    PreRated: bool
    CostSource: str
    Cost: Decimal
    CostDetails: EventCost | None


class CDRArgs(msgspec.Struct, kw_only=True):
    """``engine.CDRWithArgDispatcher`` (CDRsV1.ProcessCDR): the CDR fields at top level."""

    CGRID: str = ""
    RunID: str = ""
    OrderID: int = 0
    OriginHost: str = ""
    Source: str = ""
    OriginID: str = ""
    ToR: str = ""
    RequestType: str = ""
    Tenant: str = ""
    Category: str = ""
    Account: str = ""
    Subject: str = ""
    Destination: str = ""
    SetupTime: str | None = None
    AnswerTime: str | None = None
    Usage: int = 0
    ExtraFields: dict[str, str] | None = None
    ExtraInfo: str = ""
    Partial: bool = False
    PreRated: bool = False
    CostSource: str = ""
    Cost: Decimal = Decimal(0)
    CostDetails: Any = None
    APIKey: str | None = None
    RouteID: str | None = None


class ExternalCDR(msgspec.Struct, kw_only=True):
    """``engine.ExternalCDR``: times and usage as strings, CostDetails as JSON text."""

    CGRID: str = ""
    RunID: str = ""
    OrderID: int = 0
    OriginHost: str = ""
    Source: str = ""
    OriginID: str = ""
    ToR: str = ""
    RequestType: str = ""
    Tenant: str = ""
    Category: str = ""
    Account: str = ""
    Subject: str = ""
    Destination: str = ""
    SetupTime: str = ""
    AnswerTime: str = ""
    Usage: str = ""
    ExtraFields: dict[str, str] | None = None
    CostSource: str = ""
    Cost: Decimal = Decimal(0)
    CostDetails: str = ""
    ExtraInfo: str = ""
    PreRated: bool = False


class ExternalCDRArgs(ExternalCDR, kw_only=True):
    """``ExternalCDRWithArgDispatcher``."""

    APIKey: str | None = None
    RouteID: str | None = None


class ArgV1ProcessEvent(msgspec.Struct, kw_only=True):
    """``engine.ArgV1ProcessEvent``: Flags and the CGREvent at top level."""

    Flags: list[str] | None = None
    Tenant: str = ""
    ID: str = ""
    Time: str | None = None
    Event: dict[str, Any] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class RPCCDRsFilter(msgspec.Struct, kw_only=True):
    """``utils.RPCCDRsFilterWithArgDispatcher``. OrderIDStart/End and MinCost/MaxCost go
    in ExtraArgs in v0.10; the older top-level spellings are read too."""

    CGRIDs: list[str] | None = None
    NotCGRIDs: list[str] | None = None
    RunIDs: list[str] | None = None
    NotRunIDs: list[str] | None = None
    OriginIDs: list[str] | None = None
    NotOriginIDs: list[str] | None = None
    OriginHosts: list[str] | None = None
    NotOriginHosts: list[str] | None = None
    Sources: list[str] | None = None
    NotSources: list[str] | None = None
    ToRs: list[str] | None = None
    NotToRs: list[str] | None = None
    RequestTypes: list[str] | None = None
    NotRequestTypes: list[str] | None = None
    Tenants: list[str] | None = None
    NotTenants: list[str] | None = None
    Categories: list[str] | None = None
    NotCategories: list[str] | None = None
    Accounts: list[str] | None = None
    NotAccounts: list[str] | None = None
    Subjects: list[str] | None = None
    NotSubjects: list[str] | None = None
    DestinationPrefixes: list[str] | None = None
    NotDestinationPrefixes: list[str] | None = None
    Costs: list[Decimal] | None = None
    NotCosts: list[Decimal] | None = None
    ExtraFields: dict[str, str] | None = None
    NotExtraFields: dict[str, str] | None = None
    SetupTimeStart: str = ""
    SetupTimeEnd: str = ""
    AnswerTimeStart: str = ""
    AnswerTimeEnd: str = ""
    CreatedAtStart: str = ""
    CreatedAtEnd: str = ""
    UpdatedAtStart: str = ""
    UpdatedAtEnd: str = ""
    MinUsage: str = ""
    MaxUsage: str = ""
    OrderBy: str = ""
    ExtraArgs: dict[str, Any] | None = None
    OrderIDStart: int | None = None
    OrderIDEnd: int | None = None
    MinCost: Decimal | None = None
    MaxCost: Decimal | None = None
    Limit: int | None = None
    Offset: int | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class ArgRateCDRs(RPCCDRsFilter, kw_only=True):
    """``engine.ArgRateCDRs``: processing Flags over a CDR filter."""

    Flags: list[str] | None = None
    Tenant: str = ""


class AttrGetCdrs(msgspec.Struct, kw_only=True):
    """``utils.AttrGetCdrs`` (APIerSv1.GetCDRs): the older filter names."""

    CgrIds: list[str] | None = None
    MediationRunIds: list[str] | None = None
    TORs: list[str] | None = None
    CdrHosts: list[str] | None = None
    CdrSources: list[str] | None = None
    ReqTypes: list[str] | None = None
    Tenants: list[str] | None = None
    Categories: list[str] | None = None
    Accounts: list[str] | None = None
    Subjects: list[str] | None = None
    DestinationPrefixes: list[str] | None = None
    OrderIdStart: int | None = None
    OrderIdEnd: int | None = None
    TimeStart: str = ""
    TimeEnd: str = ""
    SkipErrors: bool = False
    SkipRated: bool = False
    OrderBy: str = ""
    Limit: int | None = None
    Offset: int | None = None


class SMCost(msgspec.Struct, kw_only=True):
    """``engine.SMCost`` / ``V2SMCost``: a session run's charges (Usage in ns)."""

    CGRID: str = ""
    RunID: str = ""
    OriginHost: str = ""
    OriginID: str = ""
    CostSource: str = ""
    Usage: int = 0
    CostDetails: Any = None


class AttrCDRSStoreSMCost(msgspec.Struct, kw_only=True):
    """``engine.AttrCDRSStoreSMCost`` / ``ArgsV2CDRSStoreSMCost``."""

    Cost: SMCost | None = None
    CheckDuplicate: bool = False
    Tenant: str = ""
    APIKey: str | None = None
    RouteID: str | None = None


class AttrGetCallCost(msgspec.Struct, kw_only=True):
    """``utils.AttrGetCallCost`` (APIerSv1.GetEventCost)."""

    CgrId: str = ""
    RunId: str = ""
