"""Where a loaded tariff plan lives in the DataDB: one partition per CSV file.

Every item is stored as its TP struct (msgpack), keyed as CGRateS keys it: ``ID``,
``Tenant:ID`` for tenant-scoped profiles, ``*out:Tenant:Category:Subject`` for rating
profiles, ``Tenant:Account`` for account actions. Subsystems build their run-time objects
from these partitions when the engine starts and after every load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.storage.datadb import DataDB

__all__ = ["PARTITIONS", "Partition", "load_partition", "store_plan"]


def _by_id(item: Any) -> str:
    return str(item.ID)


def _by_tenant_id(item: Any) -> str:
    return f"{item.Tenant}:{item.ID}"


@dataclass(frozen=True, slots=True)
class Partition:
    """One CSV file's items in the DataDB."""

    attr: str  # the TariffPlan attribute holding them
    kind: str  # the DataDB partition
    model: type[msgspec.Struct]
    key: Callable[[Any], str]

    def encode(self, item: msgspec.Struct) -> bytes:
        return msgspec.msgpack.encode(item)

    def decode(self, data: bytes) -> Any:
        return msgspec.msgpack.decode(data, type=self.model)


PARTITIONS: tuple[Partition, ...] = (
    Partition("destinations", "*destinations", tp.TPDestination, _by_id),
    Partition("timings", "*timings", tp.ApierTPTiming, _by_id),
    Partition("rates", "*rates", tp.TPRate, _by_id),
    Partition("destination_rates", "*destination_rates", tp.TPDestinationRate, _by_id),
    Partition("rating_plans", "*rating_plans", tp.TPRatingPlan, _by_id),
    Partition("rating_profiles", "*rating_profiles", tp.TPRatingProfile, lambda i: i.key),
    Partition("shared_groups", "*shared_groups", tp.TPSharedGroups, _by_id),
    Partition("actions", "*actions", tp.TPActions, _by_id),
    Partition("action_plans", "*action_plans", tp.TPActionPlan, _by_id),
    Partition("action_triggers", "*action_triggers", tp.TPActionTriggers, _by_id),
    Partition(
        "account_actions",
        "*account_actions",
        tp.TPAccountActions,
        lambda i: f"{i.Tenant}:{i.Account}",
    ),
    Partition("filters", "*filters", tp.TPFilterProfile, _by_tenant_id),
    Partition("attributes", "*attribute_profiles", tp.TPAttributeProfile, _by_tenant_id),
    Partition("chargers", "*charger_profiles", tp.TPChargerProfile, _by_tenant_id),
    Partition("resources", "*resource_profiles", tp.TPResourceProfile, _by_tenant_id),
    Partition("stats", "*statqueue_profiles", tp.TPStatProfile, _by_tenant_id),
    Partition("thresholds", "*threshold_profiles", tp.TPThresholdProfile, _by_tenant_id),
    Partition("suppliers", "*supplier_profiles", tp.TPSupplierProfile, _by_tenant_id),
    Partition("dispatcher_profiles", "*dispatcher_profiles", tp.TPDispatcherProfile, _by_tenant_id),
    Partition("dispatcher_hosts", "*dispatcher_hosts", tp.TPDispatcherHost, _by_tenant_id),
)

_BY_KIND = {p.kind: p for p in PARTITIONS}


async def store_plan(db: DataDB, plan: Any) -> dict[str, int]:
    """Write every item of ``plan`` (a TariffPlan) over what the DataDB holds; counts per kind.

    Items of the same key are replaced; items the plan does not mention stay, as a CGRateS
    load into a non-empty DataDB does.
    """
    counts: dict[str, int] = {}
    for part in PARTITIONS:
        items: Iterable[msgspec.Struct] = getattr(plan, part.attr)
        batch = {part.key(item): part.encode(item) for item in items}
        if batch:
            await db.set_many(part.kind, batch)
        counts[part.kind] = len(batch)
    return counts


async def load_partition(db: DataDB, kind: str) -> list[Any]:
    """Every stored item of one partition, in key order."""
    part = _BY_KIND[kind]
    keys = await db.keys(kind)
    values = await db.get_many(kind, keys)
    return [part.decode(v) for v in values if v is not None]
