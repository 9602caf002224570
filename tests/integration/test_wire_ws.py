"""WebSocket ``/ws`` on 2080: a byte stream like 2012, one text frame per reply (§1.5)."""

from __future__ import annotations

import msgspec
from wire_peers import (
    WS_BINARY,
    WS_CLOSE,
    RawWebSocket,
    ServerFactory,
    build_router,
    http_request,
    limited,
    request,
    sleep_request,
    wait_until,
)

from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.http import HttpServer

PING = request("CoreSv1.Ping", "", 1)
PONG = b'{"id":1,"result":"Pong","error":null}\n'


async def test_upgrade_without_origin_is_accepted(http_server: HttpServer) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(PING)
        assert await ws.reply() == PONG
    finally:
        await ws.close()


async def test_upgrade_with_origin_is_accepted(http_server: HttpServer) -> None:
    ws = await RawWebSocket.connect(
        http_server.bound_address, headers={"Origin": "http://localhost/"}
    )
    try:
        await ws.send_frame(PING)
        assert await ws.reply() == PONG
    finally:
        await ws.close()


async def test_request_spanning_frames(http_server: HttpServer) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        frame = b'{ "method": "WireTestSv1.Echo", "params": [ { "Path": "a\\/b" } ], "id": "x" }'
        for start in range(0, len(frame), 5):
            await ws.send_frame(frame[start : start + 5])
        assert await ws.reply() == b'{"id":"x","result":{"Path":"a/b"},"error":null}\n'
    finally:
        await ws.close()


async def test_several_requests_per_frame_each_reply_its_own_frame(
    http_server: HttpServer,
) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(
            request("CoreSv1.Ping", "", 1) + b"\n" + request("SessionSv1.Ping", "", 2)
            + request("CoreSv1.Nope", "", 3)
        )  # fmt: skip
        assert await ws.reply() == PONG
        assert await ws.reply() == b'{"id":2,"result":"Pong","error":null}\n'
        assert await ws.reply() == (
            b'{"id":3,"result":null,"error":"rpc: can\'t find method CoreSv1.Nope"}\n'
        )
    finally:
        await ws.close()


async def test_binary_frames_are_read_as_the_same_stream(http_server: HttpServer) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(PING[:10], WS_BINARY)
        await ws.send_frame(PING[10:], WS_BINARY)
        assert await ws.reply() == PONG  # replies stay text frames
    finally:
        await ws.close()


async def test_pipelined_replies_in_completion_order(http_server: HttpServer) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(sleep_request(1, 200) + request("CoreSv1.Ping", "", 2))
        assert msgspec.json.decode(await ws.reply())["id"] == 2
        assert await ws.reply() == b'{"id":1,"result":"OK","error":null}\n'
    finally:
        await ws.close()


async def test_missing_id_and_errors(http_server: HttpServer) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(b'{"method":"CoreSv1.Ping","params":[""]}')
        assert await ws.reply() == b'{"id":null,"result":"Pong","error":null}\n'
        await ws.send_frame(b'{"method":"CoreSv1.Ping","params":{},"id":7}')
        assert await ws.reply() == (
            b'{"id":7,"result":null,"error":"json: cannot unmarshal object into Go value of '
            b'type [1]interface {}"}\n'
        )
    finally:
        await ws.close()


async def test_bad_json_closes_after_answering_earlier_requests(
    http_server: HttpServer,
) -> None:
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(sleep_request(1, 50) + PING.replace(b"1}", b"2}") + b"[1,2]")
        assert msgspec.json.decode(await ws.reply())["id"] == 2
        assert msgspec.json.decode(await ws.reply())["id"] == 1
        opcode, _ = await ws.frame()
        assert opcode == WS_CLOSE
    finally:
        await ws.close()
    # the listener keeps serving
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        await ws.send_frame(PING)
        assert await ws.reply() == PONG
    finally:
        await ws.close()


async def test_huge_request_over_many_frames(http_server: HttpServer) -> None:
    blob = "w" * (5 << 20)
    frame = request("WireTestSv1.Echo", blob, 1)
    ws = await RawWebSocket.connect(http_server.bound_address)
    try:
        for start in range(0, len(frame), 64 << 10):
            await ws.send_frame(frame[start : start + (64 << 10)])
        assert await ws.reply(timeout=10.0) == b'{"id":1,"result":"' + blob.encode() + (
            b'","error":null}\n'
        )
    finally:
        await ws.close()


async def test_busy_limiter_on_websocket(make_http: ServerFactory) -> None:
    server = await make_http(limited("*busy"))
    ws = await RawWebSocket.connect(server.bound_address)
    try:
        await ws.send_frame(sleep_request(1, 200) + request("CoreSv1.Ping", "", 2))
        assert msgspec.json.decode(await ws.reply()) == {
            "id": 2,
            "result": None,
            "error": "denying request due to maximum active requests reached",
        }
        assert msgspec.json.decode(await ws.reply())["result"] == "OK"
    finally:
        await ws.close()


async def test_open_websockets_in_metrics(make_http: ServerFactory) -> None:
    server = await make_http(Dispatcher(build_router()[0]))
    ws = await RawWebSocket.connect(server.bound_address)
    try:
        await ws.send_frame(PING)
        await ws.reply()
        text = (await http_request(server.bound_address, "GET", "/metrics")).body.decode()
        assert 'tollgate_open_connections{listener="ws"} 1.0' in text
    finally:
        await ws.close()
    await wait_until(lambda: server.dispatcher.metrics.connections["ws"] == 0)
    text = (await http_request(server.bound_address, "GET", "/metrics")).body.decode()
    assert 'tollgate_open_connections{listener="ws"} 0.0' in text
