"""SessionS against a real engine with the tutorial tariff plan: the tutorial's calls (1001
prepaid to 1002 over BiJSON with a 5s debit interval and its CDR stored, 1001 to 1003
disconnected at the max cost, 1002 postpaid going negative), prepaid calls refunded at
hangup, credit running out mid-call, 200 prepaid sessions at once on one account, session
TTL, ProcessEvent *cost, v0.10's errors."""

from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bijson_peer import BiJsonPeer

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
CONFIG: dict[str, Any] = {
    "general": {"default_timezone": "UTC"},
    "rals": {"enabled": True},
    "schedulers": {"enabled": True},
    "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
    "sessions": {
        "enabled": True,
        "chargers_conns": ["*internal"],
        "rals_conns": ["*internal"],
        "debit_interval": "1s",
    },
}
ANSWER = "2024-01-08T10:00:00Z"  # a Monday


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine", CONFIG).start()
    try:
        port = proc.ports["rpc_json"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        _wait_topups(proc)
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()
    assert "Traceback" not in proc.log()


def _wait_topups(proc: EngineProcess) -> None:
    """Until the tutorial's *asap plans gave 1001, 1002 and 1003 their 10 units."""
    for _ in range(200):
        try:
            if all(_money(proc, a) == 10 for a in ("1001", "1002", "1003")):
                return
        except RpcError:
            pass
        time.sleep(0.05)
    raise AssertionError("the tutorial accounts were not topped up")


def _call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=30)


def _error(proc: EngineProcess, method: str, params: Any) -> str:
    with pytest.raises(RpcError) as info:
        _call(proc, method, params)
    return str(info.value)


def _money(proc: EngineProcess, account: str) -> float:
    acc = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    return round(sum(b["Value"] for b in (acc["BalanceMap"] or {}).get("*monetary") or ()), 6)


def _set_money(proc: EngineProcess, account: str, value: float) -> None:
    params = {"Tenant": T, "Account": account, "BalanceType": "*monetary", "Value": value,
              "Balance": {"ID": "test"}}  # fmt: skip
    assert _call(proc, "APIerSv2.SetBalance", params) == "OK"


def _event(origin_id: str, dest: str = "1003", **extra: Any) -> dict[str, Any]:
    return {
        "ToR": "*voice", "OriginID": origin_id, "OriginHost": "10.0.0.1",
        "RequestType": "*prepaid", "Account": "1001", "Subject": "1001", "Destination": dest,
        "SetupTime": ANSWER, "AnswerTime": ANSWER, **extra,
    }  # fmt: skip


async def test_prepaid_call_debited_as_it_goes_and_refunded_at_hangup(
    engine: EngineProcess,
) -> None:
    peer = await BiJsonPeer.connect(engine.ports["bijson"])
    try:
        reply = await peer.call(
            "SessionSv1.InitiateSession",
            {"Tenant": T, "InitSession": True, "Event": _event("call-1")},
        )
        assert reply["error"] is None
        assert reply["result"]["MaxUsage"] == 3 * 3600 * 10**9  # debit loops: default usage
        for _ in range(100):  # the loop debits 0s-1s at once, 1s-2s a second later
            during = await asyncio.to_thread(_money, engine, "1001")
            if during <= 9.98:
                break
            await asyncio.sleep(0.05)
        assert 9.95 <= during <= 9.98  # 0.01 a second, debited in advance
        active = await asyncio.to_thread(
            _call,
            engine,
            "SessionSv1.GetActiveSessions",
            {"Filters": ["*string:~*req.RunID:*default"]},
        )
        assert len(active) == 1
        assert active[0]["Usage"] >= 2 * 10**9
        assert active[0]["DebitInterval"] == 10**9
        reply = await peer.call(
            "SessionSv1.TerminateSession",
            {"Tenant": T, "TerminateSession": True, "Event": _event("call-1", Usage="1s")},
        )
        assert reply == {"id": reply["id"], "result": "OK", "error": None}
        # one second used: what was debited beyond it comes back
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(9.99)
        count = await asyncio.to_thread(_call, engine, "SessionSv1.GetActiveSessionsCount", {})
        assert count == 0
        assert peer.requests == []
    finally:
        await peer.close()


