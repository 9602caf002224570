"""Accounts over the API as a provisioning script drives them, against a real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine").start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def _call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params)


def _balances(proc: EngineProcess, account: str, kind: str) -> list[dict[str, Any]]:
    reply = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    balances: list[dict[str, Any]] = reply["BalanceMap"][kind]
    return balances


def test_provisioning_an_account_and_its_balances(engine: EngineProcess) -> None:
    opts = {"Tenant": T, "Account": "1001", "ExtraOptions": {"AllowNegative": True}}
    assert _call(engine, "APIerSv2.SetAccount", opts) == "OK"
    acc = _call(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1001"})
    assert acc["ID"] == "cgrates.org:1001"
    assert (acc["AllowNegative"], acc["Disabled"], acc["BalanceMap"]) == (True, False, None)

    dests = "DST_1002;!DST_1003"
    add = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary", "Value": 10,
           "Balance": {"ID": "MONEY", "Weight": 10, "DestinationIDs": dests}}  # fmt: skip
    assert _call(engine, "APIerSv1.AddBalance", add) == "OK"
    assert _call(engine, "APIerSv1.AddBalance", {**add, "Value": 0.25}) == "OK"
    set_default = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary", "Value": 1.5,
                   "Balance": {"ID": "*default"}}  # fmt: skip
    assert _call(engine, "APIerSv2.SetBalance", set_default) == "OK"
    money, default = _balances(engine, "1001", "*monetary")
    assert (money["ID"], money["Value"], money["Weight"]) == ("MONEY", 10.25, 10)
    assert money["DestinationIDs"] == {"DST_1002": True, "DST_1003": False}
    assert (default["ID"], default["Value"]) == ("*default", 1.5)

    debit = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary", "Value": 0.3,
             "Balance": {"ID": "MONEY"}}  # fmt: skip
    assert _call(engine, "APIerSv1.DebitBalance", debit) == "OK"
    assert _balances(engine, "1001", "*monetary")[0]["Value"] == 9.95
    # SetBalance with Value 0 changes the other fields only
    weight = {**set_default, "Value": 0, "Balance": {"ID": "MONEY", "Weight": 30}}
    assert _call(engine, "APIerSv1.SetBalance", weight) == "OK"
    assert _balances(engine, "1001", "*monetary")[0]["Value"] == 9.95
    assert _balances(engine, "1001", "*monetary")[0]["Weight"] == 30

    legacy = _call(engine, "APIerSv1.GetAccount", {"Tenant": T, "Account": "1001"})
    assert legacy["Id"] == "*out:cgrates.org:1001"
    old = legacy["BalanceMap"]["*monetary*out"]
    assert [(b["Id"], b["Value"]) for b in old] == [("MONEY", 9.95), ("*default", 1.5)]
    assert old[0]["DestinationIds"] == "DST_1002;DST_1003"

    remove = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary",
              "Balance": {"ID": "*default"}}  # fmt: skip
    assert _call(engine, "APIerSv1.RemoveBalances", remove) == "OK"
    assert [b["ID"] for b in _balances(engine, "1001", "*monetary")] == ["MONEY"]


def test_listing_counting_removing_and_restart(engine: EngineProcess) -> None:
    for name in ("1001", "1002", "1003"):
        params = {"Tenant": T, "Account": name, "BalanceType": "*voice", "Value": 60e9}
        assert _call(engine, "APIerSv1.AddBalance", params) == "OK"
    assert _call(engine, "APIerSv1.SetAccount", {"Tenant": "other", "Account": "x"}) == "OK"
    assert _call(engine, "APIerSv1.GetAccountsCount", {"Tenant": T}) == 3
    every = _call(engine, "APIerSv2.GetAccounts", {"Tenant": T})
    assert [a["ID"] for a in every] == ["cgrates.org:1001", "cgrates.org:1002", "cgrates.org:1003"]
    page = _call(engine, "APIerSv2.GetAccounts", {"Tenant": T, "Offset": 1, "Limit": 1})
    assert [a["ID"] for a in page] == ["cgrates.org:1002"]
    chosen = _call(engine, "APIerSv2.GetAccounts", {"Tenant": T, "AccountIDs": ["1003", "nope"]})
    assert [a["ID"] for a in chosen] == ["cgrates.org:1003"]
    assert _call(engine, "APIerSv1.RemoveAccount", {"Tenant": T, "Account": "1002"}) == "OK"

    assert engine.stop() == 0
    engine.start()
    assert _call(engine, "APIerSv1.GetAccountsCount", {"Tenant": T}) == 2
    assert _balances(engine, "1003", "*voice")[0]["Value"] == 60_000_000_000
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        _call(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1002"})


@pytest.mark.parametrize(
    ("method", "params", "error"),
    [
        ("APIerSv1.AddBalance", {},
         r"^MANDATORY_IE_MISSING: \[Tenant Account BalanceType Value\]$"),
        ("APIerSv1.DebitBalance", {"Tenant": T, "Account": "a", "BalanceType": "*sms"},
         r"^MANDATORY_IE_MISSING: \[Value\]$"),
        ("APIerSv1.SetBalance", {"Tenant": T, "Account": "a", "BalanceType": "*sms", "Value": 1},
         r"^MANDATORY_IE_MISSING: \[BalanceID or BalanceUUID\]$"),
        ("APIerSv2.SetBalance", {"Tenant": T, "Account": "a", "BalanceType": "*sms",
                                 "Balance": {"Weight": 10}},
         r"^MANDATORY_IE_MISSING: \[BalanceID or BalanceUUID\]$"),
        ("APIerSv1.AddBalance", {"Tenant": T, "Account": "a", "BalanceType": "*sms", "Value": 1,
                                 "Balance": {"ExpiryTime": "soon"}},
         r"^Unsupported time format$"),
        ("APIerSv2.SetAccount", {"Account": "a"}, r"^MANDATORY_IE_MISSING: \[Tenant\]$"),
        ("APIerSv1.GetAccount", {"Tenant": T, "Account": "nobody"}, r"^NOT_FOUND$"),
        ("APIerSv2.GetAccount", {"Tenant": T, "Account": "nobody"}, r"^NOT_FOUND$"),
        ("APIerSv1.RemoveBalances", {"Tenant": T, "Account": "nobody", "BalanceType": "*sms"},
         r"^NOT_FOUND$"),
        ("APIerSv2.GetAccounts", {}, r"^MANDATORY_IE_MISSING: \[Tenant\]$"),
    ],
)  # fmt: skip
def test_bad_input_is_refused(
    engine: EngineProcess, method: str, params: dict[str, Any], error: str
) -> None:
    with pytest.raises(RpcError, match=error):
        _call(engine, method, params)


OFFPEAK_PLAN = {
    "Destinations.csv": "#Id,Prefix\nNAT,0723\n",
    "Timings.csv": "#Tag,Years,Months,MonthDays,WeekDays,Time\n"
    "OFFPEAK,*any,*any,*any,*any,19:00:00\n",
    "Rates.csv": "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"
    "RT_SEC,0,0.6,60s,1s,0s\n",
    "DestinationRates.csv": "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,"
    "MaxCost,MaxCostStrategy\nDR_NAT,NAT,RT_SEC,*middle,4,0,\n",
    "RatingPlans.csv": "#Id,DestinationRatesId,TimingTag,Weight\nRP_STD,DR_NAT,*any,10\n",
    "RatingProfiles.csv": "#Tenant,Category,Subject,ActivationTime,RatingPlanId,"
    "RatesFallbackSubject\ncgrates.org,call,*any,2014-01-01T00:00:00Z,RP_STD,\n",
}


def _cd(start: str, end: str) -> dict[str, Any]:
    return {"Category": "call", "Tenant": T, "Account": "night", "Subject": "night",
            "Destination": "0723", "TimeStart": start, "TimeEnd": end}  # fmt: skip


def test_a_balance_with_timing_ids_pays_only_inside_its_timing(
    engine: EngineProcess, tmp_path: Path
) -> None:
    plan = tmp_path / "plan"
    plan.mkdir()
    for name, text in OFFPEAK_PLAN.items():
        (plan / name).write_text(text)
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(plan)}) == "OK"
    params = {"Tenant": T, "Account": "night", "BalanceType": "*monetary", "Value": 5,
              "Balance": {"ID": "OFFPEAK_MONEY", "TimingIDs": "OFFPEAK"}}  # fmt: skip
    assert _call(engine, "APIerSv1.SetBalance", params) == "OK"
    [money] = _balances(engine, "night", "*monetary")
    assert money["TimingIDs"] == {"OFFPEAK": True}
    assert money["Timings"][0]["StartTime"] == "19:00:00"

    morning = _cd("2024-01-15T10:00:00Z", "2024-01-15T10:01:00Z")
    assert _call(engine, "Responder.GetMaxSessionTime", morning) == 0
    assert _call(engine, "Responder.MaxDebit", morning)["Cost"] == 0
    assert _balances(engine, "night", "*monetary")[0]["Value"] == 5
    evening = _cd("2024-01-15T20:00:00Z", "2024-01-15T20:01:00Z")
    assert _call(engine, "Responder.GetMaxSessionTime", evening) == 60 * 10**9
    assert _call(engine, "Responder.MaxDebit", evening)["Cost"] == 0.6
    assert _balances(engine, "night", "*monetary")[0]["Value"] == 4.4

    unknown = {**params, "Balance": {"ID": "X", "TimingIDs": "NOPE"}}
    with pytest.raises(RpcError, match=r"^could not find timing: NOPE$"):
        _call(engine, "APIerSv1.SetBalance", unknown)
