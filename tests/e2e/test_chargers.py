"""ChargerS against real engine processes: the tutorial's DEFAULT and Raw runs, profiles over
the API, and forks altered by the AttributeS of another engine through ``rpc_conns``."""

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
ENABLED = {
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
}


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


def test_the_tutorial_runs(engine: EngineProcess) -> None:
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
    event = {"Account": "1001", "RequestType": "*prepaid", "Usage": 60000000000}
    forks = _call(engine, "ChargerSv1.ProcessEvent", {"Tenant": T, "ID": "call1", "Event": event})
    by_run = {f["CGREvent"]["Event"]["RunID"]: f for f in forks}
    assert set(by_run) == {"*default", "*raw"}
    assert by_run["*default"] == {
        "ChargerSProfile": "DEFAULT", "AttributeSProfiles": None, "AlteredFields": ["*req.RunID"],
        "CGREvent": {"Tenant": T, "ID": "call1", "Time": None,
                     "Event": {**event, "RunID": "*default"}},
    }  # fmt: skip
    raw = by_run["*raw"]
    assert raw["AttributeSProfiles"] == ["*constant:*req.RequestType:*none"]
    assert raw["AlteredFields"] == ["*req.RunID", "*req.RequestType"]
    assert raw["CGREvent"]["Event"] == {**event, "RunID": "*raw", "RequestType": "*none"}
    found = _call(engine, "ChargerSv1.GetChargersForEvent", {"Tenant": T, "Event": event})
    assert sorted(p["ID"] for p in found) == ["DEFAULT", "Raw"]
    assert _call(engine, "ChargerSv1.Ping", {}) == "Pong"


def test_profiles_over_the_api(engine: EngineProcess) -> None:
    charger = {"Tenant": T, "ID": "CHRG_1", "FilterIDs": ["*string:~*req.Account:1001"],
               "ActivationInterval": {"ActivationTime": "2014-07-29T15:00:00Z",
                                      "ExpiryTime": "0001-01-01T00:00:00Z"},
               "RunID": "*reseller", "AttributeIDs": ["ATTR_RESELLER"], "Weight": 20}  # fmt: skip
    assert _call(engine, "APIerSv1.SetChargerProfile", charger) == "OK"
    assert _call(engine, "APIerSv1.SetChargerProfile",
                 {"Tenant": T, "ID": "CHRG_0", "RunID": "*default",
                  "AttributeIDs": ["*none"]}) == "OK"  # fmt: skip
    value = [{"Rules": "reseller", "AllFiltersMatch": True}]
    subject = {"Path": "*req.Subject", "Type": "*constant", "Value": value}
    attr = {"Tenant": T, "ID": "ATTR_RESELLER", "Contexts": ["*chargers"], "Attributes": [subject]}
    assert _call(engine, "APIerSv1.SetAttributeProfile", attr) == "OK"

    got = _call(engine, "APIerSv1.GetChargerProfile", {"Tenant": T, "ID": "CHRG_1"})
    assert got == charger
    assert _call(engine, "APIerSv1.GetChargerProfileIDs", {"Tenant": T}) == ["CHRG_0", "CHRG_1"]
    forks = _call(engine, "ChargerSv1.ProcessEvent", {"Tenant": T, "Event": {"Account": "1001"}})
    assert [f["ChargerSProfile"] for f in forks] == ["CHRG_1", "CHRG_0"]  # by Weight
    assert forks[0]["CGREvent"]["Event"] == {
        "Account": "1001", "RunID": "*reseller", "Subject": "reseller",
    }  # fmt: skip
    assert forks[0]["AlteredFields"] == ["*req.RunID", "*req.Subject"]
    old = _call(
        engine,
        "ChargerSv1.ProcessEvent",
        {"Tenant": T, "Time": "2014-01-01T00:00:00Z", "Event": {"Account": "1001"}},
    )
    assert [f["ChargerSProfile"] for f in old] == ["CHRG_0"]  # CHRG_1 not active yet

    assert _call(engine, "APIerSv1.RemoveChargerProfile", {"Tenant": T, "ID": "CHRG_0"}) == "OK"
    assert _error(engine, "APIerSv1.GetChargerProfile", {"Tenant": T, "ID": "CHRG_0"}) == (
        "NOT_FOUND"
    )
    assert _error(engine, "ChargerSv1.ProcessEvent", {"Tenant": T, "Event": {"Account": "2"}}) == (
        "NOT_FOUND"
    )
    assert _error(engine, "ChargerSv1.ProcessEvent", {"Tenant": T}) == (
        "MANDATORY_IE_MISSING: [Event]"
    )
    assert _error(engine, "APIerSv1.SetChargerProfile", {"Tenant": T}) == (
        "MANDATORY_IE_MISSING: [ID]"
    )
    assert _error(engine, "APIerSv1.SetChargerProfile",
                  {"Tenant": T, "ID": "X", "FilterIDs": ["FLTR_NO"]}) == (
        "SERVER_ERROR: broken reference to filter: FLTR_NO for itemType: cpp_ and ID: X"
    )  # fmt: skip
    assert _error(engine, "APIerSv1.GetChargerProfileIDs", {"Tenant": "none"}) == "NOT_FOUND"


def test_forks_altered_by_the_attributes_of_another_engine(tmp_path: Path) -> None:
    attrs = EngineProcess.prepare(tmp_path / "attrs", {"attributes": {"enabled": True}}).start()
    with attrs:
        address = f"127.0.0.1:{attrs.ports['rpc_json']}"
        cfg = {
            "rpc_conns": {"attrs": {"conns": [{"address": address, "transport": "*json"}]}},
            "chargers": {"enabled": True, "attributes_conns": ["attrs"]},
        }
        with EngineProcess.prepare(tmp_path / "chargers", cfg).start() as chargers:
            profile = {"Tenant": T, "ID": "ATTR_REMOTE", "Contexts": ["*chargers"],
                       "Attributes": [{"Path": "*req.Where", "Type": "*constant",
                                       "Value": [{"Rules": "remote",
                                                  "AllFiltersMatch": True}]}]}  # fmt: skip
            assert _call(attrs, "APIerSv1.SetAttributeProfile", profile) == "OK"
            assert _call(chargers, "APIerSv1.SetChargerProfile",
                         {"Tenant": T, "ID": "C", "RunID": "*default"}) == "OK"  # fmt: skip
            forks = _call(chargers, "ChargerSv1.ProcessEvent",
                          {"Tenant": T, "ID": "e", "Event": {"Usage": 1.5}})  # fmt: skip
            assert forks == [
                {"ChargerSProfile": "C", "AttributeSProfiles": ["ATTR_REMOTE"],
                 "AlteredFields": ["*req.RunID", "*req.Where"],
                 "CGREvent": {"Tenant": T, "ID": "e", "Time": None,
                              "Event": {"Usage": 1.5, "RunID": "*default",
                                        "Where": "remote"}}},
            ]  # fmt: skip
            # the charging engine runs no AttributeS of its own
            assert _error(chargers, "AttributeSv1.Ping", {}) == (
                "rpc: can't find service AttributeSv1.Ping"
            )
            assert attrs.stop() == 0, attrs.log()
            assert _error(
                chargers, "ChargerSv1.ProcessEvent", {"Tenant": T, "Event": {}}
            ).startswith("SERVER_ERROR:")
            assert chargers.stop() == 0, chargers.log()
