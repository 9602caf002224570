"""Action plans as CGRateS v0.10 stores and shows them, the scheduler's own records, and the
wire arguments of the action-plan and scheduler methods.

:class:`ActionPlan` is ``engine.ActionPlan`` field for field (the reply of
``APIerSv1.GetActionPlan``); it is also what the ``*scheduler_plans`` DataDB partition holds.
A plan keeps the accounts bound to it (``AccountIDs``), as CGRateS's does; the accounts keep
the reverse index in ``StoredAccount.action_plan_ids``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "AccountActionTiming",
    "ActionPlan",
    "ActionTiming",
    "ArgsGetScheduledActions",
    "AttrActionPlan",
    "AttrGetActionPlan",
    "AttrRemoveActionTiming",
    "AttrSetActionPlan",
    "AttrsExecuteScheduledActions",
    "RITiming",
    "RateInterval",
    "ScheduledAction",
    "Task",
    "TenantAccount",
    "TimingState",
]


class RITiming(msgspec.Struct, kw_only=True):
    """``engine.RITiming``: when an action timing runs (lists empty = every value).

    ``StartTime`` is ``HH:MM:SS``, ``*asap``, or with ``*`` parts (``*:*:05`` every minute);
    ``MonthDays`` may hold ``-1``, the last day of the month (``*month_end``).
    """

    ID: str = ""
    Years: list[int] = msgspec.field(default_factory=list)
    Months: list[int] = msgspec.field(default_factory=list)
    MonthDays: list[int] = msgspec.field(default_factory=list)
    WeekDays: list[int] = msgspec.field(default_factory=list)
    StartTime: str = ""
    EndTime: str = ""


class RateInterval(msgspec.Struct, kw_only=True):
    """``engine.RateInterval`` as an action timing carries it: the timing only."""

    Timing: RITiming
    Rating: None = None
    Weight: Decimal = Decimal(0)


class ActionTiming(msgspec.Struct, kw_only=True):
    """``engine.ActionTiming``: run ``ActionsID`` on the plan's accounts when ``Timing`` says."""

    Uuid: str
    Timing: RateInterval
    ActionsID: str
    ExtraData: Any = None
    Weight: Decimal = Decimal(0)

    @property
    def is_asap(self) -> bool:
        return self.Timing.Timing.StartTime == "*asap"


class ActionPlan(msgspec.Struct, kw_only=True):
    """``engine.ActionPlan``: action timings and the accounts they run on."""

    Id: str
    AccountIDs: dict[str, bool] | None = None
    ActionTimings: list[ActionTiming] = msgspec.field(default_factory=list)

    def accounts(self) -> list[str]:
        return sorted(self.AccountIDs or {})

    @property
    def has_scheduled(self) -> bool:
        """Whether a timing other than ``*asap`` is there (the plan then keeps its accounts)."""
        return any(not at.is_asap for at in self.ActionTimings)


class Task(msgspec.Struct, kw_only=True):
    """``engine.Task``: one ``*asap`` run waiting for the scheduler (account-less when empty)."""

    Uuid: str
    AccountID: str = ""
    ActionsID: str = ""


class TimingState(msgspec.Struct, kw_only=True):
    """What the scheduler knows of one queued action timing: when it runs next (ns).

    Written before the timing runs, so a restart never runs the same occurrence twice.
    """

    ActionPlanID: str
    NextRun: int
    LastRun: int = 0


# -- API arguments and replies -------------------------------------------------------------


class _Routed(msgspec.Struct, kw_only=True):
    APIKey: str | None = None
    RouteID: str | None = None


class AttrActionPlan(msgspec.Struct, kw_only=True):
    """One timing of ``SetActionPlan``: lists are ``;``-separated, ``*any`` or empty = all."""

    ActionsId: str = ""
    Years: str = ""
    Months: str = ""
    MonthDays: str = ""
    WeekDays: str = ""
    Time: str = ""
    Weight: Decimal = Decimal(0)


class AttrSetActionPlan(_Routed, kw_only=True):
    """``APIerSv1.SetActionPlan`` / ``APIerSv2.SetActionPlan``."""

    Id: str = ""
    ActionPlan: list[AttrActionPlan] | None = None
    Overwrite: bool = False
    ReloadScheduler: bool = False


class AttrGetActionPlan(_Routed, kw_only=True):
    """``{ID}``; empty or ``*`` means every plan (GetActionPlan)."""

    ID: str = ""


class TenantAccount(_Routed, kw_only=True):
    Tenant: str = ""
    Account: str = ""


class AccountActionTiming(msgspec.Struct, kw_only=True):
    """A reply item of ``APIerSv1.GetAccountActionPlan``."""

    ActionPlanId: str
    Uuid: str
    ActionsId: str
    NextExecTime: str


class AttrRemoveActionTiming(_Routed, kw_only=True):
    """``APIerSv1.RemoveActionTiming``: an account's binding, one timing, or the whole plan."""

    ActionPlanId: str = ""
    ActionTimingId: str = ""
    Tenant: str = ""
    Account: str = ""
    ReloadScheduler: bool = False


class ArgsGetScheduledActions(_Routed, kw_only=True):
    """``scheduler.ArgsGetScheduledActions`` (pointers: null means no filter)."""

    Tenant: str | None = None
    Account: str | None = None
    TimeStart: str | None = None
    TimeEnd: str | None = None
    Limit: int | None = None
    Offset: int | None = None


class ScheduledAction(msgspec.Struct, kw_only=True):
    """``scheduler.ScheduledAction``: one queued action timing."""

    NextRunTime: str
    Accounts: int
    ActionPlanID: str
    ActionTimingUUID: str
    ActionsID: str


class AttrsExecuteScheduledActions(_Routed, kw_only=True):
    """Run one plan now (``ActionPlanID``) or replay every plan between two times."""

    ActionPlanID: str = ""
    TimeStart: str | None = None
    TimeEnd: str | None = None
