"""The result of reading a tariff-plan folder: one list of TP structures per CSV file."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tollgate.tariffplans.models import (
    ApierTPTiming,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingPlan,
    TPRatingProfile,
)
from tollgate.tariffplans.models_accounts import (
    TPAccountActions,
    TPActionPlan,
    TPActions,
    TPActionTriggers,
    TPSharedGroups,
)
from tollgate.tariffplans.models_profiles import (
    TPAttributeProfile,
    TPChargerProfile,
    TPDispatcherHost,
    TPDispatcherProfile,
    TPFilterProfile,
    TPResourceProfile,
    TPStatProfile,
    TPSupplierProfile,
    TPThresholdProfile,
)

__all__ = ["FILE_NAMES", "TariffPlan", "TariffPlanError"]

logger = logging.getLogger(__name__)

# attribute of TariffPlan -> CSV file name, in CGRateS load order
FILE_NAMES: dict[str, str] = {
    "destinations": "Destinations.csv",
    "timings": "Timings.csv",
    "rates": "Rates.csv",
    "destination_rates": "DestinationRates.csv",
    "rating_plans": "RatingPlans.csv",
    "rating_profiles": "RatingProfiles.csv",
    "shared_groups": "SharedGroups.csv",
    "actions": "Actions.csv",
    "action_plans": "ActionPlans.csv",
    "action_triggers": "ActionTriggers.csv",
    "account_actions": "AccountActions.csv",
    "filters": "Filters.csv",
    "resources": "Resources.csv",
    "stats": "Stats.csv",
    "thresholds": "Thresholds.csv",
    "suppliers": "Suppliers.csv",
    "attributes": "Attributes.csv",
    "chargers": "Chargers.csv",
    "dispatcher_profiles": "DispatcherProfiles.csv",
    "dispatcher_hosts": "DispatcherHosts.csv",
}


class TariffPlanError(Exception):
    """A tariff plan refused; ``errors`` holds every problem found, one per line of str()."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        count = len(self.errors)
        head = f"{count} error{'s' if count != 1 else ''} in tariff plan"
        return "\n".join([head, *(f"  {err}" for err in self.errors)])


@dataclass(slots=True)
class TariffPlan:
    """Every file of a folder as CGRateS TP structures, entries in first-appearance order.

    ``warnings`` lists every tolerated problem; ``row_warnings`` the part of them found in
    single rows (e.g. a scalar overridden by a later row), which :func:`validate` repeats.
    ``lines`` maps ``(file name, entry key, item index)`` to the line the item came from,
    so later checks can point at the row; ``rows`` counts data rows per file.
    """

    tpid: str = ""
    destinations: list[TPDestination] = field(default_factory=list)
    timings: list[ApierTPTiming] = field(default_factory=list)
    rates: list[TPRate] = field(default_factory=list)
    destination_rates: list[TPDestinationRate] = field(default_factory=list)
    rating_plans: list[TPRatingPlan] = field(default_factory=list)
    rating_profiles: list[TPRatingProfile] = field(default_factory=list)
    shared_groups: list[TPSharedGroups] = field(default_factory=list)
    actions: list[TPActions] = field(default_factory=list)
    action_plans: list[TPActionPlan] = field(default_factory=list)
    action_triggers: list[TPActionTriggers] = field(default_factory=list)
    account_actions: list[TPAccountActions] = field(default_factory=list)
    filters: list[TPFilterProfile] = field(default_factory=list)
    resources: list[TPResourceProfile] = field(default_factory=list)
    stats: list[TPStatProfile] = field(default_factory=list)
    thresholds: list[TPThresholdProfile] = field(default_factory=list)
    suppliers: list[TPSupplierProfile] = field(default_factory=list)
    attributes: list[TPAttributeProfile] = field(default_factory=list)
    chargers: list[TPChargerProfile] = field(default_factory=list)
    dispatcher_profiles: list[TPDispatcherProfile] = field(default_factory=list)
    dispatcher_hosts: list[TPDispatcherHost] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    row_warnings: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    lines: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Data rows read per CSV file name (0 for a missing file)."""
        return {name: self.rows.get(name, 0) for name in FILE_NAMES.values()}

    def where(self, file: str, key: str, index: int = 0, column: int | None = None) -> str:
        """``File.csv:line[:col]`` of an item when known, else just the file name."""
        line = self.lines.get((file, key, index))
        if line is None:
            return file
        return f"{file}:{line}" if column is None else f"{file}:{line}:{column}"
