"""Action-plan methods of APIerSv1/APIerSv2 and ``SchedulerSv1``.

Texts and reply shapes are v0.10's (``apier/v1/apier.go``, ``apier/v1/accounts.go``,
``apier/v1/scheduler.go``, ``apier/v1/schedulers.go``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
    mandatory_missing,
)
from tollgate.core.times import ZERO_NS, format_rfc3339, parse_rfc3339
from tollgate.scheduler.models import (
    AccountActionTiming,
    ActionPlan,
    ArgsGetScheduledActions,
    AttrGetActionPlan,
    AttrRemoveActionTiming,
    AttrSetActionPlan,
    AttrsExecuteScheduledActions,
    ScheduledAction,
    TenantAccount,
)
from tollgate.scheduler.service import SchedulerService
from tollgate.scheduler.timings import next_start
from tollgate.scheduler.tpload import account_actions_plan
from tollgate.storage.stordb import TariffPlanStore
from tollgate.tariffplans import TariffPlan, TPAccountActions

__all__ = ["APIerSv1ActionPlans", "APIerSv2ActionPlans", "SchedulerSv1"]


def _require(obj: object, *names: str) -> None:
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


def _time(text: str | None) -> int | None:
    """A Go ``time.Time`` argument (RFC 3339) as ns; None when absent or zero."""
    if not text:
        return None
    try:
        value = parse_rfc3339(text)
    except ValueError as exc:
        raise TollgateError(str(exc)) from None
    return None if value.ns == ZERO_NS else value.ns


class _SetActionPlan(Api):
    def __init__(self, scheduler: SchedulerService) -> None:
        self.scheduler = scheduler

    async def _set_action_plan(self, args: AttrSetActionPlan) -> str:
        _require(args, "Id", "ActionPlan")
        for at in args.ActionPlan or ():
            missing = [f for f in ("ActionsId", "Time", "Weight") if not getattr(at, f)]
            if missing:
                raise TollgateError(
                    f"MANDATORY_IE_MISSING:Action:{at.ActionsId}:[{' '.join(missing)}]"
                )
        await self.scheduler.plans.set_plan(
            args.Id, args.ActionPlan or [], overwrite=args.Overwrite
        )
        if args.ReloadScheduler:
            await self.scheduler.request_reload()
        return "OK"


class TariffPlanLoader(Protocol):
    """``ApierService.load_plan``: store a tariff plan in the DataDB, rebuild, run hooks."""

    async def load_plan(self, plan: TariffPlan, *, source: str) -> object: ...


class APIerSv1ActionPlans(_SetActionPlan):
    """APIerSv1's action plans, account bindings and scheduled actions."""

    namespace = "APIerSv1"

    def __init__(
        self,
        scheduler: SchedulerService,
        *,
        stordb: Callable[[], object] | None = None,
        loader: TariffPlanLoader | None = None,
    ) -> None:
        super().__init__(scheduler)
        self._stordb = stordb
        self._loader = loader

    @rpc_method("SetActionPlan")
    async def set_action_plan(self, args: AttrSetActionPlan, ctx: CallContext) -> str:
        """Create an action plan (EXISTS unless Overwrite; an overwritten plan loses its
        accounts); ReloadScheduler queues its timings at once."""
        return await self._set_action_plan(args)

    @rpc_method("GetActionPlan")
    async def get_action_plan(self, args: AttrGetActionPlan, ctx: CallContext) -> list[ActionPlan]:
        """One plan, or all of them for an empty ID or ``*``."""
        plans = self.scheduler.plans
        if args.ID in ("", "*"):
            return list((await plans.store.plans()).values())
        return [await plans.get(args.ID)]

    @rpc_method("RemoveActionPlan")
    async def remove_action_plan(self, args: AttrGetActionPlan, ctx: CallContext) -> str:
        """Remove a plan; its accounts lose it."""
        _require(args, "ID")
        await self.scheduler.plans.remove_plan(args.ID)
        return "OK"

    @rpc_method("GetAccountActionPlan")
    async def get_account_action_plan(
        self, args: TenantAccount, ctx: CallContext
    ) -> list[AccountActionTiming]:
        """The action timings of every plan the account is bound to, with their next run."""
        missing = [f for f in ("Tenant", "Account") if not getattr(args, f)]
        if missing:
            raise MandatoryIeMissingError(",".join(missing), "")
        scheduler = self.scheduler
        now = scheduler.clock()
        tz = scheduler.timezone()
        reply = []
        for plan in await scheduler.plans.account_plans(f"{args.Tenant}:{args.Account}"):
            for at in plan.ActionTimings:
                when = scheduler.scheduled_run(at.Uuid)
                if when is None:
                    try:
                        when = next_start(at.Timing.Timing, now, tz)
                    except ValueError:
                        when = None
                reply.append(
                    AccountActionTiming(
                        ActionPlanId=plan.Id,
                        Uuid=at.Uuid,
                        ActionsId=at.ActionsID,
                        NextExecTime=format_rfc3339(ZERO_NS if when is None else when, tz),
                    )
                )
        return reply

    @rpc_method("RemoveActionTiming")
    async def remove_action_timing(self, args: AttrRemoveActionTiming, ctx: CallContext) -> str:
        """Unbind an account from a plan, drop one timing (ActionTimingId), or the plan."""
        _require(args, "ActionPlanId")
        account_id = ""
        if args.Account:
            _require(args, "Tenant", "Account")
            account_id = f"{args.Tenant}:{args.Account}"
        await self.scheduler.plans.remove_timing(args.ActionPlanId, args.ActionTimingId, account_id)
        if args.ReloadScheduler:
            await self.scheduler.request_reload()
        return "OK"

    @rpc_method("GetScheduledActions")
    async def get_scheduled_actions(
        self, args: ArgsGetScheduledActions, ctx: CallContext
    ) -> list[ScheduledAction]:
        """The scheduler's queue, filtered and paged; SCHEDULLER_NOT_RUNNING when it is off."""
        start, end = _time(args.TimeStart), _time(args.TimeEnd)
        found = []
        for record, when, accounts in await self.scheduler.scheduled_actions():
            if (start is not None and when < start) or (end is not None and when >= end):
                continue
            if (args.Tenant is not None or args.Account is not None) and not any(
                _account_matches(acc, args.Tenant, args.Account) for acc in accounts
            ):
                continue
            found.append(record)
        if args.Offset is not None and args.Offset <= len(found):
            found = found[args.Offset :]
        if args.Limit is not None and args.Limit <= len(found):
            found = found[: args.Limit]
        if not found:
            raise NotFoundError()
        return found

    @rpc_method("ExecuteScheduledActions")
    async def execute_scheduled_actions(
        self, args: AttrsExecuteScheduledActions, ctx: CallContext
    ) -> str:
        """Run a plan's timed actions now, and/or replay every plan between two times."""
        if args.ActionPlanID:
            await self.scheduler.execute_plan(args.ActionPlanID)
        start, end = _time(args.TimeStart), _time(args.TimeEnd)
        if start is not None and end is not None:
            await self.scheduler.replay(start, end)
        return "OK"

    @rpc_method("LoadAccountActions")
    async def load_account_actions(self, args: TPAccountActions, ctx: CallContext) -> str:
        """Load account actions from a StorDB tariff plan (LoadId, Tenant, Account narrow
        them): their actions, triggers and timings are stored as a load stores them, their
        plans keep the accounts they had and gain these, the ``*asap`` timings are queued
        and a running scheduler reloads."""
        _require(args, "TPid")
        store = self._stordb() if self._stordb is not None else None
        if self._loader is None or not isinstance(store, TariffPlanStore):
            raise ServerError("no StorDB tariff plans in this engine")
        plan = await account_actions_plan(store, args)
        needed = TariffPlan(
            tpid=plan.tpid,
            timings=plan.timings,
            actions=plan.actions,
            action_triggers=plan.action_triggers,
        )
        await self._loader.load_plan(needed, source=f"StorDB tariff plan {args.TPid}")
        await self.scheduler.plans.apply_load(plan, merge_accounts=True)
        if self.scheduler.running:
            await self.scheduler.request_reload()
        return "OK"


