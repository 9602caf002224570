"""Wire replies of rating: CallCost (Responder), EventCost (APIerSv1/RALsV1), DataCost.

Field names and order follow conformance README §5. Durations are int ns, times RFC 3339
(nanoseconds when present), money a Decimal printed as Go prints a float64. EventCost's
Rating/Accounting/RatingFilters/Rates/Timings keys are 7-hex ids like CGRateS's
``UUIDSha1Prefix``; ours are slices of a SHA-1 of the reply's start, destination and cost, so
equal requests give equal ids.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from tollgate.core.times import ZERO_NS, format_rfc3339
from tollgate.rating.engine import CallCost
from tollgate.rating.models import RateInterval, RIRate, RITiming
from tollgate.rating.rounding import Rounding, money, round_money
from tollgate.rating.timespans import (
    UNTIMED,
    DebitInfo,
    Increment,
    MonetaryInfo,
    TimeSpan,
    UnitInfo,
)

_ZERO = Decimal(0)
_MIDDLE = Rounding.MIDDLE  # bound once: an Enum attribute lookup costs ~50 ns per use

__all__ = [
    "CallCostReply",
    "ChargedTiming",
    "ChargingIncrement",
    "ChargingInterval",
    "DataCostReply",
    "EventCost",
    "RatingUnit",
    "WireRate",
    "WireTiming",
    "call_cost_reply",
    "data_cost_reply",
    "event_cost_from_call_cost",
    "wire_debit_info",
    "wire_rates",
    "wire_timing",
]


class WireRate(msgspec.Struct, kw_only=True):
    GroupIntervalStart: int
    Value: Decimal
    RateIncrement: int
    RateUnit: int


class WireTiming(msgspec.Struct, kw_only=True):
    Years: list[int]
    Months: list[int]
    MonthDays: list[int]
    WeekDays: list[int]
    StartTime: str
    EndTime: str


class WireRating(msgspec.Struct, kw_only=True):
    ConnectFee: Decimal
    RoundingMethod: str
    RoundingDecimals: int
    MaxCost: Decimal
    MaxCostStrategy: str
    Rates: list[WireRate]


class WireRateInterval(msgspec.Struct, kw_only=True):
    Timing: WireTiming | None
    Rating: WireRating
    Weight: Decimal


class WireUnitInfo(msgspec.Struct, kw_only=True):
    UUID: str
    ID: str
    Value: Decimal
    DestinationID: str
    Consumed: Decimal
    ToR: str
    RateInterval: WireRateInterval | None


class WireMonetaryInfo(msgspec.Struct, kw_only=True):
    UUID: str
    ID: str
    Value: Decimal
    RateInterval: WireRateInterval | None


class WireDebitInfo(msgspec.Struct, kw_only=True):
    Unit: WireUnitInfo | None = None
    Monetary: WireMonetaryInfo | None = None
    AccountID: str = ""


class WireIncrement(msgspec.Struct, kw_only=True):
    Duration: int
    Cost: Decimal
    CompressFactor: int
    BalanceInfo: WireDebitInfo | None


class WireTimeSpan(msgspec.Struct, kw_only=True):
    TimeStart: str
    TimeEnd: str
    Cost: Decimal
    DurationIndex: int
    CompressFactor: int
    MatchedSubject: str
    MatchedPrefix: str
    MatchedDestId: str
    RatingPlanId: str
    RateInterval: WireRateInterval | None
    Increments: list[WireIncrement] | None
    RoundIncrement: WireIncrement | None = None


class CallCostReply(msgspec.Struct, kw_only=True):
    Category: str
    Tenant: str
    Subject: str
    Account: str
    Destination: str
    ToR: str
    Cost: Decimal
    RatedUsage: int
    AccountSummary: Any = None
    Timespans: list[WireTimeSpan] | None = None


def wire_rates(rating: RIRate) -> list[WireRate]:
    """A rating's rate groups as CGRateS writes them (RGRate)."""
    return [
        WireRate(
            GroupIntervalStart=r.group_interval_start,
            Value=money(r.value),
            RateIncrement=r.rate_increment,
            RateUnit=r.rate_unit,
        )
        for r in rating.rates
    ]


def wire_timing(t: RITiming) -> WireTiming:
    """A timing as CGRateS writes it (RITiming)."""
    return WireTiming(
        Years=list(t.years),
        Months=list(t.months),
        MonthDays=list(t.month_days),
        WeekDays=list(t.week_days),
        StartTime=t.start_time,
        EndTime=t.end_time,
    )


