"""CDRService: every call ends as a rated, stored CDR (v0.10's ``engine/cdrs.go``).

``process`` is ``processEvents``, in its order: AttributeS alters each event; ChargerS forks
it into runs; a CGRID+RunID seen in the last ``caches.*cdr_ids`` TTL is EXISTS (unless
refunding); events become CDRs (a refund takes the CostDetails of the stored CDR when the
event has none); ``*refund`` gives the CostDetails back; ``*rals`` rates through RALs (a
failure leaves Cost -1 and the error in ExtraInfo); ``*store`` writes the StorDB (a
duplicate is EXISTS and refunds what was charged, ``*rerate`` overwrites instead); then
``*export``, ``*thresholds`` and ``*stats``, whose failures make the reply
PARTIALLY_EXECUTED after everything else was done.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tollgate.cdrs.args import SMCost
from tollgate.cdrs.eventcost import compute, dump, parse_event_cost
from tollgate.cdrs.models import (
    CDR,
    CGRID,
    COST_DETAILS,
    ORIGIN_HOST,
    ORIGIN_ID,
    RUN_ID,
    CDRDefaults,
    cgrid_of,
)
from tollgate.cdrs.rater import Rater
from tollgate.core.errors import (
    ExistsError,
    NotConnectedError,
    NotFoundError,
    PartiallyExecutedError,
    ServerError,
    TollgateError,
)
from tollgate.filters import as_string
from tollgate.storage.errors import StorageError
from tollgate.storage.stordb import CDRsFilter, CDRStore, SMCostRecord

if TYPE_CHECKING:
    from tollgate.core.config import Config
    from tollgate.core.config.service_sections import CdrsCfg
    from tollgate.rpc.pool import ConnManager
    from tollgate.storage.stordb import StorDB

__all__ = ["CDRService", "Event", "Flags", "parse_flags"]

logger = logging.getLogger(__name__)

META_CDRS: Final = "*cdrs"
CDR_IDS_CACHE: Final = "*cdr_ids"
CONTEXT: Final = "Context"
EVENT_TYPE: Final = "EventType"


@dataclass(slots=True)
class Event:
    """A CGREvent on its way through CDRs."""

    tenant: str
    event: dict[str, Any]
    id: str = ""
    time: str | None = None

    def wire(self) -> dict[str, Any]:
        return {"Tenant": self.tenant, "ID": self.id, "Time": self.time, "Event": self.event}


@dataclass(slots=True)
class Flags:
    """What ``processEvents`` does to the events."""

    attributes: bool = False
    chargers: bool = False
    refund: bool = False
    rals: bool = False
    store: bool = False
    rerate: bool = False
    export: bool = False
    thresholds: bool = False
    stats: bool = False


def parse_flags(flags: Sequence[str]) -> dict[str, bool]:
    """``FlagsWithParamsFromSlice`` + ``GetBool``: a bare flag is true, ``*x:false`` false
    (only the first parameter counts); a flag with two ``:`` is UNSUPPORTED_FORMAT."""
    out: dict[str, bool] = {}
    for flag in flags:
        parts = flag.split(":")
        if len(parts) > 2:
            raise TollgateError("UNSUPPORTED_FORMAT")
        params = parts[1].split(";") if len(parts) == 2 else []
        out[parts[0]] = not params or params[0] == "true"
    return out


def _builtins(value: Any) -> Any:
    """A reply as plain values (Structs from ``*internal`` peers, Decimals kept)."""
    if isinstance(value, msgspec.Struct | list | dict):
        return msgspec.to_builtins(value, builtin_types=(Decimal,))
    return value


def _short_id() -> str:
    return uuid.uuid4().hex[:7]


class _SeenIDs:
    """CGRateS's ``*cdr_ids`` cache: the CGRID:RunID keys processed lately (``ttl``
    seconds, at most ``limit`` keys when positive; the oldest go first)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._expiry: dict[str, float] = {}  # insertion order: the oldest first

    def has(self, key: str) -> bool:
        expiry = self._expiry.get(key)
        return expiry is not None and expiry >= self.clock()

    def add(self, key: str, ttl: float, limit: int) -> None:
        if limit == 0:
            return
        now = self.clock()
        self._expiry.pop(key, None)
        self._expiry[key] = now + ttl if ttl > 0 else float("inf")
        # entries share one TTL, so the expired ones are at the front
        while self._expiry:
            oldest, expiry = next(iter(self._expiry.items()))
            if expiry >= now and not (0 < limit < len(self._expiry)):
                break
            del self._expiry[oldest]

    def __len__(self) -> int:
        return len(self._expiry)


