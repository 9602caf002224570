"""HTTP ``/jsonrpc``, ``/metrics`` and ``/openrpc.json`` on 2080 (PROTOCOLS.md §1.4)."""

from __future__ import annotations

import asyncio
import base64

import msgspec
import pytest
from wire_peers import (
    RawClient,
    RawWebSocket,
    ServerFactory,
    build_router,
    http_request,
    request,
    sleep_request,
    wait_until,
)

from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.http import HttpServer

PING = request("CoreSv1.Ping", "", 1)


@pytest.mark.parametrize("method", ["POST", "GET", "PUT", "PATCH", "DELETE"])
async def test_any_http_method_with_a_body(http_server: HttpServer, method: str) -> None:
    reply = await http_request(http_server.bound_address, method, "/jsonrpc", PING)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.body == b'{"id":1,"result":"Pong","error":null}\n'


async def test_rpc_errors_are_status_200(http_server: HttpServer) -> None:
    address = http_server.bound_address
    cases = [
        (request("CoreSv1.Nope", "", "a"), b'{"id":"a","result":null,"error":'
         b'"rpc: can\'t find method CoreSv1.Nope"}\n'),
        (request("WireTestSv1.Fail", "not_found", 2),
         b'{"id":2,"result":null,"error":"NOT_FOUND"}\n'),
        (b'{"method":"CoreSv1.Ping","id":3}',
         b'{"id":3,"result":null,"error":"jsonrpc: request body missing params"}\n'),
        (b'{"method":"WireTestSv1.Authorize","params":[{"GetMaxUsage":"x"}],"id":4}',
         b'{"id":4,"result":null,"error":"json: cannot unmarshal string into Go struct field '
         b'V1AuthorizeArgs.GetMaxUsage of type bool"}\n'),
    ]  # fmt: skip
    for body, expected in cases:
        reply = await http_request(address, "POST", "/jsonrpc", body)
        assert (reply.status, reply.body) == (200, expected)


async def test_async_handler_and_id_kept_verbatim(http_server: HttpServer) -> None:
    body = b'{ "method": "CoreSv1.Sleep", "params": [ { "DurationTime": 1000000 } ], "id": 1.50 }'
    reply = await http_request(http_server.bound_address, "POST", "/jsonrpc", body)
    assert reply.body == b'{"id":1.50,"result":"OK","error":null}\n'


async def test_missing_id_answered_with_null_id(http_server: HttpServer) -> None:
    body = b'{"method":"CoreSv1.Ping","params":[""]}'
    reply = await http_request(http_server.bound_address, "POST", "/jsonrpc", body)
    assert reply.body == b'{"id":null,"result":"Pong","error":null}\n'


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1,2]", b"42", b'{"method":', b"[" + PING + b"]", b'{"method":5}'],
)
async def test_invalid_body_is_400_with_an_error_object(
    http_server: HttpServer, body: bytes
) -> None:
    reply = await asyncio.wait_for(
        http_request(http_server.bound_address, "POST", "/jsonrpc", body), 3.0
    )
    assert reply.status == 400
    decoded = reply.json()
    assert list(decoded) == ["id", "result", "error"]
    assert decoded["id"] is None
    assert decoded["result"] is None
    assert isinstance(decoded["error"], str)
    assert decoded["error"]


async def test_only_the_first_request_of_a_body_is_answered(http_server: HttpServer) -> None:
    body = PING + request("SessionSv1.Ping", "", 2)
    reply = await http_request(http_server.bound_address, "POST", "/jsonrpc", body)
    assert reply.body == b'{"id":1,"result":"Pong","error":null}\n'


async def test_huge_body(http_server: HttpServer) -> None:
    blob = "z" * (5 << 20)
    body = request("WireTestSv1.Echo", blob, 1)
    reply = await http_request(http_server.bound_address, "POST", "/jsonrpc", body)
    assert reply.status == 200
    assert reply.json() == {"id": 1, "result": blob, "error": None}


async def test_concurrent_http_requests(http_server: HttpServer) -> None:
    address = http_server.bound_address
    loop = asyncio.get_running_loop()
    started = loop.time()
    replies = await asyncio.gather(
        *(http_request(address, "POST", "/jsonrpc", sleep_request(i, 200)) for i in range(10))
    )
    assert [r.json()["id"] for r in replies] == list(range(10))
    assert loop.time() - started < 2.0


# --- basic auth --------------------------------------------------------------------------

