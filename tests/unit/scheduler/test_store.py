"""SchedulerStore over a real internal DataDB: plans, the task queue, timing state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tollgate.scheduler import ActionPlan, ActionTiming, RITiming, SchedulerStore, Task
from tollgate.scheduler.models import RateInterval, TimingState
from tollgate.storage.datadb import InternalDataDB


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path)
    await store.open()
    yield store
    await store.close()


def _plan(plan_id: str, *, timings: int = 1, accounts: tuple[str, ...] = ()) -> ActionPlan:
    return ActionPlan(
        Id=plan_id,
        AccountIDs=dict.fromkeys(accounts, True) or None,
        ActionTimings=[
            ActionTiming(
                Uuid=f"{plan_id}-{i}",
                Timing=RateInterval(Timing=RITiming(StartTime="12:00:00")),
                ActionsID="ACT",
                Weight=Decimal(10),
            )
            for i in range(timings)
        ],
    )


async def test_plans_round_trip_and_an_empty_plan_is_removed(db: InternalDataDB) -> None:
    store = SchedulerStore(lambda: db)
    await store.set_plans([_plan("B", accounts=("t:2", "t:1")), _plan("A")])
    assert list(await store.plans()) == ["A", "B"]
    plan_b = await store.get_plan("B")
    assert plan_b is not None
    assert plan_b.accounts() == ["t:1", "t:2"]
    assert plan_b.ActionTimings[0].Weight == Decimal(10)
    await store.set_plans([_plan("B", timings=0)])
    assert await store.get_plan("B") is None
    assert await store.plan_ids() == ["A"]


async def test_tasks_pop_in_push_order_and_only_once(db: InternalDataDB) -> None:
    ticks = iter([5, 5, 5, 3])  # a clock that stalls and steps back
    store = SchedulerStore(lambda: db, clock=lambda: next(ticks))
    await store.push_tasks([Task(Uuid="a", AccountID="t:1", ActionsID="X")])
    await store.push_tasks(
        [Task(Uuid="b", AccountID="t:2", ActionsID="Y"), Task(Uuid="c", ActionsID="Z")]
    )
    await store.push_tasks([Task(Uuid="d", ActionsID="W")])
    keys = await store.task_keys()
    popped = [await store.pop_task(k) for k in keys]
    assert [t.Uuid for t in popped if t is not None] == ["a", "b", "c", "d"]
    assert await store.pop_task(keys[0]) is None
    assert await store.tasks() == []


async def test_tasks_survive_a_reopen(tmp_path: Path) -> None:
    db = InternalDataDB(tmp_path)
    await db.open()
    await SchedulerStore(lambda: db).push_tasks([Task(Uuid="a", ActionsID="X")])
    await db.close()
    again = InternalDataDB(tmp_path)
    await again.open()
    try:
        assert [t.Uuid for t in await SchedulerStore(lambda: again).tasks()] == ["a"]
    finally:
        await again.close()


async def test_timing_state(db: InternalDataDB) -> None:
    store = SchedulerStore(lambda: db)
    await store.set_states({"u1": TimingState(ActionPlanID="P", NextRun=7)})
    assert await store.get_state("u1") == TimingState(ActionPlanID="P", NextRun=7)
    await store.remove_state("u1")
    assert await store.states() == {}
