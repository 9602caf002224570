"""CDRs and session costs in the StorDB (``cdrs``, ``sessions_costs``), mixed into SQLStorDB.

Every filter of CGRateS's ``CDRsFilter`` becomes a SQL condition (``IN``/``NOT IN`` lists,
``LIKE`` prefixes, JSON look-ups in the extra fields, time, usage and cost ranges), so a
query over millions of CDRs reads only the rows it returns. The semantics are v0.10's
``SQLStorage.GetCDRs``: ExtraFields conditions are OR-ed, NotExtraFields AND-ed, the answer,
created and updated time bounds are ignored when zero, and the MinCost/MaxCost special
cases (0/-1: "skip errors", -1 alone: "unrated") are kept as written there.
"""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, and_, delete, func, insert, not_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from tollgate.core.errors import ExistsError, ServerError
from tollgate.core.times import ZERO_NS
from tollgate.storage.errors import StorageError
from tollgate.storage.stordb.schema import cdrs as cdrs_table
from tollgate.storage.stordb.schema import sessions_costs

__all__ = [
    "ORDER_COLUMNS",
    "CDRRecord",
    "CDRStore",
    "CDRsFilter",
    "SMCostRecord",
    "datetime_ns",
    "ns_datetime",
]

logger = logging.getLogger(__name__)

_EPOCH = dt.datetime(1970, 1, 1)
_MICRO = 1000
META_EXISTS: Final = "*exists"

# OrderBy names (``<name>[;desc]``) and the column each sorts on
ORDER_COLUMNS: Final = {
    "OrderID": cdrs_table.c.id,
    "AnswerTime": cdrs_table.c.answer_time,
    "SetupTime": cdrs_table.c.setup_time,
    "Usage": cdrs_table.c.usage,
    "Cost": cdrs_table.c.cost,
}


