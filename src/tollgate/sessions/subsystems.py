"""The other subsystems SessionS asks: AttributeS, ResourceS, SupplierS, ThresholdS, StatS
and CDRs, each through its ``sessions.<subsystem>_conns``.

Errors are v0.10's: an empty conns list is ``NOT_CONNECTED: <SubSys>``; a failed call is
wrapped by the caller (``ATTRIBUTES_ERROR:``, ``RESOURCES_ERROR:``, ``SUPPLIERS_ERROR:``) or,
for ThresholdS and StatS, logged and reported as ``PARTIALLY_EXECUTED`` at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from tollgate.attributes import AttrArgsProcessEvent, AttrSProcessEventReply
from tollgate.core.config import SessionSCfg
from tollgate.core.errors import (
    NotConnectedError,
    NotFoundError,
    ResourceSError,
    SupplierSError,
    TollgateError,
)
from tollgate.filters import as_string
from tollgate.sessions.models import CGREventArgs

__all__ = ["Subsystems", "attributes_digest", "suppliers_digest"]

_CONTEXT = "Context"
_META_SESSIONS = "*sessions"


class Subsystems:
    """Calls to the subsystems around the charging."""

    def __init__(
        self,
        call: Callable[[Sequence[str], str, Any], Any],
        settings: Callable[[], SessionSCfg],
    ) -> None:
        self._call = call
        self._settings = settings

    async def attributes(
        self, event: CGREventArgs, attribute_ids: Sequence[str] | None
    ) -> AttrSProcessEventReply:
        """``processAttributes``: the event as AttributeS altered it (NOT_FOUND passes)."""
        conns = self._settings().attributes_conns
        if not conns:
            raise NotConnectedError("AttributeS")
        ev = event.Event or {}
        args = AttrArgsProcessEvent(
            AttributeIDs=list(attribute_ids) if attribute_ids else None,
            Context=as_string(ev.get(_CONTEXT)) or _META_SESSIONS,
            Tenant=event.Tenant,
            ID=event.ID,
            Time=event.Time,
            Event=ev,
        )
        reply = await self._call(conns, "AttributeSv1.ProcessEvent", args)
        if isinstance(reply, AttrSProcessEventReply):
            return reply
        try:
            return msgspec.convert(reply, AttrSProcessEventReply, strict=False)
        except msgspec.ValidationError as exc:
            raise TollgateError(f"AttributeS reply not understood: {exc}") from None

    async def resources(self, method: str, event: CGREventArgs, usage_id: str) -> str:
        """``ResourceSv1.<method>`` (Authorize/Allocate/ReleaseResources) for one unit."""
        conns = self._settings().resources_conns
        if not conns:
            raise NotConnectedError("ResourceS")
        args = {**_flat(event), "UsageID": usage_id, "Units": 1}
        try:
            reply = await self._call(conns, f"ResourceSv1.{method}", args)
        except TollgateError as exc:
            raise ResourceSError(exc) from None
        return as_string(reply)

    async def suppliers(
        self,
        event: CGREventArgs,
        limit: int | None,
        offset: int | None,
        ignore_errors: bool,
        max_cost: str,
    ) -> Any:
        """``getSuppliers``: the SortedSuppliers (a map), or None when there are none."""
        conns = self._settings().suppliers_conns
        if not conns:
            raise NotConnectedError("SupplierS")
        ev = dict(event.Event or {})
        if "ACD" in ev:
            ev["Usage"] = ev["ACD"]
        args = {
            **_flat(event),
            "Event": ev,
            "IgnoreErrors": ignore_errors,
            "MaxCost": max_cost,
            "Limit": limit,
            "Offset": offset,
        }
        try:
            reply = await self._call(conns, "SupplierSv1.GetSuppliers", args)
        except TollgateError as exc:
            raise SupplierSError(exc) from None
        if not isinstance(reply, dict):
            reply = msgspec.to_builtins(reply)
        if not isinstance(reply, dict) or reply.get("SortedSuppliers") is None:
            return None
        return reply

    async def thresholds(self, event: CGREventArgs, ids: Sequence[str] | None) -> list[str]:
        """``processThreshold``: the ids of the thresholds hit."""
        conns = self._settings().thresholds_conns
        if not conns:
            raise NotConnectedError("ThresholdS")
        args = {**_flat(event), "ThresholdIDs": list(ids) if ids else None}
        return _ids(await self._call(conns, "ThresholdSv1.ProcessEvent", args))

    async def stats(self, event: CGREventArgs, ids: Sequence[str] | None) -> list[str]:
        """``processStats``: the ids of the stat queues fed."""
        conns = self._settings().stats_conns
        if not conns:
            raise NotConnectedError("StatS")
        args = {**_flat(event), "StatIDs": list(ids) if ids else None}
        return _ids(await self._call(conns, "StatSv1.ProcessEvent", args))

    async def cdr(self, event: CGREventArgs, flags: Sequence[str]) -> str:
        """``CDRsV1.ProcessEvent`` of one event (``MANDATORY_IE_MISSING: [connIDs]``
        without cdrs_conns, as v0.10's ConnManager answers)."""
        args = {**_flat(event), "Flags": list(flags)}
        return as_string(await self._call(self._settings().cdrs_conns, "CDRsV1.ProcessEvent", args))


def _flat(event: CGREventArgs) -> dict[str, Any]:
    return {
        "Tenant": event.Tenant,
        "ID": event.ID or uuid.uuid4().hex,
        "Time": event.Time,
        "Event": event.Event or {},
        "APIKey": event.APIKey,
        "RouteID": event.RouteID,
    }


def _ids(reply: Any) -> list[str]:
    if reply is None:
        return []
    if isinstance(reply, list | tuple):
        return [as_string(i) for i in reply]
    raise TollgateError(f"unexpected reply: {reply!r}")


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, NotFoundError) or str(exc) == "NOT_FOUND"


def attributes_digest(reply: AttrSProcessEventReply) -> str:
    """``AttrSProcessEventReply.Digest``: ``Field:Value`` of the altered fields, joined by
    ``,`` (v0.10 writes the separator by position, even after a skipped field)."""
    event = reply.CGREvent.Event or {}
    out = ""
    for index, name in enumerate(reply.AlteredFields or ()):
        field = name.removeprefix("*req.")
        if field not in event:
            continue
        if index:
            out += ","
        out += f"{field}:{as_string(event[field])}"
    return out


def suppliers_digest(reply: Any) -> str:
    """``SortedSuppliers.Digest``: supplier ids (``id:params`` with parameters) by ``,``."""
    if not isinstance(reply, dict):
        return ""
    parts = []
    for supplier in reply.get("SortedSuppliers") or ():
        text = as_string(supplier.get("SupplierID"))
        params = as_string(supplier.get("SupplierParameters"))
        parts.append(f"{text}:{params}" if params else text)
    return ",".join(parts)
