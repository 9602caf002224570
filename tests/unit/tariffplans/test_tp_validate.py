"""References: refused ones are errors, tolerated ones warnings; strict makes them errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tollgate.tariffplans import (
    BUILTIN_TIMINGS,
    TariffPlan,
    TariffPlanError,
    TPActionPlan,
    TPActionTiming,
    read_folder,
    validate,
)

WritePlan = Callable[[dict[str, str]], Path]

BASE = {
    "Destinations.csv": "DST_1,1001\n",
    "Timings.csv": "PEAK,*any,*any,*any,1;2;3;4;5,08:00:00\n",
    "Rates.csv": "RT_1,0,1,60s,1s,0\n",
    "DestinationRates.csv": "DR_1,DST_1,RT_1,*up,4,0,\nDR_ANY,*any,RT_1,*up,4,0,\n",
    "RatingPlans.csv": "RP_1,DR_1,PEAK,10\nRP_1,DR_ANY,*any,10\n",
    "RatingProfiles.csv": "cgrates.org,call,*any,,RP_1,\n",
    "SharedGroups.csv": "SG_1,*any,*lowest,\n",
    "Actions.csv": (
        "ACT_1,*topup,,,,*monetary,,DST_1;!DST_1,,SG_1,*unlimited,PEAK,10,10,false,false,10\n"
    ),
    "ActionPlans.csv": "AP_1,ACT_1,*asap,10\nAP_1,ACT_1,PEAK,10\n",
    "ActionTriggers.csv": "AT_1,,*min_balance,2,false,0,,,,*monetary,,DST_1,,SG_1,,,,,,ACT_1,10\n",
    "AccountActions.csv": "cgrates.org,1001,AP_1,AT_1,,\n",
}


def test_a_complete_plan_has_no_warnings(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan(BASE))
    assert plan.warnings == []
    assert validate(plan) == []
    assert validate(plan, strict=True) == []


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("DestinationRates.csv", "DR_1,DST_X,RT_1,*up,4,0,\nDR_ANY,*any,RT_1,,,,\n",
         'DestinationRates.csv:1:2: DestinationId "DST_X" not found in Destinations.csv'),
        ("DestinationRates.csv", "DR_1,DST_1,RT_X,*up,4,0,\nDR_ANY,*any,RT_1,,,,\n",
         'DestinationRates.csv:1:3: RatesTag "RT_X" not found in Rates.csv'),
        ("RatingPlans.csv", "RP_1,DR_1,PEAK,10\nRP_1,DR_X,*any,10\n",
         'RatingPlans.csv:2:2: DestinationRatesId "DR_X" not found in DestinationRates.csv'),
        ("RatingPlans.csv", "RP_1,DR_1,OFFPEAK,10\n",
         'RatingPlans.csv:1:3: TimingTag "OFFPEAK" not found in Timings.csv'),
        ("RatingProfiles.csv", "cgrates.org,call,*any,,RP_X,\n",
         'RatingProfiles.csv:1:5: RatingPlanId "RP_X" not found in RatingPlans.csv'),
        ("ActionPlans.csv", "AP_1,ACT_X,*asap,10\n",
         'ActionPlans.csv:1:2: ActionsId "ACT_X" not found in Actions.csv'),
        ("ActionPlans.csv", "AP_1,ACT_1,NIGHT,10\n",
         'ActionPlans.csv:1:3: TimingId "NIGHT" not found in Timings.csv'),
        ("Actions.csv", "ACT_1,*topup,,,,*monetary,,,,,,NIGHT,10\n",
         'Actions.csv:1:12: TimingIds "NIGHT" not found in Timings.csv'),
        ("AccountActions.csv", "cgrates.org,1001,AP_X,,,\n",
         'AccountActions.csv:1:3: ActionPlanId "AP_X" not found in ActionPlans.csv'),
        ("AccountActions.csv", "cgrates.org,1001,,AT_X,,\n",
         'AccountActions.csv:1:4: ActionTriggersId "AT_X" not found in ActionTriggers.csv'),
    ],
)  # fmt: skip
def test_references_cgrates_refuses_are_errors(
    write_plan: WritePlan, file: str, text: str, expected: str
) -> None:
    with pytest.raises(TariffPlanError) as info:
        read_folder(write_plan({**BASE, file: text}))
    assert info.value.errors == [expected]


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("ActionTriggers.csv", "AT_1,,*min_balance,2,false,0,,,,*monetary,,,,,,,,,,ACT_X,10\n",
         'ActionTriggers.csv:1:20: ActionsId "ACT_X" not found in Actions.csv'),
        ("ActionTriggers.csv", "AT_1,,*min_balance,2,false,0,,,,*monetary,,FS_USERS,,,,,,,,,10\n",
         'ActionTriggers.csv:1:12: BalanceDestinationIds "FS_USERS" not found in Destinations.csv'),
        ("Actions.csv", "ACT_1,*topup,,,,*monetary,,DST_1;!DST_NL,,,,,10\n",
         'Actions.csv:1:8: DestinationIds "DST_NL" not found in Destinations.csv'),
        ("Actions.csv", "ACT_1,*topup,,,,*monetary,,,,SG_X,,,10\n",
         'Actions.csv:1:10: SharedGroup "SG_X" not found in SharedGroups.csv'),
        ("Chargers.csv", "cgrates.org,CH,FLTR_X,,*default,ATTR_X,10\n",
         'Chargers.csv:1: FilterIDs "FLTR_X" of cgrates.org:CH not found in Filters.csv'),
        ("Thresholds.csv", "cgrates.org,TH,*string:~*req.A:1,,1,1,0,,,ACT_X,\n",
         'Thresholds.csv:1: ActionIDs "ACT_X" of cgrates.org:TH not found in Actions.csv'),
    ],
)  # fmt: skip
def test_references_cgrates_tolerates_are_warnings(
    write_plan: WritePlan, file: str, text: str, expected: str
) -> None:
    folder = write_plan({**BASE, file: text})
    plan = read_folder(folder)
    assert expected in plan.warnings
    with pytest.raises(TariffPlanError) as info:
        read_folder(folder, strict=True)
    assert expected in info.value.errors
    with pytest.raises(TariffPlanError):
        validate(plan, strict=True)
    assert expected in validate(plan)


def test_inline_filters_none_and_any_are_not_references(write_plan: WritePlan) -> None:
    files = {
        **BASE,
        "Chargers.csv": (
            "cgrates.org,CH,*string:~*req.Account:1001,,*raw,*constant:*req.RequestType:*none,0\n"
            "cgrates.org,CH2,,,*default,*none,0\n"
        ),
        "Resources.csv": "cgrates.org,R,*prefix:~*req.Account:100,,-1,7,,,true,,*none\n",
    }
    assert read_folder(write_plan(files)).warnings == []


def test_profile_references_are_tenant_scoped(write_plan: WritePlan) -> None:
    files = {
        "Filters.csv": "cgrates.org,FLTR_1,*string,~*req.A,1,\n",
        "Stats.csv": "cgrates.net,S,FLTR_1,,,,,*tcc,,,,,\n",
    }
    plan = read_folder(write_plan(files))
    assert plan.warnings == [
        'Stats.csv:1: FilterIDs "FLTR_1" of cgrates.net:S not found in Filters.csv'
    ]


@pytest.mark.parametrize("timing", sorted(BUILTIN_TIMINGS))
def test_builtin_timings_need_no_timings_file(write_plan: WritePlan, timing: str) -> None:
    files = {**BASE, "ActionPlans.csv": f"AP_1,ACT_1,{timing},10\n"}
    del files["Timings.csv"]
    files["RatingPlans.csv"] = "RP_1,DR_ANY,*any,10\n"
    files["Actions.csv"] = "ACT_1,*topup,,,,*monetary,,,,,,,10\n"
    assert read_folder(write_plan(files)).warnings == []


def test_validate_works_on_a_plan_built_without_files() -> None:
    plan = TariffPlan(
        action_plans=[
            TPActionPlan(ID="AP", ActionPlan=[TPActionTiming(ActionsId="A", TimingId="*asap")])
        ]
    )
    with pytest.raises(TariffPlanError) as info:
        validate(plan)
    assert info.value.errors == ['ActionPlans.csv: ActionsId "A" not found in Actions.csv']
