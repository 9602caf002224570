"""The CDRs RPC methods: CDRsV1 (and its CDRsV2/CdrsV2 spellings), served while
``cdrs.enabled``, and the APIerSv1/APIerSv2 CDR queries, served from the StorDB always.

Errors as v0.10 answers them: CDRsV1.GetCDRs wraps everything as ``SERVER_ERROR: <err>``
(an empty result is ``SERVER_ERROR: NOT_FOUND``); APIerSv1/2.GetCDRs answer a bare
``NOT_FOUND``; a bad filter value is ``SERVER_ERROR: <reason>``.
"""

from __future__ import annotations

import logging
from typing import Any

from tollgate.cdrs.args import (
    ArgRateCDRs,
    ArgV1ProcessEvent,
    AttrCDRSStoreSMCost,
    AttrGetCallCost,
    AttrGetCdrs,
    CDRArgs,
    CDRReply,
    ExternalCDR,
    ExternalCDRArgs,
    RPCCDRsFilter,
)
from tollgate.cdrs.eventcost import EventCost
from tollgate.cdrs.models import CDR
from tollgate.cdrs.query import legacy_filter, rpc_filter
from tollgate.cdrs.service import CDRService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
)
from tollgate.storage.stordb import CDRsFilter

__all__ = ["APIerSv1CDRs", "APIerSv2CDRs", "CDRsV1", "CDRsV2", "CdrsV2"]

logger = logging.getLogger(__name__)

_OK = "OK"


def _not_served(service: str, method: str) -> TollgateError:
    """v0.10 registers CDRsV1 only while CDRs runs: Go's net/rpc reports it missing."""
    return TollgateError(f"rpc: can't find service {service}.{method}")


async def _query(service: CDRService, f: CDRsFilter) -> list[CDR]:
    try:
        return await service.get_cdrs(f)
    except ValueError as exc:  # OrderBy
        raise ServerError(exc) from None


class _CDRsApi(Api):
    def __init__(self, service: CDRService) -> None:
        self.service = service

    def _check(self, method: str) -> None:
        if not self.service.enabled:
            raise _not_served(self.namespace, method)

    async def _process_cdr(self, args: CDRArgs) -> str:
        await self.service.process_cdr(CDR.from_args(args))
        return _OK

    async def _process_external(self, args: ExternalCDRArgs) -> str:
        await self.service.process_cdr(CDR.from_external(args, self.service.timezone))
        return _OK


