"""OpenSIPS' ``cgrates`` module against a real engine's BiJSON port (PROTOCOLS.md §3.7):
its messages replayed byte for byte (json-c spaced style, ``\\/`` escapes, no newline
between messages, one connection per worker and several workers calling at once), and the
replies it needs checked byte for byte; CDRs are on, so ProcessCDR stores the call."""

from __future__ import annotations

import asyncio
import time
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
    "cdrs": {"enabled": True, "chargers_conns": ["*internal"], "rals_conns": ["*internal"]},
    "sessions": {
        "enabled": True,
        "chargers_conns": ["*internal"],
        "rals_conns": ["*internal"],
        "cdrs_conns": ["*internal"],
        "debit_interval": "10s",
        "alterable_fields": ["DisconnectCause"],
    },
}

AUTH = (
    b'{ "method": "SessionSv1.AuthorizeEventWithDigest", "id": 1638400123, "params": [ { '
    b'"Tenant": "cgrates.org", "Event": { "OriginHost": "127.0.0.1", "RequestType": '
    b'"*prepaid", "OriginID": "a84b4c76e66710@pc33", "Account": "1001", "SetupTime": '
    b'"1700000000", "Destination": "1002" }, "GetMaxUsage": true } ] }'
)
INITIATE = (
    b'{ "method": "SessionSv1.InitiateSession", "id": 1638465659, "params": [ { "Tenant": '
    b'"cgrates.org", "Event": { "OriginHost": "127.0.0.1", "RequestType": "*prepaid", '
    b'"OriginID": "a84b4c76e66710@pc33", "DialogID": 1183, "DialogEntry": 2395, "Account": '
    b'"1001", "SetupTime": "1700000000", "AnswerTime": "1700000004", "Destination": "1002" '
    b'}, "InitSession": true } ] }'
)
TERMINATE = (
    b'{ "method": "SessionSv1.TerminateSession", "id": 1638531195, "params": [ { "Tenant": '
    b'"cgrates.org", "Event": { "OriginHost": "127.0.0.1", "RequestType": "*prepaid", '
    b'"OriginID": "a84b4c76e66710@pc33", "Account": "1001", "SetupTime": "1700000000", '
    b'"AnswerTime": "1700000004", "Usage": "35s" }, "TerminateSession": true } ] }'
)
PROCESS_CDR = (
    b'{ "method": "SessionSv1.ProcessCDR", "id": 1638596731, "params": [ { "Tenant": '
    b'"cgrates.org", "Event": { "OriginHost": "127.0.0.1", "RequestType": "*prepaid", '
    b'"OriginID": "a84b4c76e66710@pc33", "Account": "1001", "Destination": "1002", '
    b'"Usage": "35s", "AnswerTime": "1700000004", "SetupTime": "1700000000", '
    b'"DisconnectCause": "Upstream BYE" } } ] }'
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine", CONFIG).start()
    try:
        port = proc.ports["rpc_json"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        _wait_account(port, "1001")
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()
    assert "Traceback" not in proc.log()


def _wait_account(port: int, account: str) -> None:
    for _ in range(200):  # the tutorial's *asap plan tops it up to 10
        try:
            acc = rpc(port, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
            if acc["BalanceMap"]:
                return
        except RpcError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"account {account} never loaded")


def _money(proc: EngineProcess, account: str) -> float:
    acc = rpc(proc.ports["rpc_json"], "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    return round(sum(b["Value"] for b in (acc["BalanceMap"] or {}).get("*monetary") or ()), 6)


def _set_money(proc: EngineProcess, account: str, value: float) -> None:
    reply = rpc(
        proc.ports["rpc_json"],
        "APIerSv2.SetBalance",
        {"Tenant": T, "Account": account, "BalanceType": "*monetary", "Value": value,
         "Balance": {"ID": "test"}},
    )  # fmt: skip
    assert reply == "OK"


async def _call_rpc(proc: EngineProcess, method: str, params: Any) -> Any:
    return await asyncio.to_thread(rpc, proc.ports["rpc_json"], method, params)


async def test_prepaid_call_replayed_byte_for_byte(engine: EngineProcess) -> None:
    _set_money(engine, "1001", 100)
    peer = await BiJsonPeer.connect(engine.ports["bijson"])
    idle = await BiJsonPeer.connect(engine.ports["bijson"])  # another worker's connection
    try:
        await peer.send_raw(AUTH)
        await peer.reply()
        assert peer.raw[-1] == (
            b'{"id":1638400123,"result":{"AttributesDigest":null,"ResourceAllocation":null,'
            b'"MaxUsage":10800,"SuppliersDigest":null,"Thresholds":null,"StatQueues":null},'
            b'"error":null}'
        )
        await peer.send_raw(INITIATE)
        await peer.reply()
        assert peer.raw[-1] == (
            b'{"id":1638465659,"result":{"Attributes":null,"ResourceAllocation":null,'
            b'"MaxUsage":10800000000000,"ThresholdIDs":null,"StatQueueIDs":null},'
            b'"error":null}'
        )
        count = await _call_rpc(engine, "SessionSv1.GetActiveSessionsCount", {})
        assert count == 2  # the *default and *raw runs of the tutorial's chargers
        # the debit loop charged the first interval in advance: a 60s increment (0.6)
        for _ in range(50):
            if _money(engine, "1001") < 100:
                break
            await asyncio.sleep(0.05)
        assert _money(engine, "1001") == pytest.approx(99.4)
        await peer.send_raw(TERMINATE)
        await peer.reply()
        assert peer.raw[-1] == b'{"id":1638531195,"result":"OK","error":null}'
        assert await _call_rpc(engine, "SessionSv1.GetActiveSessionsCount", {}) == 0
        assert _money(engine, "1001") == pytest.approx(99.4)  # 35s fit in the 60s increment
        await peer.send_raw(PROCESS_CDR)
        await peer.reply()
        assert peer.raw[-1] == b'{"id":1638596731,"result":"OK","error":null}'
        cdrs = await _call_rpc(engine, "CDRsV1.GetCDRs", {})
        default = {c["RunID"]: c for c in cdrs}["*default"]
        assert (default["OriginID"], default["Usage"], default["Cost"]) == (
            "a84b4c76e66710@pc33", 35 * 10**9, 0.6
        )  # fmt: skip
        # DisconnectCause came with the CDR event only: alterable_fields puts it in the runs
        assert default["ExtraFields"] == {
            "DialogEntry": "2395", "DialogID": "1183", "DisconnectCause": "Upstream BYE"
        }  # fmt: skip
        assert _money(engine, "1001") == pytest.approx(99.4)  # charged once, by SessionS
        assert peer.requests == []
        assert idle.requests == []
        assert idle.raw == []
    finally:
        await peer.close()
        await idle.close()


async def test_several_workers_at_once(engine: EngineProcess) -> None:
    """Each OpenSIPS worker has its own connection; they call at the same time."""
    _set_money(engine, "1001", 100)
    workers = 6

    def mine(message: bytes, n: int) -> bytes:
        return message.replace(b"a84b4c76e66710@pc33", b"w%d@pc33" % n).replace(
            b'"id": 1638', b'"id": %d' % (2000 + n)
        )

    async def worker(n: int) -> list[bytes]:
        peer = await BiJsonPeer.connect(engine.ports["bijson"])
        try:
            for message in (AUTH, INITIATE, TERMINATE, PROCESS_CDR):
                await peer.send_raw(mine(message, n))
                await peer.reply()
            assert peer.requests == []
            return peer.raw
        finally:
            await peer.close()

    replies = await asyncio.gather(*(worker(n) for n in range(workers)))
    for n, raw in enumerate(replies):
        assert raw == [
            b'{"id":%d400123,"result":{"AttributesDigest":null,"ResourceAllocation":null,'
            b'"MaxUsage":10800,"SuppliersDigest":null,"Thresholds":null,"StatQueues":null},'
            b'"error":null}' % (2000 + n),
            b'{"id":%d465659,"result":{"Attributes":null,"ResourceAllocation":null,'
            b'"MaxUsage":10800000000000,"ThresholdIDs":null,"StatQueueIDs":null},'
            b'"error":null}' % (2000 + n),
            b'{"id":%d531195,"result":"OK","error":null}' % (2000 + n),
            b'{"id":%d596731,"result":"OK","error":null}' % (2000 + n),
        ]
    cdrs = await _call_rpc(engine, "CDRsV1.GetCDRs", {})
    defaults = sorted(c["OriginID"] for c in cdrs if c["RunID"] == "*default")
    assert defaults == sorted(f"w{n}@pc33" for n in range(workers))
    assert {c["Cost"] for c in cdrs if c["RunID"] == "*default"} == {0.6}
    assert _money(engine, "1001") == pytest.approx(100 - 0.6 * workers)
    assert await _call_rpc(engine, "SessionSv1.GetActiveSessionsCount", {}) == 0


async def test_messages_back_to_back_and_split_across_writes(engine: EngineProcess) -> None:
    _set_money(engine, "1001", 100)
    peer = await BiJsonPeer.connect(engine.ports["bijson"])
    try:
        # json-c writes objects back to back; a read may end anywhere inside one
        await peer.send_raw(AUTH + AUTH[:40])
        await asyncio.sleep(0.05)
        await peer.send_raw(AUTH[40:])
        first, second = await peer.reply(), await peer.reply()
        assert first == second
        assert first["result"]["MaxUsage"] == 10800
    finally:
        await peer.close()


async def test_insufficient_credit_disconnects_on_the_calls_connection(
    engine: EngineProcess,
) -> None:
    _set_money(engine, "1001", 0.03)  # 3 seconds to 1003 (0.01/s)
    disconnects: list[Any] = []

    def on_disconnect(params: Any) -> str:
        disconnects.append(params)
        return "OK"

    other = await BiJsonPeer.connect(
        engine.ports["bijson"], {"SessionSv1.DisconnectSession": on_disconnect}
    )
    peer = await BiJsonPeer.connect(
        engine.ports["bijson"], {"SessionSv1.DisconnectSession": on_disconnect}
    )
    try:
        event = {
            "OriginHost": "127.0.0.1", "RequestType": "*prepaid", "OriginID": "dsc@pc33",
            "DialogID": 1183, "DialogEntry": 2395, "Account": "1001",
            "SetupTime": "1700000000", "AnswerTime": "1700000004", "Destination": "1003",
            "CGRDebitInterval": "1s",
        }  # fmt: skip
        reply = await peer.call(
            "SessionSv1.InitiateSession", {"Tenant": T, "Event": event, "InitSession": True}
        )
        assert reply["result"]["MaxUsage"] == 10800000000000
        request = await peer.wait_request("SessionSv1.DisconnectSession", timeout=10)
        assert other.requests == []
        raw = next(r for r in peer.raw if b"DisconnectSession" in r)
        # DialogID/DialogEntry go back as JSON integers, the keys sorted as Go writes a map
        assert b'"DialogEntry":2395,"DialogID":1183' in raw
        params = request["params"][0]
        assert params["Reason"] == "INSUFFICIENT_CREDIT"
        start = params["EventStart"]
        assert start["OriginID"] == "dsc@pc33"
        assert start["CGRID"] == "7aeef22c2513fc2e7f92f3de09ee8e5f41bcfe14"
        assert start["Usage"] == 3_000_000_000  # what was debited, in int nanoseconds
        assert isinstance(request["id"], int)
        assert _money(engine, "1001") == pytest.approx(0)
        # OpenSIPS hangs up and reports the call's end
        end = {k: v for k, v in event.items() if k not in ("DialogID", "DialogEntry")}
        reply = await peer.call(
            "SessionSv1.TerminateSession",
            {"Tenant": T, "Event": {**end, "Usage": "3s"}, "TerminateSession": True},
        )
        assert reply["result"] == "OK"
        assert _money(engine, "1001") == pytest.approx(0)
        assert len(disconnects) == 1
    finally:
        await peer.close()
        await other.close()


async def test_compat_mode_smgeneric_over_bijson(engine: EngineProcess) -> None:
    _set_money(engine, "1001", 100)
    peer = await BiJsonPeer.connect(engine.ports["bijson"])
    try:
        event = {
            "Tenant": "cgrates.org", "RequestType": "*prepaid", "OriginID": "compat@pc33",
            "Account": "1001", "SetupTime": "1700000000", "Destination": "1002",
        }  # fmt: skip
        await peer.call("SMGenericV1.GetMaxUsage", event)
        assert peer.raw[-1].endswith(b'"result":10800,"error":null}')
        await peer.call("SMGenericV1.InitiateSession", {**event, "AnswerTime": "1700000004"})
        assert peer.raw[-1].endswith(b'"result":10800,"error":null}')
        await peer.call("SMGenericV1.UpdateSession", {**event, "Usage": "30s"})
        assert peer.raw[-1].endswith(b'"result":30,"error":null}')
        reply = await peer.call("SMGenericV1.TerminateSession", {**event, "Usage": "35s"})
        assert reply["result"] == "OK"
        await peer.call("SMGenericV1.ProcessCDR", {**event, "Usage": "35s"})
        assert peer.raw[-1].endswith(b'"result":"OK","error":null}')
        cdrs = await _call_rpc(engine, "CDRsV1.GetCDRs", {})
        default = {c["RunID"]: c for c in cdrs}["*default"]
        assert (default["OriginID"], default["Usage"], default["Cost"]) == (
            "compat@pc33", 35 * 10**9, 0.6
        )  # fmt: skip
    finally:
        await peer.close()


async def test_digest_max_usage_is_float_seconds(engine: EngineProcess) -> None:
    peer = await BiJsonPeer.connect(engine.ports["bijson"])
    event = {"Account": "1001", "Destination": "1002", "RequestType": "*postpaid",
             "OriginID": "d1", "SetupTime": "1700000000", "Usage": "1500ms"}  # fmt: skip
    try:
        await peer.call(
            "SessionSv1.AuthorizeEventWithDigest",
            {"Tenant": T, "GetMaxUsage": True, "Event": event},
        )
        assert b'"MaxUsage":1.5,' in peer.raw[-1]
        await peer.call(
            "SessionSv1.AuthorizeEvent", {"Tenant": T, "GetMaxUsage": True, "Event": event}
        )
        assert b'"MaxUsage":1500000000,' in peer.raw[-1]
        # not even the connect fee (0.4) left: OpenSIPS answers 403 on MaxUsage 0
        _set_money(engine, "1001", 0.0001)
        await peer.call(
            "SessionSv1.AuthorizeEventWithDigest",
            {"Tenant": T, "GetMaxUsage": True, "Event": {**event, "RequestType": "*prepaid"}},
        )
        assert b'"MaxUsage":0,' in peer.raw[-1]
    finally:
        await peer.close()
