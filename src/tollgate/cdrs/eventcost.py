"""A CDR's ``CostDetails``: CGRateS's ``EventCost``, built from the CallCost RALs answered.

:func:`event_cost_from_call_cost` is v0.10's ``NewEventCostFromCallCost`` on the wire
CallCost (what ``Responder.Debit``/``GetCost`` reply, in-process or over JSON): one charging
interval per timespan, the ratings, rates, timings and matched filters deduplicated under
short ids, and every increment that a balance paid pointing at an ``Accounting`` entry
(balance UUID, units, the extra monetary charge of a unit balance). :func:`refund_descriptor`
is ``EventCost.AsRefundIncrements``: what ``Responder.RefundIncrements`` needs to give
the charges back (balance types looked up in the AccountSummary, as v0.10 does).

The structs decode leniently (every field optional) since a CostDetails may come from a
client, a stored JSON text or a peer engine.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import msgspec

from tollgate.core.errors import TollgateError
from tollgate.core.times import ZERO_NS, format_rfc3339, parse_rfc3339
from tollgate.core.wire import decode_any
from tollgate.rating import CallCostReply, money, round_money
from tollgate.rating.replies import WireDebitInfo, WireIncrement, WireRateInterval

__all__ = [
    "AccountSummary",
    "BalanceCharge",
    "BalanceSummary",
    "ChargedTiming",
    "ChargingIncrement",
    "ChargingInterval",
    "EventCost",
    "RGRate",
    "RatingUnit",
    "compute",
    "event_cost_from_call_cost",
    "parse_call_cost",
    "parse_event_cost",
    "refund_descriptor",
]

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)
_MIDDLE: Final = "*middle"
META_NONE: Final = "*none"
META_ROUNDING: Final = "*rounding"
META_MONETARY: Final = "*monetary"
# v0.10's utils.NonMonetaryBalances
NON_MONETARY: Final = frozenset({"*voice", "*sms", "*data", "*generic"})
ZERO_TIME: Final = format_rfc3339(ZERO_NS)


class ChargingIncrement(msgspec.Struct, kw_only=True):
    Usage: int = 0
    Cost: Decimal = _ZERO
    AccountingID: str = ""
    CompressFactor: int = 0


class ChargingInterval(msgspec.Struct, kw_only=True):
    RatingID: str = ""
    Increments: list[ChargingIncrement] | None = None
    CompressFactor: int = 0


class RatingUnit(msgspec.Struct, kw_only=True):
    ConnectFee: Decimal = _ZERO
    RoundingMethod: str = ""
    RoundingDecimals: int = 0
    MaxCost: Decimal = _ZERO
    MaxCostStrategy: str = ""
    TimingID: str = ""
    RatesID: str = ""
    RatingFiltersID: str = ""


class BalanceCharge(msgspec.Struct, kw_only=True):
    AccountID: str = ""
    BalanceUUID: str = ""
    RatingID: str = ""
    Units: Decimal = _ZERO
    ExtraChargeID: str = ""


class RGRate(msgspec.Struct, kw_only=True):
    GroupIntervalStart: int = 0
    Value: Decimal = _ZERO
    RateIncrement: int = 0
    RateUnit: int = 0


class ChargedTiming(msgspec.Struct, kw_only=True):
    Years: list[int] | None = None
    Months: list[int] | None = None
    MonthDays: list[int] | None = None
    WeekDays: list[int] | None = None
    StartTime: str = ""


class BalanceSummary(msgspec.Struct, kw_only=True):
    UUID: str = ""
    ID: str = ""
    Type: str = ""
    Value: Decimal = _ZERO
    Disabled: bool = False


class AccountSummary(msgspec.Struct, kw_only=True):
    Tenant: str = ""
    ID: str = ""
    BalanceSummaries: list[BalanceSummary] | None = None
    AllowNegative: bool = False
    Disabled: bool = False


class EventCost(msgspec.Struct, kw_only=True):
    """``engine.EventCost``, fields in Go's order."""

    CGRID: str = ""
    RunID: str = ""
    StartTime: str = ZERO_TIME
    Usage: int | None = None
    Cost: Decimal | None = None
    Charges: list[ChargingInterval] | None = None
    AccountSummary: AccountSummary | None = None
    Rating: dict[str, RatingUnit] | None = None
    Accounting: dict[str, BalanceCharge] | None = None
    RatingFilters: dict[str, dict[str, Any]] | None = None
    Rates: dict[str, list[RGRate]] | None = None
    Timings: dict[str, ChargedTiming] | None = None


_json = msgspec.json.Encoder(decimal_format="number")


def parse_event_cost(value: Any) -> EventCost | None:
    """``IfaceAsEventCost``: an EventCost, its JSON text or its map; None for null/empty."""
    if value is None or isinstance(value, EventCost):
        return value
    try:
        if isinstance(value, str | bytes):
            if not value or value in ("null", b"null"):
                return None
            value = decode_any(value)
            if value is None:
                return None
        elif isinstance(value, msgspec.Struct):
            value = msgspec.to_builtins(value, builtin_types=(Decimal,))
        return msgspec.convert(value, EventCost, strict=False)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise TollgateError(f"cannot convert field: {value!r} to *EventCost: {exc}") from None


