"""Servers of the RPC layer on loopback ephemeral ports, built directly (no config).

A :class:`Router` with CoreSv1, SessionSv1, ``_goRPC_`` and the test APIs of
``wire_peers`` sits behind TCP (2012), BiJSON (2014) and HTTP/WS (2080) listeners.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from wire_peers import BiJsonRig, RawClient, ServerFactory, build_router

from tollgate.rpc.bijson import BiJsonServer
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.http import HttpServer
from tollgate.rpc.tcp import TcpJsonServer


@pytest.fixture
async def servers() -> AsyncIterator[list[Any]]:
    """Started servers, stopped at teardown."""
    started: list[Any] = []
    yield started
    for server in reversed(started):
        await server.stop(grace=1.0)


@pytest.fixture
def make_tcp(servers: list[Any]) -> ServerFactory:
    async def make(dispatcher: Dispatcher | None = None) -> TcpJsonServer:
        server = TcpJsonServer(dispatcher or Dispatcher(build_router()[0]), "127.0.0.1:0")
        await server.start()
        servers.append(server)
        return server

    return make


@pytest.fixture
async def tcp_server(make_tcp: ServerFactory) -> TcpJsonServer:
    server: TcpJsonServer = await make_tcp()
    return server


@pytest.fixture
async def tcp_client(tcp_server: TcpJsonServer) -> AsyncIterator[RawClient]:
    client = await RawClient.connect(tcp_server.bound_address)
    yield client
    await client.close()


@pytest.fixture
def make_http(servers: list[Any]) -> ServerFactory:
    async def make(
        dispatcher: Dispatcher | None = None, auth_users: dict[str, str] | None = None
    ) -> HttpServer:
        server = HttpServer(
            dispatcher or Dispatcher(build_router()[0]), "127.0.0.1:0", auth_users=auth_users
        )
        await server.start()
        servers.append(server)
        return server

    return make


@pytest.fixture
async def http_server(make_http: ServerFactory) -> HttpServer:
    server: HttpServer = await make_http()
    return server


@pytest.fixture
async def bijson(servers: list[Any]) -> BiJsonRig:
    """The 2014 listener as the engine builds it: SessionSv1 and SMGenericV1 only."""
    router, sessions = build_router()
    dispatcher = Dispatcher(router.subset(["SessionSv1", "SMGenericV1"]), unknown_prefix="birpc")
    server = BiJsonServer(dispatcher, "127.0.0.1:0")
    await server.start()
    servers.append(server)
    return BiJsonRig(server, sessions)
