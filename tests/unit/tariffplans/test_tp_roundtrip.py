"""Property: random valid Destinations.csv and Rates.csv rows read back as written."""

from __future__ import annotations

import csv
import io
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tollgate.core.durations import parse_duration
from tollgate.tariffplans import read_folder

ids = st.from_regex(r"[A-Z][A-Z0-9_]{0,11}", fullmatch=True)
prefixes = st.from_regex(r"\+?[0-9]{1,12}", fullmatch=True)
money = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)
units = st.sampled_from(["s", "ms", "m", "h", ""])
positive_durations = st.builds(lambda n, u: f"{n}{u}", st.integers(1, 3600), units)
durations = st.one_of(positive_durations, st.just("0"), st.just("0s"))
rate_rows = st.lists(
    st.tuples(ids, money, money, positive_durations, positive_durations, durations),
    min_size=1,
    max_size=20,
)
dest_rows = st.lists(st.tuples(ids, prefixes), min_size=1, max_size=30)


def _csv(rows: list[tuple[object, ...]], separator: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\n")
    writer.writerow(["#Id", "x"])
    writer.writerows(rows)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(rates=rate_rows, dests=dest_rows, separator=st.sampled_from([",", ";", "\t"]))
def test_rates_and_destinations_round_trip(
    rates: list[tuple[str, Decimal, Decimal, str, str, str]],
    dests: list[tuple[str, str]],
    separator: str,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "Rates.csv").write_text(_csv(list(rates), separator))
        (folder / "Destinations.csv").write_text(_csv(list(dests), separator))
        plan = read_folder(folder, field_separator=separator)

    read_slots = [
        (r.ID, s.ConnectFee, s.Rate, s.RateUnit, s.RateIncrement, s.GroupIntervalStart)
        for r in plan.rates
        for s in r.RateSlots
    ]
    by_id = sorted(rates, key=lambda row: [r.ID for r in plan.rates].index(row[0]))
    assert read_slots == [
        (i, Decimal(str(c)), Decimal(str(r)), u, n, g) for i, c, r, u, n, g in by_id
    ]
    assert all(parse_duration(s.RateUnit) > 0 for r in plan.rates for s in r.RateSlots)
    expected: dict[str, list[str]] = {}
    for ident, prefix in dests:
        expected.setdefault(ident, []).append(prefix)
    assert {d.ID: d.Prefixes for d in plan.destinations} == expected
    assert plan.counts()["Rates.csv"] == len(rates)
