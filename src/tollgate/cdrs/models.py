"""The CDR (``engine.CDR``).

A :class:`CDR` holds typed values (times as :class:`~tollgate.core.times.GoTime`, usage in
ns, cost as Decimal, CostDetails as an :class:`EventCost`); it comes from an event
(``MapEvent.AsCDR``), a ProcessCDR argument, an ExternalCDR or a StorDB row, and goes out as
an event (``AsMapStringIface``), the ``engine.CDR`` reply of CDRsV1.GetCDRs, the
``ExternalCDR`` of APIerSv1/2.GetCDRs, or a StorDB row.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final

from tollgate.cdrs.args import CDRArgs, CDRReply, ExternalCDR
from tollgate.cdrs.eventcost import EventCost, dump, parse_event_cost
from tollgate.core.durations import format_duration, parse_duration
from tollgate.core.errors import TollgateError
from tollgate.core.times import (
    ZERO_NS,
    GoTime,
    format_rfc3339,
    parse_rfc3339,
    parse_time_detect_layout,
)
from tollgate.filters import as_decimal, as_duration, as_string
from tollgate.rating import money
from tollgate.storage.stordb import CDRRecord

__all__ = [
    "CDR",
    "MAIN_CDR_FIELDS",
    "CDRDefaults",
    "cgrid_of",
]

logger = logging.getLogger(__name__)

CGRID: Final = "CGRID"
RUN_ID: Final = "RunID"
ORDER_ID: Final = "OrderID"
ORIGIN_HOST: Final = "OriginHost"
SOURCE: Final = "Source"
ORIGIN_ID: Final = "OriginID"
TOR: Final = "ToR"
REQUEST_TYPE: Final = "RequestType"
TENANT: Final = "Tenant"
CATEGORY: Final = "Category"
ACCOUNT: Final = "Account"
SUBJECT: Final = "Subject"
DESTINATION: Final = "Destination"
SETUP_TIME: Final = "SetupTime"
ANSWER_TIME: Final = "AnswerTime"
USAGE: Final = "Usage"
EXTRA_INFO: Final = "ExtraInfo"
PARTIAL: Final = "Partial"
PRE_RATED: Final = "PreRated"
COST_SOURCE: Final = "CostSource"
COST: Final = "Cost"
COST_DETAILS: Final = "CostDetails"
META_DEFAULT: Final = "*default"
META_VOICE: Final = "*voice"

# ``utils.MainCDRFields``: everything else in an event is an extra field
MAIN_CDR_FIELDS: Final = frozenset(
    {
        CGRID,
        SOURCE,
        ORIGIN_HOST,
        ORIGIN_ID,
        TOR,
        REQUEST_TYPE,
        TENANT,
        CATEGORY,
        ACCOUNT,
        SUBJECT,
        DESTINATION,
        SETUP_TIME,
        ANSWER_TIME,
        USAGE,
        COST,
        "rated",
        PARTIAL,
        RUN_ID,
        PRE_RATED,
        COST_SOURCE,
        COST_DETAILS,
        EXTRA_INFO,
        ORDER_ID,
    }
)


def cgrid_of(origin_id: str, origin_host: str) -> str:
    """``utils.Sha1(OriginID, OriginHost)``."""
    return hashlib.sha1((origin_id + origin_host).encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class CDRDefaults:
    """What ``CDR.AddDefaults`` fills in (from the ``general`` section)."""

    request_type: str = "*rated"
    tenant: str = "cgrates.org"
    category: str = "call"
    timezone: str = ""


_ZERO_TIME = GoTime(ZERO_NS)


def _as_time(value: Any, timezone: str) -> GoTime:
    """``IfaceAsTime``: strings in any ParseTimeDetectLayout form; numbers are refused."""
    if isinstance(value, GoTime):
        return value
    if isinstance(value, str):
        try:
            return parse_time_detect_layout(value, timezone)
        except ValueError as exc:
            raise TollgateError(str(exc)) from None
    raise TollgateError(f"cannot convert field: {as_string(value)} to time.Time")


def _as_bool(value: Any) -> bool:
    """``IfaceAsBool``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in ("1", "t", "T", "true", "TRUE", "True"):
            return True
        if text in ("0", "f", "F", "false", "FALSE", "False"):
            return False
        raise TollgateError(f'strconv.ParseBool: parsing "{value}": invalid syntax')
    if isinstance(value, int | Decimal | float):
        return value != 0
    raise TollgateError(f"cannot convert field: {as_string(value)} to bool")