async def test_credit_running_out_disconnects_the_call(engine: EngineProcess) -> None:
    await asyncio.to_thread(_set_money, engine, "1001", 0.025)
    hangups: list[Any] = []
    peer = await BiJsonPeer.connect(
        engine.ports["bijson"], {"SessionSv1.DisconnectSession": hangups.append}
    )
    try:
        await peer.call(
            "SessionSv1.InitiateSession",
            {"Tenant": T, "InitSession": True, "Event": _event("call-2")},
        )
        request = await peer.wait_request("SessionSv1.DisconnectSession", timeout=10)
        params = request["params"][0]
        assert params["Reason"] == "INSUFFICIENT_CREDIT"
        assert params["EventStart"]["Usage"] == 2 * 10**9  # 0.025 pays two whole seconds
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(0.005)
        await peer.call(
            "SessionSv1.TerminateSession",
            {"Tenant": T, "TerminateSession": True, "Event": _event("call-2", Usage="2s")},
        )
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(0.005)
    finally:
        await peer.close()


def test_max_cost_caps_the_usage(engine: EngineProcess) -> None:
    # DR_1003_MAXCOST_DISC: 0.01/s up to a cost of 0.12, *disconnect
    params = {"Tenant": T, "InitSession": True,
              "Event": _event("call-3", Usage="60s", CGRDebitInterval="0s")}  # fmt: skip
    assert _call(engine, "SessionSv1.InitiateSession", params)["MaxUsage"] == 12 * 10**9
    assert _money(engine, "1001") == pytest.approx(9.88)
    auth = {"Tenant": T, "GetMaxUsage": True, "Event": _event("call-4", Usage="60s")}
    assert _call(engine, "SessionSv1.AuthorizeEvent", auth)["MaxUsage"] == 12 * 10**9


def test_two_hundred_prepaid_sessions_on_a_balance_for_fifty(engine: EngineProcess) -> None:
    _set_money(engine, "1001", 0.5)  # fifty seconds to 1003

    def initiate(n: int) -> int:
        params = {"Tenant": T, "InitSession": True,
                  "Event": _event(f"conc-{n}", Usage="1s", CGRDebitInterval="0s")}  # fmt: skip
        return int(_call(engine, "SessionSv1.InitiateSession", params)["MaxUsage"])

    async def run() -> list[int]:
        return list(await asyncio.gather(*(asyncio.to_thread(initiate, n) for n in range(200))))

    granted = asyncio.run(run())
    assert sorted(granted) == [0] * 150 + [10**9] * 50
    assert _money(engine, "1001") == pytest.approx(0)
    assert _call(engine, "SessionSv1.GetActiveSessionsCount", {}) == 400  # two runs each

    def terminate(n: int) -> str:
        params = {"Tenant": T, "TerminateSession": True,
                  "Event": _event(f"conc-{n}", Usage="1s")}  # fmt: skip
        return str(_call(engine, "SessionSv1.TerminateSession", params))

    async def end() -> list[str]:
        return list(await asyncio.gather(*(asyncio.to_thread(terminate, n) for n in range(200))))

    assert asyncio.run(end()) == ["OK"] * 200
    assert _money(engine, "1001") == pytest.approx(0)
    assert _call(engine, "SessionSv1.GetActiveSessionsCount", {}) == 0


