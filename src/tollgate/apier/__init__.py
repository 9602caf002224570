"""APIer: the administrative API (tariff-plan loads, rating objects, StorDB tariff plans)."""

from __future__ import annotations

from tollgate.apier.api import APIerSv1TariffPlans, APIerSv2TariffPlans
from tollgate.apier.rating_api import APIerSv1Rating, APIerSv2Rating
from tollgate.apier.service import ApierService, LoadResult
from tollgate.apier.tp_api import APIerSv1TPRating, APIerSv2TPRating
from tollgate.apier.tp_api_accounts import APIerSv1TPAccounts
from tollgate.apier.tp_api_profiles import APIerSv1TPProfiles
from tollgate.apier.tp_folder import STORDB_FILES, APIerSv1TPFolders
from tollgate.apier.tp_load import APIerSv1TPLoads
from tollgate.apier.tpstore import PARTITIONS, Partition, load_partition, store_plan
from tollgate.apier.versions_api import APIerSv1StorDBVersions

__all__ = [
    "PARTITIONS",
    "STORDB_FILES",
    "APIerSv1Rating",
    "APIerSv1StorDBVersions",
    "APIerSv1TPAccounts",
    "APIerSv1TPFolders",
    "APIerSv1TPLoads",
    "APIerSv1TPProfiles",
    "APIerSv1TPRating",
    "APIerSv1TariffPlans",
    "APIerSv2Rating",
    "APIerSv2TPRating",
    "APIerSv2TariffPlans",
    "ApierService",
    "LoadResult",
    "Partition",
    "load_partition",
    "store_plan",
]
