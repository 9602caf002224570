"""APIerSv1.ExportCDRs: the stored CDRs matching a filter through a ``cdre`` profile.

v0.10 reads its overrides from ``ExportArgs`` (ExportTemplate, ExportFormat, ExportPath,
Synchronous, Attempts, FieldSeparator, ExportID, ExportFileName); the older top-level
spellings (and UsageMultiplyFactor, CostMultiplyFactor, RoundingDecimals) are read too,
``ExportArgs`` winning. Files are ``<ExportPath>/cdre_<ExportID>.<csv|fwv>`` (ExportID the
Unix time unless given); for the HTTP formats ``cdre_<ExportID>.<format>`` is joined to the
URL's path, as v0.10 does; an AMQP, SQS or S3 URL is used as it is.
"""

from __future__ import annotations

import logging
import posixpath
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.cdrs.args import RPCCDRsFilter
from tollgate.cdrs.query import rpc_filter
from tollgate.cdrs.service import CDRService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.config import Config, ConfigError
from tollgate.core.errors import MandatoryIeMissingError, ServerError, TollgateError
from tollgate.exporters.exporter import FILE_CSV, FILE_FWV, QUEUE_FORMATS
from tollgate.exporters.service import SUPPORTED_FORMATS, ExportService, settings_from_profile
from tollgate.filters import as_string
from tollgate.posters import AMQP_FORMATS, S3_FORMATS, SQS_FORMATS
from tollgate.rating import money

__all__ = [
    "APIerSv1Exports",
    "APIerSv2Exports",
    "ArgExportCDRs",
    "ArgsReplayFailedPosts",
    "AttrExportCdrsToFile",
    "AttrReloadConfig",
    "ExportedFileCdrs",
    "RplExportedCDRs",
]

logger = logging.getLogger(__name__)

_DEFAULT = "*default"
_EXPORT_FORMATS = SUPPORTED_FORMATS | QUEUE_FORMATS


class ArgExportCDRs(RPCCDRsFilter, kw_only=True):
    """``v1.ArgExportCDRs``: export overrides and a CDR filter."""

    ExportArgs: dict[str, Any] | None = None
    ExportTemplate: str | None = None
    ExportFormat: str | None = None
    ExportPath: str | None = None
    Synchronous: bool | None = None
    Attempts: int | None = None
    FieldSeparator: str | None = None
    ExportID: str | None = None
    ExportFileName: str | None = None
    UsageMultiplyFactor: dict[str, Decimal] | None = None
    CostMultiplyFactor: Decimal | None = None
    RoundingDecimals: int | None = None
    Verbose: bool = False


class ArgsReplayFailedPosts(msgspec.Struct, kw_only=True):
    """``v1.ArgsReplyFailedPosts``: folders default to ``general.failed_posts_dir``."""

    FailedRequestsInDir: str | None = None
    FailedRequestsOutDir: str | None = None
    Modules: list[str] | None = None


class AttrExportCdrsToFile(RPCCDRsFilter, kw_only=True):
    """``v2.AttrExportCdrsToFile`` (the older file export API)."""

    CdrFormat: str | None = None
    FieldSeparator: str | None = None
    ExportID: str | None = None
    ExportId: str | None = None  # the older spelling
    ExportDirectory: str | None = None
    ExportDir: str | None = None  # the older spelling
    ExportFileName: str | None = None
    ExportTemplate: str | None = None
    Verbose: bool = False


class ExportedFileCdrs(msgspec.Struct):
    """``utils.ExportedFileCdrs``."""

    ExportedFilePath: str = ""
    TotalRecords: int = 0
    TotalCost: Decimal = Decimal(0)
    FirstOrderId: int = 0
    LastOrderId: int = 0
    ExportedCgrIds: list[str] | None = None
    UnexportedCgrIds: dict[str, str] | None = None


class AttrReloadConfig(msgspec.Struct, kw_only=True):
    """``v1.AttrReloadConfig``: the config file or folder to read (empty: the engine's)."""

    ConfigDir: str = ""


