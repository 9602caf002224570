"""ParseTimeDetectLayout forms and Go's RFC3339Nano output."""

from __future__ import annotations

import datetime as dt

import pytest

from tollgate.core.durations import SECOND
from tollgate.core.times import (
    ZERO_NS,
    GoTime,
    format_rfc3339,
    parse_rfc3339,
    parse_time_detect_layout,
)

NOW = GoTime(1_700_000_000 * SECOND + 5, dt.UTC)  # 2023-11-14T22:13:20.000000005Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-01-05T18:31:05Z", "2016-01-05T18:31:05Z"),
        ("2014-03-04T00:00:00.000000001Z", "2014-03-04T00:00:00.000000001Z"),
        ("2016-01-05T20:31:05+02:00", "2016-01-05T20:31:05+02:00"),
        ("1451982665", "2016-01-05T08:31:05Z"),
        ("1451982665123", "2016-01-05T08:31:05.123Z"),
        ("1451982665000000007", "2016-01-05T08:31:05.000000007Z"),
        ("2016-01-05 18:31:05", "2016-01-05T18:31:05Z"),
        ("20160105183105", "2016-01-05T18:31:05Z"),
        ("*now", "2023-11-14T22:13:20.000000005Z"),
        ("+1h", "2023-11-14T23:13:20.000000005Z"),
        ("*daily", "2023-11-15T22:13:20.000000005Z"),
        ("*monthly", "2023-12-14T22:13:20.000000005Z"),
        ("*month_end", "2023-11-30T23:59:59Z"),
        ("*month_end+1h", "2023-12-01T00:59:59Z"),
        ("", "0001-01-01T00:00:00Z"),
        ("*unlimited", "0001-01-01T00:00:00Z"),
    ],
)
def test_detect_layout(text, expected):
    assert parse_time_detect_layout(text, "UTC", now=NOW).rfc3339() == expected


def test_default_timezone_applies_to_zoneless_forms():
    got = parse_time_detect_layout("2016-01-05 18:31:05", "Europe/Berlin")
    assert got.rfc3339() == "2016-01-05T18:31:05+01:00"
    assert got.ns == parse_rfc3339("2016-01-05T17:31:05Z").ns


def test_zero_time_and_errors():
    assert parse_time_detect_layout("0").ns == ZERO_NS
    assert format_rfc3339(ZERO_NS) == "0001-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="Unsupported time format"):
        parse_time_detect_layout("yesterday")
    with pytest.raises(ValueError, match="RFC3339"):
        parse_rfc3339("2016-01-05")
