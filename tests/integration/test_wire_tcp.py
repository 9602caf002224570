"""The raw JSON-RPC listener (2012) as a peer sees it on the socket (PROTOCOLS.md §1.1, §1.2)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from wire_peers import (
    RawClient,
    ServerFactory,
    limited,
    request,
    sleep_request,
    wait_until,
)

from tollgate.rpc.tcp import TcpJsonServer

PING = b'{"method":"CoreSv1.Ping","params":[""],"id":1}'

# --- framing -----------------------------------------------------------------------------


async def test_request_split_one_byte_at_a_time(tcp_client: RawClient) -> None:
    for byte in PING[:-1]:
        await tcp_client.send(bytes([byte]))
    assert await tcp_client.silent(0.05)
    await tcp_client.send(PING[-1:])
    assert await tcp_client.line() == b'{"id":1,"result":"Pong","error":null}\n'


async def test_many_requests_in_one_packet_without_delimiter(tcp_client: RawClient) -> None:
    await tcp_client.send(b"".join(request("CoreSv1.Ping", "", i) for i in range(1, 51)))
    replies = [await tcp_client.reply() for _ in range(50)]
    assert replies == [{"id": i, "result": "Pong", "error": None} for i in range(1, 51)]


async def test_whitespace_and_newlines_between_requests(tcp_client: RawClient) -> None:
    stream = (
        b"\n\r\n  "
        + request("CoreSv1.Ping", "", 1)
        + b"\n\n\t "
        + request("SessionSv1.Ping", "", 2)
        + b"\r\n"
    )
    await tcp_client.send(stream)
    assert [await tcp_client.reply() for _ in range(2)] == [
        {"id": 1, "result": "Pong", "error": None},
        {"id": 2, "result": "Pong", "error": None},
    ]


async def test_json_c_spaced_style_with_escaped_slashes(tcp_client: RawClient) -> None:
    # OpenSIPS: spaced json-c output, "\/" escapes, objects back to back without newline
    first = (
        b'{ "method": "WireTestSv1.Echo", "id": 1638400123, "params": [ { "Tenant": '
        b'"cgrates.org", "Event": { "OriginID": "a84b\\/c{[\\"", "Account": "1001" } } ] }'
    )
    second = b'{ "method": "CoreSv1.Ping", "id": 1638400124, "params": [ "" ] }'
    await tcp_client.send(first + second)
    assert await tcp_client.reply() == {
        "id": 1638400123,
        "result": {"Tenant": "cgrates.org", "Event": {"OriginID": 'a84b/c{["', "Account": "1001"}},
        "error": None,
    }
    assert await tcp_client.line() == b'{"id":1638400124,"result":"Pong","error":null}\n'


async def test_request_split_inside_strings_and_escapes(tcp_client: RawClient) -> None:
    frame = request("WireTestSv1.Echo", {"k": 'a\\"}]{["\u00e9\u20ac'}, 3)
    for cut in (frame.index(b"\\"), frame.index(b"\\") + 1, frame.index(b"\xe2") + 1):
        await tcp_client.send(frame[:cut])
        await asyncio.sleep(0.01)
        await tcp_client.send(frame[cut:])
        assert (await tcp_client.reply())["result"] == {"k": 'a\\"}]{["\u00e9\u20ac'}


# --- ids and reply shape -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_id", "echoed"),
    [
        (b"1", b"1"),
        (b'"abc"', b'"abc"'),
        (b"1.50", b"1.50"),
        (b"-7", b"-7"),
        (b"1e3", b"1e3"),
        (b"null", b"null"),
        (b'"a\\/b c"', b'"a\\/b c"'),
        (b'{ "k" : [ 1 , "x y" ] }', b'{"k":[1,"x y"]}'),
        (b"18446744073709551615", b"18446744073709551615"),
    ],
)
async def test_id_echoed_verbatim(tcp_client: RawClient, raw_id: bytes, echoed: bytes) -> None:
    await tcp_client.send(b'{"method":"CoreSv1.Ping","params":[""],"id":' + raw_id + b"}")
    assert await tcp_client.line() == b'{"id":' + echoed + b',"result":"Pong","error":null}\n'


async def test_missing_id_is_answered_with_null_id(tcp_client: RawClient) -> None:
    await tcp_client.send(b'{"method":"CoreSv1.Ping","params":[""]}')
    assert await tcp_client.line() == b'{"id":null,"result":"Pong","error":null}\n'


async def test_jsonrpc_2_member_ignored_and_never_sent(tcp_client: RawClient) -> None:
    await tcp_client.send(b'{"jsonrpc":"2.0","method":"CoreSv1.Ping","params":[""],"id":9}')
    assert await tcp_client.line() == b'{"id":9,"result":"Pong","error":null}\n'


async def test_error_reply_shape(tcp_client: RawClient) -> None:
    await tcp_client.send(request("WireTestSv1.Fail", "not_found", 4))
    assert await tcp_client.line() == b'{"id":4,"result":null,"error":"NOT_FOUND"}\n'


@pytest.mark.parametrize(
    ("method", "arg", "text"),
    [
        ("WireTestSv1.Fail", "not_found", "NOT_FOUND"),
        ("WireTestSv1.Fail", "mandatory", "MANDATORY_IE_MISSING: [Account Destination]"),
        ("WireTestSv1.Fail", "rals", "RALS_ERROR:NOT_FOUND"),
        ("WireTestSv1.Fail", "disk on fire", "SERVER_ERROR: disk on fire"),
        ("WireTestSv1.Fail", "", "SERVER_ERROR"),
        ("WireTestSv1.FailAsync", "not_found", "NOT_FOUND"),
        ("WireTestSv1.FailAsync", "disk on fire", "SERVER_ERROR: disk on fire"),
    ],
)
async def test_handler_errors_are_plain_strings(
    tcp_client: RawClient, method: str, arg: str, text: str
) -> None:
    assert await tcp_client.call(method, arg, 5) == {"id": 5, "result": None, "error": text}
    # the connection stays usable after an error reply
    assert (await tcp_client.call("CoreSv1.Ping", "", 6))["result"] == "Pong"


async def test_go_number_formatting_in_replies(tcp_client: RawClient) -> None:
    await tcp_client.send(request("WireTestSv1.Numbers", "", 1))
    line = await tcp_client.line()
    assert b'"Decimal":10800,' in line
    assert b'"Int":10800,' in line
    assert b'"Seconds":10800,' in line
    assert b'"Fraction":0.25,' in line
    assert b'"Nanoseconds":10800000000000}' in line
    assert b".0," not in line


async def test_integral_numbers_in_arguments_come_back_integral(tcp_client: RawClient) -> None:
    await tcp_client.send(
        b'{"method":"WireTestSv1.Echo","params":[{"a":30,"b":30.0,"c":"30","d":1.5,"e":1E3}],'
        b'"id":1}'
    )
    line = await tcp_client.line()
    assert line == b'{"id":1,"result":{"a":30,"b":30,"c":"30","d":1.5,"e":1000},"error":null}\n'


# --- method names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "text"),
    [
        ("Nope.Ping", "rpc: can't find service Nope.Ping"),
        ("CoreSv1.Nope", "rpc: can't find method CoreSv1.Nope"),
        ("coresv1.Ping", "rpc: can't find service coresv1.Ping"),
        ("CoreSv1.ping", "rpc: can't find method CoreSv1.ping"),
        ("Nope", "rpc: service/method request ill-formed: Nope"),
        ("", "rpc: service/method request ill-formed: "),
    ],
)
async def test_unknown_method_texts(tcp_client: RawClient, method: str, text: str) -> None:
    assert await tcp_client.call(method, "", 2) == {"id": 2, "result": None, "error": text}


async def test_missing_method_member(tcp_client: RawClient) -> None:
    await tcp_client.send(b'{"params":[""],"id":3}')
    assert await tcp_client.reply() == {
        "id": 3,
        "result": None,
        "error": "rpc: service/method request ill-formed: ",
    }


async def test_go_rpc_cancel_is_a_noop(tcp_client: RawClient) -> None:
    assert await tcp_client.call("_goRPC_.Cancel", {"Seq": 3}, 4) == {
        "id": 4,
        "result": False,
        "error": None,
    }


# --- params ------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [b"", b',"params":null'])
async def test_missing_or_null_params(tcp_client: RawClient, params: bytes) -> None:
    await tcp_client.send(b'{"method":"CoreSv1.Ping"' + params + b',"id":1}')
    assert await tcp_client.line() == (
        b'{"id":1,"result":null,"error":"jsonrpc: request body missing params"}\n'
    )


async def test_unknown_method_wins_over_missing_params(tcp_client: RawClient) -> None:
    await tcp_client.send(b'{"method":"CoreSv1.Nope","id":1}')
    assert (await tcp_client.reply())["error"] == "rpc: can't find method CoreSv1.Nope"


@pytest.mark.parametrize(
    ("params", "kind"),
    [(b'{"GetMaxUsage":true}', "object"), (b'"x"', "string"), (b"5", "number"), (b"true", "bool")],
)
async def test_params_not_an_array(tcp_client: RawClient, params: bytes, kind: str) -> None:
    await tcp_client.send(b'{"method":"WireTestSv1.Authorize","params":' + params + b',"id":1}')
    assert await tcp_client.reply() == {
        "id": 1,
        "result": None,
        "error": f"json: cannot unmarshal {kind} into Go value of type [1]interface {{}}",
    }


ZERO_AUTHORIZE = {
    "GetMaxUsage": False,
    "GetAttributes": False,
    "Tenant": "",
    "AttributeIDs": None,
    "Event": None,
}


@pytest.mark.parametrize("params", [b"[]", b"[null]"])
async def test_empty_or_null_params_give_the_zero_argument(
    tcp_client: RawClient, params: bytes
) -> None:
    await tcp_client.send(b'{"method":"WireTestSv1.Authorize","params":' + params + b',"id":1}')
    assert await tcp_client.reply() == {"id": 1, "result": ZERO_AUTHORIZE, "error": None}
    await tcp_client.send(b'{"method":"CoreSv1.Sleep","params":' + params + b',"id":2}')
    assert await tcp_client.reply() == {"id": 2, "result": "OK", "error": None}


async def test_extra_params_elements_ignored(tcp_client: RawClient) -> None:
    await tcp_client.send(
        b'{"method":"WireTestSv1.Authorize","params":[{"GetMaxUsage":true},5,"x",{}],"id":1}'
    )
    assert (await tcp_client.reply())["result"] == {**ZERO_AUTHORIZE, "GetMaxUsage": True}


@pytest.mark.parametrize(
    ("arg", "text"),
    [
        (
            b'{"GetMaxUsage":"true"}',
            "json: cannot unmarshal string into Go struct field V1AuthorizeArgs.GetMaxUsage "
            "of type bool",
        ),
        (
            b'{"Tenant":5}',
            "json: cannot unmarshal number into Go struct field V1AuthorizeArgs.Tenant "
            "of type string",
        ),
        (
            b'{"AttributeIDs":"ATTR_1"}',
            "json: cannot unmarshal string into Go struct field V1AuthorizeArgs.AttributeIDs "
            "of type []string",
        ),
        (
            b'{"AttributeIDs":["ATTR_1",2]}',
            "json: cannot unmarshal number into Go struct field V1AuthorizeArgs.AttributeIDs "
            "of type string",
        ),
        (
            b'{"Event":[]}',
            "json: cannot unmarshal array into Go struct field V1AuthorizeArgs.Event "
            "of type map[string]interface {}",
        ),
        (
            b'{"getmaxusage":1}',
            "json: cannot unmarshal number into Go struct field V1AuthorizeArgs.GetMaxUsage "
            "of type bool",
        ),
    ],
)
async def test_wrong_param_types_get_go_texts(tcp_client: RawClient, arg: bytes, text: str) -> None:
    await tcp_client.send(b'{"method":"WireTestSv1.Authorize","params":[' + arg + b'],"id":1}')
    assert await tcp_client.reply() == {"id": 1, "result": None, "error": text}
    # a params decode error answers and keeps the connection
    assert (await tcp_client.call("CoreSv1.Ping", "", 2))["result"] == "Pong"


async def test_field_names_match_case_insensitively(tcp_client: RawClient) -> None:
    await tcp_client.send(
        b'{"method":"WireTestSv1.Authorize","params":[{"getmaxusage":true,"TENANT":"cgrates.org",'
        b'"attributeids":["A"],"event":{"account":"1001","Account":"1002"},"Unknown":1}],"id":1}'
    )
    assert (await tcp_client.reply())["result"] == {
        "GetMaxUsage": True,
        "GetAttributes": False,
        "Tenant": "cgrates.org",
        "AttributeIDs": ["A"],
        # map keys stay case-sensitive
        "Event": {"account": "1001", "Account": "1002"},
    }


# --- pipelining and concurrency ----------------------------------------------------------


async def test_pipelined_replies_in_completion_order(tcp_client: RawClient) -> None:
    await tcp_client.send(sleep_request(1, 200) + request("CoreSv1.Ping", "", 2))
    first = await tcp_client.reply(timeout=1.0)
    assert first == {"id": 2, "result": "Pong", "error": None}
    assert await tcp_client.reply(timeout=2.0) == {"id": 1, "result": "OK", "error": None}


async def test_many_concurrent_sleeps_run_in_parallel(tcp_client: RawClient) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await tcp_client.send(b"".join(sleep_request(i, 200) for i in range(20)))
    ids = sorted([(await tcp_client.reply())["id"] for _ in range(20)])
    assert ids == list(range(20))
    assert loop.time() - started < 2.0


async def test_busy_limiter_denies_over_the_limit(make_tcp: ServerFactory) -> None:
    server = await make_tcp(limited("*busy"))
    client = await RawClient.connect(server.bound_address)
    try:
        await client.send(sleep_request(1, 200) + request("CoreSv1.Ping", "", 2))
        assert await client.reply() == {
            "id": 2,
            "result": None,
            "error": "denying request due to maximum active requests reached",
        }
        assert await client.reply() == {"id": 1, "result": "OK", "error": None}
        # the slot is free again
        assert (await client.call("CoreSv1.Ping", "", 3))["result"] == "Pong"
    finally:
        await client.close()


async def test_queue_limiter_waits_for_a_slot(make_tcp: ServerFactory) -> None:
    server = await make_tcp(limited("*queue"))
    client = await RawClient.connect(server.bound_address)
    try:
        await client.send(
            sleep_request(1, 150) + request("CoreSv1.Ping", "", 2) + sleep_request(3, 10)
        )
        replies = [await client.reply() for _ in range(3)]
        assert [r["id"] for r in replies] == [1, 2, 3]
        assert all(r["error"] is None for r in replies)
    finally:
        await client.close()


async def test_limiter_is_global_across_connections(make_tcp: ServerFactory) -> None:
    dispatcher = limited("*busy")
    server = await make_tcp(dispatcher)
    first = await RawClient.connect(server.bound_address)
    second = await RawClient.connect(server.bound_address)
    try:
        await first.send(sleep_request(1, 300))
        await wait_until(lambda: dispatcher.limiter.active == 1)
        assert (await second.call("CoreSv1.Ping", "", 2))["error"] == (
            "denying request due to maximum active requests reached"
        )
        assert (await first.reply())["result"] == "OK"
    finally:
        await first.close()
        await second.close()


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        b"[1,2]",
        b"42",
        b'"text"',
        b"nul",
        b'{"method":"CoreSv1.Ping","params":[""],"id":1,}\n',
        b'{"method":5,"params":[],"id":1}',
        b"}",
    ],
)
async def test_undecodable_or_non_object_closes_without_reply(
    tcp_server: TcpJsonServer, garbage: bytes
) -> None:
    client = await RawClient.connect(tcp_server.bound_address)
    try:
        await client.send(garbage)
        assert await client.eof() == b""
    finally:
        await client.close()


async def test_requests_before_bad_bytes_are_answered_then_closed(
    tcp_server: TcpJsonServer,
) -> None:
    client = await RawClient.connect(tcp_server.bound_address)
    try:
        await client.send(
            sleep_request(1, 100) + request("CoreSv1.Ping", "", 2) + b'{"method":tru}'
        )
        rest = await client.eof()
        assert rest == (
            b'{"id":2,"result":"Pong","error":null}\n{"id":1,"result":"OK","error":null}\n'
        )
    finally:
        await client.close()


async def test_bad_connection_does_not_affect_others(tcp_server: TcpJsonServer) -> None:
    address = tcp_server.bound_address
    bystander = await RawClient.connect(address)
    offender = await RawClient.connect(address)
    try:
        await bystander.send(sleep_request(1, 150))
        await offender.send(b"[1,2]")
        assert await offender.eof() == b""
        assert await bystander.reply() == {"id": 1, "result": "OK", "error": None}
        assert (await bystander.call("CoreSv1.Ping", "", 2))["result"] == "Pong"
        newcomer = await RawClient.connect(address)
        try:
            assert (await newcomer.call("CoreSv1.Ping", "", 3))["result"] == "Pong"
        finally:
            await newcomer.close()
    finally:
        await bystander.close()
        await offender.close()


async def test_client_closing_with_requests_in_flight(tcp_server: TcpJsonServer) -> None:
    client = await RawClient.connect(tcp_server.bound_address)
    await client.send(sleep_request(1, 100))
    await client.close()
    newcomer = await RawClient.connect(tcp_server.bound_address)
    try:
        assert (await newcomer.call("CoreSv1.Ping", "", 1))["result"] == "Pong"
    finally:
        await newcomer.close()


# --- large payloads ----------------------------------------------------------------------

HUGE = "x" * (5 << 20)


@pytest.mark.parametrize("chunk", [None, 64 << 10])
@pytest.mark.parametrize("method", ["WireTestSv1.Echo", "WireTestSv1.EchoAsync"])
async def test_huge_payload(tcp_client: RawClient, chunk: int | None, method: str) -> None:
    frame = request(method, {"Blob": HUGE, "Tail": "é\\/"}, 77) + request("CoreSv1.Ping", "", 78)
    if chunk is None:
        await tcp_client.send(frame)
    else:
        for start in range(0, len(frame), chunk):
            await tcp_client.send(frame[start : start + chunk])
    replies = {}
    for _ in range(2):
        reply = await tcp_client.reply(timeout=10.0)
        replies[reply["id"]] = reply
    assert replies[77]["result"] == {"Blob": HUGE, "Tail": "é\\/"}
    assert replies[78]["result"] == "Pong"


async def test_huge_payload_reply_is_one_line(tcp_client: RawClient) -> None:
    await tcp_client.send(request("WireTestSv1.Echo", HUGE, 1))
    line = await tcp_client.line(timeout=10.0)
    assert line == b'{"id":1,"result":"' + HUGE.encode() + b'","error":null}\n'


async def test_reply_survives_a_slow_reader(tcp_server: TcpJsonServer) -> None:
    # the client does not read while sending 40 MB of replies' worth of requests
    client = await RawClient.connect(tcp_server.bound_address)
    try:
        blob = "y" * (1 << 20)
        for i in range(40):
            await client.send(request("WireTestSv1.Echo", blob, i))
        for i in range(40):
            reply = msgspec.json.decode(await client.line(timeout=10.0))
            assert reply["id"] == i
            assert len(reply["result"]) == len(blob)
    finally:
        await client.close()
