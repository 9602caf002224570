"""Tariff-plan structures of the profile files (Filters, Attributes, Chargers, Resources,
Stats, Thresholds, Suppliers, DispatcherProfiles, DispatcherHosts), CGRateS v0.10
``utils.TP*Profile`` shapes, wire-named.

A profile is keyed by Tenant and ID; the reader merges every row of one key into one
profile. ``ActivationInterval`` is None when no row sets it. Durations (``UsageTTL``,
``TTL``, ``MinSleep``) and ``Limit`` stay strings, as CGRateS keeps them in its TP structs.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = [
    "MetricWithFilters",
    "TPActivationInterval",
    "TPAttribute",
    "TPAttributeProfile",
    "TPChargerProfile",
    "TPDispatcherHost",
    "TPDispatcherHostConn",
    "TPDispatcherHostProfile",
    "TPDispatcherProfile",
    "TPFilter",
    "TPFilterProfile",
    "TPResourceProfile",
    "TPStatProfile",
    "TPSupplier",
    "TPSupplierProfile",
    "TPThresholdProfile",
]

_ZERO = Decimal(0)


def _strs() -> list[str]:
    return []


class TPActivationInterval(msgspec.Struct, kw_only=True):
    """``ActivationTime;ExpiryTime`` of a profile row, as written."""

    ActivationTime: str = ""
    ExpiryTime: str = ""


class _Profile(msgspec.Struct, kw_only=True):
    TPid: str = ""
    Tenant: str = ""
    ID: str = ""

    @property
    def tenant_id(self) -> str:
        """``<tenant>:<id>``, the key CGRateS indexes profiles by."""
        return f"{self.Tenant}:{self.ID}"


class TPFilter(msgspec.Struct, kw_only=True):
    """One filter rule: one row of Filters.csv past the key columns."""

    Type: str = ""
    Element: str = ""
    Values: list[str] = msgspec.field(default_factory=_strs)


class TPFilterProfile(_Profile, kw_only=True):
    """Filters.csv: ``#Tenant,ID,Type,Element,Values,ActivationInterval``."""

    Filters: list[TPFilter] = msgspec.field(default_factory=list)
    ActivationInterval: TPActivationInterval | None = None


class TPAttribute(msgspec.Struct, kw_only=True):
    """One attribute substitution (a row of Attributes.csv with a Path)."""

    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    Path: str = ""
    Type: str = ""
    Value: str = ""


class TPAttributeProfile(_Profile, kw_only=True):
    """Attributes.csv: ``#Tenant,ID,Contexts,FilterIDs,ActivationInterval,
    AttributeFilterIDs,Path,Type,Value,Blocker,Weight``."""

    Contexts: list[str] = msgspec.field(default_factory=_strs)
    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    Attributes: list[TPAttribute] = msgspec.field(default_factory=list)
    Blocker: bool = False
    Weight: Decimal = _ZERO


class TPChargerProfile(_Profile, kw_only=True):
    """Chargers.csv: ``#Tenant,ID,FilterIDs,ActivationInterval,RunID,AttributeIDs,Weight``."""

    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    RunID: str = ""
    AttributeIDs: list[str] = msgspec.field(default_factory=_strs)
    Weight: Decimal = _ZERO


class TPResourceProfile(_Profile, kw_only=True):
    """Resources.csv: ``#Tenant,ID,FilterIDs,ActivationInterval,UsageTTL,Limit,
    AllocationMessage,Blocker,Stored,Weight,ThresholdIDs``."""

    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    UsageTTL: str = ""
    Limit: str = ""
    AllocationMessage: str = ""
    Blocker: bool = False
    Stored: bool = False
    Weight: Decimal = _ZERO
    ThresholdIDs: list[str] = msgspec.field(default_factory=_strs)


class MetricWithFilters(msgspec.Struct, kw_only=True):
    """One stat metric (``*acd``, ``*sum:~*req.Usage``) and the filters of its rows."""

    MetricID: str = ""
    FilterIDs: list[str] = msgspec.field(default_factory=_strs)


