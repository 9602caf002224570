"""CDRs against a real engine on the CGRateS tutorial: postpaid and rated calls end as stored
CDRs with their costs (one per ChargerS run), duplicates and re-rating, session costs, the
HTTP intake, the query methods over the wire, and an engine without CDRs."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
S = 1_000_000_000
TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
CONFIG = {
    "general": {"default_timezone": "UTC"},
    "schedulers": {"enabled": True},
    "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
    "rals": {"enabled": True},
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
    "cdrs": {
        "enabled": True,
        "chargers_conns": ["*internal"],
        "rals_conns": ["*internal"],
        "extra_fields": ["~*req.sip_user_agent"],
    },
}
# the tutorial's RP_1001/RP_1002 (RT_20CNT): 0.4 connect fee, 0.2 the first minute, then
# 0.1/min per second: 2m10s costs 0.7169 (conformance rating.tutorial.getcost_1001_1002_2m10s)
CALL = {
    "OriginHost": "10.0.0.1",
    "RequestType": "*postpaid",
    "Destination": "1002",
    "SetupTime": "2024-01-02T09:59:55Z",
    "AnswerTime": "2024-01-02T10:00:00Z",
    "Usage": "2m10s",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path_factory.mktemp("cdrs"), CONFIG).start()
    try:
        assert (
            call(proc, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        )
        time.sleep(0.6)  # the *asap plans top up 1001..1003 with 10
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=30)


def error(proc: EngineProcess, method: str, params: Any) -> str:
    with pytest.raises(RpcError) as info:
        call(proc, method, params)
    return str(info.value)


def balance(proc: EngineProcess, account: str) -> Decimal:
    acc = call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    return sum((Decimal(str(b["Value"])) for b in acc["BalanceMap"]["*monetary"]), Decimal(0))


def runs(proc: EngineProcess, origin_id: str) -> dict[str, dict[str, Any]]:
    cdrs = call(proc, "CDRsV1.GetCDRs", {"OriginIDs": [origin_id]})
    return {c["RunID"]: c for c in cdrs}


def post(proc: EngineProcess, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{proc.ports['http']}{path}",
        data=body,
        headers={"Content-Type": content_type},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.read()


def test_a_postpaid_call_is_debited_and_stored_per_charger_run(engine: EngineProcess) -> None:
    event = {**CALL, "OriginID": "post1", "Account": "1001", "sip_user_agent": "PJSIP"}
    assert (
        call(engine, "CDRsV1.ProcessEvent", {"Flags": ["*rals"], "Tenant": T, "Event": event})
        == "OK"
    )
    by_run = runs(engine, "post1")
    assert set(by_run) == {"*default", "*raw"}
    main, raw = by_run["*default"], by_run["*raw"]
    assert main["Cost"] == 0.7169
    assert (main["CostSource"], main["Usage"], main["Subject"]) == ("*cdrs", 130 * S, "1001")
    assert main["CostDetails"]["Usage"] == 130 * S
    assert main["CostDetails"]["Cost"] == 0.7169
    assert main["CostDetails"]["AccountSummary"]["ID"] == "1001"
    assert main["ExtraFields"] == {"sip_user_agent": "PJSIP"}
    assert (raw["RequestType"], raw["Cost"], raw["CostDetails"]) == ("*none", -1, None)
    assert balance(engine, "1001") == Decimal("9.2831")
    ec = call(engine, "APIerSv1.GetEventCost", {"CgrId": main["CGRID"]})
    assert ec == main["CostDetails"]
    assert error(engine, "APIerSv1.GetEventCost", {"CgrId": main["CGRID"], "RunId": "*raw"}) == (
        "NOT_FOUND"
    )
    assert error(engine, "APIerSv1.GetEventCost", {}) == "MANDATORY_IE_MISSING: [CgrId]"
    [external] = call(engine, "APIerSv1.GetCDRs", {"CgrIds": [main["CGRID"]],
                                                   "MediationRunIds": ["*default"]})  # fmt: skip
    assert (external["Usage"], external["SetupTime"], external["Cost"]) == (
        "2m10s", "2024-01-02T09:59:55Z", 0.7169,
    )  # fmt: skip
    assert json.loads(external["CostDetails"])["Usage"] == 130 * S


def test_a_rated_call_is_priced_without_a_debit(engine: EngineProcess) -> None:
    cdr = {**CALL, "OriginID": "rated1", "RequestType": "*rated", "Account": "1002",
           "Destination": "1001", "Usage": 130 * S}  # fmt: skip
    assert call(engine, "CDRsV1.ProcessCDR", cdr) == "OK"
    main = runs(engine, "rated1")["*default"]
    assert (main["Cost"], main["RequestType"]) == (0.7169, "*rated")
    assert main["CostDetails"]["AccountSummary"] is None
    assert balance(engine, "1002") == Decimal(10)


def test_duplicates_are_refused_and_rerating_refunds_first(engine: EngineProcess) -> None:
    event = {**CALL, "OriginID": "dup1", "Account": "1001"}
    args = {"Flags": ["*rals"], "Tenant": T, "Event": event}
    before = balance(engine, "1001")
    assert call(engine, "CDRsV1.ProcessEvent", args) == "OK"
    assert balance(engine, "1001") == before - Decimal("0.7169")
    assert error(engine, "CDRsV1.ProcessEvent", args) == "EXISTS"
    assert balance(engine, "1001") == before - Decimal("0.7169")
    rerate = {"Flags": ["*rerate"], "Tenant": T, "Event": {**event, "Usage": "1m"}}
    assert call(engine, "CDRsV1.ProcessEvent", rerate) == "OK"
    assert balance(engine, "1001") == before - Decimal("0.6")
    main = runs(engine, "dup1")["*default"]
    assert (main["Usage"], main["Cost"]) == (60 * S, 0.6)


def test_a_prepaid_cdr_takes_the_stored_session_cost(engine: EngineProcess) -> None:
    event = {**CALL, "OriginID": "pre1", "RequestType": "*rated", "Account": "1002",
             "Destination": "1001"}  # fmt: skip
    call(engine, "CDRsV1.ProcessEvent", {"Flags": ["*rals"], "Tenant": T, "Event": event})
    details = runs(engine, "pre1")["*default"]["CostDetails"]
    cgrid = "prepaid-session-1"
    cost = {"CGRID": cgrid, "RunID": "*default", "OriginHost": "10.0.0.1", "OriginID": "pre2",
            "CostSource": "*sessions", "Usage": 130 * S, "CostDetails": details}  # fmt: skip
    args = {"Cost": cost, "CheckDuplicate": True}
    assert call(engine, "CDRsV1.StoreSessionCost", args) == "OK"
    assert error(engine, "CDRsV1.StoreSessionCost", args) == "SERVER_ERROR: EXISTS"
    assert call(engine, "CDRsV2.StoreSessionCost", {"Cost": {**cost, "RunID": "*raw"}}) == "OK"
    assert error(engine, "CDRsV1.StoreSessionCost", {"Cost": {"RunID": "x"}}) == (
        "mandatory information missing: CGRID"
    )
    prepaid = {**CALL, "CGRID": cgrid, "OriginID": "pre2", "RequestType": "*prepaid",
               "Account": "1002", "Destination": "1001"}  # fmt: skip
    before = balance(engine, "1002")
    call(engine, "CDRsV1.ProcessEvent", {"Flags": ["*rals"], "Tenant": T, "Event": prepaid})
    main = runs(engine, "pre2")["*default"]
    assert (main["Cost"], main["CostSource"]) == (0.7169, "*sessions")
    assert balance(engine, "1002") == before  # SessionS charged it already


def test_external_and_prerated_cdrs(engine: EngineProcess) -> None:
    ext = {"OriginID": "ext1", "OriginHost": "h", "ToR": "*voice", "RequestType": "*postpaid",
           "Tenant": T, "Account": "1002", "Destination": "1001",
           "SetupTime": "2024-01-02 10:00:00", "AnswerTime": "1704189605", "Usage": "1m",
           "Cost": 1.5, "PreRated": True, "ExtraFields": {"k": "v"}}  # fmt: skip
    assert call(engine, "CDRsV1.ProcessExternalCDR", ext) == "OK"
    [cdr] = call(engine, "CDRsV1.GetCDRs", {"OriginIDs": ["ext1"]})
    assert (cdr["RunID"], cdr["Cost"], cdr["Usage"]) == ("*default", 1.5, 60 * S)
    assert (cdr["SetupTime"], cdr["AnswerTime"]) == ("2024-01-02T10:00:00Z", "2024-01-02T10:00:05Z")
    assert call(engine, "CdrsV2.ProcessExternalCdr", {**ext, "OriginID": "ext2"}) == "OK"
    assert call(engine, "CdrsV2.ProcessCdr", {"OriginID": "ext3", "Account": "1002",
                                              "PreRated": True, "Cost": 2}) == "OK"  # fmt: skip
    assert len(call(engine, "CDRsV1.GetCDRs", {"OriginIDs": ["ext2", "ext3"]})) == 2
    bad = error(engine, "CDRsV1.ProcessExternalCDR", {**ext, "OriginID": "ext4", "Usage": "x"})
    assert "invalid duration" in bad


def test_http_intake(engine: EngineProcess) -> None:
    form = {"OriginID": "http1", "OriginHost": "10.0.0.2", "ToR": "*voice",
            "RequestType": "*rated", "Tenant": T, "Category": "call", "Account": "1002",
            "Subject": "1002", "Destination": "1001", "SetupTime": "2024-01-02T10:00:00Z",
            "AnswerTime": "2024-01-02T10:00:05Z", "Usage": "130s",
            "field_extr1": "val1"}  # fmt: skip
    body = urllib.parse.urlencode(form).encode()
    assert post(engine, "/cdr_http", body, "application/x-www-form-urlencoded") == (200, b"")
    query = urllib.parse.urlencode({**form, "OriginID": "http2"})
    with urllib.request.urlopen(
        f"http://127.0.0.1:{engine.ports['http']}/cdr_http?{query}", timeout=30
    ) as resp:
        assert resp.status == 200
    assert post(engine, "/cdr_http", b"garbage", "text/plain") == (200, b"")
    main = runs(engine, "http1")["*default"]
    assert (main["Cost"], main["ExtraFields"]) == (0.7169, {"field_extr1": "val1"})
    assert main["Source"].startswith("127.0.0.1:")
    assert "*default" in runs(engine, "http2")
    fs = {
        "variables": {"uuid": "fs-1", "FreeSWITCH-IPv4": "10.0.0.9", "cgr_reqtype": "*rated",
                      "cgr_account": "1002", "dialed_extension": "1001",
                      "start_epoch": "1704189600", "answer_epoch": "1704189605",
                      "billsec": "130", "sip_user_agent": "FS"},
    }  # fmt: skip
    assert post(engine, "/freeswitch_json", json.dumps(fs).encode(), "application/json") == (
        200,
        b"",
    )
    assert post(engine, "/freeswitch_json", b"{broken", "application/json") == (200, b"")
    fs_main = runs(engine, "fs-1")["*default"]
    assert (fs_main["Source"], fs_main["Cost"], fs_main["Usage"]) == (
        "freeswitch_json", 0.7169, 130 * S,
    )  # fmt: skip
    assert fs_main["ExtraFields"] == {"sip_user_agent": "FS"}


def test_queries_over_the_wire(engine: EngineProcess) -> None:
    for n, (account, usage) in enumerate([("q1", "10s"), ("q1", "90s"), ("q2", "30s")]):
        event = {**CALL, "OriginID": f"q{n}", "RequestType": "*rated", "Account": account,
                 "Subject": "1001", "Destination": f"+4917{n}", "Usage": usage,
                 "Carrier": "A" if n else "B"}  # fmt: skip
        call(engine, "CDRsV1.ProcessEvent", {"Flags": ["*rals"], "Tenant": T, "Event": event})

    def origin_ids(params: dict[str, Any]) -> list[str]:
        return [c["OriginID"] for c in call(engine, "CDRsV1.GetCDRs", params)]

    base = {"Accounts": ["q1", "q2"], "RunIDs": ["*default"]}
    assert origin_ids(base) == ["q0", "q1", "q2"]
    assert origin_ids({**base, "Accounts": ["q1"], "MinUsage": "1m"}) == ["q1"]
    assert origin_ids({**base, "OrderBy": "Usage;desc", "Limit": 2}) == ["q1", "q2"]
    assert origin_ids({**base, "Offset": 2}) == ["q2"]
    assert origin_ids({**base, "ExtraFields": {"Carrier": "B"}}) == ["q0"]
    assert origin_ids({**base, "NotDestinationPrefixes": ["+49170"]}) == ["q1", "q2"]
    assert origin_ids({**base, "AnswerTimeStart": "2024-01-02T10:00:00Z",
                       "AnswerTimeEnd": "2024-01-02T10:00:01Z"}) == ["q0", "q1", "q2"]  # fmt: skip
    assert origin_ids({"NotRunIDs": ["*default"], "Accounts": ["q2"]}) == ["q2"]  # the *raw run
    assert call(engine, "CDRsV1.GetCDRsCount", base) == 3
    assert call(engine, "APIerSv2.CountCDRs", {**base, "Accounts": ["q2"]}) == 1
    assert [c["OriginID"] for c in call(engine, "APIerSv2.GetCDRs", {**base, "Limit": 1})] == ["q0"]
    assert error(engine, "CDRsV1.GetCDRs", {"OrderBy": "Bogus"}) == (
        "SERVER_ERROR: Invalid value : Bogus"
    )
    assert error(engine, "CDRsV1.GetCDRs", {"SetupTimeStart": "someday"}) == (
        "SERVER_ERROR: Unsupported time format"
    )
    assert error(engine, "CDRsV1.GetCDRs", {"Accounts": ["nobody"]}) == "SERVER_ERROR: NOT_FOUND"
    assert error(engine, "APIerSv1.GetCDRs", {"Accounts": ["nobody"]}) == "NOT_FOUND"
    assert error(engine, "APIerSv2.GetCDRs", {"Accounts": ["nobody"]}) == "NOT_FOUND"
    assert call(engine, "CDRsV1.GetCDRsCount", {"Accounts": ["nobody"]}) == 0
    assert call(engine, "APIerSv1.RemoveCDRs", {"Accounts": ["q2"]}) == "OK"
    assert call(engine, "CDRsV1.GetCDRsCount", {"Accounts": ["q1", "q2"]}) == 4
    assert call(engine, "CDRsV1.Ping", {}) == "Pong"


def test_rate_cdrs_again(engine: EngineProcess) -> None:
    event = {**CALL, "OriginID": "again1", "RequestType": "*rated", "Account": "1002",
             "Destination": "1001"}  # fmt: skip
    call(engine, "CDRsV1.ProcessEvent", {"Flags": ["*store"], "Tenant": T, "Event": event})
    assert runs(engine, "again1")["*default"]["Cost"] == -1  # stored, not rated
    args = {"OriginIDs": ["again1"], "Flags": ["*rerate", "*chargers:false"]}
    assert call(engine, "CDRsV1.RateCDRs", args) == "OK"
    by_run = runs(engine, "again1")
    assert by_run["*default"]["Cost"] == 0.7169
    assert by_run["*raw"]["Cost"] == -1  # *none: not rated
    assert error(engine, "CDRsV1.RateCDRs", {"OriginIDs": ["nothing"]}) == "NOT_FOUND"


def test_cdrs_survive_a_restart(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path / "e", {"cdrs": {"enabled": True}}).start()
    try:
        cdr = {"OriginID": "keep", "Account": "1001", "Usage": S, "PreRated": True, "Cost": 1}
        assert call(proc, "CDRsV1.ProcessCDR", cdr) == "OK"
        assert proc.stop() == 0
        proc.start()
        [kept] = call(proc, "CDRsV1.GetCDRs", {})
        assert (kept["OriginID"], kept["Cost"]) == ("keep", 1)
    finally:
        assert proc.stop() == 0, proc.log()


def test_without_cdrs_the_server_is_not_there(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path / "e").start()
    try:
        assert error(proc, "CDRsV1.Ping", {}) == "rpc: can't find service CDRsV1.Ping"
        assert error(proc, "CDRsV1.ProcessEvent", {"Event": {}}) == (
            "rpc: can't find service CDRsV1.ProcessEvent"
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            post(proc, "/cdr_http", b"OriginID=x", "application/x-www-form-urlencoded")
        info.value.close()
        assert info.value.code == 404
        assert error(proc, "APIerSv1.GetCDRs", {}) == "NOT_FOUND"  # the StorDB still answers
    finally:
        assert proc.stop() == 0, proc.log()


def test_cdrs_switched_on_by_a_config_reload(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path / "e").start()
    try:
        assert error(proc, "CDRsV1.Ping", {}) == "rpc: can't find service CDRsV1.Ping"
        assert call(proc, "ConfigSv1.SetConfig", {"Config": {"cdrs": {"enabled": True}}}) == "OK"
        assert call(proc, "CDRsV1.Ping", {}) == "Pong"
        body = b"OriginID=r1&Account=1001&rated=true&Cost=1"
        for _ in range(100):  # the HTTP listener restarts with the intake after the reply
            try:
                post(proc, "/cdr_http", body, "application/x-www-form-urlencoded")
                break
            except (urllib.error.URLError, ConnectionError) as exc:  # 404, or restarting
                if isinstance(exc, urllib.error.HTTPError):
                    exc.close()
                time.sleep(0.05)
        [cdr] = call(proc, "CDRsV1.GetCDRs", {})
        assert (cdr["OriginID"], cdr["Cost"]) == ("r1", 1)
    finally:
        assert proc.stop() == 0, proc.log()


BAD_FIELDS = [
    "Flags", "Tenant", "Event", "CGRIDs", "RunIDs", "Accounts", "Costs", "ExtraFields",
    "SetupTimeStart", "MinUsage", "OrderBy", "ExtraArgs", "Limit", "Offset", "Cost",
    "CostDetails", "Usage", "SetupTime", "AnswerTime", "CheckDuplicate", "CgrId", "PreRated",
]  # fmt: skip
BAD_VALUES: list[object] = [
    "", "abc", -1, 0, None, [], {}, "1s", "*now", "2024-13-45", 1e30, True, ["*rals:a:b"],
    {"Usage": "x", "AnswerTime": 5, "CostDetails": "{"}, {"OrderIDStart": "z"}, "x" * 2000,
]  # fmt: skip


def test_bad_input_to_the_cdr_methods(engine: EngineProcess) -> None:
    methods = [
        "CDRsV1.ProcessEvent", "CDRsV1.ProcessCDR", "CDRsV1.ProcessExternalCDR",
        "CDRsV1.RateCDRs", "CDRsV1.StoreSessionCost", "CDRsV2.StoreSessionCost",
        "CDRsV1.GetCDRs", "CDRsV1.GetCDRsCount", "APIerSv1.GetCDRs", "APIerSv2.GetCDRs",
        "APIerSv2.CountCDRs", "APIerSv1.GetEventCost", "CdrsV2.ProcessCdr",
    ]  # fmt: skip
    rnd = random.Random(7)
    answers: list[str] = []
    for method in methods:
        for _ in range(12):
            params = {f: rnd.choice(BAD_VALUES) for f in rnd.sample(BAD_FIELDS, 6)}
            try:
                call(engine, method, params)
            except RpcError as exc:
                answers.append(str(exc))
    leaks = [a for a in answers if "Traceback" in a or "object has no attribute" in a]
    assert leaks == []
    assert answers  # the sweep did hit errors
    assert call(engine, "CDRsV1.Ping", {}) == "Pong"
    assert "Traceback" not in engine.log()