def ns_datetime(ns: int) -> dt.datetime:
    """An instant (ns since the epoch) as the naive UTC datetime the tables hold (µs)."""
    return _EPOCH + dt.timedelta(microseconds=ns // _MICRO)


def datetime_ns(value: dt.datetime | None) -> int:
    """A stored datetime (naive UTC, or aware) back to ns since the epoch; None is zero."""
    if value is None:
        return ZERO_NS
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    delta = value - _EPOCH
    return ((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds) * _MICRO


@dataclass(slots=True)
class CDRRecord:
    """One ``cdrs`` row: times in ns since the epoch (UTC), usage in ns, cost exact."""

    cgrid: str
    run_id: str
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
    setup_time: int = ZERO_NS
    answer_time: int = ZERO_NS
    usage: int = 0
    extra_fields: dict[str, str] = field(default_factory=dict)
    cost_source: str = ""
    cost: Decimal = Decimal(-1)
    cost_details: str | None = None  # the EventCost as JSON text ("null" when none)
    extra_info: str = ""
    order_id: int = 0  # the row id, given by the store
    created_at: int | None = None
    updated_at: int | None = None


@dataclass(slots=True)
class SMCostRecord:
    """One ``sessions_costs`` row (``engine.SMCost``)."""

    cgrid: str
    run_id: str
    origin_host: str = ""
    origin_id: str = ""
    cost_source: str = ""
    usage: int = 0
    cost_details: str | None = None


@dataclass(slots=True)
class CDRsFilter:
    """CGRateS's ``utils.CDRsFilter`` with parsed values: times in ns, usage in ns."""

    cgrids: Sequence[str] = ()
    not_cgrids: Sequence[str] = ()
    run_ids: Sequence[str] = ()
    not_run_ids: Sequence[str] = ()
    origin_ids: Sequence[str] = ()
    not_origin_ids: Sequence[str] = ()
    origin_hosts: Sequence[str] = ()
    not_origin_hosts: Sequence[str] = ()
    sources: Sequence[str] = ()
    not_sources: Sequence[str] = ()
    tors: Sequence[str] = ()
    not_tors: Sequence[str] = ()
    request_types: Sequence[str] = ()
    not_request_types: Sequence[str] = ()
    tenants: Sequence[str] = ()
    not_tenants: Sequence[str] = ()
    categories: Sequence[str] = ()
    not_categories: Sequence[str] = ()
    accounts: Sequence[str] = ()
    not_accounts: Sequence[str] = ()
    subjects: Sequence[str] = ()
    not_subjects: Sequence[str] = ()
    destination_prefixes: Sequence[str] = ()
    not_destination_prefixes: Sequence[str] = ()
    costs: Sequence[Decimal] = ()
    not_costs: Sequence[Decimal] = ()
    extra_fields: Mapping[str, str] = field(default_factory=dict)
    not_extra_fields: Mapping[str, str] = field(default_factory=dict)
    order_id_start: int | None = None
    order_id_end: int | None = None
    setup_time_start: int | None = None
    setup_time_end: int | None = None
    answer_time_start: int | None = None
    answer_time_end: int | None = None
    created_at_start: int | None = None
    created_at_end: int | None = None
    updated_at_start: int | None = None
    updated_at_end: int | None = None
    min_usage: int | None = None
    max_usage: int | None = None
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    order_by: str = ""
    limit: int | None = None
    offset: int | None = None


def _within(conds: list[ColumnElement[bool]], col: Any, values: Sequence[Any], neg: bool) -> None:
    if values:
        conds.append(col.not_in(list(values)) if neg else col.in_(list(values)))


def _extra_value(field_name: str) -> Any:
    return cdrs_table.c.extra_fields[field_name].as_string()


def _conditions(f: CDRsFilter) -> list[ColumnElement[bool]]:
    c = cdrs_table.c
    conds: list[ColumnElement[bool]] = []
    for col, values, neg in (
        (c.cgrid, f.cgrids, False),
        (c.cgrid, f.not_cgrids, True),
        (c.run_id, f.run_ids, False),
        (c.run_id, f.not_run_ids, True),
        (c.origin_id, f.origin_ids, False),
        (c.origin_id, f.not_origin_ids, True),
        (c.tor, f.tors, False),
        (c.tor, f.not_tors, True),
        (c.origin_host, f.origin_hosts, False),
        (c.origin_host, f.not_origin_hosts, True),
        (c.source, f.sources, False),
        (c.source, f.not_sources, True),
        (c.request_type, f.request_types, False),
        (c.request_type, f.not_request_types, True),
        (c.tenant, f.tenants, False),
        (c.tenant, f.not_tenants, True),
        (c.category, f.categories, False),
        (c.category, f.not_categories, True),
        (c.account, f.accounts, False),
        (c.account, f.not_accounts, True),
        (c.subject, f.subjects, False),
        (c.subject, f.not_subjects, True),
        (c.cost, f.costs, False),
        (c.cost, f.not_costs, True),
    ):
        _within(conds, col, values, neg)
    if f.destination_prefixes:
        conds.append(
            or_(*(c.destination.startswith(p, autoescape=True) for p in f.destination_prefixes))
        )
    if f.not_destination_prefixes:
        conds.append(
            and_(
                *(
                    not_(c.destination.startswith(p, autoescape=True))
                    for p in f.not_destination_prefixes
                )
            )
        )
    if f.extra_fields:
        conds.append(
            or_(
                *(
                    _extra_value(k).is_not(None) if v == META_EXISTS else _extra_value(k) == v
                    for k, v in f.extra_fields.items()
                )
            )
        )
    if f.not_extra_fields:
        conds.append(
            and_(
                *(
                    _extra_value(k).is_(None)
                    if v == META_EXISTS
                    else or_(_extra_value(k).is_(None), _extra_value(k) != v)
                    for k, v in f.not_extra_fields.items()
                )
            )
        )
    if f.order_id_start is not None:
        conds.append(c.id >= f.order_id_start)
    if f.order_id_end is not None:
        conds.append(c.id < f.order_id_end)
    if f.setup_time_start is not None:
        conds.append(c.setup_time >= ns_datetime(f.setup_time_start))
    if f.setup_time_end is not None:
        conds.append(c.setup_time < ns_datetime(f.setup_time_end))
    # answer, created and updated bounds at the zero time are "not set" (v0.10's IsZero)
    for col, start, end in (
        (c.answer_time, f.answer_time_start, f.answer_time_end),
        (c.created_at, f.created_at_start, f.created_at_end),
        (c.updated_at, f.updated_at_start, f.updated_at_end),
    ):
        if start is not None and start != ZERO_NS:
            conds.append(col >= ns_datetime(start))
        if end is not None and end != ZERO_NS:
            conds.append(col < ns_datetime(end))
    if f.min_usage is not None:
        conds.append(c.usage >= f.min_usage)
    if f.max_usage is not None:
        conds.append(c.usage < f.max_usage)
    conds.extend(_cost_conditions(f.min_cost, f.max_cost))
    return conds


def _cost_conditions(min_cost: Decimal | None, max_cost: Decimal | None) -> list[Any]:
    cost = cdrs_table.c.cost
    if min_cost is not None:
        if max_cost is None:
            return [cost >= min_cost]
        if min_cost == 0 and max_cost == -1:  # skip errors
            return [or_(cost.is_(None), cost >= 0)]
        return [cost >= min_cost, cost < max_cost]
    if max_cost is not None:
        if max_cost == -1:  # non-rated
            return [cost.is_(None)]
        return [or_(cost.is_(None), cost < max_cost)]
    return []


def _order(f: CDRsFilter) -> list[Any]:
    if not f.order_by:
        return [cdrs_table.c.id]
    name, _, direction = f.order_by.partition(";")
    col = ORDER_COLUMNS.get(name)
    if col is None:
        raise ValueError(f"Invalid value : {name}")
    return [col.desc() if direction == "desc" else col, cdrs_table.c.id]


def _page(query: Select[Any], f: CDRsFilter) -> Select[Any]:
    if f.limit is not None:
        query = query.limit(f.limit)
    if f.offset is not None:
        query = query.offset(f.offset)
    return query


def _row_values(rec: CDRRecord, now: dt.datetime) -> dict[str, Any]:
    return {
        "cgrid": rec.cgrid,
        "run_id": rec.run_id,
        "origin_host": rec.origin_host,
        "source": rec.source,
        "origin_id": rec.origin_id,
        "tor": rec.tor,
        "request_type": rec.request_type,
        "tenant": rec.tenant,
        "category": rec.category,
        "account": rec.account,
        "subject": rec.subject,
        "destination": rec.destination,
        "setup_time": ns_datetime(rec.setup_time),
        "answer_time": ns_datetime(rec.answer_time),
        "usage": rec.usage,
        "extra_fields": dict(rec.extra_fields),
        "cost_source": rec.cost_source,
        "cost": rec.cost,
        "cost_details": rec.cost_details,
        "extra_info": rec.extra_info,
        "created_at": now,
    }


def _record(row: Any) -> CDRRecord:
    return CDRRecord(
        cgrid=row.cgrid,
        run_id=row.run_id,
        origin_host=row.origin_host,
        source=row.source,
        origin_id=row.origin_id,
        tor=row.tor,
        request_type=row.request_type,
        tenant=row.tenant,
        category=row.category,
        account=row.account,
        subject=row.subject,
        destination=row.destination,
        setup_time=datetime_ns(row.setup_time),
        answer_time=datetime_ns(row.answer_time),
        usage=row.usage,
        extra_fields={str(k): str(v) for k, v in (row.extra_fields or {}).items()},
        cost_source=row.cost_source,
        cost=row.cost if row.cost is not None else Decimal(-1),
        cost_details=row.cost_details,
        extra_info=row.extra_info or "",
        order_id=row.id,
        created_at=None if row.created_at is None else datetime_ns(row.created_at),
        updated_at=None if row.updated_at is None else datetime_ns(row.updated_at),
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _duplicate(exc: StorageError) -> bool:
    return isinstance(exc.__cause__, IntegrityError)


@dataclass(slots=True)
class _InsertGroup:
    """CDR inserts waiting for the writer, and the writer's turn."""

    queue: list[tuple[dict[str, Any], asyncio.Future[None]]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class CDRStore(abc.ABC):
    """The CDR and session-cost methods of a SQL StorDB."""

    _cdr_group: _InsertGroup | None = None  # made on the first insert, in the store's loop

    @abc.abstractmethod
    def transaction(self, what: str) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction (SQLStorDB provides it)."""

    async def set_cdr(self, rec: CDRRecord, allow_update: bool = False) -> None:
        """Insert a CDR; an existing CGRID+RunID+OriginID is EXISTS, or is overwritten
        with ``allow_update`` (the re-rated CDR keeps its row id).

        Inserts that arrive while another is being written wait and go together in the
        next transaction (a group commit): each call still returns only once its own row is
        committed, and a duplicate in a group fails only its own call."""
        now = _utcnow()
        values = _row_values(rec, now)
        c = cdrs_table.c
        try:
            await self._insert_grouped(values)
            return
        except ExistsError:
            if not allow_update:
                raise
        values.pop("created_at")
        values["updated_at"] = now
        async with self.transaction("update CDR") as conn:
            await conn.execute(
                update(cdrs_table)
                .where(c.cgrid == rec.cgrid, c.run_id == rec.run_id, c.origin_id == rec.origin_id)
                .values(**values)
            )

    async def _insert_grouped(self, values: dict[str, Any]) -> None:
        # group commit: one transaction (one round trip to the driver's thread or server)
        # for every insert queued meanwhile, instead of one per CDR
        group = self._cdr_group
        if group is None:
            group = self._cdr_group = _InsertGroup()
        done = asyncio.get_running_loop().create_future()
        group.queue.append((values, done))
        async with group.lock:
            if not done.done():
                batch, group.queue = group.queue, []
                await self._insert_batch(batch)
        await done

    async def _insert_batch(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            async with self.transaction("store CDRs") as conn:
                await conn.execute(insert(cdrs_table), [values for values, _ in batch])
        except StorageError as exc:
            if not _duplicate(exc) or len(batch) == 1:
                error: Exception = ExistsError() if _duplicate(exc) else exc
                for _, done in batch:
                    done.set_exception(error)
                return
        except BaseException as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(ServerError(f"storing CDRs: {exc!r}"))
            raise
        else:
            for _, done in batch:
                done.set_result(None)
            return
        # a duplicate in the group: each insert on its own, so only that one fails
        for values, done in batch:
            try:
                async with self.transaction("store CDR") as conn:
                    await conn.execute(insert(cdrs_table).values(**values))
            except StorageError as exc:
                done.set_exception(ExistsError() if _duplicate(exc) else exc)
            else:
                done.set_result(None)

    async def add_cdrs(self, recs: Sequence[CDRRecord]) -> None:
        """Insert many new CDRs in one transaction (an import, a benchmark's fill); a
        duplicate fails the whole batch with EXISTS."""
        if not recs:
            return
        now = _utcnow()
        try:
            async with self.transaction("store CDRs") as conn:
                await conn.execute(insert(cdrs_table), [_row_values(r, now) for r in recs])
        except StorageError as exc:
            if _duplicate(exc):
                raise ExistsError() from None
            raise

    async def get_cdrs(self, f: CDRsFilter) -> list[CDRRecord]:
        """The CDRs matching ``f`` (OrderBy, else in storing order; Limit/Offset applied)."""
        query = _page(select(cdrs_table).where(*_conditions(f)).order_by(*_order(f)), f)
        async with self.transaction("get CDRs") as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def count_cdrs(self, f: CDRsFilter) -> int:
        """How many CDRs match ``f`` (pagination ignored, as a SQL COUNT)."""
        query = select(func.count()).select_from(cdrs_table).where(*_conditions(f))
        async with self.transaction("count CDRs") as conn:
            return int((await conn.execute(query)).scalar_one())

    async def remove_cdrs(self, f: CDRsFilter) -> int:
        """Delete the CDRs matching ``f``; how many went."""
        conds = _conditions(f)
        async with self.transaction("remove CDRs") as conn:
            if f.limit is not None or f.offset is not None:
                # the page's ids first: MySQL refuses LIMIT in an IN (SELECT ...) subquery
                page = _page(select(cdrs_table.c.id).where(*conds).order_by(*_order(f)), f)
                ids = list((await conn.execute(page)).scalars())
                if not ids:
                    return 0
                conds = [cdrs_table.c.id.in_(ids)]
            result = await conn.execute(delete(cdrs_table).where(*conds))
            return int(result.rowcount or 0)

    # -- session costs --------------------------------------------------------------------

    async def set_sm_cost(self, rec: SMCostRecord) -> bool:
        """Store a session cost; False when one of the same CGRID+RunID is already there
        (kept, as v0.10's ``SetSMCost`` keeps the first)."""
        values = {
            "cgrid": rec.cgrid,
            "run_id": rec.run_id,
            "origin_host": rec.origin_host,
            "origin_id": rec.origin_id,
            "cost_source": rec.cost_source,
            "usage": rec.usage,
            "cost_details": rec.cost_details,
            "created_at": _utcnow(),
        }
        try:
            async with self.transaction("store session cost") as conn:
                await conn.execute(insert(sessions_costs).values(**values))
        except StorageError as exc:
            if _duplicate(exc):
                return False
            raise
        return True

    async def get_sm_costs(
        self, cgrid: str = "", run_id: str = "", origin_host: str = "", origin_id_prefix: str = ""
    ) -> list[SMCostRecord]:
        """The session costs matching every non-empty argument (OriginID by prefix)."""
        c = sessions_costs.c
        conds: list[ColumnElement[bool]] = []
        if cgrid:
            conds.append(c.cgrid == cgrid)
        if run_id:
            conds.append(c.run_id == run_id)
        if origin_host:
            conds.append(c.origin_host == origin_host)
        if origin_id_prefix:
            conds.append(c.origin_id.startswith(origin_id_prefix, autoescape=True))
        query = select(sessions_costs).where(*conds).order_by(c.id)
        async with self.transaction("get session costs") as conn:
            return [
                SMCostRecord(
                    cgrid=row.cgrid,
                    run_id=row.run_id,
                    origin_host=row.origin_host,
                    origin_id=row.origin_id,
                    cost_source=row.cost_source,
                    usage=row.usage,
                    cost_details=row.cost_details,
                )
                for row in await conn.execute(query)
                if row.cost_details
            ]

    async def remove_sm_costs(
        self,
        cgrids: Sequence[str] = (),
        run_ids: Sequence[str] = (),
        origin_hosts: Sequence[str] = (),
        origin_ids: Sequence[str] = (),
    ) -> int:
        """Delete the session costs matching every non-empty list (all when none given)."""
        c = sessions_costs.c
        conds: list[ColumnElement[bool]] = []
        _within(conds, c.cgrid, cgrids, False)
        _within(conds, c.run_id, run_ids, False)
        _within(conds, c.origin_host, origin_hosts, False)
        _within(conds, c.origin_id, origin_ids, False)
        async with self.transaction("remove session costs") as conn:
            result = await conn.execute(delete(sessions_costs).where(*conds))
            return int(result.rowcount or 0)