async def test_two_hundred_debit_loops_never_overspend(engine: EngineProcess) -> None:
    await asyncio.to_thread(_set_money, engine, "1001", 0.5)
    hangups: list[dict[str, Any]] = []
    peers = [
        await BiJsonPeer.connect(
            engine.ports["bijson"], {"SessionSv1.DisconnectSession": hangups.append}
        )
        for _ in range(4)
    ]
    try:

        async def start(peer: BiJsonPeer, n: int) -> None:
            for i in range(n, n + 50):
                reply = await peer.call(
                    "SessionSv1.InitiateSession",
                    {"Tenant": T, "InitSession": True, "Event": _event(f"loop-{i}")},
                )
                assert reply["error"] is None

        await asyncio.gather(*(start(p, k * 50) for k, p in enumerate(peers)))
        for _ in range(600):  # every session is told to hang up once the money is gone
            if len(hangups) == 200:
                break
            await asyncio.sleep(0.05)
            assert await asyncio.to_thread(_money, engine, "1001") >= 0
        assert len(hangups) == 200
        assert {h["Reason"] for h in hangups} == {"INSUFFICIENT_CREDIT"}
        assert sum(h["EventStart"]["Usage"] for h in hangups) == 50 * 10**9
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(0)
        for hangup in hangups:
            start_event = hangup["EventStart"]
            params = {"Tenant": T, "TerminateSession": True,
                      "Event": {**start_event, "Usage": start_event["Usage"]}}  # fmt: skip
            assert (
                await asyncio.to_thread(_call, engine, "SessionSv1.TerminateSession", params)
                == "OK"
            )
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(0)
    finally:
        for peer in peers:
            await peer.close()


def test_session_ttl_ends_a_forgotten_session(engine: EngineProcess) -> None:
    event = _event("ttl-1", Usage="2s", CGRDebitInterval="0s", SessionTTL="300ms",
                   SessionTTLUsage="5s")  # fmt: skip
    assert _call(engine, "SessionSv1.InitiateSession", {"InitSession": True, "Event": event})
    assert _money(engine, "1001") == pytest.approx(9.98)
    time.sleep(1.0)
    assert _call(engine, "SessionSv1.GetActiveSessionsCount", {}) == 0
    # ended at SessionTTLUsage: 5 seconds charged in all
    assert _money(engine, "1001") == pytest.approx(9.95)


def test_errors_as_v0_10_answers_them(engine: EngineProcess) -> None:
    event = _event("err-1")
    assert _error(engine, "SessionSv1.AuthorizeEvent", {"Event": event}) == (
        "MANDATORY_IE_MISSING: [subsystems]"
    )
    assert _error(engine, "SessionSv1.InitiateSession", {"InitSession": True}) == (
        "MANDATORY_IE_MISSING: [Event]"
    )
    assert _error(
        engine, "SessionSv1.AuthorizeEvent", {"GetMaxUsage": True, "AuthorizeResources": True,
                                              "Event": event}
    ) == "NOT_CONNECTED: ResourceS"  # fmt: skip
    assert _error(engine, "SessionSv1.AuthorizeEvent", {"GetSuppliers": True, "Event": event}) == (
        "NOT_CONNECTED: SupplierS"
    )
    assert _error(
        engine, "SessionSv1.AuthorizeEvent", {"GetMaxUsage": True, "ProcessThresholds": True,
                                              "Event": event}
    ) == "PARTIALLY_EXECUTED"  # fmt: skip
    assert _error(
        engine, "SessionSv1.AuthorizeEvent",
        {"GetMaxUsage": True, "Event": {**event, "Account": "nobody", "Subject": "1001"}},
    ) == "RALS_ERROR:ACCOUNT_NOT_FOUND"  # fmt: skip
    assert _error(engine, "SessionSv1.TerminateSession",
                  {"TerminateSession": True, "Event": {"Account": "1001"}}) == (
        "MANDATORY_IE_MISSING: [OriginID]"
    )  # fmt: skip
    assert _error(engine, "SessionSv1.ProcessCDR", {"Event": event}) == (
        "MANDATORY_IE_MISSING: [connIDs]"
    )
    assert _error(engine, "SessionSv1.ProcessEvent", {"Flags": ["*rals:*x:y"], "Event": event}) == (
        "UNSUPPORTED_FORMAT"
    )
    assert _error(engine, "SessionSv1.GetActiveSessions", {}) == "NOT_FOUND"
    assert _error(engine, "SessionSv1.ForceDisconnect", {}) == "NOT_FOUND"
    init = {"InitSession": True, "Event": {**event, "CGRDebitInterval": "0s", "Usage": "1s"}}
    _call(engine, "SessionSv1.InitiateSession", init)
    assert _error(engine, "SessionSv1.InitiateSession", init) == "EXISTS"


