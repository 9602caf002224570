"""SessionS high availability with real engines: node A replicates its sessions to node B
(``replication_conns``) as passive sessions; A dies, B's ActivateSessions takes them over
and charging continues without double debits. The accounts live on a third engine (RALs
and ChargerS over ``rpc_conns``), as two SessionS nodes share their RALs in a real setup."""

from __future__ import annotations

import time
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
RALS: dict[str, Any] = {
    "general": {"default_timezone": "UTC"},
    "rals": {"enabled": True},
    "schedulers": {"enabled": True},
    "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
}


def _node(rals_port: int, peer_port: int | None) -> dict[str, Any]:
    conns: dict[str, Any] = {
        "rals": {"conns": [{"address": f"127.0.0.1:{rals_port}", "transport": "*json"}]}
    }
    sessions: dict[str, Any] = {
        "enabled": True,
        "rals_conns": ["rals"],
        "chargers_conns": ["rals"],
        "debit_interval": "1s",
    }
    if peer_port is not None:
        conns["peer"] = {"conns": [{"address": f"127.0.0.1:{peer_port}", "transport": "*json"}]}
        sessions["replication_conns"] = ["peer"]
    return {"general": {"default_timezone": "UTC"}, "rpc_conns": conns, "sessions": sessions}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[EngineProcess, EngineProcess, EngineProcess]]:
    rals = EngineProcess.prepare(tmp_path / "rals", RALS).start()
    node_b = EngineProcess.prepare(tmp_path / "b", _node(rals.ports["rpc_json"], None))
    node_a = EngineProcess.prepare(
        tmp_path / "a", _node(rals.ports["rpc_json"], node_b.ports["rpc_json"])
    )
    try:
        node_b.start()
        node_a.start()
        port = rals.ports["rpc_json"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        for _ in range(200):  # the tutorial's *asap plan tops 1001 up to 10
            try:
                if _money(rals) == 10:
                    break
            except RpcError:
                pass
            time.sleep(0.05)
        yield rals, node_a, node_b
    finally:
        node_a.kill()
        assert node_b.stop() == 0, node_b.log()
        assert rals.stop() == 0, rals.log()
    assert "Traceback" not in node_b.log() + rals.log()


def _money(rals: EngineProcess) -> float:
    acc = rpc(rals.ports["rpc_json"], "APIerSv2.GetAccount", {"Tenant": T, "Account": "1001"})
    return round(sum(b["Value"] for b in (acc["BalanceMap"] or {}).get("*monetary") or ()), 6)


EVENT = {
    "ToR": "*voice", "OriginID": "ha-1", "OriginHost": "10.0.0.1", "RequestType": "*prepaid",
    "Account": "1001", "Subject": "1001", "Destination": "1003",
    "SetupTime": "2024-01-08T10:00:00Z", "AnswerTime": "2024-01-08T10:00:00Z",
}  # fmt: skip


def test_the_peer_takes_over_a_dead_nodes_sessions(
    cluster: tuple[EngineProcess, EngineProcess, EngineProcess],
) -> None:
    rals, node_a, node_b = cluster
    a, b = node_a.ports["rpc_json"], node_b.ports["rpc_json"]
    reply = rpc(a, "SessionSv1.InitiateSession", {"InitSession": True, "Event": EVENT})
    assert reply["MaxUsage"] == 3 * 3600 * 10**9
    passive: list[Any] = []
    for _ in range(200):  # A debits a second in advance, every second, and replicates
        spent = round(10 - _money(rals), 6)
        default_run = ["*string:~*req.RunID:*default"]
        try:
            passive = rpc(b, "SessionSv1.GetPassiveSessions", {"Filters": default_run})
        except RpcError:
            passive = []
        if spent >= 0.03 and passive and passive[0]["Usage"] == round(spent * 100) * 10**9:
            break  # B's copy has every debit A made: the node may die now
        time.sleep(0.05)
    assert passive
    assert rpc(b, "SessionSv1.GetPassiveSessionsCount", {}) == 2
    assert rpc(b, "SessionSv1.GetActiveSessionsCount", {}) == 0
    node_a.kill()  # the node dies; its switch moves to B
    before = _money(rals)

    assert rpc(b, "SessionSv1.ActivateSessions", {}) == "OK"
    assert rpc(b, "SessionSv1.GetActiveSessionsCount", {}) == 2
    assert rpc(b, "SessionSv1.GetPassiveSessionsCount", {}) == 0
    time.sleep(1.5)
    after = _money(rals)
    assert before - 0.03 < after < before  # B goes on at one second a second
    end = {**EVENT, "Usage": "5s"}
    assert rpc(b, "SessionSv1.TerminateSession", {"TerminateSession": True, "Event": end}) == "OK"
    assert _money(rals) == pytest.approx(9.95)  # exactly 5 seconds in all
    assert rpc(b, "SessionSv1.GetActiveSessionsCount", {}) == 0


def test_ended_sessions_leave_the_peer_and_deactivation(
    cluster: tuple[EngineProcess, EngineProcess, EngineProcess],
) -> None:
    rals, node_a, node_b = cluster
    a, b = node_a.ports["rpc_json"], node_b.ports["rpc_json"]
    event = {**EVENT, "OriginID": "ha-2", "CGRDebitInterval": "0s", "Usage": "10s"}
    assert rpc(a, "SessionSv1.InitiateSession", {"InitSession": True, "Event": event})
    assert rpc(b, "SessionSv1.GetPassiveSessionsCount", {}) == 2
    terminate = {"TerminateSession": True, "Event": {**event, "Usage": "4s"}}
    assert rpc(a, "SessionSv1.TerminateSession", terminate) == "OK"
    assert rpc(b, "SessionSv1.GetPassiveSessionsCount", {}) == 0
    assert _money(rals) == pytest.approx(9.96)
    # a node going into maintenance hands its sessions over by hand
    event = {**event, "OriginID": "ha-3"}
    assert rpc(a, "SessionSv1.InitiateSession", {"InitSession": True, "Event": event})
    assert rpc(a, "SessionSv1.DeactivateSessions", {}) == "OK"
    assert rpc(a, "SessionSv1.GetPassiveSessionsCount", {}) == 2
    assert rpc(a, "SessionSv1.GetActiveSessionsCount", {}) == 0
    with pytest.raises(RpcError, match="PARTIALLY_EXECUTED"):
        rpc(a, "SessionSv1.ActivateSessions", {"IDs": ["nope"]})
    with pytest.raises(RpcError, match="MANDATORY_IE_MISSING: \\[CGRID\\]"):
        rpc(b, "SessionSv1.SetPassiveSession", {"Tenant": T})
