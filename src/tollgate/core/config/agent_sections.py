"""Sections of the agents: Asterisk, FreeSWITCH, Kamailio, Diameter, RADIUS, DNS.

Request processors and message templates stay JSON dicts for now; the agents compile them.
Connection entries get CGRateS's defaults for the keys they leave out.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from tollgate.core.config.schema import Duration

__all__ = [
    "AsteriskAgentCfg",
    "AsteriskConnCfg",
    "DNSAgentCfg",
    "DiameterAgentCfg",
    "FsAgentCfg",
    "FsConnCfg",
    "KamAgentCfg",
    "KamConnCfg",
    "RadiusAgentCfg",
]

Template = list[dict[str, Any]]


class _Section(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every section: immutable, keyword-only."""


class AsteriskConnCfg(_Section, frozen=True, kw_only=True):
    address: str = "127.0.0.1:8088"
    user: str = "cgrates"
    password: str = "CGRateS.org"
    connect_attempts: int = 3
    reconnects: int = 5


class AsteriskAgentCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    sessions_conns: list[str]
    create_cdr: bool
    asterisk_conns: list[AsteriskConnCfg]


class FsConnCfg(_Section, frozen=True, kw_only=True):
    address: str = "127.0.0.1:8021"
    password: str = "ClueCon"
    reconnects: int = 5
    alias: str = ""


class FsAgentCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    sessions_conns: list[str]
    subscribe_park: bool
    create_cdr: bool
    extra_fields: list[str]
    min_dur_low_balance: Duration | None = None
    low_balance_ann_file: str | None = None
    empty_balance_context: str
    empty_balance_ann_file: str
    max_wait_connection: Duration
    event_socket_conns: list[FsConnCfg]


class KamConnCfg(_Section, frozen=True, kw_only=True):
    address: str = "127.0.0.1:8448"
    reconnects: int = 5


class KamAgentCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    sessions_conns: list[str]
    create_cdr: bool
    timezone: str
    evapi_conns: list[KamConnCfg]


class DiameterAgentCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    listen: str
    listen_net: Literal["tcp", "sctp"]
    dictionaries_path: str
    sessions_conns: list[str]
    origin_host: str
    origin_realm: str
    vendor_id: int
    product_name: str
    concurrent_requests: int
    synced_conn_requests: bool
    asr_template: str
    templates: dict[str, Template]
    request_processors: Template


class RadiusAgentCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    listen_net: Literal["udp", "tcp"]
    listen_auth: str
    listen_acct: str
    client_secrets: dict[str, str]
    client_dictionaries: dict[str, str]
    sessions_conns: list[str]
    request_processors: Template


class DNSAgentCfg(_Section, frozen=True, kw_only=True):
    enabled: bool
    listen: str
    listen_net: Literal["udp", "tcp", "tcp-tls"]
    sessions_conns: list[str]
    timezone: str
    request_processors: Template
