"""Sections of the subsystems: rating, CDRs, sessions, the profile services, dispatchers.

Template lists (CDR export fields, reader fields, loader data) stay JSON dicts for now; the
packages that use them compile them. ``None`` means "not set" for the keys CGRateS leaves
undefined by default (``string_indexed_fields``, ``session_ttl_max_delay``…); those are left
out of :meth:`Config.as_json`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tollgate.core.config.schema import Duration

__all__ = [
    "AnalyzerSCfg",
    "ApierCfg",
    "AttributeSCfg",
    "CdreCfg",
    "CdrsCfg",
    "ChargerSCfg",
    "DispatcherSCfg",
    "ERsCfg",
    "EventReaderCfg",
    "FilterSCfg",
    "LoaderCgrCfg",
    "LoaderSCfg",
    "MailerCfg",
    "MigratorCgrCfg",
    "RalsCfg",
    "ResourceSConfig",
    "SchedulerCfg",
    "SessionSCfg",
    "StatSCfg",
    "SupplierSCfg",
    "SureTaxCfg",
    "ThresholdSCfg",
]

Template = list[dict[str, Any]]


class _Section(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every section: immutable, keyword-only."""


class SchedulerCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    cdrs_conns: list[str]
    filters: list[str]


class FilterSCfg(_Section, frozen=True, kw_only=True):
    stats_conns: list[str]
    resources_conns: list[str]


class RalsCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    thresholds_conns: list[str]
    stats_conns: list[str]
    rp_subject_prefix_matching: bool
    remove_expired: bool
    max_computed_usage: dict[str, Duration]
    max_increments: int
    balance_rating_subject: dict[str, str]


class CdrsCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    extra_fields: list[str]
    store_cdrs: bool
    session_cost_retries: int
    chargers_conns: list[str]
    rals_conns: list[str]
    attributes_conns: list[str]
    thresholds_conns: list[str]
    stats_conns: list[str]
    online_cdr_exports: list[str]


class CdreCfg(_Section, frozen=True, kw_only=True):
    """One CDR export profile; a new profile id starts as a copy of ``*default``."""

    export_format: str
    export_path: str
    filters: list[str]
    tenant: str
    synchronous: bool
    attempts: int
    field_separator: str
    attributes_context: str
    fields: Template


class EventReaderCfg(_Section, frozen=True, kw_only=True):
    """One ERs reader; a new reader id starts as a copy of the ``*default`` reader."""

    id: str
    type: str
    row_length: int
    field_separator: str
    run_delay: Duration
    concurrent_requests: int
    source_path: str
    processed_path: str
    xml_root_path: str
    tenant: str
    timezone: str
    filters: list[str]
    flags: list[str]
    fields: Template
    cache_dump_fields: Template


class ERsCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    sessions_conns: list[str]
    readers: list[EventReaderCfg]


class SessionSCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    listen_bijson: str
    chargers_conns: list[str]
    rals_conns: list[str]
    cdrs_conns: list[str]
    resources_conns: list[str]
    thresholds_conns: list[str]
    stats_conns: list[str]
    suppliers_conns: list[str]
    attributes_conns: list[str]
    replication_conns: list[str]
    debit_interval: Duration
    store_session_costs: bool
    default_usage: dict[str, Duration]
    session_ttl: Duration
    session_ttl_max_delay: Duration | None = None
    session_ttl_last_used: Duration | None = None
    session_ttl_usage: Duration | None = None
    session_last_usage: Duration | None = None
    session_indexes: list[str]
    client_protocol: float
    channel_sync_interval: Duration
    terminate_attempts: int
    alterable_fields: list[str]


class _IndexedCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    indexed_selects: bool
    string_indexed_fields: list[str] | None = None
    prefix_indexed_fields: list[str]
    nested_fields: bool


class AttributeSCfg(_IndexedCfg, frozen=True, kw_only=True):
    process_runs: int


class ChargerSCfg(_IndexedCfg, frozen=True, kw_only=True):
    attributes_conns: list[str]


class ResourceSConfig(_IndexedCfg, frozen=True, kw_only=True):
    store_interval: Duration
    thresholds_conns: list[str]


class StatSCfg(_IndexedCfg, frozen=True, kw_only=True):
    store_interval: Duration
    store_uncompressed_limit: int
    thresholds_conns: list[str]


class ThresholdSCfg(_IndexedCfg, frozen=True, kw_only=True):
    store_interval: Duration


class SupplierSCfg(_IndexedCfg, frozen=True, kw_only=True):
    attributes_conns: list[str]
    resources_conns: list[str]
    stats_conns: list[str]
    rals_conns: list[str]
    default_ratio: int


class DispatcherSCfg(_IndexedCfg, frozen=True, kw_only=True):
    attributes_conns: list[str]


class LoaderSCfg(_Section, frozen=True, kw_only=True):
    """One LoaderS profile; a new id starts as a copy of the ``*default`` loader."""

    id: str
    enabled: bool
    tenant: str
    dry_run: bool
    run_delay: int
    """Seconds between runs, as in CGRateS (0: watch the folder)."""
    lock_filename: str
    caches_conns: list[str]
    field_separator: str
    tp_in_dir: str
    tp_out_dir: str
    data: Template


class MailerCfg(_Section, frozen=True, kw_only=True):
    server: str
    auth_user: str
    auth_password: str
    from_address: str


class SureTaxCfg(_Section, frozen=True, kw_only=True):
    url: str
    client_number: str
    validation_key: str
    business_unit: str
    timezone: str
    include_local_cost: bool
    return_file_code: str
    response_group: str
    response_type: str
    regulatory_code: str
    client_tracking: str
    customer_number: str
    orig_number: str
    term_number: str
    bill_to_number: str
    zipcode: str
    plus4: str
    p2pzipcode: str
    p2pplus4: str
    units: str
    unit_type: str
    tax_included: str
    tax_situs_rule: str
    trans_type_code: str
    sales_type_code: str
    tax_exemption_code_list: str


class LoaderCgrCfg(_Section, frozen=True, kw_only=True):
    """The ``loader`` section: defaults of the ``tollgate loader`` command."""

    tpid: str
    data_path: str
    disable_reverse: bool
    field_separator: str
    caches_conns: list[str]
    scheduler_conns: list[str]


class MigratorCgrCfg(_Section, frozen=True, kw_only=True):
    out_datadb_type: str
    out_datadb_host: str
    out_datadb_port: str
    out_datadb_name: str
    out_datadb_user: str
    out_datadb_password: str
    out_datadb_encoding: str
    out_stordb_type: str
    out_stordb_host: str
    out_stordb_port: str
    out_stordb_name: str
    out_stordb_user: str
    out_stordb_password: str
    users_filters: list[str]


class AnalyzerSCfg(_Section, frozen=True, kw_only=True):
    enabled: bool


class ApierCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    caches_conns: list[str]
    scheduler_conns: list[str]
    attributes_conns: list[str]
