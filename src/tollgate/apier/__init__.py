"""APIer: the administrative API (tariff-plan loads, listings; grows per subsystem)."""

from __future__ import annotations

from tollgate.apier.api import APIerSv1TariffPlans, APIerSv2TariffPlans
from tollgate.apier.service import ApierService, LoadResult
from tollgate.apier.tpstore import PARTITIONS, Partition, load_partition, store_plan

__all__ = [
    "PARTITIONS",
    "APIerSv1TariffPlans",
    "APIerSv2TariffPlans",
    "ApierService",
    "LoadResult",
    "Partition",
    "load_partition",
    "store_plan",
]
