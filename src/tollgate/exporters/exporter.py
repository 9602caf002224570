"""One export run over a list of CDRs (v0.10's ``engine.CDRExporter``).

Each CDR with a CGRID that passes the profile's filters is exported: for ``*file_csv`` and
``*file_fwv`` its record becomes a row (written after all of them, header first and
trailer last, both composed after the rows so their ``*handler`` fields see the totals);
for the HTTP, AMQP, SQS and S3 formats it is posted (``*http_post`` its fields
form-encoded, ``*http_json_map``/``*amqp_json_map``/``*sqs_json_map``/``*s3_json_map`` its
fields as a JSON object,
``*http_json_cdr``/``*amqp_json_cdr`` the whole CDR as JSON).
Exported CDRs count into the statistics: first/last AnswerTime, number of records, usage
per ToR, total cost (rounded to ``general.rounding_decimals`` as it adds up), first/last
OrderID; a CDR that fails is kept with its error by CGRID.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final, Protocol

from tollgate.cdrs.models import CDR
from tollgate.core.durations import format_duration
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import ZERO_NS, GoTime
from tollgate.core.wire import encode
from tollgate.exporters.fields import (
    COMBIMED,
    CONSTANT,
    DATETIME,
    EXP,
    FILLER,
    HANDLER,
    HDR,
    TRL,
    FieldTemplate,
    cdr_data,
    cdr_provider,
    field_value,
    fmt_field_width,
    go_number,
    parse_datetime,
)
from tollgate.filters import DataProvider
from tollgate.filters.golayout import format_go_layout

__all__ = [
    "FILE_FORMATS",
    "POST_FORMATS",
    "CDRExporter",
    "ExportSettings",
    "Poster",
    "export_record",
]

logger = logging.getLogger(__name__)

FILE_CSV: Final = "*file_csv"
FILE_FWV: Final = "*file_fwv"
HTTP_POST: Final = "*http_post"
HTTP_JSON_CDR: Final = "*http_json_cdr"
HTTP_JSON_MAP: Final = "*http_json_map"
AMQP_JSON_CDR: Final = "*amqp_json_cdr"
AMQP_JSON_MAP: Final = "*amqp_json_map"
SQS_JSON_MAP: Final = "*sqs_json_map"
S3_JSON_MAP: Final = "*s3_json_map"
MAP_FORMATS: Final = frozenset({HTTP_JSON_MAP, AMQP_JSON_MAP, SQS_JSON_MAP, S3_JSON_MAP})
FILE_FORMATS: Final = frozenset({FILE_CSV, FILE_FWV})
POST_FORMATS: Final = frozenset({HTTP_POST, HTTP_JSON_CDR, AMQP_JSON_CDR} | MAP_FORMATS)
# formats v0.10 knows but Tollgate does not post to yet (see docs/exports.md)
QUEUE_FORMATS: Final = frozenset({"*amqpv1_json_map", "*kafka_json_map"})
CONTENT_TYPES: Final = {
    HTTP_POST: "application/x-www-form-urlencoded",
    HTTP_JSON_CDR: "application/json",
    HTTP_JSON_MAP: "application/json",
    AMQP_JSON_CDR: "application/json",
    AMQP_JSON_MAP: "application/json",
    SQS_JSON_MAP: "application/json",
    S3_JSON_MAP: "application/json",
}
_ZERO = Decimal(0)


class Poster(Protocol):
    """Posts a body; after ``attempts`` failures keeps it in ``failed_dir`` (unless None or
    ``*none``) or raises TollgateError."""

    async def __call__(
        self, url: str, body: bytes, *, content_type: str, attempts: int,
        failed_dir: str | None, transport: str, key: str = "",
    ) -> None: ...  # fmt: skip


PassFilters = Callable[[str, Sequence[str], DataProvider], Awaitable[bool]]
# the CDR as AttributeS altered it for the run's ``attributes_context``
AlterCDR = Callable[[CDR, "ExportSettings"], Awaitable[CDR]]


@dataclass(slots=True)
class ExportSettings:
    """What one run uses: the profile's settings with the API call's overrides."""

    export_format: str
    export_path: str
    fields: list[FieldTemplate]
    export_id: str
    filters: tuple[str, ...] = ()
    tenant: str = ""
    synchronous: bool = False
    attempts: int = 1
    field_separator: str = ","
    failed_dir: str | None = None
    usage_multiply_factor: dict[str, Decimal] = field(default_factory=dict)
    cost_multiply_factor: Decimal = Decimal(0)
    rounding_decimals: int = 5  # the cost of each CDR after multiplying, and the totals
    default_tenant: str = "cgrates.org"
    attributes_context: str = ""  # each CDR through AttributeS first (empty: not)
    attributes_conns: tuple[str, ...] = ()


async def export_record(
    cdr: CDR,
    fields: Sequence[FieldTemplate],
    group: Sequence[CDR],
    pass_filters: PassFilters,
    decimals: int,
) -> list[tuple[str, str]]:
    """``AsExportRecord``/``AsExportMap``: (name, formatted value) of each ``*exp`` field
    whose filters the CDR passes. A missing value is empty unless the field is mandatory."""
    dp = cdr_provider(cdr)
    out: list[tuple[str, str]] = []
    for fld in fields:
        if not fld.path.startswith(EXP):
            continue
        if fld.filters and not await pass_filters(cdr.tenant, fld.filters, dp):
            continue
        padding = fld.padding
        value = ""
        try:
            if fld.type == FILLER:
                value = fld.value.parse_value("")
                padding = "*right"
            elif fld.type == CONSTANT:
                value = fld.value.parse_value("")
            elif fld.type == DATETIME:
                value = parse_datetime(field_value(fld, cdr, dp, decimals), fld)
            elif fld.type == COMBIMED:
                value = await _combimed(cdr, fld, group, pass_filters)
            else:  # *composed, *variable
                value = field_value(fld, cdr, dp, decimals)
        except NotFoundError:
            if fld.mandatory:
                raise
            value = ""
        out.append(
            (
                fld.name,
                fmt_field_width(
                    fld.tag, value, fld.width, fld.strip, padding, mandatory=fld.mandatory
                ),
            )
        )
    return out


async def _combimed(
    cdr: CDR, fld: FieldTemplate, group: Sequence[CDR], pass_filters: PassFilters
) -> str:
    """``combimedCdrFieldVal``: the rules read from each CDR of the same CGRID passing
    the field's filters, joined."""
    out = ""
    for other in group:
        if other.cgrid != cdr.cgrid:
            continue
        dp = DataProvider(cdr_data(other))
        if fld.filters and not await pass_filters(other.tenant, fld.filters, dp):
            continue
        out += "".join(parser.parse(dp) for parser in fld.value)
    return out


