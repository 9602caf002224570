"""Next start times of action timings (CGRateS v0.10's ActionTiming.GetNextStartTime)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tollgate.scheduler.models import RITiming
from tollgate.scheduler.timings import (
    builtin_timing,
    go_date,
    next_start,
    parse_int_list,
    valid_start_time,
)

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def ns(*parts: int, tz: dt.tzinfo = UTC) -> int:
    return int(dt.datetime(*parts, tzinfo=tz).timestamp()) * 10**9  # type: ignore[misc]


def at(value: int | None, tz: dt.tzinfo = UTC) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value / 1e9, tz)


def nxt(timing: RITiming, now: int, tz: dt.tzinfo = UTC) -> dt.datetime | None:
    return at(next_start(timing, now, tz), tz)


# CGRateS's own TestActionTimingGetNextStartTimesMonthlyEstimated vectors
@pytest.mark.parametrize(
    ("now", "day", "start", "expected"),
    [
        ((2020, 2, 7, 14, 25), 31, "00:00:00", (2020, 2, 29)),
        ((2020, 2, 17, 14, 25), 16, "00:00:00", (2020, 3, 16)),
        ((2020, 12, 17, 14, 25), 16, "00:00:00", (2021, 1, 16)),
        ((2020, 12, 17, 14, 25), 31, "00:00:00", (2020, 12, 31)),
        ((2020, 7, 31, 14, 25), 31, "15:00:00", (2020, 7, 31, 15)),
        ((2020, 2, 17, 14, 25), 17, "15:00:00", (2020, 2, 17, 15)),
        ((2020, 2, 17, 15, 25), 17, "10:00:00", (2020, 3, 17, 10)),
        ((2020, 9, 29, 14, 25), 31, "00:00:00", (2020, 9, 30)),
        ((2020, 9, 30, 14, 25), 31, "00:00:00", (2020, 10, 31)),
        ((2020, 9, 30, 14, 25), 31, "15:00:00", (2020, 9, 30, 15)),
        ((2020, 9, 30, 14, 25), 31, "14:25:01", (2020, 9, 30, 14, 25, 1)),
        ((2020, 12, 31, 14, 25), 31, "14:25:01", (2020, 12, 31, 14, 25, 1)),
        ((2020, 12, 31, 14, 25), 31, "14:25:00", (2021, 1, 31, 14, 25)),
        ((2021, 2, 28), 28, "", (2021, 3, 28)),
        ((2021, 10, 31), 30, "", (2021, 11, 30)),
        ((2020, 1, 29), 29, "", (2020, 2, 29)),  # leap year
        ((2020, 2, 29), 29, "", (2020, 3, 29)),
        ((2020, 2, 29), 30, "00:00:00", (2020, 3, 30)),
        ((2021, 11, 30), 31, "", (2021, 12, 31)),
        ((2021, 9, 29), 31, "", (2021, 9, 30)),
        # a 31st skips two months from January: back to February's last day
        ((2021, 1, 31, 15), 31, "14:00:00", (2021, 2, 28, 14)),
    ],
)
def test_monthly_estimated_falls_back_to_the_last_day(
    now: tuple[int, ...], day: int, start: str, expected: tuple[int, ...]
) -> None:
    timing = RITiming(ID="*monthly_estimated", MonthDays=[day], StartTime=start)
    assert nxt(timing, ns(*now)) == dt.datetime(*expected, tzinfo=UTC)  # type: ignore[misc]


def test_plain_monthly_skips_months_without_the_day() -> None:
    timing = RITiming(ID="*monthly", MonthDays=[31], StartTime="00:00:00")
    assert nxt(timing, ns(2021, 4, 1)) == dt.datetime(2021, 5, 31, tzinfo=UTC)
    assert nxt(timing, ns(2021, 1, 31, 1)) == dt.datetime(2021, 3, 31, tzinfo=UTC)


def test_month_end_is_the_last_day_in_leap_and_common_years() -> None:
    timing = RITiming(ID="*month_end", MonthDays=[-1], StartTime="10:00:00")
    assert nxt(timing, ns(2024, 2, 10)) == dt.datetime(2024, 2, 29, 10, tzinfo=UTC)
    assert nxt(timing, ns(2023, 2, 10)) == dt.datetime(2023, 2, 28, 10, tzinfo=UTC)
    assert nxt(timing, ns(2023, 2, 28, 10, 0, 1)) == dt.datetime(2023, 3, 31, 10, tzinfo=UTC)
    assert nxt(timing, ns(2023, 4, 30, 9)) == dt.datetime(2023, 4, 30, 10, tzinfo=UTC)


def test_next_start_is_strictly_after_the_current_second() -> None:
    timing = RITiming(StartTime="12:00:00")
    assert nxt(timing, ns(2024, 5, 1, 12)) == dt.datetime(2024, 5, 2, 12, tzinfo=UTC)
    half_past = ns(2024, 5, 1, 12) + 500_000_000
    assert nxt(timing, half_past) == dt.datetime(2024, 5, 2, 12, tzinfo=UTC)
    assert nxt(timing, ns(2024, 5, 1, 11, 59, 59)) == dt.datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_empty_start_time_is_midnight_and_asap_is_the_next_second() -> None:
    assert nxt(RITiming(), ns(2024, 5, 1, 8)) == dt.datetime(2024, 5, 2, tzinfo=UTC)
    asap = RITiming(StartTime="*asap")
    assert nxt(asap, ns(2024, 5, 1, 8)) == dt.datetime(2024, 5, 1, 8, 0, 1, tzinfo=UTC)


def test_week_days_and_month_days_match_either_as_cron() -> None:
    weekdays = RITiming(WeekDays=[1, 2, 3, 4, 5], StartTime="08:00:00")
    # 2024-05-03 is a Friday: the next working day is Monday the 6th
    assert nxt(weekdays, ns(2024, 5, 3, 9)) == dt.datetime(2024, 5, 6, 8, tzinfo=UTC)
    sunday = RITiming(WeekDays=[7], StartTime="00:00:00")  # 7 is Sunday, like 0
    assert nxt(sunday, ns(2024, 5, 3)) == dt.datetime(2024, 5, 5, tzinfo=UTC)
    either = RITiming(MonthDays=[20], WeekDays=[0], StartTime="00:00:00")
    assert nxt(either, ns(2024, 5, 6)) == dt.datetime(2024, 5, 12, tzinfo=UTC)
    assert nxt(either, ns(2024, 5, 19, 1)) == dt.datetime(2024, 5, 20, tzinfo=UTC)


def test_years_and_months_normalise_as_cgrates() -> None:
    # Years without Months is January; Months without MonthDays the 1st
    assert nxt(RITiming(Years=[2030]), ns(2024, 5, 1)) == dt.datetime(2030, 1, 1, tzinfo=UTC)
    new_year = RITiming(Months=[1], MonthDays=[1], StartTime="00:00:00")
    assert nxt(new_year, ns(2024, 5, 1)) == dt.datetime(2025, 1, 1, tzinfo=UTC)
    assert nxt(RITiming(Months=[3]), ns(2024, 5, 1)) == dt.datetime(2025, 3, 1, tzinfo=UTC)


def test_a_timing_that_never_comes_has_no_next_start() -> None:
    assert next_start(RITiming(Years=[2020]), ns(2024, 5, 1), UTC) is None
    assert next_start(RITiming(Months=[2], MonthDays=[30]), ns(2024, 5, 1), UTC) is None
    assert next_start(RITiming(Years=[2100]), ns(2024, 5, 1), UTC) is None  # past cronexpr


def test_star_clock_parts_repeat_every_minute_and_hour() -> None:
    every_minute = RITiming(ID="*every_minute", StartTime="*:*:5")
    assert nxt(every_minute, ns(2024, 5, 1, 8, 0, 5)) == dt.datetime(
        2024, 5, 1, 8, 1, 5, tzinfo=UTC
    )
    hourly = RITiming(ID="*hourly", StartTime="*:30:0")
    assert nxt(hourly, ns(2024, 5, 1, 23, 31)) == dt.datetime(2024, 5, 2, 0, 30, tzinfo=UTC)


def test_invalid_timings_raise() -> None:
    for timing in (
        RITiming(StartTime="25:00:00"),
        RITiming(Months=[13]),
        RITiming(MonthDays=[32]),
        RITiming(WeekDays=[8]),
        RITiming(StartTime="aa:00:00"),
    ):
        with pytest.raises(ValueError):
            next_start(timing, ns(2024, 5, 1), UTC)


def test_daylight_saving_days_in_the_configured_zone() -> None:
    daily = RITiming(StartTime="02:30:00")
    # spring forward: 02:30 does not exist in Berlin, Go's time.Date gives 03:30 CEST
    assert nxt(daily, ns(2026, 3, 29, tz=BERLIN), BERLIN) == dt.datetime(
        2026, 3, 29, 3, 30, tzinfo=BERLIN
    )
    # fall back: 02:30 happens twice; Go's lookup takes the second (CET) in Berlin...
    fall = next_start(daily, ns(2026, 10, 25, tz=BERLIN), BERLIN)
    assert at(fall, UTC) == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    # ...and the first (EDT) in New York
    one_thirty = RITiming(StartTime="01:30:00")
    fall_ny = next_start(one_thirty, ns(2026, 11, 1, tz=NEW_YORK), NEW_YORK)
    assert at(fall_ny, UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # the day after it is 02:30 CET again; the 25-hour day was before the second 02:30
    after = next_start(daily, ns(2026, 10, 25, 12, tz=BERLIN), BERLIN)
    before = next_start(daily, ns(2026, 10, 24, tz=BERLIN), BERLIN)
    assert after is not None
    assert fall is not None
    assert before is not None
    assert ((after - fall) // 10**9, (fall - before) // 10**9) == (24 * 3600, 25 * 3600)
    # a repeated hour never yields a start in the past
    first_0130 = ns(2026, 11, 1, 5, 40)  # 01:40 EDT, before the clocks go back
    later = next_start(RITiming(StartTime="*:35:00"), first_0130 + 3600 * 10**9, NEW_YORK)
    assert later is not None
    assert later > first_0130 + 3600 * 10**9


def test_go_date_rolls_fields_over() -> None:
    assert go_date(2024, 13, 1, 0, 0, 0, UTC) == ns(2025, 1, 1)
    assert go_date(2024, 3, 0, 0, 0, 0, UTC) == ns(2024, 2, 29)
    assert go_date(2024, 3, 31 - 31, 10, 0, 0, UTC) == ns(2024, 2, 29, 10)


def test_builtin_timings_are_fixed_at_load_time() -> None:
    now = dt.datetime(2024, 5, 17, 9, 8, 7, tzinfo=UTC)  # a Friday
    assert builtin_timing("*asap", now) == RITiming(ID="*asap", StartTime="*asap")
    assert builtin_timing("*every_minute", now) == RITiming(ID="*every_minute", StartTime="*:*:7")
    assert builtin_timing("*hourly", now) == RITiming(ID="*hourly", StartTime="*:8:7")
    assert builtin_timing("*daily", now) == RITiming(ID="*daily", StartTime="09:08:07")
    weekly = builtin_timing("*weekly", now)
    assert weekly is not None
    assert weekly.WeekDays == [5]
    monthly = builtin_timing("*monthly", now)
    assert monthly is not None
    assert monthly.MonthDays == [17]
    month_end = builtin_timing("*month_end", now)
    assert month_end is not None
    assert month_end.MonthDays == [-1]
    yearly = builtin_timing("*yearly", now)
    assert yearly is not None
    assert (yearly.Months, yearly.MonthDays) == ([5], [17])
    assert builtin_timing("TM_NOON", now) is None


def test_set_action_plan_time_formats() -> None:
    for good in ("", "*asap", "00:00:00", "8:5:3"):
        assert valid_start_time(good), good
    for bad in ("*any", "25", "aa:bb:cc", "00:00", "000:00:000"):
        assert not valid_start_time(bad), bad
    assert parse_int_list("*any") == []
    assert parse_int_list("1;2;5") == [1, 2, 5]
    with pytest.raises(ValueError):
        parse_int_list("1;x")
