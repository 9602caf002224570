"""RpcPool strategies, InternalConn and ConnManager over real TCP listeners on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    DisconnectedError,
    MandatoryIeMissingError,
    NotConnectedError,
    NotFoundError,
)
from tollgate.engine.api import CoreSv1
from tollgate.rpc.client import RpcClient
from tollgate.rpc.codec import RemoteError
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.pool import ConnManager, InternalConn, RpcPool, UnknownConnError
from tollgate.rpc.router import MethodNotFoundError, Router
from tollgate.rpc.tcp import TcpJsonServer


class _Engine:
    node_id = "test"
    started_at = dt.datetime.now(dt.UTC)


class WhoArgs(msgspec.Struct, kw_only=True):
    Tenant: str = "cgrates.org"
    Delay: float = 0.0


class Probe(Api):
    """Answers with the server's name and counts the calls it served."""

    namespace = "ProbeSv1"

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.name = name
        self.delay = delay
        self.calls = 0
        self.seen: list[Any] = []

    @rpc_method("Who")
    async def who(self, args: WhoArgs, ctx: CallContext) -> str:
        self.calls += 1
        self.seen.append(args)
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.name

    @rpc_method("Fail")
    def fail(self, args: Any, ctx: CallContext) -> str:
        self.calls += 1
        raise NotFoundError()


@dataclass
class Node:
    server: TcpJsonServer
    probe: Probe | None

    @property
    def address(self) -> str:
        return self.server.bound_address

    @property
    def calls(self) -> int:
        return self.probe.calls if self.probe else 0