def _as_int(value: Any) -> int:
    """``IfaceAsTInt64``."""
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {as_string(value)} to int")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise TollgateError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None
    raise TollgateError(f"cannot convert field: {as_string(value)} to int")


def _time_text(t: GoTime) -> str:
    return format_rfc3339(t.ns, t.tz)


@dataclass(slots=True)
class CDR:
    """``engine.CDR``."""

    cgrid: str = ""
    run_id: str = ""
    order_id: int = 0
    origin_host: str = ""
    source: str = ""
    origin_id: str = ""
    tor: str = ""
    request_type: str = ""
    tenant: str = ""
    category: str = ""
    account: str = ""
    subject: str = ""
    destination: str = ""
    setup_time: GoTime = _ZERO_TIME
    answer_time: GoTime = _ZERO_TIME
    usage: int = 0
    extra_fields: dict[str, str] = field(default_factory=dict)
    extra_info: str = ""
    partial: bool = False
    pre_rated: bool = False
    cost_source: str = ""
    cost: Decimal = Decimal(-1)
    cost_details: EventCost | None = None

    def compute_cgrid(self) -> None:
        self.cgrid = cgrid_of(self.origin_id, self.origin_host)

    def add_defaults(self, defaults: CDRDefaults) -> None:
        """``CDR.AddDefaults``."""
        if not self.cgrid:
            self.compute_cgrid()
        self.run_id = self.run_id or META_DEFAULT
        self.tor = self.tor or META_VOICE
        self.request_type = self.request_type or defaults.request_type
        self.tenant = self.tenant or defaults.tenant
        self.category = self.category or defaults.category
        self.subject = self.subject or self.account

    def clone(self) -> CDR:
        details = self.cost_details
        return replace(
            self,
            extra_fields=dict(self.extra_fields),
            cost_details=None if details is None else parse_event_cost(dump(details)),
        )

    # -- in -------------------------------------------------------------------------------

    @classmethod
    def from_event(cls, event: dict[str, Any], tenant: str, defaults: CDRDefaults | None) -> CDR:
        """``MapEvent.AsCDR``: main fields typed, the rest as extra fields (strings);
        TollgateError for a main field of the wrong type."""
        tz = defaults.timezone if defaults is not None else ""
        cdr = cls(tenant=tenant)
        for key, value in event.items():
            if key not in MAIN_CDR_FIELDS:
                cdr.extra_fields[key] = as_string(value)
                continue
            if key == CGRID:
                cdr.cgrid = as_string(value)
            elif key == RUN_ID:
                cdr.run_id = as_string(value)
            elif key == ORIGIN_HOST:
                cdr.origin_host = as_string(value)
            elif key == SOURCE:
                cdr.source = as_string(value)
            elif key == ORIGIN_ID:
                cdr.origin_id = as_string(value)
            elif key == TOR:
                cdr.tor = as_string(value)
            elif key == REQUEST_TYPE:
                cdr.request_type = as_string(value)
            elif key == TENANT:
                cdr.tenant = as_string(value)
            elif key == CATEGORY:
                cdr.category = as_string(value)
            elif key == ACCOUNT:
                cdr.account = as_string(value)
            elif key == SUBJECT:
                cdr.subject = as_string(value)
            elif key == DESTINATION:
                cdr.destination = as_string(value)
            elif key == SETUP_TIME:
                cdr.setup_time = _as_time(value, tz)
            elif key == ANSWER_TIME:
                cdr.answer_time = _as_time(value, tz)
            elif key == USAGE:
                cdr.usage = int(as_duration(value))
            elif key == PARTIAL:
                cdr.partial = _as_bool(value)
            elif key == PRE_RATED:
                cdr.pre_rated = _as_bool(value)
            elif key == COST_SOURCE:
                cdr.cost_source = as_string(value)
            elif key == COST:
                cdr.cost = as_decimal(value)
            elif key == COST_DETAILS:
                cdr.cost_details = parse_event_cost(value)
            elif key == EXTRA_INFO:
                cdr.extra_info = as_string(value)
            elif key == ORDER_ID:
                cdr.order_id = _as_int(value)
            # "rated" is a main field v0.10 reads nowhere: neither kept nor extra
        if defaults is not None:
            cdr.add_defaults(defaults)
        return cdr

    @classmethod
    def from_args(cls, args: CDRArgs) -> CDR:
        """The ProcessCDR argument (``engine.CDR`` as JSON: RFC 3339 times, ns usage)."""
        return cls(
            cgrid=args.CGRID,
            run_id=args.RunID,
            order_id=args.OrderID,
            origin_host=args.OriginHost,
            source=args.Source,
            origin_id=args.OriginID,
            tor=args.ToR,
            request_type=args.RequestType,
            tenant=args.Tenant,
            category=args.Category,
            account=args.Account,
            subject=args.Subject,
            destination=args.Destination,
            setup_time=_rfc3339_field("SetupTime", args.SetupTime),
            answer_time=_rfc3339_field("AnswerTime", args.AnswerTime),
            usage=args.Usage,
            extra_fields=dict(args.ExtraFields or {}),
            extra_info=args.ExtraInfo,
            partial=args.Partial,
            pre_rated=args.PreRated,
            cost_source=args.CostSource,
            cost=args.Cost,
            cost_details=parse_event_cost(args.CostDetails),
        )

    @classmethod
    def from_external(cls, ext: ExternalCDR, timezone: str) -> CDR:
        """``NewCDRFromExternalCDR``: times in any layout, Usage a duration string."""
        cdr = cls(
            cgrid=ext.CGRID,
            run_id=ext.RunID,
            order_id=ext.OrderID,
            tor=ext.ToR,
            origin_id=ext.OriginID,
            origin_host=ext.OriginHost,
            source=ext.Source,
            request_type=ext.RequestType,
            tenant=ext.Tenant,
            category=ext.Category,
            account=ext.Account,
            subject=ext.Subject,
            destination=ext.Destination,
            cost_source=ext.CostSource,
            cost=ext.Cost,
            pre_rated=ext.PreRated,
            extra_fields=dict(ext.ExtraFields or {}),
        )
        try:
            if ext.SetupTime:
                cdr.setup_time = parse_time_detect_layout(ext.SetupTime, timezone)
            if not cdr.cgrid:
                cdr.compute_cgrid()
            if ext.AnswerTime:
                cdr.answer_time = parse_time_detect_layout(ext.AnswerTime, timezone)
            if ext.Usage:
                cdr.usage = parse_duration(ext.Usage)
        except ValueError as exc:
            raise TollgateError(str(exc)) from None
        if ext.CostDetails:
            cdr.cost_details = parse_event_cost(ext.CostDetails)
        return cdr

    @classmethod
    def from_record(cls, rec: CDRRecord) -> CDR:
        """A StorDB row (times in UTC; Partial and PreRated are not stored, as in v0.10)."""
        return cls(
            cgrid=rec.cgrid,
            run_id=rec.run_id,
            order_id=rec.order_id,
            origin_host=rec.origin_host,
            source=rec.source,
            origin_id=rec.origin_id,
            tor=rec.tor,
            request_type=rec.request_type,
            tenant=rec.tenant,
            category=rec.category,
            account=rec.account,
            subject=rec.subject,
            destination=rec.destination,
            setup_time=GoTime(rec.setup_time),
            answer_time=GoTime(rec.answer_time),
            usage=rec.usage,
            extra_fields=dict(rec.extra_fields),
            extra_info=rec.extra_info,
            cost_source=rec.cost_source,
            cost=money(rec.cost),
            cost_details=parse_event_cost(rec.cost_details),
        )

    # -- out ------------------------------------------------------------------------------

    def as_event(self) -> dict[str, Any]:
        """``AsMapStringIface`` as it travels in a CGREvent (times RFC 3339, usage ns)."""
        event: dict[str, Any] = dict(self.extra_fields)
        event.update(
            {
                CGRID: self.cgrid,
                RUN_ID: self.run_id,
                ORDER_ID: self.order_id,
                ORIGIN_HOST: self.origin_host,
                SOURCE: self.source,
                ORIGIN_ID: self.origin_id,
                TOR: self.tor,
                REQUEST_TYPE: self.request_type,
                TENANT: self.tenant,
                CATEGORY: self.category,
                ACCOUNT: self.account,
                SUBJECT: self.subject,
                DESTINATION: self.destination,
                SETUP_TIME: _time_text(self.setup_time),
                ANSWER_TIME: _time_text(self.answer_time),
                USAGE: self.usage,
                EXTRA_INFO: self.extra_info,
                PARTIAL: self.partial,
                PRE_RATED: self.pre_rated,
                COST_SOURCE: self.cost_source,
                COST: money(self.cost),
            }
        )
        if self.cost_details is not None:
            event[COST_DETAILS] = self.cost_details
        return event

    def to_reply(self) -> CDRReply:
        """The ``engine.CDR`` JSON of CDRsV1.GetCDRs."""
        return CDRReply(
            CGRID=self.cgrid,
            RunID=self.run_id,
            OrderID=self.order_id,
            OriginHost=self.origin_host,
            Source=self.source,
            OriginID=self.origin_id,
            ToR=self.tor,
            RequestType=self.request_type,
            Tenant=self.tenant,
            Category=self.category,
            Account=self.account,
            Subject=self.subject,
            Destination=self.destination,
            SetupTime=_time_text(self.setup_time),
            AnswerTime=_time_text(self.answer_time),
            Usage=self.usage,
            ExtraFields=self.extra_fields,
            ExtraInfo=self.extra_info,
            Partial=self.partial,
            PreRated=self.pre_rated,
            CostSource=self.cost_source,
            Cost=money(self.cost),
            CostDetails=self.cost_details,
        )

    def to_external(self) -> ExternalCDR:
        """``AsExternalCDR``: times RFC 3339 in seconds, *voice usage as a Go duration
        (``2m0s``), other usage as an integer, CostDetails as JSON text."""
        usage = format_duration(self.usage) if self.tor == META_VOICE else str(self.usage)
        return ExternalCDR(
            CGRID=self.cgrid,
            RunID=self.run_id,
            OrderID=self.order_id,
            OriginHost=self.origin_host,
            Source=self.source,
            OriginID=self.origin_id,
            ToR=self.tor,
            RequestType=self.request_type,
            Tenant=self.tenant,
            Category=self.category,
            Account=self.account,
            Subject=self.subject,
            Destination=self.destination,
            SetupTime=_seconds_text(self.setup_time),
            AnswerTime=_seconds_text(self.answer_time),
            Usage=usage,
            ExtraFields=self.extra_fields,
            CostSource=self.cost_source,
            Cost=money(self.cost),
            CostDetails=dump(self.cost_details),
            ExtraInfo=self.extra_info,
            PreRated=self.pre_rated,
        )

    def to_record(self) -> CDRRecord:
        return CDRRecord(
            cgrid=self.cgrid,
            run_id=self.run_id,
            origin_host=self.origin_host,
            source=self.source,
            origin_id=self.origin_id,
            tor=self.tor,
            request_type=self.request_type,
            tenant=self.tenant,
            category=self.category,
            account=self.account,
            subject=self.subject,
            destination=self.destination,
            setup_time=self.setup_time.ns,
            answer_time=self.answer_time.ns,
            usage=self.usage,
            extra_fields=dict(self.extra_fields),
            cost_source=self.cost_source,
            cost=self.cost,
            cost_details=dump(self.cost_details),
            extra_info=self.extra_info,
        )


def _seconds_text(t: GoTime) -> str:
    return format_rfc3339(t.ns - t.ns % 1_000_000_000, t.tz)


def _rfc3339_field(name: str, text: str | None) -> GoTime:
    """A ``time.Time`` JSON field: RFC 3339 only (Go's time.Time.UnmarshalJSON)."""
    if not text:
        return _ZERO_TIME
    try:
        return parse_rfc3339(text)
    except ValueError:
        raise TollgateError(
            f'{name}: parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse'
        ) from None
