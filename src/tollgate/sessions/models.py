"""SessionS wire shapes (CGRateS v0.10 ``sessions/sessions.go``, ``sessions/session.go``,
``utils.SessionFilter``): arguments with the CGREvent and ArgDispatcher embedded (flat),
replies with Go's field order; durations are int nanoseconds, the ``WithDigest`` and
SMGenericV1 replies carry seconds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tollgate.attributes import AttrSProcessEventReply

__all__ = [
    "ArgsReplicateSessions",
    "CGREventArgs",
    "ExternalSession",
    "SessionFilter",
    "SessionIDsArgs",
    "V1AuthorizeArgs",
    "V1AuthorizeReply",
    "V1AuthorizeReplyWithDigest",
    "V1InitReplyWithDigest",
    "V1InitSessionArgs",
    "V1InitSessionReply",
    "V1ProcessEventArgs",
    "V1ProcessEventReply",
    "V1ProcessMessageArgs",
    "V1ProcessMessageReply",
    "V1TerminateSessionArgs",
    "V1UpdateSessionArgs",
    "V1UpdateSessionReply",
]


class CGREventArgs(msgspec.Struct, kw_only=True):
    """``utils.CGREventWithArgDispatcher``: Tenant, ID, Time, Event and APIKey/RouteID."""

    Tenant: str = ""
    ID: str = ""
    Time: str | None = None
    Event: dict[str, Any] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class _SubsystemIDs(CGREventArgs, kw_only=True):
    AttributeIDs: list[str] | None = None
    ThresholdIDs: list[str] | None = None
    StatIDs: list[str] | None = None


class _SupplierOpts(_SubsystemIDs, kw_only=True):
    GetSuppliers: bool = False
    SuppliersMaxCost: str = ""
    SuppliersIgnoreErrors: bool = False
    Limit: int | None = None
    Offset: int | None = None
    # the 1.0-era spellings, accepted so newer clients work too
    GetRoutes: bool = False
    RoutesMaxCost: str = ""
    RoutesIgnoreErrors: bool = False

    @property
    def suppliers(self) -> bool:
        return self.GetSuppliers or self.GetRoutes

    @property
    def suppliers_max_cost(self) -> str:
        return self.SuppliersMaxCost or self.RoutesMaxCost

    @property
    def suppliers_ignore_errors(self) -> bool:
        return self.SuppliersIgnoreErrors or self.RoutesIgnoreErrors


class V1AuthorizeArgs(_SupplierOpts, kw_only=True):
    """``sessions.V1AuthorizeArgs``."""

    GetAttributes: bool = False
    AuthorizeResources: bool = False
    GetMaxUsage: bool = False
    ProcessThresholds: bool = False
    ProcessStats: bool = False
    ForceDuration: bool = False


class V1InitSessionArgs(_SubsystemIDs, kw_only=True):
    """``sessions.V1InitSessionArgs``."""

    GetAttributes: bool = False
    AllocateResources: bool = False
    InitSession: bool = False
    ForceDuration: bool = False
    ProcessThresholds: bool = False
    ProcessStats: bool = False


class V1UpdateSessionArgs(CGREventArgs, kw_only=True):
    """``sessions.V1UpdateSessionArgs``."""

    GetAttributes: bool = False
    UpdateSession: bool = False
    ForceDuration: bool = False
    AttributeIDs: list[str] | None = None


class V1TerminateSessionArgs(_SubsystemIDs, kw_only=True):
    """``sessions.V1TerminateSessionArgs``."""

    TerminateSession: bool = False
    ForceDuration: bool = False
    ReleaseResources: bool = False
    ProcessThresholds: bool = False
    ProcessStats: bool = False


class V1ProcessMessageArgs(_SupplierOpts, kw_only=True):
    """``sessions.V1ProcessMessageArgs``."""

    GetAttributes: bool = False
    AllocateResources: bool = False
    Debit: bool = False
    ForceDuration: bool = False
    ProcessThresholds: bool = False
    ProcessStats: bool = False


class V1ProcessEventArgs(CGREventArgs, kw_only=True):
    """``sessions.V1ProcessEventArgs``: what to do is said by ``Flags``."""

    Flags: list[str] | None = None
    Limit: int | None = None
    Offset: int | None = None


class SessionFilter(msgspec.Struct, kw_only=True):
    """``utils.SessionFilter``: ``Filters`` are filter IDs or inline filters."""

    Limit: int | None = None
    Filters: list[str] | None = None
    Tenant: str = ""
    APIKey: str | None = None
    RouteID: str | None = None


class SessionIDsArgs(msgspec.Struct, kw_only=True):
    """``utils.SessionIDsWithArgsDispatcher`` (Activate/DeactivateSessions)."""

    IDs: list[str] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class ArgsReplicateSessions(msgspec.Struct, kw_only=True):
    """``sessions.ArgsReplicateSessions``."""

    CGRID: str = ""
    Passive: bool = False
    ConnIDs: list[str] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


# -- replies ------------------------------------------------------------------------------


class V1AuthorizeReply(msgspec.Struct, kw_only=True):
    Attributes: AttrSProcessEventReply | None = None
    ResourceAllocation: str | None = None
    MaxUsage: int = 0
    Suppliers: Any = None
    ThresholdIDs: list[str] | None = None
    StatQueueIDs: list[str] | None = None


class V1AuthorizeReplyWithDigest(msgspec.Struct, kw_only=True):
    AttributesDigest: str | None = None
    ResourceAllocation: str | None = None
    MaxUsage: int | Decimal = 0  # seconds, as Go prints a float64
    SuppliersDigest: str | None = None
    Thresholds: str | None = None
    StatQueues: str | None = None


class V1InitSessionReply(msgspec.Struct, kw_only=True):
    Attributes: AttrSProcessEventReply | None = None
    ResourceAllocation: str | None = None
    MaxUsage: int = 0
    ThresholdIDs: list[str] | None = None
    StatQueueIDs: list[str] | None = None


class V1InitReplyWithDigest(msgspec.Struct, kw_only=True):
    AttributesDigest: str | None = None
    ResourceAllocation: str | None = None
    MaxUsage: int | Decimal = 0  # seconds
    Thresholds: str | None = None
    StatQueues: str | None = None


class V1UpdateSessionReply(msgspec.Struct, kw_only=True):
    Attributes: AttrSProcessEventReply | None = None
    MaxUsage: int = 0


class V1ProcessMessageReply(msgspec.Struct, kw_only=True):
    """The reply of ProcessMessage."""

    MaxUsage: int = 0
    ResourceAllocation: str | None = None
    Attributes: AttrSProcessEventReply | None = None
    Suppliers: Any = None
    ThresholdIDs: list[str] | None = None
    StatQueueIDs: list[str] | None = None


class V1ProcessEventReply(msgspec.Struct, kw_only=True):
    """The reply of ProcessEvent: ``Cost`` is what ``*cost`` asked RALs (null without
    it)."""

    MaxUsage: int = 0
    Cost: Decimal | None = None
    ResourceAllocation: str | None = None
    Attributes: AttrSProcessEventReply | None = None
    Suppliers: Any = None
    ThresholdIDs: list[str] | None = None
    StatQueueIDs: list[str] | None = None


class ExternalSession(msgspec.Struct, kw_only=True):
    """``sessions.ExternalSession``: one run of an active (or passive) session."""

    CGRID: str
    RunID: str
    ToR: str
    OriginID: str
    OriginHost: str
    Source: str
    RequestType: str
    Tenant: str
    Category: str
    Account: str
    Subject: str
    Destination: str
    SetupTime: str
    AnswerTime: str
    Usage: int
    ExtraFields: dict[str, str]
    NodeID: str
    LoopIndex: int
    DurationIndex: int
    MaxRate: int | Decimal
    MaxRateUnit: int
    MaxCostSoFar: int | Decimal
    DebitInterval: int
    NextAutoDebit: str
