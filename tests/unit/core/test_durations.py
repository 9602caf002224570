from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollgate.core.durations import (
    HOUR,
    MILLISECOND,
    MINUTE,
    SECOND,
    format_duration,
    parse_duration,
    parse_go_duration,
)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("0s", 0),
        ("1s", SECOND),
        ("1m30s", 90 * SECOND),
        ("2m10s", 130 * SECOND),
        ("1h", HOUR),
        ("3h", 3 * HOUR),
        ("0.5s", 500 * MILLISECOND),
        ("200ms", 200 * MILLISECOND),
        ("1.5h", 90 * MINUTE),
        ("-1m", -MINUTE),
        ("10us", 10_000),
        ("10µs", 10_000),
        ("7ns", 7),
    ],
)
def test_go_syntax(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("value", "ns"),
    [
        ("35", 35),  # a unit-less string is nanoseconds, as CGRateS reads it
        ("120000000000", 120 * SECOND),
        (90000000000, 90 * SECOND),
        (Decimal("1.9"), 1),
        ("", 0),
        (None, 0),
        ("*unlimited", -1),
        (" 60s ", MINUTE),
    ],
)
def test_cgrates_semantics(value: object, ns: int) -> None:
    assert parse_duration(value) == ns  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["ten", "1x", "s", "1.2.3s", "--1s", "1 s"])
def test_bad_durations_use_go_wording(bad: str) -> None:
    with pytest.raises(ValueError, match="time: "):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (SECOND, "1s"),
        (90 * SECOND, "1m30s"),
        (3 * HOUR, "3h0m0s"),
        (1500 * MILLISECOND, "1.5s"),
        (20 * MILLISECOND, "20ms"),
        (1500, "1.5µs"),
        (5, "5ns"),
        (-MINUTE, "-1m0s"),
        (HOUR + 1, "1h0m0.000000001s"),
    ],
)
def test_format_like_go(ns: int, text: str) -> None:
    assert format_duration(ns) == text


@given(st.integers(min_value=-(1 << 62), max_value=1 << 62))
def test_format_then_parse_round_trips(ns: int) -> None:
    assert parse_go_duration(format_duration(ns)) == ns
