"""Sections of the engine itself: general, connections, databases, listeners, caches.

Field names are the JSON keys; a field without a Python default is always filled from
``defaults.json``. Durations are ``int`` nanoseconds (:data:`Duration`).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from tollgate.core.config.schema import Duration, LogLevel

__all__ = [
    "CacheParamCfg",
    "DataDbCfg",
    "GeneralCfg",
    "HTTPCfg",
    "ItemOpt",
    "ListenCfg",
    "RPCConn",
    "RemoteHost",
    "StorDbCfg",
    "StorItemOpt",
    "TLSCfg",
]

ConcurrentStrategy = Literal["*busy", "*queue"]
PoolStrategy = Literal[
    "*first",
    "*next",
    "*random",
    "*round_robin",
    "*broadcast",
    "*broadcast_sync",
    "*broadcast_async",
    "*first_positive",
    "*first_positive_async",
    "*parallel",
]
Transport = Literal["*json", "*gob", "*http_jsonrpc"]


class _Section(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every section: immutable, keyword-only."""


class GeneralCfg(_Section, frozen=True, kw_only=True):
    node_id: str
    logger: Literal["*syslog", "*stdout"]
    log_level: LogLevel
    http_skip_tls_verify: bool
    rounding_decimals: int
    dbdata_encoding: Literal["*msgpack", "*json"]
    tpexport_dir: str
    poster_attempts: int
    failed_posts_dir: str
    failed_posts_ttl: Duration
    default_request_type: str
    default_category: str
    default_tenant: str
    default_timezone: str
    default_caching: str
    connect_attempts: int
    reconnects: int
    connect_timeout: Duration
    reply_timeout: Duration
    locking_timeout: Duration
    digest_separator: str
    digest_equal: str
    rsr_separator: str
    max_parallel_conns: int
    concurrent_requests: int
    concurrent_strategy: ConcurrentStrategy
    data_dir: str
    """Tollgate: where the engine keeps its files; "" lets the command line decide."""


class RemoteHost(_Section, frozen=True, kw_only=True):
    address: str
    transport: Transport = "*json"
    synchronous: bool = False
    tls: bool = False


class RPCConn(_Section, frozen=True, kw_only=True):
    strategy: PoolStrategy = "*first"
    pool_size: int = msgspec.field(default=0, name="poolSize")
    conns: list[RemoteHost]


class ItemOpt(_Section, frozen=True, kw_only=True):
    """One DataDB partition: remote/replicated and its in-memory limits."""

    remote: bool = False
    replicate: bool = False
    limit: int = -1
    ttl: Duration = 0
    static_ttl: bool = False


class StorItemOpt(_Section, frozen=True, kw_only=True):
    limit: int = -1
    ttl: Duration = 0
    static_ttl: bool = False


class DataDbCfg(_Section, frozen=True, kw_only=True):
    db_type: Literal["*internal", "*redis"]
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str
    redis_sentinel: str
    query_timeout: Duration
    remote_conns: list[str]
    replication_conns: list[str]
    items: dict[str, ItemOpt]
    internal_fsync: Literal["always", "everysec", "no"]
    """Tollgate: when the *internal append-only log is fsynced."""
    internal_snapshot_interval: Duration
    """Tollgate: how often the *internal store writes a snapshot and truncates its log."""
    internal_snapshot_records: int
    """Tollgate: also snapshot after this many logged records."""


class StorDbCfg(_Section, frozen=True, kw_only=True):
    db_type: Literal["*internal", "*sqlite", "*postgres", "*mysql"]
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str
    max_open_conns: int
    max_idle_conns: int
    conn_max_lifetime: int
    """Seconds, as in CGRateS (0: unlimited)."""
    string_indexed_fields: list[str]
    prefix_indexed_fields: list[str]
    query_timeout: Duration
    sslmode: str
    items: dict[str, StorItemOpt]


class ListenCfg(_Section, frozen=True, kw_only=True):
    rpc_json: str
    rpc_gob: str
    http: str
    rpc_json_tls: str
    rpc_gob_tls: str
    http_tls: str


class TLSCfg(_Section, frozen=True, kw_only=True):
    server_certificate: str
    server_key: str
    client_certificate: str
    client_key: str
    ca_certificate: str
    server_policy: Literal[0, 1, 2, 3, 4]
    server_name: str


class HTTPCfg(_Section, frozen=True, kw_only=True):
    json_rpc_url: str
    ws_url: str
    freeswitch_cdrs_url: str
    http_cdrs: str
    use_basic_auth: bool
    auth_users: dict[str, str]


class CacheParamCfg(_Section, frozen=True, kw_only=True):
    limit: int = -1
    ttl: Duration = 0
    static_ttl: bool = False
    precache: bool = False
