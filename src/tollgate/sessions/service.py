"""SessionService: the active sessions and what happens to them (CGRateS v0.10
``sessions/sessions.go``).

A session is forked per ChargerS run; ``*prepaid`` runs are charged as the call goes
(at initiate/update, or every ``debit_interval`` by a debit loop), ``*pseudoprepaid`` runs
are authorized against the balances and charged by CDRs later, ``*postpaid``/``*rated``
runs are only tracked. A session ends with TerminateSession (settled to its total usage),
a ``session_ttl`` without updates, ForceDisconnect or a failed channel sync. When a prepaid
debit runs short, the client the session came from (a BiJSON connection) is asked to hang
up with ``SessionSv1.DisconnectSession``; a client that cannot be reached sees the session
ended on our side after ``terminate_attempts`` tries.

Every operation on a session holds its lock; the locks of the accounts are taken by the
debits themselves (DebitService), so two sessions of one account never overdraw it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, ClassVar

from tollgate.chargers import CGREventArgs as ChargerArgs
from tollgate.chargers import ChrgSProcessEventReply
from tollgate.core.config import Config, SessionSCfg
from tollgate.core.errors import (
    ChargerSError,
    ExistsError,
    MandatoryIeMissingError,
    NotFoundError,
    RALsError,
    TollgateError,
)
from tollgate.core.registry import Service
from tollgate.core.times import ZERO_NS, format_rfc3339
from tollgate.filters import DataProvider, FilterService
from tollgate.rpc.pool import ConnManager
from tollgate.sessions.control import BiJsonClient, SessionControl, fib_pauses
from tollgate.sessions.debits import SessionDebits
from tollgate.sessions.events import (
    ACCOUNT,
    ANSWER_TIME,
    AUTH_REQUEST_TYPES,
    CATEGORY,
    CGRID,
    DEBIT_INTERVAL,
    DESTINATION,
    EVENT_NAME,
    LAST_USED,
    META_NONE,
    META_POSTPAID,
    META_PREPAID,
    META_RATED,
    ORIGIN_HOST,
    ORIGIN_ID,
    PROTECTED_FIELDS,
    REQUEST_TYPE,
    RUN_ID,
    SETUP_TIME,
    SUBJECT,
    TOR,
    USAGE,
    cgrid_of,
    event_duration,
    event_duration_or_none,
    event_string,
    event_time,
    extra_fields,
    get_set_cgrid,
)
from tollgate.sessions.models import ExternalSession, SessionFilter
from tollgate.sessions.replication import removal_wire, session_from_wire, session_wire
from tollgate.sessions.session import RunDescriptor, Session, SRun
from tollgate.sessions.subsystems import Subsystems

__all__ = ["BiJsonClient", "SessionService"]

logger = logging.getLogger(__name__)

_CLOSED = "*closed_sessions"


class SessionService(Service):
    """The active sessions of this engine and their charging."""

    name = "sessions"
    requires: ClassVar[tuple[str, ...]] = ("datadb", "apier")  # stops before the stores

    def __init__(
        self,
        cfg: Callable[[], Config],
        conns: Callable[[], ConnManager],
        filters: FilterService,
        clients: Callable[[], Mapping[str, BiJsonClient]],
        node_id: str,
    ) -> None:
        self.cfg = cfg
        self.conns = conns
        self.filters = filters
        self.clients = clients
        self.node_id = node_id
        self.active: dict[str, Session] = {}
        self.passive: dict[str, Session] = {}  # copies of a peer's sessions (replication)
        self._index: dict[tuple[str, str], set[str]] = {}  # (field, value) -> CGRIDs
        self._indexed: dict[str, set[tuple[str, str]]] = {}  # CGRID -> its index keys
        self._pending: set[str] = set()  # CGRIDs being initiated
        self._closed: dict[str, tuple[float, Session]] = {}  # for ProcessCDR
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sync: asyncio.Task[None] | None = None
        self.debits = SessionDebits(
            self.call, lambda: self.settings, lambda: self.general.rounding_decimals
        )
        self.subsystems = Subsystems(self.call, lambda: self.settings)
        self.control = SessionControl(self)

    # -- settings and plumbing -------------------------------------------------------------

    @property
    def settings(self) -> SessionSCfg:
        return self.cfg().sessions

    @property
    def general(self) -> Any:
        return self.cfg().general

    @property
    def enabled(self) -> bool:
        return bool(self.settings.enabled)

    async def call(self, conn_ids: Sequence[str], method: str, args: Any) -> Any:
        """A call through ``conn_ids``; any failure comes back as its wire text."""
        try:
            return await self.conns().call(conn_ids, method, args)
        except TollgateError:
            raise
        except Exception as exc:  # transport or router errors: their text is the answer
            raise TollgateError(str(exc)) from exc

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def default_usage(self, tor: str) -> int:
        """``GetDefaultUsage``: the ToR's default (``*any`` for no ToR), 0 if none."""
        return int(self.settings.default_usage.get(tor or "*any", 0))

    def active_runs(self) -> int:
        return sum(len(s.runs) for s in self.active.values())

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._start_sync()

    async def reload(self) -> None:
        if self._sync is not None:
            self._sync.cancel()
            self._sync = None
        if self.enabled:
            self._start_sync()

    def _start_sync(self) -> None:
        interval = self.settings.channel_sync_interval
        if interval > 0:
            self._sync = asyncio.get_running_loop().create_task(self.control.sync_loop(interval))

    async def stop(self) -> None:
        """Shutdown: every active session is ended (settled) as v0.10 does, unless a
        replication peer is there to take them over."""
        if self._sync is not None:
            self._sync.cancel()
            self._sync = None
        leave = bool(self.settings.replication_conns)
        for s in list(self.active.values()):
            async with s.lock:  # a debit in progress finishes first
                if leave:
                    s.stop_debit_loops()
                    s.stop_terminator()
                    continue
                with contextlib.suppress(TollgateError):
                    await self.end_session(s, None, None, None, one_shot=False)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the registry ----------------------------------------------------------------------

    def register(self, s: Session) -> None:
        self.active[s.cgrid] = s
        keys = self._indexed[s.cgrid] = self._index_keys(s)
        for key in keys:
            self._index.setdefault(key, set()).add(s.cgrid)

    def unregister(self, s: Session) -> None:
        if self.active.get(s.cgrid) is s:
            del self.active[s.cgrid]
            for key in self._indexed.pop(s.cgrid, ()):
                cgrids = self._index.get(key)
                if cgrids is not None:
                    cgrids.discard(s.cgrid)
                    if not cgrids:
                        del self._index[key]

    def _index_fields(self) -> set[str]:
        """``session_indexes``, OriginID always among them (as v0.10 adds it)."""
        return {*self.settings.session_indexes, ORIGIN_ID}

    def _index_keys(self, s: Session) -> set[tuple[str, str]]:
        """The (field, value) pairs of the session's runs: ``N/A`` for a missing field,
        ``*empty`` for an empty one."""
        keys = set()
        for field in self._index_fields():
            for sr in s.runs:
                value = event_string(sr.event, field) if field in sr.event else "N/A"
                keys.add((field, value or "*empty"))
        return keys

    def _candidates(self, filters: Sequence[str]) -> set[str] | None:
        """The CGRIDs the ``*string`` inline filters on indexed fields allow (None when
        no filter can use the index): only a shortcut, every filter is still checked."""
        fields = self._index_fields()
        found: set[str] | None = None
        for text in filters:
            kind, _, rest = text.partition(":")
            path, _, values = rest.partition(":")
            field = path.removeprefix("~*req.")
            if kind != "*string" or field not in fields or not values or field == path:
                continue
            allowed: set[str] = set()
            for value in values.split("|"):
                allowed |= self._index.get((field, value), set())
            found = allowed if found is None else found & allowed
        return found

    def _cache_closed(self, s: Session) -> None:
        params = self.cfg().caches.get(_CLOSED)
        ttl = params.ttl / 1e9 if params is not None else 10.0
        limit = params.limit if params is not None else -1
        if limit == 0:
            return
        now = time.monotonic()
        for key in [k for k, (until, _) in self._closed.items() if until <= now]:
            del self._closed[key]
        self._closed.pop(s.cgrid, None)
        if 0 < limit <= len(self._closed):
            del self._closed[next(iter(self._closed))]
        self._closed[s.cgrid] = (now + ttl if ttl > 0 else float("inf"), s)

    def closed(self, cgrid: str) -> Session | None:
        entry = self._closed.get(cgrid)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._closed[cgrid]
            return None
        return entry[1]

    def relocate(self, cgrid: str, event: Mapping[str, Any]) -> Session | None:
        """``getRelocateSession``: the active session, or the one started under
        ``InitialOriginID`` moved to this event's OriginID."""
        s = self.active.get(cgrid)
        initial = event_string(event, "InitialOriginID")
        if s is not None or not initial:
            return s
        host = event_string(event, ORIGIN_HOST)
        origin_id = event_string(event, ORIGIN_ID)
        s = self.active.get(cgrid_of(initial, host))
        if s is None:
            return None
        self.unregister(s)
        new = cgrid_of(origin_id, host)
        s.cgrid = new
        s.event_start[CGRID] = new
        s.event_start[ORIGIN_ID] = origin_id
        for sr in s.runs:
            sr.event[CGRID] = new
            sr.event[ORIGIN_ID] = origin_id
            sr.cd.cgrid = new
        self.register(s)
        self.spawn(self.replicate(None, cgrid_of(initial, host)))
        return s

    # -- replication (high availability) ----------------------------------------------------

    async def replicate(
        self, s: Session | None, cgrid: str = "", conn_ids: Sequence[str] | None = None
    ) -> None:
        """``replicateSessions``: copy the session to the ``replication_conns`` peers as
        a passive session; an ended (or no) session is dropped there."""
        conns = self.settings.replication_conns if conn_ids is None else conn_ids
        if not conns:
            return
        if s is not None and not s.ended and self.active.get(s.cgrid) is s:
            wire = session_wire(s, self.general.rounding_decimals)
        else:
            wire = removal_wire(s.cgrid if s is not None else cgrid)
        try:
            await self.call(conns, "SessionSv1.SetPassiveSession", wire)
        except TollgateError as exc:
            logger.warning("<SessionS> cannot replicate session <%s>: %s", wire["CGRID"], exc)

    async def set_passive(self, data: Any) -> None:
        """``SetPassiveSession``: keep a peer's session (drop it for a null EventStart);
        an active session of the same CGRID here becomes passive."""
        if not isinstance(data, dict) or not data.get("CGRID"):
            raise MandatoryIeMissingError(CGRID)
        cgrid = str(data["CGRID"])
        if data.get("EventStart") is None:
            if self.passive.pop(cgrid, None) is None:
                raise NotFoundError()
            return
        s = session_from_wire(data)
        active = self.active.get(cgrid)
        if active is not None:
            async with active.lock:
                self.unregister(active)
                active.stop_terminator()
                active.stop_debit_loops()
        self.passive[cgrid] = s

    async def activate(self, cgrids: Sequence[str]) -> bool:
        """``ActivateSessions``: the passive sessions (all without ids) become active and
        their debit loops resume where the peer's stopped; False when one was missing."""
        ok = True
        for cgrid in list(cgrids) or list(self.passive):
            s = self.passive.pop(cgrid, None)
            if s is None:
                logger.warning("<SessionS> no passive session with id: <%s>", cgrid)
                ok = False
                continue
            self.control.start_debit_loops(s)
            self.register(s)
        return ok

    async def deactivate(self, cgrids: Sequence[str]) -> bool:
        """``DeactivateSessions``: active sessions (all without ids) become passive."""
        ok = True
        for cgrid in list(cgrids) or list(self.active):
            s = self.active.get(cgrid)
            if s is None:
                logger.warning("<SessionS> no active session with id: <%s>", cgrid)
                ok = False
                continue
            async with s.lock:
                self.unregister(s)
                s.stop_terminator()
                s.stop_debit_loops()
            self.passive[cgrid] = Session(
                cgrid=s.cgrid,
                tenant=s.tenant,
                event_start=s.event_start,
                client_conn_id=s.client_conn_id,
                resource_id=s.resource_id,
                debit_interval=s.debit_interval,
                runs=s.runs,
            )
        return ok

    async def replicate_sessions(self, cgrid: str, passive: bool, conn_ids: Sequence[str]) -> None:
        """``ReplicateSessions``: copy one (or every) active or passive session to
        ``conn_ids`` now (a node coming back, maintenance)."""
        if not conn_ids:
            return
        source = self.passive if passive else self.active
        sessions = [source[cgrid]] if cgrid in source else [] if cgrid else list(source.values())
        if not sessions:
            await self.replicate(None, cgrid, conn_ids)
        for s in sessions:
            try:
                await self.call(
                    conn_ids,
                    "SessionSv1.SetPassiveSession",
                    session_wire(s, self.general.rounding_decimals),
                )
            except TollgateError as exc:
                logger.warning("<SessionS> cannot replicate session <%s>: %s", s.cgrid, exc)

    # -- forking ---------------------------------------------------------------------------

    async def fork(self, s: Session, force_duration: bool) -> None:
        """``forkSession``: one run per ChargerS fork, each with its call descriptor."""
        conns = self.settings.chargers_conns
        if not conns:
            raise TollgateError("ChargerS is disabled")
        args = ChargerArgs(Tenant=s.tenant, ID=uuid.uuid4().hex[:7], Event=dict(s.event_start))
        try:
            replies = await self.call(conns, "ChargerSv1.ProcessEvent", args)
        except TollgateError as exc:
            raise ChargerSError(exc) from None
        general = self.general
        timezone = general.default_timezone
        usage = event_duration_or_none(s.event_start, USAGE) or 0
        runs = []
        for reply in replies or ():
            if isinstance(reply, ChrgSProcessEventReply):
                event = dict(reply.CGREvent.Event or {})
            else:
                event = dict(((reply or {}).get("CGREvent") or {}).get("Event") or {})
            start = event_time(event, ANSWER_TIME, timezone) or event_time(
                s.event_start, SETUP_TIME, timezone
            )
            start_ns = start.ns if start is not None else ZERO_NS
            cd = RunDescriptor(
                cgrid=s.cgrid,
                run_id=event_string(event, RUN_ID),
                tor=event_string(event, TOR),
                tenant=s.tenant,
                category=event_string(event, CATEGORY) or general.default_category,
                subject=event_string(event, SUBJECT) or event_string(event, ACCOUNT),
                account=event_string(event, ACCOUNT),
                destination=event_string(event, DESTINATION),
                time_start=start_ns,
                time_end=start_ns + usage,
                tz=start.tz if start is not None else dt.UTC,
                extra_fields=extra_fields(event),
                force_duration=force_duration,
            )
            runs.append(SRun(event=event, cd=cd))
        s.runs = runs

    # -- the operations --------------------------------------------------------------------

    async def authorize(self, tenant: str, event: dict[str, Any], force_duration: bool) -> int:
        """``authEvent``: the usage the runs allow, at most the event's (or default) usage."""
        cgrid = get_set_cgrid(event)
        usage = event_duration(event, USAGE)
        if usage is None:
            usage = self.default_usage(event_string(event, TOR))
            event[USAGE] = usage
        s = Session(cgrid=cgrid, tenant=tenant, event_start=event)
        await self.fork(s, force_duration)
        max_usage: int | None = None
        for sr in s.runs:
            if sr.request_type not in AUTH_REQUEST_TYPES:
                allowed = usage
            else:
                try:
                    allowed = await self.debits.max_session_time(sr)
                except TollgateError as exc:
                    raise RALsError(exc) from None
            allowed = min(allowed, usage)
            if max_usage is None or allowed < max_usage:
                max_usage = allowed
        return max_usage or 0

    async def init_session(
        self,
        tenant: str,
        event: dict[str, Any],
        client_id: str,
        resource_id: str,
        debit_interval: int,
        *,
        one_shot: bool,
        force_duration: bool,
    ) -> Session:
        """``initSession``: fork and (unless one-shot) register it, starting the debit
        loops of its prepaid runs."""
        cgrid = get_set_cgrid(event)
        if USAGE not in event and LAST_USED in event:
            event[USAGE] = event[LAST_USED]
        s = Session(
            cgrid=cgrid,
            tenant=tenant,
            event_start=dict(event),
            client_conn_id=client_id,
            resource_id=resource_id,
            debit_interval=debit_interval,
        )
        if one_shot:
            await self.fork(s, force_duration)
            return s
        if cgrid in self.active or cgrid in self._pending:
            raise ExistsError()
        self._pending.add(cgrid)
        try:
            await self.fork(s, force_duration)
        finally:
            self._pending.discard(cgrid)
        self.control.start_debit_loops(s)
        self.register(s)
        return s

    async def update_session(
        self, s: Session, update: dict[str, Any] | None, *, one_shot: bool
    ) -> int:
        """``updateSession``: take the event's fields, rearm the TTL, debit the prepaid
        runs; the usage they allow."""
        if one_shot:
            return await self._update_runs(s, update)
        try:
            async with s.lock:
                if update is not None:
                    for key, value in update.items():
                        if key not in PROTECTED_FIELDS:
                            s.event_start[key] = value
                    self.update_runs_events(s, update)
                self.control.set_terminator(s)
                return await self._update_runs(s, update)
        finally:
            await self.replicate(s)

    async def _update_runs(self, s: Session, update: dict[str, Any] | None) -> int:
        event = update if update is not None else dict(s.event_start)
        asked = event_duration(event, USAGE)
        if asked is None:
            asked = self.default_usage(event_string(event, TOR))
            event[USAGE] = asked
        last_used = event_duration_or_none(event, LAST_USED)
        max_usage: int | None = None
        for sr in s.runs:
            request_type = sr.request_type
            if request_type == META_NONE:
                continue
            if request_type != META_PREPAID or s.debit_loops:
                allowed = asked
            else:
                allowed = await self.debits.debit(sr, asked, last_used)
            if max_usage is None or allowed < max_usage:
                max_usage = allowed
        return max_usage or 0

    def update_runs_events(self, s: Session, update: Mapping[str, Any]) -> None:
        """``updateSRuns``: the ``alterable_fields`` of an update go into every run."""
        alterable = self.settings.alterable_fields
        if not alterable:
            return
        for key in alterable:
            if key in update:
                for sr in s.runs:
                    sr.event[key] = update[key]

    async def end_session(
        self,
        s: Session,
        total: int | None,
        last_used: int | None,
        answer_time: str | None,
        *,
        one_shot: bool,
    ) -> None:
        """``endSession`` (caller holds the lock): unregister, stop the timers, settle."""
        if not one_shot:
            self.unregister(s)
            s.stop_terminator()
            s.stop_debit_loops()
            s.ended = True
        try:
            await self.debits.end_runs(s, total, last_used, answer_time, one_shot)
        finally:
            self._cache_closed(s)
            if not one_shot:
                await self.replicate(s)

    def debit_interval(self, event: Mapping[str, Any]) -> int:
        """The event's ``CGRDebitInterval``, else ``debit_interval`` (RALS_ERROR if bad)."""
        try:
            value = event_duration(event, DEBIT_INTERVAL)
        except TollgateError as exc:
            raise RALsError(exc) from None
        return self.settings.debit_interval if value is None else value

    async def initiate(
        self, tenant: str, event: dict[str, Any], client_id: str, force_duration: bool
    ) -> int:
        """InitiateSession's charging part: a new session; the usage it may have (the
        default usage while debit loops charge it)."""
        debit_interval = self.debit_interval(event)
        s = await self.init_session(
            tenant,
            event,
            client_id,
            event_string(event, ORIGIN_ID),
            debit_interval,
            one_shot=False,
            force_duration=force_duration,
        )
        if s.debit_loops:
            return self.default_usage(event_string(event, TOR))
        try:
            return await self.update_session(s, None, one_shot=False)
        except TollgateError as exc:
            raise RALsError(exc) from None

    async def update(
        self, tenant: str, event: dict[str, Any], client_id: str, force_duration: bool
    ) -> int:
        """UpdateSession's charging part: the session (initiated when unknown) updated."""
        debit_interval = self.debit_interval(event)
        s = self.relocate(get_set_cgrid(event), event)
        if s is None:
            s = await self.init_session(
                tenant,
                event,
                client_id,
                event_string(event, ORIGIN_ID),
                debit_interval,
                one_shot=False,
                force_duration=force_duration,
            )
        try:
            return await self.update_session(s, dict(event), one_shot=False)
        except TollgateError as exc:
            raise RALsError(exc) from None

    async def terminate(
        self,
        tenant: str,
        event: dict[str, Any],
        client_id: str,
        force_duration: bool,
        *,
        attempts: int | None = None,
    ) -> None:
        """TerminateSession's charging part. The session is looked for ``attempts`` times
        (``terminate_attempts``, short Fibonacci pauses: its Initiate may still be on the
        way); one never initiated is charged as a one-shot event. ProcessEvent's
        ``*rals:*terminate`` looks once and initiates the session first instead."""
        debit_interval = self.debit_interval(event)
        cgrid = get_set_cgrid(event)
        tries = max(self.settings.terminate_attempts if attempts is None else attempts, 1)
        pause = fib_pauses()
        s: Session | None = None
        for attempt in range(tries):
            s = self.relocate(cgrid, event)
            if s is not None or attempt + 1 == tries:
                break
            await asyncio.sleep(next(pause))
        one_shot = False
        if s is None:
            one_shot = attempts is None
            try:
                s = await self.init_session(
                    tenant,
                    event,
                    client_id,
                    event_string(event, ORIGIN_ID),
                    debit_interval,
                    one_shot=one_shot,
                    force_duration=force_duration,
                )
            except TollgateError as exc:
                raise RALsError(exc) from None
            if one_shot:
                await self.update_session(s, event, one_shot=True)
        answer_time = event_time(event, ANSWER_TIME, "")
        answer = answer_time.rfc3339() if answer_time is not None else None
        total = event_duration_or_none(event, USAGE)
        last_used = event_duration_or_none(event, LAST_USED)
        try:
            if one_shot:
                await self.end_session(s, total, last_used, answer, one_shot=True)
                return
            async with s.lock:
                self.update_runs_events(s, event)
                await self.end_session(s, total, last_used, answer, one_shot=False)
        except TollgateError as exc:
            raise RALsError(exc) from None

    async def charge_event(self, tenant: str, event: dict[str, Any], force_duration: bool) -> int:
        """``chargeEvent``: a one-shot session (an SMS, a ProcessMessage debit)."""
        s = await self.init_session(
            tenant, event, "", "", 0, one_shot=True, force_duration=force_duration
        )
        try:
            max_usage = await self.update_session(s, None, one_shot=True)
        except TollgateError as exc:
            with contextlib.suppress(TollgateError):
                await self.end_session(s, 0, None, None, one_shot=True)
            raise RALsError(exc) from None
        usage = max_usage
        if event_string(event, REQUEST_TYPE) in (META_POSTPAID, META_RATED):
            usage = event_duration_or_none(event, USAGE) or 0
        try:
            await self.end_session(s, usage, None, None, one_shot=True)
        except TollgateError as exc:
            logger.warning("<SessionS> error when ending charged event <%s>: %s", s.cgrid, exc)
        return max_usage

    # -- queries ---------------------------------------------------------------------------

    async def matching_runs(
        self, query: SessionFilter, *, passive: bool = False
    ) -> list[tuple[Session, SRun]]:
        """The runs passing every filter of ``query`` (an unknown filter id is skipped,
        as v0.10 does), at most ``Limit`` of them."""
        limit = query.Limit if query.Limit is not None and query.Limit > 0 else None
        tenant = query.Tenant or self.general.default_tenant
        out: list[tuple[Session, SRun]] = []
        sessions = self.passive if passive else self.active
        candidates = None if passive or not query.Filters else self._candidates(query.Filters)
        if candidates is None:
            chosen = list(sessions.values())
        else:
            chosen = [sessions[c] for c in candidates if c in sessions]
        for s in chosen:
            for sr in s.runs:
                if query.Filters and not await self._passes(tenant, query.Filters, sr.event):
                    continue
                out.append((s, sr))
                if limit is not None and len(out) >= limit:
                    return out
        return out

    async def _passes(self, tenant: str, filter_ids: Sequence[str], event: Any) -> bool:
        dp = DataProvider(event)
        for filter_id in filter_ids:
            try:
                if not await self.filters.pass_filters(tenant, [filter_id], dp):
                    return False
            except TollgateError as exc:
                if not str(exc).startswith("NOT_FOUND"):
                    return False
        return True

    def external(self, s: Session, sr: SRun) -> ExternalSession:
        """``AsExternalSession``."""
        timezone = self.general.default_timezone
        zero = format_rfc3339(ZERO_NS)
        setup = event_time(sr.event, SETUP_TIME, timezone)
        answer = event_time(sr.event, ANSWER_TIME, timezone)
        cd = sr.cd
        return ExternalSession(
            CGRID=s.cgrid,
            RunID=event_string(sr.event, RUN_ID),
            ToR=event_string(sr.event, TOR),
            OriginID=event_string(s.event_start, ORIGIN_ID),
            OriginHost=event_string(s.event_start, ORIGIN_HOST),
            Source="SessionS_" + event_string(s.event_start, EVENT_NAME),
            RequestType=sr.request_type,
            Tenant=s.tenant,
            Category=event_string(sr.event, CATEGORY),
            Account=event_string(sr.event, ACCOUNT),
            Subject=event_string(sr.event, SUBJECT),
            Destination=event_string(sr.event, DESTINATION),
            SetupTime=setup.rfc3339() if setup is not None else zero,
            AnswerTime=answer.rfc3339() if answer is not None else zero,
            Usage=sr.total_usage,
            ExtraFields=extra_fields(sr.event),
            NodeID=self.node_id,
            LoopIndex=cd.loop_index,
            DurationIndex=cd.duration_index,
            MaxRate=0,
            MaxRateUnit=0,
            MaxCostSoFar=cd.max_cost_so_far,
            DebitInterval=s.debit_interval,
            NextAutoDebit=(
                format_rfc3339(sr.next_auto_debit) if sr.next_auto_debit is not None else zero
            ),
        )
