"""Offline tariff plans in the StorDB, every file, against a real engine: `tollgate loader
-to_stordb` / `-from_stordb` / `-flush_stordb`, and the APIerSv1 SetTP*/GetTP*/RemoveTP*
methods of the account and profile files with v0.10's shapes and errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tollgate.apier import PARTITIONS
from tollgate.storage.datadb import open_datadb
from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

ROOT = Path(__file__).resolve().parents[2]
ENGINE_CSV = ROOT.parent / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "engine_csv"
T = "cgrates.org"


def _loader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollgate", "loader", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _every_file_plan(tmp_path: Path) -> Path:
    """engine_csv (18 files) plus the two dispatcher files: all 20 v0.10 files."""
    folder = tmp_path / "all_files"
    shutil.copytree(ENGINE_CSV, folder)
    (folder / "DispatcherProfiles.csv").write_text(
        "#Tenant,ID,Subsystems,FilterIDs,ActivationInterval,Strategy,StrategyParameters,"
        "ConnID,ConnFilterIDs,ConnWeight,ConnBlocker,ConnParameters,Weight\n"
        "cgrates.org,D1,*any,FLTR_1,2014-07-29T15:00:00Z,*first,,C1,FLTR_1,10,false,p1;p2,20\n"
        "cgrates.org,D1,,,,,,C2,,5,true,,\n"
    )
    (folder / "DispatcherHosts.csv").write_text(
        "#Tenant,ID,Address,Transport,TLS\n"
        "cgrates.org,C1,127.0.0.1:6012,*json,false\n"
        "cgrates.org,C1,127.0.0.1:6013,,true\n"
        "cgrates.org,C2,127.0.0.1:7012,*gob,false\n"
    )
    return folder


async def _datadb_items(data_dir: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every tariff-plan partition of a stopped engine's DataDB, TPid and LoadId left out
    (they name where an item came from, not what it is)."""
    db = open_datadb("*internal", data_dir=data_dir)
    await db.open()
    try:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for part in PARTITIONS:
            items = {}
            for key in await db.keys(part.kind):
                raw = await db.get(part.kind, key)
                assert raw is not None
                fields = msgspec.structs.asdict(part.decode(raw))
                fields.pop("TPid", None)
                fields.pop("LoadId", None)
                items[key] = fields
            out[part.kind] = items
        return out
    finally:
        await db.close()


async def test_every_file_goes_folder_to_stordb_to_datadb_as_a_folder_load(
    tmp_path: Path,
) -> None:
    folder = _every_file_plan(tmp_path)
    direct = EngineProcess.prepare(tmp_path / "direct").start()
    with direct:
        out = _loader(
            "-path", str(folder), "-caches_address", f"127.0.0.1:{direct.ports['rpc_json']}"
        )
        assert out.returncode == 0, out.stderr
        assert direct.stop() == 0, direct.log()
    via = EngineProcess.prepare(tmp_path / "via_stordb").start()
    with via:
        port = via.ports["rpc_json"]
        address = f"127.0.0.1:{port}"
        out = _loader(
            "-path", str(folder), "-to_stordb", "-tpid", "ALL", "-caches_address", address
        )
        assert out.returncode == 0, out.stderr
        # every file is in the StorDB, nothing in the DataDB yet
        assert "cgrates.org:FLTR_1" in rpc(port, "APIerSv1.GetTPFilterProfileIds", {"TPid": "ALL"})
        assert rpc(port, "APIerSv1.GetTPDispatcherProfileIDs", {"TPid": "ALL"}) == [
            "cgrates.org:D1"
        ]
        assert rpc(port, "APIerSv1.GetTPActionTriggerIds", {"TPid": "ALL"})
        with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
            rpc(port, "APIerSv1.GetActionPlanIDs", {})
        out = _loader("-from_stordb", "-tpid", "ALL", "-caches_address", address)
        assert out.returncode == 0, out.stderr
        assert rpc(port, "APIerSv1.GetActionPlanIDs", {})
        assert via.stop() == 0, via.log()
    assert "not imported" not in via.log()
    expected = await _datadb_items(direct.data_dir)
    got = await _datadb_items(via.data_dir)
    loaded = {kind for kind, items in got.items() if items}
    assert len(loaded) == len(PARTITIONS)  # all 20 files reached the DataDB
    assert got == expected


