"""The engine assembled in-process: stores survive a restart, rpc_conns reach a peer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tollgate.core.config import load_config
from tollgate.engine.app import Engine

LOOPBACK_ONLY: dict[str, Any] = {
    "listen": {
        "rpc_json": "127.0.0.1:0",
        "rpc_gob": "",
        "http": "127.0.0.1:0",
        "rpc_json_tls": "",
        "rpc_gob_tls": "",
        "http_tls": "",
    },
}


def make_engine(data_dir: Path, extra: dict[str, Any] | None = None) -> Engine:
    cfg = load_config(None).merged({**LOOPBACK_ONLY, **(extra or {})})
    return Engine(cfg, data_dir=data_dir)


async def test_datadb_writes_survive_an_engine_restart(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    await engine.start()
    assert engine.datadb.db is not None
    await engine.datadb.db.set("*accounts", "cgrates.org:1001", b"balance-1")
    await engine.stop()

    again = make_engine(tmp_path)
    await again.start()
    try:
        assert again.datadb.db is not None
        assert await again.datadb.db.get("*accounts", "cgrates.org:1001") == b"balance-1"
        assert again.stordb.db is not None
        await again.stordb.db.ping()
    finally:
        await again.stop()


async def test_rpc_conns_reach_a_peer_engine_and_internal_calls_this_one(tmp_path: Path) -> None:
    peer = make_engine(tmp_path / "peer", {"general": {"node_id": "peer-node"}})
    await peer.start()
    try:
        peer_address = peer.listener("rpc_json")
        local = make_engine(
            tmp_path / "local",
            {
                "general": {"node_id": "local-node"},
                "rpc_conns": {"peer": {"conns": [{"address": peer_address}]}},
            },
        )
        await local.start()
        try:
            status = await local.conns.call(["peer"], "CoreSv1.Status", {})
            assert status["NodeID"] == "peer-node"
            own = await local.conns.call(["*internal"], "CoreSv1.Status", {})
            assert own["NodeID"] == "local-node"
        finally:
            await local.stop()
    finally:
        await peer.stop()


async def test_a_config_reload_changes_the_request_limiter(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    await engine.start()
    try:
        assert not engine.limiter.enabled
        await engine.apply_config(
            {"general": {"concurrent_requests": 4, "concurrent_strategy": "*queue"}}
        )
        assert engine.limiter.limit == 4
        assert engine.limiter.queues
    finally:
        await engine.stop()


def test_data_folder_comes_from_the_flag_then_the_config_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(None).merged({"general": {"data_dir": str(tmp_path / "from-config")}})
    assert Engine(cfg, data_dir=tmp_path / "flag").data_dir == tmp_path / "flag"
    assert Engine(cfg).data_dir == tmp_path / "from-config"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Engine(load_config(None)).data_dir == tmp_path / "xdg" / "tollgate"
