"""Administering rating objects over the API, as a provisioning script does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "data" / "tariffplans" / "tutorial"


@pytest.fixture
def tutorial(tmp_path: Path) -> Iterator[EngineProcess]:
    """An engine with the tutorial plan loaded at start."""
    proc = EngineProcess.prepare(tmp_path / "engine").start("-load_tariffplan", str(TUTORIAL))
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def _cost(port: int, subject: str, destination: str, usage: str = "1m") -> Any:
    return rpc(
        port,
        "APIerSv1.GetCost",
        {
            "Tenant": "cgrates.org",
            "Category": "call",
            "Subject": subject,
            "Destination": destination,
            "AnswerTime": "2024-01-01T10:00:00Z",
            "Usage": usage,
        },
    )


# -- destinations ---------------------------------------------------------------------------


def test_a_new_destination_prefix_is_rated_at_once(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    with pytest.raises(RpcError, match=r"UNAUTHORIZED_DESTINATION"):
        _cost(port, "1001", "55521234")
    # DST_1002 is rated by RP_1001; give it a second prefix
    reply = rpc(
        port,
        "APIerSv1.SetDestination",
        {"Id": "DST_1002", "Prefixes": ["1002", "5552"], "Overwrite": True},
    )
    assert reply == "OK"
    assert _cost(port, "1001", "55521234")["Cost"] == _cost(port, "1001", "1002")["Cost"]
    assert rpc(port, "APIerSv1.GetDestination", "DST_1002") == {
        "Id": "DST_1002",
        "Prefixes": ["1002", "5552"],
    }
    assert rpc(port, "APIerSv1.GetReverseDestination", "5552") == ["DST_1002"]


def test_destination_errors_and_listing(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[Id Prefixes\]$"):
        rpc(port, "APIerSv1.SetDestination", {})
    with pytest.raises(RpcError, match=r"^EXISTS$"):
        rpc(port, "APIerSv1.SetDestination", {"Id": "DST_1002", "Prefixes": ["9"]})
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetDestination", "NOPE")
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetReverseDestination", "555")
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[prefix\]$"):
        rpc(port, "APIerSv1.GetReverseDestination", "")
    everything = rpc(port, "APIerSv2.GetDestinations", {"DestinationIDs": []})
    assert {d["Id"] for d in everything} == {"DST_1001", "DST_1002", "DST_1003", "DST_FS"}
    two = rpc(port, "APIerSv2.GetDestinations", {"DestinationIDs": ["DST_FS", "DST_1001"]})
    assert two == [{"Id": "DST_FS", "Prefixes": ["10"]}, {"Id": "DST_1001", "Prefixes": ["1001"]}]
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv2.GetDestinations", {"DestinationIDs": ["NOPE"]})
    assert rpc(port, "APIerSv1.ComputeReverseDestinations", "") == "OK"


# -- rating plans ---------------------------------------------------------------------------


def test_get_rating_plan_has_cgrates_shape(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    plan = rpc(port, "APIerSv1.GetRatingPlan", "RP_1001")
    assert plan["Id"] == "RP_1001"
    assert set(plan) == {"Id", "Timings", "Ratings", "DestinationRates"}
    assert set(plan["DestinationRates"]) == {"DST_1002", "DST_1003"}
    [binding] = plan["DestinationRates"]["DST_1002"]
    assert binding["Weight"] == 10
    assert plan["Timings"][binding["Timing"]] == {
        "Years": [],
        "Months": [],
        "MonthDays": [],
        "WeekDays": [],
        "StartTime": "00:00:00",
        "EndTime": "",
    }
    rating = plan["Ratings"][binding["Rating"]]
    assert rating["RoundingMethod"] == "*up"
    assert rating["RoundingDecimals"] == 4
    assert rating["Rates"] == [
        {"GroupIntervalStart": 0, "Value": 0.2, "RateIncrement": 60_000_000_000,
         "RateUnit": 60_000_000_000},
        {"GroupIntervalStart": 60_000_000_000, "Value": 0.1, "RateIncrement": 1_000_000_000,
         "RateUnit": 60_000_000_000},
    ]  # fmt: skip
    disc = plan["Ratings"][plan["DestinationRates"]["DST_1003"][0]["Rating"]]
    assert disc["MaxCost"] == 0.12
    assert disc["MaxCostStrategy"] == "*disconnect"
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingPlan", "RP_NOPE")


def test_remove_rating_plan(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[ID\]$"):
        rpc(port, "APIerSv1.RemoveRatingPlan", "")
    # RP_1002_LOW is loaded but no profile activates it
    assert rpc(port, "APIerSv1.RemoveRatingPlan", "RP_1002_LOW") == "OK"
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingPlan", "RP_1002_LOW")
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.RemoveRatingPlan", "RP_1002_LOW")
    # RP_1001 is still activated by 1001's profile: removing it would leave a dangling id
    with pytest.raises(RpcError, match=r"^BROKEN_REFERENCE"):
        rpc(port, "APIerSv1.RemoveRatingPlan", "RP_1001")
    assert rpc(port, "APIerSv1.GetRatingPlan", "RP_1001")["Id"] == "RP_1001"
    assert _cost(port, "1001", "1002")["Cost"] > 0


# -- rating profiles ------------------------------------------------------------------------


def test_set_rating_profile_errors_match_cgrates(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    with pytest.raises(
        RpcError, match=r"^MANDATORY_IE_MISSING: \[Tenant Subject RatingPlanActivations\]$"
    ):
        rpc(port, "APIerSv1.SetRatingProfile", {})
    base = {"Tenant": "cgrates.org", "Category": "call", "Subject": "2001"}
    with pytest.raises(
        RpcError, match=r"^MANDATORY_IE_MISSING:RatingPlanActivation:\[ActivationTime\]$"
    ):
        rpc(
            port,
            "APIerSv1.SetRatingProfile",
            {**base, "RatingPlanActivations": [{"RatingPlanId": "RP_1001"}]},
        )
    with pytest.raises(
        RpcError,
        match=r"^MANDATORY_IE_MISSING:RatingPlanActivation:\[ActivationTime RatingPlanId\]$",
    ):
        rpc(port, "APIerSv1.SetRatingProfile", {**base, "RatingPlanActivations": [{}]})
    with pytest.raises(RpcError, match=r"^NOT_FOUND:RatingPlanId:RP_NOPE$"):
        rpc(
            port,
            "APIerSv1.SetRatingProfile",
            {
                **base,
                "RatingPlanActivations": [
                    {"ActivationTime": "2014-01-01T00:00:00Z", "RatingPlanId": "RP_NOPE"}
                ],
            },
        )
    with pytest.raises(RpcError, match=r"^SERVER_ERROR:Cannot parse activation time from x$"):
        rpc(
            port,
            "APIerSv1.SetRatingProfile",
            {**base, "RatingPlanActivations": [{"ActivationTime": "x", "RatingPlanId": "RP_1001"}]},
        )
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingProfile", base)


def test_set_rating_profile_rates_the_new_subject(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    base = {"Tenant": "cgrates.org", "Category": "call", "Subject": "2001"}
    act = {"ActivationTime": "2014-01-14T00:00:00Z", "RatingPlanId": "RP_1003"}
    assert rpc(port, "APIerSv1.SetRatingProfile", {**base, "RatingPlanActivations": [act]}) == "OK"
    assert _cost(port, "2001", "1001", "2m")["Cost"] == _cost(port, "1003", "1001", "2m")["Cost"]
    assert rpc(port, "APIerSv1.GetRatingProfile", base) == {
        "Id": "*out:cgrates.org:call:2001",
        "RatingPlanActivations": [
            {
                "ActivationTime": "2014-01-14T00:00:00Z",
                "RatingPlanId": "RP_1003",
                "FallbackKeys": None,
            }
        ],
    }
    # without Overwrite the activation is added; with it, the list is replaced
    later = {"ActivationTime": "2015-01-01T00:00:00Z", "RatingPlanId": "RP_1001",
             "FallbackSubjects": "1001;1002"}  # fmt: skip
    rpc(port, "APIerSv1.SetRatingProfile", {**base, "RatingPlanActivations": [later]})
    acts = rpc(port, "APIerSv1.GetRatingProfile", base)["RatingPlanActivations"]
    assert [a["RatingPlanId"] for a in acts] == ["RP_1003", "RP_1001"]
    assert acts[1]["FallbackKeys"] == ["*out:cgrates.org:call:1001", "*out:cgrates.org:call:1002"]
    rpc(
        port,
        "APIerSv1.SetRatingProfile",
        {**base, "Overwrite": True, "RatingPlanActivations": [later]},
    )
    acts = rpc(port, "APIerSv1.GetRatingProfile", base)["RatingPlanActivations"]
    assert [a["RatingPlanId"] for a in acts] == ["RP_1001"]
    ids = rpc(port, "APIerSv1.GetRatingProfileIDs", {"Tenant": "cgrates.org"})
    assert sorted(ids) == ["call:1001", "call:1002", "call:1003", "call:2001", "sms:*any"]
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[Tenant\]$"):
        rpc(port, "APIerSv1.GetRatingProfileIDs", {})


def test_remove_rating_profile(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING$"):
        rpc(port, "APIerSv1.RemoveRatingProfile", {"Subject": "1001"})
    args = {"Tenant": "cgrates.org", "Category": "call", "Subject": "1001"}
    assert rpc(port, "APIerSv1.RemoveRatingProfile", args) == "OK"
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingProfile", args)
    with pytest.raises(RpcError, match=r"RATING_PLAN_NOT_FOUND"):
        _cost(port, "1001", "1002")
    # a tenant and category alone remove every subject under them
    rm = {"Tenant": "cgrates.org", "Category": "call"}
    assert rpc(port, "APIerSv1.RemoveRatingProfile", rm) == "OK"
    assert rpc(port, "APIerSv1.GetRatingProfileIDs", {"Tenant": "cgrates.org"}) == ["sms:*any"]


def test_changes_survive_a_restart(tutorial: EngineProcess) -> None:
    port = tutorial.ports["rpc_json"]
    rpc(port, "APIerSv1.SetDestination", {"Id": "DST_NEW", "Prefixes": ["4420"]})
    act = {"ActivationTime": "2014-01-14T00:00:00Z", "RatingPlanId": "RP_1002"}
    rpc(
        port,
        "APIerSv1.SetRatingProfile",
        {"Tenant": "cgrates.org", "Category": "call", "Subject": "3001",
         "RatingPlanActivations": [act]},
    )  # fmt: skip
    rpc(port, "APIerSv1.RemoveRatingPlan", "RP_1002_LOW")
    cost = _cost(port, "3001", "1001")["Cost"]
    assert tutorial.stop() == 0
    tutorial.start()
    assert rpc(port, "APIerSv1.GetDestination", "DST_NEW")["Prefixes"] == ["4420"]
    assert rpc(port, "APIerSv1.GetReverseDestination", "4420") == ["DST_NEW"]
    assert _cost(port, "3001", "1001")["Cost"] == cost
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingPlan", "RP_1002_LOW")


# -- StorDB tariff plans --------------------------------------------------------------------

TP_ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("Destination", {"TPid": "TP1", "ID": "DST_UK", "Prefixes": ["44", "4420"]}),
    ("Timing", {"TPid": "TP1", "ID": "PEAK", "Years": "*any", "Months": "*any",
                "MonthDays": "*any", "WeekDays": "1;2;3;4;5", "Time": "08:00:00"}),
    ("Rate", {"TPid": "TP1", "ID": "RT_UK", "RateSlots": [
        {"ConnectFee": 0.5, "Rate": 0.3, "RateUnit": "60s", "RateIncrement": "60s",
         "GroupIntervalStart": "0s"}]}),
    ("DestinationRate", {"TPid": "TP1", "ID": "DR_UK", "DestinationRates": [
        {"DestinationId": "DST_UK", "RateId": "RT_UK", "Rate": None, "RoundingMethod": "*up",
         "RoundingDecimals": 4, "MaxCost": 0, "MaxCostStrategy": ""}]}),
    ("RatingPlan", {"TPid": "TP1", "ID": "RP_UK", "RatingPlanBindings": [
        {"DestinationRatesId": "DR_UK", "TimingId": "*any", "Weight": 10}]}),
]  # fmt: skip
IDS_METHOD = {
    "Destination": "GetTPDestinationIDs",
    "Timing": "GetTPTimingIds",
    "Rate": "GetTPRateIds",
    "DestinationRate": "GetTPDestinationRateIds",
    "RatingPlan": "GetTPRatingPlanIds",
}


def test_tp_items_round_trip_through_the_stordb(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    for kind, item in TP_ITEMS:
        assert rpc(port, f"APIerSv1.SetTP{kind}", item) == "OK"
        assert rpc(port, f"APIerSv1.GetTP{kind}", {"TPid": "TP1", "ID": item["ID"]}) == item
        assert rpc(port, f"APIerSv1.{IDS_METHOD[kind]}", {"TPid": "TP1"}) == [item["ID"]]
        with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[TPid ID\]$"):
            rpc(port, f"APIerSv1.GetTP{kind}", {})
        with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
            rpc(port, f"APIerSv1.GetTP{kind}", {"TPid": "TP2", "ID": item["ID"]})
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[TPid ID Prefixes\]$"):
        rpc(port, "APIerSv1.SetTPDestination", {})
    assert (
        rpc(port, "APIerSv2.GetTPDestination", {"TPid": "TP1", "Tag": "DST_UK"}) == TP_ITEMS[0][1]
    )
    profile = {"TPid": "TP1", "LoadId": "L1", "Tenant": "cgrates.org", "Category": "call",
               "Subject": "4001", "RatingPlanActivations": [
                   {"ActivationTime": "2014-01-14T00:00:00Z", "RatingPlanId": "RP_UK",
                    "FallbackSubjects": ""}]}  # fmt: skip
    assert rpc(port, "APIerSv1.SetTPRatingProfile", profile) == "OK"
    pid = "L1:cgrates.org:call:4001"
    got = rpc(port, "APIerSv1.GetTPRatingProfile", {"TPid": "TP1", "RatingProfileID": pid})
    assert got == profile
    assert rpc(port, "APIerSv1.GetTPRatingProfileIds", {"TPid": "TP1"}) == [pid]
    assert rpc(port, "APIerSv1.GetTPRatingProfileLoadIds", {"TPid": "TP1"}) == ["L1"]
    by_load = rpc(port, "APIerSv1.GetTPRatingProfilesByLoadID", {"TPid": "TP1", "LoadId": "L1"})
    assert by_load == [profile]
    with pytest.raises(RpcError, match=r"^Wrong TPRatingProfileId: x$"):
        rpc(port, "APIerSv1.GetTPRatingProfile", {"TPid": "TP1", "RatingProfileID": "x"})

    # load the plan, then the profile, into the DataDB: GetCost rates the new subject
    with pytest.raises(RpcError, match=r"could not load rating plans for tag: RP_UK"):
        rpc(port, "APIerSv1.LoadRatingProfile", {"TPid": "TP1", "LoadId": "L1"})
    assert rpc(port, "APIerSv1.LoadRatingPlan", {"TPid": "TP1", "RatingPlanId": "RP_UK"}) == "OK"
    assert rpc(port, "APIerSv1.GetRatingPlan", "RP_UK")["Id"] == "RP_UK"
    assert rpc(port, "APIerSv1.LoadRatingProfile", {"TPid": "TP1", "LoadId": "L1"}) == "OK"
    assert _cost(port, "4001", "442071234567", "1m")["Cost"] == 0.8
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.LoadRatingPlan", {"TPid": "TP1", "RatingPlanId": "RP_NOPE"})
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[TPid\]$"):
        rpc(port, "APIerSv1.LoadRatingPlan", {})

    for kind, item in TP_ITEMS:
        assert rpc(port, f"APIerSv1.RemoveTP{kind}", {"TPid": "TP1", "ID": item["ID"]}) == "OK"
        with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
            rpc(port, f"APIerSv1.{IDS_METHOD[kind]}", {"TPid": "TP1"})
    rpc(port, "APIerSv1.RemoveTPRatingProfile", {"TPid": "TP1", "RatingProfileID": pid})
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetTPRatingProfileIds", {"TPid": "TP1"})