def _interval(ri: RateInterval | None) -> WireRateInterval | None:
    if ri is None:
        return None
    r = ri.rating
    return WireRateInterval(
        Timing=None if ri.timing is UNTIMED else wire_timing(ri.timing),
        Rating=WireRating(
            ConnectFee=money(r.connect_fee),
            RoundingMethod=r.rounding_method,
            RoundingDecimals=r.rounding_decimals,
            MaxCost=money(r.max_cost),
            MaxCostStrategy=r.max_cost_strategy,
            Rates=wire_rates(r),
        ),
        Weight=money(ri.weight),
    )


def _unit_info(info: UnitInfo | None) -> WireUnitInfo | None:
    if info is None:
        return None
    return WireUnitInfo(
        UUID=info.uuid,
        ID=info.id,
        Value=money(info.value),
        DestinationID=info.destination_id,
        Consumed=money(info.consumed),
        ToR=info.tor,
        RateInterval=_interval(info.rate_interval),
    )


def _monetary_info(info: MonetaryInfo | None) -> WireMonetaryInfo | None:
    if info is None:
        return None
    return WireMonetaryInfo(
        UUID=info.uuid,
        ID=info.id,
        Value=money(info.value),
        RateInterval=_interval(info.rate_interval),
    )


def wire_debit_info(info: DebitInfo | None) -> WireDebitInfo | None:
    """An increment's BalanceInfo as CGRateS writes it (``engine.DebitInfo``)."""
    if info is None:
        return None
    if info.unit is None and info.monetary is None:  # only rated: the common case
        return WireDebitInfo(AccountID=info.account_id)
    return WireDebitInfo(
        Unit=_unit_info(info.unit),
        Monetary=_monetary_info(info.monetary),
        AccountID=info.account_id,
    )


def _increment(inc: Increment) -> WireIncrement:
    return WireIncrement(
        Duration=inc.duration,
        Cost=money(inc.cost),
        CompressFactor=inc.compress_factor,
        BalanceInfo=wire_debit_info(inc.balance_info),
    )


def _timespan(ts: TimeSpan) -> WireTimeSpan:
    return WireTimeSpan(
        TimeStart=format_rfc3339(ts.time_start, ts.tz),
        TimeEnd=format_rfc3339(ts.time_end, ts.tz),
        Cost=money(ts.cost),
        DurationIndex=ts.duration_index,
        CompressFactor=ts.compress_factor,
        MatchedSubject=ts.matched_subject,
        MatchedPrefix=ts.matched_prefix,
        MatchedDestId=ts.matched_dest_id,
        RatingPlanId=ts.rating_plan_id,
        RateInterval=_interval(ts.rate_interval),
        Increments=None if ts.increments is None else [_increment(i) for i in ts.increments],
        RoundIncrement=None if ts.round_increment is None else _increment(ts.round_increment),
    )


def call_cost_reply(cc: CallCost) -> CallCostReply:
    return CallCostReply(
        Category=cc.category,
        Tenant=cc.tenant,
        Subject=cc.subject,
        Account=cc.account,
        Destination=cc.destination,
        ToR=cc.tor,
        Cost=money(cc.cost),
        RatedUsage=cc.rated_usage,
        Timespans=[_timespan(ts) for ts in cc.timespans] or None,
    )


# -- EventCost ----------------------------------------------------------------------------


class ChargingIncrement(msgspec.Struct, kw_only=True):
    Usage: int
    Cost: Decimal
    AccountingID: str
    CompressFactor: int


class ChargingInterval(msgspec.Struct, kw_only=True):
    RatingID: str
    Increments: list[ChargingIncrement] | None
    CompressFactor: int


class RatingUnit(msgspec.Struct, kw_only=True):
    ConnectFee: Decimal
    RoundingMethod: str
    RoundingDecimals: int
    MaxCost: Decimal
    MaxCostStrategy: str
    TimingID: str
    RatesID: str
    RatingFiltersID: str


class ChargedTiming(msgspec.Struct, kw_only=True):
    Years: list[int]
    Months: list[int]
    MonthDays: list[int]
    WeekDays: list[int]
    StartTime: str


