from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tollgate.core.wire import ZERO_TIME, decode_any, encode, go_float


def test_integral_numbers_have_no_fraction_like_go() -> None:
    assert encode(go_float(10800.0)) == b"10800"
    assert encode(go_float(0.5)) == b"0.5"
    assert encode(Decimal("0.7169")) == b"0.7169"


def test_event_numbers_decode_exactly_and_echo_as_go_would() -> None:
    event = decode_any(b'{"DialogID":1183,"Usage":30.0,"Cost":0.1,"Name":"x"}')
    assert event["DialogID"] == 1183
    assert isinstance(event["DialogID"], int)
    assert isinstance(event["Cost"], Decimal)
    assert encode(event) == b'{"DialogID":1183,"Usage":30,"Cost":0.1,"Name":"x"}'


def test_times_are_rfc3339() -> None:
    assert encode(ZERO_TIME) == b'"0001-01-01T00:00:00Z"'
    assert encode(dt.datetime(2016, 1, 5, 18, 31, 5, tzinfo=dt.UTC)) == b'"2016-01-05T18:31:05Z"'
