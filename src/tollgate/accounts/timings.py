"""A balance's timings: when a balance with ``TimingIDs`` may pay.

CGRateS v0.10 copies the Timings.csv rows a balance's ``TimingIDs`` name into the balance's
``Timings`` when the balance is set (a ``*topup``/``*set_balance``… action or
APIerSv1.SetBalance/AddBalance); a debit then asks ``Balance.IsActiveAt(TimeStart)``. Here
the rows come from the DataDB's ``*timings`` partition (what a tariff-plan load writes) and
are converted by rating's :func:`~tollgate.rating.convert.convert_timing`, so a balance
timing and a rate-interval timing are one evaluator (:class:`~tollgate.rating.RITiming`).
An id that is not stored fails with ``could not find timing: <id>``; ``*any`` is the
built-in always-active timing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from tollgate.core.errors import TollgateError
from tollgate.rating import RITiming
from tollgate.rating.convert import ANY_TIMING, convert_timing
from tollgate.storage.datadb import DataDB
from tollgate.tariffplans import ApierTPTiming

__all__ = ["TIMINGS", "TimingNotFoundError", "balance_timings", "compiled_timings"]

TIMINGS = "*timings"
_ANY = "*any"

_decoder = msgspec.msgpack.Decoder(ApierTPTiming)


class TimingNotFoundError(TollgateError):
    """A balance names a timing that is not stored."""

    def __init__(self, timing_id: str) -> None:
        super().__init__(f"could not find timing: {timing_id}")
        self.timing_id = timing_id


def _wire(timing_id: str, timing: RITiming) -> dict[str, Any]:
    """``engine.RITiming`` as a balance's ``Timings`` marshals it."""
    return {
        "ID": timing_id,
        "Years": list(timing.years),
        "Months": list(timing.months),
        "MonthDays": list(timing.month_days),
        "WeekDays": list(timing.week_days),
        "StartTime": timing.start_time,
        "EndTime": timing.end_time,
    }


async def balance_timings(db: DataDB, timing_ids: Mapping[str, bool]) -> list[dict[str, Any]]:
    """The timings ``timing_ids`` name, in id order; ``could not find timing`` for an
    unknown id (a ``!`` negated id is looked up like any other, as CGRateS does)."""
    out: list[dict[str, Any]] = []
    for timing_id in sorted(timing_ids):
        if timing_id == _ANY:
            out.append(_wire(timing_id, ANY_TIMING))
            continue
        data = await db.get(TIMINGS, timing_id)
        if data is None:
            raise TimingNotFoundError(timing_id)
        try:
            timing = convert_timing(_decoder.decode(data))
        except (ValueError, msgspec.DecodeError) as exc:
            raise TollgateError(f"timing {timing_id}: {exc}") from None
        out.append(_wire(timing_id, timing))
    return out


def _key(data: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        tuple(data.get("Years") or ()),
        tuple(data.get("Months") or ()),
        tuple(data.get("MonthDays") or ()),
        tuple(data.get("WeekDays") or ()),
        data.get("StartTime") or "00:00:00",
        data.get("EndTime") or "",
    )


@functools.lru_cache(maxsize=4096)
def _compiled(key: tuple[Any, ...]) -> RITiming:
    years, months, month_days, week_days, start, end = key
    return RITiming(
        years=years,
        months=months,
        month_days=month_days,
        week_days=week_days,
        start_time=start,
        end_time=end,
    )


def compiled_timings(timings: Sequence[Mapping[str, Any]]) -> list[RITiming]:
    """A balance's stored ``Timings`` as rating timings; each distinct one is built once
    (the check runs per debited balance, so no HH:MM:SS is parsed per call)."""
    return [_compiled(_key(t)) for t in timings]
