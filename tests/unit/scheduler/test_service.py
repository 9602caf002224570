"""SchedulerService and ActionPlans over a real internal DataDB, a fake clock and a recording
ActionS: loads, tasks, due runs, restarts, bindings."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tollgate.accounts import AccountService, balance_filter
from tollgate.core.config import Config, load_config
from tollgate.core.errors import (
    BrokenReferenceError,
    ExistsError,
    SchedulerNotRunningError,
    ServerError,
    TollgateError,
)
from tollgate.filters import FilterService
from tollgate.scheduler import SchedulerService
from tollgate.scheduler.models import AttrActionPlan
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans import (
    ApierTPTiming,
    TariffPlan,
    TPAccountActions,
    TPActionPlan,
    TPActions,
    TPActionTiming,
    TPFilter,
    TPFilterProfile,
)

SECOND = 10**9
DAY1_NOON = int(dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC).timestamp()) * SECOND
DAY = 86400 * SECOND


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class Runner:
    """Records every ``execute``; ``hook`` runs inside the call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.hook: Callable[[], Awaitable[None]] | None = None

    async def execute(self, actions_id: str, account_ids: Sequence[str]) -> None:
        self.calls.append((actions_id, tuple(account_ids)))
        if self.hook is not None:
            await self.hook()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path)
    await store.open()
    for actions_id in ("TOPUP", "DATA", "NOON", "LOW", "HIGH"):
        await store.set("*actions", actions_id, msgspec.msgpack.encode(TPActions(ID=actions_id)))
    yield store
    await store.close()


def _config(*, enabled: bool = True) -> Config:
    return load_config(None).merged(
        {"general": {"default_timezone": "UTC"}, "schedulers": {"enabled": enabled}}
    )


def make(
    db: InternalDataDB, clock: Clock, runner: Runner, *, enabled: bool = True
) -> SchedulerService:
    cfg = _config(enabled=enabled)
    accounts = AccountService(lambda: db, clock=clock)
    return SchedulerService(
        lambda: db, accounts, config=lambda: cfg, actions=lambda: runner, clock=clock
    )


def _tariff_plan() -> TariffPlan:
    def timing(actions: str, timing_id: str, weight: int) -> TPActionTiming:
        return TPActionTiming(ActionsId=actions, TimingId=timing_id, Weight=Decimal(weight))

    return TariffPlan(
        timings=[ApierTPTiming(ID="TM_NOON", Years="*any", Time="12:00:00")],
        action_plans=[
            TPActionPlan(
                ID="STD",
                ActionPlan=[
                    timing("TOPUP", "*asap", 10),
                    timing("DATA", "*asap", 20),
                    timing("NOON", "TM_NOON", 10),
                ],
            ),
            TPActionPlan(ID="ONCE", ActionPlan=[timing("TOPUP", "*asap", 10)]),
        ],
        account_actions=[
            TPAccountActions(Tenant="t", Account="1", ActionPlanId="STD", AllowNegative=True),
            TPAccountActions(Tenant="t", Account="2", ActionPlanId="STD", Disabled=True),
            TPAccountActions(Tenant="t", Account="3", ActionPlanId="ONCE"),
        ],
    )


async def test_a_load_binds_accounts_and_its_asap_timings_run_once(db: InternalDataDB) -> None:
    clock, runner = Clock(DAY1_NOON - 3600 * SECOND), Runner()
    svc = make(db, clock, runner)
    assert await svc.plans.apply_load(_tariff_plan()) == 5
    assert runner.calls == []  # queued: the scheduler runs them
    await svc.rebuild()
    assert runner.calls == [
        ("DATA", ("t:1",)),  # weight 20 before 10
        ("DATA", ("t:2",)),
        ("TOPUP", ("t:1",)),
        ("TOPUP", ("t:2",)),
        ("TOPUP", ("t:3",)),
    ]
    await svc.rebuild()
    assert len(runner.calls) == 5  # each task ran once
    std, once = await svc.plans.get("STD"), await svc.plans.get("ONCE")
    assert std.accounts() == ["t:1", "t:2"]
    assert once.AccountIDs == {}  # only *asap timings: no account stays bound
    one = await svc.plans.accounts.load("t:1")
    two = await svc.plans.accounts.load("t:2")
    three = await svc.plans.accounts.load("t:3")
    assert one is not None
    assert two is not None
    assert three is not None
    assert (one.account.AllowNegative, two.account.Disabled) == (True, True)
    assert (one.action_plan_ids, three.action_plan_ids) == (["STD"], [])
    assert [(plan, when) for plan, _, when in svc.queued()] == [("STD", DAY1_NOON)]


