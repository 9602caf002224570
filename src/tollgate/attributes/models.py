"""AttributeS wire shapes (CGRateS v0.10 ``engine.AttributeProfile``, ``AttrArgsProcessEvent``,
``AttrSProcessEventReply``, ``utils.CGREvent``) and the conversions to and from the stored
tariff-plan form.

A profile lives in the DataDB's ``*attribute_profiles`` partition as the loader writes it:
a :class:`~tollgate.tariffplans.TPAttributeProfile` whose attribute ``Value`` is the RSR
rules text (``~*req.Account;@;~*req.Tenant``). The API speaks ``engine.AttributeProfile``:
``Value`` is a list of ``{Rules, AllFiltersMatch}`` parsers and the activation interval has
RFC 3339 times. The two meet in :func:`profile_from_tp` and :func:`tp_from_profile`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.core.times import ZERO_NS, format_rfc3339, parse_rfc3339, parse_time_detect_layout
from tollgate.core.wire import go_number

__all__ = [
    "ZERO_TIME_TEXT",
    "ActivationInterval",
    "AttrArgsProcessEvent",
    "AttrSProcessEventReply",
    "Attribute",
    "AttributeProfile",
    "AttributeWithCache",
    "CGREvent",
    "ExternalAttribute",
    "ExternalAttributeProfile",
    "ExternalAttributeWithCache",
    "RSRParserWire",
    "TenantArg",
    "TenantArgWithPaginator",
    "TenantIDArg",
    "TenantIDWithCache",
    "interval_from_tp",
    "join_rules",
    "profile_from_tp",
    "split_rules",
    "tp_from_profile",
    "tp_interval",
    "wire_weight",
]

ZERO_TIME_TEXT = "0001-01-01T00:00:00Z"


class _Routed(msgspec.Struct, kw_only=True):
    """``utils.ArgDispatcher``, embedded in most v0.10 arguments; ignored here."""

    APIKey: str | None = None
    RouteID: str | None = None


class RSRParserWire(msgspec.Struct, kw_only=True):
    """``config.RSRParser`` as JSON: its rule text and the filter-matching policy."""

    Rules: str = ""
    AllFiltersMatch: bool = False


class ActivationInterval(msgspec.Struct, kw_only=True):
    """``utils.ActivationInterval``; RFC 3339 times, Go's zero time when unset."""

    ActivationTime: str = ZERO_TIME_TEXT
    ExpiryTime: str = ZERO_TIME_TEXT


class Attribute(msgspec.Struct, kw_only=True):
    """``engine.Attribute``."""

    FilterIDs: list[str] | None = None
    Path: str = ""
    Type: str = ""
    Value: list[RSRParserWire] | None = None


class AttributeProfile(msgspec.Struct, kw_only=True):
    """``engine.AttributeProfile``: the reply of GetAttributeProfile/GetAttributeForEvent."""

    Tenant: str = ""
    ID: str = ""
    Contexts: list[str] | None = None
    FilterIDs: list[str] | None = None
    ActivationInterval: ActivationInterval | None = None
    Attributes: list[Attribute] | None = None
    Blocker: bool = False
    Weight: Decimal = Decimal(0)


class AttributeWithCache(AttributeProfile, kw_only=True):
    """APIerSv1.SetAttributeProfile: the profile, the ``Cache`` option, ArgDispatcher."""

    Cache: str | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class ExternalAttribute(msgspec.Struct, kw_only=True):
    """``engine.ExternalAttribute``: ``Value`` as rules text."""

    FilterIDs: list[str] | None = None
    Path: str = ""
    Type: str = ""
    Value: str = ""


class ExternalAttributeProfile(msgspec.Struct, kw_only=True):
    """``engine.ExternalAttributeProfile`` (APIerSv2.SetAttributeProfile)."""

    Tenant: str = ""
    ID: str = ""
    Contexts: list[str] | None = None
    FilterIDs: list[str] | None = None
    ActivationInterval: ActivationInterval | None = None
    Attributes: list[ExternalAttribute] | None = None
    Blocker: bool = False
    Weight: Decimal = Decimal(0)


class ExternalAttributeWithCache(ExternalAttributeProfile, kw_only=True):
    """APIerSv2.SetAttributeProfile's argument."""

    Cache: str | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class TenantIDArg(_Routed, kw_only=True):
    """``utils.TenantIDWithArgDispatcher``."""

    Tenant: str = ""
    ID: str = ""


class TenantIDWithCache(TenantIDArg, kw_only=True):
    """``utils.TenantIDWithCache``."""

    Cache: str | None = None


class TenantArg(_Routed, kw_only=True):
    """``utils.TenantArgWithArgDispatcher``."""

    Tenant: str = ""


class TenantArgWithPaginator(TenantArg, kw_only=True):
    """``utils.TenantArgWithPaginator``."""

    Limit: int | None = None
    Offset: int | None = None


class CGREvent(msgspec.Struct, kw_only=True):
    """``utils.CGREvent``: ``Time`` as RFC 3339 text (null when not given)."""

    Tenant: str = ""
    ID: str = ""
    Time: str | None = None
    Event: dict[str, Any] | None = None