def test_import_names_the_load_and_flush_empties_every_file(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    address = f"127.0.0.1:{port}"
    args = ("-path", str(ENGINE_CSV), "-to_stordb", "-tpid", "ECSV", "-caches_address", address)
    assert _loader(*args).returncode == 0
    assert rpc(port, "APIerSv1.GetTPAccountActionLoadIds", {"TPid": "ECSV"}) == ["CSVLOAD"]
    assert rpc(port, "APIerSv1.GetTPRatingProfileLoadIds", {"TPid": "ECSV"}) == ["CSVLOAD"]
    acc = rpc(
        port,
        "APIerSv1.GetTPAccountActions",
        {"TPid": "ECSV", "AccountActionsId": "CSVLOAD:vdf:minitsboy"},
    )
    assert acc == {
        "TPid": "ECSV", "LoadId": "CSVLOAD", "Tenant": "vdf", "Account": "minitsboy",
        "ActionPlanId": "MORE_MINUTES", "ActionTriggersId": "STANDARD_TRIGGER",
        "AllowNegative": False, "Disabled": False,
    }  # fmt: skip
    # something only the StorDB has, in a profile table
    extra = {"TPid": "ECSV", "Tenant": T, "ID": "EXTRA", "RunID": "*default"}
    assert rpc(port, "APIerSv1.SetTPCharger", extra) == "OK"
    run = _loader(*args, "-flush_stordb", "-import_id", "run2")
    assert run.returncode == 0, run.stderr
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetTPCharger", {"TPid": "ECSV", "Tenant": T, "ID": "EXTRA"})
    assert rpc(port, "APIerSv1.GetTPAccountActionLoadIds", {"TPid": "ECSV"}) == ["CSVLOAD_run2"]
    by_load = rpc(
        port, "APIerSv1.GetTPAccountActionsByLoadId", {"TPid": "ECSV", "LoadId": "CSVLOAD_run2"}
    )
    assert len(by_load) == 17  # every row of AccountActions.csv


# a sample of every account and profile file, as a client sends it, with v0.10's names
SAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    ("SharedGroups", "ID", {
        "TPid": "TP1", "ID": "SG1",
        "SharedGroups": [{"Account": "*any", "Strategy": "*lowest", "RatingSubject": ""}],
    }),
    ("Actions", "ID", {
        "TPid": "TP1", "ID": "ACT_1",
        "Actions": [{
            "Identifier": "*topup_reset", "BalanceId": "B1", "BalanceUuid": "",
            "BalanceType": "*monetary", "Units": "10", "ExpiryTime": "*unlimited",
            "Filter": "", "TimingTags": "", "DestinationIds": "DST_1;!DST_2",
            "RatingSubject": "", "Categories": "call", "SharedGroups": "SG1",
            "BalanceWeight": "10", "ExtraParameters": "", "BalanceBlocker": "false",
            "BalanceDisabled": "", "Weight": 20.5,
        }],
    }),
    ("ActionPlan", "ID", {
        "TPid": "TP1", "ID": "AP_1",
        "ActionPlan": [{"ActionsId": "ACT_1", "TimingId": "*asap", "Weight": 10}],
    }),
    ("ActionTriggers", "ID", {
        "TPid": "TP1", "ID": "AT_1",
        "ActionTriggers": [{
            "Id": "AT_1", "UniqueID": "u1", "ThresholdType": "*min_balance",
            "ThresholdValue": 2.5, "Recurrent": True, "MinSleep": "1m",
            "ExpirationDate": "", "ActivationDate": "", "BalanceId": "", "BalanceType":
            "*monetary", "BalanceDestinationIds": "", "BalanceWeight": "",
            "BalanceExpirationDate": "", "BalanceTimingTags": "", "BalanceRatingSubject": "",
            "BalanceCategories": "", "BalanceSharedGroups": "", "BalanceBlocker": "",
            "BalanceDisabled": "", "ActionsId": "ACT_1", "Weight": 10,
        }],
    }),
    ("FilterProfile", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "FLTR_1",
        "Filters": [{"Type": "*string", "Element": "~*req.Account", "Values": ["1001", "1002"]}],
        "ActivationInterval": {"ActivationTime": "2014-07-29T15:00:00Z", "ExpiryTime": ""},
    }),
    ("AttributeProfile", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "ATTR_1", "Contexts": ["*sessions"],
        "FilterIDs": ["FLTR_1"], "ActivationInterval": None,
        "Attributes": [{"FilterIDs": [], "Path": "*req.Subject", "Type": "*constant",
                        "Value": "1001"}],
        "Blocker": False, "Weight": 20,
    }),
    ("Charger", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "CHRG_1", "FilterIDs": [], "ActivationInterval": None,
        "RunID": "*rated", "AttributeIDs": ["*none"], "Weight": 0,
    }),
    ("Resource", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "RES_1", "FilterIDs": ["FLTR_1"],
        "ActivationInterval": None, "UsageTTL": "1s", "Limit": "7", "AllocationMessage": "",
        "Blocker": True, "Stored": True, "Weight": 10, "ThresholdIDs": ["*none"],
    }),
    ("Stat", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "STAT_1", "FilterIDs": [], "ActivationInterval": None,
        "QueueLength": 100, "TTL": "1s",
        "Metrics": [{"MetricID": "*asr", "FilterIDs": []},
                    {"MetricID": "*sum:~*req.Usage", "FilterIDs": ["F1"]}],
        "Blocker": False, "Stored": True, "Weight": 20, "MinItems": 1, "ThresholdIDs": [],
    }),
    ("Threshold", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "THD_1", "FilterIDs": [], "ActivationInterval": None,
        "MaxHits": -1, "MinHits": 1, "MinSleep": "5m", "Blocker": False, "Weight": 10,
        "ActionIDs": ["ACT_1"], "Async": True,
    }),
    ("SupplierProfile", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "SPP_1", "FilterIDs": [], "ActivationInterval": None,
        "Sorting": "*weight", "SortingParameters": [],
        "Suppliers": [{"ID": "s1", "FilterIDs": [], "AccountIDs": [], "RatingPlanIDs": ["RP_1"],
                       "ResourceIDs": [], "StatIDs": [], "Weight": 10, "Blocker": False,
                       "SupplierParameters": ""}],
        "Weight": 20,
    }),
    ("DispatcherProfile", "TNT", {
        "TPid": "TP1", "Tenant": T, "ID": "DSP_1", "Subsystems": ["*any"], "FilterIDs": [],
        "ActivationInterval": None, "Strategy": "*first", "StrategyParams": [], "Weight": 20,
        "Hosts": [{"ID": "C1", "FilterIDs": [], "Weight": 10, "Params": [], "Blocker": False}],
    }),
]  # fmt: skip
# the GetTP*Ids spelling of each (v0.10 has none for resources and stats)
IDS_METHOD = {
    "SharedGroups": "GetTPSharedGroupIds", "Actions": "GetTPActionIds",
    "ActionPlan": "GetTPActionPlanIds", "ActionTriggers": "GetTPActionTriggerIds",
    "FilterProfile": "GetTPFilterProfileIds", "AttributeProfile": "GetTPAttributeProfileIds",
    "Charger": "GetTPChargerIDs", "Threshold": "GetTPThresholdIDs",
    "SupplierProfile": "GetTPSupplierProfileIDs",
    "DispatcherProfile": "GetTPDispatcherProfileIDs",
}  # fmt: skip


