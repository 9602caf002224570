"""The StorDB schema, one SQLAlchemy Core ``MetaData`` for every SQL backend.

``versions`` (CGRateS's record of which data format each item is in, read by the migrator)
and the rating ``tp_*`` tables (one row per CSV row, ``tpid`` naming the tariff plan, money
as decimal text so no backend rounds it); CDRs and session costs join it here.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Index, Integer, MetaData, String, Table

__all__ = [
    "TP_TABLES",
    "metadata",
    "tp_destination_rates",
    "tp_destinations",
    "tp_rates",
    "tp_rating_plans",
    "tp_rating_profiles",
    "tp_timings",
    "versions",
]

logger = logging.getLogger(__name__)

metadata = MetaData()

versions = Table(
    "versions",
    metadata,
    Column("item", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)


def _tp_table(name: str, *columns: Column[object], key: tuple[str, ...] = ("tag",)) -> Table:
    table = Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("tpid", String(64), nullable=False),
        *columns,
    )
    Index(f"ix_{name}_tpid_{'_'.join(key)}", table.c.tpid, *(table.c[k] for k in key))
    return table


tp_timings = _tp_table(
    "tp_timings",
    Column("tag", String(64), nullable=False),
    Column("years", String(255), nullable=False, default=""),
    Column("months", String(255), nullable=False, default=""),
    Column("month_days", String(255), nullable=False, default=""),
    Column("week_days", String(255), nullable=False, default=""),
    Column("time", String(32), nullable=False, default=""),
)
tp_destinations = _tp_table(
    "tp_destinations",
    Column("tag", String(64), nullable=False),
    Column("prefix", String(64), nullable=False),
)
tp_rates = _tp_table(
    "tp_rates",
    Column("tag", String(64), nullable=False),
    Column("connect_fee", String(40), nullable=False, default="0"),
    Column("rate", String(40), nullable=False, default="0"),
    Column("rate_unit", String(16), nullable=False, default=""),
    Column("rate_increment", String(16), nullable=False, default=""),
    Column("group_interval_start", String(16), nullable=False, default=""),
)
tp_destination_rates = _tp_table(
    "tp_destination_rates",
    Column("tag", String(64), nullable=False),
    Column("destinations_tag", String(64), nullable=False),
    Column("rates_tag", String(64), nullable=False),
    Column("rounding_method", String(255), nullable=False, default=""),
    Column("rounding_decimals", Integer, nullable=False, default=0),
    Column("max_cost", String(40), nullable=False, default="0"),
    Column("max_cost_strategy", String(16), nullable=False, default=""),
)
tp_rating_plans = _tp_table(
    "tp_rating_plans",
    Column("tag", String(64), nullable=False),
    Column("destrates_tag", String(64), nullable=False),
    Column("timing_tag", String(64), nullable=False),
    Column("weight", String(40), nullable=False, default="0"),
)
tp_rating_profiles = _tp_table(
    "tp_rating_profiles",
    Column("loadid", String(64), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("activation_time", String(64), nullable=False),
    Column("rating_plan_tag", String(64), nullable=False),
    Column("fallback_subjects", String(64), nullable=False, default=""),
    key=("loadid", "tenant", "category", "subject"),
)

TP_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        tp_timings,
        tp_destinations,
        tp_rates,
        tp_destination_rates,
        tp_rating_plans,
        tp_rating_profiles,
    )
}
