"""Filter profiles and the arguments of the filter APIs, in CGRateS v0.10's wire shapes.

A FilterProfile is stored in the DataDB's ``*filters`` partition as the tariff plan's
:class:`~tollgate.tariffplans.TPFilterProfile` (times as written); the API speaks
``engine.Filter`` (``Rules``, an ``ActivationInterval`` of RFC 3339 times).
"""

from __future__ import annotations

from typing import Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.core.times import ZERO_NS, GoTime, format_rfc3339, parse_time_detect_layout

__all__ = [
    "ActivationInterval",
    "ArgsComputeFilterIndexIDs",
    "ArgsComputeFilterIndexes",
    "AttrGetFilterIndexes",
    "AttrRemFilterIndexes",
    "Filter",
    "FilterRule",
    "FilterWithCache",
    "TenantIDArg",
    "TenantIDWithCache",
    "activation_window",
    "filter_from_tp",
    "tp_from_filter",
]


class _Routed(msgspec.Struct, kw_only=True):
    """Fields every v0.10 API argument may carry; ignored here."""

    APIKey: str | None = None
    RouteID: str | None = None


class FilterRule(msgspec.Struct, kw_only=True):
    """``engine.FilterRule``."""

    Type: str = ""
    Element: str = ""
    Values: list[str] | None = None


class ActivationInterval(msgspec.Struct, kw_only=True):
    """``utils.ActivationInterval``; times as RFC 3339 text, Go's zero time when unset."""

    ActivationTime: str = "0001-01-01T00:00:00Z"
    ExpiryTime: str = "0001-01-01T00:00:00Z"


class Filter(msgspec.Struct, kw_only=True):
    """``engine.Filter``: the reply of APIerSv1.GetFilter."""

    Tenant: str = ""
    ID: str = ""
    Rules: list[FilterRule] | None = None
    ActivationInterval: ActivationInterval | None = None


class FilterWithCache(Filter, kw_only=True):
    """APIerSv1.SetFilter: the filter and the ``Cache`` option."""

    APIKey: str | None = None
    RouteID: str | None = None
    Cache: str | None = None
    Opts: dict[str, Any] | None = None


class TenantIDArg(_Routed, kw_only=True):
    """``utils.TenantID``."""

    Tenant: str = ""
    ID: str = ""


class TenantIDWithCache(TenantIDArg, kw_only=True):
    """``utils.TenantIDWithCache``."""

    Cache: str | None = None
    Opts: dict[str, Any] | None = None


class AttrGetFilterIndexes(_Routed, kw_only=True):
    """APIerSv1.GetFilterIndexes."""

    Tenant: str = ""
    Context: str = ""
    ItemType: str = ""
    FilterType: str = ""
    FilterField: str = ""
    FilterValue: str = ""
    Limit: int | None = None
    Offset: int | None = None


class AttrRemFilterIndexes(_Routed, kw_only=True):
    """APIerSv1.RemoveFilterIndexes."""

    Tenant: str = ""
    Context: str = ""
    ItemType: str = ""


class ArgsComputeFilterIndexes(_Routed, kw_only=True):
    """APIerSv1.ComputeFilterIndexes: which subsystems to index again."""

    Tenant: str = ""
    Context: str = ""
    AttributeS: bool = False
    ResourceS: bool = False
    StatS: bool = False
    SupplierS: bool = False
    ThresholdS: bool = False
    ChargerS: bool = False
    DispatcherS: bool = False


class ArgsComputeFilterIndexIDs(_Routed, kw_only=True):
    """APIerSv1.ComputeFilterIndexIDs: which profiles to index again."""

    Tenant: str = ""
    Context: str = ""
    AttributeIDs: list[str] | None = None
    ResourceIDs: list[str] | None = None
    StatIDs: list[str] | None = None
    SupplierIDs: list[str] | None = None
    ThresholdIDs: list[str] | None = None
    ChargerIDs: list[str] | None = None
    DispatcherIDs: list[str] | None = None


# -- TP <-> wire -----------------------------------------------------------------------------


def _time(text: str, timezone: str) -> GoTime:
    return parse_time_detect_layout(text, timezone)


def activation_window(
    interval: tp.TPActivationInterval | None, timezone: str
) -> tuple[int, int] | None:
    """(activation, expiry) ns of a TP interval, 0 for an unset end; None when no interval.

    Raises ValueError for a time CGRateS cannot parse.
    """
    if interval is None:
        return None
    start = _time(interval.ActivationTime, timezone).ns if interval.ActivationTime else ZERO_NS
    end = _time(interval.ExpiryTime, timezone).ns if interval.ExpiryTime else ZERO_NS
    return start, end


def _wire_time(text: str, timezone: str) -> str:
    if not text:
        return "0001-01-01T00:00:00Z"
    value = _time(text, timezone)
    return format_rfc3339(value.ns, value.tz)


def filter_from_tp(item: tp.TPFilterProfile, timezone: str) -> Filter:
    """The stored profile as ``engine.Filter`` (APItoFilter)."""
    interval = None
    if item.ActivationInterval is not None:
        interval = ActivationInterval(
            ActivationTime=_wire_time(item.ActivationInterval.ActivationTime, timezone),
            ExpiryTime=_wire_time(item.ActivationInterval.ExpiryTime, timezone),
        )
    return Filter(
        Tenant=item.Tenant,
        ID=item.ID,
        Rules=[
            FilterRule(Type=rule.Type, Element=rule.Element, Values=list(rule.Values))
            for rule in item.Filters
        ],
        ActivationInterval=interval,
    )


def _tp_time(text: str) -> str:
    """A wire time kept for the TP struct: Go's zero time becomes "" (unset)."""
    value = parse_time_detect_layout(text, "UTC") if text else None
    if value is None or value.is_zero:
        return ""
    return format_rfc3339(value.ns, value.tz)


def tp_from_filter(item: Filter) -> tp.TPFilterProfile:
    """An API filter as the stored TP struct; raises ValueError for a bad time."""
    interval = None
    if item.ActivationInterval is not None:
        interval = tp.TPActivationInterval(
            ActivationTime=_tp_time(item.ActivationInterval.ActivationTime),
            ExpiryTime=_tp_time(item.ActivationInterval.ExpiryTime),
        )
    return tp.TPFilterProfile(
        Tenant=item.Tenant,
        ID=item.ID,
        Filters=[
            tp.TPFilter(Type=rule.Type, Element=rule.Element, Values=list(rule.Values or ()))
            for rule in item.Rules or ()
        ],
        ActivationInterval=interval,
    )
