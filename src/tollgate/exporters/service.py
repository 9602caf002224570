"""ExportService: the ``cdre`` profiles at work, offline (APIerSv1.ExportCDRs over the
StorDB's CDRs) and online (``cdrs.online_cdr_exports``, each CDR the CDR server processes
with ``*export``).

Posting reuses the actions' HTTP poster (``accounts.actions_posters.post_json``) and the
ActionService as its host: one HTTP session, the same retry pauses and failed-post files.
The AMQP, SQS and S3 formats go through the host's posters (``tollgate.posters``, shared
with the queue-poster actions) with the same attempts, pauses and failed-post files.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tollgate.accounts.actions_posters import ActionHost, deliver, post_json, queue_sender
from tollgate.cdrs.models import CDR, MAIN_CDR_FIELDS
from tollgate.core.errors import NotFoundError, ServerError, TollgateError
from tollgate.exporters.exporter import (
    CONTENT_TYPES,
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

__all__ = [
    "ONLINE_EXPORT_ID",
    "ExportService",
    "KeptPost",
    "settings_from_profile",
    "updated_cdr",
]

logger = logging.getLogger(__name__)

ONLINE_EXPORT_ID = "CDRSReplication"
_NONE: Final = "*none"
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
        attributes_context=profile.attributes_context,
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
        failed_dir: str | None, transport: str, key: str = "",
    ) -> None:  # fmt: skip
        sender = queue_sender(self.host, transport, url, body, content_type=content_type, key=key)
        if sender is not None:
            send, poster = sender
            await deliver(
                self.host,
                send,
                url,
                body,
                module="cdr",
                attempts=attempts,
                failed_dir=failed_dir,
                transport=transport,
                poster=poster,
            )
            return
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

    async def alter(self, cdr: CDR, settings: ExportSettings) -> CDR:
        """``attributes_context``: the CDR through AttributeSv1.ProcessEvent (the profile's
        context; the CDR server's or APIer's ``attributes_conns``), its altered fields
        copied back; no matching profile leaves it as it is."""
        if not settings.attributes_conns:
            raise TollgateError("MANDATORY_IE_MISSING: [connIDs]")
        args = {
            "Context": settings.attributes_context,
            "Tenant": cdr.tenant or settings.default_tenant,
            "ID": uuid.uuid4().hex,
            "Event": cdr.as_event(),
        }
        try:
            reply = await self.host.conn_manager().call(
                settings.attributes_conns, "AttributeSv1.ProcessEvent", args
            )
        except NotFoundError:
            return cdr
        reply = msgspec.to_builtins(reply)
        altered = [str(f).removeprefix("*req.") for f in reply.get("AlteredFields") or ()]
        event = (reply.get("CGREvent") or {}).get("Event") or {}
        return updated_cdr(cdr, event, altered)

    async def export(self, cdrs: list[CDR], settings: ExportSettings) -> CDRExporter:
        """One run; TollgateError when a header/trailer field or the file fails."""
        if settings.export_format not in SUPPORTED_FORMATS:
            raise TollgateError(f"unsupported exportFormat: <{settings.export_format}>")
        exporter = CDRExporter(
            cdrs, settings, self.pass_filters, self.post, spawn=self.host.spawn, alter=self.alter
        )
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
                settings.attributes_conns = tuple(cfg.cdrs.attributes_conns)
                exporter = await self.export(cdrs, settings)
            except TollgateError as exc:
                logger.error("<CDRs> exporting CDRs with <%s>, got error: <%s>", profile_id, exc)
                ok = False
                continue
            if exporter.negative:
                ok = False
        return ok

    async def replay_failed(
        self, in_dir: str, out_dir: str, modules: Sequence[str]
    ) -> tuple[int, int]:
        """``APIerSv1.ReplayFailedPosts``: post again each kept post in ``in_dir`` whose
        module starts with one of ``modules`` (all when empty), one attempt each. A post that
        goes through is removed; one that fails again moves to ``out_dir`` (stays when it is
        ``in_dir``, dropped when ``*none``). Returns (posted, failed again)."""
        files = await asyncio.to_thread(_kept_posts, in_dir)
        posted = failed = 0
        for path in files:
            try:
                record = msgspec.json.decode(
                    await asyncio.to_thread(path.read_bytes), type=KeptPost
                )
            except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
                logger.warning("<APIerSv1.ReplayFailedPosts> skipping %s: %s", path, exc)
                continue
            if modules and not any(record.Module.startswith(m) for m in modules):
                continue
            body = record.Body.encode()
            content_type = CONTENT_TYPES.get(record.Format, "application/json")
            try:
                await self.post(
                    record.Path, body, content_type=content_type, attempts=1,
                    failed_dir=_NONE, transport=record.Format, key=path.stem,
                )  # fmt: skip
            except TollgateError as exc:
                failed += 1
                logger.warning("<APIerSv1.ReplayFailedPosts> %s failed again: %s", path, exc)
                if out_dir != in_dir:
                    await asyncio.to_thread(_move_kept, path, out_dir)
                continue
            posted += 1
            await asyncio.to_thread(path.unlink, True)
        return posted, failed


class KeptPost(msgspec.Struct):
    """A post kept in ``failed_posts_dir`` (written by ``actions_posters.deliver``)."""

    Path: str
    Format: str
    Module: str = ""
    Body: str = ""


def _kept_posts(folder: str) -> list[Path]:
    root = Path(folder)
    if not root.is_dir():
        raise ServerError(f"open {folder}: no such file or directory")
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix == ".json")


def _move_kept(path: Path, out_dir: str) -> None:
    if out_dir != _NONE:
        target = Path(out_dir)
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target / path.name))
    else:
        path.unlink(missing_ok=True)


# main CDR field -> CDR attribute, for the fields AttributeS may alter
_CDR_ATTRS: Final = {
    "CGRID": "cgrid", "RunID": "run_id", "OrderID": "order_id", "OriginHost": "origin_host",
    "Source": "source", "OriginID": "origin_id", "ToR": "tor", "RequestType": "request_type",
    "Tenant": "tenant", "Category": "category", "Account": "account", "Subject": "subject",
    "Destination": "destination", "SetupTime": "setup_time", "AnswerTime": "answer_time",
    "Usage": "usage", "ExtraInfo": "extra_info", "Partial": "partial", "PreRated": "pre_rated",
    "CostSource": "cost_source", "Cost": "cost", "CostDetails": "cost_details",
}  # fmt: skip


def updated_cdr(cdr: CDR, event: dict[str, Any], altered: Sequence[str]) -> CDR:
    """``CDR.UpdateFromCGREvent``: a copy of ``cdr`` with the ``altered`` fields taken from
    ``event`` (typed as a CDR types them; a removed field is reset); TollgateError for a
    value of the wrong type."""
    names = [name for name in altered if name]
    typed = CDR.from_event({n: event[n] for n in names if n in event}, cdr.tenant, None)
    out = cdr.clone()
    blank = CDR()
    for name in names:
        attr = _CDR_ATTRS.get(name)
        if attr is not None:
            setattr(out, attr, getattr(typed if name in event else blank, attr))
        elif name not in MAIN_CDR_FIELDS:
            if name in event:
                out.extra_fields[name] = typed.extra_fields[name]
            else:
                out.extra_fields.pop(name, None)
    return out
