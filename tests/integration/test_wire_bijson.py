"""BiJSON on 2014: JSON-RPC both ways on one connection (PROTOCOLS.md §2, §3.2, §3.6)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from wire_peers import NODE_ID, BiJsonRig, RawClient, request, sleep_request, wait_until

from tollgate.core.errors import DisconnectedError, ReplyTimeoutError
from tollgate.rpc.codec import RemoteError

DISCONNECT = "SessionSv1.DisconnectSession"


async def test_clients_registered_on_connect_and_removed_on_disconnect(
    bijson: BiJsonRig,
) -> None:
    first, first_conn = await bijson.client()
    second, second_conn = await bijson.client()
    assert first_conn.conn_id != second_conn.conn_id
    assert bijson.server.clients == {
        first_conn.conn_id: first_conn,
        second_conn.conn_id: second_conn,
    }
    await first.close()
    await wait_until(lambda: first_conn.conn_id not in bijson.server.clients)
    assert list(bijson.server.clients) == [second_conn.conn_id]
    await second.close()
    await wait_until(lambda: not bijson.server.clients)


async def test_client_requests_in_json_c_style(bijson: BiJsonRig) -> None:
    client, _ = await bijson.client()
    try:
        await client.send(
            b'{ "method": "SessionSv1.Ping", "id": 1638400123, "params": [ "" ] }'
            b'{ "method": "SessionSv1.Ping", "id": 1638400124, "params": [ "" ] }'
        )
        assert await client.line() == b'{"id":1638400123,"result":"Pong","error":null}\n'
        assert await client.line() == b'{"id":1638400124,"result":"Pong","error":null}\n'
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("method", "text"),
    [
        ("SessionSv1.Nope", "birpc: can't find method SessionSv1.Nope"),
        ("CoreSv1.Ping", "birpc: can't find service CoreSv1.Ping"),
        ("Nope", "birpc: service/method request ill-formed: Nope"),
    ],
)
async def test_unknown_methods(bijson: BiJsonRig, method: str, text: str) -> None:
    client, _ = await bijson.client()
    try:
        assert await client.call(method, "", 5) == {"id": 5, "result": None, "error": text}
    finally:
        await client.close()


async def test_ids_echoed_verbatim(bijson: BiJsonRig) -> None:
    client, _ = await bijson.client()
    try:
        for raw in (b'"abc"', b"1.50", b'{"a":[1]}'):
            await client.send(b'{"method":"SessionSv1.Ping","params":[""],"id":' + raw + b"}")
            assert await client.line() == b'{"id":' + raw + b',"result":"Pong","error":null}\n'
    finally:
        await client.close()


@pytest.mark.parametrize(
    "notification",
    [
        b'{"method":"SessionSv1.Ping","params":[""]}',
        b'{"method":"SessionSv1.Ping","params":[""],"id":null}',
        b'{"method":"SessionSv1.Sleep","params":[{"DurationTime":1000000}]}',
        b'{"method":"SessionSv1.Nope","params":[""]}',
        b'{"method":"SessionSv1.Ping"}',
    ],
)
async def test_notifications_get_no_reply(bijson: BiJsonRig, notification: bytes) -> None:
    client, _ = await bijson.client()
    try:
        await client.send(notification)
        assert await client.silent(0.1)
        # the next bytes on the wire are the reply to the next real request
        assert await client.call("SessionSv1.Ping", "", 2) == {
            "id": 2,
            "result": "Pong",
            "error": None,
        }
    finally:
        await client.close()


async def test_pipelined_client_requests_in_completion_order(bijson: BiJsonRig) -> None:
    client, _ = await bijson.client()
    try:
        await client.send(
            sleep_request(1, 200, "SessionSv1.Sleep") + request("SessionSv1.Ping", "", 2)
        )
        assert (await client.reply())["id"] == 2
        assert await client.reply() == {"id": 1, "result": "OK", "error": None}
    finally:
        await client.close()


# --- the engine calling the client -------------------------------------------------------


async def test_engine_calls_client_while_client_request_outstanding(bijson: BiJsonRig) -> None:
    client, conn = await bijson.client()
    try:
        await client.send(sleep_request(100, 300, "SessionSv1.Sleep"))
        call = asyncio.ensure_future(
            conn.call(DISCONNECT, {"EventStart": {"OriginID": "abc"}, "Reason": "X"})
        )
        incoming = await client.line()
        assert incoming == (
            b'{"method":"SessionSv1.DisconnectSession","params":[{"EventStart":'
            b'{"OriginID":"abc"},"Reason":"X"}],"id":1}\n'
        )
        # the client asks something else before answering, as it may
        assert (await client.call("SessionSv1.Ping", "", 101))["result"] == "Pong"
        assert not call.done()
        await client.send(b'{"id":1,"result":"OK","error":null}')
        assert await asyncio.wait_for(call, 2.0) == "OK"
        assert await client.reply() == {"id": 100, "result": "OK", "error": None}
    finally:
        await client.close()


async def test_engine_request_ids_count_from_one_per_connection(bijson: BiJsonRig) -> None:
    client, conn = await bijson.client()
    other, other_conn = await bijson.client()
    try:
        for expected in (1, 2, 3):
            call = asyncio.ensure_future(conn.call("SessionSv1.GetActiveSessionIDs", ""))
            incoming = await client.reply()
            assert incoming == {
                "method": "SessionSv1.GetActiveSessionIDs",
                "params": [""],
                "id": expected,
            }
            await client.send(b'{"id":%d,"result":[],"error":null}' % expected)
            assert await call == []
        call = asyncio.ensure_future(other_conn.call("SessionSv1.GetActiveSessionIDs", ""))
        assert (await other.reply())["id"] == 1
        await other.send(b'{"id":1,"result":[],"error":null}')
        await call
    finally:
        await client.close()
        await other.close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b'{"id":1,"result":"OK","error":null}', "OK"),
        # OpenSIPS: spaced, its own key order, "error" first
        (b'{ "error": null, "result": "OK", "id": 1 }', "OK"),
        (
            b'{ "error": null, "result": [ { "OriginHost": "", "OriginID": "a\\/b" } ], "id": 1 }',
            [{"OriginHost": "", "OriginID": "a/b"}],
        ),
        # Go would drop the connection; we take it as success with no result
        (b'{"id":1,"result":null,"error":null}', None),
        (b'{"id":1}', None),
    ],
)
async def test_client_success_replies(bijson: BiJsonRig, reply: bytes, expected: object) -> None:
    client, conn = await bijson.client()
    try:
        call = asyncio.ensure_future(conn.call(DISCONNECT, {"Reason": "X"}))
        await client.line()
        await client.send(reply)
        assert await asyncio.wait_for(call, 2.0) == expected
        # the connection is still in service
        assert (await client.call("SessionSv1.Ping", "", 7))["result"] == "Pong"
        assert conn.conn_id in bijson.server.clients
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        (b'{"id":1,"result":null,"error":"Unknown Method"}', "Unknown Method"),
        (
            b'{ "error": "DialogID parameter is invalid or not found", "result": null, "id": 1 }',
            "DialogID parameter is invalid or not found",
        ),
        (b'{"id":1,"result":"OK","error":"cannot terminate dialog"}', "cannot terminate dialog"),
        (b'{"id":1,"result":null,"error":""}', "unspecified error"),
    ],
)
async def test_client_error_replies_become_remote_errors(
    bijson: BiJsonRig, reply: bytes, text: str
) -> None:
    client, conn = await bijson.client()
    try:
        call = asyncio.ensure_future(conn.call(DISCONNECT, {"Reason": "X"}))
        await client.line()
        await client.send(reply)
        with pytest.raises(RemoteError) as info:
            await asyncio.wait_for(call, 2.0)
        assert str(info.value) == text
        assert (await client.call("SessionSv1.Ping", "", 7))["result"] == "Pong"
    finally:
        await client.close()


@pytest.mark.parametrize(
    "reply",
    [
        b'{"id":"1","result":"OK","error":null}',
        b'{"id":-1,"result":"OK","error":null}',
        b'{"id":1.5,"result":"OK","error":null}',
        b'{"id":null,"result":"OK","error":null}',
        b'{"result":"OK","error":null}',
        b'{"id":1,"result":null,"error":{"code":1}}',
    ],
)
async def test_malformed_client_reply_closes_the_connection(
    bijson: BiJsonRig, reply: bytes
) -> None:
    client, conn = await bijson.client()
    try:
        call = asyncio.ensure_future(conn.call(DISCONNECT, {"Reason": "X"}))
        await client.line()
        await client.send(reply)
        assert await client.eof() == b""
        with pytest.raises((DisconnectedError, RemoteError)):
            await asyncio.wait_for(call, 2.0)
        await wait_until(lambda: conn.conn_id not in bijson.server.clients)
    finally:
        await client.close()


async def test_reply_timeout_then_late_reply_ignored(bijson: BiJsonRig) -> None:
    client, conn = await bijson.client()
    try:
        with pytest.raises(ReplyTimeoutError):
            await conn.call(DISCONNECT, {"Reason": "X"}, timeout=0.1)
        assert (await client.reply())["id"] == 1
        await client.send(b'{"id":1,"result":"OK","error":null}')
        # a stray reply is dropped; the connection keeps working both ways
        assert (await client.call("SessionSv1.Ping", "", 9))["result"] == "Pong"
        call = asyncio.ensure_future(conn.call(DISCONNECT, {"Reason": "Y"}))
        assert (await client.reply())["id"] == 2
        await client.send(b'{"id":2,"result":"OK","error":null}')
        assert await asyncio.wait_for(call, 2.0) == "OK"
    finally:
        await client.close()


async def test_client_disconnect_fails_the_outstanding_call(bijson: BiJsonRig) -> None:
    client, conn = await bijson.client()
    call = asyncio.ensure_future(conn.call(DISCONNECT, {"Reason": "X"}, timeout=5.0))
    await client.line()
    await client.close()
    with pytest.raises(DisconnectedError):
        await asyncio.wait_for(call, 2.0)
    with pytest.raises(DisconnectedError):
        await conn.call(DISCONNECT, {"Reason": "X"})


async def test_call_all_reaches_every_client(bijson: BiJsonRig) -> None:
    peers = [await bijson.client() for _ in range(3)]
    try:
        results = asyncio.ensure_future(
            bijson.server.call_all("SessionSv1.GetActiveSessionIDs", "", timeout=1.0)
        )
        answers = [
            b'{"id":1,"result":[{"OriginHost":"h0","OriginID":"c0"}],"error":null}',
            b'{ "error": null, "result": [ ], "id": 1 }',
            b'{"id":1,"result":null,"error":"NO_ACTIVE_SESSION"}',
        ]
        for (client, _), answer in zip(peers, answers, strict=True):
            assert (await client.reply())["method"] == "SessionSv1.GetActiveSessionIDs"
            await client.send(answer)
        got = await asyncio.wait_for(results, 2.0)
        ids = [conn.conn_id for _, conn in peers]
        assert set(got) == set(ids)
        assert got[ids[0]] == [{"OriginHost": "h0", "OriginID": "c0"}]
        assert got[ids[1]] == []
        assert isinstance(got[ids[2]], RemoteError)
        assert str(got[ids[2]]) == "NO_ACTIVE_SESSION"
    finally:
        for client, _ in peers:
            await client.close()


async def test_call_all_with_a_silent_client(bijson: BiJsonRig) -> None:
    (talker, talker_conn), (mute, mute_conn) = [await bijson.client() for _ in range(2)]
    try:
        results = asyncio.ensure_future(
            bijson.server.call_all("SessionSv1.GetActiveSessionIDs", "", timeout=0.5)
        )
        await talker.line()
        await talker.send(b'{"id":1,"result":[],"error":null}')
        got = await asyncio.wait_for(results, 2.0)
        assert got[talker_conn.conn_id] == []
        assert isinstance(got[mute_conn.conn_id], ReplyTimeoutError)
    finally:
        await talker.close()
        await mute.close()


async def test_register_internal_bijson_conn_renames_the_connection(bijson: BiJsonRig) -> None:
    client, conn = await bijson.client()
    try:
        old_id = conn.conn_id
        assert await client.call("SessionSv1.RegisterInternalBiJSONConn", "", 1) == {
            "id": 1,
            "result": "OK",
            "error": None,
        }
        assert conn.conn_id == NODE_ID
        assert bijson.server.clients == {NODE_ID: conn}
        assert old_id not in bijson.server.clients
        # calls still reach it under the new id
        call = asyncio.ensure_future(bijson.server.clients[NODE_ID].call(DISCONNECT, {}))
        assert (await client.reply())["method"] == DISCONNECT
        await client.send(b'{"id":1,"result":"OK","error":null}')
        assert await call == "OK"
    finally:
        await client.close()
    await wait_until(lambda: not bijson.server.clients)


async def test_dialog_ids_round_trip_as_integers(bijson: BiJsonRig) -> None:
    """OpenSIPS needs DialogID/DialogEntry back as JSON integers (§3.6, trap 5)."""
    client, conn = await bijson.client()
    try:
        await client.send(
            b'{ "method": "SessionSv1.InitiateSession", "id": 1638400125, "params": [ { '
            b'"InitSession": true, "Tenant": "cgrates.org", "Event": { "OriginID": '
            b'"3c8b\\/1@10.0.0.1", "OriginHost": "127.0.0.1", "DialogID": 1183, '
            b'"DialogEntry": 2871, "Usage": "30s", "Cost": 1.0, "Rate": 0.25 } } ] }'
        )
        assert await client.line() == (
            b'{"id":1638400125,"result":{"MaxUsage":10800000000000},"error":null}\n'
        )
        ((event, origin_conn),) = bijson.sessions.events
        assert origin_conn is conn
        call = asyncio.ensure_future(
            origin_conn.call(
                DISCONNECT,
                {
                    "EventStart": {**event, "CGRID": "abc", "Usage": 30000000000},
                    "Reason": "INSUFFICIENT_CREDIT",
                },
            )
        )
        wire = await client.line()
        assert b'"DialogID":1183,' in wire
        assert b'"DialogEntry":2871,' in wire
        assert b'"Cost":1,' in wire
        assert b'"Rate":0.25' in wire
        assert b'"Usage":30000000000' in wire
        decoded = msgspec.json.decode(wire)
        assert decoded["method"] == DISCONNECT
        assert decoded["params"][0]["EventStart"]["OriginID"] == "3c8b/1@10.0.0.1"
        assert decoded["params"][0]["Reason"] == "INSUFFICIENT_CREDIT"
        await client.send(b'{ "error": null, "result": "OK", "id": %d }' % decoded["id"])
        assert await asyncio.wait_for(call, 2.0) == "OK"
    finally:
        await client.close()


# --- bad input ---------------------------------------------------------------------------


async def test_bad_json_closes_only_that_connection(bijson: BiJsonRig) -> None:
    bystander, bystander_conn = await bijson.client()
    offender, offender_conn = await bijson.client()
    try:
        await bystander.send(sleep_request(1, 150, "SessionSv1.Sleep"))
        await offender.send(request("SessionSv1.Ping", "", 1) + b"[1,2]")
        assert await offender.eof() == b'{"id":1,"result":"Pong","error":null}\n'
        await wait_until(lambda: offender_conn.conn_id not in bijson.server.clients)
        assert await bystander.reply() == {"id": 1, "result": "OK", "error": None}
        assert bystander_conn.conn_id in bijson.server.clients
        newcomer, _ = await bijson.client()
        try:
            assert (await newcomer.call("SessionSv1.Ping", "", 3))["result"] == "Pong"
        finally:
            await newcomer.close()
    finally:
        await bystander.close()
        await offender.close()


async def test_request_split_one_byte_at_a_time(bijson: BiJsonRig) -> None:
    client: RawClient
    client, _ = await bijson.client()
    try:
        frame = b'{ "method": "SessionSv1.Ping", "params": [ "" ], "id": 4 }'
        for byte in frame[:-1]:
            await client.send(bytes([byte]))
        assert await client.silent(0.05)
        await client.send(frame[-1:])
        assert await client.line() == b'{"id":4,"result":"Pong","error":null}\n'
    finally:
        await client.close()
