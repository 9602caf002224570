"""Action triggers over the API against a real engine: definitions, account triggers, firing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"

_ACTIONS = """\
#ActionsId,Action,ExtraParameters,Filter,BalanceId,BalanceType,Categories,DestinationIds,RatingSubject,SharedGroup,ExpiryTime,TimingIds,Units,BalanceWeight,BalanceBlocker,BalanceDisabled,Weight
TOPUP_10,*topup,,,*default,*monetary,,,,,*unlimited,,10,,,,10
DISABLE_ACCOUNT,*disable_account,,,,,,,,,,,,,,,10
"""
_TRIGGERS = """\
#ID,UniqueID,ThresholdType,ThresholdValue,Recurrent,MinSleep,ExpiryTime,ActivationTime,BalanceTag,BalanceType,BalanceCategories,BalanceDestinationIDs,BalanceRatingSubject,BalanceSharedGroup,BalanceExpiryTime,BalanceTimingIDs,BalanceWeight,BalanceBlocker,BalanceDisabled,ActionsID,Weight
MAX_100,max100,*max_balance,100,,,,,,*monetary,,,,,,,,,,DISABLE_ACCOUNT,10
LOW_TOPUP,low,*min_balance,2,true,,,,,*monetary,,,,,,,,,,TOPUP_10,20
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "Actions.csv").write_text(_ACTIONS)
    (plan / "ActionTriggers.csv").write_text(_TRIGGERS)
    proc = EngineProcess.prepare(tmp_path / "engine").start("--load_tariffplan", str(plan))
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def _call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params)


def _error(proc: EngineProcess, method: str, params: Any) -> str:
    with pytest.raises(RpcError) as info:
        _call(proc, method, params)
    return str(info.value)


def _account(proc: EngineProcess, account: str) -> dict[str, Any]:
    reply: dict[str, Any] = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    return reply


def _acc(account: str, **fields: Any) -> dict[str, Any]:
    return {"Tenant": T, "Account": account, **fields}


