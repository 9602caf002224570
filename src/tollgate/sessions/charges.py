"""What a session run was charged: CGRateS's ``EventCost`` of a run, kept flat.

Every debit (``Responder.MaxDebit``/``Debit``) answers a CallCost; its timespans become
:class:`ChargeSpan` (the increments of one repetition, repeated ``repeat`` times) appended to
the run's :class:`Charges`, merging with the previous span when it is the same (as
``EventCost.Merge`` compresses equal charging intervals). :meth:`Charges.trim` cuts at a
usage as ``EventCost.Trim`` does (the increment crossing the cut stays charged) and returns
the surplus, whose increments are refunded; :meth:`Charges.round` gives the rounding
corrections ``CallCost.Round`` makes per span.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.core.errors import TollgateError
from tollgate.core.times import ZERO_NS, format_rfc3339, parse_rfc3339
from tollgate.rating import CallCostReply, round_money
from tollgate.rating import money as wire_money

__all__ = [
    "ChargeIncrement",
    "ChargeSpan",
    "Charged",
    "Charges",
    "parse_call_cost",
    "refund_increments",
]

_ZERO = Decimal(0)
_MIDDLE = "*middle"
_NONE = "*none"


@dataclass(frozen=True, slots=True)
class ChargeIncrement:
    """One increment: its duration and cost, how often it repeats, which balances paid."""

    duration: int
    cost: Decimal
    compress_factor: int = 1
    account_id: str = ""
    unit_uuid: str = ""
    monetary_uuid: str = ""

    @property
    def usage(self) -> int:
        return self.duration * self.compress_factor

    @property
    def total_cost(self) -> Decimal:
        return self.cost * self.compress_factor

    @property
    def refundable(self) -> bool:
        return bool(self.unit_uuid or self.monetary_uuid)

    def wire(self, repeat: int = 1) -> dict[str, Any]:
        """The increment as ``Responder.RefundIncrements``/``RefundRounding`` read it."""
        return {
            "Duration": self.duration,
            "Cost": wire_money(self.cost),
            "CompressFactor": self.compress_factor * repeat,
            "BalanceInfo": {
                "Unit": {"UUID": self.unit_uuid} if self.unit_uuid else None,
                "Monetary": {"UUID": self.monetary_uuid} if self.monetary_uuid else None,
                "AccountID": self.account_id,
            },
        }


@dataclass(slots=True)
class ChargeSpan:
    """A timespan of a CallCost: its increments, repeated ``repeat`` times."""

    increments: tuple[ChargeIncrement, ...]
    repeat: int = 1
    rating_key: str = ""
    rounding_decimals: int = 0
    rounding_method: str = ""
    correction: Decimal = _ZERO  # added by rounding (CallCost.Round)

    @property
    def unit_usage(self) -> int:
        return sum(inc.usage for inc in self.increments)

    @property
    def usage(self) -> int:
        return self.unit_usage * self.repeat

    @property
    def cost(self) -> Decimal:
        return sum((inc.total_cost for inc in self.increments), _ZERO) * self.repeat

    def same(self, other: ChargeSpan) -> bool:
        return (
            self.rating_key == other.rating_key
            and self.increments == other.increments
            and not self.correction
            and not other.correction
        )


@dataclass(slots=True)
class Charged:
    """One CallCost: its spans, the instants it covers and its cost."""

    spans: list[ChargeSpan]
    start: int | None
    end: int | None
    cost: Decimal

    @property
    def duration(self) -> int:
        if self.start is None or self.end is None:
            return 0
        return self.end - self.start


def _rating_key(ts: Any) -> str:
    """What identifies the rating of a timespan (its ``RatingID`` on the wire)."""
    parts = (ts.RatingPlanId, ts.MatchedSubject, ts.MatchedPrefix, ts.MatchedDestId)
    data = msgspec.json.encode((parts, ts.RateInterval))
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]


def parse_call_cost(reply: Any) -> Charged:
    """The Charged of a CallCost reply (the Struct over ``*internal``, a map remotely)."""
    if not isinstance(reply, CallCostReply):
        try:
            reply = msgspec.convert(reply, CallCostReply, strict=False)
        except msgspec.ValidationError as exc:
            raise TollgateError(f"CallCost not understood: {exc}") from None
    spans: list[ChargeSpan] = []
    start = end = None
    for ts in reply.Timespans or ():
        if start is None:
            start = parse_rfc3339(ts.TimeStart).ns
        end = parse_rfc3339(ts.TimeEnd).ns
        increments = []
        for inc in ts.Increments or ():
            info = inc.BalanceInfo
            increments.append(
                ChargeIncrement(
                    duration=inc.Duration,
                    cost=inc.Cost,
                    compress_factor=inc.CompressFactor or 1,
                    account_id=info.AccountID if info else "",
                    unit_uuid=info.Unit.UUID if info and info.Unit else "",
                    monetary_uuid=info.Monetary.UUID if info and info.Monetary else "",
                )
            )
        rating = ts.RateInterval.Rating if ts.RateInterval is not None else None
        spans.append(
            ChargeSpan(
                increments=tuple(increments),
                repeat=max(ts.CompressFactor, 1),
                rating_key=_rating_key(ts),
                rounding_decimals=rating.RoundingDecimals if rating else 0,
                rounding_method=rating.RoundingMethod if rating else "",
            )
        )
    return Charged(spans, start, end, reply.Cost)


@dataclass(slots=True)
class Charges:
    """The EventCost of a session run; ``start`` is where its first debit began."""

    spans: list[ChargeSpan] = field(default_factory=list)
    start: int | None = None
    tz: dt.tzinfo = dt.UTC

    @property
    def usage(self) -> int:
        return sum(span.usage for span in self.spans)

    def cost(self, decimals: int) -> Decimal:
        """``EventCost.Compute``: each span rounded (*middle), then the total."""
        total = _ZERO
        for span in self.spans:
            unit = sum((inc.total_cost for inc in span.increments), _ZERO)
            total += round_money(unit, decimals, _MIDDLE) * span.repeat + span.correction
        return round_money(total, decimals, _MIDDLE)

    def event_cost(self, cgrid: str, run_id: str, decimals: int) -> dict[str, Any]:
        """The charges as an ``engine.EventCost`` map (CDR CostDetails, session costs,
        replication)."""
        return _event_cost(self, cgrid, run_id, decimals)

    def merge(self, spans: Iterable[ChargeSpan]) -> None:
        for span in spans:
            last = self.spans[-1] if self.spans else None
            if last is not None and last.same(span):
                last.repeat += span.repeat
            else:
                self.spans.append(replace(span))

    def trim(self, at: int) -> list[ChargeSpan] | None:
        """Keep the charges covering ``at`` (the crossing increment whole); the rest is
        returned as the surplus, or None when nothing is cut."""
        if at >= self.usage:
            return None
        if at <= 0:
            surplus, self.spans = self.spans, []
            return surplus
        done = index = 0
        while done + self.spans[index].usage < at:  # at < usage: a span crosses it
            done += self.spans[index].usage
            index += 1
        kept, surplus = self._split(self.spans[index], at - done)
        surplus.extend(self.spans[index + 1 :])
        self.spans = [*self.spans[:index], *kept]
        return surplus

    @staticmethod
    def _split(span: ChargeSpan, need: int) -> tuple[list[ChargeSpan], list[ChargeSpan]]:
        """Cut one span so that ``need`` (0 < need <= span.usage) stays charged."""
        unit = span.unit_usage
        full = (need - 1) // unit  # whole repetitions before the crossing one
        within = need - full * unit
        head: list[ChargeIncrement] = []
        tail: list[ChargeIncrement] = []
        done = 0
        for position, inc in enumerate(span.increments):
            if done + inc.usage >= within:
                count = -(-(within - done) // inc.duration)
                head = [*span.increments[:position], replace(inc, compress_factor=count)]
                if count < inc.compress_factor:
                    tail.append(replace(inc, compress_factor=inc.compress_factor - count))
                tail.extend(span.increments[position + 1 :])
                break
            done += inc.usage
        kept: list[ChargeSpan] = []
        surplus: list[ChargeSpan] = []
        if not tail:  # the crossing repetition is charged whole
            kept.append(replace(span, repeat=full + 1))
        else:
            if full:
                kept.append(replace(span, repeat=full))
            kept.append(replace(span, increments=tuple(head), repeat=1))
            surplus.append(replace(span, increments=tuple(tail), repeat=1))
        rest = span.repeat - full - 1
        if rest:
            surplus.append(replace(span, repeat=rest))
        return kept, surplus

    def round(self) -> list[tuple[ChargeSpan, Decimal]]:
        """``CallCost.Round``: the correction of each money-paid span to its rating's
        rounding (recorded on the span); the spans with a non-zero correction."""
        out = []
        for span in self.spans:
            if not span.increments or span.correction:
                continue
            first = span.increments[0]
            if not first.monetary_uuid or not first.cost:
                continue
            cost = span.cost
            rounded = round_money(cost, span.rounding_decimals, span.rounding_method)
            if rounded != cost:
                span.correction = rounded - cost
                out.append((span, span.correction))
        return out


def _event_cost(charges: Charges, cgrid: str, run_id: str, decimals: int) -> dict[str, Any]:
    """The charges as v0.10's ``engine.EventCost`` (a map): each span a charging interval,
    its rounding correction an increment of no usage; the balances in ``Accounting``
    (``ExtraChargeID`` ``*none`` for a units balance alone, else the entry of its money)."""
    accounting: dict[str, dict[str, Any]] = {}
    ids: dict[tuple[str, str, str], str] = {}

    def entry(account: str, balance: str, extra: str, units: Any) -> str:
        key = (account, balance, extra)
        found = ids.get(key)
        if found is None:
            found = ids[key] = str(len(ids) + 1)
            accounting[found] = {
                "AccountID": account, "BalanceUUID": balance, "RatingID": "", "Units": units,
                "ExtraChargeID": extra,
            }  # fmt: skip
        return found

    def charged_by(inc: ChargeIncrement, cost: Decimal) -> str:
        if inc.unit_uuid:
            extra = _NONE
            if inc.monetary_uuid:
                extra = entry(inc.account_id, inc.monetary_uuid, "", wire_money(cost))
            return entry(inc.account_id, inc.unit_uuid, extra, inc.duration)
        if inc.monetary_uuid:
            return entry(inc.account_id, inc.monetary_uuid, "", wire_money(cost))
        return ""

    rating: dict[str, dict[str, Any]] = {}
    intervals = []
    for span in charges.spans:
        rating[span.rating_key] = {
            "ConnectFee": 0, "RoundingMethod": span.rounding_method,
            "RoundingDecimals": span.rounding_decimals, "MaxCost": 0, "MaxCostStrategy": "",
            "TimingID": "", "RatesID": "", "RatingFiltersID": "",
        }  # fmt: skip
        increments = [
            {"Usage": inc.duration, "Cost": wire_money(inc.cost),
             "AccountingID": charged_by(inc, inc.cost), "CompressFactor": inc.compress_factor}
            for inc in span.increments
        ]  # fmt: skip
        intervals.append(
            {"RatingID": span.rating_key, "Increments": increments, "CompressFactor": span.repeat}
        )
        if span.correction and span.increments:
            paid = charged_by(span.increments[0], span.correction)
            intervals.append(
                {"RatingID": span.rating_key, "CompressFactor": 1, "Increments": [
                    {"Usage": 0, "Cost": wire_money(span.correction), "AccountingID": paid,
                     "CompressFactor": 1}]}
            )  # fmt: skip
    start = charges.start if charges.start is not None else ZERO_NS
    return {
        "CGRID": cgrid, "RunID": run_id, "StartTime": format_rfc3339(start, charges.tz),
        "Usage": charges.usage, "Cost": charges.cost(decimals), "Charges": intervals,
        "AccountSummary": None, "Rating": rating, "Accounting": accounting,
        "RatingFilters": None, "Rates": None, "Timings": None,
    }  # fmt: skip


def refund_increments(spans: Iterable[ChargeSpan]) -> Iterator[dict[str, Any]]:
    """The wire increments that give back what ``spans`` took (paid ones only)."""
    for span in spans:
        for inc in span.increments:
            if inc.refundable:
                yield inc.wire(span.repeat)
