"""APIer's tariff-plan loading: read a folder, check it, store it, tell the subsystems.

Reading and validation happen before anything is written, so a plan with errors changes
nothing. Subsystems that keep run-time objects built from the stored plan register a
callback (:meth:`ApierService.on_load`) and rebuild after every load and at start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tollgate.apier.tpstore import store_plan
from tollgate.core.errors import ServerError
from tollgate.core.registry import Service
from tollgate.tariffplans import (
    TariffPlan,
    TariffPlanError,
    check_folder,
    read_folder,
    validate,
)

if TYPE_CHECKING:
    from tollgate.storage.datadb import DataDB

__all__ = ["ApierService", "LoadResult"]

logger = logging.getLogger(__name__)

ReloadHook = Callable[["DataDB"], Awaitable[None]]
PlanHook = Callable[[TariffPlan], Awaitable[None]]


class LoadResult:
    """What a load did: rows read per file, items stored per DataDB partition, warnings."""

    def __init__(self, plan: TariffPlan, stored: dict[str, int], warnings: list[str]) -> None:
        self.plan = plan
        self.stored = stored
        self.warnings = warnings


class ApierService(Service):
    """Owns tariff-plan loads into the DataDB and the reload of whoever depends on them."""

    name = "apier"
    requires = ("datadb",)

    def __init__(self, datadb: Callable[[], DataDB | None], *, preload: Sequence[str] = ()) -> None:
        self._datadb = datadb
        self._hooks: list[ReloadHook] = []
        self._plan_hooks: list[PlanHook] = []
        self._lock = asyncio.Lock()
        # folders loaded at start, before any listener opens (tollgate engine -load_tariffplan)
        self.preload = tuple(preload)

    def on_load(self, hook: ReloadHook) -> None:
        """Call ``hook(datadb)`` at start and after every tariff-plan load."""
        self._hooks.append(hook)

    def on_plan_loaded(self, hook: PlanHook) -> None:
        """Call ``hook(plan)`` after each tariff-plan load is stored and the subsystems
        rebuilt (not at start): for what a load does once, as running its ``*asap`` plans."""
        self._plan_hooks.append(hook)

    @property
    def db(self) -> DataDB:
        db = self._datadb()
        if db is None:
            raise ServerError("DataDB is not open")
        return db

    async def start(self) -> None:
        await self._reload()
        for folder in self.preload:
            await self.load_folder(folder)

    async def _reload(self) -> None:
        for hook in self._hooks:
            await hook(self.db)

    async def reload(self) -> None:
        """Rebuild every subsystem's run-time objects from the DataDB (as after a load)."""
        async with self._lock:
            await self._reload()

    async def apply(
        self,
        writes: Mapping[str, Mapping[str, bytes]],
        removes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Write and remove DataDB items (per partition kind), then reload; all or nothing.

        When the reload refuses the result (a broken reference, a bad activation time)
        the previous values are put back, the subsystems rebuilt from them, and the
        reload's error raised: the DataDB never keeps what the engine could not start on.
        """
        removes = removes or {}
        async with self._lock:
            db = self.db
            before: dict[str, dict[str, bytes | None]] = {}
            for kind in {*writes, *removes}:
                keys = [*writes.get(kind, {}), *removes.get(kind, ())]
                before[kind] = dict(zip(keys, await db.get_many(kind, keys), strict=True))
            for kind, items in writes.items():
                if items:
                    await db.set_many(kind, items)
            for kind, gone in removes.items():
                for key in gone:
                    await db.remove(kind, key)
            try:
                await self._reload()
            except Exception:
                for kind, old in before.items():
                    for key, value in old.items():
                        if value is None:
                            await db.remove(kind, key)
                        else:
                            await db.set(kind, key, value)
                await self._reload()
                raise

    async def load_folder(
        self, folder: str, *, strict: bool = False, dry_run: bool = False
    ) -> LoadResult:
        """Load a CGRateS tariff-plan folder; all or nothing."""
        check_folder(folder)
        path = Path(folder)
        try:
            plan = await asyncio.to_thread(read_folder, path, strict=strict)
        except TariffPlanError as exc:
            raise ServerError(exc) from exc
        return await self.load_plan(plan, source=str(path), strict=strict, dry_run=dry_run)

    async def load_plan(
        self, plan: TariffPlan, *, source: str, strict: bool = False, dry_run: bool = False
    ) -> LoadResult:
        """Check a tariff plan's references and store it (unless ``dry_run``); all or nothing.

        Plans read from a folder were checked while reading (``validate`` runs again, cheaply);
        plans assembled from the StorDB are checked here for the first time.
        """
        try:
            warnings = validate(plan, strict=strict)
        except TariffPlanError as exc:
            raise ServerError(exc) from exc
        if dry_run:
            return LoadResult(plan, {}, warnings)
        async with self._lock:
            stored = await store_plan(self.db, plan)
            await self._reload()
            for plan_hook in self._plan_hooks:
                await plan_hook(plan)
        for warning in warnings:
            logger.warning("tariff plan %s: %s", source, warning)
        logger.info("loaded tariff plan %s (%d items)", source, sum(stored.values()))
        return LoadResult(plan, stored, warnings)
