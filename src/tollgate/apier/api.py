"""APIerSv1/APIerSv2 methods for loading tariff plans and listing what was loaded."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tollgate.apier.models import AttrLoadTpFromFolder, TenantArgWithPaginator
from tollgate.apier.service import ApierService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import NotFoundError

__all__ = ["APIerSv1TariffPlans", "APIerSv2TariffPlans"]


class APIerSv1TariffPlans(Api):
    """Tariff-plan loads and ID listings of APIerSv1."""

    namespace = "APIerSv1"

    def __init__(self, service: ApierService) -> None:
        self.service = service

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        """Answers "Pong"."""
        return "Pong"

    @rpc_method("LoadTariffPlanFromFolder")
    async def load_tariff_plan_from_folder(
        self, args: AttrLoadTpFromFolder, ctx: CallContext
    ) -> str:
        """Load a CGRateS tariff-plan folder (on the engine's machine) into the DataDB."""
        await self.service.load_folder(args.FolderPath, strict=args.Validate, dry_run=args.DryRun)
        return "OK"

    async def _ids(self, kind: str, args: TenantArgWithPaginator) -> list[str]:
        ids = await self.service.db.keys(kind)
        page = args.page(ids)
        if not page:
            raise NotFoundError()
        return page

    @rpc_method("GetRatingPlanIDs")
    async def get_rating_plan_ids(
        self, args: TenantArgWithPaginator, ctx: CallContext
    ) -> list[str]:
        """IDs of the stored rating plans (Limit/Offset page them)."""
        return await self._ids("*rating_plans", args)

    @rpc_method("GetActionPlanIDs")
    async def get_action_plan_ids(
        self, args: TenantArgWithPaginator, ctx: CallContext
    ) -> list[str]:
        """IDs of the action plans, loaded or set over the API (Limit/Offset page them)."""
        # the scheduler's partition (tollgate.scheduler.PLANS): "*action_plans" only keeps
        # the loaded CSV rows, not the plans SetActionPlan adds or RemoveActionPlan drops
        return await self._ids("*scheduler_plans", args)


class APIerSv2TariffPlans(Api):
    """APIerSv2.LoadTariffPlanFromFolder answers a LoadInstance instead of "OK"."""

    namespace = "APIerSv2"

    def __init__(self, service: ApierService) -> None:
        self.service = service

    @rpc_method("LoadTariffPlanFromFolder")
    async def load_tariff_plan_from_folder(
        self, args: AttrLoadTpFromFolder, ctx: CallContext
    ) -> dict[str, Any]:
        """Load a folder; the reply is the LoadInstance naming this load."""
        load_id = uuid.uuid4().hex
        await self.service.load_folder(args.FolderPath, strict=args.Validate, dry_run=args.DryRun)
        return {
            "LoadID": load_id,
            "RatingLoadID": load_id,
            "AccountingLoadID": load_id,
            "LoadTime": dt.datetime.now(dt.UTC),
        }
