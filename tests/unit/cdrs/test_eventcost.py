"""CostDetails: EventCost from a CallCost, Compute, decoding, and the refund descriptor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tollgate.cdrs.eventcost import (
    EventCost,
    compute,
    dump,
    event_cost_from_call_cost,
    parse_event_cost,
    refund_descriptor,
)
from tollgate.core.errors import TollgateError

S = 1_000_000_000
RATE_INTERVAL = {
    "Timing": {
        "Years": [],
        "Months": [],
        "MonthDays": [],
        "WeekDays": [],
        "StartTime": "00:00:00",
        "EndTime": "",
    },
    "Rating": {
        "ConnectFee": 0.4,
        "RoundingMethod": "*up",
        "RoundingDecimals": 4,
        "MaxCost": 0,
        "MaxCostStrategy": "",
        "Rates": [
            {"GroupIntervalStart": 0, "Value": 0.2, "RateIncrement": 60 * S, "RateUnit": 60 * S},
            {"GroupIntervalStart": 60 * S, "Value": 0.1, "RateIncrement": S, "RateUnit": 60 * S},
        ],
    },
    "Weight": 10,
}
MONEY = {
    "Unit": None,
    "Monetary": {"UUID": "m1", "ID": "test", "Value": 9.28, "RateInterval": None},
    "AccountID": "cgrates.org:1001",
}
VOICE = {
    "Unit": {"UUID": "v1", "ID": "BALANCE1", "Value": 0, "DestinationID": "", "Consumed": 1,
             "ToR": "*voice", "RateInterval": None},
    "Monetary": None,
    "AccountID": "cgrates.org:1001",
}  # fmt: skip
VOICE_AND_MONEY = {**VOICE, "Monetary": MONEY["Monetary"]}


def span(start: str, end: str, increments: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {
        "TimeStart": start,
        "TimeEnd": end,
        "Cost": 0,
        "DurationIndex": 0,
        "CompressFactor": 1,
        "MatchedSubject": "*out:cgrates.org:call:1001",
        "MatchedPrefix": "1002",
        "MatchedDestId": "DST_1002",
        "RatingPlanId": "RP_1001",
        "RateInterval": RATE_INTERVAL,
        "Increments": increments,
        **kw,
    }


def inc(duration: int, cost: str, cf: int, info: dict[str, Any] | None) -> dict[str, Any]:
    return {"Duration": duration, "Cost": Decimal(cost), "CompressFactor": cf, "BalanceInfo": info}


def call_cost(
    *spans: dict[str, Any], summary: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "Category": "call",
        "Tenant": "cgrates.org",
        "Subject": "1001",
        "Account": "1001",
        "Destination": "1002",
        "ToR": "*voice",
        "Cost": Decimal("0.7169"),
        "RatedUsage": 130 * S,
        "AccountSummary": None
        if summary is None
        else {
            "Tenant": "cgrates.org",
            "ID": "1001",
            "BalanceSummaries": summary,
            "AllowNegative": False,
            "Disabled": False,
        },
        "Timespans": list(spans),
    }


TUTORIAL_CALL = call_cost(
    span("2024-01-02T10:00:00Z", "2024-01-02T10:01:00Z",
         [inc(0, "0.4", 1, MONEY), inc(60 * S, "0.2", 1, MONEY)]),
    span("2024-01-02T10:01:00Z", "2024-01-02T10:02:10Z", [inc(S, "0.00167", 70, MONEY)]),
    summary=[{"UUID": "m1", "ID": "test", "Type": "*monetary", "Value": 9.2831, "Disabled": False}],
)  # fmt: skip


def test_event_cost_of_a_monetary_debit() -> None:
    ec = event_cost_from_call_cost(TUTORIAL_CALL, "cgrid1", "*default", 5)
    assert (ec.CGRID, ec.RunID, ec.StartTime) == ("cgrid1", "*default", "2024-01-02T10:00:00Z")
    assert (ec.Usage, ec.Cost) == (130 * S, Decimal("0.7169"))
    assert ec.Charges is not None
    assert [len(ci.Increments or []) for ci in ec.Charges] == [2, 1]
    # both spans rate on the same interval and match: one Rating, one RatingFilters entry
    assert ec.Charges[0].RatingID == ec.Charges[1].RatingID
    assert ec.Rating is not None
    assert ec.RatingFilters is not None
    [unit] = ec.Rating.values()
    assert (unit.ConnectFee, unit.RoundingMethod, unit.RoundingDecimals) == (
        Decimal("0.4"),
        "*up",
        4,
    )
    assert ec.RatingFilters[unit.RatingFiltersID] == {
        "DestinationID": "DST_1002",
        "DestinationPrefix": "1002",
        "RatingPlanID": "RP_1001",
        "Subject": "*out:cgrates.org:call:1001",
    }
    assert ec.Rates is not None
    assert ec.Timings is not None
    assert len(ec.Rates[unit.RatesID]) == 2
    assert ec.Timings[unit.TimingID].StartTime == "00:00:00"
    # one accounting entry per distinct (balance, units)
    assert ec.Accounting is not None
    assert sorted(bc.Units for bc in ec.Accounting.values()) == [
        Decimal("0.00167"),
        Decimal("0.2"),
        Decimal("0.4"),
    ]
    assert {bc.BalanceUUID for bc in ec.Accounting.values()} == {"m1"}
    assert ec.AccountSummary is not None
    assert ec.AccountSummary.BalanceSummaries is not None
    assert ec.AccountSummary.BalanceSummaries[0].Value == Decimal("9.2831")


def test_event_cost_ids_are_stable_for_the_same_charge() -> None:
    one = event_cost_from_call_cost(TUTORIAL_CALL, "cgrid1", "*default", 5)
    two = event_cost_from_call_cost(TUTORIAL_CALL, "cgrid1", "*default", 5)
    assert dump(one) == dump(two)


def test_unit_balance_with_an_extra_monetary_charge() -> None:
    cc = call_cost(span("2024-01-02T10:00:00Z", "2024-01-02T10:00:10Z",
                        [inc(S, "0.01", 10, VOICE_AND_MONEY)]))  # fmt: skip
    ec = event_cost_from_call_cost(cc, "x", "*default", 5)
    assert ec.Accounting is not None
    assert ec.Charges is not None
    increments = ec.Charges[0].Increments
    assert increments is not None
    unit = ec.Accounting[increments[0].AccountingID]
    assert (unit.BalanceUUID, unit.Units) == ("v1", Decimal(1))
    extra = ec.Accounting[unit.ExtraChargeID]
    assert (extra.BalanceUUID, extra.Units, extra.ExtraChargeID) == ("m1", Decimal("0.01"), "")


def test_unit_only_marks_no_extra_charge_and_rating_only_has_no_accounting() -> None:
    cc = call_cost(span("2024-01-02T10:00:00Z", "2024-01-02T10:00:10Z",
                        [inc(S, "0", 10, VOICE), inc(S, "0.1", 1, {"AccountID": "a"}),
                         inc(S, "0.1", 1, None)]))  # fmt: skip
    ec = event_cost_from_call_cost(cc, "x", "*default", 5)
    assert ec.Charges is not None
    assert ec.Accounting is not None
    increments = ec.Charges[0].Increments
    assert increments is not None
    assert ec.Accounting[increments[0].AccountingID].ExtraChargeID == "*none"
    assert [i.AccountingID for i in increments[1:]] == ["", ""]


def test_rounding_increment_is_charged_back_negated() -> None:
    rounding = inc(0, "0.00003", 1, MONEY)
    cc = call_cost(span("2024-01-02T10:00:00Z", "2024-01-02T10:00:10Z",
                        [inc(S, "0.00167", 10, MONEY)], RoundIncrement=rounding))  # fmt: skip
    ec = event_cost_from_call_cost(cc, "x", "*default", 5)
    assert ec.Charges is not None
    assert ec.Accounting is not None
    increments = ec.Charges[0].Increments
    assert increments is not None
    assert increments[-1].Cost == Decimal("-0.00003")
    assert ec.Accounting[increments[-1].AccountingID].RatingID == "*rounding"
    assert ec.Cost == Decimal("0.01667")


def test_compute_rounds_each_interval_then_the_total() -> None:
    ec = parse_event_cost(
        {
            "Charges": [
                {"CompressFactor": 3, "Increments": [
                    {"Usage": S, "Cost": 0.0000333, "CompressFactor": 10}]},
                {"CompressFactor": 1, "Increments": [
                    {"Usage": 0, "Cost": 0.1, "CompressFactor": 1}]},
            ]
        }
    )  # fmt: skip
    assert ec is not None
    compute(ec, 5)
    assert (ec.Usage, ec.Cost) == (30 * S, Decimal("0.10099"))  # 3 x round(0.000333) + 0.1


@pytest.mark.parametrize("value", [None, "", "null", b"null"])
def test_parse_nothing(value: object) -> None:
    assert parse_event_cost(value) is None


def test_parse_the_forms_a_cost_details_comes_in() -> None:
    ec = event_cost_from_call_cost(TUTORIAL_CALL, "c", "*default", 5)
    text = dump(ec)
    assert parse_event_cost(ec) is ec
    assert dump(parse_event_cost(text)) == text
    assert dump(parse_event_cost(text.encode())) == text
    from_map = parse_event_cost({"CGRID": "c", "Usage": 60 * S, "Cost": 0.5})
    assert from_map == EventCost(CGRID="c", Usage=60 * S, Cost=Decimal("0.5"))
    with pytest.raises(TollgateError, match="EventCost"):
        parse_event_cost("{not json")
    with pytest.raises(TollgateError, match="EventCost"):
        parse_event_cost({"Usage": "a lot"})


def test_refund_descriptor_names_balances_by_their_type() -> None:
    summary = [
        {"UUID": "m1", "ID": "test", "Type": "*monetary", "Value": 1, "Disabled": False},
        {"UUID": "v1", "ID": "BALANCE1", "Type": "*voice", "Value": 0, "Disabled": False},
    ]
    cc = call_cost(
        span("2024-01-02T10:00:00Z", "2024-01-02T10:00:20Z",
             [inc(S, "0", 10, VOICE), inc(S, "0.01", 10, VOICE_AND_MONEY),
              inc(S, "0.1", 1, None)], CompressFactor=2),
        summary=summary,
    )  # fmt: skip
    ec = event_cost_from_call_cost(cc, "cg", "run", 5)
    cd = refund_descriptor(ec, "*voice", 5)
    assert (cd["CgrID"], cd["RunID"], cd["ToR"]) == ("cg", "run", "*voice")
    assert cd["TimeStart"] == "2024-01-02T10:00:00Z"
    assert cd["DurationIndex"] == ec.Usage == 42 * S
    assert cd["TimeEnd"] == "2024-01-02T10:00:42Z"
    increments = cd["Increments"]
    assert len(increments) == 6  # 3 increments x the interval's CompressFactor 2
    voice, both, rated = increments[:3]
    assert voice["BalanceInfo"] == {
        "Unit": {"UUID": "v1"},
        "Monetary": None,
        "AccountID": "cgrates.org:1001",
    }
    assert both["BalanceInfo"]["Unit"] == {"UUID": "v1"}
    assert both["BalanceInfo"]["Monetary"] == {"UUID": "m1"}
    assert (both["Duration"], both["Cost"], both["CompressFactor"]) == (S, Decimal("0.01"), 10)
    assert rated["BalanceInfo"] is None


def test_refund_descriptor_without_summary_names_no_balance() -> None:
    ec = event_cost_from_call_cost(TUTORIAL_CALL, "c", "*default", 5)
    ec.AccountSummary = None
    cd = refund_descriptor(ec, "*voice", 5)
    assert all(i["BalanceInfo"]["Monetary"] is None for i in cd["Increments"])