def _account_matches(account_id: str, tenant: str | None, account: str | None) -> bool:
    parts = account_id.split(":")
    if len(parts) != 2:
        return False  # a malformed account id matches no filter (as CGRateS)
    return (tenant is None or tenant == parts[0]) and (account is None or account == parts[1])


class APIerSv2ActionPlans(_SetActionPlan):
    """APIerSv2.SetActionPlan: as APIerSv1's."""

    namespace = "APIerSv2"

    @rpc_method("SetActionPlan")
    async def set_action_plan(self, args: AttrSetActionPlan, ctx: CallContext) -> str:
        """Create an action plan (EXISTS unless Overwrite)."""
        return await self._set_action_plan(args)


class SchedulerSv1(Api):
    """``SchedulerSv1``: served while SchedulerS runs, Go's not-served text otherwise."""

    namespace = "SchedulerSv1"

    def __init__(self, scheduler: SchedulerService) -> None:
        self.scheduler = scheduler

    def _check(self, method: str) -> None:
        if not self.scheduler.configured:
            raise TollgateError(f"rpc: can't find service SchedulerSv1.{method}")

    @rpc_method("Reload")
    async def reload(self, args: Any, ctx: CallContext) -> str:
        """Run the queued ``*asap`` tasks and queue every action plan again."""
        self._check("Reload")
        await self.scheduler.request_reload()
        return "OK"

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        self._check("Ping")
        return "Pong"
