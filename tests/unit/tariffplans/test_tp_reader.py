"""The CSV rules of the folder reader: comments, padding, lists, numbers, durations, times."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tollgate.tariffplans import (
    FILE_NAMES,
    RateSlot,
    TariffPlanError,
    TPActivationInterval,
    TPDispatcherHostConn,
    TPDispatcherHostProfile,
    read_folder,
    validate,
)

WritePlan = Callable[[dict[str, str]], Path]

RATING = {
    "Destinations.csv": "#Id,Prefix\nDST_1,1001\nDST_1,1002\n",
    "Rates.csv": "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"
    "RT_1,0.1,0.2,60s,1s,0s\n",
    "DestinationRates.csv": "DR_1,DST_1,RT_1,*up,4,0,\n",
    "RatingPlans.csv": "RP_1,DR_1,*any,10\n",
    "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-14T00:00:00Z,RP_1,\n",
}


def test_missing_files_give_empty_lists(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan({}))
    assert plan.counts() == dict.fromkeys(FILE_NAMES.values(), 0)
    assert plan.destinations == []
    assert plan.dispatcher_hosts == []
    assert plan.warnings == []


def test_comments_blank_lines_and_comment_rows_with_trailing_cells(write_plan: WritePlan) -> None:
    text = "#Id,Prefix\n\n# a comment,,,\n  # indented comment\nDST_1,1001\n,\n\nDST_2,2\n"
    plan = read_folder(write_plan({"Destinations.csv": text}))
    assert [(d.ID, d.Prefixes) for d in plan.destinations] == [
        ("DST_1", ["1001"]),
        ("DST_2", ["2"]),
    ]
    assert plan.counts()["Destinations.csv"] == 2


def test_rows_sharing_an_id_accumulate_in_file_order(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan({**RATING, "Rates.csv": "RT_1,0.2,0.1,60s,60s,0s\n"
                                   "RT_2,0,1,1s,1s,0\nRT_1,0,0.05,60s,1s,60s\n"}))  # fmt: skip
    assert [r.ID for r in plan.rates] == ["RT_1", "RT_2"]
    assert plan.rates[0].RateSlots == [
        RateSlot(ConnectFee=Decimal("0.2"), Rate=Decimal("0.1"), RateUnit="60s",
                 RateIncrement="60s", GroupIntervalStart="0s"),
        RateSlot(Rate=Decimal("0.05"), RateUnit="60s", RateIncrement="1s",
                 GroupIntervalStart="60s"),
    ]  # fmt: skip


def test_short_rows_are_padded_and_empty_numbers_are_zero(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan({**RATING, "DestinationRates.csv": "DR_1,DST_1,RT_1\n"}))
    (item,) = plan.destination_rates[0].DestinationRates
    assert (item.RoundingMethod, item.RoundingDecimals, item.MaxCost) == ("", 0, Decimal(0))
    assert item.MaxCostStrategy == ""


def test_extra_empty_cells_are_tolerated(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan({"Destinations.csv": "DST_1,1001,,,\n"}))
    assert plan.destinations[0].Prefixes == ["1001"]


def test_durations_go_syntax_and_bare_nanoseconds(write_plan: WritePlan) -> None:
    rates = "RT_1,0,1,1m,0.5s,1m30s\nRT_1,0,1,1,1,0\nRT_1,0,1,1h,100ms,60000000000\n"
    plan = read_folder(write_plan({**RATING, "Rates.csv": rates}))
    slots = plan.rates[0].RateSlots
    assert [(s.RateUnit, s.RateIncrement, s.GroupIntervalStart) for s in slots] == [
        ("1m", "0.5s", "1m30s"), ("1", "1", "0"), ("1h", "100ms", "60000000000"),
    ]  # fmt: skip


def test_semicolon_lists_and_any(write_plan: WritePlan) -> None:
    files = {
        "Timings.csv": "WD,*any,*any,*any,1;2;3;4;5,08:00:00\nASAP,*any,*any,*any,*any,*asap\n",
        "Thresholds.csv": "cgrates.org,TH,FLTR_A;FLTR_B,,1,1,1s,false,10,ACT_A; ACT_B,true\n",
        "Filters.csv": "cgrates.org,FLTR_A,*string,~*req.Account,1001;1002,\n"
        "cgrates.org,FLTR_B,*prefix,~*req.Destination,10,\n",
        "Actions.csv": "ACT_A,*log\nACT_B,*log\n",
    }
    plan = read_folder(write_plan(files))
    assert plan.timings[0].WeekDays == "1;2;3;4;5"
    assert plan.timings[1].Time == "*asap"
    thd = plan.thresholds[0]
    assert (thd.FilterIDs, thd.ActionIDs, thd.Async, thd.Blocker) == (
        ["FLTR_A", "FLTR_B"], ["ACT_A", "ACT_B"], True, False,
    )  # fmt: skip
    assert plan.filters[0].Filters[0].Values == ["1001", "1002"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("", False), ("false", False), ("true", True), ("TRUE", True), ("1", True), ("f", False)],
)
def test_booleans(write_plan: WritePlan, cell: str, expected: bool) -> None:
    plan = read_folder(write_plan({"AccountActions.csv": f"cgrates.org,1001,,,{cell},\n"}))
    assert plan.account_actions[0].AllowNegative is expected


@pytest.mark.parametrize(
    "cell", ["", "*asap", "2014-01-14T00:00:00Z", "2014-01-14T00:00:00+02:00", "2014-01-14"]
)
def test_activation_times(write_plan: WritePlan, cell: str) -> None:
    profiles = f"cgrates.org,call,*any,{cell},RP_1,\n"
    plan = read_folder(write_plan({**RATING, "RatingProfiles.csv": profiles}))
    assert plan.rating_profiles[0].RatingPlanActivations[0].ActivationTime == cell


def test_profile_rows_merge_by_tenant_and_id_even_when_not_consecutive(
    write_plan: WritePlan,
) -> None:
    chargers = (
        "cgrates.org,CH,*string:~*req.Account:1001,2014-07-29T15:00:00Z;2015-01-01T00:00:00Z,"
        "*default,ATTR_A,10\n"
        "cgrates.org,OTHER,,,*raw,*none,0\n"
        "cgrates.org,CH,*string:~*req.Account:1001;FLTR_X,,,ATTR_B,\n"
        "cgrates.net,CH,,,*raw,,\n"
    )
    filters = "cgrates.org,FLTR_X,*string,~*req.A,1,\n"
    attributes = (
        "cgrates.org,ATTR_A,*any,,,,*req.X,*constant,1,,\n"
        "cgrates.org,ATTR_B,*any,,,,*req.Y,*constant,1,,\n"
    )
    plan = read_folder(
        write_plan({"Chargers.csv": chargers, "Filters.csv": filters, "Attributes.csv": attributes})
    )
    assert [c.tenant_id for c in plan.chargers] == [
        "cgrates.org:CH",
        "cgrates.org:OTHER",
        "cgrates.net:CH",
    ]
    charger = plan.chargers[0]
    assert charger.FilterIDs == ["*string:~*req.Account:1001", "FLTR_X"]
    assert charger.AttributeIDs == ["ATTR_A", "ATTR_B"]
    assert (charger.RunID, charger.Weight) == ("*default", Decimal(10))
    assert charger.ActivationInterval == TPActivationInterval(
        ActivationTime="2014-07-29T15:00:00Z", ExpiryTime="2015-01-01T00:00:00Z"
    )
    assert plan.warnings == []


def test_a_later_non_zero_scalar_overrides_with_a_warning(write_plan: WritePlan) -> None:
    chargers = "cgrates.org,CH,,,*default,,10\ncgrates.org,CH,,,,,20\ncgrates.org,CH,,,,,0\n"
    plan = read_folder(write_plan({"Chargers.csv": chargers}))
    assert plan.chargers[0].Weight == Decimal(20)
    expected = ['Chargers.csv:2:7: Weight "20" of cgrates.org:CH overrides "10" from line 1']
    assert plan.warnings == expected
    assert validate(plan) == expected
    with pytest.raises(TariffPlanError):
        validate(plan, strict=True)


def test_dispatcher_profiles_and_hosts(write_plan: WritePlan) -> None:
    profiles = (
        "#Tenant,ID,Subsystems,FilterIDs,ActivationInterval,Strategy,StrategyParameters,"
        "ConnID,ConnFilterIDs,ConnWeight,ConnBlocker,ConnParameters,Weight\n"
        "cgrates.org,D1,*any,,,*weight,,ALL,,20,false,*ratio:1,20\n"
        "cgrates.org,D1,*sessions,,,,,ALL2,,10,true,,\n"
    )
    hosts = "cgrates.org,ALL,127.0.0.1:2012,,false\ncgrates.org,ALL,127.0.0.1:2013,*gob,true\n"
    plan = read_folder(
        write_plan({"DispatcherProfiles.csv": profiles, "DispatcherHosts.csv": hosts})
    )
    dsp = plan.dispatcher_profiles[0]
    assert (dsp.Subsystems, dsp.Strategy, dsp.Weight) == (
        ["*any", "*sessions"],
        "*weight",
        Decimal(20),
    )
    assert dsp.Hosts == [
        TPDispatcherHostProfile(ID="ALL", Weight=Decimal(20), Params=["*ratio:1"]),
        TPDispatcherHostProfile(ID="ALL2", Weight=Decimal(10), Blocker=True),
    ]
    assert plan.dispatcher_hosts[0].Conns == [
        TPDispatcherHostConn(Address="127.0.0.1:2012", Transport="*json"),
        TPDispatcherHostConn(Address="127.0.0.1:2013", Transport="*gob", TLS=True),
    ]


def test_field_separator_and_byte_order_mark(write_plan: WritePlan) -> None:
    folder = write_plan({})
    (folder / "Destinations.csv").write_bytes("\ufeff#Id\tPrefix\nDST_1\t1001\n".encode())
    plan = read_folder(folder, field_separator="\t")
    assert plan.destinations[0].Prefixes == ["1001"]


def test_tpid_is_set_on_every_structure(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan(RATING), tpid="TP1")
    assert {plan.rates[0].TPid, plan.rating_profiles[0].TPid, plan.destinations[0].TPid} == {"TP1"}


def test_quoted_cells_keep_commas_and_json(write_plan: WritePlan) -> None:
    actions = 'A1,*cdrlog,"{""Category"":""^ddi"",""RunID"":""x""}",,,,,,,,,,,,false,false,10\n'
    plan = read_folder(write_plan({"Actions.csv": actions}))
    assert plan.actions[0].Actions[0].ExtraParameters == '{"Category":"^ddi","RunID":"x"}'


def test_a_plan_that_fails_returns_nothing(write_plan: WritePlan) -> None:
    with pytest.raises(TariffPlanError):
        read_folder(write_plan({**RATING, "Rates.csv": "RT_1,0,1,bad,1s,0\n"}))
