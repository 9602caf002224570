"""The HTTP listener (``listen.http``, 2080; TLS on ``http_tls``).

* ``http.json_rpc_url`` (``/jsonrpc``): one JSON-RPC request per body, any HTTP method,
  status 200 even for RPC errors; an undecodable body gets 400 and an error object (Go
  hangs there, we don't).
* ``http.ws_url`` (``/ws``): the connection is a byte stream as on 2012; each reply is one
  text frame. A missing ``Origin`` header is accepted.
* ``/metrics`` (Prometheus text) and ``/openrpc.json`` (the method table described).
* ``http.use_basic_auth`` with ``auth_users`` (user → base64 password) guards every path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import WSMsgType, web

from tollgate.core.wire import encode
from tollgate.rpc.codec import NULL, FrameError, FrameSplitter, encode_error
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.metrics import CONTENT_TYPE, render
from tollgate.rpc.openrpc import openrpc_document
from tollgate.rpc.router import CallContext
from tollgate.rpc.tcp import split_address

__all__ = ["HttpServer"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpServer:
    """aiohttp application serving JSON-RPC, WebSocket, metrics and the OpenRPC document."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        address: str,
        *,
        json_rpc_url: str = "/jsonrpc",
        ws_url: str = "/ws",
        auth_users: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "http",
    ) -> None:
        self.dispatcher = dispatcher
        self.address = address
        self.json_rpc_url = json_rpc_url
        self.ws_url = ws_url
        self.auth_users = dict(auth_users) if auth_users is not None else None
        self.ssl_context = ssl_context
        self.name = name
        self.extra_routes: list[tuple[str, str, Handler]] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._ws: set[web.WebSocketResponse] = set()

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Routes other subsystems serve on this listener (e.g. ``/cdr_http``); before start."""
        self.extra_routes.append((method, path, handler))

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth_middleware], client_max_size=64 << 20)
        if self.json_rpc_url:
            app.router.add_route("*", self.json_rpc_url, self._jsonrpc)
        if self.ws_url:
            app.router.add_get(self.ws_url, self._websocket)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/openrpc.json", self._openrpc)
        for method, path, handler in self.extra_routes:
            app.router.add_route(method, path, handler)
        return app

    async def start(self) -> None:
        host, port = split_address(self.address)
        self._runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(
            self._runner, host, port, ssl_context=self.ssl_context, reuse_address=True
        )
        await self._site.start()
        logger.info("%s listening on %s", self.name, self.bound_address)

    @property
    def bound_address(self) -> str:
        server = self._site._server if self._site is not None else None
        sockets = getattr(server, "sockets", None)
        if not sockets:
            return self.address
        host, port = sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def stop(self, grace: float = 5.0) -> None:
        for ws in list(self._ws):
            await ws.close()
        if self._runner is not None:
            await self._runner.shutdown()
            await self._runner.cleanup()
            self._runner = None

    # -- middleware -------------------------------------------------------------------------

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.auth_users is not None and not self._authorized(request):
            return web.Response(
                status=401,
                text="401 Unauthorized\n",
                headers={"WWW-Authenticate": 'Basic realm="tollgate"'},
            )
        return await handler(request)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        stored = self.auth_users.get(user) if self.auth_users else None
        if stored is None:
            return False
        try:
            expected = base64.b64decode(stored.strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(expected.encode(), password.encode())

    # -- handlers ---------------------------------------------------------------------------

    def _context(self, request: web.Request, transport: str) -> CallContext:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return CallContext(transport=transport, remote=f"{peer[0]}:{peer[1]}" if peer else "")

    async def _jsonrpc(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            messages = FrameSplitter().feed(body)
        except FrameError as exc:
            return self._bad_request(f"invalid JSON-RPC request: {exc}")
        if not messages:
            return self._bad_request("invalid JSON-RPC request: incomplete or empty body")
        reply = self.dispatcher.handle(messages[0], self._context(request, "http"))
        if not isinstance(reply, bytes):
            reply = await reply
        return web.Response(body=reply, content_type="application/json")

    def _bad_request(self, text: str) -> web.Response:
        return web.Response(
            status=400, body=encode_error(NULL, text), content_type="application/json"
        )

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=64 << 20)
        await ws.prepare(request)
        self._ws.add(ws)
        metrics = self.dispatcher.metrics
        metrics.connection_opened("ws")
        ctx = self._context(request, "ws")
        splitter = FrameSplitter()
        tasks: set[asyncio.Task[None]] = set()

        async def send_later(reply: Awaitable[bytes]) -> None:
            data = await reply
            if not ws.closed:
                await ws.send_str(data.decode())

        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                data = msg.data.encode() if msg.type == WSMsgType.TEXT else msg.data
                try:
                    messages = splitter.feed(data)
                except FrameError as exc:
                    logger.info("closing websocket from %s: %s", ctx.remote, exc)
                    messages = exc.messages
                    await self._answer_ws(ws, messages, ctx, tasks, send_later)
                    break
                await self._answer_ws(ws, messages, ctx, tasks, send_later)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._ws.discard(ws)
            metrics.connection_closed("ws")
            await ws.close()
        return ws

    async def _answer_ws(
        self,
        ws: web.WebSocketResponse,
        messages: list[Any],
        ctx: CallContext,
        tasks: set[asyncio.Task[None]],
        send_later: Callable[[Awaitable[bytes]], Awaitable[None]],
    ) -> None:
        for message in messages:
            reply = self.dispatcher.handle(message, ctx)
            if isinstance(reply, bytes):
                await ws.send_str(reply.decode())
            else:
                task = asyncio.ensure_future(send_later(reply))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=render(self.dispatcher.metrics), headers={"Content-Type": CONTENT_TYPE}
        )

    async def _openrpc(self, request: web.Request) -> web.Response:
        return web.Response(
            body=encode(openrpc_document(self.dispatcher.router)),
            content_type="application/json",
        )
