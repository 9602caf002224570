"""SchedulerS: runs queued ``*asap`` tasks and action timings when they are due.

As CGRateS v0.10's ``scheduler.Scheduler``: a (re)build (at start, ``SchedulerSv1.Reload``,
``ReloadScheduler`` of the APIs, after a load when ``apiers.scheduler_conns`` reaches it)
first runs every queued task, then queues every action timing that is not ``*asap`` with
its next start; the loop sleeps until the earliest, runs what is due (higher weight first
among timings due together) through ``ActionService.execute`` on the plan's accounts, and
queues each again at its next start after the run.

``schedulers.filters`` are checked when the queue is built, as v0.10 does: a queued timing
runs only on the plan's accounts that passed them then (a rebuild checks again); ``*asap``
tasks, ``ExecuteScheduledActions`` and replays are not filtered.

Unlike CGRateS, the next start of every queued timing is kept in the DataDB and written
*before* the timing runs: a restart finds it and neither runs that occurrence again nor
forgets one that fell due while the engine was down (it runs once, at start). See
``docs/scheduler.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from tollgate.accounts import AccountService
from tollgate.core.config import Config
from tollgate.core.durations import SECOND
from tollgate.core.errors import (
    NotFoundError,
    SchedulerNotRunningError,
    ServerError,
    TollgateError,
)
from tollgate.core.registry import Service
from tollgate.core.times import format_rfc3339, resolve_timezone
from tollgate.filters.dataprovider import DataProvider
from tollgate.scheduler.models import (
    ActionPlan,
    ActionTiming,
    RITiming,
    ScheduledAction,
    TimingState,
)
from tollgate.scheduler.plans import ActionPlans, TriggerAttacher
from tollgate.scheduler.store import SchedulerStore
from tollgate.scheduler.timings import next_start
from tollgate.storage.datadb import DataDB
from tollgate.tariffplans import TariffPlan

__all__ = ["ActionRunner", "SchedulerService"]

logger = logging.getLogger(__name__)

_MAX_SLEEP = 60.0  # seconds: wake at least this often, so a clock step is noticed


class ActionRunner(Protocol):
    """``ActionService.execute`` (``engine.actions``): run an Actions id on accounts."""

    async def execute(self, actions_id: str, account_ids: Sequence[str]) -> None: ...


class ConnCaller(Protocol):
    async def call(self, conn_ids: Sequence[str], method: str, args: Any) -> Any: ...


class AccountFilters(Protocol):
    """``FilterService.pass_filters`` (``engine.filters``): what ``schedulers.filters`` use."""

    async def pass_filters(
        self, tenant: str, filter_ids: Sequence[str], dp: DataProvider
    ) -> bool: ...


@dataclass(slots=True)
class _Queued:
    """One action timing in the queue."""

    next_run: int
    weight: Decimal
    plan_id: str
    uuid: str
    actions_id: str
    timing: RITiming
    # the accounts that passed ``schedulers.filters`` when the queue was built (None: no
    # filters, every account bound to the plan when it runs)
    passed: frozenset[str] | None = None

    @classmethod
    def of(cls, plan_id: str, at: ActionTiming, next_run: int) -> _Queued:
        return cls(next_run, at.Weight, plan_id, at.Uuid, at.ActionsID, at.Timing.Timing)

    def accounts(self, plan: ActionPlan) -> list[str]:
        bound = plan.accounts()
        return bound if self.passed is None else [a for a in bound if a in self.passed]

    def order(self) -> tuple[int, Decimal]:
        return self.next_run, -self.weight


class SchedulerService(Service):
    """The ``schedulers`` subsystem; its plans and tasks are usable while it is off."""

    name = "scheduler"
    requires = ("datadb", "apier")

    def __init__(
        self,
        db: Callable[[], DataDB | None],
        accounts: AccountService,
        *,
        config: Callable[[], Config],
        actions: Callable[[], ActionRunner | None],
        triggers: Callable[[], TriggerAttacher | None] = lambda: None,
        conns: Callable[[], ConnCaller] | None = None,
        filters: Callable[[], AccountFilters | None] = lambda: None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.config = config
        self.actions = actions
        self.accounts = accounts
        self.filters = filters
        self.conns = conns
        self.clock = clock
        self.store = SchedulerStore(db, clock=clock)
        self.plans = ActionPlans(
            self.store, accounts, timezone=self.timezone, triggers=triggers, clock=clock
        )
        self.started = False
        self._queue: list[_Queued] = []
        self._lock = asyncio.Lock()  # the queue and every run
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._background: set[asyncio.Task[None]] = set()
        self._tz: tuple[str, dt.tzinfo] | None = None

    def timezone(self) -> dt.tzinfo:
        """``general.default_timezone``, resolved once per name."""
        name = self.config().general.default_timezone
        if self._tz is None or self._tz[0] != name:
            self._tz = (name, resolve_timezone(name))
        return self._tz[1]

    @property
    def configured(self) -> bool:
        return bool(self.config().schedulers.enabled)

    @property
    def running(self) -> bool:
        return self._loop_task is not None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.started = True
        if self.configured:
            await self._start_loop()

    async def _start_loop(self) -> None:
        await self.rebuild()
        self._loop_task = asyncio.get_running_loop().create_task(self._loop(), name="scheduler")
        logger.info("scheduler started: %d action timings queued", len(self._queue))

    async def stop(self) -> None:
        for pending in list(self._background):
            await pending
        task, self._loop_task = self._loop_task, None
        if task is not None:
            async with self._lock:  # never cut a run in half
                self._stopping = True
                self._wake.set()
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._stopping = False
        self._queue = []
        self.started = False

    async def reload(self) -> None:
        """The config changed: start or stop the loop as ``schedulers.enabled`` says."""
        if not self.started:
            return
        if self.configured and not self.running:
            await self._start_loop()
        elif not self.configured and self.running:
            await self.stop()
            self.started = True

    # -- reload (SchedulerSv1.Reload) --------------------------------------------------------

    async def request_reload(self) -> None:
        """``SchedulerSv1.Reload`` / ``ReloadScheduler``: SCHEDULLER_NOT_RUNNING when off; a
        reload asked for before the service started (a load at start) is left to start."""
        if not self.configured:
            raise SchedulerNotRunningError()
        if not self.running:
            return
        await self.rebuild()

    async def rebuild(self) -> None:
        """Run the queued tasks, then queue every timed action timing again."""
        async with self._lock:
            await self._run_tasks()
            await self._build_queue()
        self._wake.set()

    async def _run_tasks(self) -> None:
        runner = self.actions()
        if runner is None:
            logger.error("no ActionS in this engine: the *asap tasks stay queued")
            return
        for key in await self.store.task_keys():
            task = await self.store.pop_task(key)  # off the queue before it runs: never twice
            if task is None:
                continue
            accounts = [task.AccountID] if task.AccountID else []
            logger.info("executing task %s on account %s", task.ActionsID, task.AccountID)
            await self._execute(runner, task.ActionsID, accounts)

    async def _build_queue(self) -> None:
        now = self.clock()
        tz = self.timezone()
        states = await self.store.states()
        fresh: dict[str, TimingState] = {}
        queue: list[_Queued] = []
        live: set[str] = set()
        for plan in (await self.store.plans()).values():
            passed = await self._passing(plan)
            for at in plan.ActionTimings:
                if at.is_asap:
                    continue  # ran as tasks
                live.add(at.Uuid)
                state = states.get(at.Uuid)
                if state is not None:
                    next_run = state.NextRun  # may be past: a run missed while down
                else:
                    try:
                        start = next_start(at.Timing.Timing, now, tz)
                    except ValueError as exc:
                        logger.warning("action plan %s: timing %s: %s", plan.Id, at.Uuid, exc)
                        continue
                    if start is None:
                        continue  # no run to come (CGRateS drops it as obsolete)
                    next_run = start
                    fresh[at.Uuid] = TimingState(ActionPlanID=plan.Id, NextRun=next_run)
                entry = _Queued.of(plan.Id, at, next_run)
                entry.passed = passed
                queue.append(entry)
        await self.store.set_states(fresh)
        for uuid in states.keys() - live:
            await self.store.remove_state(uuid)
        queue.sort(key=_Queued.order)
        self._queue = queue

    async def _passing(self, plan: ActionPlan) -> frozenset[str] | None:
        """The plan's accounts that pass ``schedulers.filters`` (None when none are set).

        Each account is read from the DataDB and is the filters' data, in the account's
        tenant: its fields are the event (``~*req.BalanceMap.*monetary[0].Value``) and also
        sit at the top level (``~ID``, ``~AllowNegative``: v0.10's docs do not say which
        spelling its scheduler reads, so both work). A missing account or a filter that
        cannot be checked (``NOT_FOUND:<id>``) leaves the account out, logged."""
        filter_ids = list(self.config().schedulers.filters)
        if not filter_ids:
            return None
        filters = self.filters()
        if filters is None:
            logger.warning("schedulers.filters set but this engine has no FilterS: no account")
            return frozenset()
        passed: set[str] = set()
        for account_id in plan.accounts():
            try:
                account = await self.accounts.get(account_id)
                fields = msgspec.to_builtins(account, builtin_types=(Decimal,))
                dp = DataProvider(fields, maps=fields)
                if await filters.pass_filters(account.tenant, filter_ids, dp):
                    passed.add(account_id)
            except TollgateError as exc:
                logger.warning("<SchedulerS> account %s left out of %s: %s",
                               account_id, plan.Id, exc)  # fmt: skip
        return frozenset(passed)

    # -- the loop ----------------------------------------------------------------------------

    async def _loop(self) -> None:
        # the flag as well as the cancel: a wait ending as the cancel comes may swallow it
        while not self._stopping:
            self._wake.clear()
            async with self._lock:
                if self._stopping:
                    return
                delay = await self.run_due()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if delay is None else min(delay, _MAX_SLEEP)):
                    await self._wake.wait()

    async def run_due(self) -> float | None:
        """Run every queued timing due now (call with the lock held); the seconds until the
        next one, or None when the queue is empty."""
        now = self.clock()
        for entry in sorted((q for q in self._queue if q.next_run <= now), key=_Queued.order):
            await self._fire(entry, now)
        if not self._queue:
            return None
        return max(0.0, (min(q.next_run for q in self._queue) - self.clock()) / SECOND)

    async def _fire(self, entry: _Queued, now: int) -> None:
        plan = await self.store.get_plan(entry.plan_id)
        timings = plan.ActionTimings if plan is not None else []
        timing = next((at for at in timings if at.Uuid == entry.uuid), None)
        if plan is None or timing is None:  # removed since the queue was built
            self._queue.remove(entry)
            await self.store.remove_state(entry.uuid)
            return
        try:
            following = next_start(entry.timing, max(now, entry.next_run) + SECOND, self.timezone())
        except ValueError:
            following = None
        # the next start is durable before the run: a crash now skips this run, never repeats it
        if following is None:
            self._queue.remove(entry)
            await self.store.remove_state(entry.uuid)
        else:
            await self.store.set_states(
                {
                    entry.uuid: TimingState(
                        ActionPlanID=entry.plan_id, NextRun=following, LastRun=entry.next_run
                    )
                }
            )
            entry.next_run = following
        runner = self.actions()
        if runner is None:
            logger.error("no ActionS in this engine: %s not run", entry.actions_id)
            return
        logger.info("running action timing %s of %s (%s)", entry.uuid, plan.Id, timing.ActionsID)
        await self._execute(runner, timing.ActionsID, entry.accounts(plan))

    @staticmethod
    async def _execute(runner: ActionRunner, actions_id: str, accounts: list[str]) -> None:
        try:
            await runner.execute(actions_id, accounts)
        except Exception as exc:
            # as CGRateS, a failed run is logged and the scheduler goes on
            logger.error("executing %s on %s: %s", actions_id, accounts or "no account", exc)

    # -- SetAccount / RemoveAccount ----------------------------------------------------------

    async def bind_account(
        self,
        account_id: str,
        plan_ids: Sequence[str],
        *,
        overwrite: bool,
        v1: bool,
        save: Callable[[list[str]], Awaitable[object]],
    ) -> bool:
        """SetAccount's ActionPlanID(s): see :meth:`ActionPlans.bind_account`."""
        return await self.plans.bind_account(
            account_id, plan_ids, overwrite=overwrite, v1=v1, save=save
        )

    async def unbind_account(self, account_id: str) -> None:
        """RemoveAccount: the account leaves every plan."""
        await self.plans.unbind_account(account_id)

    async def on_account_removed(self, account_id: str) -> None:
        """A ``*remove_account`` action removed the account (its lock held): it leaves every
        plan, in a task of its own, as the plans lock is never taken under an account lock."""
        task = asyncio.get_running_loop().create_task(self._unbind_removed(account_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _unbind_removed(self, account_id: str) -> None:
        try:
            await self.plans.unbind_account(account_id)
        except Exception as exc:
            logger.error("removed account %s stays in its action plans: %s", account_id, exc)

    # -- loads and reads ---------------------------------------------------------------------

    async def on_plan_loaded(self, plan: TariffPlan) -> None:
        """After a tariff-plan load: plans, accounts and tasks as CGRateS's WriteToDatabase,
        then ``SchedulerSv1.Reload`` through ``apiers.scheduler_conns`` when set."""
        await self.plans.apply_load(plan)
        conn_ids = self.config().apiers.scheduler_conns
        if conn_ids and self.conns is not None:
            try:
                await self.conns().call(conn_ids, "SchedulerSv1.Reload", {})
            except TollgateError as exc:
                raise ServerError(exc) from exc

    def queued(self) -> list[tuple[str, str, int]]:
        """The queue in run order: (action plan id, action timing uuid, next run ns)."""
        return [(q.plan_id, q.uuid, q.next_run) for q in sorted(self._queue, key=_Queued.order)]

    def scheduled_run(self, uuid: str) -> int | None:
        """When the queue runs ``uuid`` next (ns), if it is queued."""
        return next((q.next_run for q in self._queue if q.uuid == uuid), None)

    async def scheduled_actions(self) -> list[tuple[ScheduledAction, int, list[str]]]:
        """The queue as ``ScheduledAction`` records, with each one's next run (ns) and
        accounts; SCHEDULLER_NOT_RUNNING when the scheduler is off."""
        if not self.running:
            raise SchedulerNotRunningError()
        plans = await self.store.plans()
        tz = self.timezone()
        out = []
        for q in sorted(self._queue, key=_Queued.order):
            accounts = q.accounts(plans[q.plan_id]) if q.plan_id in plans else []
            record = ScheduledAction(
                NextRunTime=format_rfc3339(q.next_run, tz),
                Accounts=len(accounts),
                ActionPlanID=q.plan_id,
                ActionTimingUUID=q.uuid,
                ActionsID=q.actions_id,
            )
            out.append((record, q.next_run, accounts))
        return out

    # -- ExecuteScheduledActions -------------------------------------------------------------

    def _runner(self) -> ActionRunner:
        runner = self.actions()
        if runner is None:
            raise ServerError("no ActionS in this engine")
        return runner

    async def execute_plan(self, plan_id: str) -> None:
        """Run every timed action timing of a plan now, higher weight first."""
        plan = await self.store.get_plan(plan_id)
        if plan is None:
            raise NotFoundError()
        runner = self._runner()
        for at in sorted(plan.ActionTimings, key=lambda at: -at.Weight):
            if not at.is_asap:
                await runner.execute(at.ActionsID, plan.accounts())

    async def replay(self, start_ns: int, end_ns: int) -> int:
        """Run every timed action timing as if the clock went from ``start_ns`` to
        ``end_ns``: each occurrence once, in time order (weight among equals). How many ran."""
        runner = self._runner()
        tz = self.timezone()
        pending: list[_Queued] = []
        plans: dict[str, ActionPlan] = await self.store.plans()
        for plan in plans.values():
            for at in plan.ActionTimings:
                if at.is_asap:
                    continue
                with contextlib.suppress(ValueError):
                    first = next_start(at.Timing.Timing, start_ns, tz)
                    if first is not None and first <= end_ns:
                        pending.append(_Queued.of(plan.Id, at, first))
        runs = 0
        while pending:
            pending.sort(key=_Queued.order)
            entry = pending.pop(0)
            await runner.execute(entry.actions_id, plans[entry.plan_id].accounts())
            runs += 1
            following = next_start(entry.timing, entry.next_run, tz)
            if following is not None and following <= end_ns:
                entry.next_run = following
                pending.append(entry)
        return runs
