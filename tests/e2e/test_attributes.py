"""AttributeS against a real engine process: the tutorial plan's profiles, profiles managed
over APIerSv1/v2, process-run chains, errors, restart, and a disabled AttributeS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
ENABLED = {"attributes": {"enabled": True, "process_runs": 1}}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine", ENABLED).start()
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


def _set(
    proc: EngineProcess, profile_id: str, attributes: list[dict[str, Any]], **extra: Any
) -> None:
    profile = {"Tenant": T, "ID": profile_id, "Contexts": ["*any"], "FilterIDs": [],
               "Attributes": attributes, "Weight": 10, **extra}  # fmt: skip
    assert _call(proc, "APIerSv1.SetAttributeProfile", profile) == "OK"


def _attr(path: str, *rules: str, kind: str = "*constant", filters: Any = None) -> dict[str, Any]:
    return {"FilterIDs": filters, "Path": path, "Type": kind,
            "Value": [{"Rules": r, "AllFiltersMatch": True} for r in rules]}  # fmt: skip


def test_the_tutorial_profiles(engine: EngineProcess) -> None:
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
    got = _call(engine, "AttributeSv1.GetAttributeForEvent",
                {"Context": "simpleauth", "Tenant": T, "Event": {"Account": "1001"}})  # fmt: skip
    assert got == {
        "Tenant": T, "ID": "ATTR_1001_SIMPLEAUTH", "Contexts": ["simpleauth"],
        "FilterIDs": ["*string:~*req.Account:1001"], "ActivationInterval": None,
        "Attributes": [{"FilterIDs": [], "Path": "*req.Password", "Type": "*constant",
                        "Value": [{"Rules": "CGRateS.org", "AllFiltersMatch": True}]}],
        "Blocker": False, "Weight": 20,
    }  # fmt: skip
    reply = _call(engine, "AttributeSv1.ProcessEvent",
                  {"Context": "*sessions", "Tenant": T, "ID": "e1",
                   "Event": {"Account": "1001", "Usage": 90000000000}})  # fmt: skip
    assert reply["MatchedProfiles"] == ["ATTR_1001_SESSIONAUTH"]
    assert reply["AlteredFields"] == [
        "*req.Password", "*req.RequestType", "*req.PaypalAccount", "*req.LCRProfile",
    ]  # fmt: skip
    assert reply["CGREvent"] == {
        "Tenant": T, "ID": "e1", "Time": None,
        "Event": {"Account": "1001", "Usage": 90000000000, "Password": "CGRateS.org",
                  "RequestType": "*prepaid", "PaypalAccount": "cgrates@paypal.com",
                  "LCRProfile": "premium_cli"},
    }  # fmt: skip
    # *tenant: an event of cgrates.com is moved to cgrates.org
    moved = _call(engine, "AttributeSv1.ProcessEvent",
                  {"Context": "*any", "Tenant": "cgrates.com",
                   "Event": {"SubscriberId": "1006"}})  # fmt: skip
    assert moved["MatchedProfiles"] == ["ATTR_TNT_ALIAS"]
    assert moved["CGREvent"]["Tenant"] == "cgrates.org"
    assert moved["CGREvent"]["Event"] == {
        "SubscriberId": "1006", "Account": "1001", "RequestType": "*prepaid",
    }  # fmt: skip
    assert _error(engine, "AttributeSv1.ProcessEvent",
                  {"Context": "*sessions", "Tenant": T, "Event": {"Account": "9999"}}) == (
        "NOT_FOUND"
    )  # fmt: skip
    assert _call(engine, "AttributeSv1.Ping", {}) == "Pong"


def test_profiles_over_the_api_and_a_restart(engine: EngineProcess) -> None:
    _set(engine, "ATTR_A", [_attr("*req.A", "1")], FilterIDs=["*string:~*req.Account:1001"])
    _set(engine, "ATTR_B", [_attr("*req.B", "~*req.Account", "-", "~*req.A", kind="*variable")],
         Contexts=["*sessions"], Weight=5, FilterIDs=["*string:~*req.A:1"],
         ActivationInterval={"ActivationTime": "2014-07-14T14:25:00Z",
                             "ExpiryTime": "0001-01-01T00:00:00Z"})  # fmt: skip
    v2 = {"Tenant": T, "ID": "ATTR_V2", "Contexts": ["*cdrs"],
          "Attributes": [{"Path": "*req.Total", "Type": "*sum", "Value": "~*req.X;5"}]}  # fmt: skip
    assert _call(engine, "APIerSv2.SetAttributeProfile", v2) == "OK"

    ids = {"Tenant": T}
    assert _call(engine, "APIerSv1.GetAttributeProfileIDs", ids) == ["ATTR_A", "ATTR_B", "ATTR_V2"]
    assert _call(engine, "APIerSv1.GetAttributeProfileIDs", {**ids, "Limit": 1, "Offset": 1}) == [
        "ATTR_B"
    ]
    assert _call(engine, "APIerSv1.GetAttributeProfileIDsCount", ids) == 3
    got = _call(engine, "APIerSv1.GetAttributeProfile", {"Tenant": T, "ID": "ATTR_B"})
    assert got["ActivationInterval"] == {"ActivationTime": "2014-07-14T14:25:00Z",
                                         "ExpiryTime": "0001-01-01T00:00:00Z"}  # fmt: skip
    assert [v["Rules"] for v in got["Attributes"][0]["Value"]] == ["~*req.Account", "-", "~*req.A"]
    got = _call(engine, "APIerSv1.GetAttributeProfile", {"Tenant": T, "ID": "ATTR_V2"})
    assert [v["Rules"] for v in got["Attributes"][0]["Value"]] == ["~*req.X", "5"]

    chain = {"Tenant": T, "Context": "*sessions", "Event": {"Account": "1001"}}
    one = _call(engine, "AttributeSv1.ProcessEvent", chain)
    assert one["MatchedProfiles"] == ["ATTR_A"]  # *any is asked: *sessions had no candidate
    two = _call(engine, "AttributeSv1.ProcessEvent", {**chain, "ProcessRuns": 3})
    assert two["MatchedProfiles"] == ["ATTR_A", "ATTR_B"]  # ATTR_A again ends the chain
    assert two["CGREvent"]["Event"] == {"Account": "1001", "A": "1", "B": "1001-1"}
    old = _call(engine, "AttributeSv1.ProcessEvent",
                {**chain, "ProcessRuns": 3, "Time": "2010-01-01T00:00:00Z"})  # fmt: skip
    assert old["MatchedProfiles"] == ["ATTR_A"]  # ATTR_B not active yet at that time
    summed = _call(engine, "AttributeSv1.ProcessEvent",
                   {"Tenant": T, "Context": "*cdrs", "Event": {"X": 2.5}})  # fmt: skip
    assert summed["CGREvent"]["Event"] == {"X": 2.5, "Total": "7.5"}

    assert engine.stop() == 0, engine.log()
    engine.start()
    assert _call(engine, "APIerSv1.GetAttributeProfileIDsCount", ids) == 3
    again = _call(engine, "AttributeSv1.ProcessEvent", {**chain, "ProcessRuns": 3})
    assert again == {**two, "CGREvent": {**two["CGREvent"]}}

    remove = {"Tenant": T, "ID": "ATTR_B"}
    assert _call(engine, "APIerSv1.RemoveAttributeProfile", remove) == "OK"
    assert _error(engine, "APIerSv1.RemoveAttributeProfile", remove) == "NOT_FOUND"
    assert _error(engine, "APIerSv1.GetAttributeProfile", remove) == "NOT_FOUND"
    assert _call(engine, "AttributeSv1.ProcessEvent", {**chain, "ProcessRuns": 3})[
        "MatchedProfiles"
    ] == ["ATTR_A"]
    assert _error(engine, "APIerSv1.GetAttributeProfileIDs", {"Tenant": "nobody"}) == "NOT_FOUND"
    assert _error(engine, "APIerSv1.GetAttributeProfileIDsCount", {"Tenant": "x"}) == "NOT_FOUND"


def test_bad_profiles_and_events_are_refused_clearly(engine: EngineProcess) -> None:
    set_ = "APIerSv1.SetAttributeProfile"
    assert _error(engine, set_, {"Attributes": []}) == "MANDATORY_IE_MISSING: [Tenant ID]"
    bad_rules = {"Tenant": T, "ID": "X", "Attributes": [_attr("*req.A", "")]}
    assert _error(engine, set_, bad_rules) == "MANDATORY_IE_MISSING: [Rules]"
    bad_conv = {"Tenant": T, "ID": "X", "Attributes": [_attr("*req.A", "~*req.B{*nope}")]}
    assert _error(engine, set_, bad_conv).startswith(
        "SERVER_ERROR: invalid converter value in string: <*nope>"
    )
    bad_type = {"Tenant": T, "ID": "X", "Attributes": [_attr("*req.A", "1", kind="*constnat")]}
    assert _error(engine, set_, bad_type) == "SERVER_ERROR: unsupported type: <*constnat>"
    no_path = {"Tenant": T, "ID": "X", "Attributes": [_attr("", "1")]}
    assert _error(engine, set_, no_path) == "MANDATORY_IE_MISSING: [Path]"
    broken = {"Tenant": T, "ID": "X", "FilterIDs": ["FLTR_NONE"], "Attributes": []}
    assert _error(engine, set_, broken) == (
        "SERVER_ERROR: broken reference to filter: FLTR_NONE for itemType: alp_ and ID: X"
    )
    bad_inline = {"Tenant": T, "ID": "X", "FilterIDs": ["*string:~*req.A"], "Attributes": []}
    assert _error(engine, set_, bad_inline) == (
        "SERVER_ERROR: inline parse error for string: <*string:~*req.A>"
    )
    bad_time = {"Tenant": T, "ID": "X", "ActivationInterval": {"ActivationTime": "soon"}}
    assert _error(engine, set_, bad_time).startswith("SERVER_ERROR: parsing time")
    v2_empty = {"Tenant": T, "ID": "X", "Attributes": [{"Path": "*req.A", "Value": ""}]}
    assert _error(engine, "APIerSv2.SetAttributeProfile", v2_empty) == (
        "MANDATORY_IE_MISSING: [Value]"
    )
    assert _error(engine, "APIerSv1.GetAttributeProfileIDs", {}) == "MANDATORY_IE_MISSING: [Tenant]"
    # nothing of the refused profiles was stored
    assert _error(engine, "APIerSv1.GetAttributeProfile", {"Tenant": T, "ID": "X"}) == "NOT_FOUND"

    ev = "AttributeSv1.ProcessEvent"
    assert _error(engine, ev, {"Tenant": T}) == "MANDATORY_IE_MISSING: [Event]"
    _set(engine, "ATTR_D", [_attr("*req.Wait", "~*req.AnswerTime", "~*req.SetupTime",
                                  kind="*usage_difference")])  # fmt: skip
    times = {"AnswerTime": "2018-01-07T17:00:10Z", "SetupTime": "2018-01-07T17:00:00Z"}
    diff = _call(engine, ev, {"Tenant": T, "Event": times})
    assert diff["CGREvent"]["Event"]["Wait"] == "10s"
    assert _error(engine, ev, {"Tenant": T, "Event": {"AnswerTime": "x", "SetupTime": "y"}}) == (
        "SERVER_ERROR: Unsupported time format"
    )
    assert _error(engine, ev, {"Tenant": T, "Event": {}}) == "NOT_FOUND"  # a field is missing
    # the run failed: a field asked of AttributeS stays unpopulated
    assert _error(engine, ev, {"Tenant": T, "Event": {"A": "*attributes"}}) == (
        "MANDATORY_IE_MISSING: [A]"
    )
    assert _error(engine, ev, {"Tenant": "other", "Event": {"Cat": "*attributes"}}) == (
        "MANDATORY_IE_MISSING: [Cat]"
    )
    assert _error(engine, ev, {"Tenant": T, "Time": "yesterday", "Event": {}}).startswith(
        'parsing time "yesterday"'
    )


def test_a_disabled_attributes_is_not_served_but_its_profiles_are(tmp_path: Path) -> None:
    with EngineProcess.prepare(tmp_path / "off").start() as proc:
        for method in ("Ping", "ProcessEvent", "GetAttributeForEvent"):
            assert _error(proc, f"AttributeSv1.{method}", {"Tenant": T, "Event": {}}) == (
                f"rpc: can't find service AttributeSv1.{method}"
            )
        _set(proc, "ATTR", [_attr("*req.A", "1")])
        assert _call(proc, "APIerSv1.GetAttributeProfileIDs", {"Tenant": T}) == ["ATTR"]
        assert proc.stop() == 0, proc.log()