def test_trigger_definitions_round_trip(engine: EngineProcess) -> None:
    loaded = _call(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": []})
    assert sorted(at["UniqueID"] for at in loaded) == ["low", "max100"]
    [max100] = _call(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": ["MAX_100"]})
    assert (max100["ID"], max100["ThresholdType"], max100["ThresholdValue"]) == (
        "MAX_100",
        "*max_balance",
        100,
    )
    assert max100["Balance"]["Type"] == "*monetary"
    assert max100["Balance"]["ID"] is None
    assert _error(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": ["NOPE"]}) == "NOT_FOUND"
    assert _error(engine, "APIerSv1.SetActionTrigger", {"UniqueID": "x"}) == (
        "MANDATORY_IE_MISSING: [GroupID]"
    )

    fields = {"ThresholdType": "*min_balance", "ThresholdValue": 1.5, "BalanceType": "*voice",
              "BalanceDestinationIds": ["DST_1", "!DST_2"], "MinSleep": "1m",
              "Recurrent": True, "ActionsID": "TOPUP_10"}  # fmt: skip
    new = {"GroupID": "API_TR", "UniqueID": "api1", "ActionTrigger": fields}
    assert _call(engine, "APIerSv1.SetActionTrigger", new) == "OK"
    [api1] = _call(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": ["API_TR"]})
    assert (api1["UniqueID"], api1["ThresholdValue"], api1["MinSleep"]) == ("api1", 1.5, 60e9)
    assert api1["Balance"]["DestinationIDs"] == {"DST_1": True, "DST_2": False}
    # same UniqueID updates it; another adds to the group
    update = {"GroupID": "API_TR", "UniqueID": "api1", "ActionTrigger": {"ThresholdValue": 3}}
    assert _call(engine, "APIerSv1.SetActionTrigger", update) == "OK"
    second = {"GroupID": "API_TR", "ActionTrigger": {"ThresholdType": "*max_balance"}}
    assert _call(engine, "APIerSv1.SetActionTrigger", second) == "OK"
    group = _call(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": ["API_TR"]})
    assert [at["ThresholdValue"] for at in group] == [3, 0]
    assert group[1]["UniqueID"]  # a generated one
    remove_one = {"GroupID": "API_TR", "UniqueID": group[1]["UniqueID"]}
    assert _call(engine, "APIerSv1.RemoveActionTrigger", remove_one) == "OK"
    assert len(_call(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": ["API_TR"]})) == 1
    assert _call(engine, "APIerSv1.RemoveActionTrigger", {"GroupID": "API_TR"}) == "OK"
    assert _error(engine, "APIerSv1.GetActionTriggers", {"GroupIDs": ["API_TR"]}) == "NOT_FOUND"


def test_triggers_on_an_account_round_trip(engine: EngineProcess) -> None:
    assert _error(engine, "APIerSv2.SetAccount", _acc("t1", ActionTriggerIDs=["NOPE"])) == (
        "NOT_FOUND"
    )
    assert _call(engine, "APIerSv2.SetAccount", _acc("t1", ActionTriggerIDs=["MAX_100"])) == "OK"
    ats = _call(engine, "APIerSv1.GetAccountActionTriggers", _acc("t1"))
    assert [at["UniqueID"] for at in ats] == ["max100"]
    assert _account(engine, "t1")["ActionTriggers"] == ats
    assert _call(engine, "APIerSv2.GetAccountActionTriggers", _acc("t1")) == ats
    assert _error(engine, "APIerSv1.GetAccountActionTriggers", _acc("nobody")) == (
        "SERVER_ERROR: NOT_FOUND"
    )
    assert _error(engine, "APIerSv1.GetAccountActionTriggers", {"Tenant": T}) == (
        "MANDATORY_IE_MISSING: [Account]"
    )

    add = _acc("t1", ActionTriggerIDs=["LOW_TOPUP"], ActivationDate="2020-01-01T00:00:00Z")
    assert _call(engine, "APIerSv1.AddAccountActionTriggers", add) == "OK"
    ats = _call(engine, "APIerSv1.GetAccountActionTriggers", _acc("t1"))
    assert [(at["UniqueID"], at["ActivationDate"]) for at in ats] == [
        ("max100", "0001-01-01T00:00:00Z"),
        ("low", "2020-01-01T00:00:00Z"),
    ]
    assert _error(engine, "APIerSv1.AddAccountActionTriggers", _acc("nobody")) == "NOT_FOUND"

    # v1 SetAccountActionTriggers: a map of fields; v2: the same fields flat
    upd = _acc("t1", GroupID="MAX_100", ActionTrigger={"ThresholdValue": 200, "Executed": True})
    assert _call(engine, "APIerSv1.SetAccountActionTriggers", upd) == "OK"
    upd2 = _acc("t1", UniqueID="low", Recurrent=False, MinSleep="10s")
    assert _call(engine, "APIerSv2.SetAccountActionTriggers", upd2) == "OK"
    ats = {at["UniqueID"]: at for at in _account(engine, "t1")["ActionTriggers"]}
    assert (ats["max100"]["ThresholdValue"], ats["max100"]["Executed"]) == (200, True)
    assert (ats["low"]["Recurrent"], ats["low"]["MinSleep"]) == (False, 10e9)
    # a new one needs the threshold
    bad = _acc("t1", GroupID="NEW", ActionTrigger={"ThresholdType": "*max_balance"})
    assert _error(engine, "APIerSv1.SetAccountActionTriggers", bad) == (
        "MANDATORY_IE_MISSING: [ThresholdValue]"
    )
    reset = _acc("t1", GroupID="MAX_100")
    assert _call(engine, "APIerSv1.ResetAccountActionTriggers", reset) == "OK"
    ats = {at["UniqueID"]: at for at in _account(engine, "t1")["ActionTriggers"]}
    assert ats["max100"]["Executed"] is False

    legacy = _call(engine, "APIerSv1.GetAccount", _acc("t1"))
    assert [
        (at["Id"], at["ThresholdValue"], at["BalanceType"]) for at in legacy["ActionTriggers"]
    ] == [
        ("LOW_TOPUP", 2, "*monetary"),  # evaluating the triggers sorts them by Weight
        ("MAX_100", 200, "*monetary"),
    ]

    assert _call(engine, "APIerSv1.RemoveAccountActionTriggers", _acc("t1", UniqueID="low")) == "OK"
    assert [at["UniqueID"] for at in _account(engine, "t1")["ActionTriggers"]] == ["max100"]
    triggered = _acc("t1", ActionTriggersId="OLD_API", ThresholdType="*min_balance",
                     ThresholdValue=1, BalanceType="*monetary",
                     ActionsId="DISABLE_ACCOUNT")  # fmt: skip
    assert _call(engine, "APIerSv1.AddTriggeredAction", triggered) == "OK"
    assert [at["ID"] for at in _account(engine, "t1")["ActionTriggers"]] == ["MAX_100", "OLD_API"]
    # v1 SetAccount replaces the triggers with the one group
    assert _call(engine, "APIerSv1.SetAccount", _acc("t1", ActionTriggersID="LOW_TOPUP")) == "OK"
    assert [at["UniqueID"] for at in _account(engine, "t1")["ActionTriggers"]] == ["low"]


def test_max_balance_disables_the_account(engine: EngineProcess) -> None:
    assert _call(engine, "APIerSv2.SetAccount", _acc("t2", ActionTriggerIDs=["MAX_100"])) == "OK"
    set_balance = _acc("t2", BalanceType="*monetary", Value=50, Balance={"ID": "*default"})
    assert _call(engine, "APIerSv1.SetBalance", set_balance) == "OK"
    assert _account(engine, "t2")["Disabled"] is False
    assert _call(engine, "APIerSv1.SetBalance", {**set_balance, "Value": 101}) == "OK"
    acc = _account(engine, "t2")
    assert acc["Disabled"] is True
    [at] = acc["ActionTriggers"]
    assert at["Executed"] is True
    assert at["LastExecutionTime"] != "0001-01-01T00:00:00Z"


def test_min_balance_tops_up_after_a_debit(engine: EngineProcess) -> None:
    assert _call(engine, "APIerSv2.SetAccount", _acc("t3", ActionTriggerIDs=["LOW_TOPUP"])) == "OK"
    add = _acc("t3", BalanceType="*monetary", Value=5, Balance={"ID": "*default"})
    assert _call(engine, "APIerSv1.AddBalance", add) == "OK"
    assert _account(engine, "t3")["BalanceMap"]["*monetary"][0]["Value"] == 5
    assert _call(engine, "APIerSv1.DebitBalance", {**add, "Value": 4}) == "OK"
    # 1 <= 2: TOPUP_10 ran; the trigger is recurrent, so it stays ready
    acc = _account(engine, "t3")
    assert acc["BalanceMap"]["*monetary"][0]["Value"] == 11
    assert acc["ActionTriggers"][0]["Executed"] is False
    assert _call(engine, "APIerSv1.DebitBalance", {**add, "Value": 10}) == "OK"
    assert _account(engine, "t3")["BalanceMap"]["*monetary"][0]["Value"] == 11


def test_bad_trigger_input_gets_designed_errors(engine: EngineProcess) -> None:
    assert _call(engine, "APIerSv2.SetAccount", _acc("t4", ActionTriggerIDs=["MAX_100"])) == "OK"
    values: list[Any] = ["", "abc", -1, None, [], {}, [None, 3], "2024-13-45", 1e30, True]
    fields = ["ThresholdType", "ThresholdValue", "Recurrent", "MinSleep", "ExpirationDate",
              "ActivationDate", "BalanceDestinationIds", "BalanceWeight", "BalanceBlocker",
              "MinQueuedItems", "BalanceExpirationDate", "BalanceTimingTags"]  # fmt: skip
    methods = ["APIerSv1.SetAccountActionTriggers", "APIerSv1.SetActionTrigger"]
    answers: set[str] = set()
    for i, field in enumerate(fields):
        for value in values:
            params = _acc("t4", GroupID="MAX_100", ActionTrigger={field: value})
            try:
                _call(engine, methods[i % 2], params)
            except RpcError as exc:
                answers.add(str(exc))
    for method in ("APIerSv2.SetAccountActionTriggers", "APIerSv1.AddAccountActionTriggers",
                   "APIerSv1.AddTriggeredAction", "APIerSv1.GetActionTriggers"):  # fmt: skip
        for field in ("BalanceWeight", "ActivationDate", "BalanceExpiryTime", "GroupIDs"):
            for value in values:
                try:
                    _call(engine, method, _acc("t4", **{field: value}))
                except RpcError as exc:
                    answers.add(str(exc))
    leaks = [a for a in answers if "SERVER_ERROR" in a and "NOT_FOUND" not in a]
    assert leaks == ["SERVER_ERROR: Unsupported time format"]  # AddTriggeredAction's own
    assert "Unsupported time format" in answers
    assert _call(engine, "CoreSv1.Ping", {}) == "Pong"
