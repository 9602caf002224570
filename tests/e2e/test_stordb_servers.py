"""`tollgate engine` with its StorDB on a real PostgreSQL or MariaDB server: the tutorial goes
folder → StorDB → DataDB through the server's ``tp_*`` tables, CDRsV1.ProcessEvent stores
rated CDRs there, GetCDRs filters run on the server, and the CDRs outlive an engine restart.
The servers are started by tests/conftest.py, once per session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess
from tollgate.testing.sqlservers import SQLServer

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
        "extra_fields": ["~*req.Carrier"],
    },
}
# RP_1001 (RT_20CNT): 2m10s costs 0.7169, as in tests/e2e/test_cdrs.py
CALL = {
    "OriginHost": "10.0.0.1",
    "RequestType": "*postpaid",
    "Destination": "1002",
    "SetupTime": "2024-01-02T09:59:55Z",
    "AnswerTime": "2024-01-02T10:00:00.123456Z",
    "Usage": "2m10s",
}
SERVERS = {"*postgres": "postgres_server", "*mysql": "mariadb_server"}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> SQLServer:
    found: SQLServer = request.getfixturevalue(SERVERS[request.param])
    found.create_database("tollgate_e2e")
    return found


@pytest.fixture(scope="module")
def engine(server: SQLServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    config = {**CONFIG, "stor_db": server.stor_db("tollgate_e2e")}
    proc = EngineProcess.prepare(tmp_path_factory.mktemp("stordb"), config).start()
    try:
        tp = {"TPid": "TUT", "FolderPath": str(TUTORIAL)}
        assert call(proc, "APIerSv1.ImportTariffPlanFromFolder", tp) == "OK"
        assert call(proc, "APIerSv1.LoadTariffPlanFromStorDb", {"TPid": "TUT"}) == "OK"
        time.sleep(0.6)  # the *asap plans top up 1001..1003 with 10
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=30)


def origin_ids(proc: EngineProcess, params: dict[str, Any]) -> list[str]:
    return [c["OriginID"] for c in call(proc, "CDRsV1.GetCDRs", params)]


def test_the_tariff_plan_lives_in_the_server(engine: EngineProcess, server: SQLServer) -> None:
    rows = server.sql("SELECT count(*) FROM tp_destinations WHERE tpid = 'TUT'", "tollgate_e2e")
    assert int(rows) > 0
    ids = call(engine, "APIerSv1.GetTPDestinationIDs", {"TPid": "TUT"})
    assert "DST_1002" in ids


def test_processed_events_are_stored_and_filtered_on_the_server(
    engine: EngineProcess, server: SQLServer
) -> None:
    calls = [("1001", "1002", "2m10s", "Acme"), ("1001", "1003", "10s", "acme"),
             ("1002", "1001", "30s", "Acme")]  # fmt: skip
    for n, (account, destination, usage, carrier) in enumerate(calls):
        event = {**CALL, "OriginID": f"q{n}", "Account": account, "Subject": account,
                 "Destination": destination, "Usage": usage, "Carrier": carrier}  # fmt: skip
        args = {"Flags": ["*rals"], "Tenant": T, "Event": event}
        assert call(engine, "CDRsV1.ProcessEvent", args) == "OK"
    [main] = call(engine, "CDRsV1.GetCDRs", {"OriginIDs": ["q0"], "RunIDs": ["*default"]})
    assert (main["Cost"], main["Usage"], main["CostSource"]) == (0.7169, 130 * S, "*cdrs")
    assert main["AnswerTime"].startswith("2024-01-02T10:00:00.123456")
    assert main["CostDetails"]["Cost"] == 0.7169
    assert main["ExtraFields"] == {"Carrier": "Acme"}
    count = server.sql("SELECT count(*) FROM cdrs", "tollgate_e2e")
    assert int(count) == 6  # *default and *raw of each call

    base = {"RunIDs": ["*default"]}
    assert origin_ids(engine, base) == ["q0", "q1", "q2"]
    assert origin_ids(engine, {**base, "Accounts": ["1001"], "MinUsage": "1m"}) == ["q0"]
    assert origin_ids(engine, {**base, "OrderBy": "Usage;desc", "Limit": 2}) == ["q0", "q2"]
    assert origin_ids(engine, {**base, "OrderBy": "Cost", "Offset": 1}) == ["q2", "q0"]
    # case-sensitive on every backend: "acme" is only q1's
    assert origin_ids(engine, {**base, "ExtraFields": {"Carrier": "acme"}}) == ["q1"]
    assert origin_ids(engine, {**base, "DestinationPrefixes": ["1002"]}) == ["q0"]
    assert origin_ids(engine, {"NotRunIDs": ["*default"], "Accounts": ["1002"]}) == ["q2"]
    window = {**base, "AnswerTimeStart": "2024-01-02T10:00:00Z",
              "AnswerTimeEnd": "2024-01-02T10:00:00.123457Z"}  # fmt: skip
    assert origin_ids(engine, window) == ["q0", "q1", "q2"]
    assert call(engine, "CDRsV1.GetCDRsCount", {"Accounts": ["1001"]}) == 4
    # costs: q0 0.7169, q1 0.1 (1001 -> 1003, 10s), q2 0.6
    assert call(engine, "APIerSv2.CountCDRs", {**base, "MinCost": 0.5}) == 2
    assert origin_ids(engine, {**base, "MinCost": 0.5, "MaxCost": 0.7}) == ["q2"]
    # a page of a removal: the ids are selected first, then deleted
    remove = {"Accounts": ["1001"], "RunIDs": ["*raw"], "OrderBy": "OrderID;desc", "Limit": 1}
    assert call(engine, "APIerSv1.RemoveCDRs", remove) == "OK"
    assert origin_ids(engine, {"RunIDs": ["*raw"]}) == ["q0", "q2"]
    with pytest.raises(RpcError, match="NOT_FOUND"):
        call(engine, "CDRsV1.GetCDRs", {"Accounts": ["nobody"]})


def test_the_cdrs_outlive_an_engine_restart(engine: EngineProcess) -> None:
    before = call(engine, "CDRsV1.GetCDRs", {})
    assert before
    assert engine.stop() == 0
    engine.start()
    assert call(engine, "CDRsV1.GetCDRs", {}) == before
