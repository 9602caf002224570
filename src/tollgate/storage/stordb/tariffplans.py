"""Offline tariff plans in the StorDB: the rating ``tp_*`` tables, mixed into SQLStorDB.

Each TP struct is kept as its CSV rows (one per prefix, rate slot, binding, activation),
tagged with the ``tpid`` of its tariff plan, and read back grouped in insertion order.
Setting an item replaces every row of the same key, as CGRateS's ``SetTP*`` do.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table, and_, delete, insert, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from tollgate.storage.stordb.schema import (
    TP_TABLES,
    tp_destination_rates,
    tp_destinations,
    tp_rates,
    tp_rating_plans,
    tp_rating_profiles,
    tp_timings,
)
from tollgate.tariffplans import (
    ApierTPTiming,
    DestinationRate,
    RateSlot,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingActivation,
    TPRatingPlan,
    TPRatingPlanBinding,
    TPRatingProfile,
)

__all__ = ["TariffPlanStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one TP struct maps onto its table."""

    table: Table
    key: Callable[[Any], Row]  # the columns naming one item
    rows: Callable[[Any], list[Row]]  # the item's rows past tpid and key
    build: Callable[[Row], Any]  # an empty item from its first row
    add: Callable[[Any, Row], None]  # one more row into the item


def _tag(item: Any) -> Row:
    return {"tag": item.ID}


_DESTINATIONS = _Kind(
    tp_destinations,
    _tag,
    lambda d: [{"prefix": p} for p in d.Prefixes],
    lambda r: TPDestination(TPid=r["tpid"], ID=r["tag"]),
    lambda d, r: d.Prefixes.append(r["prefix"]),
)
_TIMINGS = _Kind(
    tp_timings,
    _tag,
    lambda t: [
        {
            "years": t.Years,
            "months": t.Months,
            "month_days": t.MonthDays,
            "week_days": t.WeekDays,
            "time": t.Time,
        }
    ],
    lambda r: ApierTPTiming(
        TPid=r["tpid"],
        ID=r["tag"],
        Years=r["years"],
        Months=r["months"],
        MonthDays=r["month_days"],
        WeekDays=r["week_days"],
        Time=r["time"],
    ),
    lambda t, r: None,
)
_RATES = _Kind(
    tp_rates,
    _tag,
    lambda rt: [
        {
            "connect_fee": str(s.ConnectFee),
            "rate": str(s.Rate),
            "rate_unit": s.RateUnit,
            "rate_increment": s.RateIncrement,
            "group_interval_start": s.GroupIntervalStart,
        }
        for s in rt.RateSlots
    ],
    lambda r: TPRate(TPid=r["tpid"], ID=r["tag"]),
    lambda rt, r: rt.RateSlots.append(
        RateSlot(
            ConnectFee=Decimal(r["connect_fee"]),
            Rate=Decimal(r["rate"]),
            RateUnit=r["rate_unit"],
            RateIncrement=r["rate_increment"],
            GroupIntervalStart=r["group_interval_start"],
        )
    ),
)
_DESTINATION_RATES = _Kind(
    tp_destination_rates,
    _tag,
    lambda d: [
        {
            "destinations_tag": dr.DestinationId,
            "rates_tag": dr.RateId,
            "rounding_method": dr.RoundingMethod,
            "rounding_decimals": dr.RoundingDecimals,
            "max_cost": str(dr.MaxCost),
            "max_cost_strategy": dr.MaxCostStrategy,
        }
        for dr in d.DestinationRates
    ],
    lambda r: TPDestinationRate(TPid=r["tpid"], ID=r["tag"]),
    lambda d, r: d.DestinationRates.append(
        DestinationRate(
            DestinationId=r["destinations_tag"],
            RateId=r["rates_tag"],
            RoundingMethod=r["rounding_method"],
            RoundingDecimals=r["rounding_decimals"],
            MaxCost=Decimal(r["max_cost"]),
            MaxCostStrategy=r["max_cost_strategy"],
        )
    ),
)
_RATING_PLANS = _Kind(
    tp_rating_plans,
    _tag,
    lambda p: [
        {"destrates_tag": b.DestinationRatesId, "timing_tag": b.TimingId, "weight": str(b.Weight)}
        for b in p.RatingPlanBindings
    ],
    lambda r: TPRatingPlan(TPid=r["tpid"], ID=r["tag"]),
    lambda p, r: p.RatingPlanBindings.append(
        TPRatingPlanBinding(
            DestinationRatesId=r["destrates_tag"],
            TimingId=r["timing_tag"],
            Weight=Decimal(r["weight"]),
        )
    ),
)
_RATING_PROFILES = _Kind(
    tp_rating_profiles,
    lambda p: {
        "loadid": p.LoadId,
        "tenant": p.Tenant,
        "category": p.Category,
        "subject": p.Subject,
    },
    lambda p: [
        {
            "activation_time": a.ActivationTime,
            "rating_plan_tag": a.RatingPlanId,
            "fallback_subjects": a.FallbackSubjects,
        }
        for a in p.RatingPlanActivations
    ],
    lambda r: TPRatingProfile(
        TPid=r["tpid"],
        LoadId=r["loadid"],
        Tenant=r["tenant"],
        Category=r["category"],
        Subject=r["subject"],
    ),
    lambda p, r: p.RatingPlanActivations.append(
        TPRatingActivation(
            ActivationTime=r["activation_time"],
            RatingPlanId=r["rating_plan_tag"],
            FallbackSubjects=r["fallback_subjects"],
        )
    ),
)


