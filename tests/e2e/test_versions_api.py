"""APIerSv1.GetStorDBVersions / SetStorDBVersions against a real engine, and the migrator
writing the versions the engine then reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tollgate.storage.stordb.migrate import CURRENT_VERSIONS
from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess


def test_versions_over_the_wire(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path, {"apiers": {"enabled": True}})
    done = subprocess.run(
        [sys.executable, "-m", "tollgate", "migrator", "-data_dir", str(proc.data_dir),
         "-exec", "*stordb,*set_versions"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with proc.start():
        port = proc.ports["rpc_json"]
        assert rpc(port, "APIerSv1.GetStorDBVersions", "") == CURRENT_VERSIONS
        args = {"Versions": {"CDRs": 3}, "Overwrite": True}
        assert rpc(port, "APIerSv1.SetStorDBVersions", args) == "OK"
        assert rpc(port, "APIerSv1.GetStorDBVersions", "") == {"CDRs": 3}
        assert rpc(port, "APIerSv1.SetStorDBVersions", {}) == "OK"  # the current ones
        assert rpc(port, "APIerSv1.GetStorDBVersions", "")["CDRs"] == 2
        assert rpc(port, "APIerSv1.SetStorDBVersions", {"Versions": {}, "Overwrite": True}) == (
            "OK"
        )
        with pytest.raises(RpcError, match=r"^NOT_FOUND$"):
            rpc(port, "APIerSv1.GetStorDBVersions", "")
