"""What a run was charged: parsing CallCosts, merging, trimming as EventCost.Trim does,
rounding as CallCost.Round does, and the increments a refund gives back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tollgate.sessions.charges import (
    ChargeIncrement,
    Charges,
    ChargeSpan,
    parse_call_cost,
    refund_increments,
)

S = 1_000_000_000
D = Decimal


def inc(seconds: int, cost: str, cf: int = 1, money: str = "m1", unit: str = "") -> ChargeIncrement:
    return ChargeIncrement(
        seconds * S, D(cost), cf, account_id="cgrates.org:1001", unit_uuid=unit,
        monetary_uuid=money,
    )  # fmt: skip


def span(*incs: ChargeIncrement, repeat: int = 1, key: str = "r") -> ChargeSpan:
    return ChargeSpan(tuple(incs), repeat, key, 4, "*up")


def usages(spans: list[ChargeSpan] | None) -> list[tuple[int, int]]:
    return [(s.unit_usage // S, s.repeat) for s in spans or ()]


def test_trim_keeps_the_increment_crossing_the_cut() -> None:
    # a 60s first increment (connect fee in front), then 10s increments
    charges = Charges([span(inc(0, "0.8"), inc(60, "0.4")), span(inc(10, "0.03333", cf=9))])
    assert charges.usage == 150 * S
    surplus = charges.trim(65 * S)
    assert charges.usage == 70 * S
    assert [i.compress_factor for s in charges.spans for i in s.increments] == [1, 1, 1]
    assert usages(surplus) == [(80, 1)]
    assert surplus is not None
    assert surplus[0].increments[0].compress_factor == 8


def test_trim_inside_the_first_increment_refunds_nothing_of_it() -> None:
    charges = Charges([span(inc(0, "0.8"), inc(30, "0.2", cf=2)), span(inc(10, "0.03333", cf=6))])
    surplus = charges.trim(12 * S)
    assert charges.usage == 30 * S
    assert sum(s.cost for s in charges.spans) == D("1.0")
    assert sum(s.cost for s in surplus or ()) == D("0.2") + D("0.19998")


def test_trim_splits_repeated_spans() -> None:
    charges = Charges([span(inc(10, "0.1", cf=2), repeat=3)])
    surplus = charges.trim(35 * S)
    assert usages(charges.spans) == [(20, 2)]
    assert usages(surplus) == [(20, 1)]
    surplus = charges.trim(15 * S)
    assert usages(charges.spans) == [(20, 1)]
    assert charges.spans[0].increments[0].compress_factor == 2
    assert usages(surplus) == [(20, 1)]
    surplus = charges.trim(5 * S)  # inside a compressed increment: one of its two stays
    assert usages(charges.spans) == [(10, 1)]
    assert usages(surplus) == [(10, 1)]


def test_trim_at_zero_and_beyond() -> None:
    charges = Charges([span(inc(0, "0.8"), inc(60, "0.4"))])
    assert charges.trim(60 * S) is None
    assert charges.trim(90 * S) is None
    surplus = charges.trim(0)
    assert charges.spans == []
    assert usages(surplus) == [(60, 1)]  # the connect fee too


def test_merge_compresses_equal_spans() -> None:
    charges = Charges()
    charges.merge([span(inc(1, "0.01"))])
    charges.merge([span(inc(1, "0.01"))])
    charges.merge([span(inc(1, "0.01"), key="other")])
    assert usages(charges.spans) == [(1, 2), (1, 1)]
    assert charges.cost(5) == D("0.03")


def test_round_corrects_money_spans_to_their_rating() -> None:
    charges = Charges(
        [span(inc(1, "0.00167", cf=35)), span(inc(60, "0", money="", unit="u1"))]
    )  # 35 x 0.00167 = 0.05845 -> *up 4 decimals = 0.0585
    corrections = charges.round()
    assert [c for _, c in corrections] == [D("0.00005")]
    assert charges.cost(5) == D("0.0585")
    assert charges.round() == []  # already corrected


def test_refund_increments_give_back_the_paid_ones() -> None:
    spans = [
        span(inc(10, "0.03333", cf=2), repeat=3),
        span(inc(60, "0", money="", unit="u1")),
        span(inc(5, "0", money="")),  # paid by nothing: not refunded
    ]
    wire = list(refund_increments(spans))
    assert wire == [
        {"Duration": 10 * S, "Cost": D("0.03333"), "CompressFactor": 6,
         "BalanceInfo": {"Unit": None, "Monetary": {"UUID": "m1"},
                         "AccountID": "cgrates.org:1001"}},
        {"Duration": 60 * S, "Cost": 0, "CompressFactor": 1,
         "BalanceInfo": {"Unit": {"UUID": "u1"}, "Monetary": None,
                         "AccountID": "cgrates.org:1001"}},
    ]  # fmt: skip


def _call_cost(**ts: Any) -> dict[str, Any]:
    timespan = {
        "TimeStart": "2024-01-08T10:00:00Z", "TimeEnd": "2024-01-08T10:00:20Z", "Cost": 0.2,
        "DurationIndex": 20 * S, "CompressFactor": 1, "MatchedSubject": "*out:t:call:1001",
        "MatchedPrefix": "10", "MatchedDestId": "DST", "RatingPlanId": "RP",
        "RateInterval": {"Timing": None, "Rating": {
            "ConnectFee": 0, "RoundingMethod": "*middle", "RoundingDecimals": 2, "MaxCost": 0,
            "MaxCostStrategy": "", "Rates": []}, "Weight": 10},
        "Increments": [{"Duration": 10 * S, "Cost": 0.1, "CompressFactor": 2, "BalanceInfo": {
            "Unit": None, "Monetary": {"UUID": "m1", "ID": "", "Value": 9, "RateInterval": None},
            "AccountID": "cgrates.org:1001"}}],
        **ts,
    }  # fmt: skip
    return {
        "Category": "call", "Tenant": "t", "Subject": "1001", "Account": "1001",
        "Destination": "1003", "ToR": "*voice", "Cost": 0.2, "RatedUsage": 20 * S,
        "AccountSummary": None, "Timespans": [timespan],
    }  # fmt: skip


def test_parse_call_cost_from_a_remote_reply() -> None:
    charged = parse_call_cost(_call_cost())
    assert charged.duration == 20 * S
    assert charged.cost == D("0.2")
    (only,) = charged.spans
    assert only.rounding_decimals == 2
    assert only.rounding_method == "*middle"
    assert only.increments == (inc(10, "0.1", cf=2),)
    empty = parse_call_cost({**_call_cost(), "Timespans": None, "Cost": 0})
    assert empty.duration == 0
    assert empty.spans == []


def test_parse_call_cost_refuses_what_it_cannot_read() -> None:
    with pytest.raises(Exception, match="CallCost not understood"):
        parse_call_cost({"Timespans": "nope"})


def test_event_cost_for_cdrs() -> None:
    charges = Charges(
        [span(inc(0, "0.4"), inc(60, "0.2")), span(inc(1, "0.00167", cf=35), key="per-second"),
         span(inc(60, "0", money="", unit="u1"), key="units")],
        start=1_704_708_000 * S,
    )  # fmt: skip
    charges.round()  # 0.05845 -> *up 4 decimals = 0.0585
    ec = charges.event_cost("cg", "*default", 5)
    assert ec["StartTime"] == "2024-01-08T10:00:00Z"
    assert ec["Usage"] == 155 * S
    assert ec["Cost"] == D("0.6585")
    costs = [[i["Cost"] for i in c["Increments"]] for c in ec["Charges"]]
    assert costs == [[D("0.4"), D("0.2")], [D("0.00167")], [D("0.00005")], [0]]
    money, unit = ec["Accounting"]["1"], ec["Accounting"][str(len(ec["Accounting"]))]
    assert (money["BalanceUUID"], money["ExtraChargeID"]) == ("m1", "")
    assert (unit["BalanceUUID"], unit["ExtraChargeID"]) == ("u1", "*none")