async def test_loading_again_keeps_balances_and_runs_the_asap_timings_again(
    db: InternalDataDB,
) -> None:
    clock, runner = Clock(DAY1_NOON - 3600 * SECOND), Runner()
    svc = make(db, clock, runner)
    await svc.plans.apply_load(_tariff_plan())
    await svc.rebuild()
    await svc.plans.accounts.topup(
        "t:1", "*monetary", balance_filter({"ID": "M"}), Decimal(7), reset=False
    )
    runner.calls.clear()
    await svc.plans.apply_load(_tariff_plan())  # as CGRateS: a load queues its tasks again
    await svc.rebuild()
    assert len(runner.calls) == 5
    acc = await svc.plans.accounts.get("t:1")
    assert acc.BalanceMap is not None
    assert acc.BalanceMap["*monetary"][0].Value == 7


async def test_a_due_timing_runs_once_and_its_next_start_is_durable_first(
    db: InternalDataDB,
) -> None:
    clock, runner = Clock(DAY1_NOON - SECOND), Runner()
    svc = make(db, clock, runner)
    await svc.plans.apply_load(_tariff_plan())
    await svc.rebuild()
    runner.calls.clear()
    assert await svc.run_due() == 1.0
    assert runner.calls == []
    seen: list[int] = []

    async def state_during_run() -> None:
        states = await svc.store.states()
        seen.extend(s.NextRun for s in states.values())

    runner.hook = state_during_run
    clock.now = DAY1_NOON
    delay = await svc.run_due()
    assert runner.calls == [("NOON", ("t:1", "t:2"))]
    assert seen == [DAY1_NOON + DAY]  # written before the actions ran
    assert delay == DAY / SECOND
    await svc.run_due()
    assert len(runner.calls) == 1


async def test_a_restart_after_a_run_does_not_run_it_again(db: InternalDataDB) -> None:
    clock, runner = Clock(DAY1_NOON - SECOND), Runner()
    svc = make(db, clock, runner)
    await svc.plans.apply_load(_tariff_plan())
    await svc.rebuild()
    clock.now = DAY1_NOON
    await svc.run_due()
    runner.calls.clear()
    clock.now = DAY1_NOON + 5 * SECOND
    again = make(db, clock, runner)  # a new process on the same DataDB
    await again.rebuild()
    await again.run_due()
    assert runner.calls == []
    assert [when for _, _, when in again.queued()] == [DAY1_NOON + DAY]


async def test_runs_missed_while_down_run_once_at_start(db: InternalDataDB) -> None:
    clock, runner = Clock(DAY1_NOON - SECOND), Runner()
    svc = make(db, clock, runner)
    await svc.plans.apply_load(_tariff_plan())
    await svc.rebuild()
    runner.calls.clear()
    clock.now = DAY1_NOON + DAY + 3600 * SECOND  # down over two noons
    again = make(db, clock, runner)
    await again.rebuild()
    await again.run_due()
    await again.run_due()
    assert runner.calls == [("NOON", ("t:1", "t:2"))]
    assert [when for _, _, when in again.queued()] == [DAY1_NOON + 2 * DAY]


async def test_timings_due_together_run_higher_weight_first(db: InternalDataDB) -> None:
    clock, runner = Clock(DAY1_NOON - SECOND), Runner()
    svc = make(db, clock, runner)
    timings = [
        AttrActionPlan(ActionsId="LOW", Time="12:00:00", Weight=Decimal(10)),
        AttrActionPlan(ActionsId="HIGH", Time="12:00:00", Weight=Decimal(30)),
    ]
    await svc.plans.set_plan("AP", timings, overwrite=False)
    await svc.rebuild()
    clock.now = DAY1_NOON
    await svc.run_due()
    assert runner.calls == [("HIGH", ()), ("LOW", ())]  # no account: account-less runs


