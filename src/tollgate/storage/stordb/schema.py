"""The StorDB schema, one SQLAlchemy Core ``MetaData`` for every SQL backend.

``versions`` (CGRateS's record of which data format each item is in, read by the migrator)
and one ``tp_*`` table per tariff-plan CSV file, with CGRateS v0.10's table and column names
(one row per CSV row, ``tpid`` naming the tariff plan, money and weights as decimal text so
no backend rounds them; lists as ``;``-joined text). The rating and account tables number
their rows in ``id``; the profile tables, whose ``id`` is the profile's ID, in ``pk``.
``cdrs`` and ``sessions_costs`` keep v0.10's columns (see :mod:`.cdrs` for how they are
written and queried).

Opening a StorDB creates the tables it lacks and leaves existing ones alone, so a database
made by an older Tollgate gains the newer tables on its next open.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Double,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "TP_TABLES",
    "Money",
    "cdrs",
    "metadata",
    "sessions_costs",
    "tp_account_actions",
    "tp_action_plans",
    "tp_action_triggers",
    "tp_actions",
    "tp_attributes",
    "tp_chargers",
    "tp_destination_rates",
    "tp_destinations",
    "tp_dispatcher_hosts",
    "tp_dispatcher_profiles",
    "tp_filters",
    "tp_rates",
    "tp_rating_plans",
    "tp_rating_profiles",
    "tp_resources",
    "tp_shared_groups",
    "tp_stats",
    "tp_suppliers",
    "tp_thresholds",
    "tp_timings",
    "versions",
]

logger = logging.getLogger(__name__)

metadata = MetaData()

# MySQL/MariaDB: every table in utf8mb4 with the binary collation, so text compares and
# filters case- and accent-sensitively as on the other backends (and as CGRateS's IDs do)
MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

# times keep microseconds everywhere (MySQL's DATETIME drops them without fsp=6)
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# an EventCost's JSON passes MySQL's 64 KiB TEXT on long sessions
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# row ids: 64-bit on the servers; SQLite's rowid alias must be spelled INTEGER
RowID = BigInteger().with_variant(Integer(), "sqlite")

versions = Table(
    "versions",
    metadata,
    Column("item", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    **MYSQL_TABLE,
)


def _tp_table(
    name: str, *columns: Column[object], key: tuple[str, ...] = ("tag",), pk: str = "id"
) -> Table:
    table = Table(
        name,
        metadata,
        Column(pk, Integer, primary_key=True, autoincrement=True),
        Column("tpid", String(64), nullable=False),
        *columns,
        **MYSQL_TABLE,
    )
    Index(f"ix_{name}_tpid_{'_'.join(key)}", table.c.tpid, *(table.c[k] for k in key))
    return table


def _text(name: str, length: int = 64) -> Column[object]:
    return Column(name, String(length), nullable=False, default="")


def _decimal(name: str) -> Column[object]:
    return Column(name, String(40), nullable=False, default="0")


def _int(name: str) -> Column[object]:
    return Column(name, Integer, nullable=False, default=0)


def _bool(name: str) -> Column[object]:
    return Column(name, Boolean, nullable=False, default=False)


def _profile_table(name: str, *columns: Column[object]) -> Table:
    """A profile file's table: keyed by tenant and id, rows numbered in ``pk``."""
    return _tp_table(
        name,
        Column("tenant", String(64), nullable=False),
        Column("id", String(64), nullable=False),
        *columns,
        key=("tenant", "id"),
        pk="pk",
    )


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


# -- the account files --------------------------------------------------------------------------