USERS = {"cgrates": base64.b64encode(b"s3cr3t").decode()}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _basic("cgrates", "wrong"),
        _basic("nobody", "s3cr3t"),
        _basic("cgrates", base64.b64encode(b"s3cr3t").decode()),  # the stored form is no key
        {"Authorization": "Bearer s3cr3t"},
        {"Authorization": "Basic !!!"},
    ],
)
async def test_basic_auth_refuses(make_http: ServerFactory, headers: dict[str, str]) -> None:
    server = await make_http(auth_users=USERS)
    for path in ("/jsonrpc", "/metrics", "/openrpc.json"):
        reply = await http_request(server.bound_address, "POST", path, PING, headers)
        assert reply.status == 401
        assert reply.headers["www-authenticate"].startswith("Basic")


async def test_basic_auth_accepts_the_right_password(make_http: ServerFactory) -> None:
    server = await make_http(auth_users=USERS)
    reply = await http_request(
        server.bound_address, "POST", "/jsonrpc", PING, _basic("cgrates", "s3cr3t")
    )
    assert (reply.status, reply.body) == (200, b'{"id":1,"result":"Pong","error":null}\n')


async def test_basic_auth_guards_the_websocket(make_http: ServerFactory) -> None:
    server = await make_http(auth_users=USERS)
    reply = await http_request(
        server.bound_address,
        "GET",
        "/ws",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert reply.status == 401
    ws = await RawWebSocket.connect(server.bound_address, headers=_basic("cgrates", "s3cr3t"))
    try:
        await ws.send_frame(PING)
        assert await ws.reply() == b'{"id":1,"result":"Pong","error":null}\n'
    finally:
        await ws.close()


# --- metrics and OpenRPC -----------------------------------------------------------------


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics:\n{text}")


async def test_metrics_count_requests_and_connections(
    make_http: ServerFactory, make_tcp: ServerFactory
) -> None:
    dispatcher = Dispatcher(build_router()[0])
    http = await make_http(dispatcher)
    tcp = await make_tcp(dispatcher)
    client = await RawClient.connect(tcp.bound_address)
    try:
        for i in range(3):
            assert (await client.call("CoreSv1.Ping", "", i))["result"] == "Pong"
        assert (await client.call("WireTestSv1.Fail", "not_found", 9))["error"] == "NOT_FOUND"
        assert (await client.call("CoreSv1.Nope", "", 10))["error"]
        await http_request(http.bound_address, "POST", "/jsonrpc", sleep_request(1, 1))
        reply = await http_request(http.bound_address, "GET", "/metrics")
        assert reply.status == 200
        assert reply.headers["content-type"].startswith("text/plain")
        text = reply.body.decode()
        assert _sample(text, 'tollgate_rpc_requests_total{method="CoreSv1.Ping"}') == 3
        assert _sample(text, 'tollgate_rpc_requests_total{method="CoreSv1.Sleep"}') == 1
        assert _sample(text, 'tollgate_rpc_errors_total{method="WireTestSv1.Fail"}') == 1
        assert _sample(text, 'tollgate_rpc_errors_total{method="CoreSv1.Ping"}') == 0
        assert _sample(text, "tollgate_rpc_unknown_methods_total") == 1
        assert _sample(text, 'tollgate_open_connections{listener="rpc_json"}') == 1
        assert 'tollgate_rpc_latency_seconds_bucket{le="+Inf",method="CoreSv1.Ping"} 3.0' in text
    finally:
        await client.close()
    await wait_until(lambda: dispatcher.metrics.connections["rpc_json"] == 0)
    reply = await http_request(http.bound_address, "GET", "/metrics")
    assert _sample(reply.body.decode(), 'tollgate_open_connections{listener="rpc_json"}') == 0


async def test_openrpc_lists_methods_with_schemas(http_server: HttpServer) -> None:
    reply = await http_request(http_server.bound_address, "GET", "/openrpc.json")
    assert reply.status == 200
    doc = reply.json()
    assert doc["openrpc"].startswith("1.")
    methods = {m["name"]: m for m in doc["methods"]}
    assert set(build_router()[0].names()) == set(methods)
    assert {"CoreSv1.Ping", "CoreSv1.Sleep", "SessionSv1.Ping", "_goRPC_.Cancel"} <= set(methods)
    authorize = methods["WireTestSv1.Authorize"]
    assert authorize["paramStructure"] == "by-position"
    ref = authorize["params"][0]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"]["GetMaxUsage"]["type"] == "boolean"
    assert schema["properties"]["Tenant"]["type"] == "string"
    assert methods["CoreSv1.Ping"]["result"]["schema"] == {"type": "string"}
    assert methods["CoreSv1.Ping"]["summary"]
    msgspec.json.encode(doc)  # round-trips as JSON