async def test_set_plan_errors_and_overwrite(db: InternalDataDB) -> None:
    svc = make(db, Clock(DAY1_NOON), Runner())
    noon = [AttrActionPlan(ActionsId="NOON", Time="12:00:00", Weight=Decimal(10))]
    await svc.plans.set_plan("AP", noon, overwrite=False)
    with pytest.raises(ExistsError):
        await svc.plans.set_plan("AP", noon, overwrite=False)
    missing = [AttrActionPlan(ActionsId="NOPE", Time="12:00:00", Weight=Decimal(1))]
    with pytest.raises(BrokenReferenceError, match="BROKEN_REFERENCE:NOPE"):
        await svc.plans.set_plan("AP", missing, overwrite=True)
    for time_, months in (("25:00", ""), ("12:00:00", "1;x")):
        bad = [AttrActionPlan(ActionsId="NOON", Time=time_, Months=months, Weight=Decimal(1))]
        with pytest.raises(TollgateError, match="UNSUPPORTED_FORMAT"):
            await svc.plans.set_plan("AP", bad, overwrite=True)

    async def save(ids: list[str]) -> None:
        await svc.plans.accounts.set_account(
            "t:1", action_plan_ids=ids, action_plans_overwrite=True
        )

    await svc.plans.bind_account("t:1", ["AP"], overwrite=False, v1=False, save=save)
    monthly = [AttrActionPlan(ActionsId="NOON", Time="*monthly", Weight=Decimal(10))]
    await svc.plans.set_plan("AP", monthly, overwrite=True)
    plan = await svc.plans.get("AP")
    assert plan.AccountIDs is None  # an overwritten plan loses its accounts...
    stored = await svc.plans.accounts.load("t:1")
    assert stored is not None
    assert stored.action_plan_ids == []
    assert plan.ActionTimings[0].Timing.Timing.MonthDays == [1]  # *monthly fixed on May 1st


async def test_set_account_bindings_v1_and_v2(db: InternalDataDB) -> None:
    svc = make(db, Clock(DAY1_NOON - SECOND), Runner())
    await svc.plans.apply_load(_tariff_plan())
    await svc.store.push_tasks([])  # nothing
    written: list[list[str]] = []

    async def save(ids: list[str]) -> None:
        written.append(ids)
        await svc.plans.accounts.set_account(
            "t:9", action_plan_ids=ids, action_plans_overwrite=True
        )

    before = len(await svc.store.tasks())
    # v2: every call queues the *asap timings; an *asap-only plan is not bound
    assert await svc.plans.bind_account("t:9", ["ONCE"], overwrite=False, v1=False, save=save)
    assert written[-1] == []
    assert len(await svc.store.tasks()) == before + 1
    await svc.plans.bind_account("t:9", ["STD"], overwrite=False, v1=False, save=save)
    await svc.plans.bind_account("t:9", ["STD"], overwrite=False, v1=False, save=save)
    assert written[-1] == ["STD"]
    assert len(await svc.store.tasks()) == before + 5
    assert "t:9" in (await svc.plans.get("STD")).accounts()
    # v1: ActionPlanID replaces every other plan; queues only when newly bound
    await svc.plans.set_plan(
        "AP", [AttrActionPlan(ActionsId="NOON", Time="12:00:00", Weight=Decimal(1))],
        overwrite=False,
    )  # fmt: skip
    assert await svc.plans.bind_account("t:9", ["AP"], overwrite=True, v1=True, save=save)
    assert written[-1] == ["AP"]
    assert "t:9" not in (await svc.plans.get("STD")).accounts()
    assert not await svc.plans.bind_account("t:9", ["AP"], overwrite=True, v1=True, save=save)
    with pytest.raises(ServerError, match="SERVER_ERROR: NOT_FOUND"):
        await svc.plans.bind_account("t:9", ["NOPE"], overwrite=False, v1=False, save=save)
    await svc.plans.unbind_account("t:9")
    assert (await svc.plans.get("AP")).accounts() == []


async def test_remove_timing_an_account_one_timing_or_the_plan(db: InternalDataDB) -> None:
    svc = make(db, Clock(DAY1_NOON - SECOND), Runner())
    await svc.plans.apply_load(_tariff_plan())
    await svc.plans.remove_timing("STD", "", "t:1")
    assert (await svc.plans.get("STD")).accounts() == ["t:2"]
    one = await svc.plans.accounts.load("t:1")
    assert one is not None
    assert one.action_plan_ids == []
    first = (await svc.plans.get("STD")).ActionTimings[0].Uuid
    await svc.plans.remove_timing("STD", first, "")
    assert first not in [at.Uuid for at in (await svc.plans.get("STD")).ActionTimings]
    await svc.plans.remove_timing("STD", "", "")
    assert await svc.store.get_plan("STD") is None
    two = await svc.plans.accounts.load("t:2")
    assert two is not None
    assert two.action_plan_ids == []
    with pytest.raises(ServerError, match="SERVER_ERROR: NOT_FOUND"):
        await svc.plans.remove_timing("STD", "", "")


async def test_execute_a_plan_now_and_replay_a_period(db: InternalDataDB) -> None:
    clock, runner = Clock(DAY1_NOON - SECOND), Runner()
    svc = make(db, clock, runner)
    await svc.plans.apply_load(_tariff_plan())
    await svc.execute_plan("STD")
    assert runner.calls == [("NOON", ("t:1", "t:2"))]  # timed timings only
    runner.calls.clear()
    runs = await svc.replay(DAY1_NOON - 3600 * SECOND, DAY1_NOON + 2 * DAY)
    assert runs == 3
    assert {c[0] for c in runner.calls} == {"NOON"}


