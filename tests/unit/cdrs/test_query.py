"""CDR filters from the wire to the StorDB's CDRsFilter."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tollgate.cdrs.args import AttrGetCdrs, RPCCDRsFilter
from tollgate.cdrs.query import legacy_filter, rpc_filter
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_rfc3339
from tollgate.storage.stordb import CDRsFilter

S = 1_000_000_000


def test_rpc_filter_lists_times_usage_and_extra_args() -> None:
    args = msgspec.convert(
        {
            "CGRIDs": ["a"], "NotRunIDs": ["*raw"], "Accounts": ["1001"],
            "DestinationPrefixes": ["+49"], "Costs": [0.5], "ExtraFields": {"k": "v"},
            "SetupTimeStart": "2024-01-02T10:00:00Z", "AnswerTimeEnd": "2024-01-02 11:00:00",
            "MinUsage": "1m", "MaxUsage": "3600000000000", "OrderBy": "Cost;desc",
            "ExtraArgs": {"OrderIDStart": 2, "OrderIDEnd": "9", "MinCost": "0.1", "MaxCost": 2},
            "Limit": 10, "Offset": 5,
        },
        RPCCDRsFilter,
    )  # fmt: skip
    f = rpc_filter(args, "UTC")
    assert f.cgrids == ["a"]
    assert f.not_run_ids == ["*raw"]
    assert f.accounts == ["1001"]
    assert f.destination_prefixes == ["+49"]
    assert f.costs == [Decimal("0.5")]
    assert f.extra_fields == {"k": "v"}
    assert f.setup_time_start == parse_rfc3339("2024-01-02T10:00:00Z").ns
    assert f.answer_time_end == parse_rfc3339("2024-01-02T11:00:00Z").ns
    assert (f.min_usage, f.max_usage) == (60 * S, 3600 * S)
    assert (f.order_id_start, f.order_id_end) == (2, 9)
    assert (f.min_cost, f.max_cost) == (Decimal("0.1"), Decimal(2))
    assert (f.order_by, f.limit, f.offset) == ("Cost;desc", 10, 5)


def test_empty_filter() -> None:
    assert rpc_filter(None, "UTC") == CDRsFilter()
    assert rpc_filter(RPCCDRsFilter(), "UTC") == CDRsFilter()
    assert legacy_filter(None, "UTC") == CDRsFilter()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"SetupTimeStart": "someday"}, "Unsupported time format"),
        ({"MinUsage": "long"}, "invalid duration"),
        ({"ExtraArgs": {"OrderIDStart": "x"}}, "invalid syntax"),
        ({"ExtraArgs": {"MinCost": "x"}}, "invalid syntax"),
    ],
)
def test_rpc_filter_refuses_bad_values(args: dict[str, object], message: str) -> None:
    with pytest.raises(TollgateError, match=message):
        rpc_filter(msgspec.convert(args, RPCCDRsFilter), "UTC")


def test_legacy_filter_names_and_cost_switches() -> None:
    f = legacy_filter(
        AttrGetCdrs(CgrIds=["c"], MediationRunIds=["*default"], TORs=["*voice"], CdrHosts=["h"],
                    CdrSources=["s"], ReqTypes=["*rated"], TimeStart="2024-01-02T10:00:00Z",
                    OrderIdStart=3, Limit=1, SkipErrors=True),
        "UTC",
    )  # fmt: skip
    assert (f.cgrids, f.run_ids, f.tors, f.origin_hosts, f.sources, f.request_types) == (
        ["c"], ["*default"], ["*voice"], ["h"], ["s"], ["*rated"],
    )  # fmt: skip
    assert f.answer_time_start == parse_rfc3339("2024-01-02T10:00:00Z").ns
    assert (f.order_id_start, f.limit) == (3, 1)
    assert (f.min_cost, f.max_cost) == (Decimal(0), Decimal(-1))
    rated = legacy_filter(AttrGetCdrs(SkipRated=True, SkipErrors=True), "UTC")
    assert (rated.min_cost, rated.max_cost) == (None, Decimal(-1))
