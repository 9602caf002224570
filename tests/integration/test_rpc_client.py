"""RpcClient against real listeners on 127.0.0.1 ephemeral ports."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import DisconnectedError, NotFoundError, ReplyTimeoutError
from tollgate.engine.api import CoreSv1
from tollgate.rpc.client import GOB_UNSUPPORTED, RpcClient, backoff_delays
from tollgate.rpc.codec import RemoteError
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.http import HttpServer
from tollgate.rpc.router import Router
from tollgate.rpc.tcp import TcpJsonServer

MS = 1_000_000  # nanoseconds


class _Engine:
    node_id = "test"
    started_at = dt.datetime.now(dt.UTC)


class EchoArgs(msgspec.Struct, kw_only=True):
    Tenant: str = ""
    Cost: Decimal = Decimal(0)
    Usage: int = 0


class Probe(Api):
    namespace = "ProbeSv1"

    def __init__(self) -> None:
        self.calls = 0

    @rpc_method("Echo")
    def echo(self, args: EchoArgs, ctx: CallContext) -> EchoArgs:
        self.calls += 1
        return args

    @rpc_method("Fail")
    def fail(self, args: Any, ctx: CallContext) -> str:
        self.calls += 1
        raise NotFoundError()


def _router(probe: Probe) -> Router:
    router = Router()
    router.add_api(CoreSv1(_Engine()))  # type: ignore[arg-type]
    router.add_api(probe)
    return router


ServeTcp = Callable[..., Awaitable[tuple[TcpJsonServer, Probe]]]
MakeClient = Callable[..., RpcClient]


@pytest.fixture
async def serve() -> AsyncIterator[ServeTcp]:
    servers: list[TcpJsonServer] = []

    async def start(address: str = "127.0.0.1:0") -> tuple[TcpJsonServer, Probe]:
        probe = Probe()
        server = TcpJsonServer(Dispatcher(_router(probe)), address)
        await server.start()
        servers.append(server)
        return server, probe

    yield start
    for server in servers:
        await server.stop(grace=0.5)


@pytest.fixture
async def client() -> AsyncIterator[MakeClient]:
    made: list[RpcClient] = []

    def make(address: str, **kw: Any) -> RpcClient:
        opts: dict[str, Any] = {
            "connect_timeout": 0.2,
            "reply_timeout": 0.5,
            "connect_attempts": 2,
        }
        opts.update(kw)
        c = RpcClient(address, **opts)
        made.append(c)
        return c

    yield make
    for c in made:
        await c.close()


async def _closed_port(serve: ServeTcp) -> str:
    server, _ = await serve()
    address = server.bound_address
    await server.stop(grace=0)
    return address


async def test_call_encodes_structs_and_decodes_plain_values(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    c = client(server.bound_address)
    assert await c.call("CoreSv1.Ping", "") == "Pong"
    reply = await c.call(
        "ProbeSv1.Echo", EchoArgs(Tenant="cgrates.org", Cost=Decimal("0.0125"), Usage=60 * 10**9)
    )
    assert reply == {"Tenant": "cgrates.org", "Cost": Decimal("0.0125"), "Usage": 60_000_000_000}
    assert c.connected


async def test_pipelined_replies_are_matched_by_id(serve: ServeTcp, client: MakeClient) -> None:
    server, _ = await serve()
    c = client(server.bound_address, reply_timeout=2.0)
    finished: list[str] = []

    async def run(name: str, method: str, args: Any) -> Any:
        result = await c.call(method, args)
        finished.append(name)
        return result

    sleep = asyncio.ensure_future(run("sleep", "CoreSv1.Sleep", {"DurationTime": 200 * MS}))
    await asyncio.sleep(0.02)  # the Sleep request is on the wire first
    ping = asyncio.ensure_future(run("ping", "CoreSv1.Ping", ""))
    assert await asyncio.gather(sleep, ping) == ["OK", "Pong"]
    assert finished == ["ping", "sleep"]
    assert len(server.connections) == 1  # both on one connection


async def test_many_concurrent_calls_each_get_their_own_reply(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    c = client(server.bound_address)
    replies = await asyncio.gather(
        *(c.call("ProbeSv1.Echo", {"Tenant": f"t{i}", "Usage": i}) for i in range(200))
    )
    assert [r["Usage"] for r in replies] == list(range(200))
    assert all(r["Tenant"] == f"t{r['Usage']}" for r in replies)


async def test_error_reply_raises_remote_error_with_wire_text(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    c = client(server.bound_address)
    with pytest.raises(RemoteError, match=r"^NOT_FOUND$"):
        await c.call("ProbeSv1.Fail", {})
    with pytest.raises(RemoteError, match=r"rpc: can't find method CoreSv1\.Nope"):
        await c.call("CoreSv1.Nope", {})
    assert await c.call("CoreSv1.Ping", "") == "Pong"  # the connection stays usable


async def test_reply_timeout_then_late_reply_is_ignored(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    c = client(server.bound_address, reply_timeout=0.2)
    start = time.monotonic()
    with pytest.raises(ReplyTimeoutError, match="REPLY_TIMEOUT"):
        await c.call("CoreSv1.Sleep", {"DurationTime": 400 * MS})
    assert 0.18 < time.monotonic() - start < 0.35
    await asyncio.sleep(0.3)  # the late "OK" arrives and is dropped
    assert await c.call("CoreSv1.Ping", "") == "Pong"


async def test_server_down_raises_disconnected_quickly(serve: ServeTcp, client: MakeClient) -> None:
    address = await _closed_port(serve)
    c = client(address, connect_attempts=1, connect_timeout=0.5)
    start = time.monotonic()
    with pytest.raises(DisconnectedError, match="DISCONNECTED"):
        await c.call("CoreSv1.Ping", "")
    # later calls fail fast too: one refused dial, not connect_timeout
    with pytest.raises(DisconnectedError):
        await c.call("CoreSv1.Ping", "")
    assert time.monotonic() - start < 0.3


async def test_first_connect_retries_until_the_server_is_up(
    serve: ServeTcp, client: MakeClient
) -> None:
    address = await _closed_port(serve)
    c = client(address, connect_attempts=5, connect_timeout=1.0)
    call = asyncio.ensure_future(c.call("CoreSv1.Ping", ""))
    await asyncio.sleep(0.03)
    await serve(address)
    assert await call == "Pong"


async def test_in_flight_call_fails_and_client_reconnects_after_restart(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    address = server.bound_address
    c = client(address, reply_timeout=2.0, connect_timeout=0.5)
    assert await c.call("CoreSv1.Ping", "") == "Pong"
    in_flight = asyncio.ensure_future(c.call("CoreSv1.Sleep", {"DurationTime": 1000 * MS}))
    await asyncio.sleep(0.05)
    await server.stop(grace=0)
    with pytest.raises(DisconnectedError):
        await in_flight
    assert not c.connected
    with pytest.raises(DisconnectedError):  # still down
        await c.call("CoreSv1.Ping", "")
    await serve(address)
    assert await c.call("CoreSv1.Ping", "") == "Pong"
    assert c.connected


async def test_background_reconnect_restores_the_connection(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    address = server.bound_address
    c = client(address)
    assert await c.call("CoreSv1.Ping", "") == "Pong"
    await server.stop(grace=0)
    await asyncio.sleep(0.05)
    await serve(address)
    for _ in range(40):  # back-off pauses are short at first
        if c.connected:
            break
        await asyncio.sleep(0.025)
    assert c.connected


async def test_close_fails_in_flight_calls_and_refuses_new_ones(
    serve: ServeTcp, client: MakeClient
) -> None:
    server, _ = await serve()
    c = client(server.bound_address, reply_timeout=2.0)
    in_flight = asyncio.ensure_future(c.call("CoreSv1.Sleep", {"DurationTime": 500 * MS}))
    await asyncio.sleep(0.05)
    await c.close()
    with pytest.raises(DisconnectedError):
        await in_flight
    with pytest.raises(DisconnectedError):
        await c.call("CoreSv1.Ping", "")


def test_gob_and_unknown_transports_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"^\*gob transport is not supported by Tollgate; use \*json$"
    ):
        RpcClient("127.0.0.1:2013", transport="*gob")
    assert GOB_UNSUPPORTED.startswith("*gob")
    with pytest.raises(ValueError, match=r"\*bson"):
        RpcClient("127.0.0.1:2012", transport="*bson")
    with pytest.raises(ValueError, match="host:port"):
        RpcClient("localhost")


def test_backoff_is_fibonacci_and_capped() -> None:
    delays = list(itertools.islice(backoff_delays(0.1, cap=1.0), 8))
    assert delays == pytest.approx([0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.0])


# -- *http_jsonrpc --------------------------------------------------------------------------


@pytest.fixture
async def http_server() -> AsyncIterator[HttpServer]:
    server = HttpServer(Dispatcher(_router(Probe())), "127.0.0.1:0")
    await server.start()
    yield server
    await server.stop()


async def test_http_transport_calls_jsonrpc_url(
    http_server: HttpServer, client: MakeClient
) -> None:
    c = client(http_server.bound_address, transport="*http_jsonrpc")
    assert await c.call("CoreSv1.Ping", "") == "Pong"
    assert await c.call("ProbeSv1.Echo", EchoArgs(Cost=Decimal("1.5"))) == {
        "Tenant": "",
        "Cost": Decimal("1.5"),
        "Usage": 0,
    }
    with pytest.raises(RemoteError, match=r"^NOT_FOUND$"):
        await c.call("ProbeSv1.Fail", {})
    # the address may also be the full URL, as CGRateS configs write it
    url = client(f"http://{http_server.bound_address}/jsonrpc", transport="*http_jsonrpc")
    assert await url.call("CoreSv1.Ping", "") == "Pong"


async def test_http_transport_timeout_and_disconnect(
    http_server: HttpServer, serve: ServeTcp, client: MakeClient
) -> None:
    c = client(http_server.bound_address, transport="*http_jsonrpc", reply_timeout=0.2)
    with pytest.raises(ReplyTimeoutError):
        await c.call("CoreSv1.Sleep", {"DurationTime": 400 * MS})
    down = client(await _closed_port(serve), transport="*http_jsonrpc")
    with pytest.raises(DisconnectedError):
        await down.call("CoreSv1.Ping", "")
