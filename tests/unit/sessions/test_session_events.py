"""Reading session events (MapEvent), ProcessEvent flags and a run's reserve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tollgate.core.errors import TollgateError
from tollgate.sessions.events import (
    cgrid_of,
    event_duration,
    event_duration_or_none,
    event_string,
    event_time,
    extra_fields,
    get_set_cgrid,
)
from tollgate.sessions.flags import parse_flags
from tollgate.sessions.session import RunDescriptor, SRun

S = 1_000_000_000


def test_cgrid_is_sha1_of_origin_id_and_host() -> None:
    assert cgrid_of("TestSSv1It1", "") == "5668666d6b8e44eb949042f25ce0796ec3592ff9"
    event = {"OriginID": "TestSSv1It2", "OriginHost": "TestSSv1It3"}
    assert get_set_cgrid(event) == "f7f5cf1029905f9b98be1a608e4bd975b8e51413"
    assert event["CGRID"] == "f7f5cf1029905f9b98be1a608e4bd975b8e51413"
    assert get_set_cgrid({"CGRID": "given", "OriginID": "x"}) == "given"


@pytest.mark.parametrize(
    ("value", "ns"),
    [
        (90000000000, 90 * S),
        (Decimal("90000000000.7"), 90 * S),
        ("35s", 35 * S),
        ("35", 35),  # a string without unit is nanoseconds
        ("1m30s", 90 * S),
        ("0s", 0),
        ("", 0),
    ],
)
def test_durations(value: object, ns: int) -> None:
    assert event_duration({"Usage": value}, "Usage") == ns


def test_missing_and_bad_durations() -> None:
    assert event_duration({}, "Usage") is None
    with pytest.raises(TollgateError):
        event_duration({"Usage": "soon"}, "Usage")
    assert event_duration_or_none({"Usage": "soon"}, "Usage") is None
    assert event_duration_or_none({"Usage": True}, "Usage") is None


def test_times_are_strings_only() -> None:
    at = event_time({"AnswerTime": "1700000004"}, "AnswerTime", "UTC")
    assert at is not None
    assert at.rfc3339() == "2023-11-14T22:13:24Z"
    assert event_time({"AnswerTime": 1700000004}, "AnswerTime", "UTC") is None
    assert event_time({"AnswerTime": "0"}, "AnswerTime", "UTC") is None  # the zero time
    assert event_time({"AnswerTime": "later"}, "AnswerTime", "UTC") is None
    local = event_time({"SetupTime": "2024-01-08 10:00:00"}, "SetupTime", "Europe/Berlin")
    assert local is not None
    assert local.to_datetime().utcoffset() == dt.timedelta(hours=1)


def test_strings_and_extra_fields() -> None:
    event = {"Account": "1001", "DialogID": 1183, "Rate": Decimal("0.5"), "Flag": True,
             "Usage": 5, "Nothing": None}  # fmt: skip
    assert event_string(event, "DialogID") == "1183"
    assert event_string(event, "Missing") == ""
    assert extra_fields(event) == {"DialogID": "1183", "Rate": "0.5", "Flag": "true",
                                   "Nothing": ""}  # fmt: skip


def test_flags() -> None:
    assert parse_flags(["*rals:*initiate;*fd", "*attributes:A1;A2", "*cdrs"]) == {
        "*rals": ["*initiate", "*fd"],
        "*attributes": ["A1", "A2"],
        "*cdrs": [],
    }
    assert parse_flags(["*routes:*ignore_errors"]) == {"*suppliers": ["*ignore_errors"]}
    with pytest.raises(TollgateError, match="UNSUPPORTED_FORMAT"):
        parse_flags(["*rals:*x:y"])


def _run() -> SRun:
    cd = RunDescriptor("c", "*default", "*voice", "t", "call", "1001", "1001", "1003", 0, 0,
                       dt.UTC)  # fmt: skip
    return SRun(event={}, cd=cd)


def test_debit_reserve_with_last_used() -> None:
    # the arithmetic of the conformance case update_with_lastused
    sr = _run()
    sr.last_usage, sr.total_usage = 120 * S, 120 * S  # after the initiate
    assert sr.debit_reserve(120 * S, 90 * S) == 90 * S  # 30s back into the reserve first
    assert sr.total_usage == 90 * S
    sr.last_usage, sr.total_usage = 120 * S, 210 * S
    assert sr.debit_reserve(120 * S, 150 * S) == 150 * S  # 30s more used than reserved
    assert sr.total_usage == 240 * S


def test_debit_reserve_takes_what_a_debit_rounded_up() -> None:
    sr = _run()
    sr.extra_duration = 50 * S
    assert sr.debit_reserve(10 * S, None) == 0
    assert (sr.extra_duration, sr.last_usage, sr.total_usage) == (40 * S, 10 * S, 10 * S)
    assert sr.debit_reserve(60 * S, None) == 20 * S
    assert sr.extra_duration == 0
