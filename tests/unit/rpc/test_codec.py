from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tollgate.core.wire import decode_any, encode
from tollgate.rpc.codec import (
    NULL,
    FrameError,
    FrameSplitter,
    decode_message,
    encode_error,
    encode_request,
    encode_result,
)

REQUESTS = [
    b'{"method":"CoreSv1.Ping","params":[{}],"id":1}',
    b'{ "method": "SessionSv1.AuthorizeEventWithDigest", "id": 1638400123, "params": [ { '
    b'"Tenant": "cgrates.org", "Event": { "OriginID": "a84b\\/c{[", "Account": "1001" }, '
    b'"GetMaxUsage": true } ] }',
    b'{"method":"X.y","params":[{"s":"}}]]\\"{{"}],"id":"abc"}',
    b'{"method":"X.z","params":[[1,[2,{"a":[]}]]],"id":{"k":[1]}}',
]


def _methods(messages: list) -> list[str | None]:  # type: ignore[type-arg]
    return [m.method for m in messages]


def test_objects_without_delimiters_newlines_and_spaces() -> None:
    stream = REQUESTS[0] + REQUESTS[1] + b"\n\n  " + REQUESTS[2] + b"\r\n" + REQUESTS[3]
    got = FrameSplitter().feed(stream)
    assert _methods(got) == ["CoreSv1.Ping", "SessionSv1.AuthorizeEventWithDigest", "X.y", "X.z"]
    assert decode_any(bytes(got[1].params))[0]["Event"]["OriginID"] == "a84b/c{["


@settings(max_examples=200)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60))
def test_any_split_of_the_stream_gives_the_same_requests(cuts: list[int]) -> None:
    stream = b"".join(
        r + sep for r, sep in zip(REQUESTS * 2, [b"", b"\n", b" ", b""] * 2, strict=True)
    )
    splitter = FrameSplitter()
    got = []
    pos = 0
    for cut in cuts:
        got += splitter.feed(stream[pos : pos + cut])
        pos += cut
    got += splitter.feed(stream[pos:])
    assert (
        _methods(got) == ["CoreSv1.Ping", "SessionSv1.AuthorizeEventWithDigest", "X.y", "X.z"] * 2
    )
    assert splitter.pending == 0


def test_large_frame_in_many_pieces() -> None:
    big = b'{"method":"X.y","params":[{"blob":"' + b"a]}" * 400_000 + b'"}],"id":1}'
    splitter = FrameSplitter()
    got = []
    for i in range(0, len(big), 65536):
        got += splitter.feed(big[i : i + 65536])
    assert len(got) == 1
    assert len(decode_any(bytes(got[0].params))[0]["blob"]) == 1_200_000


def test_long_string_in_small_reads_is_not_rescanned() -> None:
    # json-c peers write in 4 KiB pieces; rescanning the string per read was quadratic
    blob = b'x\\"y\\\\z' * 400_000
    big = b'{"method":"X.y","params":["' + blob + b'"],"id":1}'
    splitter = FrameSplitter()
    got = []
    started = time.perf_counter()
    for i in range(0, len(big), 4096):
        got += splitter.feed(big[i : i + 4096])
    assert time.perf_counter() - started < 2.0
    assert decode_any(bytes(got[0].params)) == ['x"y\\z' * 400_000]


def test_escapes_split_at_every_position() -> None:
    frame = b'{"method":"X.y","params":["\\\\\\"\\u00e9\\/}]"],"id":"\\""}'
    for cut in range(1, len(frame)):
        splitter = FrameSplitter()
        got = splitter.feed(frame[:cut]) + splitter.feed(frame[cut:])
        assert decode_any(bytes(got[0].params)) == ['\\"\u00e9/}]']
        assert bytes(got[0].id) == b'"\\""'


@pytest.mark.parametrize("bad", [b"[1,2]", b"42", b'"x"', b"{]", b'{"method":5}\n', b"}{"])
def test_non_objects_and_garbage_are_frame_errors(bad: bytes) -> None:
    with pytest.raises(FrameError):
        FrameSplitter().feed(bad)


def test_frames_before_the_bad_bytes_are_kept() -> None:
    with pytest.raises(FrameError) as info:
        FrameSplitter().feed(REQUESTS[0] + b"\n" + REQUESTS[2] + b"[oops]")
    assert _methods(info.value.messages) == ["CoreSv1.Ping", "X.y"]


def test_ids_are_echoed_verbatim() -> None:
    for raw in (b"1", b'"abc"', b"1.50", b"null", b'{"a":[1,2]}'):
        msg = decode_message(b'{"method":"A.b","params":[],"id":' + raw + b"}")
        assert (
            encode_result(msg.id, b'"Pong"')
            == b'{"id":' + raw + b',"result":"Pong","error":null}\n'
        )
    spaced = decode_message(b'{"method":"A.b","id": { "a" : [ 1, 2 ], "s": "x y" } }')
    assert encode_error(spaced.id, "NOT_FOUND") == (
        b'{"id":{"a":[1,2],"s":"x y"},"result":null,"error":"NOT_FOUND"}\n'
    )
    missing = decode_message(b'{"method":"A.b","params":[]}')
    assert not missing.has_id
    assert encode_result(missing.id, b"1").startswith(b'{"id":null,')


def test_engine_requests_carry_one_param_and_an_integer_id() -> None:
    out = encode_request("SessionSv1.GetActiveSessionIDs", encode(""), 2)
    assert out == b'{"method":"SessionSv1.GetActiveSessionIDs","params":[""],"id":2}\n'
    assert decode_message(out).params == decode_message(b'{"params":[""]}').params
    assert decode_message(b'{"id":null}').id == NULL
