"""DataProvider paths, remote objects (*accounts, *stats, *resources) and value semantics."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tollgate.accounts.models import Account, Balance
from tollgate.core.config import load_config
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import GoTime
from tollgate.filters import MISSING, DataProvider, Duration, FilterService, compile_path
from tollgate.filters.values import as_string, equal_to, greater_than, string_to_value


def test_paths() -> None:
    dp = DataProvider(
        {"A": {"B": [{"C": 1}, {"C": 2}]}, "Flat": "x"},
        vars={"*acd": 60},
        cgrep={"Cost": Decimal("1.5")},
        maps={"*opts": {"Subsys": "*attributes"}},
    )
    assert compile_path("~*req.A.B[1].C") == ("*req", "A", "B", 1, "C")
    assert dp.field(compile_path("~*req.A.B[1].C")) == 2
    assert dp.field(compile_path("~*req.A.B[2].C")) is MISSING
    assert dp.field(compile_path("~*req.Flat.Sub")) is MISSING
    assert dp.field(compile_path("~*vars.*acd")) == 60
    assert dp.field(compile_path("~*cgrep.Cost")) == Decimal("1.5")
    assert dp.field(compile_path("~*opts.Subsys")) == "*attributes"
    assert dp.field(compile_path("~*cgreq.Any")) is MISSING
    assert dp.field(compile_path("~Flat")) is MISSING  # no such map
    assert sorted(dp.keys()) == ["A", "Flat"]
    assert sorted(dp.keys(nested=True)) == ["A", "A.B", "Flat"]


class FakeAccounts:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def get(self, account_id: str) -> Account:
        self.calls.append(account_id)
        if account_id != "cgrates.org:1001":
            raise NotFoundError()
        money = Balance(ID="*default", Value=Decimal("12.5"))
        return Account(ID=account_id, BalanceMap={"*monetary": [money]})


class FakeConns:
    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = replies
        self.calls: list[tuple[list[str], str, Any]] = []

    async def call(self, conn_ids: list[str], method: str, args: Any) -> Any:
        self.calls.append((conn_ids, method, args))
        reply = self.replies[method]
        if isinstance(reply, Exception):
            raise reply
        return reply


async def test_accounts_fields() -> None:
    accounts = FakeAccounts()
    service = FilterService(accounts=accounts)  # type: ignore[arg-type]
    dp = DataProvider({"Account": "1001"})
    element = "~*accounts.1001.BalanceMap.*monetary[0].Value"
    assert await service.pass_filters("cgrates.org", [f"*gte:{element}:10"], dp)
    assert not await service.pass_filters("cgrates.org", [f"*gt:{element}:20"], dp)
    assert accounts.calls == ["cgrates.org:1001"]  # fetched once per DataProvider
    # an unknown account reads as a missing field
    assert not await service.pass_filters(
        "cgrates.org", ["*exists:~*accounts.1009.BalanceMap:"], dp
    )
    assert await service.pass_filters("cgrates.org", ["*empty:~*accounts.1009.ID:"], dp)
    # the value side can read an account too
    assert await service.pass_filters(
        "cgrates.org", [f"*string:~*accounts.1001.ID:{'cgrates.org:1001'}"], dp
    )


async def test_stats_and_resources_through_conns() -> None:
    cfg = load_config(None).merged(
        {"filters": {"stats_conns": ["*internal"], "resources_conns": ["*internal"]}}
    )
    conns = FakeConns(
        {
            "StatSv1.GetQueueFloatMetrics": {"*acd": Decimal(90), "*asr": Decimal(100)},
            "ResourceSv1.GetResource": {"Tenant": "cgrates.org", "ID": "RES1", "Usages": {}},
        }
    )
    service = FilterService(cfg=lambda: cfg, conns=lambda: conns)  # type: ignore[arg-type,return-value]
    dp = DataProvider({})
    assert await service.pass_filters("cgrates.org", ["*gte:~*stats.ST1.*acd:60"], dp)
    assert not await service.pass_filters("cgrates.org", ["*lt:~*stats.ST1.*asr:50"], dp)
    assert await service.pass_filters("cgrates.org", ["*empty:~*resources.RES1.Usages:"], dp)
    assert conns.calls == [
        (["*internal"], "StatSv1.GetQueueFloatMetrics", {"Tenant": "cgrates.org", "ID": "ST1"}),
        (["*internal"], "ResourceSv1.GetResource", {"Tenant": "cgrates.org", "ID": "RES1"}),
    ]


async def test_remote_errors() -> None:
    service = FilterService(cfg=lambda: load_config(None))
    with pytest.raises(TollgateError, match="NOT_CONNECTED: StatS"):
        await service.pass_filters("t", ["*gte:~*stats.ST1.*acd:60"], DataProvider({}))
    with pytest.raises(TollgateError, match="NOT_CONNECTED: ResourceS"):
        await service.pass_filters("t", ["*exists:~*resources.R.ID:"], DataProvider({}))
    cfg = load_config(None).merged({"filters": {"stats_conns": ["*internal"]}})
    failing = FakeConns({"StatSv1.GetQueueFloatMetrics": TollgateError("SERVER_ERROR: boom")})
    service = FilterService(cfg=lambda: cfg, conns=lambda: failing)  # type: ignore[arg-type,return-value]
    with pytest.raises(TollgateError, match="SERVER_ERROR: boom"):
        await service.pass_filters("t", ["*gte:~*stats.ST1.*acd:60"], DataProvider({}))
    # missing queue: the field is missing
    missing = FakeConns({"StatSv1.GetQueueFloatMetrics": NotFoundError()})
    service = FilterService(cfg=lambda: cfg, conns=lambda: missing)  # type: ignore[arg-type,return-value]
    assert not await service.pass_filters("t", ["*gte:~*stats.ST1.*acd:60"], DataProvider({}))
    # the synchronous check does not fetch: remote fields are missing
    assert not service.passes("t", ["*gte:~*stats.ST1.*acd:60"], DataProvider({}))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (20, "20"),
        (Decimal("1.50"), "1.5"),
        (Decimal("1E+3"), "1000"),
        (1.25, "1.25"),
        (Duration(90_000_000_000), "1m30s"),
        (GoTime(1_515_344_410_500_000_000), "2018-01-07T17:00:10Z"),
        ([1, "a"], '[1,"a"]'),
        ({"A": 1}, '{"A":1}'),
    ],
)
def test_as_string(value: Any, text: str) -> None:
    assert as_string(value) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("10", 10),
        ("-3", -3),
        ("true", True),
        ("F", False),
        ("1.5", Decimal("1.5")),
        ("1e3", Decimal("1e3")),
        ("1m30s", Duration(90_000_000_000)),
        ("abc", "abc"),
    ],
)
def test_string_to_value(text: str, expected: Any) -> None:
    value = string_to_value(text)
    assert value == expected
    assert type(value) is type(expected)


def test_string_to_value_times() -> None:
    value = string_to_value("2018-01-07T17:00:10Z")
    assert isinstance(value, GoTime)
    assert value.ns == 1_515_344_410_000_000_000


def test_comparisons() -> None:
    assert greater_than(20, Decimal("19.5"), False)  # int against float: as numbers
    assert greater_than(Duration(60_000_000_000), 10, True)  # durations are int64s
    assert equal_to(Decimal("0.3"), Decimal("0.1") + Decimal("0.2"))  # exact, not float64
    assert equal_to("a", "a")
    with pytest.raises(TollgateError, match="incomparable: <<nil>> with <10>"):
        greater_than("abc", 10, False)
    with pytest.raises(TollgateError, match="unsupported comparison type: string"):
        greater_than("abc", "abd", False)
    with pytest.raises(TollgateError, match="incomparable"):
        equal_to(None, None)