def test_set_get_ids_remove_round_trip_every_file(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    for name, keyed, item in SAMPLES:
        key = {"TPid": "TP1", "ID": item["ID"]}
        if keyed == "TNT":
            key["Tenant"] = T
        listed = item["ID"] if keyed == "ID" else f"{T}:{item['ID']}"
        assert rpc(port, f"APIerSv1.SetTP{name}", item) == "OK", name
        assert rpc(port, f"APIerSv1.GetTP{name}", key) == item, name
        if name in IDS_METHOD:
            assert rpc(port, f"APIerSv1.{IDS_METHOD[name]}", {"TPid": "TP1"}) == [listed], name
            with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
                rpc(port, f"APIerSv1.{IDS_METHOD[name]}", {"TPid": "TP2"})
        assert rpc(port, f"APIerSv1.RemoveTP{name}", key) == "OK", name
        with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
            rpc(port, f"APIerSv1.GetTP{name}", key)
        assert rpc(port, f"APIerSv1.RemoveTP{name}", key) == "OK", name  # nothing there: OK


def test_account_actions_round_trip_by_their_three_part_id(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    sent = {
        "TPid": "TP1", "LoadId": "L1", "Tenant": "", "Account": "1001", "ActionPlanId": "AP_1",
        "ActionTriggersId": "AT_1", "AllowNegative": True, "Disabled": False,
    }  # fmt: skip
    assert rpc(port, "APIerSv1.SetTPAccountActions", sent) == "OK"
    stored = {**sent, "Tenant": T}  # an empty tenant is the default tenant
    ident = {"TPid": "TP1", "AccountActionsId": "L1:cgrates.org:1001"}
    assert rpc(port, "APIerSv1.GetTPAccountActions", ident) == stored
    assert rpc(port, "APIerSv1.GetTPAccountActionIds", {"TPid": "TP1"}) == ["L1:cgrates.org:1001"]
    assert rpc(port, "APIerSv1.GetTPAccountActionLoadIds", {"TPid": "TP1"}) == ["L1"]
    by_load = {"TPid": "TP1", "LoadId": "L1", "Account": "1001"}
    assert rpc(port, "APIerSv1.GetTPAccountActionsByLoadId", by_load) == [stored]
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetTPAccountActionsByLoadId", {**by_load, "LoadId": "L2"})
    assert rpc(port, "APIerSv1.RemoveTPAccountActions", ident) == "OK"
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetTPAccountActions", ident)


ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("SetTPFilterProfile", {"ID": "F"}, "MANDATORY_IE_MISSING: [TPid Tenant]"),
    ("GetTPStat", {}, "MANDATORY_IE_MISSING: [TPid Tenant ID]"),
    ("SetTPResource", {"TPid": "TP1", "Tenant": T, "ID": "R"}, "MANDATORY_IE_MISSING: [Limit]"),
    ("SetTPActions", {"TPid": "TP1", "ID": "A"}, "MANDATORY_IE_MISSING: [Actions]"),
    ("SetTPSharedGroups", {"TPid": "TP1"}, "MANDATORY_IE_MISSING: [ID SharedGroups]"),
    ("SetTPActionTriggers", {"ID": "AT"}, "MANDATORY_IE_MISSING: [TPid]"),
    (
        "SetTPActionPlan",
        {"TPid": "TP1", "ID": "AP", "ActionPlan": [{"ActionsId": "ACT_1", "Weight": 10}]},
        "MANDATORY_IE_MISSING:Action:ACT_1:[TimingId]",
    ),
    (
        "SetTPAccountActions",
        {"TPid": "TP1", "Tenant": T, "Account": "1001"},
        "MANDATORY_IE_MISSING: [LoadId ActionPlanId]",
    ),
    ("GetTPActions", {"TPid": "TP1", "ID": "NOPE"}, "NOT_FOUND"),
    ("GetTPActionPlanIds", {}, "MANDATORY_IE_MISSING: [TPid]"),
    ("GetTPAccountActions", {"TPid": "TP1"}, "MANDATORY_IE_MISSING: [AccountActionsId]"),
    (
        "GetTPAccountActions",
        {"TPid": "TP1", "AccountActionsId": "cgrates.org:1001"},
        "Wrong TP Account Action Id: cgrates.org:1001",
    ),
    ("RemoveTPAccountActions", {"TPid": "TP1"}, "Wrong TP Account Action Id: "),
    ("GetTPAccountActionsByLoadId", {"TPid": "TP1"}, "MANDATORY_IE_MISSING: [LoadId]"),
    ("GetTPSupplierProfile", {"TPid": "TP1", "Tenant": T, "ID": "NOPE"}, "NOT_FOUND"),
]


def test_errors_match_v010(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    got = {}
    for method, params, _ in ERRORS:
        try:
            got[method, str(params)] = f"answered {rpc(port, f'APIerSv1.{method}', params)!r}"
        except RpcError as exc:
            got[method, str(params)] = str(exc)
    assert got == {(method, str(params)): error for method, params, error in ERRORS}