class TPStatProfile(_Profile, kw_only=True):
    """Stats.csv: ``#Tenant,ID,FilterIDs,ActivationInterval,QueueLength,TTL,MinItems,
    MetricIDs,MetricFilterIDs,Stored,Blocker,Weight,ThresholdIDs``."""

    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    QueueLength: int = 0
    TTL: str = ""
    Metrics: list[MetricWithFilters] = msgspec.field(default_factory=list)
    Blocker: bool = False
    Stored: bool = False
    Weight: Decimal = _ZERO
    MinItems: int = 0
    ThresholdIDs: list[str] = msgspec.field(default_factory=_strs)


class TPThresholdProfile(_Profile, kw_only=True):
    """Thresholds.csv: ``#Tenant,ID,FilterIDs,ActivationInterval,MaxHits,MinHits,MinSleep,
    Blocker,Weight,ActionIDs,Async``."""

    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    MaxHits: int = 0
    MinHits: int = 0
    MinSleep: str = ""
    Blocker: bool = False
    Weight: Decimal = _ZERO
    ActionIDs: list[str] = msgspec.field(default_factory=_strs)
    Async: bool = False


class TPSupplier(msgspec.Struct, kw_only=True):
    """One supplier of a profile; rows naming the same SupplierID merge into it."""

    ID: str = ""
    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    AccountIDs: list[str] = msgspec.field(default_factory=_strs)
    RatingPlanIDs: list[str] = msgspec.field(default_factory=_strs)
    ResourceIDs: list[str] = msgspec.field(default_factory=_strs)
    StatIDs: list[str] = msgspec.field(default_factory=_strs)
    Weight: Decimal = _ZERO
    Blocker: bool = False
    SupplierParameters: str = ""


class TPSupplierProfile(_Profile, kw_only=True):
    """Suppliers.csv: ``#Tenant,ID,FilterIDs,ActivationInterval,Sorting,SortingParameters,
    SupplierID,SupplierFilterIDs,SupplierAccountIDs,SupplierRatingPlanIDs,
    SupplierResourceIDs,SupplierStatIDs,SupplierWeight,SupplierBlocker,SupplierParameters,
    Weight``."""

    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    Sorting: str = ""
    SortingParameters: list[str] = msgspec.field(default_factory=_strs)
    Suppliers: list[TPSupplier] = msgspec.field(default_factory=list)
    Weight: Decimal = _ZERO


class TPDispatcherHostProfile(msgspec.Struct, kw_only=True):
    """One host (ConnID) of a dispatcher profile."""

    ID: str = ""
    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    Weight: Decimal = _ZERO
    Params: list[str] = msgspec.field(default_factory=_strs)
    Blocker: bool = False


class TPDispatcherProfile(_Profile, kw_only=True):
    """DispatcherProfiles.csv: ``#Tenant,ID,Subsystems,FilterIDs,ActivationInterval,
    Strategy,StrategyParameters,ConnID,ConnFilterIDs,ConnWeight,ConnBlocker,
    ConnParameters,Weight``."""

    Subsystems: list[str] = msgspec.field(default_factory=_strs)
    FilterIDs: list[str] = msgspec.field(default_factory=_strs)
    ActivationInterval: TPActivationInterval | None = None
    Strategy: str = ""
    StrategyParams: list[str] = msgspec.field(default_factory=_strs)
    Weight: Decimal = _ZERO
    Hosts: list[TPDispatcherHostProfile] = msgspec.field(default_factory=list)


class TPDispatcherHostConn(msgspec.Struct, kw_only=True):
    """One connection of a dispatcher host; an empty Transport reads as ``*json``."""

    Address: str = ""
    Transport: str = ""
    TLS: bool = False


class TPDispatcherHost(_Profile, kw_only=True):
    """DispatcherHosts.csv: ``#Tenant,ID,Address,Transport,TLS``."""

    Conns: list[TPDispatcherHostConn] = msgspec.field(default_factory=list)
