"""The root :class:`Config`: every section typed, built from a merged JSON document.

:func:`build_config` is the one way in: it normalises the few values CGRateS accepts in two
spellings, converts every section (collecting unknown keys as warnings), then checks what
needs the whole configuration (connection ids).
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
from collections.abc import Mapping
from typing import Any, overload

import msgspec

from tollgate.core.config.agent_sections import (
    AsteriskAgentCfg,
    DiameterAgentCfg,
    DNSAgentCfg,
    FsAgentCfg,
    KamAgentCfg,
    RadiusAgentCfg,
)
from tollgate.core.config.core_sections import (
    CacheParamCfg,
    DataDbCfg,
    GeneralCfg,
    HTTPCfg,
    ListenCfg,
    RPCConn,
    StorDbCfg,
    TLSCfg,
)
from tollgate.core.config.errors import ConfigError
from tollgate.core.config.merge import Provenance, merge_document
from tollgate.core.config.schema import (
    Path,
    ValueProblem,
    convert,
    describe_found,
    format_path,
    render,
    struct_fields,
)
from tollgate.core.config.service_sections import (
    AnalyzerSCfg,
    ApierCfg,
    AttributeSCfg,
    CdreCfg,
    CdrsCfg,
    ChargerSCfg,
    DispatcherSCfg,
    ERsCfg,
    FilterSCfg,
    LoaderCgrCfg,
    LoaderSCfg,
    MailerCfg,
    MigratorCgrCfg,
    RalsCfg,
    ResourceSConfig,
    SchedulerCfg,
    SessionSCfg,
    StatSCfg,
    SupplierSCfg,
    SureTaxCfg,
    ThresholdSCfg,
)

__all__ = ["DEFAULTS_SOURCE", "INTERNAL_CONN", "Config", "build_config", "default_document"]

DEFAULTS_SOURCE = "<defaults>"
OVERRIDES_SOURCE = "<overrides>"
INTERNAL_CONN = "*internal"


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """The whole engine configuration; one attribute per CGRateS section."""

    general: GeneralCfg
    rpc_conns: dict[str, RPCConn]
    data_db: DataDbCfg
    stor_db: StorDbCfg
    listen: ListenCfg
    tls: TLSCfg
    http: HTTPCfg
    schedulers: SchedulerCfg
    caches: dict[str, CacheParamCfg]
    filters: FilterSCfg
    rals: RalsCfg
    cdrs: CdrsCfg
    cdre: dict[str, CdreCfg]
    ers: ERsCfg
    sessions: SessionSCfg
    asterisk_agent: AsteriskAgentCfg
    freeswitch_agent: FsAgentCfg
    kamailio_agent: KamAgentCfg
    diameter_agent: DiameterAgentCfg
    radius_agent: RadiusAgentCfg
    http_agent: list[dict[str, Any]]
    dns_agent: DNSAgentCfg
    attributes: AttributeSCfg
    chargers: ChargerSCfg
    resources: ResourceSConfig
    stats: StatSCfg
    thresholds: ThresholdSCfg
    suppliers: SupplierSCfg
    loaders: list[LoaderSCfg]
    mailer: MailerCfg
    suretax: SureTaxCfg
    loader: LoaderCgrCfg
    migrator: MigratorCgrCfg
    dispatchers: DispatcherSCfg
    analyzers: AnalyzerSCfg
    apiers: ApierCfg
    sources: tuple[str, ...] = ()
    """The files read, in the order they were merged."""
    warnings: tuple[str, ...] = ()
    """Unknown sections and keys (ignored), e.g. ``a.json: unknown key [general] foo``."""

    @overload
    def as_json(self) -> dict[str, Any]: ...

    @overload
    def as_json(self, section: str) -> Any: ...

    def as_json(self, section: str | None = None) -> Any:
        """The configuration (or one section) in CGRateS JSON form, durations as Go strings.

        A section is a dict, except ``loaders`` and ``http_agent`` which are lists.
        """
        hints = _section_hints()
        if section is None:
            whole = {name: render(getattr(self, name), hint) for name, hint in hints.items()}
            return copy.deepcopy(whole)
        if section not in hints:
            raise ConfigError(f"unknown section [{section}]")
        return copy.deepcopy(render(getattr(self, section), hints[section]))

    def merged(self, overrides: Mapping[str, Any]) -> Config:
        """A new, validated Config with a JSON-shaped document applied on top of this one."""
        provenance: Provenance = {}
        document = merge_document(
            self.as_json(), overrides, OVERRIDES_SOURCE, provenance, default_document()
        )
        return build_config(
            document, provenance=provenance, sources=self.sources, warnings=self.warnings
        )


@functools.cache
def _section_hints() -> dict[str, Any]:
    skip = {"sources", "warnings"}
    return {f.name: f.type for f in struct_fields(Config) if f.name not in skip}


@functools.cache
def _shipped_defaults() -> str:
    return (
        importlib.resources.files("tollgate.core.config")
        .joinpath("defaults.json")
        .read_text(encoding="utf-8")
    )


def default_document() -> dict[str, Any]:
    """A fresh copy of the shipped defaults (``defaults.json``)."""
    data = json.loads(_shipped_defaults())
    assert isinstance(data, dict)
    return data


def _source(provenance: Provenance, section: str, path: Path) -> str:
    key = path[0] if path and isinstance(path[0], str) else ""
    return provenance.get((section, key)) or provenance.get((section, ""), DEFAULTS_SOURCE)


def _where(source: str, section: str, path: Path) -> str:
    inner = format_path(path)
    return f"{source}: [{section}] {inner}" if inner else f"{source}: [{section}]"


_STAR_OPTIONAL = (("data_db", "db_type"), ("stor_db", "db_type"), ("general", "dbdata_encoding"))
_UNSUPPORTED = {
    ("data_db", "db_type"): ("*mongo", "use *internal or *redis"),
    ("stor_db", "db_type"): ("*mongo", "use *internal, *sqlite, *postgres or *mysql"),
}


def _normalise(document: dict[str, Any], provenance: Provenance) -> None:
    """CGRateS accepts ``redis`` for ``*redis`` (it trims the star); keep one spelling."""
    for section, key in _STAR_OPTIONAL:
        body = document.get(section)
        if isinstance(body, dict) and isinstance(body.get(key), str):
            value = body[key]
            if value and not value.startswith("*"):
                body[key] = value = "*" + value
            refused = _UNSUPPORTED.get((section, key))
            if refused and value == refused[0]:
                where = _where(_source(provenance, section, (key,)), section, (key,))
                raise ConfigError(f"{where}: {value} is not supported by Tollgate; {refused[1]}")


def _check_conns(config: Config, document: dict[str, Any], provenance: Provenance) -> None:
    """Every ``*_conns`` id must be *internal or defined in rpc_conns, as cgr-engine checks."""
    defined = sorted(config.rpc_conns)
    expected = f"{INTERNAL_CONN} or an id defined in rpc_conns ({', '.join(defined)})"

    def visit(section: str, value: Any, path: Path) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                sub = (*path, key)
                if isinstance(key, str) and key.endswith("_conns") and isinstance(item, list):
                    check(section, item, sub)
                else:
                    visit(section, item, sub)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(section, item, (*path, index))

    def check(section: str, ids: list[Any], path: Path) -> None:
        for conn in ids:
            if not isinstance(conn, str):
                continue  # a list of connection objects (asterisk_conns…), typed elsewhere
            where = _where(_source(provenance, section, path), section, path)
            if conn == INTERNAL_CONN and section == "data_db":
                raise ConfigError(
                    f"{where}: expected an id defined in rpc_conns, found {describe_found(conn)}"
                    " (the DataDB cannot replicate to itself)"
                )
            if conn != INTERNAL_CONN and conn not in config.rpc_conns:
                raise ConfigError(f"{where}: expected {expected}, found {describe_found(conn)}")

    for section, body in document.items():
        if section != "rpc_conns" and section in _section_hints():
            visit(section, body, ())


def build_config(
    document: Mapping[str, Any],
    *,
    provenance: Provenance | None = None,
    sources: tuple[str, ...] = (),
    warnings: tuple[str, ...] = (),
) -> Config:
    """Check and convert a complete, merged JSON document into a :class:`Config`."""
    provenance = {} if provenance is None else provenance
    doc = copy.deepcopy(dict(document))
    _normalise(doc, provenance)
    found: list[str] = list(warnings)
    hints = _section_hints()
    sections: dict[str, Any] = {}
    for section, value in doc.items():
        if section not in hints:
            found.append(f"{_source(provenance, section, ())}: unknown section [{section}]")
            continue
        unknown: list[Path] = []
        try:
            sections[section] = convert(value, hints[section], (), unknown)
        except ValueProblem as exc:
            where = _where(_source(provenance, section, exc.path), section, exc.path)
            raise ConfigError(f"{where}: expected {exc.expected}, found {exc.found}") from None
        found.extend(
            f"{_source(provenance, section, p)}: unknown key [{section}] {format_path(p)}"
            for p in unknown
        )
    missing = [name for name in hints if name not in sections]
    if missing:
        raise ConfigError(f"missing section(s): {', '.join(missing)}")
    config = Config(**sections, sources=sources, warnings=tuple(dict.fromkeys(found)))
    _check_conns(config, doc, provenance)
    return config
