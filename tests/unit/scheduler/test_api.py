"""The action-plan API classes called directly: argument checks, filters, paging, shapes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tollgate.accounts import AccountService
from tollgate.core.api import CallContext
from tollgate.core.config import load_config
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.wire import encode
from tollgate.scheduler import APIerSv1ActionPlans, SchedulerService, SchedulerSv1
from tollgate.scheduler.models import (
    ArgsGetScheduledActions,
    AttrActionPlan,
    AttrGetActionPlan,
    AttrRemoveActionTiming,
    AttrSetActionPlan,
    TenantAccount,
)
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans import TPActions

NOW = int(dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC).timestamp()) * 10**9
CTX = CallContext()


class Runner:
    async def execute(self, actions_id: str, account_ids: Sequence[str]) -> None:
        return None


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[APIerSv1ActionPlans]:
    db = InternalDataDB(tmp_path)
    await db.open()
    await db.set("*actions", "ACT", msgspec.msgpack.encode(TPActions(ID="ACT")))
    cfg = load_config(None).merged(
        {"general": {"default_timezone": "UTC"}, "schedulers": {"enabled": True}}
    )
    accounts = AccountService(lambda: db, clock=lambda: NOW)
    runner = Runner()
    svc = SchedulerService(
        lambda: db, accounts, config=lambda: cfg, actions=lambda: runner, clock=lambda: NOW
    )
    await svc.start()
    try:
        yield APIerSv1ActionPlans(svc)
    finally:
        await svc.stop()
        await db.close()


def _plan(plan_id: str, time_: str, weight: int = 10) -> AttrSetActionPlan:
    at = AttrActionPlan(ActionsId="ACT", Time=time_, Weight=Decimal(weight))
    return AttrSetActionPlan(Id=plan_id, ActionPlan=[at], ReloadScheduler=True)


async def _bind(api: APIerSv1ActionPlans, account_id: str, plan_id: str) -> None:
    accounts = api.scheduler.plans.accounts

    async def save(ids: list[str]) -> None:
        await accounts.set_account(account_id, action_plan_ids=ids, action_plans_overwrite=True)

    await api.scheduler.bind_account(account_id, [plan_id], overwrite=False, v1=False, save=save)


async def test_set_action_plan_argument_errors(api: APIerSv1ActionPlans) -> None:
    with pytest.raises(TollgateError, match=r"^MANDATORY_IE_MISSING: \[Id ActionPlan\]$"):
        await api.set_action_plan(AttrSetActionPlan(), CTX)
    no_weight = AttrSetActionPlan(
        Id="AP", ActionPlan=[AttrActionPlan(ActionsId="ACT", Time="10:00:00")]
    )
    with pytest.raises(TollgateError, match=r"^MANDATORY_IE_MISSING:Action:ACT:\[Weight\]$"):
        await api.set_action_plan(no_weight, CTX)


async def test_action_plan_round_trip_has_the_cgrates_shape(api: APIerSv1ActionPlans) -> None:
    assert await api.set_action_plan(_plan("AP", "10:00:00"), CTX) == "OK"
    (plan,) = await api.get_action_plan(AttrGetActionPlan(ID="AP"), CTX)
    wire = msgspec.json.decode(encode(plan))
    (timing,) = wire["ActionTimings"]
    assert set(wire) == {"Id", "AccountIDs", "ActionTimings"}
    assert timing["Timing"] == {
        "Timing": {
            "ID": "",
            "Years": [],
            "Months": [],
            "MonthDays": [],
            "WeekDays": [],
            "StartTime": "10:00:00",
            "EndTime": "",
        },
        "Rating": None,
        "Weight": 0,
    }
    assert (timing["ActionsID"], timing["Weight"], timing["ExtraData"]) == ("ACT", 10, None)
    assert b'"Weight":10}' in encode(plan)  # no float formatting
    with pytest.raises(NotFoundError):
        await api.get_action_plan(AttrGetActionPlan(ID="NOPE"), CTX)
    assert await api.set_action_plan(_plan("AP2", "11:00:00"), CTX) == "OK"
    every = await api.get_action_plan(AttrGetActionPlan(ID="*"), CTX)
    assert [p.Id for p in every] == ["AP", "AP2"]
    assert await api.remove_action_plan(AttrGetActionPlan(ID="AP2"), CTX) == "OK"
    assert [p.Id for p in await api.get_action_plan(AttrGetActionPlan(), CTX)] == ["AP"]


async def test_scheduled_actions_filter_and_page_as_cgrates(api: APIerSv1ActionPlans) -> None:
    await api.set_action_plan(_plan("AP1", "10:00:00"), CTX)
    await api.set_action_plan(_plan("AP2", "12:00:00"), CTX)
    await _bind(api, "cgrates.org:1001", "AP1")
    await _bind(api, "other.org:1002", "AP2")
    await api.scheduler.request_reload()
    every = await api.get_scheduled_actions(ArgsGetScheduledActions(), CTX)
    assert [(a.ActionPlanID, a.NextRunTime, a.Accounts) for a in every] == [
        ("AP1", "2024-05-01T10:00:00Z", 1),
        ("AP2", "2024-05-01T12:00:00Z", 1),
    ]

    async def ids(**filters: object) -> list[str]:
        args = msgspec.convert(filters, ArgsGetScheduledActions)
        return [a.ActionPlanID for a in await api.get_scheduled_actions(args, CTX)]

    assert await ids(Tenant="cgrates.org") == ["AP1"]
    assert await ids(Account="1002") == ["AP2"]
    assert await ids(TimeStart="2024-05-01T11:00:00Z") == ["AP2"]
    assert await ids(TimeEnd="2024-05-01T12:00:00Z") == ["AP1"]  # end excluded
    assert await ids(TimeStart="0001-01-01T00:00:00Z") == ["AP1", "AP2"]  # zero: no filter
    assert await ids(Offset=1) == ["AP2"]
    assert await ids(Limit=1) == ["AP1"]
    assert await ids(Limit=5, Offset=7) == ["AP1", "AP2"]  # out-of-range paging is ignored
    with pytest.raises(NotFoundError):
        await ids(Tenant="nobody")
    with pytest.raises(TollgateError, match="cannot parse"):
        await ids(TimeStart="yesterday")


async def test_account_action_plan_and_remove_action_timing(api: APIerSv1ActionPlans) -> None:
    await api.set_action_plan(_plan("AP1", "10:00:00"), CTX)
    await _bind(api, "cgrates.org:1001", "AP1")
    with pytest.raises(TollgateError, match=r"^MANDATORY_IE_MISSING: \[Tenant,Account \]$"):
        await api.get_account_action_plan(TenantAccount(), CTX)
    who = TenantAccount(Tenant="cgrates.org", Account="1001")
    (timing,) = await api.get_account_action_plan(who, CTX)
    assert (timing.ActionPlanId, timing.ActionsId) == ("AP1", "ACT")
    assert timing.NextExecTime == "2024-05-01T10:00:00Z"
    assert await api.get_account_action_plan(TenantAccount(Tenant="x", Account="y"), CTX) == []
    with pytest.raises(TollgateError, match=r"^MANDATORY_IE_MISSING: \[ActionPlanId\]$"):
        await api.remove_action_timing(AttrRemoveActionTiming(), CTX)
    unbind = AttrRemoveActionTiming(ActionPlanId="AP1", Tenant="cgrates.org", Account="1001")
    assert await api.remove_action_timing(unbind, CTX) == "OK"
    assert await api.get_account_action_plan(who, CTX) == []


async def test_scheduler_sv1_off_answers_as_an_unserved_service(tmp_path: Path) -> None:
    db = InternalDataDB(tmp_path)
    await db.open()
    cfg = load_config(None)  # schedulers.enabled is false by default
    svc = SchedulerService(
        lambda: db, AccountService(lambda: db), config=lambda: cfg, actions=lambda: None
    )
    try:
        sched = SchedulerSv1(svc)
        with pytest.raises(TollgateError, match=r"rpc: can.t find service SchedulerSv1\.Ping"):
            sched.ping({}, CTX)
        with pytest.raises(TollgateError, match="SCHEDULLER_NOT_RUNNING"):
            await APIerSv1ActionPlans(svc).get_scheduled_actions(ArgsGetScheduledActions(), CTX)
    finally:
        await db.close()
