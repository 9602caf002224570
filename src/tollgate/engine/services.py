"""The engine's foundation services: the two stores and the listeners."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tollgate.core.registry import Service
from tollgate.rpc.bijson import BiJsonServer
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.http import HttpServer
from tollgate.rpc.tcp import TcpJsonServer
from tollgate.rpc.tls import server_context
from tollgate.storage.datadb import DataDB, open_datadb
from tollgate.storage.stordb import PoolSettings, StorDB, open_stordb

if TYPE_CHECKING:
    from tollgate.engine.app import Engine

__all__ = [
    "BiJsonService",
    "DataDBService",
    "HttpService",
    "RpcJsonService",
    "StorDBService",
]

logger = logging.getLogger(__name__)


class DataDBService(Service):
    """``data_db``: profiles, accounts, everything runtime; ``*internal`` by default."""

    name = "datadb"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db: DataDB | None = None

    async def start(self) -> None:
        cfg = self.engine.cfg.data_db
        self.db = open_datadb(
            cfg.db_type,
            data_dir=self.engine.data_dir,
            fsync=cfg.internal_fsync,
            snapshot_interval=cfg.internal_snapshot_interval / 1e9,
            snapshot_records=cfg.internal_snapshot_records,
        )
        await self.db.open()
        logger.info("DataDB %s open in %s", cfg.db_type, self.engine.data_dir)

    async def stop(self) -> None:
        if self.db is not None:
            await self.db.close()
            self.db = None


class StorDBService(Service):
    """``stor_db``: CDRs, session costs and offline tariff plans; ``*sqlite`` by default
    (``*internal`` in memory, ``*postgres``, ``*mysql`` on a server)."""

    name = "stordb"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db: StorDB | None = None

    async def start(self) -> None:
        cfg = self.engine.cfg.stor_db
        self.db = open_stordb(
            cfg.db_type,
            data_dir=self.engine.data_dir,
            db_name=str(cfg.db_name),
            host=cfg.db_host,
            port=int(cfg.db_port),
            user=cfg.db_user,
            password=cfg.db_password,
            sslmode=cfg.sslmode,
            pool=PoolSettings(
                max_open_conns=cfg.max_open_conns,
                max_idle_conns=cfg.max_idle_conns,
                conn_max_lifetime=cfg.conn_max_lifetime,
                query_timeout=cfg.query_timeout / 1e9,
            ),
        )
        await self.db.open()
        logger.info("StorDB %s open: %s", cfg.db_type, getattr(self.db, "name", ""))

    async def stop(self) -> None:
        if self.db is not None:
            await self.db.close()
            self.db = None


class _ListenerService(Service):
    """A listener that serves the engine's dispatcher; restarted when its config changes."""

    requires: ClassVar[tuple[str, ...]] = ("datadb", "stordb", "apier")
    # the ``listen`` section keys of the plain and the TLS variant; the key is the name
    listen_keys: ClassVar[tuple[str, str]] = ("", "")

    def __init__(self, engine: Engine, *, tls: bool = False) -> None:
        self.engine = engine
        self.tls = tls
        self.listener_name = self.listen_keys[tls]
        self.server: Any = None
        self._started_with: object = None

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.listener_name

    def settings(self) -> object:
        """The config values this listener was built from (compared on reload)."""
        raise NotImplementedError

    def build(self, dispatcher: Dispatcher) -> Any:
        raise NotImplementedError

    @property
    def address(self) -> str:
        return str(getattr(self.engine.cfg.listen, self.listener_name))

    @property
    def enabled(self) -> bool:
        if not self.address:
            return False
        tls = self.engine.cfg.tls
        # a TLS listener needs a certificate; without one CGRateS logs and serves nothing
        return not self.tls or bool(tls.server_certificate and tls.server_key)

    def ssl_context(self) -> Any:
        return server_context(self.engine.cfg.tls) if self.tls else None

    async def start(self) -> None:
        self._started_with = self.settings()
        self.server = self.build(self.engine.dispatcher)
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def reload(self) -> None:
        if self.settings() == self._started_with and self.server is not None:
            return
        await self.stop()
        if self.enabled:
            await self.start()

    @property
    def bound_address(self) -> str:
        return str(self.server.bound_address) if self.server is not None else ""


class RpcJsonService(_ListenerService):
    """``listen.rpc_json`` (2012) or, with ``tls``, ``listen.rpc_json_tls`` (2022)."""

    listen_keys = ("rpc_json", "rpc_json_tls")

    def settings(self) -> object:
        return (self.address, self.engine.cfg.tls if self.tls else None)

    def build(self, dispatcher: Dispatcher) -> TcpJsonServer:
        return TcpJsonServer(
            dispatcher, self.address, ssl_context=self.ssl_context(), name=self.listener_name
        )


class HttpService(_ListenerService):
    """``listen.http`` (2080) or ``listen.http_tls`` (2280): /jsonrpc, /ws, /metrics."""

    listen_keys = ("http", "http_tls")

    def settings(self) -> object:
        cfg = self.engine.cfg
        return (self.address, cfg.http, cfg.tls if self.tls else None, cfg.cdrs.enabled)

    def build(self, dispatcher: Dispatcher) -> HttpServer:
        http = self.engine.cfg.http
        server = HttpServer(
            dispatcher,
            self.address,
            json_rpc_url=http.json_rpc_url,
            ws_url=http.ws_url,
            auth_users=dict(http.auth_users) if http.use_basic_auth else None,
            ssl_context=self.ssl_context(),
            name=self.listener_name,
        )
        for method, path, handler in self.engine.http_routes():
            server.add_route(method, path, handler)
        return server


class BiJsonService(_ListenerService):
    """``sessions.listen_bijson`` (2014): started with SessionS, serves its namespaces."""

    listen_keys = ("bijson", "bijson")  # named bijson; its address is sessions.listen_bijson
    # v0.10 serves SessionSv1 on BiJSON; v0.10.0's SMGenericV1 too (OpenSIPS compat_mode)
    namespaces: ClassVar[tuple[str, ...]] = ("SessionSv1", "SMGenericV1")

    @property
    def enabled(self) -> bool:
        return bool(self.engine.cfg.sessions.enabled and self.address)

    @property
    def address(self) -> str:
        return str(self.engine.cfg.sessions.listen_bijson)

    def settings(self) -> object:
        return self.address

    def build(self, dispatcher: Dispatcher) -> BiJsonServer:
        sub = Dispatcher(
            dispatcher.router.subset(self.namespaces),
            limiter=dispatcher.limiter,
            metrics=dispatcher.metrics,
            unknown_prefix="birpc",
        )
        return BiJsonServer(sub, self.address)


def default_data_dir() -> Path:
    """Where the embedded stores live when neither ``--data_dir`` nor the config says."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tollgate"
