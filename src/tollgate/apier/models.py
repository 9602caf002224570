"""Arguments of the APIer methods for tariff-plan loading and listing."""

from __future__ import annotations

import msgspec

__all__ = ["AttrLoadTpFromFolder", "TenantArgWithPaginator"]


class AttrLoadTpFromFolder(msgspec.Struct, kw_only=True):
    """APIerSv1.LoadTariffPlanFromFolder."""

    FolderPath: str = ""
    DryRun: bool = False
    Validate: bool = False
    Caching: str | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class TenantArgWithPaginator(msgspec.Struct, kw_only=True):
    """``{Tenant, Limit, Offset}``: the argument of the GetXIDs listings."""

    Tenant: str = ""
    Limit: int | None = None
    Offset: int | None = None
    APIKey: str | None = None
    RouteID: str | None = None

    def page(self, ids: list[str]) -> list[str]:
        """``ids`` after Offset, at most Limit of them, as CGRateS's Paginator cuts them."""
        start = self.Offset or 0
        end = start + self.Limit if self.Limit else None
        return ids[start:end]