Serve = Callable[..., Awaitable[Node]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[TcpJsonServer] = []

    async def start(name: str = "A", *, delay: float = 0.0, probe: bool = True) -> Node:
        router = Router()
        router.add_api(CoreSv1(_Engine()))  # type: ignore[arg-type]
        api = Probe(name, delay) if probe else None
        if api is not None:
            router.add_api(api)
        server = TcpJsonServer(Dispatcher(router), "127.0.0.1:0")
        await server.start()
        servers.append(server)
        return Node(server, api)

    yield start
    for server in servers:
        await server.stop(grace=0.5)


@pytest.fixture
async def pools() -> AsyncIterator[Callable[[str, list[Node]], RpcPool]]:
    made: list[RpcPool] = []

    def make(strategy: str, nodes: list[Node]) -> RpcPool:
        conns = [
            RpcClient(n.address, connect_timeout=0.2, reply_timeout=0.5, connect_attempts=1)
            for n in nodes
        ]
        pool = RpcPool(strategy, conns)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        await pool.close()


async def _who(pool: RpcPool, times: int) -> list[str]:
    return [await pool.call("ProbeSv1.Who", WhoArgs()) for _ in range(times)]


async def test_first_sticks_to_a_until_a_stops(serve: Serve, pools: Any) -> None:
    a, b = await serve("A"), await serve("B")
    pool = pools("*first", [a, b])
    assert await _who(pool, 3) == ["A", "A", "A"]
    await a.server.stop(grace=0)
    start = time.monotonic()
    assert await _who(pool, 3) == ["B", "B", "B"]
    assert time.monotonic() - start < 0.3  # failover does not wait connect_timeout per call
    assert (a.calls, b.calls) == (3, 3)


async def test_error_reply_is_returned_without_failover(serve: Serve, pools: Any) -> None:
    a, b = await serve("A"), await serve("B")
    pool = pools("*first", [a, b])
    with pytest.raises(RemoteError, match=r"^NOT_FOUND$"):
        await pool.call("ProbeSv1.Fail", {})
    assert (a.calls, b.calls) == (1, 0)


async def test_peer_without_the_service_counts_as_transport_failure(
    serve: Serve, pools: Any
) -> None:
    bare, b = await serve("bare", probe=False), await serve("B")
    pool = pools("*first", [bare, b])
    assert await _who(pool, 2) == ["B", "B"]
    with pytest.raises(RemoteError, match="can't find method"):  # a method: not failed over
        await pool.call("CoreSv1.Nope", {})


async def test_reply_timeout_fails_over(serve: Serve, pools: Any) -> None:
    slow, fast = await serve("slow", delay=1.0), await serve("fast")
    pool = pools("*first", [slow, fast])
    assert await pool.call("ProbeSv1.Who", WhoArgs()) == "fast"


async def test_next_starts_after_the_last_used(serve: Serve, pools: Any) -> None:
    a, b, c = await serve("A"), await serve("B"), await serve("C")
    pool = pools("*next", [a, b, c])
    assert await _who(pool, 4) == ["A", "B", "C", "A"]
    await b.server.stop(grace=0)
    # after A comes B (down) so C answers; after C comes A
    assert await _who(pool, 3) == ["C", "A", "C"]


async def test_round_robin_spreads_calls_and_fails_over(serve: Serve, pools: Any) -> None:
    a, b = await serve("A"), await serve("B")
    pool = pools("*round_robin", [a, b])
    assert await _who(pool, 4) == ["A", "B", "A", "B"]
    await a.server.stop(grace=0)
    assert await _who(pool, 3) == ["B", "B", "B"]


async def test_random_uses_every_peer_and_fails_over(serve: Serve, pools: Any) -> None:
    a, b = await serve("A"), await serve("B")
    pool = pools("*random", [a, b])
    assert set(await _who(pool, 30)) == {"A", "B"}
    await b.server.stop(grace=0)
    assert set(await _who(pool, 5)) == {"A"}


async def test_broadcast_returns_the_first_success_and_reaches_all(
    serve: Serve, pools: Any
) -> None:
    slow, fast = await serve("slow", delay=0.6), await serve("fast")
    pool = pools("*broadcast", [slow, fast])
    start = time.monotonic()
    assert await pool.call("ProbeSv1.Who", WhoArgs(Tenant="t1")) == "fast"
    assert time.monotonic() - start < 0.4
    await asyncio.sleep(0.05)
    assert (slow.calls, fast.calls) == (1, 1)  # the slow peer got the call too


async def test_broadcast_with_a_peer_down_and_all_failing(serve: Serve, pools: Any) -> None:
    a, b = await serve("A"), await serve("B")
    pool = pools("*broadcast", [a, b])
    await a.server.stop(grace=0)
    assert await pool.call("ProbeSv1.Who", WhoArgs()) == "B"
    with pytest.raises(RemoteError, match=r"^NOT_FOUND$"):  # what a peer said beats DISCONNECTED
        await pool.call("ProbeSv1.Fail", {})
    await b.server.stop(grace=0)
    with pytest.raises(DisconnectedError):
        await pool.call("ProbeSv1.Who", WhoArgs())


def test_unknown_strategy_is_named() -> None:
    with pytest.raises(ValueError, match=r"\*fastest"):
        RpcPool("*fastest", [RpcClient("127.0.0.1:2012")])
    with pytest.raises(ValueError, match="at least one"):
        RpcPool("*first", [])


# -- *internal ------------------------------------------------------------------------------


def _local() -> tuple[Router, Probe]:
    router = Router()
    probe = Probe("local")
    router.add_api(probe)
    return router, probe


async def test_internal_conn_passes_typed_args_and_converts_dicts() -> None:
    router, probe = _local()
    conn = InternalConn(router)
    args = WhoArgs(Tenant="x")
    assert await conn.call("ProbeSv1.Who", args) == "local"
    assert probe.seen[-1] is args  # no encoding on the way
    assert await conn.call("ProbeSv1.Who", {"Tenant": "y"}) == "local"
    assert probe.seen[-1] == WhoArgs(Tenant="y")
    with pytest.raises(NotFoundError):
        await conn.call("ProbeSv1.Fail", {})
    with pytest.raises(MethodNotFoundError, match="can't find service"):
        await conn.call("NopeSv1.Who", {})


# -- ConnManager ----------------------------------------------------------------------------


@dataclass
class HostCfg:
    address: str
    transport: str = "*json"
    tls: bool = False


@dataclass
class PoolCfg:
    strategy: str = "*first"
    conns: list[HostCfg] = field(default_factory=list)


async def test_conn_manager_resolves_ids(serve: Serve) -> None:
    a, b = await serve("A"), await serve("B")
    router, _ = _local()
    mgr = ConnManager(
        {
            "dicts": {
                "strategy": "*round_robin",
                "conns": [{"address": a.address}, {"address": b.address, "transport": "*json"}],
            },
            "typed": PoolCfg(conns=[HostCfg(b.address)]),
            "mixed": {"conns": [{"address": "*internal"}]},
        },
        router,
        reply_timeout=0.5,
        connect_timeout=0.2,
        connect_attempts=1,
    )
    try:
        assert isinstance(mgr.resolve("*internal"), InternalConn)
        assert mgr.resolve("dicts") is mgr.resolve("dicts")  # built once
        assert [await mgr.call(["dicts"], "ProbeSv1.Who", WhoArgs()) for _ in range(2)] == [
            "A",
            "B",
        ]
        assert await mgr.call(["typed"], "ProbeSv1.Who", WhoArgs()) == "B"
        assert await mgr.call(["mixed"], "ProbeSv1.Who", {}) == "local"
        assert await mgr.call(["*internal"], "ProbeSv1.Who", WhoArgs()) == "local"
        with pytest.raises(UnknownConnError, match=r"^NOT_CONNECTED: .*'nope'"):
            mgr.resolve("nope")
        assert isinstance(UnknownConnError("x"), NotConnectedError)
        with pytest.raises(MandatoryIeMissingError, match=r"\[connIDs\]"):
            await mgr.call([], "ProbeSv1.Who", {})
    finally:
        await mgr.close()


async def test_conn_manager_fails_over_across_conn_ids(serve: Serve) -> None:
    a, b = await serve("A"), await serve("B")
    await a.server.stop(grace=0)
    mgr = ConnManager(
        {"down": {"conns": [{"address": a.address}]}, "up": {"conns": [{"address": b.address}]}},
        None,
        reply_timeout=0.5,
        connect_timeout=0.2,
        connect_attempts=1,
    )
    try:
        assert await mgr.call(["nope", "down", "up"], "ProbeSv1.Who", WhoArgs()) == "B"
        with pytest.raises(RemoteError, match="NOT_FOUND"):  # an answer stops the walk
            await mgr.call(["up", "down"], "ProbeSv1.Fail", {})
        with pytest.raises(DisconnectedError):
            await mgr.call(["down"], "ProbeSv1.Who", WhoArgs())
        with pytest.raises(UnknownConnError):
            await mgr.call(["nope"], "ProbeSv1.Who", WhoArgs())
        with pytest.raises(NotConnectedError, match=r"\*internal"):  # no router given
            mgr.resolve("*internal")
    finally:
        await mgr.close()


async def test_localhost_defaults_to_port_2012() -> None:
    mgr = ConnManager({}, None)
    pool = mgr.resolve("*localhost")
    assert isinstance(pool, RpcPool)
    assert [c.address for c in pool.conns if isinstance(c, RpcClient)] == ["127.0.0.1:2012"]
    await mgr.close()
