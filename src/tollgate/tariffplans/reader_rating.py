"""Rows of the rating and account files into their TP structures.

Rows sharing an Id accumulate into one structure (one slot, binding or action per row),
in file order, as CGRateS's ``engine/model_helpers.go`` does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TypeVar

from tollgate.core.durations import parse_duration
from tollgate.tariffplans.csvfile import Row, is_decimal
from tollgate.tariffplans.models import (
    ApierTPTiming,
    DestinationRate,
    RateSlot,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingActivation,
    TPRatingPlan,
    TPRatingPlanBinding,
    TPRatingProfile,
)
from tollgate.tariffplans.models_accounts import (
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
from tollgate.tariffplans.plan import TariffPlan

__all__ = ["COLUMNS", "read_account_file", "read_rating_file"]

logger = logging.getLogger(__name__)

COLUMNS: dict[str, tuple[str, ...]] = {
    "Destinations.csv": ("Id", "Prefix"),
    "Timings.csv": ("Tag", "Years", "Months", "MonthDays", "WeekDays", "Time"),
    "Rates.csv": ("Id", "ConnectFee", "Rate", "RateUnit", "RateIncrement", "GroupIntervalStart"),
    "DestinationRates.csv": (
        "Id", "DestinationId", "RatesTag", "RoundingMethod", "RoundingDecimals",
        "MaxCost", "MaxCostStrategy",
    ),
    "RatingPlans.csv": ("Id", "DestinationRatesId", "TimingTag", "Weight"),
    "RatingProfiles.csv": (
        "Tenant", "Category", "Subject", "ActivationTime", "RatingPlanId", "RatesFallbackSubject",
    ),
    "SharedGroups.csv": ("Id", "Account", "Strategy", "RatingSubject"),
    "Actions.csv": (
        "ActionsId", "Action", "ExtraParameters", "Filter", "BalanceId", "BalanceType",
        "Categories", "DestinationIds", "RatingSubject", "SharedGroup", "ExpiryTime",
        "TimingIds", "Units", "BalanceWeight", "BalanceBlocker", "BalanceDisabled", "Weight",
    ),
    "ActionPlans.csv": ("Id", "ActionsId", "TimingId", "Weight"),
    "ActionTriggers.csv": (
        "Tag", "UniqueId", "ThresholdType", "ThresholdValue", "Recurrent", "MinSleep",
        "ExpiryTime", "ActivationTime", "BalanceTag", "BalanceType", "BalanceCategories",
        "BalanceDestinationIds", "BalanceRatingSubject", "BalanceSharedGroup",
        "BalanceExpiryTime", "BalanceTimingIds", "BalanceWeight", "BalanceBlocker",
        "BalanceDisabled", "ActionsId", "Weight",
    ),
    "AccountActions.csv": (
        "Tenant", "Account", "ActionPlanId", "ActionTriggersId", "AllowNegative", "Disabled",
    ),
}  # fmt: skip

_ROUNDING = frozenset({"*up", "*down", "*middle", "*toinfinity", "*tozero", ""})
_MAX_COST_STRATEGIES = frozenset({"", "*free", "*disconnect"})
_TIMING_LIMITS = {"Years": (0, 9999), "Months": (1, 12), "MonthDays": (1, 31), "WeekDays": (0, 7)}

_T = TypeVar("_T")


def _entry(index: dict[str, _T], key: str, new: _T, out: list[_T]) -> _T:
    """The entry of ``key``, appending ``new`` to ``out`` when the key is first seen."""
    found = index.get(key)
    if found is None:
        index[key] = found = new
        out.append(new)
    return found


def _check_timing_list(row: Row, column: str) -> str:
    value = row.text(column)
    if value in ("", "*any"):
        return value
    low, high = _TIMING_LIMITS[column]
    for raw in value.split(";"):
        item = raw.strip()
        if not item.isdigit() or not low <= int(item) <= high:
            row.error(column, f'{column}: expected *any or integers {low}-{high}, found "{value}"')
            break
    return value


def _check_clock(row: Row) -> str:
    value = row.text("Time")
    if not value or value.startswith("*"):
        return value
    parts = value.split(":")
    limits = (23, 59, 59)
    if len(parts) == 3 and all(
        p.isdigit() and len(p) == 2 and int(p) <= lim for p, lim in zip(parts, limits, strict=True)
    ):
        return value
    row.error("Time", f'Time: expected HH:MM:SS or *asap, found "{value}"')
    return value


def _check_units(row: Row) -> str:
    """Units as CGRateS ParseBalanceFilterValue reads it: number, ``*voice`` duration, JSON."""
    value = row.text("Units")
    if value in ("", "*any"):
        return value
    if is_decimal(value):
        return value
    if row.text("BalanceType") == "*voice":
        try:
            parse_duration(value)
        except ValueError:
            pass
        else:
            return value
    if value.startswith("{"):
        try:
            json.loads(value)
        except ValueError:
            pass
        else:
            return value
    row.error("Units", f'Units: expected a number, a duration or a JSON formula, found "{value}"')
    return value


# Actions.csv types of v0.10 that post to message queues Tollgate does not reach yet
# (*amqp_json_map, *sqs_json_map and *s3_json_map are built: see tollgate.posters)
QUEUE_POSTERS = frozenset({"*amqpv1_json_map", "*kafka_json_map"})


def _check_action(row: Row) -> str:
    """The Action column; the queue posters not built are refused by name."""
    value = row.required("Action")
    if value in QUEUE_POSTERS:
        row.error(
            "Action",
            f"Action {value} is not supported yet: of the queue posters *amqp_json_map, "
            "*sqs_json_map and *s3_json_map are built",
        )
    return value


def _check_json(row: Row, column: str) -> str:
    value = row.text(column)
    if value:
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            row.error(column, f"{column}: bad JSON ({exc.msg} at character {exc.pos + 1})")
    return value


def read_rating_file(name: str, rows: Iterable[Row], plan: TariffPlan) -> None:
    """Fill ``plan`` from the rows of one of the six rating files."""
    tpid = plan.tpid
    if name == "Destinations.csv":
        dests: dict[str, TPDestination] = {}
        for row in rows:
            key, prefix = row.required("Id"), row.required("Prefix")
            dest = _entry(dests, key, TPDestination(TPid=tpid, ID=key), plan.destinations)
            plan.lines.setdefault((name, key, len(dest.Prefixes)), row.line)
            dest.Prefixes.append(prefix)
    elif name == "Timings.csv":
        seen: dict[str, int] = {}
        for row in rows:
            key = row.required("Tag")
            if key in seen:
                row.error("Tag", f"duplicate timing tag {key} (first at line {seen[key]})")
                continue
            seen[key] = row.line
            plan.lines[(name, key, 0)] = row.line
            plan.timings.append(
                ApierTPTiming(
                    TPid=tpid, ID=key, Years=_check_timing_list(row, "Years"),
                    Months=_check_timing_list(row, "Months"),
                    MonthDays=_check_timing_list(row, "MonthDays"),
                    WeekDays=_check_timing_list(row, "WeekDays"), Time=_check_clock(row),
                )
            )  # fmt: skip
    elif name == "Rates.csv":
        rates: dict[str, TPRate] = {}
        for row in rows:
            key = row.required("Id")
            slot = RateSlot(
                ConnectFee=row.decimal("ConnectFee"),
                Rate=row.decimal("Rate"),
                RateUnit=row.duration("RateUnit", positive=True),
                RateIncrement=row.duration("RateIncrement", positive=True),
                GroupIntervalStart=row.duration("GroupIntervalStart"),
            )
            rate = _entry(rates, key, TPRate(TPid=tpid, ID=key), plan.rates)
            plan.lines[(name, key, len(rate.RateSlots))] = row.line
            rate.RateSlots.append(slot)
    elif name == "DestinationRates.csv":
        drates: dict[str, TPDestinationRate] = {}
        for row in rows:
            key = row.required("Id")
            method = row.text("RoundingMethod")
            if method not in _ROUNDING:
                row.error("RoundingMethod", f'RoundingMethod: unknown method "{method}"')
            strategy = row.text("MaxCostStrategy")
            if strategy not in _MAX_COST_STRATEGIES:
                row.error("MaxCostStrategy", f'MaxCostStrategy: unknown strategy "{strategy}"')
            item = DestinationRate(
                DestinationId=row.required("DestinationId"),
                RateId=row.required("RatesTag"),
                RoundingMethod=method,
                RoundingDecimals=row.integer("RoundingDecimals"),
                MaxCost=row.decimal("MaxCost"),
                MaxCostStrategy=strategy,
            )
            drate = _entry(
                drates, key, TPDestinationRate(TPid=tpid, ID=key), plan.destination_rates
            )
            plan.lines[(name, key, len(drate.DestinationRates))] = row.line
            drate.DestinationRates.append(item)
    elif name == "RatingPlans.csv":
        rplans: dict[str, TPRatingPlan] = {}
        for row in rows:
            key = row.required("Id")
            binding = TPRatingPlanBinding(
                DestinationRatesId=row.required("DestinationRatesId"),
                TimingId=row.required("TimingTag"),
                Weight=row.decimal("Weight"),
            )
            rplan = _entry(rplans, key, TPRatingPlan(TPid=tpid, ID=key), plan.rating_plans)
            plan.lines[(name, key, len(rplan.RatingPlanBindings))] = row.line
            rplan.RatingPlanBindings.append(binding)
    elif name == "RatingProfiles.csv":
        rprofiles: dict[str, TPRatingProfile] = {}
        for row in rows:
            tenant, category = row.required("Tenant"), row.required("Category")
            subject = row.required("Subject")
            activation = TPRatingActivation(
                ActivationTime=row.time("ActivationTime"),
                RatingPlanId=row.required("RatingPlanId"),
                FallbackSubjects=row.text("RatesFallbackSubject"),
            )
            new = TPRatingProfile(TPid=tpid, Tenant=tenant, Category=category, Subject=subject)
            rprofile = _entry(rprofiles, new.key, new, plan.rating_profiles)
            plan.lines[(name, new.key, len(rprofile.RatingPlanActivations))] = row.line
            rprofile.RatingPlanActivations.append(activation)
    else:  # pragma: no cover - the caller dispatches by COLUMNS
        raise ValueError(name)


def read_account_file(name: str, rows: Iterable[Row], plan: TariffPlan) -> None:
    """Fill ``plan`` from the rows of one of the five account files."""
    tpid = plan.tpid
    if name == "SharedGroups.csv":
        groups: dict[str, TPSharedGroups] = {}
        for row in rows:
            key = row.required("Id")
            member = TPSharedGroup(
                Account=row.required("Account"),
                Strategy=row.text("Strategy"),
                RatingSubject=row.text("RatingSubject"),
            )
            group = _entry(groups, key, TPSharedGroups(TPid=tpid, ID=key), plan.shared_groups)
            plan.lines[(name, key, len(group.SharedGroups))] = row.line
            group.SharedGroups.append(member)
    elif name == "Actions.csv":
        actions: dict[str, TPActions] = {}
        for row in rows:
            key = row.required("ActionsId")
            action = TPAction(
                Identifier=_check_action(row),
                ExtraParameters=row.text("ExtraParameters"),
                Filter=_check_json(row, "Filter"),
                BalanceId=row.text("BalanceId"),
                BalanceType=row.text("BalanceType"),
                Categories=row.text("Categories"),
                DestinationIds=row.text("DestinationIds"),
                RatingSubject=row.text("RatingSubject"),
                SharedGroups=row.text("SharedGroup"),
                ExpiryTime=row.time("ExpiryTime"),
                TimingTags=row.text("TimingIds"),
                Units=_check_units(row),
                BalanceWeight=row.decimal_text("BalanceWeight"),
                BalanceBlocker=row.bool_text("BalanceBlocker"),
                BalanceDisabled=row.bool_text("BalanceDisabled"),
                Weight=row.decimal("Weight"),
            )
            entry = _entry(actions, key, TPActions(TPid=tpid, ID=key), plan.actions)
            plan.lines[(name, key, len(entry.Actions))] = row.line
            entry.Actions.append(action)
    elif name == "ActionPlans.csv":
        aplans: dict[str, TPActionPlan] = {}
        for row in rows:
            key = row.required("Id")
            timing = TPActionTiming(
                ActionsId=row.required("ActionsId"),
                TimingId=row.required("TimingId"),
                Weight=row.decimal("Weight"),
            )
            aplan = _entry(aplans, key, TPActionPlan(TPid=tpid, ID=key), plan.action_plans)
            plan.lines[(name, key, len(aplan.ActionPlan))] = row.line
            aplan.ActionPlan.append(timing)
    elif name == "ActionTriggers.csv":
        triggers: dict[str, TPActionTriggers] = {}
        for row in rows:
            key = row.required("Tag")
            trigger = TPActionTrigger(
                Id=key,
                UniqueID=row.text("UniqueId"),
                ThresholdType=row.required("ThresholdType"),
                ThresholdValue=row.decimal("ThresholdValue"),
                Recurrent=row.boolean("Recurrent"),
                MinSleep=row.duration("MinSleep"),
                ExpirationDate=row.time("ExpiryTime"),
                ActivationDate=row.time("ActivationTime"),
                BalanceId=row.text("BalanceTag"),
                BalanceType=row.text("BalanceType"),
                BalanceCategories=row.text("BalanceCategories"),
                BalanceDestinationIds=row.text("BalanceDestinationIds"),
                BalanceRatingSubject=row.text("BalanceRatingSubject"),
                BalanceSharedGroups=row.text("BalanceSharedGroup"),
                BalanceExpirationDate=row.time("BalanceExpiryTime"),
                BalanceTimingTags=row.text("BalanceTimingIds"),
                BalanceWeight=row.decimal_text("BalanceWeight"),
                BalanceBlocker=row.bool_text("BalanceBlocker"),
                BalanceDisabled=row.bool_text("BalanceDisabled"),
                ActionsId=row.text("ActionsId"),
                Weight=row.decimal("Weight"),
            )
            new = TPActionTriggers(TPid=tpid, ID=key)
            entry_t = _entry(triggers, key, new, plan.action_triggers)
            plan.lines[(name, key, len(entry_t.ActionTriggers))] = row.line
            entry_t.ActionTriggers.append(trigger)
    elif name == "AccountActions.csv":
        seen: dict[str, int] = {}
        for row in rows:
            acc = TPAccountActions(
                TPid=tpid,
                Tenant=row.required("Tenant"),
                Account=row.required("Account"),
                ActionPlanId=row.text("ActionPlanId"),
                ActionTriggersId=row.text("ActionTriggersId"),
                AllowNegative=row.boolean("AllowNegative"),
                Disabled=row.boolean("Disabled"),
            )
            if acc.key in seen:
                row.error(
                    "Account", f"duplicate account action {acc.key} (first at line {seen[acc.key]})"
                )
                continue
            seen[acc.key] = row.line
            plan.lines[(name, acc.key, 0)] = row.line
            plan.account_actions.append(acc)
    else:  # pragma: no cover - the caller dispatches by COLUMNS
        raise ValueError(name)