def dump(ec: EventCost | None) -> str:
    """The EventCost as JSON text (``null`` for none), as the StorDB keeps it."""
    return _json.encode(ec).decode()


def compute(ec: EventCost, decimals: int) -> EventCost:
    """``EventCost.Compute``: Usage and Cost from the charges (each interval rounded
    *middle, then the total)."""
    usage = 0
    cost = _ZERO
    for ci in ec.Charges or ():
        units, total = 0, _ZERO
        for inc in ci.Increments or ():
            units += inc.Usage * inc.CompressFactor
            total += inc.Cost * inc.CompressFactor
        usage += units * ci.CompressFactor
        interval = round_money(total, decimals, _MIDDLE) * ci.CompressFactor
        cost += round_money(interval, decimals, _MIDDLE)
    ec.Usage = usage
    ec.Cost = money(round_money(cost, decimals, _MIDDLE))
    return ec


def parse_call_cost(reply: Any) -> CallCostReply:
    """A Responder CallCost (the Struct in-process, a map from a peer)."""
    if isinstance(reply, CallCostReply):
        return reply
    try:
        return msgspec.convert(reply, CallCostReply, strict=False)
    except msgspec.ValidationError as exc:
        raise TollgateError(f"CallCost not understood: {exc}") from None


class _Builder:
    """Fills the id-keyed maps of one EventCost; equal entries share one id."""

    def __init__(self, ec: EventCost, seed: str) -> None:
        self.ec = ec
        self.seed = seed
        self.count = 0
        self.seen: dict[tuple[str, bytes], str] = {}
        ec.Rating, ec.Accounting, ec.RatingFilters, ec.Rates, ec.Timings = {}, {}, {}, {}, {}

    def _new_id(self) -> str:
        # CGRateS uses random 7-hex ids (UUIDSha1Prefix); ours come from the EventCost's
        # own identity so equal requests produce equal documents
        self.count += 1
        digest = hashlib.sha1(f"{self.seed}/{self.count}".encode(), usedforsecurity=False)
        return digest.hexdigest()[:7]

    def _id_for(self, kind: str, table: dict[str, Any], value: Any) -> str:
        key = (kind, _json.encode(value))
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = self._new_id()
            table[found] = value
        return found

    def rating_id(self, ri: WireRateInterval | None, rf: dict[str, Any]) -> str:
        if ri is None:
            return ""
        ec = self.ec
        assert ec.RatingFilters is not None
        assert ec.Timings is not None
        assert ec.Rates is not None
        assert ec.Rating is not None
        rf_id = self._id_for("rf", ec.RatingFilters, rf)
        tm_id = ""
        if ri.Timing is not None:
            t = ri.Timing
            timing = ChargedTiming(
                Years=t.Years,
                Months=t.Months,
                MonthDays=t.MonthDays,
                WeekDays=t.WeekDays,
                StartTime=t.StartTime,
            )
            tm_id = self._id_for("tm", ec.Timings, timing)
        r = ri.Rating
        rt_id = ""
        if r.Rates:
            rates = [
                RGRate(
                    GroupIntervalStart=x.GroupIntervalStart,
                    Value=x.Value,
                    RateIncrement=x.RateIncrement,
                    RateUnit=x.RateUnit,
                )
                for x in r.Rates
            ]
            rt_id = self._id_for("rt", ec.Rates, rates)
        unit = RatingUnit(
            ConnectFee=r.ConnectFee,
            RoundingMethod=r.RoundingMethod,
            RoundingDecimals=r.RoundingDecimals,
            MaxCost=r.MaxCost,
            MaxCostStrategy=r.MaxCostStrategy,
            TimingID=tm_id,
            RatesID=rt_id,
            RatingFiltersID=rf_id,
        )
        return self._id_for("ru", ec.Rating, unit)

    def charge(self, bc: BalanceCharge) -> str:
        assert self.ec.Accounting is not None
        return self._id_for("bc", self.ec.Accounting, bc)

    def increment(self, inc: WireIncrement, rf: dict[str, Any], rounded: bool) -> ChargingIncrement:
        """``newChargingIncrement``: the increment, its balances in Accounting."""
        out = ChargingIncrement(
            Usage=inc.Duration, Cost=inc.Cost, CompressFactor=inc.CompressFactor
        )
        info: WireDebitInfo | None = inc.BalanceInfo
        if info is None:
            return out
        rate_id = META_ROUNDING
        if info.Unit is not None:
            extra = META_NONE  # a unit balance always names its extra charge
            if info.Monetary is not None:
                if not rounded:
                    rate_id = self.rating_id(info.Monetary.RateInterval, rf)
                extra = self.charge(
                    BalanceCharge(
                        AccountID=info.AccountID,
                        BalanceUUID=info.Monetary.UUID,
                        Units=inc.Cost,
                        RatingID=rate_id,
                    )
                )
            if not rounded:
                rate_id = self.rating_id(info.Unit.RateInterval, rf)
            out.AccountingID = self.charge(
                BalanceCharge(
                    AccountID=info.AccountID,
                    BalanceUUID=info.Unit.UUID,
                    Units=info.Unit.Consumed,
                    RatingID=rate_id,
                    ExtraChargeID=extra,
                )
            )
        elif info.Monetary is not None:
            if not rounded:
                rate_id = self.rating_id(info.Monetary.RateInterval, rf)
            out.AccountingID = self.charge(
                BalanceCharge(
                    AccountID=info.AccountID,
                    BalanceUUID=info.Monetary.UUID,
                    Units=inc.Cost,
                    RatingID=rate_id,
                )
            )
        return out


