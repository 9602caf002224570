"""Export field templates (the ``fields`` of a ``cdre`` profile) and how one CDR becomes a
record of them, as v0.10's ``CDR.AsExportRecord`` / ``AsExportMap`` / ``formatField`` do.

A field's path says where it goes: ``*exp.<name>`` the CDR's record, ``*hdr.<name>`` the
file's header, ``*trl.<name>`` its trailer. Types: ``*composed``/``*variable`` (the value's
rules read from the CDR and joined), ``*constant``, ``*filler`` (a constant padded right),
``*datetime`` (the value parsed as a time and written with ``layout``), ``*combimed`` (the
value read from every exported CDR of the same CGRID that passes the field's filters) and,
in headers/trailers, ``*handler`` (export statistics, see ``exporter.py``). Then
``FmtFieldWidth``: ``width`` with ``strip`` (``*right|*xright|*left|*xleft``) and
``padding`` (``*right|*left|*zeroleft``); ``mandatory`` refuses an empty value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tollgate.core.durations import format_duration
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.filters import DataProvider, RSRParsers, parse_rsr_list
from tollgate.filters.golayout import format_go_layout

if TYPE_CHECKING:
    from tollgate.cdrs.models import CDR

__all__ = [
    "RFC3339",
    "FieldTemplate",
    "cdr_data",
    "cdr_provider",
    "fmt_field_width",
    "format_cost",
    "go_number",
    "parse_fields",
]

RFC3339: Final = "2006-01-02T15:04:05Z07:00"
EXP: Final = "*exp."
HDR: Final = "*hdr."
TRL: Final = "*trl."

COMPOSED: Final = "*composed"
VARIABLE: Final = "*variable"
CONSTANT: Final = "*constant"
FILLER: Final = "*filler"
DATETIME: Final = "*datetime"
COMBIMED: Final = "*combimed"
HANDLER: Final = "*handler"

_EXP_TYPES: Final = frozenset({COMPOSED, VARIABLE, CONSTANT, FILLER, DATETIME, COMBIMED})
_HDR_TYPES: Final = frozenset({CONSTANT, FILLER, HANDLER})
_STRIPS: Final = frozenset({"", "*right", "*xright", "*left", "*xleft"})
_PADDINGS: Final = frozenset({"", "*right", "*left", "*zeroleft"})


@dataclass(frozen=True, slots=True)
class FieldTemplate:
    """One export field (``config.FCTemplate``), compiled."""

    tag: str
    path: str
    type: str
    value: RSRParsers
    filters: tuple[str, ...] = ()
    width: int = 0
    strip: str = ""
    padding: str = ""
    mandatory: bool = False
    layout: str = RFC3339
    timezone: str = ""
    rounding_decimals: int | None = None
    cost_shift_digits: int = 0
    handler_id: str = ""

    @property
    def name(self) -> str:
        """The path without its ``*exp.``/``*hdr.``/``*trl.`` prefix."""
        for prefix in (EXP, HDR, TRL):
            if self.path.startswith(prefix):
                return self.path[len(prefix) :]
        return self.path


def _int(raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TollgateError(f"invalid {key}: {value!r}")
    try:
        return int(value)
    except ValueError:
        raise TollgateError(f"invalid {key}: {value!r}") from None


def parse_fields(raw_fields: Sequence[Mapping[str, Any]]) -> list[FieldTemplate]:
    """The ``fields`` of a profile compiled; TollgateError names the bad one."""
    out = []
    for raw in raw_fields:
        path = str(raw.get("path") or "")
        tag = str(raw.get("tag") or path)
        ftype = str(raw.get("type") or "")
        if path.startswith(EXP):
            allowed = _EXP_TYPES
        elif path.startswith((HDR, TRL)):
            allowed = _HDR_TYPES
        else:
            raise TollgateError(f"unsupported path <{path}> for export field <{tag}>")
        if ftype not in allowed:
            raise TollgateError(f"Unsupported field type: {ftype}")
        strip = str(raw.get("strip") or "")
        padding = str(raw.get("padding") or "")
        if strip not in _STRIPS:
            raise TollgateError(f"unsupported strip <{strip}> for export field <{tag}>")
        if padding not in _PADDINGS:
            raise TollgateError(f"unsupported padding <{padding}> for export field <{tag}>")
        value = str(raw.get("value") or "")
        rounding = raw.get("rounding_decimals")
        out.append(
            FieldTemplate(
                tag=tag,
                path=path,
                type=ftype,
                value=parse_rsr_list(value),
                filters=tuple(str(f) for f in raw.get("filters") or ()),
                width=_int(raw, "width", 0),
                strip=strip,
                padding=padding,
                mandatory=bool(raw.get("mandatory", False)),
                layout=str(raw.get("layout") or RFC3339),
                timezone=str(raw.get("timezone") or ""),
                rounding_decimals=None if rounding is None else _int(raw, "rounding_decimals", 0),
                cost_shift_digits=_int(raw, "cost_shift_digits", 0),
                handler_id=str(raw.get("handler_id") or ""),
            )
        )
    return out


# -- formatting ------------------------------------------------------------------------------


def fmt_field_width(
    tag: str, value: str, width: int, strip: str, padding: str, *, mandatory: bool = False
) -> str:
    """``utils.FmtFieldWidth``."""
    if mandatory and not value:
        raise TollgateError(f"Empty source value for fieldID: <{tag}>")
    if width == 0 or len(value) == width:
        return value
    if len(value) > width:
        if strip == "*right":
            return value[:width]
        if strip == "*xright":
            return value[: width - 1] + "x"
        if strip == "*left":
            return value[len(value) - width :]
        if strip == "*xleft":
            return "x" + value[len(value) - width + 1 :]
        raise TollgateError(
            f"Source {value} is bigger than the width {width}, no strip defied, fieldID: <{tag}>"
        )
    if padding == "*right":
        return value.ljust(width)
    if padding == "*left":
        return value.rjust(width)
    if padding == "*zeroleft":
        return value.rjust(width, "0")
    raise TollgateError(
        f"Source {value} is smaller than the width {width}, no padding defined, fieldID: <{tag}>"
    )


def go_number(value: Decimal) -> str:
    """A float64 as ``strconv.FormatFloat(f, 'f', -1, 64)`` writes it."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def format_cost(cost: Decimal, shift_digits: int, rounding_decimals: int) -> str:
    """``CDR.FormatCost``: shifted, then written with exactly ``rounding_decimals``
    decimals (rounded as Go rounds the float64: its exact binary value, half to even)."""
    if shift_digits:
        cost = cost.scaleb(shift_digits)
    exact = Decimal(float(cost))
    if rounding_decimals <= 0:
        return str(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)))
    quantum = Decimal(1).scaleb(-rounding_decimals)
    return format(exact.quantize(quantum, rounding=ROUND_HALF_EVEN), "f")