def test_force_disconnect_and_process_event(engine: EngineProcess) -> None:
    event = _event("pe-1", Usage="10s", CGRDebitInterval="0s")
    reply = _call(engine, "SessionSv1.ProcessEvent", {"Flags": ["*rals:*initiate"], "Event": event})
    assert reply["MaxUsage"] == 10 * 10**9
    assert _money(engine, "1001") == pytest.approx(9.9)
    assert _call(engine, "SessionSv1.ForceDisconnect",
                 {"Filters": ["*string:~*req.OriginID:pe-1"]}) == "OK"  # fmt: skip
    assert _call(engine, "SessionSv1.GetActiveSessionsCount", {}) == 0
    assert _money(engine, "1001") == pytest.approx(9.9)  # ended as it was charged
    reply = _call(
        engine,
        "SessionSv1.ProcessEvent",
        {"Flags": ["*rals:*authorize"], "Event": _event("pe-2", Usage="30s")},
    )
    assert reply["MaxUsage"] == 12 * 10**9  # fmt: skip
    message = {"Debit": True, "Event": _event("msg-1", Usage="5s")}
    assert _call(engine, "SessionSv1.ProcessMessage", message)["MaxUsage"] == 5 * 10**9
    assert _money(engine, "1001") == pytest.approx(9.85)
    assert _call(engine, "SessionSv1.GetActiveSessionsCount", {}) == 0


def test_bad_input_gets_clear_errors(engine: EngineProcess) -> None:
    methods = [
        "SessionSv1.AuthorizeEvent", "SessionSv1.AuthorizeEventWithDigest",
        "SessionSv1.InitiateSession", "SessionSv1.InitiateSessionWithDigest",
        "SessionSv1.UpdateSession", "SessionSv1.TerminateSession", "SessionSv1.ProcessMessage",
        "SessionSv1.ProcessEvent", "SessionSv1.ProcessCDR", "SessionSv1.GetActiveSessions",
        "SessionSv1.GetActiveSessionsCount", "SessionSv1.ForceDisconnect",
        "SMGenericV1.GetMaxUsage", "SMGenericV1.InitiateSession", "SMGenericV1.UpdateSession",
        "SMGenericV1.TerminateSession", "SMGenericV1.ProcessCDR",
    ]  # fmt: skip
    values: list[Any] = ["", "abc", -1, 0, None, [], {}, "1s", "*now", "2024-13-45", 1e30, True]
    fields = ["Usage", "LastUsed", "AnswerTime", "SetupTime", "OriginID", "RequestType",
              "CGRDebitInterval", "SessionTTL", "Account", "Destination", "ToR"]  # fmt: skip
    flags = ["GetMaxUsage", "InitSession", "UpdateSession", "TerminateSession", "Debit",
             "GetAttributes", "Filters", "Flags", "Limit"]  # fmt: skip
    rnd = random.Random(20261122)
    leaks = []
    for method in methods:
        for _ in range(12):
            event = {f: rnd.choice(values) for f in rnd.sample(fields, 6)}
            params: Any = {f: rnd.choice([True, *values]) for f in rnd.sample(flags, 3)}
            params["Event"] = event
            if method.startswith("SMGenericV1"):
                params = event
            try:
                _call(engine, method, params)
            except RpcError as exc:
                if re.search(
                    r"Traceback|object has no attribute|NoneType|KeyError|unsupported", str(exc)
                ):
                    leaks.append(f"{method} {params}: {exc}")
    assert leaks == []
    assert _call(engine, "SessionSv1.Ping", {}) == "Pong"


