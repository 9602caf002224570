"""The StorDB's profile ``tp_*`` tables on every backend: every profile shape round-trips,
rows merge as CGRateS merges them, ids are ``Tenant:ID``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select

from tollgate.storage.stordb import SQLStorDB
from tollgate.storage.stordb.schema import tp_attributes, tp_chargers, tp_resources
from tollgate.tariffplans import (
    MetricWithFilters,
    TPActivationInterval,
    TPAttribute,
    TPAttributeProfile,
    TPChargerProfile,
    TPDispatcherHost,
    TPDispatcherHostConn,
    TPDispatcherHostProfile,
    TPDispatcherProfile,
    TPFilter,
    TPFilterProfile,
    TPResourceProfile,
    TPStatProfile,
    TPSupplier,
    TPSupplierProfile,
    TPThresholdProfile,
)

T = "cgrates.org"
AI = TPActivationInterval(ActivationTime="2014-07-29T15:00:00Z", ExpiryTime="2030-01-01T00:00:00Z")


PROFILES: list[tuple[str, Any]] = [
    (
        "tp_filters",
        TPFilterProfile(
            TPid="TP1", Tenant=T, ID="FLTR_1",
            Filters=[
                TPFilter(Type="*string", Element="~*req.Account", Values=["1001", "1002"]),
                TPFilter(Type="*prefix", Element="~*req.Destination", Values=["10", "20"]),
                TPFilter(Type="*exists", Element="~*req.Usage", Values=[]),
            ],
            ActivationInterval=AI,
        ),
    ),
    ("tp_filters", TPFilterProfile(TPid="TP1", Tenant=T, ID="FLTR_EMPTY")),
    (
        "tp_attributes",
        TPAttributeProfile(
            TPid="TP1", Tenant=T, ID="ATTR_1", Contexts=["*sessions", "*cdrs"],
            FilterIDs=["FLTR_1", "*string:~*req.Account:1007"],
            ActivationInterval=TPActivationInterval(ActivationTime="2014-01-14T00:00:00Z"),
            Attributes=[
                TPAttribute(FilterIDs=["*gte:~*req.Usage:1m"], Path="*req.Subject",
                            Type="*constant", Value="1001"),
                TPAttribute(Path="*req.Category", Type="*variable", Value="~*req.ToR"),
            ],
            Blocker=True, Weight=Decimal("20.25"),
        ),
    ),
    (
        "tp_chargers",
        TPChargerProfile(
            TPid="TP1", Tenant=T, ID="CHRG_1", FilterIDs=["*string:~*req.RunID:*default"],
            ActivationInterval=TPActivationInterval(), RunID="*rated",
            AttributeIDs=["ATTR_1", "*none", "ATTR_1"], Weight=Decimal(20),
        ),
    ),
    (
        "tp_resources",
        TPResourceProfile(
            TPid="TP1", Tenant=T, ID="RES_1", FilterIDs=["FLTR_1"], ActivationInterval=AI,
            UsageTTL="1s", Limit="7", AllocationMessage="alloc", Blocker=True, Stored=True,
            Weight=Decimal(10), ThresholdIDs=["*none"],
        ),
    ),
    (
        "tp_stats",
        TPStatProfile(
            TPid="TP1", Tenant=T, ID="STATS_1", FilterIDs=["FLTR_1"], QueueLength=100,
            TTL="1s", MinItems=2, Stored=True, Blocker=True, Weight=Decimal(20),
            ThresholdIDs=["THD_1", "THD_2"],
            Metrics=[
                MetricWithFilters(MetricID="*asr"),
                MetricWithFilters(MetricID="*sum:~*req.Usage", FilterIDs=["F1", "F2"]),
                MetricWithFilters(MetricID="*acd", FilterIDs=["F3"]),
            ],
        ),
    ),
    (
        "tp_thresholds",
        TPThresholdProfile(
            TPid="TP1", Tenant=T, ID="THD_1", FilterIDs=["FLTR_1"], ActivationInterval=AI,
            MaxHits=-1, MinHits=3, MinSleep="1s", Blocker=True, Weight=Decimal(10),
            ActionIDs=["ACT_1", "ACT_2"], Async=True,
        ),
    ),
    (
        "tp_suppliers",
        TPSupplierProfile(
            TPid="TP1", Tenant=T, ID="SPP_1", FilterIDs=["FLTR_1"], ActivationInterval=AI,
            Sorting="*least_cost", SortingParameters=["p1", "p2"], Weight=Decimal(20),
            Suppliers=[
                TPSupplier(ID="supplier1", FilterIDs=["F1"], AccountIDs=["1001"],
                           RatingPlanIDs=["RP_1", "RP_2"], ResourceIDs=["RES_1"],
                           StatIDs=["STATS_1"], Weight=Decimal(10), Blocker=True,
                           SupplierParameters="param1"),
                TPSupplier(ID="supplier2", Weight=Decimal("0.5")),
            ],
        ),
    ),
    (
        "tp_dispatcher_profiles",
        TPDispatcherProfile(
            TPid="TP1", Tenant=T, ID="DSP_1", Subsystems=["*any"], FilterIDs=["FLTR_1"],
            ActivationInterval=AI, Strategy="*weight", StrategyParams=["a", "b"],
            Weight=Decimal(30),
            Hosts=[
                TPDispatcherHostProfile(ID="ALL", FilterIDs=["F1"], Weight=Decimal(20),
                                        Params=["p1", "p2"], Blocker=True),
                TPDispatcherHostProfile(ID="ALL2", Weight=Decimal(10)),
            ],
        ),
    ),
    (
        "tp_dispatcher_hosts",
        TPDispatcherHost(
            TPid="TP1", Tenant=T, ID="ALL",
            Conns=[
                TPDispatcherHostConn(Address="127.0.0.1:6012", Transport="*json", TLS=False),
                TPDispatcherHostConn(Address="127.0.0.1:6013", Transport="*gob", TLS=True),
            ],
        ),
    ),
    ("tp_dispatcher_hosts", TPDispatcherHost(TPid="TP1", Tenant=T, ID="NO_CONNS")),
]  # fmt: skip


@pytest.mark.parametrize(("table", "profile"), PROFILES, ids=lambda v: getattr(v, "ID", v))
async def test_every_profile_shape_round_trips_exactly(
    db: SQLStorDB, table: str, profile: Any
) -> None:
    await db.set_tp(table, [profile])
    back = await db.get_tp(table, "TP1", {"tenant": T, "id": profile.ID})
    assert back == [profile]
    assert await db.get_tp(table, "TP1", {"tenant": "other.org", "id": profile.ID}) == []


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("", None),
        ("2014-07-29T15:00:00Z", TPActivationInterval(ActivationTime="2014-07-29T15:00:00Z")),
        (";2030-01-01T00:00:00Z", TPActivationInterval(ExpiryTime="2030-01-01T00:00:00Z")),
        (";", TPActivationInterval()),
    ],
)
async def test_activation_intervals_keep_their_shape(
    db: SQLStorDB, text: str, interval: TPActivationInterval | None
) -> None:
    profile = TPChargerProfile(TPid="TP1", Tenant=T, ID="C", ActivationInterval=interval)
    await db.set_tp("tp_chargers", [profile])
    async with db.transaction("peek") as conn:
        stored = (await conn.execute(select(tp_chargers.c.activation_interval))).scalars().all()
    assert stored == [text]  # as the CSV cell writes it
    (back,) = await db.get_tp("tp_chargers", "TP1")
    assert back.ActivationInterval == interval


async def test_rows_written_one_per_filter_id_merge_as_cgrates_reads_them(
    db: SQLStorDB,
) -> None:
    # CGRateS's own StorDB layout repeats the profile over rows, one FilterID each
    rows = [
        {"filter_ids": "FLTR_1", "usage_ttl": "1s", "limit": "2", "weight": "10",
         "blocker": True, "threshold_ids": "THD_1", "activation_interval": ""},
        {"filter_ids": "FLTR_2", "usage_ttl": "", "limit": "", "weight": "0",
         "blocker": False, "threshold_ids": "THD_1;THD_2", "activation_interval": ""},
    ]  # fmt: skip
    async with db.transaction("seed") as conn:
        await conn.execute(
            insert(tp_resources),
            [{"tpid": "TP1", "tenant": T, "id": "RES", "allocation_message": "",
              "stored": False, **row} for row in rows],
        )  # fmt: skip
        await conn.execute(
            insert(tp_attributes),
            [
                {"tpid": "TP1", "tenant": T, "id": "ATTR", "contexts": "*any",
                 "filter_ids": "F1", "activation_interval": "", "attribute_filter_ids": "",
                 "path": "*req.A", "type": "*constant", "value": "1", "blocker": False,
                 "weight": "5"},
                {"tpid": "TP1", "tenant": T, "id": "ATTR", "contexts": "*any;*cdrs",
                 "filter_ids": "F1;F2", "activation_interval": "", "attribute_filter_ids": "",
                 "path": "", "type": "", "value": "", "blocker": False, "weight": "7"},
            ],
        )  # fmt: skip
    (res,) = await db.get_tp("tp_resources", "TP1")
    assert res == TPResourceProfile(
        TPid="TP1", Tenant=T, ID="RES", FilterIDs=["FLTR_1", "FLTR_2"], UsageTTL="1s",
        Limit="2", Blocker=True, Weight=Decimal(10), ThresholdIDs=["THD_1", "THD_2"],
    )  # fmt: skip
    (attr,) = await db.get_tp("tp_attributes", "TP1")
    assert attr.Contexts == ["*any", "*cdrs"]
    assert attr.FilterIDs == ["F1", "F2"]
    assert attr.Weight == Decimal(7)  # a later non-zero scalar overrides
    assert [a.Path for a in attr.Attributes] == ["*req.A"]  # no attribute without a Path


async def test_profile_ids_search_pages_and_removal(db: SQLStorDB) -> None:
    await db.set_tp(
        "tp_thresholds",
        [
            TPThresholdProfile(TPid="TP1", Tenant=T, ID="THD_2"),
            TPThresholdProfile(TPid="TP1", Tenant=T, ID="THD_1"),
            TPThresholdProfile(TPid="TP1", Tenant="other.org", ID="THD_1"),
            TPThresholdProfile(TPid="TP2", Tenant=T, ID="THD_9"),
        ],
    )
    ids = await db.get_tp_ids("tp_thresholds", "TP1", distinct=("tenant", "id"))
    assert ids == ["cgrates.org:THD_1", "cgrates.org:THD_2", "other.org:THD_1"]
    assert await db.get_tp_ids(
        "tp_thresholds", "TP1", distinct=("tenant", "id"), search="other"
    ) == ["other.org:THD_1"]
    page = await db.get_tp_ids("tp_thresholds", "TP1", distinct=("tenant", "id"), limit=1, offset=1)
    assert page == ["cgrates.org:THD_2"]
    assert await db.remove_tp_data("tp_thresholds", "TP1", {"tenant": T, "id": "THD_1"}) == 1
    assert [p.tenant_id for p in await db.get_tp("tp_thresholds", "TP1")] == [
        "cgrates.org:THD_2",
        "other.org:THD_1",
    ]
