"""The action methods in-process: what SetActions stores, what GetActions gives back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tollgate.accounts import AccountService
from tollgate.accounts.actions import ACTIONS, ActionService
from tollgate.accounts.actions_api import APIerSv1Actions, APIerSv2Actions
from tollgate.accounts.actions_models import (
    AttrExecuteAction,
    AttrGetActions,
    AttrRemoveActions,
    AttrSetActionsV1,
    AttrSetActionsV2,
)
from tollgate.apier import ApierService
from tollgate.core.api import CallContext
from tollgate.core.config import load_config
from tollgate.core.errors import TollgateError
from tollgate.rpc.pool import ConnManager
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans import TPAction, TPActions

CTX = CallContext()
NOW = 1_700_000_000 * 10**9


@pytest.fixture
async def apis(tmp_path: Path) -> AsyncIterator[tuple[APIerSv1Actions, APIerSv2Actions]]:
    db = InternalDataDB(tmp_path)
    await db.open()
    apier = ApierService(lambda: db)
    cfg = load_config(None)
    actions = ActionService(
        lambda: db,
        AccountService(lambda: db, clock=lambda: NOW),
        conns=lambda: ConnManager({}),
        config=lambda: cfg,
        clock=lambda: NOW,
    )
    apier.on_load(actions.on_load)
    yield APIerSv1Actions(actions, apier), APIerSv2Actions(actions, apier)
    await actions.close()
    await db.close()


async def stored(api: APIerSv1Actions | APIerSv2Actions, actions_id: str) -> list[TPAction]:
    data = await api.apier.db.get(ACTIONS, actions_id)
    assert data is not None
    return msgspec.msgpack.decode(data, type=TPActions).Actions


def v1(**fields: Any) -> AttrSetActionsV1:
    return msgspec.convert({"ActionsId": "A", **fields}, AttrSetActionsV1)


async def test_v1_numbers_are_stored_as_a_load_writes_them(
    apis: tuple[APIerSv1Actions, APIerSv2Actions],
) -> None:
    api1, _ = apis
    args = v1(Actions=[
        {"Identifier": "*topup", "BalanceType": "*voice", "Units": 60e9, "Weight": 20,
         "BalanceWeight": 10, "DestinationIds": "NAT"},
        {"Identifier": "*topup", "BalanceType": "*monetary", "Units": 0.25, "Weight": 15},
        {"Identifier": "*log", "Weight": 10},
    ])  # fmt: skip
    assert await api1.set_actions(args, CTX) == "OK"
    voice, money, log = await stored(api1, "A")
    assert (voice.Units, voice.BalanceWeight, voice.DestinationIds) == ("60000000000", "10", "NAT")
    assert (money.Units, money.BalanceWeight) == ("0.25", "")
    assert (log.Units, log.Weight) == ("", 10)
    reply = await api1.get_actions("A", CTX)
    assert [(a.Identifier, a.Units, a.BalanceWeight) for a in reply] == [
        ("*topup", "60000000000", "10"), ("*topup", "0.25", "0"), ("*log", "0", "0"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("actions", "error"),
    [
        ([], "MANDATORY_IE_MISSING: [Actions]"),
        ([{"Identifier": "*log"}], "MANDATORY_IE_MISSING:Action:*log:[Weight]"),
        ([{"Identifier": "*topup", "BalanceType": "*sms", "Weight": 1}],
         "MANDATORY_IE_MISSING:Action:*topup:[Units]"),
        ([{"Identifier": "*log", "Weight": 1, "BalanceBlocker": "maybe"}],
         'strconv.ParseBool: parsing "maybe": invalid syntax'),
        ([{"Identifier": "*kafka_json_map", "Weight": 1}],
         "SERVER_ERROR: action *kafka_json_map is not supported yet: of the queue posters "
         "*amqp_json_map, *sqs_json_map and *s3_json_map are built (*amqpv1_json_map and "
         "*kafka_json_map are not)"),
    ],
)  # fmt: skip
async def test_v1_refusals(
    apis: tuple[APIerSv1Actions, APIerSv2Actions], actions: list[Any], error: str
) -> None:
    api1, _ = apis
    with pytest.raises(TollgateError) as info:
        await api1.set_actions(v1(Actions=actions), CTX)
    assert str(info.value) == error


async def test_v2_overwrite_get_and_remove(apis: tuple[APIerSv1Actions, APIerSv2Actions]) -> None:
    api1, api2 = apis
    rows = [TPAction(Identifier="*topup", BalanceType="*monetary", Units="1", Weight=Decimal(5))]
    await api2.set_actions(AttrSetActionsV2(ActionsId="B", Actions=rows), CTX)
    await api2.set_actions(AttrSetActionsV2(ActionsId="A", Actions=rows), CTX)
    with pytest.raises(TollgateError, match=r"^EXISTS$"):
        await api2.set_actions(AttrSetActionsV2(ActionsId="A", Actions=rows), CTX)
    rows2 = [*rows, TPAction(Identifier="*log", Weight=Decimal(9))]
    args = AttrSetActionsV2(ActionsId="A", Overwrite=True, Actions=rows2)
    assert await api2.set_actions(args, CTX) == "OK"
    everything = await api2.get_actions(AttrGetActions(), CTX)
    assert everything is not None
    assert {k: [a.ActionType for a in v] for k, v in everything.items()} == {
        "A": ["*topup", "*log"], "B": ["*topup"],
    }  # fmt: skip
    paged = await api2.get_actions(AttrGetActions(Offset=1, Limit=5), CTX)
    assert paged is not None
    assert list(paged) == ["B"]
    with pytest.raises(TollgateError, match=r"^SERVER_ERROR: NOT_FOUND$"):
        await api2.get_actions(AttrGetActions(ActionIDs=["C"]), CTX)
    assert await api1.remove_actions(AttrRemoveActions(ActionIDs=["A", "B", "C"]), CTX) == "OK"
    assert await api2.get_actions(AttrGetActions(), CTX) is None
    with pytest.raises(TollgateError, match=r"^NOT_FOUND$"):
        await api1.execute_action(AttrExecuteAction(Tenant="t", Account="a", ActionsId="A"), CTX)
