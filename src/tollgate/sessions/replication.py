"""Sessions on the wire between SessionS nodes (``SessionSv1.SetPassiveSession``), shaped
as v0.10's ``sessions.Session``: ``CGRID``, ``Tenant``, ``ResourceID``, ``ClientConnID``,
``EventStart``, ``DebitInterval`` and the ``SRuns`` with their ``Event``, ``CD`` (the call
descriptor the debits continue), ``EventCost`` (what was charged, by increment and the
balances that paid it), ``ExtraDuration``, ``LastUsage``, ``TotalUsage`` and
``NextAutoDebit``. A session with a null ``EventStart`` tells the peer to drop its copy.

In the EventCost ``Accounting`` an entry with ``ExtraChargeID`` ``""`` is a monetary
balance, ``*none`` a units balance alone, anything else a units balance whose money part
is the entry named (as v0.10's ``NewEventCostFromCallCost`` writes them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from tollgate.core.errors import MandatoryIeMissingError, TollgateError
from tollgate.core.times import format_rfc3339, parse_rfc3339
from tollgate.rating import money
from tollgate.sessions.charges import ChargeIncrement, Charges, ChargeSpan
from tollgate.sessions.session import RunDescriptor, Session, SRun

__all__ = ["removal_wire", "session_from_wire", "session_wire"]

_NONE = "*none"


def _cd_wire(cd: RunDescriptor) -> dict[str, Any]:
    return {
        "CgrID": cd.cgrid, "RunID": cd.run_id, "ToR": cd.tor, "Tenant": cd.tenant,
        "Category": cd.category, "Subject": cd.subject, "Account": cd.account,
        "Destination": cd.destination, "TimeStart": format_rfc3339(cd.time_start, cd.tz),
        "TimeEnd": format_rfc3339(cd.time_end, cd.tz), "LoopIndex": cd.loop_index,
        "DurationIndex": cd.duration_index, "MaxCostSoFar": money(cd.max_cost_so_far),
        "ForceDuration": cd.force_duration, "ExtraFields": cd.extra_fields or None,
    }  # fmt: skip


def session_wire(s: Session, decimals: int) -> dict[str, Any]:
    """The session as a peer's SetPassiveSession reads it."""
    runs = []
    for sr in s.runs:
        runs.append(
            {
                "Event": dict(sr.event),
                "CD": _cd_wire(sr.cd),
                "EventCost": (
                    sr.charges.event_cost(s.cgrid, sr.cd.run_id, decimals)
                    if sr.charges is not None
                    else None
                ),
                "ExtraDuration": sr.extra_duration,
                "LastUsage": sr.last_usage,
                "TotalUsage": sr.total_usage,
                "NextAutoDebit": (
                    format_rfc3339(sr.next_auto_debit) if sr.next_auto_debit is not None else None
                ),
            }
        )
    return {
        "CGRID": s.cgrid, "Tenant": s.tenant, "ResourceID": s.resource_id,
        "ClientConnID": s.client_conn_id, "EventStart": dict(s.event_start),
        "DebitInterval": s.debit_interval, "SRuns": runs,
    }  # fmt: skip


def removal_wire(cgrid: str) -> dict[str, Any]:
    """What tells a peer the session ended: its CGRID and no EventStart."""
    return {"CGRID": cgrid, "EventStart": None}


# -- reading ------------------------------------------------------------------------------


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | type(None)):
        raise TollgateError(f"SERVER_ERROR: {name}: not a number")
    return int(value or 0)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise TollgateError(f"SERVER_ERROR: {name}: not a number") from None