def _time_text(t: GoTime) -> str:
    return format_go_layout(t, RFC3339)


def cdr_data(cdr: CDR) -> dict[str, Any]:
    """``CDR.AsMapStringIface`` with each value as ``IfaceAsString`` writes it (times RFC
    3339, Usage a Go duration, Cost as the float prints, bools ``true``/``false``)."""
    data: dict[str, Any] = dict(cdr.extra_fields)
    data.update(
        {
            "CGRID": cdr.cgrid,
            "RunID": cdr.run_id,
            "OrderID": str(cdr.order_id),
            "OriginHost": cdr.origin_host,
            "Source": cdr.source,
            "OriginID": cdr.origin_id,
            "ToR": cdr.tor,
            "RequestType": cdr.request_type,
            "Tenant": cdr.tenant,
            "Category": cdr.category,
            "Account": cdr.account,
            "Subject": cdr.subject,
            "Destination": cdr.destination,
            "SetupTime": _time_text(cdr.setup_time),
            "AnswerTime": _time_text(cdr.answer_time),
            "Usage": format_duration(cdr.usage),
            "ExtraInfo": cdr.extra_info,
            "Partial": "true" if cdr.partial else "false",
            "PreRated": "true" if cdr.pre_rated else "false",
            "CostSource": cdr.cost_source,
            "Cost": go_number(cdr.cost),
        }
    )
    return data


def cdr_provider(cdr: CDR) -> DataProvider:
    """``*req`` the CDR, ``*ec`` its CostDetails (the EventCost as its JSON has it)."""
    ec: dict[str, Any] = {}
    if cdr.cost_details is not None:
        built = msgspec.to_builtins(cdr.cost_details, builtin_types=(Decimal,))
        ec = built if isinstance(built, dict) else {}
    return DataProvider(cdr_data(cdr), maps={"*ec": ec})


def _read(parsers: RSRParsers, dp: DataProvider) -> str:
    """The rules joined; a missing field reads as NOT_FOUND (the caller decides)."""
    return "".join(parser.parse(dp) for parser in parsers)


def field_value(fld: FieldTemplate, cdr: CDR, dp: DataProvider, general_decimals: int) -> str:
    """``exportFieldValue``: Cost, SetupTime and AnswerTime paths are formatted from the
    CDR itself (cost rounding/shift, the field's layout); everything else reads its rules."""
    name = fld.path
    if name == EXP + "Cost":
        decimals = general_decimals if fld.rounding_decimals is None else fld.rounding_decimals
        return "".join(
            format_cost(cdr.cost, fld.cost_shift_digits, decimals) for _ in fld.value or ("",)
        )
    if name in (EXP + "SetupTime", EXP + "AnswerTime"):
        t = cdr.setup_time if name.endswith("SetupTime") else cdr.answer_time
        return "".join(format_go_layout(t, fld.layout) for _ in fld.value or ("",))
    return _read(fld.value, dp)


def parse_datetime(raw: str, fld: FieldTemplate) -> str:
    try:
        when = parse_time_detect_layout(raw, fld.timezone)
    except ValueError as exc:
        raise TollgateError(str(exc)) from None
    return format_go_layout(when, fld.layout)


def is_not_found(exc: Exception) -> bool:
    return isinstance(exc, NotFoundError)