@dataclass
class CDRService:
    """CDRs: ProcessEvent/ProcessCDR/RateCDRs, session costs and the CDR queries."""

    cfg: Callable[[], Config]
    conns: Callable[[], ConnManager]
    stordb: Callable[[], StorDB | None]
    sleep: Callable[[float], Any] = asyncio.sleep
    # online_cdr_exports: set by the engine to ExportService.online (tollgate.exporters)
    online_export: Callable[[list[CDR]], Awaitable[bool]] | None = None
    _seen: _SeenIDs = field(default_factory=_SeenIDs)
    _cost_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    # -- settings -------------------------------------------------------------------------

    @property
    def settings(self) -> CdrsCfg:
        return self.cfg().cdrs

    @property
    def enabled(self) -> bool:
        return bool(self.settings.enabled)

    @property
    def timezone(self) -> str:
        return str(self.cfg().general.default_timezone)

    def defaults(self) -> CDRDefaults:
        g = self.cfg().general
        return CDRDefaults(
            request_type=g.default_request_type,
            tenant=g.default_tenant,
            category=g.default_category,
            timezone=g.default_timezone,
        )

    def store(self) -> CDRStore:
        db = self.stordb()
        if not isinstance(db, CDRStore):
            raise StorageError("the StorDB is not open")
        return db

    def rater(self) -> Rater:
        cfg = self.settings
        return Rater(
            call=self.conns().call,
            rals_conns=list(cfg.rals_conns),
            decimals=self.cfg().general.rounding_decimals,
            store=self.store,
            session_cost_retries=cfg.session_cost_retries,
            sleep=self.sleep,
        )

    def default_flags(self, flags: Sequence[str] = ()) -> Flags:
        """The ProcessEvent/RateCDRs flags: each subsystem on when its conns are set
        (store per ``store_cdrs``, export per ``online_cdr_exports``), as the flags say."""
        cfg = self.settings
        given = parse_flags(flags)
        out = Flags(
            attributes=given.get("*attributes", bool(cfg.attributes_conns)),
            chargers=given.get("*chargers", bool(cfg.chargers_conns)),
            refund=given.get("*refund", False),
            rals=given.get("*rals", False),
            store=given.get("*store", bool(cfg.store_cdrs)),
            rerate=given.get("*rerate", False),
            export=given.get("*export", bool(cfg.online_cdr_exports)),
            thresholds=given.get("*thresholds", bool(cfg.thresholds_conns)),
            stats=given.get("*stats", bool(cfg.stats_conns)),
        )
        if out.rerate:
            out.rals = True
        return out

    # -- the pipeline ---------------------------------------------------------------------

    async def process(self, events: list[Event], flags: Flags) -> None:
        """``processEvents``; raises EXISTS, PARTIALLY_EXECUTED or the store's error."""
        cfg = self.settings
        call = self.conns().call
        refund = flags.refund or flags.rerate
        if flags.attributes:
            for ev in events:
                try:
                    await self._attributes(ev)
                except TollgateError as exc:
                    logger.warning("<CDRs> error <%s> processing event with AttributeS", exc)
                    raise PartiallyExecutedError() from None
        if flags.chargers:
            forked: list[Event] = []
            for ev in events:
                try:
                    forked.extend(await self._chargers(ev))
                except TollgateError as exc:
                    logger.warning("<CDRs> error <%s> processing event with ChargerS", exc)
                    raise PartiallyExecutedError() from None
            events = forked
        if not refund:
            self._check_duplicates(events, flags.rerate)
        cdrs: list[CDR] = []
        if refund or flags.rals or flags.store or flags.export:
            cdrs = await self._as_cdrs(events, refund)
        rater = self.rater()
        if refund:
            for cdr in cdrs:
                try:
                    if await rater.refund(cdr.cost_details, cdr.request_type, cdr.tor):
                        cdr.cost_details = None  # so rating charges it again
                except TollgateError as exc:
                    logger.warning("<CDRs> error <%s> refunding CDR <%s>", exc, cdr.cgrid)
        if flags.rals:
            for index in range(len(cdrs)):
                for position, rated in enumerate(await rater.rate_with_error(cdrs[index])):
                    ev = Event(rated.tenant, rated.as_event(), _short_id(), events[index].time)
                    if position == 0:
                        cdrs[index], events[index] = rated, ev
                    else:
                        cdrs.append(rated)
                        events.append(ev)
        if flags.store:
            await self._store(cdrs, rater, flags.rerate)
        partial = False
        if (  # online_cdr_exports: the exporters' hook (tollgate.exporters)
            flags.export
            and cfg.online_cdr_exports
            and (self.online_export is None or not await self.online_export(cdrs))
        ):
            partial = True
        if flags.thresholds:
            for ev in events:
                thd = Event(ev.tenant, {**ev.event, EVENT_TYPE: "CDR"}, ev.id, ev.time)
                if not await self._notify(
                    call, cfg.thresholds_conns, "ThresholdSv1.ProcessEvent", thd.wire()
                ):
                    partial = True
        if flags.stats:
            for ev in events:
                if not await self._notify(call, cfg.stats_conns, "StatSv1.ProcessEvent", ev.wire()):
                    partial = True
        if partial:
            raise PartiallyExecutedError()

    async def _attributes(self, ev: Event) -> None:
        context = as_string(ev.event.get(CONTEXT)) or META_CDRS
        args = {"Context": context, **ev.wire()}
        try:
            reply = _builtins(
                await self.conns().call(
                    self.settings.attributes_conns, "AttributeSv1.ProcessEvent", args
                )
            )
        except NotFoundError:
            return
        if isinstance(reply, dict) and reply.get("AlteredFields"):
            altered = reply.get("CGREvent") or {}
            ev.tenant = str(altered.get("Tenant") or ev.tenant)
            ev.event = dict(altered.get("Event") or {})

    async def _chargers(self, ev: Event) -> list[Event]:
        reply = _builtins(
            await self.conns().call(
                self.settings.chargers_conns, "ChargerSv1.ProcessEvent", ev.wire()
            )
        )
        out = []
        for run in reply or ():
            forked = run.get("CGREvent") or {}
            out.append(
                Event(
                    tenant=str(forked.get("Tenant") or ev.tenant),
                    event=dict(forked.get("Event") or {}),
                    id=str(forked.get("ID") or ev.id),
                    time=forked.get("Time", ev.time),
                )
            )
        return out

    def _check_duplicates(self, events: list[Event], rerate: bool) -> None:
        cache = self.cfg().caches.get(CDR_IDS_CACHE)
        ttl = (cache.ttl / 1e9) if cache is not None else 600.0
        limit = cache.limit if cache is not None else -1
        for ev in events:
            if CGRID not in ev.event:
                ev.event[CGRID] = cgrid_of(
                    as_string(ev.event.get(ORIGIN_ID)), as_string(ev.event.get(ORIGIN_HOST))
                )
            key = f"{as_string(ev.event[CGRID])}:{as_string(ev.event.get(RUN_ID))}"
            if self._seen.has(key) and not rerate:
                logger.warning("<CDRs> error <EXISTS> processing event <%s>", key)
                raise ExistsError()
            self._seen.add(key, ttl, limit)

    async def _as_cdrs(self, events: list[Event], refund: bool) -> list[CDR]:
        defaults = self.defaults()
        cdrs = []
        for ev in events:
            if refund and COST_DETAILS not in ev.event:
                # refunding what the stored CDR of this CGRID and RunID was charged
                cgrid = as_string(ev.event.get(CGRID)) or cgrid_of(
                    as_string(ev.event.get(ORIGIN_ID)), as_string(ev.event.get(ORIGIN_HOST))
                )
                found = await self.store().get_cdrs(
                    CDRsFilter(cgrids=[cgrid], run_ids=[as_string(ev.event.get(RUN_ID))])
                )
                if not found:
                    logger.error("<CDRs> could not retrieve previously stored CDR <%s>", cgrid)
                    raise PartiallyExecutedError()
                ev.event[COST_DETAILS] = parse_event_cost(found[0].cost_details)
            try:
                cdrs.append(CDR.from_event(ev.event, ev.tenant, defaults))
            except TollgateError as exc:
                logger.warning("<CDRs> error <%s> converting event to CDR", exc)
                raise PartiallyExecutedError() from None
        return cdrs

    async def _store(self, cdrs: list[CDR], rater: Rater, rerate: bool) -> None:
        store = self.store()
        for cdr in cdrs:
            record = cdr.to_record()
            try:
                await store.set_cdr(record)
                continue
            except ExistsError:
                if not rerate:
                    await self._refund_all(cdrs, rater)
                    raise
            except TollgateError:
                await self._refund_all(cdrs, rater)
                raise
            try:
                await store.set_cdr(record, allow_update=True)
            except TollgateError as exc:
                logger.warning("<CDRs> error <%s> updating CDR <%s>", exc, cdr.cgrid)
                raise PartiallyExecutedError() from None

    async def _refund_all(self, cdrs: list[CDR], rater: Rater) -> None:
        """What was charged for CDRs that cannot be stored goes back."""
        for cdr in cdrs:
            try:
                await rater.refund(cdr.cost_details, cdr.request_type, cdr.tor)
            except TollgateError as exc:
                logger.warning("<CDRs> error <%s> refunding CDR <%s>", exc, cdr.cgrid)

    @staticmethod
    async def _notify(call: Any, conns: Sequence[str], method: str, args: dict[str, Any]) -> bool:
        """ThresholdS/StatS: NOT_FOUND is fine; any other error is logged, False."""
        try:
            await call(conns, method, args)
        except NotFoundError:
            return True
        except TollgateError as exc:
            logger.warning("<CDRs> error <%s> calling %s", exc, method)
            return False
        return True

    # -- entry points ---------------------------------------------------------------------

    async def process_event(
        self,
        tenant: str,
        ev_id: str,
        event: dict[str, Any],
        time_: str | None,
        flags: Sequence[str],
    ) -> None:
        """CDRsV1.ProcessEvent."""
        tenant = tenant or self.cfg().general.default_tenant
        await self.process(
            [Event(tenant, event, ev_id or str(uuid.uuid4()), time_)], self.default_flags(flags)
        )

    async def process_cdr(self, cdr: CDR) -> None:
        """CDRsV1.ProcessCDR: defaults filled; forked and rated unless PreRated."""
        if not cdr.cgrid:
            cdr.compute_cgrid()
        g = self.cfg().general
        cdr.request_type = cdr.request_type or g.default_request_type
        cdr.tenant = cdr.tenant or g.default_tenant
        cdr.category = cdr.category or g.default_category
        cdr.subject = cdr.subject or cdr.account
        cdr.run_id = cdr.run_id or "*default"
        cfg = self.settings
        flags = Flags(
            chargers=bool(cfg.chargers_conns) and not cdr.pre_rated,
            attributes=bool(cfg.attributes_conns),
            rals=not cdr.pre_rated,
            store=bool(cfg.store_cdrs),
            export=bool(cfg.online_cdr_exports),
            thresholds=bool(cfg.thresholds_conns),
            stats=bool(cfg.stats_conns),
        )
        await self.process([Event(cdr.tenant, cdr.as_event(), _short_id())], flags)

    async def rate_cdrs(self, f: CDRsFilter, flags: Sequence[str]) -> None:
        """CDRsV1.RateCDRs: the stored CDRs matching ``f`` rated again (Cost reset)."""
        found = await self.store().get_cdrs(f)
        if not found:
            raise NotFoundError()
        cfg = self.settings
        given = parse_flags(flags)
        opts = self.default_flags(flags)
        opts.rerate = given.get("*rerate", False)
        opts.refund = False
        opts.rals = True
        if opts.chargers and not cfg.chargers_conns:
            raise NotConnectedError("ChargerS")
        default_tenant = self.cfg().general.default_tenant
        events = []
        for rec in found:
            cdr = CDR.from_record(rec)
            cdr.cost = Decimal(-1)
            cdr.tenant = cdr.tenant or default_tenant
            events.append(Event(cdr.tenant, cdr.as_event(), _short_id()))
        try:
            await self.process(events, opts)
        except TollgateError as exc:
            raise ServerError(exc) from None

    async def store_session_cost(self, cost: SMCost | None, check_duplicate: bool) -> None:
        """CDRsV1/V2.StoreSessionCost: keep a run's charges for its CDR to come."""
        if cost is None or not cost.CGRID:
            raise TollgateError("mandatory information missing: CGRID")
        try:
            ec = parse_event_cost(cost.CostDetails)
        except TollgateError as exc:
            raise ServerError(exc) from None
        if ec is not None:
            compute(ec, self.cfg().general.rounding_decimals)
        record = SMCostRecord(
            cgrid=cost.CGRID,
            run_id=cost.RunID,
            origin_host=cost.OriginHost,
            origin_id=cost.OriginID,
            cost_source=cost.CostSource,
            usage=cost.Usage,
            cost_details=None if ec is None else dump(ec),
        )
        store = self.store()
        if not check_duplicate:
            if ec is not None:
                await store.set_sm_cost(record)
            return
        async with self._cost_lock:  # the check and the write in one step (v0.10's guard)
            if await store.get_sm_costs(cost.CGRID, cost.RunID):
                raise ServerError(ExistsError())
            if ec is not None:
                await store.set_sm_cost(record)

    # -- queries --------------------------------------------------------------------------

    async def get_cdrs(self, f: CDRsFilter) -> list[CDR]:
        """The stored CDRs matching ``f``; ValueError for a bad OrderBy."""
        return [CDR.from_record(rec) for rec in await self.store().get_cdrs(f)]

    async def count_cdrs(self, f: CDRsFilter) -> int:
        return await self.store().count_cdrs(f)

    async def remove_cdrs(self, f: CDRsFilter) -> int:
        return await self.store().remove_cdrs(f)
