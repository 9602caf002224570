"""Tariff plans between folders, the StorDB and the DataDB (cgr-loader -to_stordb/-from_stordb).

``APIerSv1.ImportTariffPlanFromFolder`` reads a folder into the StorDB ``tp_*`` tables under a
TPid; ``APIerSv1.LoadTariffPlanFromStorDb`` loads a TPid from them into the DataDB, checked
and stored exactly as a folder load. The StorDB keeps the six rating files so far; the other
files of a folder are reported as not imported (they come with their subsystems' tables).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import msgspec

from tollgate.apier.service import ApierService
from tollgate.apier.tp_api import StorDBSource, require, tp_store
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import ServerError
from tollgate.tariffplans import TariffPlan, TariffPlanError, check_folder, read_folder

__all__ = [
    "STORDB_FILES",
    "APIerSv1TPFolders",
    "AttrImportTPFromFolder",
    "AttrLoadTpFromStorDb",
]

logger = logging.getLogger(__name__)

# TariffPlan attributes the StorDB has tables for
STORDB_FILES = (
    "destinations",
    "timings",
    "rates",
    "destination_rates",
    "rating_plans",
    "rating_profiles",
)


class AttrImportTPFromFolder(msgspec.Struct, kw_only=True):
    """APIerSv1.ImportTariffPlanFromFolder; ``Flush`` (Tollgate's) empties the TPid first."""

    TPid: str = ""
    FolderPath: str = ""
    RunId: str = ""
    CsvSeparator: str = ""
    Flush: bool = False
    APIKey: str | None = None
    RouteID: str | None = None


class AttrLoadTpFromStorDb(msgspec.Struct, kw_only=True):
    """APIerSv1.LoadTariffPlanFromStorDb."""

    TPid: str = ""
    FlushDb: bool = False
    DryRun: bool = False
    Validate: bool = False
    Caching: str | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class APIerSv1TPFolders(Api):
    """Folder → StorDB imports and StorDB → DataDB loads of whole tariff plans."""

    namespace = "APIerSv1"

    def __init__(self, stordb: StorDBSource, service: ApierService) -> None:
        self._stordb = stordb
        self.service = service

    @rpc_method("ImportTariffPlanFromFolder")
    async def import_tariff_plan_from_folder(
        self, args: AttrImportTPFromFolder, ctx: CallContext
    ) -> str:
        """Read a folder (all or nothing) into the StorDB tariff-plan tables under TPid."""
        require(args, "TPid", "FolderPath")
        check_folder(args.FolderPath)
        store = tp_store(self._stordb)
        try:
            plan = await asyncio.to_thread(
                read_folder,
                Path(args.FolderPath),
                tpid=args.TPid,
                field_separator=args.CsvSeparator or ",",
            )
        except TariffPlanError as exc:
            raise ServerError(exc) from exc
        if args.Flush:
            await store.remove_tp_data("", args.TPid)
        await store.set_tp_destinations(plan.destinations)
        await store.set_tp_timings(plan.timings)
        await store.set_tp_rates(plan.rates)
        await store.set_tp_destination_rates(plan.destination_rates)
        await store.set_tp_rating_plans(plan.rating_plans)
        await store.set_tp_rating_profiles(plan.rating_profiles)
        skipped = [
            name
            for name, count in plan.counts().items()
            if count and _attr_of(name) not in STORDB_FILES
        ]
        if skipped:
            logger.warning(
                "ImportTariffPlanFromFolder %s: %s not imported (no StorDB tables yet)",
                args.TPid,
                ", ".join(skipped),
            )
        return "OK"

    @rpc_method("LoadTariffPlanFromStorDb")
    async def load_tariff_plan_from_stordb(
        self, args: AttrLoadTpFromStorDb, ctx: CallContext
    ) -> str:
        """Load the StorDB tariff plan TPid into the DataDB, checked like a folder load."""
        require(args, "TPid")
        store = tp_store(self._stordb)
        plan = TariffPlan(
            tpid=args.TPid,
            destinations=await store.get_tp_destinations(args.TPid),
            timings=await store.get_tp_timings(args.TPid),
            rates=await store.get_tp_rates(args.TPid),
            destination_rates=await store.get_tp_destination_rates(args.TPid),
            rating_plans=await store.get_tp_rating_plans(args.TPid),
            rating_profiles=await store.get_tp_rating_profiles(args.TPid),
        )
        if not any(getattr(plan, name) for name in STORDB_FILES):
            raise ServerError(f"no tariff plan with TPid {args.TPid} in the StorDB")
        await self.service.load_plan(
            plan, source=f"StorDB TPid {args.TPid}", strict=args.Validate, dry_run=args.DryRun
        )
        return "OK"


def _attr_of(file_name: str) -> str:
    """``RatingProfiles.csv`` → ``rating_profiles``."""
    stem = file_name.removesuffix(".csv")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in stem).lstrip("_")
