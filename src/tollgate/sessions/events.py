"""Reading session events as CGRateS's ``engine.MapEvent`` does.

An event is the ``Event`` map of a request: JSON values as decoded (str, int, Decimal,
bool, None, lists, maps). Durations read as ``IfaceAsDuration`` (numbers and unit-less
strings are nanoseconds), times as ``IfaceAsTime`` (strings only, in the default timezone),
strings as ``IfaceAsString``. The CGRID is the lowercase hex SHA-1 of OriginID followed by
OriginHost, unless the event carries one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping
from typing import Any, Final

from tollgate.core.errors import TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.filters import as_duration, as_string

__all__ = [
    "ACCOUNT",
    "ANSWER_TIME",
    "AUTH_REQUEST_TYPES",
    "CATEGORY",
    "CGRID",
    "COST",
    "COST_DETAILS",
    "COST_SOURCE",
    "DEBIT_INTERVAL",
    "DESTINATION",
    "EVENT_NAME",
    "INITIAL_ORIGIN_ID",
    "LAST_USED",
    "MAIN_CDR_FIELDS",
    "META_NONE",
    "META_POSTPAID",
    "META_PREPAID",
    "META_PSEUDOPREPAID",
    "META_RATED",
    "ORIGIN_HOST",
    "ORIGIN_ID",
    "PROTECTED_FIELDS",
    "REQUEST_TYPE",
    "RUN_ID",
    "SETUP_TIME",
    "SOURCE",
    "SUBJECT",
    "TENANT",
    "TOR",
    "UNRATED_REQUEST_TYPES",
    "USAGE",
    "cgrid_of",
    "event_duration",
    "event_duration_or_none",
    "event_string",
    "event_time",
    "extra_fields",
    "get_set_cgrid",
]

ACCOUNT: Final = "Account"
ANSWER_TIME: Final = "AnswerTime"
CATEGORY: Final = "Category"
CGRID: Final = "CGRID"
COST: Final = "Cost"
COST_DETAILS: Final = "CostDetails"
COST_SOURCE: Final = "CostSource"
DEBIT_INTERVAL: Final = "CGRDebitInterval"
DESTINATION: Final = "Destination"
EVENT_NAME: Final = "EventName"
INITIAL_ORIGIN_ID: Final = "InitialOriginID"
LAST_USED: Final = "LastUsed"
ORIGIN_HOST: Final = "OriginHost"
ORIGIN_ID: Final = "OriginID"
REQUEST_TYPE: Final = "RequestType"
RUN_ID: Final = "RunID"
SETUP_TIME: Final = "SetupTime"
SOURCE: Final = "Source"
SUBJECT: Final = "Subject"
TENANT: Final = "Tenant"
TOR: Final = "ToR"
USAGE: Final = "Usage"

META_PREPAID: Final = "*prepaid"
META_PSEUDOPREPAID: Final = "*pseudoprepaid"
META_POSTPAID: Final = "*postpaid"
META_RATED: Final = "*rated"
META_NONE: Final = "*none"

# request types whose max usage is asked from RALs (``authReqs``)
AUTH_REQUEST_TYPES: Final = frozenset({META_PREPAID, META_PSEUDOPREPAID})
# request types SessionS leaves to CDRs' rating (``unratedReqs``)
UNRATED_REQUEST_TYPES: Final = frozenset({META_POSTPAID, META_PSEUDOPREPAID, META_RATED})
# fields an update never overwrites in the session's start event (``utils.ProtectedSFlds``)
PROTECTED_FIELDS: Final = frozenset({CGRID, ORIGIN_HOST, ORIGIN_ID, USAGE})
# ``utils.MainCDRFields``: everything else of a run's event is an extra field
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
        "Partial",
        RUN_ID,
        "PreRated",
        COST_SOURCE,
        COST_DETAILS,
        "ExtraInfo",
        "OrderID",
    }
)


def cgrid_of(origin_id: str, origin_host: str) -> str:
    """``utils.Sha1(OriginID, OriginHost)``."""
    return hashlib.sha1((origin_id + origin_host).encode(), usedforsecurity=False).hexdigest()


def event_string(event: Mapping[str, Any], field: str) -> str:
    """``GetStringIgnoreErrors``: "" when missing."""
    value = event.get(field)
    if value is None:
        return ""
    return value if isinstance(value, str) else as_string(value)


def get_set_cgrid(event: MutableMapping[str, Any]) -> str:
    """``GetSetCGRID``: the event's CGRID, computed and stored when it has none."""
    cgrid = event_string(event, CGRID)
    if not cgrid:
        cgrid = cgrid_of(event_string(event, ORIGIN_ID), event_string(event, ORIGIN_HOST))
        event[CGRID] = cgrid
    return cgrid


def event_duration(event: Mapping[str, Any], field: str) -> int | None:
    """``GetDuration``: None when missing; TollgateError when not a duration."""
    if field not in event:
        return None
    return int(as_duration(event[field]))


def event_duration_or_none(event: Mapping[str, Any], field: str) -> int | None:
    """``GetDurationPtrIgnoreErrors``: None when missing or unreadable."""
    try:
        return event_duration(event, field)
    except TollgateError:
        return None


def event_time(event: Mapping[str, Any], field: str, timezone: str) -> GoTime | None:
    """``GetTimeIgnoreErrors`` (None for the zero time): only strings are times."""
    value = event.get(field)
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_time_detect_layout(value, timezone)
    except ValueError:
        return None
    return None if parsed.is_zero else parsed


def extra_fields(event: Mapping[str, Any]) -> dict[str, str]:
    """``AsMapString(MainCDRFields)``: the non-main fields as strings."""
    return {k: event_string(event, k) for k in event if k not in MAIN_CDR_FIELDS}
