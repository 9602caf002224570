"""What ``*_conns`` ids resolve to: ``*internal``, ``*localhost`` or an ``rpc_conns`` pool.

A transport failure (DISCONNECTED, REPLY_TIMEOUT, a refused socket, or a peer that does not
serve the service at all: ``rpc: can't find service``, as CGRateS's ``isNetworkError``)
moves a call on to the next connection; any other error reply is the answer and goes back
to the caller at once, so a call is never applied by two peers because one said no.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import msgspec

from tollgate.core.errors import (
    DisconnectedError,
    MandatoryIeMissingError,
    NotConnectedError,
    ReplyTimeoutError,
)
from tollgate.rpc.client import JSON, RpcClient
from tollgate.rpc.router import ArgsError, CallContext, Router

__all__ = [
    "STRATEGIES",
    "Conn",
    "ConnManager",
    "InternalConn",
    "RemoteHostLike",
    "RpcConnsLike",
    "RpcPool",
    "UnknownConnError",
    "is_transport_error",
]

logger = logging.getLogger(__name__)

INTERNAL = "*internal"
LOCALHOST = "*localhost"
FIRST = "*first"
NEXT = "*next"
RANDOM = "*random"
ROUND_ROBIN = "*round_robin"
BROADCAST = "*broadcast"
STRATEGIES = frozenset({FIRST, NEXT, RANDOM, ROUND_ROBIN, BROADCAST})

_LOCALHOST_DEFAULT: dict[str, Any] = {
    "strategy": FIRST,
    "conns": [{"address": "127.0.0.1:2012", "transport": JSON}],
}


class Conn(Protocol):
    """Anything a ``*_conns`` entry resolves to."""

    async def call(self, method: str, args: Any) -> Any: ...

    async def close(self) -> None: ...


class RemoteHostLike(Protocol):
    """One entry of ``rpc_conns.<id>.conns`` (the config package's type, structurally)."""

    @property
    def address(self) -> str: ...

    @property
    def transport(self) -> str: ...

    @property
    def tls(self) -> bool: ...


class RpcConnsLike(Protocol):
    """One ``rpc_conns.<id>`` section."""

    @property
    def strategy(self) -> str: ...

    @property
    def conns(self) -> Sequence[RemoteHostLike]: ...


class UnknownConnError(NotConnectedError):
    """A conn id that is neither ``*internal``, ``*localhost`` nor defined in ``rpc_conns``."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        super().__init__(f"connection ID {conn_id!r} is not defined in rpc_conns")


def is_transport_error(exc: BaseException) -> bool:
    """True when the call did not reach a peer able to serve it: try the next connection."""
    if isinstance(exc, DisconnectedError | ReplyTimeoutError | OSError | TimeoutError):
        return True
    return str(exc).startswith("rpc: can't find service")


class InternalConn:
    """``*internal``: the method is called in this process with the argument as given."""

    def __init__(self, router: Router, ctx: CallContext | None = None) -> None:
        self.router = router
        self.ctx = ctx or CallContext(transport=INTERNAL)

    async def call(self, method: str, args: Any) -> Any:
        if isinstance(args, dict):
            arg_type = self.router.lookup(method).arg_type
            if isinstance(arg_type, type) and issubclass(arg_type, msgspec.Struct):
                try:
                    args = msgspec.convert(args, arg_type)
                except msgspec.ValidationError as exc:
                    raise ArgsError(f"{method}: {exc}") from exc
        return await self.router.call(method, args, self.ctx)

    async def close(self) -> None:
        return None


class RpcPool:
    """Several connections to peers of one ``rpc_conns`` id, used by ``strategy``."""

    def __init__(self, strategy: str, conns: Sequence[Conn]) -> None:
        strategy = strategy or FIRST
        if strategy not in STRATEGIES:
            raise ValueError(
                f"unknown rpc_conns strategy {strategy!r} (want one of {sorted(STRATEGIES)})"
            )
        if not conns:
            raise ValueError("an rpc_conns pool needs at least one connection")
        self.strategy = strategy
        self.conns: list[Conn] = list(conns)
        self._counter = 0
        self._last = -1
        self._random = random.Random()
        self._background: set[asyncio.Task[Any]] = set()

    async def call(self, method: str, args: Any) -> Any:
        if self.strategy == BROADCAST:
            return await self._broadcast(method, args)
        last_error: BaseException | None = None
        for index in self._order():
            try:
                result = await self.conns[index].call(method, args)
            except Exception as exc:
                if not is_transport_error(exc):
                    self._last = index
                    raise
                logger.debug("%s via %r failed: %r", method, self.conns[index], exc)
                last_error = exc
                continue
            self._last = index
            return result
        raise last_error or DisconnectedError()

    def _order(self) -> list[int]:
        n = len(self.conns)
        if self.strategy == FIRST:
            start = 0
        elif self.strategy == NEXT:
            start = (self._last + 1) % n
        elif self.strategy == ROUND_ROBIN:
            start = self._counter % n
            self._counter += 1
        else:  # RANDOM
            order = list(range(n))
            self._random.shuffle(order)
            return order
        return [(start + i) % n for i in range(n)]

    async def _broadcast(self, method: str, args: Any) -> Any:
        """Send to every peer; the first success answers, the others finish in the background.

        When all fail: the first application error (what a peer said), else the last
        transport error.
        """
        tasks = [asyncio.ensure_future(conn.call(method, args)) for conn in self.conns]
        app_error: BaseException | None = None
        last_error: BaseException | None = None
        pending = set(tasks)
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:  # in conn order, for a stable answer when several finish
                    if task not in done:
                        continue
                    if task.cancelled():
                        continue
                    exc = task.exception()
                    if exc is None:
                        return task.result()
                    if is_transport_error(exc):
                        last_error = exc
                    elif app_error is None:
                        app_error = exc
        finally:
            for task in pending:
                self._background.add(task)
                task.add_done_callback(self._background_done)
        raise app_error or last_error or DisconnectedError()

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.debug("broadcast call failed: %r", exc)

    async def close(self) -> None:
        background = list(self._background)
        for task in background:
            task.cancel()
        if background:
            await asyncio.wait(background)
        for conn in self.conns:
            await conn.close()


def _field(obj: Any, name: str, default: Any) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


class ConnManager:
    """Resolves ``*_conns`` ids to connections, built on first use and then kept."""

    def __init__(
        self,
        rpc_conns: Mapping[str, RpcConnsLike | Mapping[str, Any]],
        router: Router | None = None,
        *,
        reply_timeout: float = 2.0,
        connect_timeout: float = 1.0,
        connect_attempts: int = 5,
        reconnects: int = -1,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.rpc_conns = rpc_conns
        self.router = router
        self.reply_timeout = reply_timeout
        self.connect_timeout = connect_timeout
        self.connect_attempts = connect_attempts
        self.reconnects = reconnects
        # used by conns with "tls": true; the caller builds it from the tls section
        self.tls_context = tls_context
        self._conns: dict[str, Conn] = {}

    def resolve(self, conn_id: str) -> Conn:
        """The connection for ``conn_id``; UnknownConnError when it is not defined."""
        conn = self._conns.get(conn_id)
        if conn is None:
            conn = self._build(conn_id)
            self._conns[conn_id] = conn
        return conn

    def _build(self, conn_id: str) -> Conn:
        if conn_id == INTERNAL:
            return self._internal()
        cfg = self.rpc_conns.get(conn_id)
        if cfg is None:
            if conn_id != LOCALHOST:
                raise UnknownConnError(conn_id)
            cfg = _LOCALHOST_DEFAULT
        hosts = _field(cfg, "conns", None) or []
        if not hosts:
            raise UnknownConnError(conn_id)
        conns = [self._host(host) for host in hosts]
        return RpcPool(_field(cfg, "strategy", FIRST) or FIRST, conns)

    def _internal(self) -> InternalConn:
        if self.router is None:
            raise NotConnectedError(INTERNAL)
        return InternalConn(self.router)

    def _host(self, host: RemoteHostLike | Mapping[str, Any]) -> Conn:
        address = str(_field(host, "address", ""))
        if address == INTERNAL:
            return self._internal()
        ctx: ssl.SSLContext | None = None
        if _field(host, "tls", False):
            ctx = self.tls_context or ssl.create_default_context()
        return RpcClient(
            address,
            transport=str(_field(host, "transport", JSON) or JSON),
            ssl_context=ctx,
            connect_timeout=self.connect_timeout,
            reply_timeout=self.reply_timeout,
            connect_attempts=self.connect_attempts,
            reconnects=self.reconnects,
        )

    async def call(self, conn_ids: Sequence[str], method: str, args: Any) -> Any:
        """Call through the first of ``conn_ids`` that does not fail at transport level."""
        if not conn_ids:
            raise MandatoryIeMissingError("connIDs")
        last_error: BaseException | None = None
        for conn_id in conn_ids:
            try:
                conn = self.resolve(conn_id)
            except NotConnectedError as exc:
                logger.warning("%s: %s", method, exc)
                last_error = exc
                continue
            try:
                return await conn.call(method, args)
            except Exception as exc:
                if not is_transport_error(exc):
                    raise
                last_error = exc
        raise last_error or DisconnectedError()

    async def close(self) -> None:
        conns = list(self._conns.values())
        self._conns.clear()
        for conn in conns:
            await conn.close()
