"""Peers for the wire tests: test-only APIs and raw socket clients (TCP, HTTP, WebSocket).

Clients speak raw bytes so every test sees exactly what a peer sees on the wire; the
fixtures that start the servers are in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import MandatoryIeMissingError, NotFoundError, RALsError
from tollgate.engine.api import CoreSv1, GoRPC
from tollgate.rpc.bijson import BiJsonConnection, BiJsonServer
from tollgate.rpc.dispatch import Dispatcher, Limiter
from tollgate.rpc.router import Router
from tollgate.sessions.api import SessionSv1

TIMEOUT = 5.0
NODE_ID = "tollgate-test"


class EngineStub:
    node_id = NODE_ID
    started_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    def config_section(self, section: str) -> dict[str, Any]:
        return {}

    async def reload_config(self, path: str, section: str) -> None:
        return None

    async def apply_config(self, overrides: dict[str, Any], *, dry_run: bool = False) -> None:
        return None


class V1AuthorizeArgs(msgspec.Struct, kw_only=True):
    """A typed argument shaped like SessionSv1.AuthorizeEvent's, for Go unmarshal texts."""

    GetMaxUsage: bool = False
    GetAttributes: bool = False
    Tenant: str = ""
    AttributeIDs: list[str] | None = None
    Event: dict[str, Any] | None = None


class WireTestSv1(Api):
    """Handlers that exercise the reply encoding and the error paths."""

    namespace = "WireTestSv1"

    @rpc_method("Echo")
    def echo(self, args: Any, ctx: CallContext) -> Any:
        """Answers its argument."""
        return args

    @rpc_method("EchoAsync")
    async def echo_async(self, args: Any, ctx: CallContext) -> Any:
        """Answers its argument from a coroutine."""
        await asyncio.sleep(0)
        return args

    @rpc_method("Authorize")
    def authorize(self, args: V1AuthorizeArgs, ctx: CallContext) -> V1AuthorizeArgs:
        """Answers the decoded argument, so tests see what the decoder filled."""
        return args

    @rpc_method("Fail")
    def fail(self, args: str, ctx: CallContext) -> str:
        """Raises the TollgateError named by the argument, or a plain ValueError."""
        if args == "not_found":
            raise NotFoundError()
        if args == "mandatory":
            raise MandatoryIeMissingError("Account", "Destination")
        if args == "rals":
            raise RALsError(NotFoundError())
        raise ValueError(args)

    @rpc_method("FailAsync")
    async def fail_async(self, args: str, ctx: CallContext) -> str:
        """The async twin of Fail."""
        await asyncio.sleep(0)
        return self.fail(args, ctx)

    @rpc_method("Numbers")
    def numbers(self, args: Any, ctx: CallContext) -> dict[str, Any]:
        """Numbers as handlers produce them: Decimal, int, Decimal from a float."""
        return {
            "Decimal": Decimal("10800"),
            "Int": 10800,
            "Seconds": Decimal("10800000000000") / Decimal(10**9),
            "Fraction": Decimal("0.25"),
            "Nanoseconds": 10800000000000,
        }


