"""Tariff plans between folders, the StorDB and the DataDB (cgr-loader -to_stordb/-from_stordb).

``APIerSv1.ImportTariffPlanFromFolder`` reads a folder into the StorDB ``tp_*`` tables under a
TPid, every file, all or nothing; ``APIerSv1.LoadTariffPlanFromStorDb`` loads a TPid from them
into the DataDB, checked and stored exactly as a folder load. As CGRateS's CSV importer, an
import names its rating profiles and account actions with the load id ``CSVLOAD`` (with
``_<RunId>`` appended when the import has a RunId).
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
from tollgate.tariffplans import FILE_NAMES, TariffPlanError, check_folder, read_folder

__all__ = [
    "CSV_LOAD",
    "STORDB_FILES",
    "APIerSv1TPFolders",
    "AttrImportTPFromFolder",
    "AttrLoadTpFromStorDb",
]

logger = logging.getLogger(__name__)

# TariffPlan attributes the StorDB has tables for: every file
STORDB_FILES = tuple(FILE_NAMES)
# the load id of imported rating profiles and account actions (CGRateS utils.CSV_LOAD)
CSV_LOAD = "CSVLOAD"


class AttrImportTPFromFolder(msgspec.Struct, kw_only=True):
    """APIerSv1.ImportTariffPlanFromFolder; ``Flush`` (Tollgate's) empties the TPid first.

    ``RunId`` is the import id appended to the load id (``CSVLOAD_<RunId>``)."""

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
        load_id = f"{CSV_LOAD}_{args.RunId}" if args.RunId else CSV_LOAD
        for profile in plan.rating_profiles:
            profile.LoadId = load_id
        for account in plan.account_actions:
            account.LoadId = load_id
        written = await store.set_tariff_plan(plan, flush=args.Flush)
        logger.info(
            "imported %s into StorDB TPid %s: %d rows",
            args.FolderPath, args.TPid, sum(written.values()),
        )  # fmt: skip
        return "OK"

    @rpc_method("LoadTariffPlanFromStorDb")
    async def load_tariff_plan_from_stordb(
        self, args: AttrLoadTpFromStorDb, ctx: CallContext
    ) -> str:
        """Load the StorDB tariff plan TPid into the DataDB, checked like a folder load."""
        require(args, "TPid")
        plan = await tp_store(self._stordb).get_tariff_plan(args.TPid)
        if not any(getattr(plan, name) for name in STORDB_FILES):
            raise ServerError(f"no tariff plan with TPid {args.TPid} in the StorDB")
        await self.service.load_plan(
            plan, source=f"StorDB TPid {args.TPid}", strict=args.Validate, dry_run=args.DryRun
        )
        return "OK"
