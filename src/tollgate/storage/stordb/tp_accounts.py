"""The account files on their tables: one row per shared-group member, action, action
timing and trigger; account actions one row each, keyed by load id, tenant and account.

``TPAction.BalanceUuid`` has no column (CGRateS's ``tp_actions`` has none) and a trigger's
``Id`` is its tag, as CGRateS reads them back.
"""

from __future__ import annotations

import logging

from tollgate.storage.stordb.schema import (
    tp_account_actions,
    tp_action_plans,
    tp_action_triggers,
    tp_actions,
    tp_shared_groups,
)
from tollgate.storage.stordb.tpkind import TAG, Row, TPKind, decimal
from tollgate.tariffplans import (
    TPAccountActions,
    TPAction,
    TPActionPlan,
    TPActions,
    TPActionTiming,
    TPActionTrigger,
    TPActionTriggers,
    TPSharedGroup,
    TPSharedGroups,
)

__all__ = ["ACCOUNT_ACTIONS", "ACTIONS", "ACTION_PLANS", "ACTION_TRIGGERS", "SHARED_GROUPS"]

logger = logging.getLogger(__name__)


def _action_row(a: TPAction) -> Row:
    return {
        "action": a.Identifier,
        "extra_parameters": a.ExtraParameters,
        "filters": a.Filter,
        "balance_tag": a.BalanceId,
        "balance_type": a.BalanceType,
        "categories": a.Categories,
        "destination_tags": a.DestinationIds,
        "rating_subject": a.RatingSubject,
        "shared_groups": a.SharedGroups,
        "expiry_time": a.ExpiryTime,
        "timing_tags": a.TimingTags,
        "units": a.Units,
        "balance_weight": a.BalanceWeight,
        "balance_blocker": a.BalanceBlocker,
        "balance_disabled": a.BalanceDisabled,
        "weight": str(a.Weight),
    }


def _action(r: Row) -> TPAction:
    return TPAction(
        Identifier=r["action"],
        ExtraParameters=r["extra_parameters"],
        Filter=r["filters"],
        BalanceId=r["balance_tag"],
        BalanceType=r["balance_type"],
        Categories=r["categories"],
        DestinationIds=r["destination_tags"],
        RatingSubject=r["rating_subject"],
        SharedGroups=r["shared_groups"],
        ExpiryTime=r["expiry_time"],
        TimingTags=r["timing_tags"],
        Units=r["units"],
        BalanceWeight=r["balance_weight"],
        BalanceBlocker=r["balance_blocker"],
        BalanceDisabled=r["balance_disabled"],
        Weight=decimal(r["weight"]),
    )


def _trigger_row(t: TPActionTrigger) -> Row:
    return {
        "unique_id": t.UniqueID,
        "threshold_type": t.ThresholdType,
        "threshold_value": str(t.ThresholdValue),
        "recurrent": t.Recurrent,
        "min_sleep": t.MinSleep,
        "expiry_time": t.ExpirationDate,
        "activation_time": t.ActivationDate,
        "balance_tag": t.BalanceId,
        "balance_type": t.BalanceType,
        "balance_categories": t.BalanceCategories,
        "balance_destination_tags": t.BalanceDestinationIds,
        "balance_rating_subject": t.BalanceRatingSubject,
        "balance_shared_groups": t.BalanceSharedGroups,
        "balance_expiry_time": t.BalanceExpirationDate,
        "balance_timing_tags": t.BalanceTimingTags,
        "balance_weight": t.BalanceWeight,
        "balance_blocker": t.BalanceBlocker,
        "balance_disabled": t.BalanceDisabled,
        "actions_tag": t.ActionsId,
        "weight": str(t.Weight),
    }


def _trigger(r: Row) -> TPActionTrigger:
    return TPActionTrigger(
        Id=r["tag"],
        UniqueID=r["unique_id"],
        ThresholdType=r["threshold_type"],
        ThresholdValue=decimal(r["threshold_value"]),
        Recurrent=r["recurrent"],
        MinSleep=r["min_sleep"],
        ExpirationDate=r["expiry_time"],
        ActivationDate=r["activation_time"],
        BalanceId=r["balance_tag"],
        BalanceType=r["balance_type"],
        BalanceCategories=r["balance_categories"],
        BalanceDestinationIds=r["balance_destination_tags"],
        BalanceRatingSubject=r["balance_rating_subject"],
        BalanceSharedGroups=r["balance_shared_groups"],
        BalanceExpirationDate=r["balance_expiry_time"],
        BalanceTimingTags=r["balance_timing_tags"],
        BalanceWeight=r["balance_weight"],
        BalanceBlocker=r["balance_blocker"],
        BalanceDisabled=r["balance_disabled"],
        ActionsId=r["actions_tag"],
        Weight=decimal(r["weight"]),
    )


def _add_account_actions(aa: TPAccountActions, r: Row) -> None:
    aa.ActionPlanId, aa.ActionTriggersId = r["action_plan_tag"], r["action_triggers_tag"]
    aa.AllowNegative, aa.Disabled = r["allow_negative"], r["disabled"]


SHARED_GROUPS: TPKind[TPSharedGroups] = TPKind(
    tp_shared_groups,
    TPSharedGroups,
    TAG,
    lambda g: [
        {"account": m.Account, "strategy": m.Strategy, "rating_subject": m.RatingSubject}
        for m in g.SharedGroups
    ],
    lambda g, r: g.SharedGroups.append(
        TPSharedGroup(
            Account=r["account"], Strategy=r["strategy"], RatingSubject=r["rating_subject"]
        )
    ),
)
ACTIONS: TPKind[TPActions] = TPKind(
    tp_actions,
    TPActions,
    TAG,
    lambda a: [_action_row(action) for action in a.Actions],
    lambda a, r: a.Actions.append(_action(r)),
)
ACTION_PLANS: TPKind[TPActionPlan] = TPKind(
    tp_action_plans,
    TPActionPlan,
    TAG,
    lambda p: [
        {"actions_tag": t.ActionsId, "timing_tag": t.TimingId, "weight": str(t.Weight)}
        for t in p.ActionPlan
    ],
    lambda p, r: p.ActionPlan.append(
        TPActionTiming(
            ActionsId=r["actions_tag"], TimingId=r["timing_tag"], Weight=decimal(r["weight"])
        )
    ),
)
ACTION_TRIGGERS: TPKind[TPActionTriggers] = TPKind(
    tp_action_triggers,
    TPActionTriggers,
    TAG,
    lambda t: [_trigger_row(trigger) for trigger in t.ActionTriggers],
    lambda t, r: t.ActionTriggers.append(_trigger(r)),
)
ACCOUNT_ACTIONS: TPKind[TPAccountActions] = TPKind(
    tp_account_actions,
    TPAccountActions,
    (("loadid", "LoadId"), ("tenant", "Tenant"), ("account", "Account")),
    lambda aa: [
        {
            "action_plan_tag": aa.ActionPlanId,
            "action_triggers_tag": aa.ActionTriggersId,
            "allow_negative": aa.AllowNegative,
            "disabled": aa.Disabled,
        }
    ],
    _add_account_actions,
)
