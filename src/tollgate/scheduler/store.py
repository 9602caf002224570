"""The scheduler's DataDB partitions: action plans, the ``*asap`` task queue, timing state.

* ``*scheduler_plans``: :class:`ActionPlan` by id (CGRateS's ``actionPlans`` keys);
* ``*scheduler_tasks``: :class:`Task` by ``<push time ns, 20 digits>-<uuid>``, so the keys
  sort in push order (CGRateS's ``PushTask``/``PopTask`` list);
* ``*scheduler_state``: :class:`TimingState` by action timing uuid: the next run of every
  queued timing, written before it runs (see ``docs/scheduler.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import msgspec

from tollgate.core.errors import ServerError
from tollgate.scheduler.models import ActionPlan, Task, TimingState
from tollgate.storage.datadb import DataDB

__all__ = ["PLANS", "STATE", "TASKS", "SchedulerStore"]

PLANS = "*scheduler_plans"
TASKS = "*scheduler_tasks"
STATE = "*scheduler_state"

_encoder = msgspec.msgpack.Encoder()
_plan = msgspec.msgpack.Decoder(ActionPlan)
_task = msgspec.msgpack.Decoder(Task)
_state = msgspec.msgpack.Decoder(TimingState)


class SchedulerStore:
    """Typed access to the three partitions; ``db`` returns the open DataDB."""

    def __init__(
        self, db: Callable[[], DataDB | None], *, clock: Callable[[], int] = time.time_ns
    ) -> None:
        self._db = db
        self._clock = clock
        self._last_task = 0

    @property
    def db(self) -> DataDB:
        db = self._db()
        if db is None:
            raise ServerError("DataDB is not open")
        return db

    # -- action plans ------------------------------------------------------------------------

    async def get_plan(self, plan_id: str) -> ActionPlan | None:
        data = await self.db.get(PLANS, plan_id)
        return None if data is None else _plan.decode(data)

    async def plans(self) -> dict[str, ActionPlan]:
        """Every plan by id, in id order."""
        db = self.db
        keys = await db.keys(PLANS)
        values = await db.get_many(PLANS, keys)
        return {k: _plan.decode(v) for k, v in zip(keys, values, strict=True) if v is not None}

    async def plan_ids(self) -> list[str]:
        return await self.db.keys(PLANS)

    async def set_plans(self, plans: Iterable[ActionPlan]) -> None:
        """Write ``plans`` at once; a plan without action timings is removed (as CGRateS)."""
        keep = {p.Id: _encoder.encode(p) for p in plans if p.ActionTimings}
        gone = [p.Id for p in plans if not p.ActionTimings]
        if keep:
            await self.db.set_many(PLANS, keep)
        for plan_id in gone:
            await self.db.remove(PLANS, plan_id)

    async def remove_plan(self, plan_id: str) -> bool:
        return await self.db.remove(PLANS, plan_id)

    # -- tasks -------------------------------------------------------------------------------

    def _task_key(self, task: Task) -> str:
        # strictly increasing within the process; across restarts the clock moves on
        stamp = max(self._clock(), self._last_task + 1)
        self._last_task = stamp
        return f"{stamp:020d}-{task.Uuid}"

    async def push_tasks(self, tasks: Iterable[Task]) -> int:
        """Queue ``tasks`` in order, atomically; how many were queued."""
        batch = {self._task_key(t): _encoder.encode(t) for t in tasks}
        if batch:
            await self.db.set_many(TASKS, batch)
        return len(batch)

    async def task_keys(self) -> list[str]:
        return await self.db.keys(TASKS)

    async def pop_task(self, key: str) -> Task | None:
        """Take the task of ``key`` off the queue (durably) and return it."""
        db = self.db
        data = await db.get(TASKS, key)
        if data is None:
            return None
        await db.remove(TASKS, key)
        return _task.decode(data)

    async def tasks(self) -> list[Task]:
        db = self.db
        values = await db.get_many(TASKS, await db.keys(TASKS))
        return [_task.decode(v) for v in values if v is not None]

    # -- timing state ------------------------------------------------------------------------

    async def states(self) -> dict[str, TimingState]:
        db = self.db
        keys = await db.keys(STATE)
        values = await db.get_many(STATE, keys)
        return {k: _state.decode(v) for k, v in zip(keys, values, strict=True) if v is not None}

    async def get_state(self, uuid: str) -> TimingState | None:
        data = await self.db.get(STATE, uuid)
        return None if data is None else _state.decode(data)

    async def set_states(self, states: dict[str, TimingState]) -> None:
        if states:
            await self.db.set_many(STATE, {k: _encoder.encode(v) for k, v in states.items()})

    async def remove_state(self, uuid: str) -> None:
        await self.db.remove(STATE, uuid)
