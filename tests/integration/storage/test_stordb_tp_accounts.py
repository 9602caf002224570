"""The StorDB's account ``tp_*`` tables on every backend: round trips, keys, ids, removal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tollgate.storage.stordb import SQLStorDB
from tollgate.storage.stordb.schema import tp_actions
from tollgate.tariffplans import (
    TPAccountActions,
    TPAction,
    TPActionPlan,
    TPActions,
    TPActionTiming,
    TPActionTrigger,
    TPActionTriggers,
    TPSharedGroup,
    TPSharedGroups,
)

TOPUP = TPAction(
    Identifier="*topup_reset",
    BalanceId="MONETARY",
    BalanceType="*monetary",
    Units="10.5",
    ExpiryTime="*unlimited",
    Filter='{"Type":"*string"}',
    TimingTags="*asap",
    DestinationIds="DST_1002;!DST_1003",
    RatingSubject="SPECIAL",
    Categories="call;sms",
    SharedGroups="SG1",
    BalanceWeight="10",
    ExtraParameters='{"x":1}',
    BalanceBlocker="true",
    BalanceDisabled="false",
    Weight=Decimal("20.5"),
)
LOG = TPAction(Identifier="*log", Weight=Decimal(0))


async def test_actions_round_trip_every_column_and_row_order(db: SQLStorDB) -> None:
    acts = TPActions(TPid="TP1", ID="ACT_TOPUP", Actions=[TOPUP, LOG])
    await db.set_tp("tp_actions", [acts])
    assert await db.get_tp("tp_actions", "TP1", {"tag": "ACT_TOPUP"}) == [acts]
    async with db.transaction("peek") as conn:
        rows = (await conn.execute(select(tp_actions).order_by(tp_actions.c.id))).mappings().all()
    # CGRateS's column names, one row per action, weight as exact decimal text
    assert [(r["tag"], r["action"], r["balance_tag"], r["weight"]) for r in rows] == [
        ("ACT_TOPUP", "*topup_reset", "MONETARY", "20.5"),
        ("ACT_TOPUP", "*log", "", "0"),
    ]
    assert rows[0]["destination_tags"] == "DST_1002;!DST_1003"


async def test_set_replaces_the_whole_item_and_only_it(db: SQLStorDB) -> None:
    await db.set_tp(
        "tp_actions",
        [
            TPActions(TPid="TP1", ID="A", Actions=[TOPUP, LOG]),
            TPActions(TPid="TP1", ID="B", Actions=[LOG]),
            TPActions(TPid="TP2", ID="A", Actions=[LOG]),
        ],
    )
    await db.set_tp("tp_actions", [TPActions(TPid="TP1", ID="A", Actions=[LOG])])
    assert [a.Actions for a in await db.get_tp("tp_actions", "TP1")] == [[LOG], [LOG]]
    assert [a.ID for a in await db.get_tp("tp_actions", "TP1")] == ["B", "A"]
    assert (await db.get_tp("tp_actions", "TP2"))[0].Actions == [LOG]


async def test_shared_groups_action_plans_and_triggers_round_trip(db: SQLStorDB) -> None:
    groups = TPSharedGroups(
        TPid="TP1",
        ID="SG1",
        SharedGroups=[
            TPSharedGroup(Account="*any", Strategy="*lowest", RatingSubject=""),
            TPSharedGroup(Account="1001", Strategy="*highest", RatingSubject="SPECIAL"),
        ],
    )
    plan = TPActionPlan(
        TPid="TP1",
        ID="AP_PACKAGE",
        ActionPlan=[
            TPActionTiming(ActionsId="ACT_TOPUP", TimingId="*asap", Weight=Decimal(10)),
            TPActionTiming(ActionsId="ACT_LOG", TimingId="*monthly", Weight=Decimal("0.5")),
        ],
    )
    triggers = TPActionTriggers(
        TPid="TP1",
        ID="STANDARD_TRIGGERS",
        ActionTriggers=[
            TPActionTrigger(
                Id="STANDARD_TRIGGERS", UniqueID="u1", ThresholdType="*min_balance",
                ThresholdValue=Decimal("2.0001"), Recurrent=True, MinSleep="1m",
                ExpirationDate="2030-01-01T00:00:00Z", ActivationDate="*asap",
                BalanceId="B1", BalanceType="*monetary", BalanceDestinationIds="DST_1;DST_2",
                BalanceWeight="10", BalanceExpirationDate="*unlimited",
                BalanceTimingTags="*any", BalanceRatingSubject="RS", BalanceCategories="call",
                BalanceSharedGroups="SG1", BalanceBlocker="true", BalanceDisabled="false",
                ActionsId="LOG_WARNING", Weight=Decimal(10),
            ),
            TPActionTrigger(
                Id="STANDARD_TRIGGERS", ThresholdType="*max_event_counter",
                ThresholdValue=Decimal(5), ActionsId="DISABLE", Weight=Decimal(0),
            ),
        ],
    )  # fmt: skip
    await db.set_tp("tp_shared_groups", [groups])
    await db.set_tp("tp_action_plans", [plan])
    await db.set_tp("tp_action_triggers", [triggers])
    assert await db.get_tp("tp_shared_groups", "TP1", {"tag": "SG1"}) == [groups]
    assert await db.get_tp("tp_action_plans", "TP1", {"tag": "AP_PACKAGE"}) == [plan]
    assert await db.get_tp("tp_action_triggers", "TP1") == [triggers]


async def test_a_triggers_id_reads_back_as_its_tag(db: SQLStorDB) -> None:
    # no column keeps it (CGRateS has none either): the tag names every trigger
    sent = TPActionTriggers(
        TPid="TP1", ID="T1", ActionTriggers=[TPActionTrigger(Id="other", ThresholdType="*x")]
    )
    await db.set_tp("tp_action_triggers", [sent])
    (back,) = await db.get_tp("tp_action_triggers", "TP1")
    assert back.ActionTriggers[0].Id == "T1"


async def test_account_actions_keyed_by_load_tenant_and_account(db: SQLStorDB) -> None:
    first = TPAccountActions(
        TPid="TP1", LoadId="L1", Tenant="cgrates.org", Account="1001",
        ActionPlanId="AP_PACKAGE", ActionTriggersId="STANDARD_TRIGGERS",
        AllowNegative=True, Disabled=False,
    )  # fmt: skip
    other_load = TPAccountActions(
        TPid="TP1", LoadId="L2", Tenant="cgrates.org", Account="1001", Disabled=True
    )
    no_load = TPAccountActions(TPid="TP1", Tenant="cgrates.org", Account="1002")
    await db.set_tp("tp_account_actions", [first, other_load, no_load])
    assert await db.get_tp("tp_account_actions", "TP1", {"loadid": "L1"}) == [first]
    assert len(await db.get_tp("tp_account_actions", "TP1", {"account": "1001"})) == 2
    # a key with an empty part replaces only that exact key
    await db.set_tp("tp_account_actions", [TPAccountActions(TPid="TP1", Account="1002")])
    assert len(await db.get_tp("tp_account_actions", "TP1")) == 4
    ids = await db.get_tp_ids("tp_account_actions", "TP1", distinct=("loadid", "tenant", "account"))
    assert ids == ["::1002", ":cgrates.org:1002", "L1:cgrates.org:1001", "L2:cgrates.org:1001"]
    removed = await db.remove_tp_data(
        "tp_account_actions", "TP1", {"loadid": "L1", "tenant": "cgrates.org", "account": "1001"}
    )
    assert removed == 1
    left = await db.get_tp("tp_account_actions", "TP1", {"account": "1001"})
    assert [a.LoadId for a in left] == ["L2"]


async def test_unknown_table_is_refused(db: SQLStorDB) -> None:
    with pytest.raises(ValueError, match="no tariff-plan table 'tp_nope'"):
        await db.get_tp("tp_nope", "TP1")
