"""The rating numbers of conformance/cases.json on the real spec tariff plans, through the APIs."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tollgate.core.api import CallContext
from tollgate.core.errors import RatingPlanNotFoundError
from tollgate.core.wire import encode
from tollgate.rating import APIerSv1Costs, RALsV1, RatingData, RatingService, ResponderCosts
from tollgate.rating.args import (
    AttrGetCost,
    AttrGetDataCost,
    CallDescriptorArgs,
    RatingPlanCostArg,
)
from tollgate.rating.convert import convert_tariff_plan
from tollgate.rating.rounding import go_middle
from tollgate.rating.service import RatingSettings
from tollgate.tariffplans import read_folder

PLANS = Path(__file__).parents[4] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans"
if not PLANS.is_dir():
    PLANS = Path("/work/shared/spec/cgrates-v0.10/tariffplans")
CTX = CallContext()


def _service(name: str, decimals: int = 5) -> RatingService:
    tp = read_folder(PLANS / name)
    conv = convert_tariff_plan(
        tp.destinations,
        tp.timings,
        tp.rates,
        tp.destination_rates,
        tp.rating_plans,
        tp.rating_profiles,
    )
    data = RatingData()
    data.load(conv.destinations, conv.rating_plans, conv.rating_profiles)
    return RatingService(data, RatingSettings(rounding_decimals=decimals, default_timezone="UTC"))


def _wire(reply: object) -> dict:
    return json.loads(encode(reply))


pytestmark = pytest.mark.skipif(not PLANS.is_dir(), reason="spec tariff plans not available")


def test_tutorial_getcost_1001_1002_2m10s():
    api = APIerSv1Costs(_service("tutorial"))
    args = AttrGetCost(
        Tenant="cgrates.org",
        Category="call",
        Subject="1001",
        Destination="1002",
        AnswerTime="*now",
        Usage="2m10s",
    )
    ec = _wire(api.get_cost(args, CTX))
    assert ec["Cost"] == 0.7169
    assert ec["Usage"] == 130_000_000_000
    first = ec["Charges"][0]
    assert first["Increments"][0] == {
        "Usage": 0,
        "Cost": 0.4,
        "AccountingID": "",
        "CompressFactor": 1,
    }
    rating = ec["Rating"][first["RatingID"]]
    assert rating["ConnectFee"] == 0.4
    assert rating["RoundingMethod"] == "*up"
    assert ec["RatingFilters"][rating["RatingFiltersID"]] == {
        "Subject": "*out:cgrates.org:call:1001",
        "DestinationPrefix": "1002",
        "DestinationID": "DST_1002",
        "RatingPlanID": "RP_1001",
    }
    assert ec["Rates"][rating["RatesID"]][1] == {
        "GroupIntervalStart": 60_000_000_000,
        "Value": 0.1,
        "RateIncrement": 1_000_000_000,
        "RateUnit": 60_000_000_000,
    }
    assert list(ec) == [
        "CGRID",
        "RunID",
        "StartTime",
        "Usage",
        "Cost",
        "AccountSummary",
        "Charges",
        "Rating",
        "Accounting",
        "RatingFilters",
        "Rates",
        "Timings",
    ]


def test_tutorial_unauthorized_destination_is_wrapped():
    svc = _service("tutorial")
    args = AttrGetCost(Subject="1001", Destination="9999", AnswerTime="*now", Usage="1m")
    with pytest.raises(Exception, match=r"^SERVER_ERROR: UNAUTHORIZED_DESTINATION$"):
        APIerSv1Costs(svc).get_cost(args, CTX)
    cd = CallDescriptorArgs(
        Tenant="cgrates.org",
        Category="call",
        Subject="1001",
        Destination="9999",
        TimeStart="2024-01-01T00:00:00Z",
        TimeEnd="2024-01-01T00:01:00Z",
    )
    with pytest.raises(Exception, match=r"^UNAUTHORIZED_DESTINATION$"):
        ResponderCosts(svc).get_cost(cd, CTX)


def test_testtp_data_cost():
    api = APIerSv1Costs(_service("testtp"))
    dc = _wire(
        api.get_data_cost(
            AttrGetDataCost(
                Category="data",
                Tenant="cgrates.org",
                Subject="1001",
                AnswerTime="*now",
                Usage=640113,
            ),
            CTX,
        )
    )
    assert dc["Cost"] == 128.024
    assert dc["ToR"] == "*data"
    ec = _wire(
        api.get_cost(
            AttrGetCost(
                Category="data",
                Tenant="cgrates.org",
                Subject="1001",
                AnswerTime="*now",
                Usage="640113",
            ),
            CTX,
        )
    )
    assert ec["Cost"] == 128.024


def _responder(name: str, decimals: int = 6) -> ResponderCosts:
    return ResponderCosts(_service(name, decimals))


def test_smschrg1_sms():
    cc = _wire(
        _responder("smschrg1").get_cost(
            CallDescriptorArgs(
                Category="sms",
                Tenant="cgrates.org",
                Subject="12345",
                Account="12345",
                Destination="+4917621621391",
                TimeStart="2014-03-04T00:00:00Z",
                TimeEnd="2014-03-04T00:00:00.000000001Z",
                DurationIndex=1,
                ToR="*sms",
            ),
            CTX,
        )
    )
    assert cc["Cost"] == 0.005
    assert cc["Timespans"][0]["TimeEnd"] == "2014-03-04T00:00:00.000000001Z"
    assert list(cc) == [
        "Category",
        "Tenant",
        "Subject",
        "Account",
        "Destination",
        "ToR",
        "Cost",
        "RatedUsage",
        "AccountSummary",
        "Timespans",
    ]


def test_engine_csv_subject_and_any_missing():
    with pytest.raises(RatingPlanNotFoundError):
        _responder("engine_csv").get_cost(
            CallDescriptorArgs(
                Category="0",
                Tenant="cgrates.org",
                Subject="not_exiting",
                Destination="025740532",
                TimeStart="2013-02-01T17:30:00Z",
                TimeEnd="2013-02-01T18:30:00Z",
            ),
            CTX,
        )


@pytest.mark.parametrize(
    ("start", "index", "count"),
    [("2012-02-27T23:50:00Z", 66000000000000, 3), ("2012-02-27T09:50:00Z", 116400000000000, 4)],
)
def test_engine_csv_rating_plan_activation_changes(start, index, count):
    cc = _wire(
        _responder("engine_csv").get_cost(
            CallDescriptorArgs(
                Category="0",
                Tenant="CUSTOMER_1",
                Subject="rif:from:tm",
                Destination="49178",
                TimeStart=start,
                TimeEnd="2012-02-28T18:10:00Z",
                DurationIndex=index,
            ),
            CTX,
        )
    )
    spans = cc["Timespans"]
    assert len(spans) == count
    assert all(a["TimeEnd"] == b["TimeStart"] for a, b in itertools.pairwise(spans))
    assert spans[-1]["RatingPlanId"] == "STANDARD"


def test_engine_csv_dy_plan_up_rounding():
    cc = _wire(
        _responder("engine_csv").get_cost(
            CallDescriptorArgs(
                Category="call",
                Tenant="cgrates.org",
                Subject="dy",
                Account="dy",
                Destination="0723123113",
                TimeStart="2015-10-26T13:29:27Z",
                TimeEnd="2015-10-26T13:29:51Z",
            ),
            CTX,
        )
    )
    assert cc["Cost"] == 0.17


@pytest.mark.parametrize(
    ("end", "cost"), [("2014-03-04T06:00:01Z", 60), ("2014-03-04T06:01:05Z", 65)]
)
def test_engine_csv_data_any_destination(end, cost):
    cc = _wire(
        _responder("engine_csv").get_cost(
            CallDescriptorArgs(
                Category="data",
                Tenant="cgrates.org",
                Subject="rif",
                Destination="*any",
                TimeStart="2014-03-04T06:00:00Z",
                TimeEnd=end,
                ToR="*data",
            ),
            CTX,
        )
    )
    assert cc["Cost"] == cost


def test_rals_rating_plans_cost_tries_plans_in_order():
    api = RALsV1(_service("tutorial"))
    reply = _wire(
        api.get_rating_plans_cost(
            RatingPlanCostArg(
                RatingPlanIDs=["RP_1002", "RP_1001"],
                Destination="1002",
                SetupTime="2024-01-01T10:00:00Z",
                Usage="2m10s",
            ),
            CTX,
        )
    )
    assert reply["RatingPlanID"] == "RP_1001"
    assert reply["EventCost"]["Cost"] == 0.7169
    with pytest.raises(Exception, match=r"^MANDATORY_IE_MISSING: \[RatingPlanIDs Usage\]$"):
        api.get_rating_plans_cost(RatingPlanCostArg(Destination="1", SetupTime="*now"), CTX)


def test_quotient_ties_are_decided_as_cgrates_float64_decides_them() -> None:
    # 0.06667 / 2 is 0.033335 in decimal but 0.0333349999... in binary: CGRateS rounds down
    assert go_middle(0.06667 / 2, 5) == Decimal("0.03333")
    assert go_middle(0.125, 2) == Decimal("0.13")  # an exact binary tie rounds up
    assert go_middle(-0.125, 2) == Decimal("-0.13")  # Modf's negative fraction: floor
    assert go_middle(0.1 * 70 / 60, 5) == Decimal("0.11667")
    assert go_middle(2.0, 5) == Decimal(2)