class SessionStubSv1(Api):
    """Extra SessionSv1 methods remembering the event and connection, as SessionS will."""

    namespace = "SessionSv1"

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, Any], Any]] = []

    @rpc_method("InitiateSession")
    def initiate_session(self, args: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        """Stores the event with the calling connection and answers a MaxUsage."""
        self.events.append((args.get("Event") or {}, ctx.conn))
        return {"MaxUsage": 10800000000000}


def build_router() -> tuple[Router, SessionStubSv1]:
    engine = EngineStub()
    sessions = SessionStubSv1()
    router = Router()
    for api in (CoreSv1(engine), GoRPC(), SessionSv1(engine), sessions, WireTestSv1()):
        router.add_api(api)
    return router, sessions


ServerFactory = Callable[..., Awaitable[Any]]


class BiJsonRig(msgspec.Struct):
    server: BiJsonServer
    sessions: SessionStubSv1

    async def client(self) -> tuple[RawClient, BiJsonConnection]:
        """A connected raw client and the engine's side of its connection."""
        before = set(self.server.clients.values())
        client = await RawClient.connect(self.server.bound_address)
        await wait_until(lambda: len(set(self.server.clients.values()) - before) == 1)
        (conn,) = set(self.server.clients.values()) - before
        return client, conn


def limited(strategy: str, limit: int = 1) -> Dispatcher:
    return Dispatcher(build_router()[0], limiter=Limiter(limit, strategy))


# --- raw clients -------------------------------------------------------------------------


class RawClient:
    """A JSON-RPC peer on a raw TCP socket: writes bytes, reads newline-ended replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, address: str) -> RawClient:
        host, _, port = address.rpartition(":")
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port), limit=64 << 20), TIMEOUT
        )
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self, timeout: float = TIMEOUT) -> bytes:
        """One reply line, ``\\n`` included; fails on timeout or EOF."""
        data = await asyncio.wait_for(self.reader.readline(), timeout)
        assert data.endswith(b"\n"), f"connection closed mid-reply: {data[:200]!r}"
        return data

    async def reply(self, timeout: float = TIMEOUT) -> Any:
        return msgspec.json.decode(await self.line(timeout))

    async def call(self, method: str, params: Any, rid: Any = 1) -> Any:
        await self.send(msgspec.json.encode({"method": method, "params": [params], "id": rid}))
        return await self.reply()

    async def silent(self, timeout: float = 0.1) -> bool:
        """True when nothing arrives within ``timeout`` (and the connection stays open)."""
        try:
            data = await asyncio.wait_for(self.reader.read(1), timeout)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected bytes {data!r}")

    async def eof(self, timeout: float = TIMEOUT) -> bytes:
        """Everything until the server closes; fails if it does not close in time."""
        return await asyncio.wait_for(self.reader.read(), timeout)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - server state with no event to wait on
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def request(method: str, params: Any = "", rid: Any = 1) -> bytes:
    """A compact request as Go and Python clients write it (no trailing newline)."""
    return msgspec.json.encode({"method": method, "params": [params], "id": rid})


def sleep_request(rid: Any, ms: int, method: str = "CoreSv1.Sleep") -> bytes:
    return request(method, {"DurationTime": ms * 1_000_000}, rid)


# --- raw HTTP and WebSocket --------------------------------------------------------------


class HttpReply(msgspec.Struct):
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


async def http_request(
    address: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> HttpReply:
    """One HTTP/1.1 exchange on a fresh socket (``Connection: close``)."""
    host, _, port = address.rpartition(":")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), TIMEOUT)
    head = [f"{method} {path} HTTP/1.1", f"Host: {address}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT"):
        head.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    try:
        raw = await asyncio.wait_for(reader.read(), TIMEOUT)
    finally:
        writer.close()
    header_block, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *lines = header_block.decode("latin-1").split("\r\n")
    parsed = {}
    for line in lines:
        key, _, value = line.partition(":")
        parsed[key.strip().lower()] = value.strip()
    if parsed.get("transfer-encoding") == "chunked":
        payload = _dechunk(payload)
    return HttpReply(int(status_line.split()[1]), parsed, payload)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


WS_TEXT, WS_BINARY, WS_CLOSE = 0x1, 0x2, 0x8


class RawWebSocket:
    """A minimal RFC 6455 client: masked frames out, whole frames in (no Origin header)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(
        cls, address: str, path: str = "/ws", headers: dict[str, str] | None = None
    ) -> RawWebSocket:
        host, _, port = address.rpartition(":")
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port), limit=64 << 20), TIMEOUT
        )
        key = base64.b64encode(os.urandom(16)).decode()
        head = [
            f"GET {path} HTTP/1.1",
            f"Host: {address}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        status = response.split(b"\r\n", 1)[0]
        assert b" 101 " in status, status
        accept = base64.b64encode(
            hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
        )
        assert b"Sec-WebSocket-Accept: " + accept in response
        return cls(reader, writer)

    async def send_frame(self, payload: bytes, opcode: int = WS_TEXT) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + masked)
        await self.writer.drain()

    async def frame(self, timeout: float = TIMEOUT) -> tuple[int, bytes]:
        """(opcode, payload) of the next whole frame sent by the server."""

        async def read() -> tuple[int, bytes]:
            first, second = await self.reader.readexactly(2)
            assert first & 0x80, "fragmented frame"
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return first & 0x0F, await self.reader.readexactly(size)

        return await asyncio.wait_for(read(), timeout)

    async def reply(self, timeout: float = TIMEOUT) -> bytes:
        opcode, payload = await self.frame(timeout)
        assert opcode == WS_TEXT, (opcode, payload)
        return payload

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
