"""The StorDB's rating ``tp_*`` tables on every backend: round trips, ids, removal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tollgate.storage.stordb import SQLStorDB
from tollgate.tariffplans import (
    ApierTPTiming,
    DestinationRate,
    RateSlot,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingActivation,
    TPRatingPlan,
    TPRatingPlanBinding,
    TPRatingProfile,
    read_folder,
)

TUTORIAL = Path(__file__).resolve().parents[3] / "data" / "tariffplans" / "tutorial"


async def test_destinations_round_trip_and_set_replaces(db: SQLStorDB) -> None:
    dst = TPDestination(TPid="TP1", ID="NAT", Prefixes=["0256", "0257", "0723"])
    await db.set_tp_destinations([dst, TPDestination(TPid="TP2", ID="NAT", Prefixes=["49"])])
    assert await db.get_tp_destinations("TP1", "NAT") == [dst]
    await db.set_tp_destinations([TPDestination(TPid="TP1", ID="NAT", Prefixes=["40"])])
    assert await db.get_tp_destinations("TP1") == [
        TPDestination(TPid="TP1", ID="NAT", Prefixes=["40"])
    ]
    assert (await db.get_tp_destinations("TP2"))[0].Prefixes == ["49"]
    assert await db.get_tp_destinations("TP1", "MISSING") == []


async def test_every_rating_type_round_trips_exactly(db: SQLStorDB) -> None:
    timing = ApierTPTiming(
        TPid="TP1", ID="PEAK", Years="*any", Months="*any", MonthDays="*any",
        WeekDays="1;2;3;4;5", Time="08:00:00",
    )  # fmt: skip
    rate = TPRate(
        TPid="TP1",
        ID="RT_1",
        RateSlots=[
            RateSlot(ConnectFee=Decimal("0.4"), Rate=Decimal("0.2"), RateUnit="60s",
                     RateIncrement="60s", GroupIntervalStart="0s"),
            RateSlot(ConnectFee=Decimal("0.4"), Rate=Decimal("0.0000001"), RateUnit="60s",
                     RateIncrement="1s", GroupIntervalStart="60s"),
        ],
    )  # fmt: skip
    drate = TPDestinationRate(
        TPid="TP1",
        ID="DR_1",
        DestinationRates=[
            DestinationRate(DestinationId="NAT", RateId="RT_1", RoundingMethod="*up",
                            RoundingDecimals=4, MaxCost=Decimal("0.12"),
                            MaxCostStrategy="*disconnect"),
        ],
    )  # fmt: skip
    plan = TPRatingPlan(
        TPid="TP1",
        ID="RP_1",
        RatingPlanBindings=[
            TPRatingPlanBinding(DestinationRatesId="DR_1", TimingId="PEAK", Weight=Decimal(10)),
            TPRatingPlanBinding(DestinationRatesId="DR_1", TimingId="*any", Weight=Decimal(5)),
        ],
    )
    profile = TPRatingProfile(
        TPid="TP1",
        LoadId="L1",
        Tenant="cgrates.org",
        Category="call",
        Subject="1001",
        RatingPlanActivations=[
            TPRatingActivation(ActivationTime="2014-01-14T00:00:00Z", RatingPlanId="RP_1",
                               FallbackSubjects="1002;1003"),
        ],
    )  # fmt: skip
    await db.set_tp_timings([timing])
    await db.set_tp_rates([rate])
    await db.set_tp_destination_rates([drate])
    await db.set_tp_rating_plans([plan])
    await db.set_tp_rating_profiles([profile])
    assert await db.get_tp_timings("TP1", "PEAK") == [timing]
    assert await db.get_tp_rates("TP1", "RT_1") == [rate]
    assert await db.get_tp_destination_rates("TP1", "DR_1") == [drate]
    assert await db.get_tp_rating_plans("TP1", "RP_1") == [plan]
    assert await db.get_tp_rating_profiles("TP1", loadid="L1", subject="1001") == [profile]
    assert await db.get_tp_rating_profiles("TP1", tenant="other") == []


async def test_ids_filters_search_and_pages(db: SQLStorDB) -> None:
    plan = read_folder(TUTORIAL)
    for dst in plan.destinations:
        dst.TPid = "TUT"
    for rpf in plan.rating_profiles:
        rpf.TPid, rpf.LoadId = "TUT", "L1"
    await db.set_tp_destinations(plan.destinations)
    await db.set_tp_rating_profiles(plan.rating_profiles)
    assert await db.get_tp_ids("tp_destinations", "TUT") == [
        "DST_1001", "DST_1002", "DST_1003", "DST_FS",
    ]  # fmt: skip
    assert await db.get_tp_ids("tp_destinations", "TUT", limit=2, offset=1) == [
        "DST_1002",
        "DST_1003",
    ]
    assert await db.get_tp_ids("tp_destinations", "TUT", search="FS") == ["DST_FS"]
    assert await db.get_tp_ids("tp_destinations", "NOPE") == []
    ids = await db.get_tp_ids(
        "tp_rating_profiles", "TUT", distinct=("loadid", "tenant", "category", "subject")
    )
    assert "L1:cgrates.org:call:1001" in ids
    assert len(ids) == 4
    loads = await db.get_tp_ids(
        "tp_rating_profiles", "TUT", {"tenant": "cgrates.org"}, distinct=("loadid",)
    )
    assert loads == ["L1"]


async def test_remove_by_filter_and_whole_plan(db: SQLStorDB) -> None:
    await db.set_tp_destinations(
        [
            TPDestination(TPid="TP1", ID="A", Prefixes=["1", "2"]),
            TPDestination(TPid="TP1", ID="B", Prefixes=["3"]),
            TPDestination(TPid="TP2", ID="A", Prefixes=["4"]),
        ]
    )
    await db.set_tp_timings([ApierTPTiming(TPid="TP1", ID="T", Time="00:00:00")])
    assert await db.remove_tp_data("tp_destinations", "TP1", {"tag": "A"}) == 2
    assert [d.ID for d in await db.get_tp_destinations("TP1")] == ["B"]
    assert await db.remove_tp_data("", "TP1") == 2
    assert await db.get_tp_timings("TP1") == []
    assert [d.ID for d in await db.get_tp_destinations("TP2")] == ["A"]