@pytest.fixture
def syncing(tmp_path: Path) -> Iterator[EngineProcess]:
    config = {**CONFIG, "sessions": {**CONFIG["sessions"], "channel_sync_interval": "700ms"}}
    proc = EngineProcess.prepare(tmp_path / "sync", config).start()
    try:
        port = proc.ports["rpc_json"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        _wait_topups(proc)
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


async def test_channel_sync_ends_only_the_sessions_no_switch_knows(
    syncing: EngineProcess,
) -> None:
    def reports(origin_id: str) -> Any:
        return lambda _: [{"OriginHost": "10.0.0.1", "OriginID": origin_id}]

    forced: list[Any] = []
    alive = await BiJsonPeer.connect(
        syncing.ports["bijson"], {"SessionSv1.GetActiveSessionIDs": reports("sync-a")}
    )
    forgetful = await BiJsonPeer.connect(
        syncing.ports["bijson"],
        {"SessionSv1.GetActiveSessionIDs": lambda _: [],
         "SessionSv1.DisconnectSession": forced.append},
    )  # fmt: skip
    try:
        for peer, origin_id in ((alive, "sync-a"), (forgetful, "sync-b")):
            reply = await peer.call(
                "SessionSv1.InitiateSession",
                {
                    "InitSession": True,
                    "Event": _event(origin_id, Usage="1s", CGRDebitInterval="0s"),
                },
            )
            assert reply["error"] is None
        # a session started over 2012 has no switch that could report it
        init = {"InitSession": True, "Event": _event("sync-c", Usage="1s", CGRDebitInterval="0s")}
        await asyncio.to_thread(_call, syncing, "SessionSv1.InitiateSession", init)
        await asyncio.sleep(2.0)  # two sync rounds
        runs = await asyncio.to_thread(_call, syncing, "SessionSv1.GetActiveSessions", {})
        assert {r["OriginID"] for r in runs} == {"sync-a"}
        assert [f["Reason"] for f in forced] == ["FORCED_DISCONNECT"]
        assert forced[0]["EventStart"]["OriginID"] == "sync-b"
        assert len([r for r in alive.requests if "GetActiveSessionIDs" in r["method"]]) >= 2
        metrics = await asyncio.to_thread(
            urllib.request.urlopen, f"http://127.0.0.1:{syncing.ports['http']}/metrics", None, 10
        )
        assert "tollgate_active_sessions 2.0" in metrics.read().decode()
    finally:
        await alive.close()
        await forgetful.close()


@pytest.fixture
def with_cdrs(tmp_path: Path) -> Iterator[EngineProcess]:
    config = {
        **CONFIG,
        "cdrs": {"enabled": True, "chargers_conns": ["*internal"], "rals_conns": ["*internal"]},
        "sessions": {**CONFIG["sessions"], "cdrs_conns": ["*internal"],
                     "store_session_costs": True},
    }  # fmt: skip
    proc = EngineProcess.prepare(tmp_path / "cdrs", config).start()
    try:
        port = proc.ports["rpc_json"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        _wait_topups(proc)
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()
    assert "Traceback" not in proc.log()


def test_the_sessions_cdrs_carry_what_it_charged(with_cdrs: EngineProcess) -> None:
    event = _event("cdr-1", Usage="10s", CGRDebitInterval="0s")
    init = _call(with_cdrs, "SessionSv1.InitiateSession", {"InitSession": True, "Event": event})
    assert init["MaxUsage"] == 10 * 10**9
    end = {"TerminateSession": True, "Event": {**event, "Usage": "7s"}}
    assert _call(with_cdrs, "SessionSv1.TerminateSession", end) == "OK"
    assert _call(with_cdrs, "SessionSv1.ProcessCDR", {"Event": {**event, "Usage": "7s"}}) == "OK"
    cdrs = {c["RunID"]: c for c in _call(with_cdrs, "CDRsV1.GetCDRs", {})}
    default, raw = cdrs["*default"], cdrs["*raw"]
    assert (default["Cost"], default["Usage"], default["CostSource"]) == (
        0.07,
        7 * 10**9,
        "*sessions",
    )
    assert default["CostDetails"]["Usage"] == 7 * 10**9
    assert default["CostDetails"]["Cost"] == 0.07
    assert default["CostDetails"]["StartTime"] == ANSWER
    assert raw["Cost"] == -1  # the *raw run is not rated
    assert _money(with_cdrs, "1001") == pytest.approx(9.93)  # charged once, by SessionS


# -- the tutorial's calls ----------------------------------------------------------------------


async def _poll(check: Any, timeout: float = 20.0) -> Any:
    """``check()`` (run in a thread) until it returns something true, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_tutorial_1001_prepaid_calls_1002_over_bijson(with_cdrs: EngineProcess) -> None:
    # RT_20CNT: 0.4 connect fee and 0.2 for the first minute (one 60s increment)
    peer = await BiJsonPeer.connect(with_cdrs.ports["bijson"])
    event = _event("tut-1002", dest="1002", CGRDebitInterval="5s")
    try:
        reply = await peer.call(
            "SessionSv1.InitiateSession", {"Tenant": T, "InitSession": True, "Event": event}
        )
        assert reply["error"] is None
        assert reply["result"]["MaxUsage"] == 3 * 3600 * 10**9
        during = await _poll(lambda: _money(with_cdrs, "1001") < 10 and _money(with_cdrs, "1001"))
        assert during == pytest.approx(9.4)  # the first 5s debit took the first minute

        def debited() -> int:
            runs = _call(with_cdrs, "SessionSv1.GetActiveSessions",
                         {"Filters": ["*string:~*req.RunID:*default"]})  # fmt: skip
            return int(runs[0]["Usage"]) if runs[0]["Usage"] >= 10 * 10**9 else 0

        # the second debit, 5s later, comes out of that minute: no more money taken
        assert await _poll(debited) == 10 * 10**9
        assert await asyncio.to_thread(_money, with_cdrs, "1001") == pytest.approx(9.4)
        hangup = {**event, "Usage": "7s"}
        reply = await peer.call(
            "SessionSv1.TerminateSession", {"Tenant": T, "TerminateSession": True, "Event": hangup}
        )
        assert reply["result"] == "OK"
        # settled to the 7s used; the increment crossing it stays charged
        assert await asyncio.to_thread(_money, with_cdrs, "1001") == pytest.approx(9.4)
        reply = await peer.call("SessionSv1.ProcessCDR", {"Tenant": T, "Event": hangup})
        assert reply == {"id": reply["id"], "result": "OK", "error": None}
        cdrs = await asyncio.to_thread(_call, with_cdrs, "CDRsV1.GetCDRs", {})
        default = {c["RunID"]: c for c in cdrs}["*default"]
        assert (default["OriginID"], default["Destination"], default["Usage"]) == (
            "tut-1002", "1002", 7 * 10**9
        )  # fmt: skip
        assert (default["Cost"], default["CostSource"]) == (0.6, "*sessions")
        assert await asyncio.to_thread(_money, with_cdrs, "1001") == pytest.approx(9.4)
        assert peer.requests == []
    finally:
        await peer.close()


async def test_tutorial_1001_to_1003_disconnected_at_the_max_cost(engine: EngineProcess) -> None:
    # DR_1003_MAXCOST_DISC: 0.01/s up to a cost of 0.12, then *disconnect: 12 seconds
    hangups: list[Any] = []
    peer = await BiJsonPeer.connect(
        engine.ports["bijson"], {"SessionSv1.DisconnectSession": hangups.append}
    )
    event = _event("tut-1003", CGRDebitInterval="4s")
    try:
        reply = await peer.call(
            "SessionSv1.InitiateSession", {"Tenant": T, "InitSession": True, "Event": event}
        )
        assert reply["error"] is None
        request = await peer.wait_request("SessionSv1.DisconnectSession", timeout=40)
        params = request["params"][0]
        assert params["Reason"] == "INSUFFICIENT_CREDIT"
        assert params["EventStart"]["OriginID"] == "tut-1003"
        assert params["EventStart"]["Usage"] == 12 * 10**9
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(9.88)
        reply = await peer.call(
            "SessionSv1.TerminateSession",
            {"Tenant": T, "TerminateSession": True, "Event": {**event, "Usage": "12s"}},
        )
        assert reply["result"] == "OK"
        assert await asyncio.to_thread(_money, engine, "1001") == pytest.approx(9.88)
        assert len(hangups) == 1
    finally:
        await peer.close()


def test_tutorial_1002_postpaid_goes_negative_without_being_refused(
    with_cdrs: EngineProcess,
) -> None:
    _set_money(with_cdrs, "1002", 0.0001)
    event = {**_event("tut-post", dest="1001", RequestType="*postpaid", Usage="10m"),
             "Account": "1002", "Subject": "1002"}  # fmt: skip
    auth = _call(with_cdrs, "SessionSv1.AuthorizeEvent", {"GetMaxUsage": True, "Event": event})
    assert auth["MaxUsage"] == 600 * 10**9
    init = _call(with_cdrs, "SessionSv1.InitiateSession", {"InitSession": True, "Event": event})
    assert init["MaxUsage"] == 600 * 10**9
    hangup = {**event, "Usage": "20m"}
    assert _call(with_cdrs, "SessionSv1.TerminateSession",
                 {"TerminateSession": True, "Event": hangup}) == "OK"  # fmt: skip
    assert _money(with_cdrs, "1002") == pytest.approx(0.0001)  # SessionS does not debit it
    assert _call(with_cdrs, "SessionSv1.ProcessCDR", {"Event": hangup}) == "OK"
    # RT_20CNT: 0.4 + 0.2 for the first minute, then 1140 one-second increments of
    # 0.1/60, each rounded to 0.00167 (rounding_decimals 5) as v0.10 splits a span's cost
    assert _money(with_cdrs, "1002") == pytest.approx(0.0001 - 2.5038)
    cdr = {c["RunID"]: c for c in _call(with_cdrs, "CDRsV1.GetCDRs", {})}["*default"]
    assert (cdr["Cost"], cdr["Usage"], cdr["RequestType"]) == (
        2.5038, 1200 * 10**9, "*postpaid"
    )  # fmt: skip


async def test_process_event_cost_prices_the_event_without_charging(
    engine: EngineProcess,
) -> None:
    event = _event("cost-1", dest="1002", Usage="90s")
    args = {"Flags": ["*cost"], "Event": event}
    peer = await BiJsonPeer.connect(engine.ports["bijson"])
    try:
        reply = await peer.call("SessionSv1.ProcessEvent", args)
    finally:
        await peer.close()
    # 0.4 + 0.2 for the first minute, then 30 one-second increments of 0.00167 (0.1/60
    # rounded to rounding_decimals, as v0.10's EventCost adds them up)
    assert reply["result"] == {"MaxUsage": 0, "Cost": 0.6501, "ResourceAllocation": None,
                               "Attributes": None, "Suppliers": None, "ThresholdIDs": None,
                               "StatQueueIDs": None}  # fmt: skip
    assert await asyncio.to_thread(_money, engine, "1001") == 10
    count = await asyncio.to_thread(_call, engine, "SessionSv1.GetActiveSessionsCount", {})
    assert count == 0
    bad = {"Flags": ["*cost"], "Event": {**event, "Destination": "99"}}
    assert await asyncio.to_thread(_error, engine, "SessionSv1.ProcessEvent", bad) == (
        "UNAUTHORIZED_DESTINATION"
    )


async def test_client_side_method_names_answer_as_v0_10(engine: EngineProcess) -> None:
    for method in ("SessionSv1.DisconnectSession", "SessionSv1.GetActiveSessionIDs"):
        text = await asyncio.to_thread(_error, engine, method, {})
        assert text == f"rpc: can't find method {method}"
        peer = await BiJsonPeer.connect(engine.ports["bijson"])
        try:
            reply = await peer.call(method, "")
        finally:
            await peer.close()
        assert reply == {"id": reply["id"], "result": None,
                         "error": f"birpc: can't find method {method}"}  # fmt: skip
