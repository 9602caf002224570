"""Charging accounts over the wire: Responder debits, refunds, APIerSv1 usage and shared
groups against a real engine process, as a switch integration or billing script drives it."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
SEC = 10**9
START = "2024-01-15T10:00:00Z"

PLAN = {
    "Destinations.csv": "#Id,Prefix\nNAT,0723\nNAT,0724\nMOB,0745\n",
    "Timings.csv": "#Tag,Years,Months,MonthDays,WeekDays,Time\n",
    "Rates.csv": (
        "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"
        "RT_SEC,0,0.6,60s,1s,0s\n"
        "RT_MOB,0.5,0.6,60s,1s,0s\n"
        "RT_DY,0.15,0.05,60s,1s,0s\n"
    ),
    "DestinationRates.csv": (
        "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy\n"
        "DR_NAT,NAT,RT_SEC,*middle,4,0,\n"
        "DR_MOB,MOB,RT_MOB,*middle,4,0,\n"
        "DR_ROUNDED,NAT,RT_DY,*up,2,0,\n"
    ),
    "RatingPlans.csv": (
        "#Id,DestinationRatesId,TimingTag,Weight\n"
        "RP_STD,DR_NAT,*any,10\nRP_STD,DR_MOB,*any,10\nRP_ROUNDED,DR_ROUNDED,*any,10\n"
    ),
    "RatingProfiles.csv": (
        "#Tenant,Category,Subject,ActivationTime,RatingPlanId,RatesFallbackSubject\n"
        "cgrates.org,call,*any,2014-01-01T00:00:00Z,RP_STD,\n"
        "cgrates.org,call,rounded,2014-01-01T00:00:00Z,RP_ROUNDED,\n"
    ),
    "SharedGroups.csv": "#Id,Account,Strategy,RatingSubject\nFAMILY,*any,*highest,\n",
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    plan = tmp_path / "plan"
    plan.mkdir()
    for name, text in PLAN.items():
        (plan / name).write_text(text)
    proc = EngineProcess.prepare(tmp_path / "engine").start()
    try:
        reply = rpc(proc.ports["rpc_json"], "APIerSv1.LoadTariffPlanFromFolder",
                    {"FolderPath": str(plan)}, timeout=60)  # fmt: skip
        assert reply == "OK"
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def _call(proc: EngineProcess, method: str, params: Any, timeout: float = 20) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=timeout)


def _balance(proc: EngineProcess, name: str, kind: str, balance_id: str, value: Any, **extra: Any):
    params = {"Tenant": T, "Account": name, "BalanceType": kind, "Value": value,
              "Balance": {"ID": balance_id, **extra}}  # fmt: skip
    assert _call(proc, "APIerSv1.SetBalance", params) == "OK"


def _values(proc: EngineProcess, name: str) -> dict[str, Any]:
    acc = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": name})
    return {b["ID"]: b["Value"] for kind in acc["BalanceMap"].values() for b in kind}


def _cd(name: str, dest: str, seconds: int, **extra: Any) -> dict[str, Any]:
    begin = dt.datetime(2024, 1, 15, 10, tzinfo=dt.UTC)
    end = (begin + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Category": "call", "Tenant": T, "Account": name, "Subject": name,
            "Destination": dest, "TimeStart": START, "TimeEnd": end, **extra}  # fmt: skip


def test_prepaid_call_max_session_max_debit_and_refund(engine: EngineProcess) -> None:
    _balance(engine, "1001", "*monetary", "MONEY", 1)
    _balance(engine, "1001", "*voice", "MINUTES", 30 * SEC, DestinationIDs="NAT", Weight=10)
    assert _call(engine, "Responder.Ping", {}) == "Pong"
    # 30 free seconds, then 100 s for the 1.0 at 0.01/s
    got = _call(engine, "Responder.GetMaxSessionTime", _cd("1001", "0723", 59 * 60))
    assert got == 130 * SEC
    cc = _call(engine, "Responder.MaxDebit", _cd("1001", "0723", 3 * 60))
    assert (cc["Cost"], cc["RatedUsage"], cc["ToR"]) == (1, 130 * SEC, "*voice")
    units, money = cc["Timespans"]
    unit_info = units["Increments"][0]["BalanceInfo"]
    assert unit_info["Unit"]["ID"] == "MINUTES"
    assert unit_info["Unit"]["Value"] == 0
    assert unit_info["AccountID"] == "cgrates.org:1001"
    assert units["RateInterval"]["Timing"] is None
    assert units["RatingPlanId"] == "*none"
    money_inc = money["Increments"][0]
    assert (money_inc["CompressFactor"], money_inc["BalanceInfo"]["Monetary"]["ID"]) == (
        100,
        "MONEY",
    )
    summary = cc["AccountSummary"]
    assert (summary["Tenant"], summary["ID"]) == (T, "1001")
    assert {b["ID"]: b["Value"] for b in summary["BalanceSummaries"]} == {
        "MONEY": 0,
        "MINUTES": 0,
    }
    assert _values(engine, "1001") == {"MONEY": 0, "MINUTES": 0}
    # the call ended after 10 s: give back what the reply's increments took
    refund = {"Tenant": T, "Account": "1001", "ToR": "*voice",
              "Increments": money["Increments"]}  # fmt: skip
    acc = _call(engine, "Responder.RefundIncrements", refund)
    assert acc["ID"] == "cgrates.org:1001"
    assert _values(engine, "1001") == {"MONEY": 1, "MINUTES": 0}
    refund["Increments"] = units["Increments"]
    _call(engine, "Responder.RefundIncrements", refund)
    assert _values(engine, "1001") == {"MONEY": 1, "MINUTES": 30 * SEC}


def test_postpaid_debit_goes_negative_unless_denied(engine: EngineProcess) -> None:
    _balance(engine, "1002", "*monetary", "MONEY", 0.2)
    cc = _call(engine, "Responder.Debit", _cd("1002", "0745", 60))
    assert cc["Cost"] == 1.1  # 0.5 connect fee + 0.6
    assert _values(engine, "1002") == {"MONEY": 0, "*default": -0.9}
    denied = _call(engine, "Responder.Debit", _cd("1002", "0723", 60, DenyNegativeAccount=True))
    assert (denied["Cost"], denied["Timespans"]) == (0, None)
    dry = _call(engine, "Responder.Debit", _cd("1002", "0723", 60, DryRun=True))
    assert dry["Cost"] == 0.6
    assert _values(engine, "1002")["*default"] == -0.9
    forced = _cd("1002", "0723", 60, ForceDuration=True)
    with pytest.raises(RpcError, match=r"^INSUFFICIENT_CREDIT$"):
        _call(engine, "Responder.MaxDebit", forced)


def test_rounding_errors_and_usage_methods(engine: EngineProcess) -> None:
    _balance(engine, "rounded", "*monetary", "MONEY", 1)
    cd = _cd("rounded", "0723", 24, PerformRounding=True)
    cc = _call(engine, "Responder.Debit", cd)
    assert cc["Cost"] == 0.17
    assert cc["Timespans"][0]["RoundIncrement"]["Cost"] == 0.00008
    assert _values(engine, "rounded") == {"MONEY": 0.83}
    back = {"Tenant": T, "Account": "rounded",
            "Increments": [{"Cost": -0.03, "BalanceInfo": {"Monetary": {"UUID": _uuid(
                engine, "rounded")}, "AccountID": "cgrates.org:rounded"}}]}  # fmt: skip
    assert _call(engine, "Responder.RefundRounding", back) == 0
    assert _values(engine, "rounded") == {"MONEY": 0.86}

    with pytest.raises(RpcError, match=r"^ACCOUNT_NOT_FOUND$"):
        _call(engine, "Responder.Debit", _cd("nobody", "0723", 60))
    with pytest.raises(RpcError, match=r"^MAX_USAGE_EXCEEDED$"):
        _call(engine, "Responder.GetMaxSessionTime",
              {**_cd("rounded", "0723", 60), "TimeEnd": "2024-01-19T10:00:00Z"})  # fmt: skip

    usage = {"Tenant": T, "Account": "rounded", "Subject": "1001", "Destination": "0723",
             "Usage": "10s", "AnswerTime": START}  # fmt: skip
    assert _call(engine, "APIerSv1.DebitUsage", usage) == "OK"
    assert _values(engine, "rounded") == {"MONEY": 0.76}
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[Destination Usage\]$"):
        _call(engine, "APIerSv1.DebitUsage", {"Account": "rounded"})
    with pytest.raises(RpcError, match=r"^SERVER_ERROR: ACCOUNT_NOT_FOUND$"):
        _call(engine, "APIerSv1.DebitUsage", {**usage, "Account": "nobody"})
    max_usage = {**usage, "Usage": "5m", "SetupTime": START}
    del max_usage["AnswerTime"]
    assert _call(engine, "APIerSv1.GetMaxUsage", max_usage) == 76 * SEC
    assert _call(engine, "APIerSv1.GetMaxUsage", {**max_usage, "Usage": ""}) == 76 * SEC


def _uuid(proc: EngineProcess, name: str) -> str:
    acc = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": name})
    return str(acc["BalanceMap"]["*monetary"][0]["Uuid"])


def test_shared_group_pays_for_its_members(engine: EngineProcess) -> None:
    _balance(engine, "kid", "*monetary", "POCKET", 0.1, SharedGroups="FAMILY")
    _balance(engine, "parent", "*monetary", "WALLET", 5, SharedGroups="FAMILY")
    group = _call(engine, "APIerSv1.GetSharedGroup", "FAMILY")
    assert group["Id"] == "FAMILY"
    assert group["AccountParameters"] == {"*any": {"Strategy": "*highest", "RatingSubject": ""}}
    assert group["MemberIds"] == {"cgrates.org:kid": True, "cgrates.org:parent": True}
    assert _call(engine, "APIerSv1.GetSharedGroup", "NONE") == {
        "Id": "",
        "AccountParameters": None,
        "MemberIds": None,
    }
    # *highest: the parent's wallet pays the kid's minute
    assert _call(engine, "Responder.GetMaxSessionTime", _cd("kid", "0723", 3600)) == 510 * SEC
    cc = _call(engine, "Responder.MaxDebit", _cd("kid", "0723", 60))
    assert cc["Timespans"][0]["Increments"][0]["BalanceInfo"]["AccountID"] == "cgrates.org:parent"
    assert _values(engine, "parent") == {"WALLET": 4.4}
    assert _values(engine, "kid") == {"POCKET": 0.1}


def test_hundreds_of_concurrent_max_debits_never_overspend(engine: EngineProcess) -> None:
    start = Decimal("12.34")
    _balance(engine, "hot", "*monetary", "MONEY", float(start))

    def one(_: int) -> Decimal:
        cc = _call(engine, "Responder.MaxDebit", _cd("hot", "0723", 60), timeout=60)
        return Decimal(str(cc["Cost"]))

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        costs = list(pool.map(one, range(300)))
    left = Decimal(str(_values(engine, "hot")["MONEY"]))
    assert left >= 0
    assert sum(costs) == start - left
    assert left < Decimal("0.01")  # all that could be sold was
    assert sum(1 for c in costs if c == Decimal("0.6")) == 20


def test_debits_survive_a_restart(engine: EngineProcess, tmp_path: Path) -> None:
    _balance(engine, "keep", "*monetary", "MONEY", 2)
    _call(engine, "Responder.Debit", _cd("keep", "0723", 30))
    assert engine.stop() == 0
    engine.start()
    assert _values(engine, "keep") == {"MONEY": 1.7}
