"""Cross-file references of a tariff plan: which are refused, which are tolerated.

CGRateS v0.10's TpReader refuses a folder when the rating chain or an account's plan is
broken (``could not find rate for tag``, ``could not get timing for tag``, ``[ActionPlans]
Could not load the action for tag`` ...): those are errors here. References it stores
without looking (an ActionTrigger's ActionsId, the destinations and shared groups named by
a balance, the profiles and filters named by other profiles, which may already be in the
DataDB) are warnings; ``strict=True`` (cgr-loader ``-validate``) makes them errors too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from tollgate.tariffplans.csvfile import Problems, split_items
from tollgate.tariffplans.plan import TariffPlan, TariffPlanError
from tollgate.tariffplans.reader_profiles import COLUMNS as PROFILE_COLUMNS
from tollgate.tariffplans.reader_rating import COLUMNS as RATING_COLUMNS

__all__ = ["BUILTIN_TIMINGS", "check_references", "validate"]

logger = logging.getLogger(__name__)

BUILTIN_TIMINGS = frozenset(
    {
        "*any", "*asap", "*every_minute", "*hourly", "*daily", "*weekly", "*monthly",
        "*monthly_estimated", "*month_end", "*yearly",
    }
)  # fmt: skip
_COLUMNS = {**RATING_COLUMNS, **PROFILE_COLUMNS}
_NONE = frozenset({"", "*none", "*any"})


class _Checker:
    def __init__(self, plan: TariffPlan, problems: Problems) -> None:
        self.plan = plan
        self.problems = problems

    def check(
        self,
        at: tuple[str, str, int],
        column: str,
        targets: Iterable[str],
        *,
        known: set[str] | frozenset[str],
        target: str,
        error: bool,
    ) -> None:
        """Report each of ``targets`` not in ``known``, at item ``at`` (file, key, index)."""
        file, key, index = at
        col = _COLUMNS[file].index(column) + 1
        sink = self.problems.errors if error else self.problems.warnings
        for name in targets:
            if name not in known:
                where = self.plan.where(file, key, index, col)
                sink.append(f'{where}: {column} "{name}" not found in {target}')

    def profile(
        self,
        at: tuple[str, str],
        column: str,
        targets: Iterable[str],
        *,
        known: set[str],
        target: str,
    ) -> None:
        """A tenant-scoped profile reference (a warning), located at the profile's first row."""
        file, key = at
        tenant = key.split(":", 1)[0]
        for name in targets:
            if name in _NONE or f"{tenant}:{name}" in known or name in known:
                continue
            self.problems.warnings.append(
                f'{self.plan.where(file, key)}: {column} "{name}" of {key} not found in {target}'
            )


def _filter_ids(ids: Iterable[str]) -> list[str]:
    """The filter ids that name a Filters.csv profile (not inline ``*type:path:values``)."""
    return [fid for fid in ids if not fid.startswith("*") and ":" not in fid]


def _negatable(text: str) -> list[str]:
    return [item.removeprefix("!") for item in split_items(text) if item != "*any"]


def _ids(text: str) -> list[str]:
    return [text] if text else []


def check_references(plan: TariffPlan) -> Problems:
    """All unknown references of ``plan``: refused ones as errors, tolerated as warnings."""
    problems = Problems()
    chk = _Checker(plan, problems)
    dests = {d.ID for d in plan.destinations} | {"*any"}
    timings = {t.ID for t in plan.timings} | BUILTIN_TIMINGS
    rates = {r.ID for r in plan.rates}
    drates = {d.ID for d in plan.destination_rates}
    rplans = {r.ID for r in plan.rating_plans}
    groups = {g.ID for g in plan.shared_groups}
    actions = {a.ID for a in plan.actions}
    aplans = {a.ID for a in plan.action_plans}
    triggers = {t.ID for t in plan.action_triggers}
    dst_file, tm_file, sg_file = "Destinations.csv", "Timings.csv", "SharedGroups.csv"

    for drate in plan.destination_rates:
        for i, item in enumerate(drate.DestinationRates):
            at = ("DestinationRates.csv", drate.ID, i)
            chk.check(at, "DestinationId", _ids(item.DestinationId), known=dests,
                      target=dst_file, error=True)  # fmt: skip
            chk.check(at, "RatesTag", _ids(item.RateId), known=rates, target="Rates.csv",
                      error=True)  # fmt: skip
    for rplan in plan.rating_plans:
        for i, binding in enumerate(rplan.RatingPlanBindings):
            at = ("RatingPlans.csv", rplan.ID, i)
            chk.check(at, "DestinationRatesId", _ids(binding.DestinationRatesId), known=drates,
                      target="DestinationRates.csv", error=True)  # fmt: skip
            chk.check(at, "TimingTag", _ids(binding.TimingId), known=timings, target=tm_file,
                      error=True)  # fmt: skip
    for rprofile in plan.rating_profiles:
        for i, act in enumerate(rprofile.RatingPlanActivations):
            at = ("RatingProfiles.csv", rprofile.key, i)
            chk.check(at, "RatingPlanId", _ids(act.RatingPlanId), known=rplans,
                      target="RatingPlans.csv", error=True)  # fmt: skip
    for acts in plan.actions:
        for i, action in enumerate(acts.Actions):
            at = ("Actions.csv", acts.ID, i)
            chk.check(at, "TimingIds", split_items(action.TimingTags), known=timings,
                      target=tm_file, error=True)  # fmt: skip
            chk.check(at, "DestinationIds", _negatable(action.DestinationIds), known=dests,
                      target=dst_file, error=False)  # fmt: skip
            chk.check(at, "SharedGroup", split_items(action.SharedGroups), known=groups,
                      target=sg_file, error=False)  # fmt: skip
    for aplan in plan.action_plans:
        for i, timing in enumerate(aplan.ActionPlan):
            at = ("ActionPlans.csv", aplan.ID, i)
            chk.check(at, "ActionsId", _ids(timing.ActionsId), known=actions,
                      target="Actions.csv", error=True)  # fmt: skip
            chk.check(at, "TimingId", _ids(timing.TimingId), known=timings, target=tm_file,
                      error=True)  # fmt: skip
    for trigs in plan.action_triggers:
        for i, trig in enumerate(trigs.ActionTriggers):
            at = ("ActionTriggers.csv", trigs.ID, i)
            chk.check(at, "ActionsId", _ids(trig.ActionsId), known=actions,
                      target="Actions.csv", error=False)  # fmt: skip
            chk.check(at, "BalanceDestinationIds", _negatable(trig.BalanceDestinationIds),
                      known=dests, target=dst_file, error=False)  # fmt: skip
            chk.check(at, "BalanceSharedGroup", split_items(trig.BalanceSharedGroups),
                      known=groups, target=sg_file, error=False)  # fmt: skip
            chk.check(at, "BalanceTimingIds", split_items(trig.BalanceTimingTags),
                      known=timings, target=tm_file, error=False)  # fmt: skip
    for acc in plan.account_actions:
        at = ("AccountActions.csv", acc.key, 0)
        chk.check(at, "ActionPlanId", _ids(acc.ActionPlanId), known=aplans,
                  target="ActionPlans.csv", error=True)  # fmt: skip
        chk.check(at, "ActionTriggersId", _ids(acc.ActionTriggersId), known=triggers,
                  target="ActionTriggers.csv", error=True)  # fmt: skip
    _check_profiles(plan, chk, actions, rplans)
    return problems