tp_shared_groups = _tp_table(
    "tp_shared_groups",
    Column("tag", String(64), nullable=False),
    _text("account"),
    _text("strategy", 24),
    _text("rating_subject"),
)
tp_actions = _tp_table(
    "tp_actions",
    Column("tag", String(64), nullable=False),
    _text("action", 24),
    _text("extra_parameters", 255),
    _text("filters", 255),
    _text("balance_tag"),
    _text("balance_type", 24),
    _text("categories", 255),
    _text("destination_tags", 255),
    _text("rating_subject"),
    _text("shared_groups", 255),
    _text("expiry_time", 26),
    _text("timing_tags", 255),
    _text("units", 255),
    _text("balance_weight", 40),
    _text("balance_blocker", 5),
    _text("balance_disabled", 24),
    _decimal("weight"),
)
tp_action_plans = _tp_table(
    "tp_action_plans",
    Column("tag", String(64), nullable=False),
    _text("actions_tag"),
    _text("timing_tag"),
    _decimal("weight"),
)
tp_action_triggers = _tp_table(
    "tp_action_triggers",
    Column("tag", String(64), nullable=False),
    _text("unique_id"),
    _text("threshold_type"),
    _decimal("threshold_value"),
    _bool("recurrent"),
    _text("min_sleep", 16),
    _text("expiry_time", 26),
    _text("activation_time", 26),
    _text("balance_tag"),
    _text("balance_type", 24),
    _text("balance_categories", 255),
    _text("balance_destination_tags", 255),
    _text("balance_rating_subject"),
    _text("balance_shared_groups", 255),
    _text("balance_expiry_time", 26),
    _text("balance_timing_tags", 255),
    _text("balance_weight", 40),
    _text("balance_blocker", 5),
    _text("balance_disabled", 5),
    _text("actions_tag"),
    _decimal("weight"),
)
tp_account_actions = _tp_table(
    "tp_account_actions",
    Column("loadid", String(64), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("account", String(64), nullable=False),
    _text("action_plan_tag"),
    _text("action_triggers_tag"),
    _bool("allow_negative"),
    _bool("disabled"),
    key=("loadid", "tenant", "account"),
)

# -- the profile files --------------------------------------------------------------------------

tp_filters = _profile_table(
    "tp_filters",
    _text("type", 16),
    _text("element", 255),
    _text("values", 255),
    _text("activation_interval"),
)
tp_attributes = _profile_table(
    "tp_attributes",
    _text("contexts", 255),
    _text("filter_ids", 255),
    _text("activation_interval"),
    _text("attribute_filter_ids", 255),
    _text("path", 255),
    _text("type"),
    _text("value", 255),
    _bool("blocker"),
    _decimal("weight"),
)
tp_chargers = _profile_table(
    "tp_chargers",
    _text("filter_ids", 255),
    _text("activation_interval"),
    _text("run_id"),
    _text("attribute_ids", 255),
    _decimal("weight"),
)
tp_resources = _profile_table(
    "tp_resources",
    _text("filter_ids", 255),
    _text("activation_interval"),
    _text("usage_ttl", 32),
    _text("limit"),
    _text("allocation_message"),
    _bool("blocker"),
    _bool("stored"),
    _decimal("weight"),
    _text("threshold_ids", 255),
)
tp_stats = _profile_table(
    "tp_stats",
    _text("filter_ids", 255),
    _text("activation_interval"),
    _int("queue_length"),
    _text("ttl", 32),
    _int("min_items"),
    _text("metric_ids", 255),
    _text("metric_filter_ids", 255),
    _bool("stored"),
    _bool("blocker"),
    _decimal("weight"),
    _text("threshold_ids", 255),
)
tp_thresholds = _profile_table(
    "tp_thresholds",
    _text("filter_ids", 255),
    _text("activation_interval"),
    _int("max_hits"),
    _int("min_hits"),
    _text("min_sleep", 16),
    _bool("blocker"),
    _decimal("weight"),
    _text("action_ids", 255),
    _bool("async"),
)
tp_suppliers = _profile_table(
    "tp_suppliers",
    _text("filter_ids", 255),
    _text("activation_interval"),
    _text("sorting", 32),
    _text("sorting_parameters", 255),
    _text("supplier_id"),
    _text("supplier_filter_ids", 255),
    _text("supplier_account_ids", 255),
    _text("supplier_ratingplan_ids", 255),
    _text("supplier_resource_ids", 255),
    _text("supplier_stat_ids", 255),
    _decimal("supplier_weight"),
    _bool("supplier_blocker"),
    _text("supplier_parameters", 255),
    _decimal("weight"),
)
tp_dispatcher_profiles = _profile_table(
    "tp_dispatcher_profiles",
    _text("subsystems", 255),
    _text("filter_ids", 255),
    _text("activation_interval"),
    _text("strategy"),
    _text("strategy_parameters", 255),
    _text("conn_id"),
    _text("conn_filter_ids", 255),
    _decimal("conn_weight"),
    _bool("conn_blocker"),
    _text("conn_parameters", 255),
    _decimal("weight"),
)
tp_dispatcher_hosts = _profile_table(
    "tp_dispatcher_hosts",
    _text("address", 255),
    _text("transport"),
    _bool("tls"),
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
        tp_shared_groups,
        tp_actions,
        tp_action_plans,
        tp_action_triggers,
        tp_account_actions,
        tp_filters,
        tp_resources,
        tp_stats,
        tp_thresholds,
        tp_suppliers,
        tp_attributes,
        tp_chargers,
        tp_dispatcher_profiles,
        tp_dispatcher_hosts,
    )
}


