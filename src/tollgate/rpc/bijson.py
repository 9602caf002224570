"""BiJSON: one TCP connection carrying JSON-RPC in both directions (PROTOCOLS.md §2).

Every accepted connection is registered under a random id and can be called back
(``SessionSv1.DisconnectSession``, ``SessionSv1.GetActiveSessionIDs``). Incoming objects
with a ``method`` are requests (no ``id`` = notification, no reply); the others are replies
to the engine's own requests, matched by their unsigned integer id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from typing import Any

from tollgate.core.errors import DisconnectedError, ReplyTimeoutError
from tollgate.core.wire import encode
from tollgate.rpc.codec import NULL, Message, RemoteError, encode_request, raw_or_none
from tollgate.rpc.tcp import JsonRpcProtocol, TcpJsonServer

__all__ = ["BiJsonConnection", "BiJsonServer"]

logger = logging.getLogger(__name__)


class BiJsonConnection(JsonRpcProtocol):
    """A BiJSON client: serves its requests and carries the engine's calls to it."""

    listener = "bijson"

    def __init__(self, server: TcpJsonServer) -> None:
        super().__init__(server)
        self.conn_id = uuid.uuid4().hex
        self._seq = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert isinstance(self.server, BiJsonServer)
        self.server.register(self)

    def on_closed(self) -> None:
        super().on_closed()
        assert isinstance(self.server, BiJsonServer)
        self.server.unregister(self)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(DisconnectedError())
        self._pending.clear()

    def handle_message(self, msg: Message) -> bytes | Awaitable[bytes] | None:
        if msg.method:
            reply = self.dispatcher.handle(msg, self.ctx)
            if msg.has_id:
                return reply
            # a notification: run it, send nothing back
            if not isinstance(reply, bytes):
                task = asyncio.ensure_future(reply)
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            return None
        self._on_reply(msg)
        return None

    def _on_reply(self, msg: Message) -> None:
        raw_id = bytes(msg.id) if msg.id else b""
        if not raw_id.isdigit():
            # Go's birpc tears the connection down on a reply id it cannot read
            logger.warning("bijson %s: reply with invalid id %r, closing", self.conn_id, raw_id)
            self.close()
            return
        fut = self._pending.pop(int(raw_id), None)
        if fut is None or fut.done():
            logger.debug("bijson %s: reply to unknown or expired id %s", self.conn_id, raw_id)
            return
        if msg.error and msg.error != NULL:
            error = raw_or_none(msg.error)
            if not isinstance(error, str):
                logger.warning("bijson %s: non-string error in reply, closing", self.conn_id)
                fut.set_exception(RemoteError("invalid error"))
                self.close()
                return
            fut.set_exception(RemoteError(error or "unspecified error"))
            return
        # lenient where Go is not: result and error both null is a success with no result
        fut.set_result(raw_or_none(msg.result))

    async def call(self, method: str, params: Any, *, timeout: float = 2.0) -> Any:
        """Call ``method`` on the client and wait for its reply (``reply_timeout``)."""
        if self._closing or self.transport is None:
            raise DisconnectedError()
        self._seq += 1
        seq = self._seq
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[seq] = fut
        self.write(encode_request(method, encode(params), seq))
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise ReplyTimeoutError() from None
        finally:
            self._pending.pop(seq, None)


class BiJsonServer(TcpJsonServer):
    """The ``sessions.listen_bijson`` listener and its registry of connected clients."""

    protocol = BiJsonConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("name", "bijson")
        super().__init__(*args, **kwargs)
        self.clients: dict[str, BiJsonConnection] = {}

    def register(self, conn: BiJsonConnection) -> None:
        self.clients[conn.conn_id] = conn

    def unregister(self, conn: BiJsonConnection) -> None:
        if self.clients.get(conn.conn_id) is conn:
            del self.clients[conn.conn_id]

    def rename(self, conn: BiJsonConnection, conn_id: str) -> None:
        """Re-register a connection under another id (RegisterInternalBiJSONConn)."""
        self.unregister(conn)
        conn.conn_id = conn_id
        self.clients[conn_id] = conn

    async def call_all(self, method: str, params: Any, *, timeout: float = 2.0) -> dict[str, Any]:
        """Call every connected client in parallel; errors come back as exceptions."""
        conns = list(self.clients.values())
        results = await asyncio.gather(
            *(c.call(method, params, timeout=timeout) for c in conns), return_exceptions=True
        )
        return {c.conn_id: r for c, r in zip(conns, results, strict=True)}