class RplExportedCDRs(msgspec.Struct):
    """``v1.RplExportedCDRs``."""

    ExportedPath: str = ""
    TotalRecords: int = 0
    TotalCost: Decimal = Decimal(0)
    FirstOrderID: int = 0
    LastOrderID: int = 0
    ExportedCGRIDs: list[str] | None = None
    UnexportedCGRIDs: dict[str, str] | None = None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = as_string(value).strip()
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise TollgateError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {value} to int")
    try:
        return int(value) if not isinstance(value, str) else int(value.strip())
    except (TypeError, ValueError):
        raise TollgateError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def _overrides(args: ArgExportCDRs) -> dict[str, Any]:
    """The top-level spellings, then ``ExportArgs`` over them."""
    out: dict[str, Any] = {}
    for key in ("ExportTemplate", "ExportFormat", "ExportPath", "Synchronous", "Attempts",
                "FieldSeparator", "ExportID", "ExportFileName"):  # fmt: skip
        value = getattr(args, key)
        if value is not None and value != "":
            out[key] = value
    out.update(args.ExportArgs or {})
    return out


class APIerSv1Exports(Api):
    """APIerSv1.ExportCDRs, APIerSv1.ReplayFailedPosts and APIerSv1.ReloadCdreConfig."""

    namespace = "APIerSv1"

    def __init__(
        self,
        exports: ExportService,
        cdrs: CDRService,
        cfg: Any,
        reload: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.exports = exports
        self.cdrs = cdrs
        self._cfg = cfg
        self._reload = reload

    def cfg(self) -> Config:
        cfg: Config = self._cfg()
        return cfg

    @rpc_method("ExportCDRs")
    async def export_cdrs(self, args: ArgExportCDRs, ctx: CallContext) -> RplExportedCDRs:
        """Export the stored CDRs matching the filter (files or posts); counts, totals and
        with Verbose the exported and failed CGRIDs."""
        cfg = self.cfg()
        over = _overrides(args)
        template_id = as_string(over.get("ExportTemplate", "")) or _DEFAULT
        profile = cfg.cdre.get(template_id)
        if profile is None:
            raise TollgateError("NOT_FOUND:ExportTemplate")
        export_format = profile.export_format
        if "ExportFormat" in over:
            export_format = as_string(over["ExportFormat"]).lower()
        if export_format not in _EXPORT_FORMATS:
            raise MandatoryIeMissingError("CdrFormat")
        export_id = as_string(over.get("ExportID", "")) or str(int(time.time()))
        try:
            settings = settings_from_profile(
                profile,
                export_id,
                rounding_decimals=cfg.general.rounding_decimals,
                default_tenant=cfg.general.default_tenant,
            )
        except TollgateError as exc:
            raise ServerError(exc) from None
        settings.export_format = export_format
        if "Synchronous" in over:
            settings.synchronous = _bool(over["Synchronous"])
        if "Attempts" in over:
            attempts = _int(over["Attempts"])
            settings.attempts = attempts or settings.attempts
        if "FieldSeparator" in over:
            sep = as_string(over["FieldSeparator"])
            if not sep or sep[0] == "\ufffd":
                raise TollgateError("SERVER_ERROR:FieldSeparator:Invalid")
            settings.field_separator = sep[0]
        export_dir = as_string(over.get("ExportPath", "")) or profile.export_path
        ext = {FILE_CSV: "csv", FILE_FWV: "fwv"}.get(export_format, export_format)
        file_name = as_string(over.get("ExportFileName", "")) or f"cdre_{export_id}.{ext}"
        if export_format in (FILE_CSV, FILE_FWV):
            settings.export_path = posixpath.join(export_dir, file_name)
        elif export_format in AMQP_FORMATS | SQS_FORMATS | S3_FORMATS:
            settings.export_path = export_dir  # a queue or bucket URL, used as it is
        else:
            url = urllib.parse.urlsplit(export_dir)
            joined = posixpath.join(url.path or "/", file_name)
            settings.export_path = urllib.parse.urlunsplit(url._replace(path=joined))
        settings.failed_dir = "*none"  # offline exports report failures instead
        settings.attributes_conns = tuple(cfg.apiers.attributes_conns)
        settings.usage_multiply_factor = dict(args.UsageMultiplyFactor or {})
        if args.CostMultiplyFactor:
            settings.cost_multiply_factor = args.CostMultiplyFactor
        if args.RoundingDecimals is not None:
            settings.rounding_decimals = args.RoundingDecimals
        try:
            cdr_filter = rpc_filter(args, cfg.general.default_timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        try:
            cdrs = await self.cdrs.get_cdrs(cdr_filter)
        except ValueError as exc:
            raise ServerError(exc) from None
        if not cdrs:
            return RplExportedCDRs()
        try:
            exporter = await self.exports.export(cdrs, settings)
        except TollgateError as exc:
            raise ServerError(exc) from None
        if exporter.number_of_records == 0:
            return RplExportedCDRs()
        reply = RplExportedCDRs(
            ExportedPath=settings.export_path,
            TotalRecords=len(cdrs),
            TotalCost=money(exporter.total_cost),
            FirstOrderID=exporter.first_order_id,
            LastOrderID=exporter.last_order_id,
        )
        if args.Verbose:
            reply.ExportedCGRIDs = list(exporter.positive)
            reply.UnexportedCGRIDs = dict(exporter.negative)
        return reply

    @rpc_method("ReplayFailedPosts")
    async def replay_failed_posts(self, args: ArgsReplayFailedPosts, ctx: CallContext) -> str:
        """Post again what ``failed_posts_dir`` (or FailedRequestsInDir) keeps, for the
        given module prefixes (``cdr``, ``act>*http_post``...; all when empty); what fails
        again goes to FailedRequestsOutDir (default: stays where it is; ``*none``: dropped)."""
        folder = self.cfg().general.failed_posts_dir
        in_dir = args.FailedRequestsInDir or folder
        out_dir = args.FailedRequestsOutDir or in_dir
        if in_dir == "*none":
            raise MandatoryIeMissingError("FailedRequestsInDir")
        await self.exports.replay_failed(in_dir, out_dir, args.Modules or [])
        return "OK"

    @rpc_method("ReloadCdreConfig")
    async def reload_cdre_config(self, args: AttrReloadConfig, ctx: CallContext) -> str:
        """Read the ``cdre`` profiles again from ConfigDir (default: where the engine read
        its config); the rest of the running config is kept."""
        if self._reload is None:
            raise ServerError("config reloads are not available")
        try:
            await self._reload(args.ConfigDir, "cdre")
        except (ConfigError, OSError) as exc:
            raise ServerError(exc) from exc
        return "OK"


class APIerSv2Exports(Api):
    """APIerSv2.ExportCdrsToFile: v0.10's deprecated form of APIerSv1.ExportCDRs."""

    namespace = "APIerSv2"

    def __init__(self, v1: APIerSv1Exports) -> None:
        self.v1 = v1

    @rpc_method("ExportCdrsToFile")
    async def export_cdrs_to_file(
        self, args: AttrExportCdrsToFile, ctx: CallContext
    ) -> ExportedFileCdrs:
        """ExportCDRs with the older argument and reply names (ExportDirectory, CdrFormat,
        ExportedFilePath, FirstOrderId...)."""
        fields = msgspec.structs.asdict(args)
        export_id, old_id = fields.pop("ExportID"), fields.pop("ExportId")
        export_dir, old_dir = fields.pop("ExportDirectory"), fields.pop("ExportDir")
        overrides = {
            "ExportTemplate": fields.pop("ExportTemplate"),
            "ExportFormat": fields.pop("CdrFormat"),
            "FieldSeparator": fields.pop("FieldSeparator"),
            "ExportID": export_id or old_id,
            "ExportPath": export_dir or old_dir,
            "ExportFileName": fields.pop("ExportFileName"),
        }
        v1_args = msgspec.convert(
            {**fields, "ExportArgs": {k: v for k, v in overrides.items() if v}},
            ArgExportCDRs,
        )
        got = await self.v1.export_cdrs(v1_args, ctx)
        return ExportedFileCdrs(
            ExportedFilePath=got.ExportedPath,
            TotalRecords=got.TotalRecords,
            TotalCost=got.TotalCost,
            FirstOrderId=got.FirstOrderID,
            LastOrderId=got.LastOrderID,
            ExportedCgrIds=got.ExportedCGRIDs,
            UnexportedCgrIds=got.UnexportedCGRIDs,
        )
