"""Loading tariff plans as a user does: `tollgate loader`, the API, `-load_tariffplan`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "data" / "tariffplans" / "tutorial"
TUTORIAL_PLANS = ["RP_1001", "RP_1002", "RP_1002_LOW", "RP_1003", "RP_SMS"]


def _loader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollgate", "loader", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dry_run_reads_and_summarises_without_an_engine() -> None:
    out = _loader("-path", str(TUTORIAL), "-dry_run")
    assert out.returncode == 0, out.stderr
    assert "Rates.csv" in out.stdout
    assert "nothing was loaded" in out.stdout


def test_a_broken_plan_names_file_line_and_column_and_loads_nothing(
    tmp_path: Path, engine: EngineProcess
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(TUTORIAL, broken)
    rates = broken / "Rates.csv"
    lines = rates.read_text().splitlines()
    lines[2] = lines[2].replace("60s", "6os", 1)
    rates.write_text("\n".join(lines) + "\n")
    port = engine.ports["rpc_json"]
    out = _loader("-path", str(broken), "-caches_address", f"127.0.0.1:{port}")
    assert out.returncode == 1
    assert "Rates.csv:3:" in out.stderr
    assert "6os" in out.stderr
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingPlanIDs", {"Tenant": "cgrates.org"})


def test_loader_loads_into_the_running_engine(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    out = _loader("-path", str(TUTORIAL), "-caches_address", f"127.0.0.1:{port}")
    assert out.returncode == 0, out.stderr
    ids = rpc(port, "APIerSv1.GetRatingPlanIDs", {"Tenant": "cgrates.org"})
    assert sorted(ids) == TUTORIAL_PLANS
    page = rpc(port, "APIerSv1.GetRatingPlanIDs", {"Tenant": "cgrates.org", "Limit": 2})
    assert len(page) == 2


def test_loader_says_when_no_engine_listens(tmp_path: Path) -> None:
    from tollgate.testing.engine import free_port

    out = _loader("-path", str(TUTORIAL), "-caches_address", f"127.0.0.1:{free_port()}")
    assert out.returncode == 1
    assert "cannot reach the engine" in out.stderr


def test_stordb_flags_need_a_tpid_and_each_other() -> None:
    assert _loader("-path", str(TUTORIAL), "-to_stordb").returncode == 2
    assert _loader("-path", str(TUTORIAL), "-flush_stordb", "-tpid", "x").returncode == 2


def test_folder_to_stordb_then_stordb_to_the_engine(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    address = f"127.0.0.1:{port}"
    out = _loader("-path", str(TUTORIAL), "-to_stordb", "-tpid", "TUT", "-caches_address", address)
    assert out.returncode == 0, out.stderr
    # in the StorDB only: nothing is rated yet
    assert sorted(rpc(port, "APIerSv1.GetTPRatingPlanIds", {"TPid": "TUT"})) == TUTORIAL_PLANS
    with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
        rpc(port, "APIerSv1.GetRatingPlanIDs", {})
    again = _loader(
        "-path",
        str(TUTORIAL),
        "-to_stordb",
        "-flush_stordb",
        "-tpid",
        "TUT",
        "-caches_address",
        address,
    )
    assert again.returncode == 0, again.stderr
    out = _loader("-from_stordb", "-tpid", "TUT", "-caches_address", address)
    assert out.returncode == 0, out.stderr
    assert sorted(rpc(port, "APIerSv1.GetRatingPlanIDs", {})) == TUTORIAL_PLANS
    cost = rpc(
        port,
        "APIerSv1.GetCost",
        {
            "Tenant": "cgrates.org",
            "Category": "call",
            "Subject": "1001",
            "Destination": "1002",
            "AnswerTime": "*now",
            "Usage": "2m10s",
        },
    )
    assert cost["Cost"] == 0.7169
    missing = _loader("-from_stordb", "-tpid", "NOPE", "-caches_address", address)
    assert missing.returncode == 1
    assert "NOPE" in missing.stderr


def test_load_api_errors_match_cgrates(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING:FolderPath$"):
        rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": ""})
    with pytest.raises(RpcError, match=r"^INVALID_PATH$"):
        rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": "/INVALID/"})


def test_load_at_start_completes_before_ports_open_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    with EngineProcess.prepare(tmp_path).start("-load_tariffplan", str(TUTORIAL)) as proc:
        port = proc.ports["rpc_json"]
        # no wait: the port opens only once the plan is loaded
        assert sorted(rpc(port, "APIerSv1.GetRatingPlanIDs", {})) == TUTORIAL_PLANS
        assert rpc(port, "APIerSv1.GetActionPlanIDs", {"Tenant": "cgrates.org"}) == [
            "AP_PACKAGE_10"
        ]
        assert proc.stop() == 0
        proc.start()
        assert sorted(rpc(port, "APIerSv1.GetRatingPlanIDs", {})) == TUTORIAL_PLANS
        assert proc.stop() == 0


def test_a_bad_plan_at_start_stops_the_engine_with_status_1(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path)
    out = subprocess.run(
        proc.command("-load_tariffplan", str(tmp_path / "missing")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1
    assert "INVALID_PATH" in out.stderr
