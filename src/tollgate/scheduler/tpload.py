"""``APIerSv1.LoadAccountActions``: one load's account actions from a StorDB tariff plan,
with the action plans, timings, actions and trigger groups they name (CGRateS's
``TpReader.LoadAccountActionsFiltered``)."""

from __future__ import annotations

from typing import Any

from tollgate.core.errors import NotFoundError, ServerError
from tollgate.scheduler.timings import BUILTIN_TIMING_IDS
from tollgate.storage.stordb import TariffPlanStore
from tollgate.tariffplans import TariffPlan, TPAccountActions

__all__ = ["account_actions_plan"]


async def _one(store: TariffPlanStore, table: str, tpid: str, tag: str, what: str) -> Any:
    found = await store.get_tp(table, tpid, {"tag": tag})
    if not found:
        raise ServerError(f"no {what} with id <{tag}>")
    return found[0]


async def account_actions_plan(store: TariffPlanStore, args: TPAccountActions) -> TariffPlan:
    """The account actions of ``args`` (TPid; LoadId, Tenant, Account narrow them when
    given) as a tariff plan holding everything they need; SERVER_ERROR naming what is
    missing."""
    filters = {"loadid": args.LoadId, "tenant": args.Tenant, "account": args.Account}
    rows: list[TPAccountActions] = await store.get_tp("tp_account_actions", args.TPid, filters)
    if not rows:
        raise ServerError(NotFoundError())
    plan = TariffPlan(tpid=args.TPid, account_actions=rows)
    action_ids: dict[str, None] = {}
    seen_plans: set[str] = set()
    seen_triggers: set[str] = set()
    timing_ids: dict[str, None] = {}
    for row in rows:
        if row.ActionPlanId and row.ActionPlanId not in seen_plans:
            seen_plans.add(row.ActionPlanId)
            tp_plan = await _one(
                store, "tp_action_plans", args.TPid, row.ActionPlanId, "action plan"
            )
            plan.action_plans.append(tp_plan)
            for at in tp_plan.ActionPlan:
                action_ids[at.ActionsId] = None
                if at.TimingId not in BUILTIN_TIMING_IDS:
                    timing_ids[at.TimingId] = None
        if row.ActionTriggersId and row.ActionTriggersId not in seen_triggers:
            seen_triggers.add(row.ActionTriggersId)
            group = await _one(
                store, "tp_action_triggers", args.TPid, row.ActionTriggersId, "action triggers"
            )
            plan.action_triggers.append(group)
            action_ids.update((t.ActionsId, None) for t in group.ActionTriggers if t.ActionsId)
    for timing_id in timing_ids:
        plan.timings.append(await _one(store, "tp_timings", args.TPid, timing_id, "timing"))
    for actions_id in action_ids:
        plan.actions.append(await _one(store, "tp_actions", args.TPid, actions_id, "action"))
    return plan
