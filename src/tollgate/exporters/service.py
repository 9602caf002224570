"""ExportService: the ``cdre`` profiles at work, offline (APIerSv1.ExportCDRs over the
StorDB's CDRs) and online (``cdrs.online_cdr_exports``, each CDR the CDR server processes
with ``*export``).

Posting reuses the actions' HTTP poster (``accounts.actions_posters.post_json``) and the
ActionService as its host: one HTTP session, the same retry pauses and failed-post files.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tollgate.accounts.actions_posters import ActionHost, post_json
from tollgate.cdrs.models import CDR
from tollgate.core.errors import TollgateError
from tollgate.exporters.exporter import (
    FILE_FORMATS,
    POST_FORMATS,
    CDRExporter,
    ExportSettings,
)
from tollgate.exporters.fields import parse_fields
from tollgate.filters import DataProvider

if TYPE_CHECKING:
    from tollgate.core.config.service_sections import CdreCfg
    from tollgate.filters import FilterService

__all__ = ["ONLINE_EXPORT_ID", "ExportService", "settings_from_profile"]

logger = logging.getLogger(__name__)

ONLINE_EXPORT_ID = "CDRSReplication"
SUPPORTED_FORMATS = FILE_FORMATS | POST_FORMATS


def settings_from_profile(
    profile: CdreCfg, export_id: str, *, rounding_decimals: int, default_tenant: str
) -> ExportSettings:
    """A profile's settings (fields compiled); TollgateError for a bad field."""
    return ExportSettings(
        export_format=profile.export_format,
        export_path=profile.export_path,
        fields=parse_fields(profile.fields),
        export_id=export_id,
        filters=tuple(profile.filters),
        tenant=profile.tenant,
        synchronous=profile.synchronous,
        attempts=profile.attempts,
        field_separator=profile.field_separator or ",",
        rounding_decimals=rounding_decimals,
        default_tenant=default_tenant,
    )


@dataclass
class ExportService:
    """Runs :class:`CDRExporter` for the API and for the CDR server."""

    host: ActionHost
    filters: FilterService

    async def pass_filters(self, tenant: str, ids: Sequence[str], dp: DataProvider) -> bool:
        return await self.filters.pass_filters(tenant, ids, dp)

    async def post(
        self, url: str, body: bytes, *, content_type: str, attempts: int,
        failed_dir: str | None, transport: str,
    ) -> None:  # fmt: skip
        await post_json(
            self.host,
            url,
            body,
            module="cdr",
            content_type=content_type,
            attempts=attempts,
            failed_dir=failed_dir,
            transport=transport,
        )

    async def export(self, cdrs: list[CDR], settings: ExportSettings) -> CDRExporter:
        """One run; TollgateError when a header/trailer field or the file fails."""
        if settings.export_format not in SUPPORTED_FORMATS:
            raise TollgateError(f"unsupported exportFormat: <{settings.export_format}>")
        exporter = CDRExporter(cdrs, settings, self.pass_filters, self.post, spawn=self.host.spawn)
        await exporter.run()
        return exporter

    async def online(self, cdrs: list[CDR]) -> bool:
        """``CDRServer.exportCDRs``: the CDRs through each ``online_cdr_exports`` profile
        (failed posts kept in ``general.failed_posts_dir``); False when one failed."""
        cfg = self.host.cfg()
        ok = True
        for profile_id in cfg.cdrs.online_cdr_exports:
            profile = cfg.cdre.get(profile_id)
            if profile is None:
                logger.error("<CDRs> online export profile <%s> is not configured", profile_id)
                ok = False
                continue
            try:
                settings = settings_from_profile(
                    profile,
                    ONLINE_EXPORT_ID,
                    rounding_decimals=cfg.general.rounding_decimals,
                    default_tenant=cfg.general.default_tenant,
                )
                settings.failed_dir = cfg.general.failed_posts_dir
                exporter = await self.export(cdrs, settings)
            except TollgateError as exc:
                logger.error("<CDRs> exporting CDRs with <%s>, got error: <%s>", profile_id, exc)
                ok = False
                continue
            if exporter.negative:
                ok = False
        return ok
