"""SessionSv1 and the SMGenericV1 compatibility methods (CGRateS v0.10
``apier/v1/sessionsv1.go``, ``sessions/sessions.go`` BiRPCv1*), on every JSON-RPC
transport and on the BiJSON port (2014), where the calling connection is the client a
session's disconnect goes to.

:class:`SessionSv1` holds the methods that need no session state (Ping, Sleep,
RegisterInternalBiJSONConn); :class:`SessionSv1Sessions` the rest, served while
``sessions.enabled`` (v0.10 does not register SessionSv1 otherwise). The SMGenericV1
methods are in :mod:`tollgate.sessions.smgeneric`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal
from typing import Any, Protocol

from tollgate.attributes import AttrSProcessEventReply
from tollgate.attributes.api import not_served
from tollgate.core.api import Api, CallContext, DurationArgs, rpc_method
from tollgate.core.errors import (
    AttributeSError,
    MandatoryIeMissingError,
    NotConnectedError,
    NotFoundError,
    PartiallyExecutedError,
    TollgateError,
)
from tollgate.core.wire import go_number
from tollgate.sessions.control import cdr_flags
from tollgate.sessions.events import ORIGIN_ID, SOURCE, event_string, get_set_cgrid
from tollgate.sessions.flags import parse_flags, supplier_options
from tollgate.sessions.models import (
    ArgsReplicateSessions,
    CGREventArgs,
    ExternalSession,
    SessionFilter,
    SessionIDsArgs,
    V1AuthorizeArgs,
    V1AuthorizeReply,
    V1AuthorizeReplyWithDigest,
    V1InitReplyWithDigest,
    V1InitSessionArgs,
    V1InitSessionReply,
    V1ProcessEventArgs,
    V1ProcessEventReply,
    V1ProcessMessageArgs,
    V1ProcessMessageReply,
    V1TerminateSessionArgs,
    V1UpdateSessionArgs,
    V1UpdateSessionReply,
)
from tollgate.sessions.service import SessionService
from tollgate.sessions.session import RunDescriptor
from tollgate.sessions.subsystems import attributes_digest, is_not_found, suppliers_digest

__all__ = ["SessionSv1", "SessionSv1Sessions", "client_id", "seconds"]

logger = logging.getLogger(__name__)

_OK = "OK"
_NS = Decimal(1_000_000_000)


class _Node(Protocol):
    node_id: str


class SessionSv1(Api):
    """SessionS methods without session state, on every transport and on BiJSON."""

    namespace = "SessionSv1"

    def __init__(self, engine: _Node) -> None:
        self.engine = engine

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        """Answers "Pong"."""
        return "Pong"

    @rpc_method("Sleep")
    async def sleep(self, args: DurationArgs, ctx: CallContext) -> str:
        """Sleeps DurationTime nanoseconds, then answers "OK"."""
        await asyncio.sleep(max(args.DurationTime, 0) / 1e9)
        return "OK"

    @rpc_method("RegisterInternalBiJSONConn")
    def register_internal_bijson_conn(self, args: Any, ctx: CallContext) -> str:
        """Re-registers the calling BiJSON connection under the engine's node id."""
        conn = ctx.conn
        rename = getattr(getattr(conn, "server", None), "rename", None)
        if rename is not None:
            rename(conn, self.engine.node_id)
        return "OK"


def seconds(ns: int) -> int | Decimal:
    """A duration as Go's ``Duration.Seconds()`` float64 is printed (10800, 1.5)."""
    return go_number(str(Decimal(ns) / _NS))


def client_id(ctx: CallContext) -> str:
    """The id of the BiJSON connection a request came on ("" for other transports)."""
    value = getattr(ctx.conn, "conn_id", "")
    return value if isinstance(value, str) else ""