# -- CDRs and session costs ----------------------------------------------------------------


class Money(TypeDecorator[Decimal]):
    """A cost compared in SQL (ranges, ``IN``) and read back exact: NUMERIC(30,10) where
    the backend has decimals; SQLite keeps a double, read back through its shortest repr
    (exact for any cost of up to 15 significant digits, what CGRateS's float64 holds)."""

    impl = Numeric(30, 10)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Double())
        return dialect.type_descriptor(Numeric(30, 10, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return float(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            return Decimal(repr(value))
        # NUMERIC(30,10) reads back as 1.5000000000: drop the scale's padding zeros
        exact = Decimal(value)
        if exact == exact.to_integral_value():
            return exact.quantize(_ONE)
        return exact.normalize()


_ONE = Decimal(1)


# v0.10's create_cdrs_tables.sql: one row per CDR run, unique on CGRID+RunID+OriginID;
# times as UTC datetimes, usage in ns, extra fields as a JSON object, cost details as the
# EventCost JSON. The indexes serve GetCDRs' filters (account + time range first).
cdrs = Table(
    "cdrs",
    metadata,
    Column("id", RowID, primary_key=True, autoincrement=True),
    Column("cgrid", String(40), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("origin_host", String(64), nullable=False, default=""),
    Column("source", String(64), nullable=False, default=""),
    Column("origin_id", String(128), nullable=False, default=""),
    Column("tor", String(16), nullable=False, default=""),
    Column("request_type", String(24), nullable=False, default=""),
    Column("tenant", String(64), nullable=False, default=""),
    Column("category", String(64), nullable=False, default=""),
    Column("account", String(128), nullable=False, default=""),
    Column("subject", String(128), nullable=False, default=""),
    Column("destination", String(128), nullable=False, default=""),
    Column("setup_time", Timestamp, nullable=False),
    Column("answer_time", Timestamp, nullable=False),
    Column("usage", BigInteger, nullable=False, default=0),
    Column("extra_fields", JSON(none_as_null=True), nullable=False),
    Column("cost_source", String(64), nullable=False, default=""),
    Column("cost", Money(), nullable=False),
    Column("cost_details", LongText, nullable=True),
    Column("extra_info", Text, nullable=True),
    Column("created_at", Timestamp, nullable=True),
    Column("updated_at", Timestamp, nullable=True),
    Column("deleted_at", Timestamp, nullable=True),
    UniqueConstraint("cgrid", "run_id", "origin_id", name="cdrrun"),
    **MYSQL_TABLE,
)
Index("ix_cdrs_run_id", cdrs.c.run_id)
Index("ix_cdrs_origin_id", cdrs.c.origin_id)
Index("ix_cdrs_tenant_category", cdrs.c.tenant, cdrs.c.category)
Index("ix_cdrs_account_answer_time", cdrs.c.account, cdrs.c.answer_time)
Index("ix_cdrs_account_setup_time", cdrs.c.account, cdrs.c.setup_time)
Index("ix_cdrs_subject", cdrs.c.subject)
Index("ix_cdrs_destination", cdrs.c.destination)
Index("ix_cdrs_answer_time", cdrs.c.answer_time)
Index("ix_cdrs_setup_time", cdrs.c.setup_time)

# SessionS' charges per session run, read by CDRs when the CDR of a *prepaid run comes in
sessions_costs = Table(
    "sessions_costs",
    metadata,
    Column("id", RowID, primary_key=True, autoincrement=True),
    Column("cgrid", String(40), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("origin_host", String(64), nullable=False, default=""),
    Column("origin_id", String(128), nullable=False, default=""),
    Column("cost_source", String(64), nullable=False, default=""),
    Column("usage", BigInteger, nullable=False, default=0),
    Column("cost_details", LongText, nullable=True),
    Column("created_at", Timestamp, nullable=True),
    Column("deleted_at", Timestamp, nullable=True),
    UniqueConstraint("cgrid", "run_id", name="costid"),
    **MYSQL_TABLE,
)
Index("origin_idx", sessions_costs.c.origin_host, sessions_costs.c.origin_id)
Index("run_origin_idx", sessions_costs.c.run_id, sessions_costs.c.origin_id)