def _map(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TollgateError(f"SERVER_ERROR: {name}: not an object")
    return value


def _time(value: Any, name: str) -> tuple[int, dt.tzinfo]:
    try:
        parsed = parse_rfc3339(str(value))
    except ValueError as exc:
        raise TollgateError(f"SERVER_ERROR: {name}: {exc}") from None
    return parsed.ns, parsed.tz


def _cd_from(data: Mapping[str, Any], cgrid: str) -> RunDescriptor:
    start, tz = _time(data.get("TimeStart"), "CD.TimeStart")
    end, _ = _time(data.get("TimeEnd"), "CD.TimeEnd")
    extra = _map(data.get("ExtraFields"), "CD.ExtraFields")
    return RunDescriptor(
        cgrid=cgrid,
        run_id=str(data.get("RunID") or ""),
        tor=str(data.get("ToR") or ""),
        tenant=str(data.get("Tenant") or ""),
        category=str(data.get("Category") or ""),
        subject=str(data.get("Subject") or ""),
        account=str(data.get("Account") or ""),
        destination=str(data.get("Destination") or ""),
        time_start=start,
        time_end=end,
        tz=tz,
        extra_fields={str(k): str(v) for k, v in extra.items()},
        force_duration=bool(data.get("ForceDuration")),
        loop_index=_int(data.get("LoopIndex"), "CD.LoopIndex"),
        duration_index=_int(data.get("DurationIndex"), "CD.DurationIndex"),
        max_cost_so_far=_decimal(data.get("MaxCostSoFar"), "CD.MaxCostSoFar"),
    )


def _charges_from(data: Any) -> Charges | None:
    if data is None:
        return None
    cost = _map(data, "EventCost")
    accounting = _map(cost.get("Accounting"), "EventCost.Accounting")
    rating = _map(cost.get("Rating"), "EventCost.Rating")
    spans = []
    start = tz = None
    if cost.get("StartTime"):
        start, tz = _time(cost.get("StartTime"), "EventCost.StartTime")
    for item in cost.get("Charges") or ():
        charge = _map(item, "EventCost.Charges")
        rating_id = str(charge.get("RatingID") or "")
        unit = _map(rating.get(rating_id), "EventCost.Rating")
        increments = []
        for raw in charge.get("Increments") or ():
            inc = _map(raw, "EventCost.Increments")
            paid = _map(accounting.get(str(inc.get("AccountingID") or "")), "Accounting")
            unit_uuid = monetary_uuid = ""
            extra = str(paid.get("ExtraChargeID") or "")
            if paid and not extra:
                monetary_uuid = str(paid.get("BalanceUUID") or "")
            elif paid:
                unit_uuid = str(paid.get("BalanceUUID") or "")
                if extra != _NONE:
                    monetary_uuid = str(
                        _map(accounting.get(extra), "Accounting").get("BalanceUUID") or ""
                    )
            increments.append(
                ChargeIncrement(
                    duration=_int(inc.get("Usage"), "Increments.Usage"),
                    cost=_decimal(inc.get("Cost"), "Increments.Cost"),
                    compress_factor=_int(inc.get("CompressFactor"), "CompressFactor") or 1,
                    account_id=str(paid.get("AccountID") or ""),
                    unit_uuid=unit_uuid,
                    monetary_uuid=monetary_uuid,
                )
            )
        spans.append(
            ChargeSpan(
                increments=tuple(increments),
                repeat=_int(charge.get("CompressFactor"), "CompressFactor") or 1,
                rating_key=rating_id,
                rounding_decimals=_int(unit.get("RoundingDecimals"), "RoundingDecimals"),
                rounding_method=str(unit.get("RoundingMethod") or ""),
            )
        )
    return Charges(spans, start, tz or dt.UTC)


def session_from_wire(data: Any) -> Session:
    """A session from a peer; SERVER_ERROR texts for what cannot be read."""
    wire = _map(data, "Session")
    cgrid = str(wire.get("CGRID") or "")
    if not cgrid:
        raise MandatoryIeMissingError("CGRID")
    start = _map(wire.get("EventStart"), "EventStart")
    s = Session(
        cgrid=cgrid,
        tenant=str(wire.get("Tenant") or ""),
        event_start=start,
        client_conn_id=str(wire.get("ClientConnID") or ""),
        resource_id=str(wire.get("ResourceID") or ""),
        debit_interval=_int(wire.get("DebitInterval"), "DebitInterval"),
    )
    for item in wire.get("SRuns") or ():
        run = _map(item, "SRuns")
        next_debit = run.get("NextAutoDebit")
        s.runs.append(
            SRun(
                event=_map(run.get("Event"), "SRuns.Event"),
                cd=_cd_from(_map(run.get("CD"), "SRuns.CD"), cgrid),
                charges=_charges_from(run.get("EventCost")),
                extra_duration=_int(run.get("ExtraDuration"), "ExtraDuration"),
                last_usage=_int(run.get("LastUsage"), "LastUsage"),
                total_usage=_int(run.get("TotalUsage"), "TotalUsage"),
                next_auto_debit=(
                    _time(next_debit, "NextAutoDebit")[0] if next_debit is not None else None
                ),
            )
        )
    return s