class CDRsV1(_CDRsApi):
    """``CDRsV1``: the CDR server."""

    namespace = "CDRsV1"

    @rpc_method("ProcessCDR")
    async def process_cdr(self, args: CDRArgs, ctx: CallContext) -> str:
        """Fork (ChargerS), rate and store a CDR given in CGRateS's format (unless
        PreRated: then only stored)."""
        self._check("ProcessCDR")
        return await self._process_cdr(args)

    @rpc_method("ProcessEvent")
    async def process_event(self, args: ArgV1ProcessEvent, ctx: CallContext) -> str:
        """Process an event as its Flags say (``*attributes``, ``*chargers``, ``*rals``,
        ``*store``, ``*export``, ``*thresholds``, ``*stats``, ``*rerate``, ``*refund``)."""
        self._check("ProcessEvent")
        await self.service.process_event(
            args.Tenant, args.ID, dict(args.Event or {}), args.Time, args.Flags or ()
        )
        return _OK

    @rpc_method("ProcessExternalCDR")
    async def process_external_cdr(self, args: ExternalCDRArgs, ctx: CallContext) -> str:
        """ProcessCDR of an ExternalCDR (times in any layout, Usage a duration string)."""
        self._check("ProcessExternalCDR")
        return await self._process_external(args)

    @rpc_method("RateCDRs")
    async def rate_cdrs(self, args: ArgRateCDRs, ctx: CallContext) -> str:
        """Rate the stored CDRs matching the filter again (``*rerate`` to overwrite)."""
        self._check("RateCDRs")
        try:
            f = rpc_filter(args, self.service.timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        await self.service.rate_cdrs(f, args.Flags or ())
        return _OK

    @rpc_method("StoreSessionCost")
    async def store_session_cost(self, args: AttrCDRSStoreSMCost, ctx: CallContext) -> str:
        """Keep a session run's charges (``sessions_costs``) for its CDR."""
        self._check("StoreSessionCost")
        await self.service.store_session_cost(args.Cost, args.CheckDuplicate)
        return _OK

    @rpc_method("GetCDRs")
    async def get_cdrs(self, args: RPCCDRsFilter, ctx: CallContext) -> list[CDRReply]:
        """The stored CDRs matching the filter, as ``engine.CDR``."""
        self._check("GetCDRs")
        try:
            f = rpc_filter(args, self.service.timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        cdrs = await _query(self.service, f)
        if not cdrs:
            raise ServerError(NotFoundError())
        return [cdr.to_reply() for cdr in cdrs]

    @rpc_method("GetCDRsCount")
    async def get_cdrs_count(self, args: RPCCDRsFilter, ctx: CallContext) -> int:
        """How many stored CDRs match the filter."""
        self._check("GetCDRsCount")
        try:
            f = rpc_filter(args, self.service.timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        return await self.service.count_cdrs(f)

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        self._check("Ping")
        return "Pong"


class CDRsV2(_CDRsApi):
    """``CDRsV2``: StoreSessionCost (v0.10 rounds the cost there first; see docs/cdrs.md)."""

    namespace = "CDRsV2"

    @rpc_method("StoreSessionCost")
    async def store_session_cost(self, args: AttrCDRSStoreSMCost, ctx: CallContext) -> str:
        self._check("StoreSessionCost")
        await self.service.store_session_cost(args.Cost, args.CheckDuplicate)
        return _OK


class CdrsV2(_CDRsApi):
    """``CdrsV2``: the older ProcessCdr/ProcessExternalCdr spellings."""

    namespace = "CdrsV2"

    @rpc_method("ProcessCdr")
    async def process_cdr(self, args: CDRArgs, ctx: CallContext) -> str:
        self._check("ProcessCdr")
        return await self._process_cdr(args)

    @rpc_method("ProcessExternalCdr")
    async def process_external_cdr(self, args: ExternalCDRArgs, ctx: CallContext) -> str:
        self._check("ProcessExternalCdr")
        return await self._process_external(args)


class APIerSv1CDRs(Api):
    """APIerSv1's CDR queries (StorDB)."""

    namespace = "APIerSv1"

    def __init__(self, service: CDRService) -> None:
        self.service = service

    @rpc_method("GetCDRs")
    async def get_cdrs(self, args: AttrGetCdrs, ctx: CallContext) -> list[ExternalCDR]:
        """The stored CDRs as ExternalCDR (``AttrGetCdrs`` filter names); NOT_FOUND."""
        try:
            f = legacy_filter(args, self.service.timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        cdrs = await _query(self.service, f)
        if not cdrs:
            raise NotFoundError()
        return [cdr.to_external() for cdr in cdrs]

    @rpc_method("GetEventCost")
    async def get_event_cost(self, args: AttrGetCallCost, ctx: CallContext) -> EventCost:
        """The CostDetails of the CDR of CgrId and RunId (``*default`` when empty)."""
        if not args.CgrId:
            raise MandatoryIeMissingError("CgrId")
        f = CDRsFilter(cgrids=[args.CgrId], run_ids=[args.RunId or "*default"])
        cdrs = await _query(self.service, f)
        if not cdrs or cdrs[0].cost_details is None:
            raise NotFoundError()
        return cdrs[0].cost_details

    @rpc_method("RemoveCDRs")
    async def remove_cdrs(self, args: RPCCDRsFilter, ctx: CallContext) -> str:
        """Delete the stored CDRs matching the filter."""
        try:
            f = rpc_filter(args, self.service.timezone)
            await self.service.remove_cdrs(f)
        except (TollgateError, ValueError) as exc:
            raise ServerError(exc) from None
        return _OK


class APIerSv2CDRs(Api):
    """APIerSv2's CDR queries (``RPCCDRsFilter``)."""

    namespace = "APIerSv2"

    def __init__(self, service: CDRService) -> None:
        self.service = service

    @rpc_method("GetCDRs")
    async def get_cdrs(self, args: RPCCDRsFilter, ctx: CallContext) -> list[ExternalCDR]:
        """The stored CDRs matching the filter as ExternalCDR; NOT_FOUND when none."""
        try:
            f = rpc_filter(args, self.service.timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        cdrs = await _query(self.service, f)
        if not cdrs:
            raise NotFoundError()
        return [cdr.to_external() for cdr in cdrs]

    @rpc_method("CountCDRs")
    async def count_cdrs(self, args: RPCCDRsFilter, ctx: CallContext) -> int:
        """How many stored CDRs match the filter."""
        try:
            f = rpc_filter(args, self.service.timezone)
        except TollgateError as exc:
            raise ServerError(exc) from None
        return await self.service.count_cdrs(f)
