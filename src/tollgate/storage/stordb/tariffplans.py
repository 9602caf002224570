"""Offline tariff plans in the StorDB: one ``tp_*`` table per CSV file, mixed into SQLStorDB.

Each TP struct is kept as its CSV rows (see :mod:`.tpkind`), tagged with the ``tpid`` of its
tariff plan, and read back grouped in insertion order. Setting an item replaces every row of
the same key, as CGRateS's ``SetTP*`` do. A whole :class:`TariffPlan` is written (optionally
over an emptied TPid) or read in one transaction.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from sqlalchemy import Table, and_, delete, insert, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from tollgate.storage.stordb import tp_accounts, tp_profiles, tp_rating
from tollgate.storage.stordb.schema import TP_TABLES
from tollgate.storage.stordb.tpkind import Row, TPKind
from tollgate.tariffplans import (
    FILE_NAMES,
    ApierTPTiming,
    TariffPlan,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingPlan,
    TPRatingProfile,
)

__all__ = ["KINDS", "TariffPlanStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# TariffPlan attribute -> how its items sit in the StorDB, in CGRateS's load order
KINDS: dict[str, TPKind[Any]] = {
    "destinations": tp_rating.DESTINATIONS,
    "timings": tp_rating.TIMINGS,
    "rates": tp_rating.RATES,
    "destination_rates": tp_rating.DESTINATION_RATES,
    "rating_plans": tp_rating.RATING_PLANS,
    "rating_profiles": tp_rating.RATING_PROFILES,
    "shared_groups": tp_accounts.SHARED_GROUPS,
    "actions": tp_accounts.ACTIONS,
    "action_plans": tp_accounts.ACTION_PLANS,
    "action_triggers": tp_accounts.ACTION_TRIGGERS,
    "account_actions": tp_accounts.ACCOUNT_ACTIONS,
    "filters": tp_profiles.FILTERS,
    "resources": tp_profiles.RESOURCES,
    "stats": tp_profiles.STATS,
    "thresholds": tp_profiles.THRESHOLDS,
    "suppliers": tp_profiles.SUPPLIERS,
    "attributes": tp_profiles.ATTRIBUTES,
    "chargers": tp_profiles.CHARGERS,
    "dispatcher_profiles": tp_profiles.DISPATCHER_PROFILES,
    "dispatcher_hosts": tp_profiles.DISPATCHER_HOSTS,
}
assert list(KINDS) == list(FILE_NAMES), "one kind per tariff-plan file, in file order"
_BY_TABLE: dict[str, TPKind[Any]] = {kind.table.name: kind for kind in KINDS.values()}


def _where(table: Table, tpid: str, filters: Mapping[str, str] | None) -> ColumnElement[bool]:
    """``tpid`` and every non-empty filter (CGRateS ignores empty filter values)."""
    conds = [table.c.tpid == tpid]
    conds += [table.c[col] == value for col, value in (filters or {}).items() if value]
    return and_(*conds)


def _blank(table: Table) -> Row:
    """Every column with a default, at its default: what a row leaves unset."""
    return {c.name: getattr(c.default, "arg", None) for c in table.columns if c.default is not None}


def _kind(table: str) -> TPKind[Any]:
    kind = _BY_TABLE.get(table)
    if kind is None:
        raise ValueError(f"no tariff-plan table {table!r}")
    return kind


async def _write(
    conn: AsyncConnection, kind: TPKind[Any], items: Iterable[Any], *, replace: bool = True
) -> int:
    """Store ``items`` (the last of one key wins), replacing their keys' rows; rows written."""
    table = kind.table
    latest: dict[tuple[Any, ...], Any] = {}
    for item in items:
        latest[(item.TPid, *kind.key_of(item).values())] = item
    blank = _blank(table)
    rows: list[Row] = []
    for item in latest.values():
        key = kind.key_of(item)
        if replace:
            exact = and_(table.c.tpid == item.TPid, *(table.c[c] == v for c, v in key.items()))
            await conn.execute(delete(table).where(exact))
        rows += [{**blank, **row, "tpid": item.TPid, **key} for row in kind.rows(item)]
    if rows:
        await conn.execute(insert(table), rows)
    return len(rows)


async def _read(
    conn: AsyncConnection, kind: TPKind[T], tpid: str, filters: Mapping[str, str] | None
) -> tuple[list[T], int]:
    """The items of a tariff plan matching ``filters``, in first-row order; and the rows."""
    table = kind.table
    order = next(iter(table.primary_key.columns))
    query = select(table).where(_where(table, tpid, filters)).order_by(order)
    rows: Sequence[RowMapping] = (await conn.execute(query)).mappings().all()
    items: dict[tuple[Any, ...], T] = {}
    for row in rows:
        data = dict(row)
        ident = kind.ident(data)
        item = items.get(ident)
        if item is None:
            items[ident] = item = kind.build(data)
        kind.add(item, data)
    return list(items.values()), len(rows)


