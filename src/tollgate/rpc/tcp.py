"""JSON-RPC over raw TCP (``listen.rpc_json``, 2012; TLS on ``rpc_json_tls``).

Each request is dispatched as soon as its frame is complete; plain handlers are answered
inline and every reply of one read is written with a single ``write`` (pipelined clients
get batched replies); async handlers answer when they finish, in completion order.
Undecodable input closes that connection only; the listener lives on.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable
from typing import Any, cast

from tollgate.rpc.codec import FrameError, FrameSplitter, Message
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.router import CallContext

__all__ = ["JsonRpcProtocol", "TcpJsonServer", "split_address"]

logger = logging.getLogger(__name__)


def split_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:2012"`` → (host, port); ``":2012"`` binds every interface, as Go does."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    return host or "0.0.0.0", int(port)


class JsonRpcProtocol(asyncio.Protocol):
    """One client connection serving requests (the server half of the codec)."""

    listener = "rpc_json"

    def __init__(self, server: TcpJsonServer) -> None:
        self.server = server
        self.dispatcher: Dispatcher = server.dispatcher
        self.splitter = FrameSplitter()
        self.transport: asyncio.Transport | None = None
        self.ctx = CallContext(transport=self.listener)
        self.tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._paused = False

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't check
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.ctx.remote = f"{peer[0]}:{peer[1]}" if peer else ""
        self.ctx.conn = self
        self.server.connections.add(self)
        self.dispatcher.metrics.connection_opened(self.listener)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self.server.connections.discard(self)
        self.dispatcher.metrics.connection_closed(self.listener)
        self.on_closed()

    def pause_writing(self) -> None:
        # the client does not read its replies: stop reading its requests
        if self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and self._paused:
            self._paused = False
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.splitter.feed(data)
        except FrameError as exc:
            logger.info("closing %s connection from %s: %s", self.listener, self.ctx.remote, exc)
            self._process(exc.messages)
            self.close_after_replies()
            return
        self._process(messages)

    def _process(self, messages: list[Message]) -> None:
        if not messages:
            return
        out: list[bytes] = []
        for msg in messages:
            reply = self.handle_message(msg)
            if reply is None:
                continue
            if isinstance(reply, bytes):
                out.append(reply)
            else:
                self._spawn(reply)
        if out and self.transport is not None and not self._closing:
            self.transport.write(b"".join(out) if len(out) > 1 else out[0])

    # -- extension points -----------------------------------------------------------------

    def handle_message(self, msg: Message) -> bytes | Awaitable[bytes] | None:
        """A request to serve; BiJSON overrides this to route responses to its own calls."""
        return self.dispatcher.handle(msg, self.ctx)

    def on_closed(self) -> None:
        for task in list(self.tasks):
            task.cancel()

    # -- helpers ----------------------------------------------------------------------------

    def _spawn(self, reply: Awaitable[bytes]) -> None:
        task = asyncio.ensure_future(reply)
        self.tasks.add(task)
        task.add_done_callback(self._reply_done)

    def _reply_done(self, task: asyncio.Task[bytes]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("RPC reply task failed", exc_info=exc)
            return
        self.write(task.result())

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self._closing:
            self.transport.write(data)

    def close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def close_after_replies(self) -> None:
        """Stop reading; close once the requests already accepted have been answered."""
        if self.transport is None:
            return
        self.transport.pause_reading()
        if not self.tasks:
            self.close()
            return
        pending = list(self.tasks)

        async def _wait_then_close() -> None:
            await asyncio.gather(*pending, return_exceptions=True)
            self.close()

        asyncio.ensure_future(_wait_then_close())  # noqa: RUF006 - closes its own connection

    async def drain(self) -> None:
        """Wait for the in-flight async requests of this connection (graceful stop)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


class TcpJsonServer:
    """A JSON-RPC listener; ``protocol`` lets BiJSON reuse it with its own connection type."""

    protocol: type[JsonRpcProtocol] = JsonRpcProtocol

    def __init__(
        self,
        dispatcher: Dispatcher,
        address: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "rpc_json",
    ) -> None:
        self.dispatcher = dispatcher
        self.address = address
        self.ssl_context = ssl_context
        self.name = name
        self.connections: set[JsonRpcProtocol] = set()
        self._server: asyncio.Server | None = None

    def _make_protocol(self) -> JsonRpcProtocol:
        proto = self.protocol(self)
        proto.listener = self.name
        proto.ctx.transport = self.name
        return proto

    async def start(self) -> None:
        host, port = split_address(self.address)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._make_protocol, host, port, ssl=self.ssl_context, reuse_address=True
        )
        logger.info("%s listening on %s", self.name, self.bound_address)

    @property
    def bound_address(self) -> str:
        if self._server is None or not self._server.sockets:
            return self.address
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, answer in-flight requests (up to ``grace`` seconds), close."""
        if self._server is None:
            return
        self._server.close()
        conns = list(self.connections)
        if conns:
            try:
                await asyncio.wait_for(asyncio.gather(*(c.drain() for c in conns)), timeout=grace)
            except TimeoutError:
                logger.warning("%s: in-flight requests still running at stop", self.name)
        for conn in conns:
            conn.close()
        await self._server.wait_closed()
        self._server = None