def event_cost_from_call_cost(reply: Any, cgrid: str, run_id: str, decimals: int) -> EventCost:
    """``NewEventCostFromCallCost`` followed by ``Compute``."""
    cc = parse_call_cost(reply)
    ec = EventCost(CGRID=cgrid, RunID=run_id)
    if cc.AccountSummary is not None:
        summary = cc.AccountSummary
        if isinstance(summary, msgspec.Struct):
            summary = msgspec.to_builtins(summary, builtin_types=(Decimal,))
        ec.AccountSummary = msgspec.convert(summary, AccountSummary, strict=False)
    spans = cc.Timespans or []
    if spans:
        ec.StartTime = spans[0].TimeStart
    builder = _Builder(ec, f"{cgrid}/{run_id}/{ec.StartTime}/{cc.Destination}/{cc.Cost}")
    charges: list[ChargingInterval] = []
    for ts in spans:
        rf = {
            "DestinationID": ts.MatchedDestId,
            "DestinationPrefix": ts.MatchedPrefix,
            "RatingPlanID": ts.RatingPlanId,
            "Subject": ts.MatchedSubject,
        }
        interval = ChargingInterval(
            RatingID=builder.rating_id(ts.RateInterval, rf), CompressFactor=ts.CompressFactor
        )
        increments = [builder.increment(inc, rf, rounded=False) for inc in ts.Increments or ()]
        if ts.RoundIncrement is not None:
            rounding = builder.increment(ts.RoundIncrement, rf, rounded=True)
            rounding.Cost = -rounding.Cost
            increments.append(rounding)
        interval.Increments = increments or None
        charges.append(interval)
    ec.Charges = charges or None
    return compute(ec, decimals)


def _summary(ec: EventCost, uuid: str) -> BalanceSummary:
    if ec.AccountSummary is not None:
        for b in ec.AccountSummary.BalanceSummaries or ():
            if uuid == b.UUID:
                return b
    return BalanceSummary()


def _balance_info(ec: EventCost, accounting_id: str) -> dict[str, Any]:
    accounting: Mapping[str, BalanceCharge] = ec.Accounting or {}
    bc = accounting.get(accounting_id, BalanceCharge())
    info: dict[str, Any] = {"Unit": None, "Monetary": None, "AccountID": bc.AccountID}
    main = _summary(ec, bc.BalanceUUID)
    if main.Type == META_MONETARY:
        info["Monetary"] = {"UUID": main.UUID}
    elif main.Type in NON_MONETARY:
        info["Unit"] = {"UUID": main.UUID}
    if bc.ExtraChargeID in ("", META_NONE):
        return info
    extra = _summary(ec, accounting.get(bc.ExtraChargeID, BalanceCharge()).BalanceUUID)
    if extra.Type == META_MONETARY:
        info["Monetary"] = {"UUID": extra.UUID}
    elif main.Type in NON_MONETARY:  # v0.10 tests the main balance's type here
        info["Unit"] = {"UUID": extra.UUID}
    return info


def refund_descriptor(ec: EventCost, tor: str, decimals: int) -> dict[str, Any]:
    """``EventCost.AsRefundIncrements``: the Responder.RefundIncrements arguments (each
    charging interval's increments repeated CompressFactor times)."""
    if ec.Usage is None:
        compute(ec, decimals)
    usage = ec.Usage or 0
    try:
        start = parse_rfc3339(ec.StartTime)
    except ValueError:
        start = parse_rfc3339(ZERO_TIME)
    increments: list[dict[str, Any]] = []
    for ci in ec.Charges or ():
        for _ in range(ci.CompressFactor):
            for inc in ci.Increments or ():
                wire: dict[str, Any] = {
                    "Duration": inc.Usage,
                    "Cost": inc.Cost,
                    "CompressFactor": inc.CompressFactor,
                    "BalanceInfo": None,
                }
                if inc.AccountingID:
                    wire["BalanceInfo"] = _balance_info(ec, inc.AccountingID)
                increments.append(wire)
    return {
        "CgrID": ec.CGRID,
        "RunID": ec.RunID,
        "ToR": tor,
        "TimeStart": format_rfc3339(start.ns, start.tz),
        "TimeEnd": format_rfc3339(start.ns + usage, start.tz),
        "DurationIndex": usage,
        "Increments": increments,
    }
