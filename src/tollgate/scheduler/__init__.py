"""SchedulerS: action plans, the accounts bound to them, and the scheduler that runs them."""

from __future__ import annotations

from tollgate.scheduler.api import APIerSv1ActionPlans, APIerSv2ActionPlans, SchedulerSv1
from tollgate.scheduler.models import ActionPlan, ActionTiming, RITiming, Task, TimingState
from tollgate.scheduler.plans import ActionPlans
from tollgate.scheduler.service import ActionRunner, SchedulerService
from tollgate.scheduler.store import PLANS, STATE, TASKS, SchedulerStore
from tollgate.scheduler.timings import builtin_timing, next_start

__all__ = [
    "PLANS",
    "STATE",
    "TASKS",
    "APIerSv1ActionPlans",
    "APIerSv2ActionPlans",
    "ActionPlan",
    "ActionPlans",
    "ActionRunner",
    "ActionTiming",
    "RITiming",
    "SchedulerService",
    "SchedulerStore",
    "SchedulerSv1",
    "Task",
    "TimingState",
    "builtin_timing",
    "next_start",
]