def _where(table: Table, tpid: str, filters: Mapping[str, str] | None) -> ColumnElement[bool]:
    """``tpid`` and every non-empty filter (CGRateS ignores empty filter values)."""
    conds = [table.c.tpid == tpid]
    conds += [table.c[col] == value for col, value in (filters or {}).items() if value]
    return and_(*conds)


class TariffPlanStore(abc.ABC):
    """``set_tp_*``/``get_tp_*``/``get_tp_ids``/``remove_tp_data`` over the ``tp_*`` tables."""

    @abc.abstractmethod
    def transaction(self, what: str) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction (SQLStorDB provides it)."""

    # -- generic --------------------------------------------------------------------------------

    async def _set(self, kind: _Kind, items: Iterable[Any]) -> None:
        table = kind.table
        async with self.transaction(f"set {table.name}") as conn:
            for item in items:
                key = kind.key(item)
                await conn.execute(delete(table).where(_where(table, item.TPid, key)))
                rows = [{"tpid": item.TPid, **key, **row} for row in kind.rows(item)]
                if rows:
                    await conn.execute(insert(table), rows)

    async def _get(self, kind: _Kind, tpid: str, filters: Mapping[str, str]) -> list[Any]:
        table = kind.table
        async with self.transaction(f"get {table.name}") as conn:
            query = select(table).where(_where(table, tpid, filters)).order_by(table.c.id)
            rows: Sequence[RowMapping] = (await conn.execute(query)).mappings().all()
        items: dict[tuple[Any, ...], Any] = {}
        for row in rows:
            data = dict(row)
            ident = tuple(kind.key(kind.build(data)).values())
            item = items.get(ident)
            if item is None:
                items[ident] = item = kind.build(data)
            kind.add(item, data)
        return list(items.values())

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
        tables = [TP_TABLES[table]] if table else list(TP_TABLES.values())
        removed = 0
        async with self.transaction(f"remove {table or 'tp'} data") as conn:
            for tbl in tables:
                result = await conn.execute(delete(tbl).where(_where(tbl, tpid, filters)))
                removed += result.rowcount or 0
        return removed

    # -- typed --------------------------------------------------------------------------------

    async def set_tp_destinations(self, items: Iterable[TPDestination]) -> None:
        await self._set(_DESTINATIONS, items)

    async def get_tp_destinations(self, tpid: str, tag: str = "") -> list[TPDestination]:
        return await self._get(_DESTINATIONS, tpid, {"tag": tag})

    async def set_tp_timings(self, items: Iterable[ApierTPTiming]) -> None:
        await self._set(_TIMINGS, items)

    async def get_tp_timings(self, tpid: str, tag: str = "") -> list[ApierTPTiming]:
        return await self._get(_TIMINGS, tpid, {"tag": tag})

    async def set_tp_rates(self, items: Iterable[TPRate]) -> None:
        await self._set(_RATES, items)

    async def get_tp_rates(self, tpid: str, tag: str = "") -> list[TPRate]:
        return await self._get(_RATES, tpid, {"tag": tag})

    async def set_tp_destination_rates(self, items: Iterable[TPDestinationRate]) -> None:
        await self._set(_DESTINATION_RATES, items)

    async def get_tp_destination_rates(self, tpid: str, tag: str = "") -> list[TPDestinationRate]:
        return await self._get(_DESTINATION_RATES, tpid, {"tag": tag})

    async def set_tp_rating_plans(self, items: Iterable[TPRatingPlan]) -> None:
        await self._set(_RATING_PLANS, items)

    async def get_tp_rating_plans(self, tpid: str, tag: str = "") -> list[TPRatingPlan]:
        return await self._get(_RATING_PLANS, tpid, {"tag": tag})

    async def set_tp_rating_profiles(self, items: Iterable[TPRatingProfile]) -> None:
        await self._set(_RATING_PROFILES, items)

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
        return await self._get(_RATING_PROFILES, tpid, filters)