async def test_off_scheduler_refuses_reloads_and_queue_reads(db: InternalDataDB) -> None:
    svc = make(db, Clock(DAY1_NOON), Runner(), enabled=False)
    await svc.start()
    assert not svc.running
    with pytest.raises(SchedulerNotRunningError, match="SCHEDULLER_NOT_RUNNING"):
        await svc.request_reload()
    with pytest.raises(SchedulerNotRunningError):
        await svc.scheduled_actions()
    await svc.stop()
    on = make(db, Clock(DAY1_NOON), Runner())
    await on.start()
    try:
        assert on.running
        await on.request_reload()
    finally:
        await on.stop()
    assert not on.running


async def test_a_config_reload_starts_and_stops_the_loop(db: InternalDataDB) -> None:
    configs = {"now": _config(enabled=False)}
    accounts = AccountService(lambda: db)
    svc = SchedulerService(lambda: db, accounts, config=lambda: configs["now"], actions=Runner)
    await svc.start()
    assert not svc.running
    configs["now"] = _config(enabled=True)
    await svc.reload()
    assert svc.running
    configs["now"] = _config(enabled=False)
    await svc.reload()
    assert not svc.running
    with pytest.raises(SchedulerNotRunningError):
        await svc.request_reload()
    await svc.stop()


async def test_an_account_removed_by_an_action_leaves_its_plans(db: InternalDataDB) -> None:
    svc = make(db, Clock(DAY1_NOON - SECOND), Runner())
    await svc.plans.apply_load(_tariff_plan())
    async with svc.plans.accounts.locked("t:1"):  # as ActionService calls the hook
        await svc.on_account_removed("t:1")
    await svc.stop()  # waits for the unbinding
    assert (await svc.plans.get("STD")).accounts() == ["t:2"]


async def test_schedulers_filters_limit_the_accounts_a_queued_timing_runs_on(
    db: InternalDataDB, caplog: pytest.LogCaptureFixture
) -> None:
    rich = TPFilterProfile(Tenant="t", ID="FLTR_RICH", Filters=[
        TPFilter(Type="*gte", Element="~*req.BalanceMap.*monetary[0].Value", Values=["5"]),
    ])  # fmt: skip
    await db.set("*filters", "t:FLTR_RICH", msgspec.msgpack.encode(rich))
    filters = FilterService(lambda: db)
    await filters.reload(db)
    clock, runner = Clock(DAY1_NOON - SECOND), Runner()
    cfg = load_config(None).merged(
        {
            "general": {"default_timezone": "UTC"},
            "schedulers": {"enabled": True, "filters": ["FLTR_RICH", "*notstring:~ID:t:2"]},
        }
    )
    accounts = AccountService(lambda: db, clock=clock)
    svc = SchedulerService(lambda: db, accounts, config=lambda: cfg, actions=lambda: runner,
                           filters=lambda: filters, clock=clock)  # fmt: skip
    plan = [AttrActionPlan(ActionsId="NOON", Time="12:00:00", Weight=Decimal(10))]
    await svc.plans.set_plan("AP", plan, overwrite=False)

    async def save(ids: list[str]) -> None:
        return None

    for name, money in (("1", 7), ("2", 9), ("3", 1), ("4", None)):
        if money is not None:
            await accounts.topup(f"t:{name}", "*monetary", balance_filter({"ID": "M"}),
                                 Decimal(money), reset=False)  # fmt: skip
        await svc.bind_account(f"t:{name}", ["AP"], overwrite=False, v1=False, save=save)
    await svc.start()
    try:
        # 1 is rich; 2 is rich but excluded by id; 3 is poor; 4 has no stored account
        [(record, _, names)] = await svc.scheduled_actions()
        assert (record.Accounts, names) == (1, ["t:1"])
        clock.now = DAY1_NOON
        async with svc._lock:
            await svc.run_due()
        assert runner.calls == [("NOON", ("t:1",))]
        # a balance change counts at the next rebuild, as CGRateS filters at queue building
        await accounts.topup("t:3", "*monetary", balance_filter({"ID": "M"}), Decimal(10),
                             reset=False)  # fmt: skip
        runner.calls.clear()
        await svc.rebuild()
        clock.now = DAY1_NOON + DAY
        async with svc._lock:
            await svc.run_due()
        assert runner.calls == [("NOON", ("t:1", "t:3"))]
    finally:
        await svc.stop()
    assert "account t:4 left out of AP: NOT_FOUND" in caplog.text