def _csv_line(fields: Sequence[str], sep: str) -> str:
    """One line as Go's ``csv.Writer`` writes it (quotes only where needed)."""
    out = []
    for value in fields:
        needs = value != "" and (
            value == "\\." or any(c in value for c in (sep, '"', "\r", "\n")) or value[0].isspace()
        )
        out.append('"' + value.replace('"', '""') + '"' if needs else value)
    return sep.join(out) + "\n"


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _sha1_prefix() -> str:
    return hashlib.sha1(uuid.uuid4().bytes, usedforsecurity=False).hexdigest()[:7]


@dataclass
class CDRExporter:
    """Exports ``cdrs`` as ``settings`` say; :meth:`run` then the statistics."""

    cdrs: list[CDR]
    settings: ExportSettings
    pass_filters: PassFilters
    poster: Poster
    spawn: Callable[[Any], None] | None = None
    alter: AlterCDR | None = None
    header: list[str] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)
    content: list[list[str]] = field(default_factory=list)
    first_atime: GoTime | None = None
    last_atime: GoTime | None = None
    number_of_records: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    total_cost: Decimal = _ZERO
    first_order_id: int = 0
    last_order_id: int = 0
    positive: list[str] = field(default_factory=list)
    negative: dict[str, str] = field(default_factory=dict)
    written_path: str = ""

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Export every CDR, compose header and trailer, write the file (file formats)."""
        s = self.settings
        waited: list[Awaitable[None]] = []
        for cdr in self.cdrs:
            if not cdr.cgrid:
                continue
            if s.filters:
                try:
                    if not await self.pass_filters(
                        s.tenant or s.default_tenant, s.filters, cdr_provider(cdr)
                    ):
                        continue
                except TollgateError:
                    continue
            job = self._one(cdr)
            if s.synchronous or s.export_format in FILE_FORMATS or self.spawn is None:
                waited.append(job)
            else:
                self.spawn(job)
        await asyncio.gather(*waited)
        self.header = self._compose(HDR)
        self.trailer = self._compose(TRL)
        if s.export_format in FILE_FORMATS and self.content:
            await asyncio.to_thread(self._write_file)

    async def _one(self, cdr: CDR) -> None:
        try:
            if self.alter is not None and self.settings.attributes_context:
                cdr = await self.alter(cdr, self.settings)
            cdr = self._multiplied(cdr)
            await self._process(cdr)
        except TollgateError as exc:
            logger.error(
                "<CDRE> Cannot export CDR with CGRID: %s and runid: %s, error: %s",
                cdr.cgrid, cdr.run_id, exc,
            )  # fmt: skip
            self.negative[cdr.cgrid] = str(exc)
            return
        self.positive.append(cdr.cgrid)
        self._count(cdr)

    def _multiplied(self, cdr: CDR) -> CDR:
        """The older ``UsageMultiply``/``CostMultiply`` (API args ``UsageMultiplyFactor``
        by ToR and ``CostMultiplyFactor``; 0 or 1 leave the CDR as it is)."""
        s = self.settings
        factor = s.usage_multiply_factor.get(cdr.tor) or s.usage_multiply_factor.get("*any")
        if factor and factor != 1:
            cdr = replace(cdr, usage=int(Decimal(cdr.usage) * factor))
        if s.cost_multiply_factor and s.cost_multiply_factor != 1 and cdr.cost != -1:
            cdr = replace(cdr, cost=_round(cdr.cost * s.cost_multiply_factor, s.rounding_decimals))
        return cdr

    async def _process(self, cdr: CDR) -> None:
        s = self.settings
        if s.export_format in FILE_FORMATS:
            record = await export_record(
                cdr, s.fields, self.cdrs, self.pass_filters, s.rounding_decimals
            )
            if record:
                self.content.append([value for _, value in record])
            return
        if s.export_format in (HTTP_JSON_CDR, AMQP_JSON_CDR):
            body = encode(cdr.to_reply())
        else:
            record = await export_record(
                cdr, s.fields, self.cdrs, self.pass_filters, s.rounding_decimals
            )
            if s.export_format == HTTP_POST:
                body = urllib.parse.urlencode(dict(record)).encode()
            elif s.export_format in MAP_FORMATS:
                body = encode(dict(record))
            else:
                raise TollgateError(f"unsupported exportFormat: <{s.export_format}>")
        await self.poster(
            s.export_path,
            body,
            content_type=CONTENT_TYPES[s.export_format],
            attempts=max(s.attempts, 1),
            failed_dir=s.failed_dir,
            transport=s.export_format,
            key=f"{cdr.cgrid}:{cdr.run_id}",  # the S3 object's name
        )

    def _count(self, cdr: CDR) -> None:
        at = cdr.answer_time
        if self.first_atime is None or self.first_atime.is_zero or at.ns < self.first_atime.ns:
            self.first_atime = at
        if self.last_atime is None or at.ns > self.last_atime.ns:
            self.last_atime = at
        self.number_of_records += 1
        self.usage[cdr.tor] = self.usage.get(cdr.tor, 0) + cdr.usage
        if cdr.cost != -1:
            self.total_cost = _round(self.total_cost + cdr.cost, self.settings.rounding_decimals)
        if self.first_order_id == 0 or cdr.order_id < self.first_order_id:
            self.first_order_id = cdr.order_id
        self.last_order_id = max(self.last_order_id, cdr.order_id)

    # -- header and trailer ----------------------------------------------------------------

    def _compose(self, prefix: str) -> list[str]:
        out = []
        for fld in self.settings.fields:
            if not fld.path.startswith(prefix):
                continue
            padding = fld.padding
            if fld.type == FILLER:
                value, padding = fld.value.parse_value(""), "*right"
            elif fld.type == CONSTANT:
                value = fld.value.parse_value("")
            elif fld.type == HANDLER:
                value = self.handler(fld.handler_id or fld.value.parse_value(""), fld.layout)
            else:
                raise TollgateError(f"Unsupported field type: {fld.type}")
            out.append(
                fmt_field_width(
                    fld.tag, value, fld.width, fld.strip, padding, mandatory=fld.mandatory
                )
            )
        return out

    def handler(self, tag: str, layout: str) -> str:
        """``metaHandler``: the export's statistics for header/trailer ``*handler`` fields."""
        zero = GoTime(ZERO_NS)
        if tag == "*export_id":
            return self.settings.export_id
        if tag == "*time_now":
            return format_go_layout(GoTime.from_datetime(dt.datetime.now().astimezone()), layout)
        if tag == "*first_cdr_atime":
            return format_go_layout(self.first_atime or zero, layout)
        if tag == "*last_cdr_atime":
            return format_go_layout(self.last_atime or zero, layout)
        if tag in ("*cdrs_number", "*number_of_records"):
            return str(self.number_of_records)
        if tag in ("*cdrs_duration", "*total_usage"):
            return format_duration(self.usage.get("*voice", 0))
        by_tor = {"*sms_usage": "*sms", "*mms_usage": "*mms", "*generic_usage": "*generic",
                  "*data_usage": "*data"}  # fmt: skip
        if tag in by_tor:
            return str(self.usage.get(by_tor[tag], 0))
        if tag in ("*cdrs_cost", "*total_cost"):
            return go_number(self.total_cost)
        raise TollgateError(f"Unsupported METATAG: {tag}")

    # -- the file --------------------------------------------------------------------------

    def _write_file(self) -> None:
        s = self.settings
        path = s.export_path
        if not os.path.splitext(path)[1]:  # a folder: a file named after a short id
            ext = "fwv" if s.export_format == FILE_FWV else "csv"
            path = os.path.join(path, f"cdre_{_sha1_prefix()}.{ext}")
        lines: list[str] = []
        rows = ([self.header] if self.header else []) + self.content
        rows += [self.trailer] if self.trailer else []
        for row in rows:
            if s.export_format == FILE_CSV:
                lines.append(_csv_line(row, s.field_separator))
            else:
                lines.append("".join(row) + "\n")
        target = Path(path)
        try:
            target.write_text("".join(lines), encoding="utf-8")
        except OSError as exc:
            raise TollgateError(f"open {path}: {exc.strerror or exc}") from None
        self.written_path = path