class EventCost(msgspec.Struct, kw_only=True):
    CGRID: str = ""
    RunID: str = ""
    StartTime: str = ""
    Usage: int | None = None
    Cost: Decimal | None = None
    AccountSummary: Any = None
    Charges: list[ChargingInterval] | None = None
    Rating: dict[str, RatingUnit] = msgspec.field(default_factory=dict)
    Accounting: dict[str, Any] = msgspec.field(default_factory=dict)
    RatingFilters: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    Rates: dict[str, list[WireRate]] = msgspec.field(default_factory=dict)
    Timings: dict[str, ChargedTiming] = msgspec.field(default_factory=dict)

    def compute(self, rounding_decimals: int) -> None:
        """Fill Usage and Cost from the charges (CGRateS ``EventCost.Compute``)."""
        usage = 0
        cost = _ZERO
        for ci in self.Charges or ():
            units, total = 0, _ZERO
            for inc in ci.Increments or ():
                if inc is not None:
                    units += inc.Usage * inc.CompressFactor
                    total += inc.Cost * inc.CompressFactor
            usage += units * ci.CompressFactor
            cost += round_money(total, rounding_decimals, _MIDDLE) * ci.CompressFactor
        self.Usage = usage
        self.Cost = round_money(cost, rounding_decimals, _MIDDLE)


class _Wired(NamedTuple):
    """The wire values of one RateInterval, computed once per interval (not per reply)."""

    interval: RateInterval
    timing: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...], str]
    rates: tuple[tuple[int, Decimal, int, int], ...]
    connect_fee: Decimal
    max_cost: Decimal


_WIRED: dict[int, _Wired] = {}


def _wired(ri: RateInterval) -> _Wired:
    # keyed by identity (intervals live in the loaded plans); the stored interval guards
    # against a recycled id
    wired = _WIRED.get(id(ri))
    if wired is None or wired.interval is not ri:
        t, r = ri.timing, ri.rating
        wired = _Wired(
            ri,
            (t.years, t.months, t.month_days, t.week_days, t.start_time),
            tuple(
                (x.group_interval_start, money(x.value), x.rate_increment, x.rate_unit)
                for x in r.rates
            ),
            money(r.connect_fee),
            money(r.max_cost),
        )
        if len(_WIRED) > 4096:  # plans get reloaded: drop intervals no longer in use
            _WIRED.clear()
        _WIRED[id(ri)] = wired
    return wired


class _RatingIndex:
    """The Rating, RatingFilters, Rates and Timings of one EventCost: equal entries share
    one id (CGRateS's ``UUIDSha1Prefix``, here deterministic for the reply)."""

    def __init__(self, ec: EventCost, seed: str) -> None:
        self.ec = ec
        self.seed = seed
        self.count = 0
        self.digest = ""
        # value -> id, so finding an equal entry is a dict lookup, not a scan with ==
        self.filters: dict[tuple[str, str, str, str], str] = {}
        self.timings: dict[tuple[object, ...], str] = {}
        self.rates: dict[tuple[tuple[int, Decimal, int, int], ...], str] = {}
        self.units: dict[tuple[object, ...], str] = {}
        self.spans: dict[tuple[int, str, str, str, str], str] = {}

    def next(self) -> str:
        # one SHA-1 yields five 7-hex ids (a reply rarely needs more): a hash per reply,
        # not per id
        block, slot = divmod(self.count, 5)
        self.count += 1
        if slot == 0:
            seed = f"{self.seed}/{block}".encode()
            self.digest = hashlib.sha1(seed, usedforsecurity=False).hexdigest()
        return self.digest[slot * 7 : slot * 7 + 7]

    def rating_id(self, ts: TimeSpan) -> str:
        ri = ts.rate_interval
        if ri is None:
            return ""
        # spans of one reply mostly repeat an interval and its match: resolve each once
        key = (id(ri), ts.matched_subject, ts.matched_prefix, ts.matched_dest_id, ts.rating_plan_id)
        rating_id = self.spans.get(key)
        if rating_id is None:
            rating_id = self.spans[key] = self._new_rating(ts, _wired(ri))
        return rating_id

    def _new_rating(self, ts: TimeSpan, wired: _Wired) -> str:
        ec = self.ec
        match = (ts.matched_subject, ts.matched_prefix, ts.matched_dest_id, ts.rating_plan_id)
        rf_id = self.filters.get(match)
        if rf_id is None:
            rf_id = self.filters[match] = self.next()
            ec.RatingFilters[rf_id] = dict(zip(_FILTER_KEYS, match, strict=True))
        tm_id = self.timings.get(wired.timing)
        if tm_id is None:
            tm_id = self.timings[wired.timing] = self.next()
            years, months, month_days, week_days, start = wired.timing
            ec.Timings[tm_id] = ChargedTiming(
                Years=list(years),
                Months=list(months),
                MonthDays=list(month_days),
                WeekDays=list(week_days),
                StartTime=start,
            )
        rt_id = ""
        if wired.rates:
            rt_id = self.rates.get(wired.rates, "")
            if not rt_id:
                rt_id = self.rates[wired.rates] = self.next()
                ec.Rates[rt_id] = [
                    WireRate(GroupIntervalStart=g, Value=v, RateIncrement=i, RateUnit=u)
                    for g, v, i, u in wired.rates
                ]
        r = wired.interval.rating
        unit = (
            wired.connect_fee,
            r.rounding_method,
            r.rounding_decimals,
            wired.max_cost,
            r.max_cost_strategy,
            tm_id,
            rt_id,
            rf_id,
        )
        rating_id = self.units.get(unit)
        if rating_id is None:
            rating_id = self.units[unit] = self.next()
            ec.Rating[rating_id] = RatingUnit(
                ConnectFee=wired.connect_fee,
                RoundingMethod=r.rounding_method,
                RoundingDecimals=r.rounding_decimals,
                MaxCost=wired.max_cost,
                MaxCostStrategy=r.max_cost_strategy,
                TimingID=tm_id,
                RatesID=rt_id,
                RatingFiltersID=rf_id,
            )
        return rating_id


