"""Action plans and the accounts bound to them: API changes, SetAccount bindings, and what a
tariff-plan load does with ActionPlans.csv and AccountActions.csv.

Every change of a plan's ``AccountIDs`` or of an account's ``action_plan_ids`` (the reverse
index) happens under :attr:`ActionPlans.lock`; account writes go through
``AccountService.commit`` under the account's lock, which is always taken *after* the plans
lock, never before it. ``*asap`` timings become :class:`Task` records that the scheduler
runs (CGRateS's ``PushTask``); see ``docs/scheduler.md`` for when.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from decimal import Decimal
from typing import Protocol

import msgspec

from tollgate.accounts import Account, AccountService, StoredAccount
from tollgate.core.errors import (
    BrokenReferenceError,
    ExistsError,
    NotFoundError,
    ServerError,
    TollgateError,
)
from tollgate.core.wire import go_number
from tollgate.scheduler.models import (
    ActionPlan,
    ActionTiming,
    AttrActionPlan,
    RateInterval,
    RITiming,
    Task,
)
from tollgate.scheduler.store import SchedulerStore
from tollgate.scheduler.timings import (
    ASAP,
    builtin_timing,
    parse_int_list,
    valid_start_time,
)
from tollgate.tariffplans import ApierTPTiming, TariffPlan, TPAccountActions, TPActionPlan

__all__ = ["ACTIONS", "ActionPlans", "TriggerAttacher", "new_uuid"]

logger = logging.getLogger(__name__)

ACTIONS = "*actions"  # the partition the loaded (and API-set) Actions live in
_TIMINGS = "*timings"
_timing_decoder = msgspec.msgpack.Decoder(ApierTPTiming)


def new_uuid() -> str:
    return str(uuid.uuid4())


class TriggerAttacher(Protocol):
    """The part of the TriggerService a load needs (``engine.triggers``)."""

    async def attach_triggers(
        self, stored: StoredAccount, trigger_ids: Sequence[str], *, overwrite: bool
    ) -> None: ...


def _timing_of_tp(tp: ApierTPTiming, timing_id: str) -> RITiming:
    start, _, end = tp.Time.partition(";")
    start = start.strip()
    return RITiming(
        ID=timing_id,
        Years=parse_int_list(tp.Years),
        Months=parse_int_list(tp.Months),
        MonthDays=parse_int_list(tp.MonthDays),
        WeekDays=parse_int_list(tp.WeekDays),
        StartTime="" if start == "*any" else start,
        EndTime=end.strip(),
    )


def _action_timing(timing: RITiming, actions_id: str, weight: Decimal) -> ActionTiming:
    return ActionTiming(
        Uuid=new_uuid(),
        Timing=RateInterval(Timing=timing),
        ActionsID=actions_id,
        Weight=go_number(str(weight)),
    )


def _by_weight(timings: Iterable[ActionTiming]) -> list[ActionTiming]:
    """Higher weights first, file order among equals."""
    return sorted(timings, key=lambda at: -at.Weight)


def asap_tasks(plan: ActionPlan, accounts: Sequence[str]) -> list[Task]:
    """One task per ``*asap`` timing and account; account-less ones when no account."""
    tasks = []
    for at in _by_weight(plan.ActionTimings):
        if not at.is_asap:
            continue
        for account_id in accounts or [""]:
            tasks.append(Task(Uuid=new_uuid(), AccountID=account_id, ActionsID=at.ActionsID))
    return tasks


class ActionPlans:
    """Owns the action plans, their account bindings and the ``*asap`` tasks they queue."""

    def __init__(
        self,
        store: SchedulerStore,
        accounts: AccountService,
        *,
        timezone: Callable[[], dt.tzinfo],
        triggers: Callable[[], TriggerAttacher | None] = lambda: None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.timezone = timezone
        self.triggers = triggers
        self.clock = clock
        self.lock = asyncio.Lock()

    def _now_wall(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock() / 1e9, self.timezone())

    # -- the reverse index on the accounts ---------------------------------------------------

    async def _index_accounts(
        self, account_ids: Iterable[str], plans: dict[str, ActionPlan] | None = None
    ) -> None:
        """Set each existing account's ``action_plan_ids`` to the plans listing it."""
        wanted = set(account_ids)
        if not wanted:
            return
        if plans is None:
            plans = await self.store.plans()
        for account_id in sorted(wanted):
            ids = _plan_ids(plans, account_id)
            async with self.accounts.locked(account_id):
                stored = await self.accounts.load(account_id)
                if stored is None or stored.action_plan_ids == ids:
                    continue
                stored.action_plan_ids = ids
                await self.accounts.commit(stored)

    # -- API: set, get, remove plans ---------------------------------------------------------

    async def get(self, plan_id: str) -> ActionPlan:
        plan = await self.store.get_plan(plan_id)
        if plan is None:
            raise NotFoundError()
        return plan

    def _timing_of_api(self, at: AttrActionPlan) -> RITiming:
        """SetActionPlan's timing: a built-in id as Time (``*monthly``…) fixed now, or the
        lists and ``HH:MM:SS``/``*asap``; UNSUPPORTED_FORMAT for anything else."""
        if at.Time not in (ASAP, "*any"):
            builtin = builtin_timing(at.Time, self._now_wall())
            if builtin is not None:
                return builtin
        if not valid_start_time(at.Time):
            raise TollgateError(f"UNSUPPORTED_FORMAT:{at.Time}")
        lists = []
        for text in (at.Years, at.Months, at.MonthDays, at.WeekDays):
            try:
                lists.append(parse_int_list(text))
            except ValueError:
                raise TollgateError(f"UNSUPPORTED_FORMAT:{text}") from None
        years, months, month_days, week_days = lists
        return RITiming(
            Years=years, Months=months, MonthDays=month_days, WeekDays=week_days, StartTime=at.Time
        )

    async def set_plan(
        self, plan_id: str, timings: Sequence[AttrActionPlan], *, overwrite: bool
    ) -> None:
        """``SetActionPlan``: a new plan (EXISTS unless ``overwrite``); its accounts are dropped."""
        async with self.lock:
            previous = await self.store.get_plan(plan_id)
            if previous is not None and not overwrite:
                raise ExistsError()
            plan = ActionPlan(Id=plan_id)
            for at in timings:
                if await self.store.db.get(ACTIONS, at.ActionsId) is None:
                    raise BrokenReferenceError(f"BROKEN_REFERENCE:{at.ActionsId}")
                timing = self._timing_of_api(at)
                plan.ActionTimings.append(_action_timing(timing, at.ActionsId, at.Weight))
            await self.store.set_plans([plan])
            if previous is not None:
                await self._index_accounts(previous.accounts())

    async def remove_plan(self, plan_id: str) -> None:
        """``RemoveActionPlan``: the plan goes, and so do its accounts' bindings."""
        async with self.lock:
            previous = await self.store.get_plan(plan_id)
            await self.store.remove_plan(plan_id)
            if previous is not None:
                await self._index_accounts(previous.accounts())

    async def remove_timing(self, plan_id: str, timing_id: str, account_id: str) -> None:
        """``RemoveActionTiming``: unbind an account, or drop one timing, or the whole plan."""
        async with self.lock:
            plan = await self.store.get_plan(plan_id)
            if plan is None:
                raise ServerError(NotFoundError())
            touched: list[str] = []
            if account_id:
                (plan.AccountIDs or {}).pop(account_id, None)
                touched = [account_id]
            elif timing_id:
                plan.ActionTimings = [at for at in plan.ActionTimings if at.Uuid != timing_id]
            else:
                plan.ActionTimings = []
                touched = plan.accounts()
            await self.store.set_plans([plan])
            await self._index_accounts(touched)

    async def account_plans(self, account_id: str) -> list[ActionPlan]:
        """The plans an account is bound to (its index), NOT_FOUND for a missing one."""
        stored = await self.accounts.load(account_id)
        plans = []
        for plan_id in stored.action_plan_ids if stored is not None else ():
            plans.append(await self.get(plan_id))
        return plans

    # -- SetAccount --------------------------------------------------------------------------

    async def bind_account(
        self,
        account_id: str,
        plan_ids: Sequence[str],
        *,
        overwrite: bool,
        v1: bool,
        save: Callable[[list[str]], Awaitable[object]],
    ) -> bool:
        """SetAccount's ActionPlanID(s); ``save(plan_ids)`` writes the account with its new
        index. Whether the scheduler needs a reload (tasks queued or plans changed).

        v1 (``APIerSv1.SetAccount``) replaces every plan by the one given and queues its
        ``*asap`` timings only when newly bound; v2 drops the others only with
        ``ActionPlansOverwrite``, queues the ``*asap`` timings of every plan given each time,
        and binds no account to a plan that has only ``*asap`` timings. An unknown plan is
        ``SERVER_ERROR: NOT_FOUND`` before anything changes.
        """
        async with self.lock:
            wanted: dict[str, ActionPlan] = {}
            for plan_id in plan_ids:
                plan = await self.store.get_plan(plan_id)
                if plan is None:
                    raise ServerError(NotFoundError())
                wanted[plan_id] = plan
            stored = await self.accounts.load(account_id)
            current = list(stored.action_plan_ids) if stored is not None else []
            dirty: dict[str, ActionPlan] = {}
            if v1 or overwrite:
                for plan_id in current:
                    if plan_id in wanted:
                        continue
                    old = await self.store.get_plan(plan_id)
                    if old is not None and account_id in (old.AccountIDs or {}):
                        del (old.AccountIDs or {})[account_id]
                        dirty[plan_id] = old
                current = [p for p in current if p in wanted]
            tasks: list[Task] = []
            for plan_id, plan in wanted.items():
                bound = plan_id in current
                if v1:
                    if bound:
                        continue
                    tasks += asap_tasks(plan, [account_id])
                else:
                    tasks += asap_tasks(plan, [account_id])
                    if bound or not plan.has_scheduled:
                        continue
                plan.AccountIDs = {**(plan.AccountIDs or {}), account_id: True}
                dirty[plan_id] = plan
                current.append(plan_id)
            await self.store.set_plans(dirty.values())
            await self.store.push_tasks(tasks)
            await save(current)
            return bool(tasks or dirty)

    async def unbind_account(self, account_id: str) -> None:
        """``RemoveAccount``: take the account off every plan."""
        async with self.lock:
            plans = await self.store.plans()
            dirty = [p for p in plans.values() if account_id in (p.AccountIDs or {})]
            for plan in dirty:
                del (plan.AccountIDs or {})[account_id]
            await self.store.set_plans(dirty)

    # -- tariff-plan loads -------------------------------------------------------------------

    async def _stored_timing(self, timing_id: str) -> ApierTPTiming | None:
        data = await self.store.db.get(_TIMINGS, timing_id)
        return None if data is None else _timing_decoder.decode(data)

    async def _convert(
        self, tp: TPActionPlan, timings: dict[str, ApierTPTiming], now: dt.datetime
    ) -> ActionPlan:
        plan = ActionPlan(Id=tp.ID)
        for row in tp.ActionPlan:
            timing = builtin_timing(row.TimingId, now)
            if timing is None:
                tp_timing = timings.get(row.TimingId) or await self._stored_timing(row.TimingId)
                if tp_timing is None:
                    raise ServerError(
                        f"[ActionPlans] Could not load the timing for tag: {row.TimingId}"
                    )
                try:
                    timing = _timing_of_tp(tp_timing, row.TimingId)
                except ValueError as exc:
                    raise ServerError(f"timing {row.TimingId}: {exc}") from None
            plan.ActionTimings.append(_action_timing(timing, row.ActionsId, row.Weight))
        return plan

    async def apply_load(self, tariff_plan: TariffPlan, *, merge_accounts: bool = False) -> int:
        """What CGRateS's ``WriteToDatabase`` does with the plans and account actions of a
        load; how many ``*asap`` tasks were queued.

        The loaded plans replace the stored ones (new timing uuids; their accounts are those
        of this load's AccountActions); a row naming a plan of an earlier load adds its
        account to it. Every row creates or updates its account (balances are kept;
        AllowNegative, Disabled and the triggers come from the row). ``*asap`` timings
        become tasks for every account of their plan; a plan with only ``*asap`` timings
        then keeps no account. The accounts' plan index is rebuilt for every account whose
        bindings changed.

        ``merge_accounts`` (``LoadAccountActions``) keeps the accounts a reloaded plan had.
        """
        if not tariff_plan.action_plans and not tariff_plan.account_actions:
            return 0
        now = self._now_wall()
        async with self.lock:
            timings = {t.ID: t for t in tariff_plan.timings}
            loaded = {}
            for tp in tariff_plan.action_plans:
                loaded[tp.ID] = await self._convert(tp, timings, now)
            touched: dict[str, ActionPlan] = dict(loaded)
            affected: set[str] = set()
            for plan_id, new in loaded.items():
                old = await self.store.get_plan(plan_id)
                if old is not None:
                    affected.update(old.accounts())
                    if merge_accounts and old.AccountIDs:
                        new.AccountIDs = dict(old.AccountIDs)
            for row in tariff_plan.account_actions:
                if not row.ActionPlanId:
                    continue
                plan = touched.get(row.ActionPlanId) or await self.store.get_plan(row.ActionPlanId)
                if plan is None:
                    raise ServerError(f"could not get action plan for tag {row.ActionPlanId}")
                plan.AccountIDs = {**(plan.AccountIDs or {}), row.key: True}
                touched[plan.Id] = plan
            tasks: list[Task] = []
            for plan in touched.values():
                tasks += asap_tasks(plan, plan.accounts())
                affected.update(plan.accounts())
                if not plan.has_scheduled:
                    plan.AccountIDs = {}
            await self.store.set_plans(touched.values())
            await self.store.push_tasks(tasks)
            plans = await self.store.plans()
            for row in tariff_plan.account_actions:
                await self._load_account(row, _plan_ids(plans, row.key))
                affected.discard(row.key)
            await self._index_accounts(affected, plans)
        logger.info(
            "loaded %d action plans and %d account actions; %d *asap tasks queued",
            len(loaded),
            len(tariff_plan.account_actions),
            len(tasks),
        )
        return len(tasks)

    async def _load_account(self, row: TPAccountActions, plan_ids: list[str]) -> None:
        """One AccountActions row: create or update the account (its balances stay)."""
        account_id = row.key
        trigger_ids = [row.ActionTriggersId] if row.ActionTriggersId else []
        attacher = self.triggers()
        async with self.accounts.locked(account_id):
            stored = await self.accounts.load(account_id)
            if stored is None:
                stored = StoredAccount(account=Account(ID=account_id))
            stored.account.AllowNegative = row.AllowNegative
            stored.account.Disabled = row.Disabled
            if attacher is not None:
                await attacher.attach_triggers(stored, trigger_ids, overwrite=True)
            else:
                stored.action_trigger_ids = trigger_ids
            if not stored.account.ActionTriggers:
                stored.account.ActionTriggers = None  # CGRateS writes nil triggers
            stored.action_plan_ids = plan_ids
            await self.accounts.commit(stored)


def _plan_ids(plans: dict[str, ActionPlan], account_id: str) -> list[str]:
    """The ids of the plans listing ``account_id`` (CGRateS's reverse index)."""
    return [p.Id for p in plans.values() if account_id in (p.AccountIDs or {})]
