"""Every tariff plan of the specification reads, with the numbers its files hold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tollgate.tariffplans import (
    MetricWithFilters,
    TPActivationInterval,
    TPAttribute,
    TPFilter,
    TPSupplier,
    read_folder,
    validate,
)

SPEC = Path(__file__).parents[4] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans"
PLANS = sorted(p.name for p in SPEC.iterdir() if p.is_dir()) if SPEC.is_dir() else []
# Plans whose dangling references CGRateS tolerates (reported as warnings, see validate.py)
WITH_WARNINGS = {"engine_csv", "oldtutorial", "testit", "testtp", "tutorial", "tutorial2"}

pytestmark = pytest.mark.skipif(not PLANS, reason="specification tariff plans not available")


def test_all_thirteen_plans_are_present() -> None:
    assert len(PLANS) == 13


@pytest.mark.parametrize("name", PLANS)
def test_spec_plan_reads_without_errors(name: str) -> None:
    plan = read_folder(SPEC / name, tpid=name)
    assert sum(plan.counts().values()) > 0
    assert bool(plan.warnings) == (name in WITH_WARNINGS), plan.warnings
    assert validate(plan) == plan.warnings
    assert all(d.TPid == name for d in plan.destination_rates)


def test_tutorial_counts_match_the_files() -> None:
    plan = read_folder(SPEC / "tutorial")
    counts = plan.counts()
    assert counts["Destinations.csv"] == 4
    assert counts["Rates.csv"] == 9
    assert counts["RatingProfiles.csv"] == 4
    assert counts["Timings.csv"] == 0  # no Timings.csv: *any is built in
    assert counts["Attributes.csv"] == 23
    assert [d.ID for d in plan.destinations] == ["DST_1002", "DST_1001", "DST_FS", "DST_1003"]
    assert [r.ID for r in plan.rates] == [
        "RT_10CNT", "RT_20CNT", "RT_40CNT", "RT_1CNT", "RT_1CNT_PER_SEC", "RT_SMS",
    ]  # fmt: skip
    assert len(plan.rates[0].RateSlots) == 2
    sms = plan.rates[-1].RateSlots[0]
    assert (sms.Rate, sms.RateUnit, sms.RateIncrement) == (Decimal("0.01"), "1", "1")
    assert [p.key for p in plan.rating_profiles] == [
        "*out:cgrates.org:call:1001", "*out:cgrates.org:call:1002",
        "*out:cgrates.org:call:1003", "*out:cgrates.org:sms:*any",
    ]  # fmt: skip
    assert len(plan.rating_plans) == 5  # RP_1001 has two bindings
    assert plan.destination_rates[2].DestinationRates[0].MaxCost == Decimal("0.12")
    assert len(plan.attributes) == 10
    assert len(plan.suppliers) == 3
    assert [a.Account for a in plan.account_actions] == ["1001", "1002", "1003"]


def test_tutorial_attribute_rows_continue_the_profile() -> None:
    plan = read_folder(SPEC / "tutorial")
    auth = next(a for a in plan.attributes if a.ID == "ATTR_1002_SESSIONAUTH")
    assert auth.Contexts == ["*sessions"]
    assert auth.FilterIDs == ["*string:~*req.Account:1002"]
    assert auth.Weight == Decimal(10)
    assert [a.Path for a in auth.Attributes] == [
        "*req.Password", "*req.RequestType", "*req.PaypalAccount", "*req.LCRProfile",
        "ResourceAllocation",
    ]  # fmt: skip
    assert auth.Attributes[-1].Value == "ResGroup1"  # the quoted cell


def test_engine_csv_profiles_merge_like_cgrates() -> None:
    plan = read_folder(SPEC / "engine_csv")
    (attr,) = plan.attributes
    assert attr.Contexts == ["con1", "con2", "con3"]
    assert attr.ActivationInterval == TPActivationInterval(ActivationTime="2014-07-29T15:00:00Z")
    assert attr.Attributes == [
        TPAttribute(FilterIDs=["*string:~*req.Field1:Initial"], Path="*req.Field1",
                    Type="*variable", Value="Sub1"),
        TPAttribute(Path="*req.Field2", Type="*variable", Value="Sub2"),
    ]  # fmt: skip
    (spp,) = plan.suppliers
    assert spp.Suppliers == [
        TPSupplier(
            ID="supplier1",
            FilterIDs=["FLTR_ACNT_dan", "FLTR_DST_DE"],
            AccountIDs=["Account1", "Account1_1", "Account2"],
            RatingPlanIDs=["RPL_1", "RPL_2", "RPL_3"],
            ResourceIDs=["ResGroup1", "ResGroup2", "ResGroup3", "ResGroup4"],
            StatIDs=["Stat1", "Stat2", "Stat3"],
            Weight=Decimal(10),
            Blocker=True,
            SupplierParameters="param1",
        )
    ]
    stats = plan.stats[0]
    assert stats.ID == "TestStats"
    assert [m.MetricID for m in stats.Metrics] == ["*sum:~Value", "*average:~Value", "*sum:~Usage"]
    assert (stats.QueueLength, stats.TTL, stats.MinItems) == (100, "1s", 2)
    assert stats.ThresholdIDs == ["Th1", "Th2"]
    fltr = plan.filters[0]
    assert fltr.Filters[2] == TPFilter(
        Type="*rsr", Values=["~*req.Subject(~^1.*1$)", "~*req.Destination(1002)"]
    )
    assert plan.thresholds[0].FilterIDs == [
        "*string:~*req.Account:1001", "*string:~*req.RunID:*default",
    ]  # fmt: skip
    assert plan.actions[-2].Actions[0].Units.startswith('{"Method"')  # VF's JSON formula
    assert plan.account_actions[10].AllowNegative is True


def test_stats_metric_filter_ids_apply_to_the_metrics_of_their_row() -> None:
    plan = read_folder(SPEC / "oldtutorial")
    assert plan.stats[0].Metrics[-1] == MetricWithFilters(
        MetricID="*pdd", FilterIDs=["*exists:~*req.PDD:"]
    )
    assert len(plan.stats[0].Metrics) == 8


def test_engine_csv_warnings_name_file_line_and_column() -> None:
    plan = read_folder(SPEC / "engine_csv")
    assert 'ActionTriggers.csv:2:20: ActionsId "SOME_1" not found in Actions.csv' in plan.warnings
    assert (
        'ActionTriggers.csv:6:12: BalanceDestinationIds "FS_USERS" not found in Destinations.csv'
        in plan.warnings
    )