class SessionSv1Sessions(Api):
    """The session methods of SessionSv1."""

    namespace = "SessionSv1"

    def __init__(self, service: SessionService) -> None:
        self.service = service

    # -- shared steps ----------------------------------------------------------------------

    def _check(self, method: str) -> None:
        if not self.service.enabled:
            raise not_served(self.namespace, method)

    def _prepare(self, args: CGREventArgs) -> dict[str, Any]:
        """Defaults of every request: an Event, an ID, the tenant; the event's CGRID."""
        if args.Event is None:
            raise MandatoryIeMissingError("Event")
        if not args.ID:
            args.ID = str(uuid.uuid4())
        if not args.Tenant:
            args.Tenant = self.service.general.default_tenant
        get_set_cgrid(args.Event)
        return args.Event

    async def _attributes(
        self, args: CGREventArgs, ids: list[str] | None
    ) -> AttrSProcessEventReply | None:
        """The event altered by AttributeS (args take the altered event); None when no
        profile matched."""
        try:
            reply = await self.service.subsystems.attributes(args, ids)
        except TollgateError as exc:
            if is_not_found(exc):
                return None
            raise AttributeSError(exc) from None
        altered = reply.CGREvent
        if altered.Event is None:
            altered.Event = {}
        args.Event = altered.Event  # shared, as v0.10 shares the reply's CGREvent
        args.Tenant = altered.Tenant or args.Tenant
        return reply

    async def _thresholds(
        self, args: CGREventArgs, ids: list[str] | None
    ) -> tuple[list[str] | None, bool]:
        """ThresholdS' ids and whether it failed (a failure makes PARTIALLY_EXECUTED)."""
        try:
            return await self.service.subsystems.thresholds(args, ids), False
        except TollgateError as exc:
            if is_not_found(exc):
                return [], False
            logger.warning("<SessionS> error: %s processing event with ThresholdS", exc)
            return None, True

    async def _stats(
        self, args: CGREventArgs, ids: list[str] | None
    ) -> tuple[list[str] | None, bool]:
        try:
            return await self.service.subsystems.stats(args, ids), False
        except TollgateError as exc:
            if is_not_found(exc):
                return [], False
            logger.warning("<SessionS> error: %s processing event with StatS", exc)
            return None, True

    def _origin_id(self, args: CGREventArgs) -> str:
        return event_string(args.Event or {}, ORIGIN_ID)

    async def _resources(self, method: str, args: CGREventArgs, origin_id: str) -> str:
        if not self.service.settings.resources_conns:
            raise NotConnectedError("ResourceS")
        if not origin_id:
            raise MandatoryIeMissingError(ORIGIN_ID)
        return await self.service.subsystems.resources(method, args, origin_id)

    # -- authorize -------------------------------------------------------------------------

    async def authorize(self, args: V1AuthorizeArgs) -> V1AuthorizeReply:
        event = self._prepare(args)
        if not (
            args.GetAttributes or args.AuthorizeResources or args.GetMaxUsage or args.suppliers
        ):
            raise MandatoryIeMissingError("subsystems")
        reply = V1AuthorizeReply()
        if args.GetAttributes:
            reply.Attributes = await self._attributes(args, args.AttributeIDs)
            event = args.Event or event
        if args.GetMaxUsage:
            reply.MaxUsage = await self.service.authorize(args.Tenant, event, args.ForceDuration)
        if args.AuthorizeResources:
            origin_id = self._origin_id(args) or uuid.uuid4().hex[:7]
            reply.ResourceAllocation = await self.service.subsystems.resources(
                "AuthorizeResources", args, origin_id
            )
        if args.suppliers:
            reply.Suppliers = await self.service.subsystems.suppliers(
                CGREventArgs(Tenant=args.Tenant, ID=args.ID, Time=args.Time, Event=dict(event)),
                args.Limit,
                args.Offset,
                args.suppliers_ignore_errors,
                args.suppliers_max_cost,
            )
        failed = False
        if args.ProcessThresholds:
            reply.ThresholdIDs, failed = await self._thresholds(args, args.ThresholdIDs)
        if args.ProcessStats:
            reply.StatQueueIDs, stats_failed = await self._stats(args, args.StatIDs)
            failed = failed or stats_failed
        if failed:
            raise PartiallyExecutedError()
        return reply

    @rpc_method("AuthorizeEvent")
    async def authorize_event(self, args: V1AuthorizeArgs, ctx: CallContext) -> V1AuthorizeReply:
        """Authorize an event: GetMaxUsage (RALs over the ChargerS runs), GetAttributes,
        AuthorizeResources, GetSuppliers, ProcessThresholds, ProcessStats. MaxUsage is
        int nanoseconds."""
        self._check("AuthorizeEvent")
        return await self.authorize(args)

    @rpc_method("AuthorizeEventWithDigest")
    async def authorize_event_with_digest(
        self, args: V1AuthorizeArgs, ctx: CallContext
    ) -> V1AuthorizeReplyWithDigest:
        """AuthorizeEvent flattened for switches: MaxUsage in (float) seconds, the altered
        attributes as ``Field:Value,...``, suppliers and ids joined by ``,``."""
        self._check("AuthorizeEventWithDigest")
        reply = await self.authorize(args)
        out = V1AuthorizeReplyWithDigest()
        if args.GetAttributes and reply.Attributes is not None:
            out.AttributesDigest = attributes_digest(reply.Attributes)
        if args.AuthorizeResources:
            out.ResourceAllocation = reply.ResourceAllocation
        if args.GetMaxUsage:
            out.MaxUsage = seconds(reply.MaxUsage)
        if args.suppliers:
            out.SuppliersDigest = suppliers_digest(reply.Suppliers)
        if args.ProcessThresholds:
            out.Thresholds = ",".join(reply.ThresholdIDs or ())
        if args.ProcessStats:
            out.StatQueues = ",".join(reply.StatQueueIDs or ())
        return out

    # -- initiate --------------------------------------------------------------------------

    async def initiate(self, args: V1InitSessionArgs, ctx: CallContext) -> V1InitSessionReply:
        self._prepare(args)
        if not (args.GetAttributes or args.AllocateResources or args.InitSession):
            raise MandatoryIeMissingError("subsystems")
        origin_id = self._origin_id(args)
        reply = V1InitSessionReply()
        if args.GetAttributes:
            reply.Attributes = await self._attributes(args, args.AttributeIDs)
        if args.AllocateResources:
            reply.ResourceAllocation = await self._resources("AllocateResources", args, origin_id)
        if args.InitSession:
            reply.MaxUsage = await self.service.initiate(
                args.Tenant, args.Event or {}, client_id(ctx), args.ForceDuration
            )
        failed = False
        if args.ProcessThresholds:
            reply.ThresholdIDs, failed = await self._thresholds(args, args.ThresholdIDs)
        if args.ProcessStats:
            reply.StatQueueIDs, stats_failed = await self._stats(args, args.StatIDs)
            failed = failed or stats_failed
        if failed:
            raise PartiallyExecutedError()
        return reply

    @rpc_method("InitiateSession")
    async def initiate_session(
        self, args: V1InitSessionArgs, ctx: CallContext
    ) -> V1InitSessionReply:
        """Start a session (InitSession): fork it per ChargerS run, debit the prepaid runs
        (or start their debit loops); MaxUsage in int nanoseconds."""
        self._check("InitiateSession")
        return await self.initiate(args, ctx)

    @rpc_method("InitiateSessionWithDigest")
    async def initiate_session_with_digest(
        self, args: V1InitSessionArgs, ctx: CallContext
    ) -> V1InitReplyWithDigest:
        """InitiateSession with MaxUsage in (float) seconds and digests."""
        self._check("InitiateSessionWithDigest")
        reply = await self.initiate(args, ctx)
        out = V1InitReplyWithDigest()
        if args.GetAttributes and reply.Attributes is not None:
            out.AttributesDigest = attributes_digest(reply.Attributes)
        if args.AllocateResources:
            out.ResourceAllocation = reply.ResourceAllocation
        if args.InitSession:
            out.MaxUsage = seconds(reply.MaxUsage)
        if args.ProcessThresholds:
            out.Thresholds = ",".join(reply.ThresholdIDs or ())
        if args.ProcessStats:
            out.StatQueues = ",".join(reply.StatQueueIDs or ())
        return out

    # -- update, terminate -----------------------------------------------------------------

    @rpc_method("UpdateSession")
    async def update_session(
        self, args: V1UpdateSessionArgs, ctx: CallContext
    ) -> V1UpdateSessionReply:
        """Debit the next Usage of a session (``LastUsed`` corrects the previous one);
        an unknown session is initiated first."""
        self._check("UpdateSession")
        self._prepare(args)
        if not (args.GetAttributes or args.UpdateSession):
            raise MandatoryIeMissingError("subsystems")
        reply = V1UpdateSessionReply()
        if args.GetAttributes:
            reply.Attributes = await self._attributes(args, args.AttributeIDs)
        if args.UpdateSession:
            reply.MaxUsage = await self.service.update(
                args.Tenant, args.Event or {}, client_id(ctx), args.ForceDuration
            )
        return reply

    @rpc_method("TerminateSession")
    async def terminate_session(self, args: V1TerminateSessionArgs, ctx: CallContext) -> str:
        """End a session at its total Usage (or the previous total corrected by
        LastUsed): refund what was debited beyond it or debit what is missing."""
        self._check("TerminateSession")
        self._prepare(args)
        if not (args.TerminateSession or args.ReleaseResources):
            raise MandatoryIeMissingError("subsystems")
        origin_id = self._origin_id(args)
        if args.TerminateSession:
            if not origin_id:
                raise MandatoryIeMissingError(ORIGIN_ID)
            await self.service.terminate(
                args.Tenant, args.Event or {}, client_id(ctx), args.ForceDuration
            )
        if args.ReleaseResources:
            await self._resources("ReleaseResources", args, origin_id)
        failed = False
        if args.ProcessThresholds:
            failed = (await self._thresholds(args, args.ThresholdIDs))[1]
        if args.ProcessStats:
            failed = (await self._stats(args, args.StatIDs))[1] or failed
        if failed:
            raise PartiallyExecutedError()
        return _OK

    # -- one-shot events -------------------------------------------------------------------

    @rpc_method("ProcessMessage")
    async def process_message(
        self, args: V1ProcessMessageArgs, ctx: CallContext
    ) -> V1ProcessMessageReply:
        """Charge one event without keeping a session (Debit), with the other
        subsystems as flagged."""
        self._check("ProcessMessage")
        self._prepare(args)
        origin_id = self._origin_id(args)
        reply = V1ProcessMessageReply()
        if args.GetAttributes:
            reply.Attributes = await self._attributes(args, args.AttributeIDs)
        if args.AllocateResources:
            reply.ResourceAllocation = await self._resources("AllocateResources", args, origin_id)
        if args.suppliers:
            reply.Suppliers = await self.service.subsystems.suppliers(
                CGREventArgs(
                    Tenant=args.Tenant, ID=args.ID, Time=args.Time, Event=dict(args.Event or {})
                ),
                args.Limit,
                args.Offset,
                args.suppliers_ignore_errors,
                args.suppliers_max_cost,
            )
        if args.Debit:
            reply.MaxUsage = await self.service.charge_event(
                args.Tenant, args.Event or {}, args.ForceDuration
            )
        failed = False
        if args.ProcessThresholds:
            reply.ThresholdIDs, failed = await self._thresholds(args, args.ThresholdIDs)
        if args.ProcessStats:
            reply.StatQueueIDs, stats_failed = await self._stats(args, args.StatIDs)
            failed = failed or stats_failed
        if failed:
            raise PartiallyExecutedError()
        return reply

    @rpc_method("ProcessEvent")
    async def process_event(
        self, args: V1ProcessEventArgs, ctx: CallContext
    ) -> V1ProcessEventReply:
        """Do what the Flags say: ``*attributes``, ``*cost`` (the event's cost from
        RALs, nothing debited), ``*resources:*authorize|*allocate|*release``,
        ``*rals:*authorize|*initiate|*update|*terminate`` (``*fd`` forces the duration),
        ``*suppliers[:*ignore_errors;*event_cost]`` (or ``*suppliers_ignore_errors``,
        ``*suppliers_event_cost``, ``*suppliers_maxcost:<v>``), ``*thresholds``,
        ``*stats``, ``*cdrs``."""
        self._check("ProcessEvent")
        self._prepare(args)
        flags = parse_flags(args.Flags or ())
        origin_id = self._origin_id(args)
        reply = V1ProcessEventReply()
        if "*attributes" in flags:
            reply.Attributes = await self._attributes(args, flags["*attributes"] or None)
        if "*cost" in flags:
            service = self.service
            general = service.general
            cd = RunDescriptor.of_event(
                args.ID,
                args.Tenant,
                args.Event or {},
                general.default_category,
                general.default_timezone,
            )
            reply.Cost = await service.debits.event_cost(cd)
        if "*resources" in flags:
            if not self.service.settings.resources_conns:
                raise NotConnectedError("ResourceS")
            if not origin_id:
                raise MandatoryIeMissingError(ORIGIN_ID)
            sub = parse_flags(flags["*resources"])
            for flag, method in (
                ("*authorize", "AuthorizeResources"),
                ("*allocate", "AllocateResources"),
                ("*release", "ReleaseResources"),
            ):
                if flag in sub:
                    reply.ResourceAllocation = await self.service.subsystems.resources(
                        method, args, origin_id
                    )
        if flags.get("*rals"):
            reply.MaxUsage = await self._rals(args, parse_flags(flags["*rals"]), ctx)
        if "*suppliers" in flags:
            ignore_errors, max_cost = supplier_options(flags)
            reply.Suppliers = await self.service.subsystems.suppliers(
                CGREventArgs(
                    Tenant=args.Tenant, ID=args.ID, Time=args.Time, Event=dict(args.Event or {})
                ),
                args.Limit,
                args.Offset,
                ignore_errors,
                max_cost,
            )
        failed = False
        if "*thresholds" in flags:
            reply.ThresholdIDs, failed = await self._thresholds(args, flags["*thresholds"] or None)
        if "*stats" in flags:
            reply.StatQueueIDs, stats_failed = await self._stats(args, flags["*stats"] or None)
            failed = failed or stats_failed
        if "*cdrs" in flags:
            failed = not await self._cdrs(args) or failed
        if failed:
            raise PartiallyExecutedError()
        return reply

    async def _rals(self, args: V1ProcessEventArgs, sub: dict[str, list[str]], ctx: Any) -> int:
        service = self.service
        event = args.Event or {}
        force = "*fd" in sub
        if "*authorize" in sub:
            return await service.authorize(args.Tenant, event, force)
        if "*initiate" in sub:
            return await service.initiate(args.Tenant, event, client_id(ctx), force)
        if "*update" in sub:
            return await service.update(args.Tenant, event, client_id(ctx), force)
        if "*terminate" in sub:
            await service.terminate(args.Tenant, event, client_id(ctx), force, attempts=1)
        return 0

    # -- CDRs ------------------------------------------------------------------------------

    async def _cdrs(self, args: CGREventArgs) -> bool:
        """The CDRs of the event's session (one per run, from the active or just closed
        session), or the event itself rated by CDRs; False when one CDR failed."""
        service = self.service
        event = args.Event or {}
        cgrid = get_set_cgrid(event)
        s = service.relocate(cgrid, event)
        if s is not None:
            logger.warning("<SessionS> ProcessCDR called for active session <%s>", cgrid)
        else:
            s = service.closed(cgrid)
        if s is None:
            await service.subsystems.cdr(args, ["*rals"])
            return True
        service.update_runs_events(s, event)
        ok = True
        for sr in s.runs:
            try:
                await service.subsystems.cdr(
                    CGREventArgs(Tenant=s.tenant, Event=sr.event, APIKey=args.APIKey),
                    cdr_flags(sr.event),
                )
            except TollgateError as exc:
                logger.warning("<SessionS> error <%s> posting CDR of <%s>", exc, cgrid)
                ok = False
        return ok

    @rpc_method("ProcessCDR")
    async def process_cdr(self, args: CGREventArgs, ctx: CallContext) -> str:
        """Send the CDRs of a (just ended) session to CDRs, one per run; an event without
        a session is sent as it is, for CDRs to rate."""
        self._check("ProcessCDR")
        event = self._prepare(args)
        event.setdefault(SOURCE, "*sessions")
        if not await self._cdrs(args):
            raise PartiallyExecutedError()
        return _OK

    # -- queries and control ---------------------------------------------------------------

    @rpc_method("GetActiveSessions")
    async def get_active_sessions(
        self, args: SessionFilter, ctx: CallContext
    ) -> list[ExternalSession]:
        """One entry per run of the active sessions passing the Filters (NOT_FOUND when
        none)."""
        self._check("GetActiveSessions")
        runs = await self.service.matching_runs(args)
        if not runs:
            raise NotFoundError()
        return [self.service.external(s, sr) for s, sr in runs]

    @rpc_method("GetActiveSessionsCount")
    async def get_active_sessions_count(self, args: SessionFilter, ctx: CallContext) -> int:
        """How many runs of active sessions pass the Filters."""
        self._check("GetActiveSessionsCount")
        query = SessionFilter(Filters=args.Filters, Tenant=args.Tenant)
        return len(await self.service.matching_runs(query))

    @rpc_method("GetPassiveSessions")
    async def get_passive_sessions(
        self, args: SessionFilter, ctx: CallContext
    ) -> list[ExternalSession]:
        """The runs of the passive sessions (copies a peer replicated here) passing the
        Filters (NOT_FOUND when none)."""
        self._check("GetPassiveSessions")
        runs = await self.service.matching_runs(args, passive=True)
        if not runs:
            raise NotFoundError()
        return [self.service.external(s, sr) for s, sr in runs]

    @rpc_method("GetPassiveSessionsCount")
    async def get_passive_sessions_count(self, args: SessionFilter, ctx: CallContext) -> int:
        """How many runs of passive sessions pass the Filters."""
        self._check("GetPassiveSessionsCount")
        query = SessionFilter(Filters=args.Filters, Tenant=args.Tenant)
        return len(await self.service.matching_runs(query, passive=True))

    @rpc_method("SetPassiveSession")
    async def set_passive_session(self, args: Any, ctx: CallContext) -> str:
        """Keep a session a peer replicates here (a null EventStart removes it)."""
        self._check("SetPassiveSession")
        await self.service.set_passive(args)
        return _OK

    @rpc_method("ReplicateSessions")
    async def replicate_sessions(self, args: ArgsReplicateSessions, ctx: CallContext) -> str:
        """Copy one (CGRID) or every active (or, with Passive, passive) session to the
        ConnIDs now."""
        self._check("ReplicateSessions")
        await self.service.replicate_sessions(args.CGRID, args.Passive, args.ConnIDs or ())
        return _OK

    @rpc_method("ActivateSessions")
    async def activate_sessions(self, args: SessionIDsArgs, ctx: CallContext) -> str:
        """Take over passive sessions (all without IDs): charging continues here."""
        self._check("ActivateSessions")
        if not await self.service.activate(args.IDs or ()):
            raise PartiallyExecutedError()
        return _OK

    @rpc_method("DeactivateSessions")
    async def deactivate_sessions(self, args: SessionIDsArgs, ctx: CallContext) -> str:
        """Make active sessions (all without IDs) passive: their charging stops here."""
        self._check("DeactivateSessions")
        if not await self.service.deactivate(args.IDs or ()):
            raise PartiallyExecutedError()
        return _OK

    @rpc_method("ForceDisconnect")
    async def force_disconnect(self, args: SessionFilter, ctx: CallContext) -> str:
        """End the matching sessions on our side (settled, CDRs posted) and tell their
        clients (FORCED_DISCONNECT). NOT_FOUND when none match."""
        self._check("ForceDisconnect")
        runs = await self.service.matching_runs(args)
        if not runs:
            raise NotFoundError()
        ok = await self.service.control.force_disconnect([s.cgrid for s, _ in runs])
        return _OK if ok else "PARTIALLY_EXECUTED"

    @rpc_method("SyncSessions")
    async def sync_sessions(self, args: Any, ctx: CallContext) -> str:
        """Ask every BiJSON client for its sessions now and end the ones none reports."""
        self._check("SyncSessions")
        await self.service.control.sync_sessions()
        return _OK