_FILTER_KEYS = ("Subject", "DestinationPrefix", "DestinationID", "RatingPlanID")


def event_cost_from_call_cost(
    cc: CallCost, rounding_decimals: int, cgrid: str = "", run_id: str = ""
) -> EventCost:
    """CGRateS ``NewEventCostFromCallCost`` followed by ``Compute``."""
    start = format_rfc3339(cc.timespans[0].time_start, cc.tz) if cc.timespans else None
    ec = EventCost(CGRID=cgrid, RunID=run_id, StartTime=start or format_rfc3339(ZERO_NS))
    index = _RatingIndex(ec, f"{cgrid}/{run_id}/{ec.StartTime}/{cc.destination}/{cc.cost}")
    charges: list[ChargingInterval] = []
    for ts in cc.timespans:
        increments = [
            ChargingIncrement(
                Usage=inc.duration,
                Cost=money(inc.cost),
                AccountingID="",
                CompressFactor=inc.compress_factor,
            )
            for inc in ts.increments or ()
        ]
        charges.append(
            ChargingInterval(
                RatingID=index.rating_id(ts),
                Increments=increments or None,
                CompressFactor=ts.compress_factor,
            )
        )
    ec.Charges = charges or None
    ec.compute(rounding_decimals)
    return ec


# -- DataCost (APIerSv1.GetDataCost) ------------------------------------------------------


class DataIncrement(msgspec.Struct, kw_only=True):
    Amount: Decimal
    Cost: Decimal
    BalanceInfo: WireDebitInfo | None
    CompressFactor: int


class DataSpan(msgspec.Struct, kw_only=True):
    DataStart: Decimal
    DataEnd: Decimal
    Cost: Decimal
    RateInterval: WireRateInterval | None
    DataIndex: Decimal
    Increments: list[DataIncrement]
    MatchedSubject: str
    MatchedPrefix: str
    MatchedDestId: str
    RatingPlanID: str


class DataCostReply(msgspec.Struct, kw_only=True):
    Category: str
    Tenant: str
    Subject: str
    Account: str
    Destination: str
    ToR: str
    Cost: Decimal
    DataSpans: list[DataSpan]
    AccountSummary: Any = None


def _seconds(ns: int) -> Decimal:
    return money(Decimal(ns).scaleb(-9))


def data_cost_reply(cc: CallCost) -> DataCostReply:
    """CGRateS ``CallCost.ToDataCost``: amounts are the span's "ns" read as seconds."""
    spans = []
    for ts in cc.timespans:
        wire = [_increment(i) for i in ts.increments or ()]
        spans.append(
            DataSpan(
                DataStart=_seconds(ts.duration_index - ts.duration),
                DataEnd=_seconds(ts.duration_index),
                Cost=money(ts.cost),
                RateInterval=_interval(ts.rate_interval),
                DataIndex=_seconds(ts.duration_index),
                Increments=[
                    DataIncrement(
                        Amount=_seconds(w.Duration),
                        Cost=w.Cost,
                        BalanceInfo=w.BalanceInfo,
                        CompressFactor=w.CompressFactor,
                    )
                    for w in wire
                ],
                MatchedSubject=ts.matched_subject,
                MatchedPrefix=ts.matched_prefix,
                MatchedDestId=ts.matched_dest_id,
                RatingPlanID=ts.rating_plan_id,
            )
        )
    return DataCostReply(
        Category=cc.category,
        Tenant=cc.tenant,
        Subject=cc.subject,
        Account=cc.account,
        Destination=cc.destination,
        ToR=cc.tor,
        Cost=money(cc.cost),
        DataSpans=spans,
    )