class TariffPlanStore(abc.ABC):
    """``set_tp``/``get_tp``/``get_tp_ids``/``remove_tp_data`` over the ``tp_*`` tables."""

    @abc.abstractmethod
    def transaction(self, what: str) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction (SQLStorDB provides it)."""

    # -- any file, by table name ------------------------------------------------------------

    async def set_tp(self, table: str, items: Iterable[Any]) -> None:
        """Store TP structs of ``table``'s file, each replacing the rows of its key."""
        kind = _kind(table)
        async with self.transaction(f"set {table}") as conn:
            await _write(conn, kind, items)

    async def get_tp(
        self, table: str, tpid: str, filters: Mapping[str, str] | None = None
    ) -> list[Any]:
        """The TP structs of ``table`` in a tariff plan; ``filters`` are column values, an
        empty value matching any."""
        kind = _kind(table)
        async with self.transaction(f"get {table}") as conn:
            items, _ = await _read(conn, kind, tpid, filters)
        return items

    async def get_tp_ids(
        self,
        table: str,
        tpid: str,
        filters: Mapping[str, str] | None = None,
        *,
        distinct: Sequence[str] = ("tag",),
        search: str = "",
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[str]:
        """The distinct ``distinct`` columns (joined with ``:``) of a tariff plan's rows.

        ``search`` keeps ids where any of those columns contains it; Limit/Offset page them.
        """
        tbl = TP_TABLES[table]
        cols = [tbl.c[name] for name in distinct]
        query = select(*cols).distinct().where(_where(tbl, tpid, filters)).order_by(*cols)
        if search:
            query = query.where(or_(*(col.contains(search, autoescape=True) for col in cols)))
        if offset:
            query = query.offset(offset)
        if limit:
            query = query.limit(limit)
        async with self.transaction(f"get {table} ids") as conn:
            rows = (await conn.execute(query)).all()
        return [":".join(str(v) for v in row) for row in rows]

    async def remove_tp_data(
        self, table: str, tpid: str, filters: Mapping[str, str] | None = None
    ) -> int:
        """Delete a tariff plan's rows of ``table`` (every tp table when empty) matching
        ``filters``; how many rows went."""
        async with self.transaction(f"remove {table or 'tp'} data") as conn:
            return await self._remove(conn, table, tpid, filters)

    async def _remove(
        self, conn: AsyncConnection, table: str, tpid: str, filters: Mapping[str, str] | None
    ) -> int:
        tables = [TP_TABLES[table]] if table else list(TP_TABLES.values())
        removed = 0
        for tbl in tables:
            result = await conn.execute(delete(tbl).where(_where(tbl, tpid, filters)))
            removed += result.rowcount or 0
        return removed

    # -- whole plans --------------------------------------------------------------------------

    async def set_tariff_plan(self, plan: TariffPlan, *, flush: bool = False) -> dict[str, int]:
        """Store every file of ``plan``, all or nothing; with ``flush`` the TPid
        ``plan.tpid`` is emptied first. Rows written per CSV file name."""
        written: dict[str, int] = {}
        async with self.transaction(f"set tariff plan {plan.tpid}") as conn:
            if flush:
                await self._remove(conn, "", plan.tpid, None)
            for attr, kind in KINDS.items():
                items = getattr(plan, attr)
                written[FILE_NAMES[attr]] = await _write(conn, kind, items, replace=not flush)
        return written

    async def get_tariff_plan(self, tpid: str) -> TariffPlan:
        """Every file of the tariff plan ``tpid`` (all lists empty when there is none);
        ``rows`` counts the rows read per CSV file name."""
        plan = TariffPlan(tpid=tpid)
        async with self.transaction(f"get tariff plan {tpid}") as conn:
            for attr, kind in KINDS.items():
                items, count = await _read(conn, kind, tpid, None)
                setattr(plan, attr, items)
                if count:
                    plan.rows[FILE_NAMES[attr]] = count
        return plan

    # -- typed rating helpers ---------------------------------------------------------------

    async def set_tp_destinations(self, items: Iterable[TPDestination]) -> None:
        await self.set_tp("tp_destinations", items)

    async def get_tp_destinations(self, tpid: str, tag: str = "") -> list[TPDestination]:
        return await self.get_tp("tp_destinations", tpid, {"tag": tag})

    async def set_tp_timings(self, items: Iterable[ApierTPTiming]) -> None:
        await self.set_tp("tp_timings", items)

    async def get_tp_timings(self, tpid: str, tag: str = "") -> list[ApierTPTiming]:
        return await self.get_tp("tp_timings", tpid, {"tag": tag})

    async def set_tp_rates(self, items: Iterable[TPRate]) -> None:
        await self.set_tp("tp_rates", items)

    async def get_tp_rates(self, tpid: str, tag: str = "") -> list[TPRate]:
        return await self.get_tp("tp_rates", tpid, {"tag": tag})

    async def set_tp_destination_rates(self, items: Iterable[TPDestinationRate]) -> None:
        await self.set_tp("tp_destination_rates", items)

    async def get_tp_destination_rates(self, tpid: str, tag: str = "") -> list[TPDestinationRate]:
        return await self.get_tp("tp_destination_rates", tpid, {"tag": tag})

    async def set_tp_rating_plans(self, items: Iterable[TPRatingPlan]) -> None:
        await self.set_tp("tp_rating_plans", items)

    async def get_tp_rating_plans(self, tpid: str, tag: str = "") -> list[TPRatingPlan]:
        return await self.get_tp("tp_rating_plans", tpid, {"tag": tag})

    async def set_tp_rating_profiles(self, items: Iterable[TPRatingProfile]) -> None:
        await self.set_tp("tp_rating_profiles", items)

    async def get_tp_rating_profiles(
        self,
        tpid: str,
        *,
        loadid: str = "",
        tenant: str = "",
        category: str = "",
        subject: str = "",
    ) -> list[TPRatingProfile]:
        filters = {"loadid": loadid, "tenant": tenant, "category": category, "subject": subject}
        return await self.get_tp("tp_rating_profiles", tpid, filters)
