"""ChargerS wire shapes (CGRateS v0.10 ``engine.ChargerProfile``, ``ChrgSProcessEventReply``,
``utils.CGREventWithArgDispatcher``) and the conversions to and from the stored tariff-plan
form (:class:`~tollgate.tariffplans.TPChargerProfile` in ``*charger_profiles``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.attributes.models import (
    ActivationInterval,
    CGREvent,
    interval_from_tp,
    tp_interval,
    wire_weight,
)

__all__ = [
    "CGREventArgs",
    "ChargerProfile",
    "ChargerWithCache",
    "ChrgSProcessEventReply",
    "profile_from_tp",
    "tp_from_profile",
]


class ChargerProfile(msgspec.Struct, kw_only=True):
    """``engine.ChargerProfile``."""

    Tenant: str = ""
    ID: str = ""
    FilterIDs: list[str] | None = None
    ActivationInterval: ActivationInterval | None = None
    RunID: str = ""
    AttributeIDs: list[str] | None = None
    Weight: Decimal = Decimal(0)


class ChargerWithCache(ChargerProfile, kw_only=True):
    """APIerSv1.SetChargerProfile: the profile and the ``Cache`` option."""

    Cache: str | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class CGREventArgs(msgspec.Struct, kw_only=True):
    """``utils.CGREventWithArgDispatcher``: the CGREvent and ArgDispatcher, flat."""

    Tenant: str = ""
    ID: str = ""
    Time: str | None = None
    Event: dict[str, Any] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class ChrgSProcessEventReply(msgspec.Struct, kw_only=True):
    """``engine.ChrgSProcessEventReply``: one fork of the event."""

    ChargerSProfile: str
    AttributeSProfiles: list[str] | None
    AlteredFields: list[str]
    CGREvent: CGREvent


def profile_from_tp(item: tp.TPChargerProfile, timezone: str) -> ChargerProfile:
    """The stored profile as ``engine.ChargerProfile``; ValueError for a bad time."""
    return ChargerProfile(
        Tenant=item.Tenant,
        ID=item.ID,
        FilterIDs=list(item.FilterIDs),
        ActivationInterval=interval_from_tp(item.ActivationInterval, timezone),
        RunID=item.RunID,
        AttributeIDs=list(item.AttributeIDs),
        Weight=wire_weight(item.Weight),
    )


def tp_from_profile(profile: ChargerProfile) -> tp.TPChargerProfile:
    """An API profile as stored; ValueError for a time that is not RFC 3339."""
    return tp.TPChargerProfile(
        Tenant=profile.Tenant,
        ID=profile.ID,
        FilterIDs=list(profile.FilterIDs or ()),
        ActivationInterval=tp_interval(profile.ActivationInterval),
        RunID=profile.RunID,
        AttributeIDs=list(profile.AttributeIDs or ()),
        Weight=profile.Weight,
    )