class AttrArgsProcessEvent(_Routed, kw_only=True):
    """``engine.AttrArgsProcessEvent``: the CGREvent and ArgDispatcher are embedded (flat)."""

    AttributeIDs: list[str] | None = None
    Context: str | None = None
    ProcessRuns: int | None = None
    Tenant: str = ""
    ID: str = ""
    Time: str | None = None
    Event: dict[str, Any] | None = None


class AttrSProcessEventReply(msgspec.Struct, kw_only=True):
    """``engine.AttrSProcessEventReply``; ``AlteredFields`` is null when nothing changed
    (Go's nil slice)."""

    MatchedProfiles: list[str]
    AlteredFields: list[str] | None
    CGREvent: CGREvent


# -- conversions --------------------------------------------------------------------------


def wire_weight(value: Decimal) -> Decimal:
    """A weight as Go prints its float64 (``20``, not ``20.0``)."""
    return go_number(str(value))


def _wire_time(text: str, timezone: str) -> str:
    if not text:
        return ZERO_TIME_TEXT
    value = parse_time_detect_layout(text, timezone)
    return format_rfc3339(value.ns, value.tz)


def interval_from_tp(
    interval: tp.TPActivationInterval | None, timezone: str
) -> ActivationInterval | None:
    """A stored interval on the wire (APItoAttributeProfile); ValueError on a bad time."""
    if interval is None:
        return None
    return ActivationInterval(
        ActivationTime=_wire_time(interval.ActivationTime, timezone),
        ExpiryTime=_wire_time(interval.ExpiryTime, timezone),
    )


def _tp_time(text: str) -> str:
    """A wire time kept in the TP struct: Go's zero time becomes "" (unset)."""
    if not text:
        return ""
    value = parse_rfc3339(text)
    return "" if value.ns == ZERO_NS else format_rfc3339(value.ns, value.tz)


def tp_interval(interval: ActivationInterval | None) -> tp.TPActivationInterval | None:
    """A wire interval as stored; raises ValueError for a time that is not RFC 3339."""
    if interval is None:
        return None
    return tp.TPActivationInterval(
        ActivationTime=_tp_time(interval.ActivationTime),
        ExpiryTime=_tp_time(interval.ExpiryTime),
    )


_QUOTE = "`"


def split_rules(text: str, sep: str = ";") -> list[str]:
    """The RSR rules of a stored ``Value``: ``sep``-separated; a rule that itself holds
    ``sep`` is kept between backquotes (how :func:`join_rules` stores it)."""
    if not text:
        return []
    if _QUOTE not in text:
        return text.split(sep)
    out: list[str] = []
    current: list[str] = []
    quoted = False
    for part in text.split(sep):
        if quoted:
            current.append(part)
            if part.endswith(_QUOTE):
                out.append(sep.join(current)[1:-1])
                current, quoted = [], False
        elif part.startswith(_QUOTE) and not (len(part) > 1 and part.endswith(_QUOTE)):
            current, quoted = [part], True
        elif len(part) > 1 and part.startswith(_QUOTE) and part.endswith(_QUOTE):
            out.append(part[1:-1])
        else:
            out.append(part)
    if quoted:  # an unbalanced quote: the text stays as written
        out.extend(current)
    return out


def join_rules(rules: list[str], sep: str = ";") -> str:
    """Wire parsers as one stored ``Value`` (v0.10's AttributeProfileToAPI joins with
    ``;``); a rule holding the separator (or a backquote at an end) is backquoted so it
    reads back whole."""
    return sep.join(
        f"{_QUOTE}{rule}{_QUOTE}"
        if sep in rule or rule.startswith(_QUOTE) or rule.endswith(_QUOTE)
        else rule
        for rule in rules
    )


def profile_from_tp(item: tp.TPAttributeProfile, timezone: str, sep: str) -> AttributeProfile:
    """The stored profile as ``engine.AttributeProfile``; ValueError for a bad time."""
    return AttributeProfile(
        Tenant=item.Tenant,
        ID=item.ID,
        Contexts=list(item.Contexts),
        FilterIDs=list(item.FilterIDs),
        ActivationInterval=interval_from_tp(item.ActivationInterval, timezone),
        Attributes=[
            Attribute(
                FilterIDs=list(attr.FilterIDs),
                Path=attr.Path,
                Type=attr.Type,
                Value=[
                    RSRParserWire(Rules=rule, AllFiltersMatch=True)
                    for rule in split_rules(attr.Value, sep)
                ],
            )
            for attr in item.Attributes
        ],
        Blocker=item.Blocker,
        Weight=wire_weight(item.Weight),
    )


def tp_from_profile(profile: AttributeProfile, sep: str) -> tp.TPAttributeProfile:
    """An API profile as stored; raises ValueError for a time that is not RFC 3339."""
    return tp.TPAttributeProfile(
        Tenant=profile.Tenant,
        ID=profile.ID,
        Contexts=list(profile.Contexts or ()),
        FilterIDs=list(profile.FilterIDs or ()),
        ActivationInterval=tp_interval(profile.ActivationInterval),
        Attributes=[
            tp.TPAttribute(
                FilterIDs=list(attr.FilterIDs or ()),
                Path=attr.Path,
                Type=attr.Type,
                Value=join_rules([parser.Rules for parser in attr.Value or ()], sep),
            )
            for attr in profile.Attributes or ()
        ],
        Blocker=profile.Blocker,
        Weight=profile.Weight,
    )