def _check_profiles(plan: TariffPlan, chk: _Checker, actions: set[str], rplans: set[str]) -> None:
    filters = {f.tenant_id for f in plan.filters}
    attributes = {a.tenant_id for a in plan.attributes}
    thresholds = {t.tenant_id for t in plan.thresholds}
    resources = {r.tenant_id for r in plan.resources}
    stats = {s.tenant_id for s in plan.stats}
    fl = "Filters.csv"
    for attr in plan.attributes:
        ids = [*attr.FilterIDs, *(f for a in attr.Attributes for f in a.FilterIDs)]
        at = ("Attributes.csv", attr.tenant_id)
        chk.profile(at, "FilterIDs", _filter_ids(ids), known=filters, target=fl)
    for chrg in plan.chargers:
        at = ("Chargers.csv", chrg.tenant_id)
        chk.profile(at, "FilterIDs", _filter_ids(chrg.FilterIDs), known=filters, target=fl)
        named = [a for a in chrg.AttributeIDs if ":" not in a and not a.startswith("*")]
        chk.profile(at, "AttributeIDs", named, known=attributes, target="Attributes.csv")
    for res in plan.resources:
        at = ("Resources.csv", res.tenant_id)
        chk.profile(at, "FilterIDs", _filter_ids(res.FilterIDs), known=filters, target=fl)
        chk.profile(at, "ThresholdIDs", res.ThresholdIDs, known=thresholds,
                    target="Thresholds.csv")  # fmt: skip
    for stat in plan.stats:
        at = ("Stats.csv", stat.tenant_id)
        ids = [*stat.FilterIDs, *(f for m in stat.Metrics for f in m.FilterIDs)]
        chk.profile(at, "FilterIDs", _filter_ids(ids), known=filters, target=fl)
        chk.profile(at, "ThresholdIDs", stat.ThresholdIDs, known=thresholds,
                    target="Thresholds.csv")  # fmt: skip
    for thd in plan.thresholds:
        at = ("Thresholds.csv", thd.tenant_id)
        chk.profile(at, "FilterIDs", _filter_ids(thd.FilterIDs), known=filters, target=fl)
        chk.profile(at, "ActionIDs", thd.ActionIDs, known=actions, target="Actions.csv")
    for spp in plan.suppliers:
        at = ("Suppliers.csv", spp.tenant_id)
        ids = [*spp.FilterIDs, *(f for s in spp.Suppliers for f in s.FilterIDs)]
        chk.profile(at, "FilterIDs", _filter_ids(ids), known=filters, target=fl)
        for sup in spp.Suppliers:
            chk.profile(at, "SupplierRatingPlanIDs", sup.RatingPlanIDs, known=rplans,
                        target="RatingPlans.csv")  # fmt: skip
            chk.profile(at, "SupplierResourceIDs", sup.ResourceIDs, known=resources,
                        target="Resources.csv")  # fmt: skip
            stat_ids = [s.split(":", 1)[0] for s in sup.StatIDs]
            chk.profile(at, "SupplierStatIDs", stat_ids, known=stats, target="Stats.csv")
    for dsp in plan.dispatcher_profiles:
        at = ("DispatcherProfiles.csv", dsp.tenant_id)
        ids = [*dsp.FilterIDs, *(f for h in dsp.Hosts for f in h.FilterIDs)]
        chk.profile(at, "FilterIDs", _filter_ids(ids), known=filters, target=fl)


def validate(plan: TariffPlan, *, strict: bool = False) -> list[str]:
    """Check the references of ``plan``; return every tolerated problem (warnings).

    The warnings are the plan's ``row_warnings`` followed by the tolerated references.
    Raises :class:`TariffPlanError` listing every refused reference, and with
    ``strict=True`` (cgr-loader ``-validate``) every warning as well.
    """
    problems = check_references(plan)
    warnings = plan.row_warnings + problems.warnings
    errors = problems.errors + (warnings if strict else [])
    if errors:
        raise TariffPlanError(errors)
    for warning in warnings:
        logger.debug("tariff plan warning: %s", warning)
    return warnings
