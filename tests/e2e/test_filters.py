"""FilterProfiles and filter indexes over the API, against a real engine process."""

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

FILTERS_CSV = """\
#Tenant[0],ID[1],Type[2],Element[3],Values[4],ActivationInterval[5]
cgrates.org,FLTR_ACC,*string,~*req.Account,1001;1002,
cgrates.org,FLTR_DST,*prefix,~*req.Destination,+49,2014-07-29T15:00:00Z
cgrates.org,FLTR_DST,*gte,~*req.Usage,1m,
"""
THRESHOLDS_CSV = """\
#Tenant[0],Id[1],FilterIDs[2],ActivationInterval[3],MaxHits[4],MinHits[5],MinSleep[6],Blocker[7],Weight[8],ActionIDs[9],Async[10]
cgrates.org,TH_ACC,FLTR_ACC,,-1,1,1s,false,10,,false
cgrates.org,TH_DST,FLTR_DST;*string:~*req.Subject:dan,,-1,1,1s,false,10,,false
cgrates.org,TH_ALL,,,-1,1,1s,false,10,,false
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine").start()
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


def _indexes(proc: EngineProcess, **args: Any) -> list[str]:
    return sorted(_call(proc, "APIerSv1.GetFilterIndexes", {"Tenant": T, **args}))


FILTER = {
    "Tenant": T,
    "ID": "FLTR_1",
    "Rules": [
        {"Type": "*string", "Element": "~*req.Account", "Values": ["1001", "1002"]},
        {"Type": "*gte", "Element": "~*req.Usage", "Values": ["1m"]},
        {"Type": "*rsr", "Element": "", "Values": ["~*req.Subject(~^10)"]},
    ],
    "ActivationInterval": {
        "ActivationTime": "2014-07-14T14:25:00Z",
        "ExpiryTime": "0001-01-01T00:00:00Z",
    },
}


def test_filter_profiles(engine: EngineProcess) -> None:
    assert _error(engine, "APIerSv1.GetFilterIDs", {"Tenant": T}) == "NOT_FOUND"
    assert _call(engine, "APIerSv1.SetFilter", FILTER) == "OK"
    assert _call(engine, "APIerSv1.GetFilter", {"Tenant": T, "ID": "FLTR_1"}) == FILTER
    other = {"Tenant": T, "ID": "FLTR_2", "Rules": [{"Type": "*exists", "Element": "~*req.X"}]}
    assert _call(engine, "APIerSv1.SetFilter", other) == "OK"
    assert _call(engine, "APIerSv1.GetFilter", {"Tenant": T, "ID": "FLTR_2"}) == {
        **other,
        "Rules": [{"Type": "*exists", "Element": "~*req.X", "Values": []}],
        "ActivationInterval": None,
    }
    assert _call(engine, "APIerSv1.GetFilterIDs", {"Tenant": T}) == ["FLTR_1", "FLTR_2"]
    assert _call(engine, "APIerSv1.GetFilterIDs", {"Tenant": T, "Limit": 1, "Offset": 1}) == [
        "FLTR_2"
    ]
    # replacing keeps one profile
    changed = {**FILTER, "Rules": FILTER["Rules"][:1], "ActivationInterval": None}
    assert _call(engine, "APIerSv1.SetFilter", changed) == "OK"
    assert _call(engine, "APIerSv1.GetFilter", {"Tenant": T, "ID": "FLTR_1"}) == changed

    # bad input is refused with v0.10's texts, and nothing is stored
    assert _error(engine, "APIerSv1.SetFilter", {"ID": "X"}) == "MANDATORY_IE_MISSING: [Tenant]"
    assert _error(engine, "APIerSv1.SetFilter", {}) == "MANDATORY_IE_MISSING: [Tenant ID]"
    bad_type = {
        "Tenant": T,
        "ID": "BAD",
        "Rules": [{"Type": "*foo", "Element": "~*req.A", "Values": ["1"]}],
    }
    assert (
        _error(engine, "APIerSv1.SetFilter", bad_type)
        == "SERVER_ERROR: Unsupported filter Type: *foo"
    )
    no_values = {"Tenant": T, "ID": "BAD", "Rules": [{"Type": "*string", "Element": "~*req.A"}]}
    assert _error(engine, "APIerSv1.SetFilter", no_values) == (
        "SERVER_ERROR: Values is mandatory for Type: *string"
    )
    bad_regexp = {"Tenant": T, "ID": "BAD", "Rules": [{"Type": "*rsr", "Values": ["~*req.A(~[)"]}]}
    assert _error(engine, "APIerSv1.SetFilter", bad_regexp).startswith(
        "SERVER_ERROR: Invalid FilterValue in string: ~["
    )
    bad_time = {**FILTER, "ID": "BAD", "ActivationInterval": {"ActivationTime": "tomorrow"}}
    assert _error(engine, "APIerSv1.SetFilter", bad_time) == "SERVER_ERROR: Unsupported time format"
    assert _error(engine, "APIerSv1.GetFilter", {"Tenant": T, "ID": "BAD"}) == "NOT_FOUND"
    assert _error(engine, "APIerSv1.GetFilter", {"Tenant": T}) == "MANDATORY_IE_MISSING: [ID]"

    assert _call(engine, "APIerSv1.RemoveFilter", {"Tenant": T, "ID": "FLTR_2"}) == "OK"
    assert _error(engine, "APIerSv1.RemoveFilter", {"Tenant": T, "ID": "FLTR_2"}) == "NOT_FOUND"
    assert _error(engine, "APIerSv1.GetFilter", {"Tenant": T, "ID": "FLTR_2"}) == "NOT_FOUND"

    # stored in the DataDB: a restarted engine still has it
    engine.stop()
    engine.start()
    assert _call(engine, "APIerSv1.GetFilter", {"Tenant": T, "ID": "FLTR_1"}) == changed
    assert _call(engine, "APIerSv1.GetFilterIDs", {"Tenant": T}) == ["FLTR_1"]


def _plan(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / "Filters.csv").write_text(FILTERS_CSV)
    (folder / "Thresholds.csv").write_text(THRESHOLDS_CSV)
    return folder


def test_filter_indexes(engine: EngineProcess, tmp_path: Path) -> None:
    load = {"FolderPath": str(_plan(tmp_path))}
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", load) == "OK"
    everything = [
        "*none:*any:*any:TH_ALL",
        "*prefix:~*req.Destination:+49:TH_DST",
        "*string:~*req.Account:1001:TH_ACC",
        "*string:~*req.Account:1002:TH_ACC",
        "*string:~*req.Subject:dan:TH_DST",
    ]
    assert _indexes(engine, ItemType="*thresholds") == everything
    assert _indexes(engine, ItemType="*thresholds", FilterType="*string") == [
        "*string:~*req.Account:1001:TH_ACC",
        "*string:~*req.Account:1002:TH_ACC",
        "*string:~*req.Subject:dan:TH_DST",
    ]
    assert _indexes(
        engine, ItemType="*thresholds", FilterType="*string", FilterField="Account"
    ) == [
        "*string:~*req.Account:1001:TH_ACC",
        "*string:~*req.Account:1002:TH_ACC",
    ]
    assert _indexes(engine, ItemType="*thresholds", FilterValue="+49") == [
        "*prefix:~*req.Destination:+49:TH_DST"
    ]
    get = {"Tenant": T, "ItemType": "*thresholds"}
    for narrowed in ({"FilterType": "*suffix"}, {"FilterField": "Nope"}, {"FilterValue": "9999"}):
        assert _error(engine, "APIerSv1.GetFilterIndexes", {**get, **narrowed}) == "NOT_FOUND"
    assert _error(engine, "APIerSv1.GetFilterIndexes", {**get, "ItemType": "*stats"}) == "NOT_FOUND"
    assert _error(
        engine, "APIerSv1.GetFilterIndexes", {"Tenant": T, "ItemType": "*attributes"}
    ) == ("MANDATORY_IE_MISSING: [Context]")
    assert _error(engine, "APIerSv1.GetFilterIndexes", {"Tenant": T}) == (
        "MANDATORY_IE_MISSING: [ItemType]"
    )

    # a changed FilterProfile re-indexes the thresholds using it
    rule = {"Type": "*string", "Element": "~*req.Account", "Values": ["1003"]}
    acc = {"Tenant": T, "ID": "FLTR_ACC", "Rules": [rule]}
    assert _call(engine, "APIerSv1.SetFilter", acc) == "OK"
    assert _indexes(engine, ItemType="*thresholds", FilterField="Account") == [
        "*string:~*req.Account:1003:TH_ACC"
    ]

    # remove, then compute by ids, then compute everything
    assert _call(engine, "APIerSv1.RemoveFilterIndexes", get) == "OK"
    assert _error(engine, "APIerSv1.GetFilterIndexes", get) == "NOT_FOUND"
    ids = {"Tenant": T, "ThresholdIDs": ["TH_DST"]}
    assert _call(engine, "APIerSv1.ComputeFilterIndexIDs", ids) == "OK"
    assert _indexes(engine, ItemType="*thresholds") == [
        "*prefix:~*req.Destination:+49:TH_DST",
        "*string:~*req.Subject:dan:TH_DST",
    ]
    assert (
        _error(engine, "APIerSv1.ComputeFilterIndexIDs", {"Tenant": T, "ThresholdIDs": ["NOPE"]})
        == "NOT_FOUND"
    )
    assert _call(engine, "APIerSv1.ComputeFilterIndexes", {"Tenant": T, "ThresholdS": True}) == "OK"
    assert len(_indexes(engine, ItemType="*thresholds")) == 4

    # the indexes are rebuilt from the stored profiles at start
    assert _call(engine, "APIerSv1.RemoveFilterIndexes", get) == "OK"
    engine.stop()
    engine.start()
    assert len(_indexes(engine, ItemType="*thresholds")) == 4


@pytest.mark.skipif(not TUTORIAL.is_dir(), reason="the v0.10 tariff plans are not here")
def test_tutorial_attribute_indexes(engine: EngineProcess) -> None:
    load = {"FolderPath": str(TUTORIAL)}
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", load) == "OK"
    assert _indexes(engine, ItemType="*attributes", Context="simpleauth") == [
        "*string:~*req.Account:1001:ATTR_1001_SIMPLEAUTH",
        "*string:~*req.Account:1002:ATTR_1002_SIMPLEAUTH",
        "*string:~*req.Account:1003:ATTR_1003_SIMPLEAUTH",
    ]
    assert _error(engine, "APIerSv1.GetFilterIndexes", {
        "Tenant": T, "ItemType": "*attributes", "Context": "*cdrs"}) == "NOT_FOUND"  # fmt: skip
    # ComputeFilterIndexes with Context *any indexes every attribute profile there
    compute = {"Tenant": T, "Context": "*any", "AttributeS": True}
    assert _call(engine, "APIerSv1.ComputeFilterIndexes", compute) == "OK"
    assert "*string:~*req.Account:1001:ATTR_1001_SIMPLEAUTH" in _indexes(
        engine, ItemType="*attributes", Context="*any"
    )
    # the tutorial's chargers have no filters: candidates for every event
    assert _indexes(engine, ItemType="*chargers") == [
        "*none:*any:*any:DEFAULT",
        "*none:*any:*any:Raw",
    ]
