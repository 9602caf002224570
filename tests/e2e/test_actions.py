"""Actions against a real engine: set them over the API, run them with ExecuteAction, and
watch them post to a real HTTP server, mail a real SMTP server and call the engine back."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess
from tollgate.testing.smtp import SmtpServer

T = "cgrates.org"
HEADER = (
    "#ActionsId[0],Action[1],ExtraParameters[2],Filter[3],BalanceId[4],BalanceType[5],"
    "Categories[6],DestinationIds[7],RatingSubject[8],SharedGroup[9],ExpiryTime[10],"
    "TimingIds[11],Units[12],BalanceWeight[13],BalanceBlocker[14],BalanceDisabled[15],"
    "Weight[16]\n"
)


class HookServer:
    """A real aiohttp server in a thread of its own; keeps the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, Any]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        self.bodies.append((request.path, await request.json()))
        status = 500 if request.path == "/broken" else 200
        return web.Response(status=status, text="OK")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{name}", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __enter__(self) -> HookServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.bodies) >= count:
                return list(self.bodies)
            time.sleep(0.05)
        raise TimeoutError(f"{count} post(s) expected, got {self.bodies}")


@pytest.fixture
def hooks() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(credentials=("cgrates", "secret")) as server:
        yield server


@pytest.fixture
def engine(tmp_path: Path, smtp: SmtpServer) -> Iterator[EngineProcess]:
    extra = {
        "general": {"poster_attempts": 1, "failed_posts_dir": str(tmp_path / "failed")},
        "mailer": {
            "server": f"127.0.0.1:{smtp.port}",
            "auth_user": "cgrates",
            "auth_password": "secret",
            "from_address": "cgr@example.org",
        },
    }
    proc = EngineProcess.prepare(tmp_path / "engine", extra).start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params)


def error(proc: EngineProcess, method: str, params: Any) -> str:
    with pytest.raises(RpcError) as info:
        call(proc, method, params)
    return str(info.value)


def act(identifier: str, **fields: Any) -> dict[str, Any]:
    return {"Identifier": identifier, "Weight": fields.pop("Weight", 10), **fields}


def set_actions(proc: EngineProcess, actions_id: str, *actions: dict[str, Any]) -> None:
    args = {"ActionsId": actions_id, "Overwrite": True, "Actions": list(actions)}
    assert call(proc, "APIerSv2.SetActions", args) == "OK"


def execute(proc: EngineProcess, actions_id: str, account: str = "1001") -> Any:
    args = {"Tenant": T, "Account": account, "ActionsId": actions_id}
    return call(proc, "APIerSv1.ExecuteAction", args)


def balances(proc: EngineProcess, account: str, kind: str = "*monetary") -> list[Any]:
    acc = call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    return [b["Value"] for b in (acc["BalanceMap"] or {}).get(kind) or []]


def test_set_get_execute_and_remove_actions(engine: EngineProcess) -> None:
    topup = act("*topup_reset", BalanceType="*monetary", BalanceId="*default", Units="10",
                Weight=20)  # fmt: skip
    set_actions(engine, "TOPUP10", topup, act("*allow_negative"))
    assert execute(engine, "TOPUP10") == "OK"
    assert balances(engine, "1001") == [10]
    acc = call(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1001"})
    assert acc["AllowNegative"] is True
    # v2 runs the same, and re-running a *topup_reset leaves 10
    assert call(engine, "APIerSv2.ExecuteAction",
                {"Tenant": T, "Account": "1001", "ActionsId": "TOPUP10"}) == "OK"  # fmt: skip
    assert balances(engine, "1001") == [10]

    v1 = call(engine, "APIerSv1.GetActions", "TOPUP10")
    assert [(a["Identifier"], a["Units"], a["BalanceId"], a["Weight"]) for a in v1] == [
        ("*topup_reset", "10", "*default", 20), ("*allow_negative", "0", "", 10),
    ]  # fmt: skip
    v2 = call(engine, "APIerSv2.GetActions", {"ActionIDs": ["TOPUP10"]})
    first = v2["TOPUP10"][0]
    assert (first["Id"], first["ActionType"], first["Balance"]["Type"]) == (
        "TOPUP10", "*topup_reset", "*monetary",
    )  # fmt: skip
    assert first["Balance"]["Value"] == {"Method": "", "Params": None, "Static": 10}

    assert error(engine, "APIerSv2.SetActions", {"ActionsId": "TOPUP10", "Actions": [topup]}) == (
        "EXISTS"
    )
    # v1 takes numbers
    v1_args = {"ActionsId": "DEBIT", "Actions": [{"Identifier": "*debit", "BalanceType":
               "*monetary", "BalanceId": "*default", "Units": 2.5, "Weight": 10}]}  # fmt: skip
    assert call(engine, "APIerSv1.SetActions", v1_args) == "OK"
    assert execute(engine, "DEBIT") == "OK"
    assert balances(engine, "1001") == [7.5]

    assert call(engine, "APIerSv1.RemoveActions", {"ActionIDs": ["DEBIT"]}) == "OK"
    assert error(engine, "APIerSv1.GetActions", "DEBIT") == "SERVER_ERROR: NOT_FOUND"
    gone = {"Tenant": T, "Account": "1001", "ActionsId": "DEBIT"}
    assert error(engine, "APIerSv1.ExecuteAction", gone) == "NOT_FOUND"
    assert call(engine, "APIerSv2.RemoveActions", {"ActionIDs": ["TOPUP10"]}) == "OK"
    assert call(engine, "APIerSv2.GetActions", {}) is None


def test_bad_input_gets_cgrates_errors(engine: EngineProcess) -> None:
    assert error(engine, "APIerSv2.SetActions", {}) == "MANDATORY_IE_MISSING: [ActionsId Actions]"
    no_units = {"ActionsId": "A", "Actions": [{"Identifier": "*topup", "BalanceType": "*sms"}]}
    assert error(engine, "APIerSv2.SetActions", no_units) == (
        "MANDATORY_IE_MISSING:Action:*topup:[Weight Units]"
    )
    bad_units = {"ActionsId": "A", "Actions": [act("*topup", BalanceType="*sms", Units="x")]}
    assert error(engine, "APIerSv2.SetActions", bad_units) == "Invalid value: x"
    kafka = {"ActionsId": "A", "Actions": [act("*kafka_json_map", ExtraParameters="k:9092")]}
    assert "*kafka_json_map is not supported yet" in error(engine, "APIerSv2.SetActions", kafka)
    bad_filter = {"ActionsId": "A", "Actions": [act("*log", Filter="{")]}
    assert error(engine, "APIerSv2.SetActions", bad_filter).startswith(
        "error parsing action A filter field"
    )
    assert error(engine, "APIerSv1.GetActions", "") == "MANDATORY_IE_MISSING ActionsId: "
    assert error(engine, "APIerSv1.RemoveActions", {}) == "NOT_FOUND"
    # an action needing an account, run without one
    set_actions(engine, "TOP", act("*topup", BalanceType="*monetary", Units="1"))
    assert error(engine, "APIerSv1.ExecuteAction", {"ActionsId": "TOP"}) == "PARTIALLY_EXECUTED"


def test_http_post_reaches_a_real_server(engine: EngineProcess, hooks: HookServer) -> None:
    url = f"http://127.0.0.1:{hooks.port}"
    set_actions(
        engine,
        "NOTIFY",
        act("*topup", BalanceType="*monetary", Units="5", Weight=30),
        act("*http_post", ExtraParameters=f"{url}/sync", Weight=20),
        act("*http_post_async", ExtraParameters=f"{url}/async", Weight=10),
    )
    assert execute(engine, "NOTIFY") == "OK"
    posts = dict(hooks.wait_for(2))
    for path in ("/sync", "/async"):
        assert posts[path]["ID"] == f"{T}:1001"
        assert posts[path]["BalanceMap"]["*monetary"][0]["Value"] == 5
    # a peer answering 500: kept in failed_posts_dir, the action still succeeds
    set_actions(engine, "BROKEN", act("*http_post", ExtraParameters=f"{url}/broken"))
    assert execute(engine, "BROKEN") == "OK"
    failed = engine.workdir.parent / "failed"
    [kept] = list(failed.iterdir())
    assert json.loads(kept.read_text())["Path"] == f"{url}/broken"


def test_mail_async_reaches_a_real_smtp_server(engine: EngineProcess, smtp: SmtpServer) -> None:
    set_actions(
        engine,
        "MAIL",
        act("*topup", BalanceType="*monetary", Units="3", Weight=20),
        act("*mail_async", ExtraParameters="ops@example.org;billing@example.org"),
    )
    assert execute(engine, "MAIL") == "OK"
    [mail] = smtp.wait_for(1)
    assert (mail.sender, mail.recipients, mail.user) == (
        "cgr@example.org", ["ops@example.org", "billing@example.org"], "cgrates",
    )  # fmt: skip
    text = mail.data.decode()
    assert "To: ops@example.org, billing@example.org\r\n" in text
    assert f"Subject: [CGR Notification] Threshold hit on Balance: {T}:1001\r\n" in text
    balance_json = text.split("Balance:\r\n\t", 1)[1].split("\r\n", 1)[0]
    assert json.loads(balance_json)["BalanceMap"]["*monetary"][0]["Value"] == 3


def test_cgr_rpc_calls_back_into_the_engine(engine: EngineProcess) -> None:
    internal = json.dumps({
        "Address": "*internal", "Method": "APIerSv2.SetAccount", "Async": False,
        "Params": {"Tenant": T, "Account": "child_<<.Account.GetID>>"},
    })  # fmt: skip
    over_tcp = json.dumps({
        "Address": f"127.0.0.1:{engine.ports['rpc_json']}", "Transport": "*json",
        "Method": "APIerSv1.AddBalance", "Attempts": 1, "Async": False,
        "Params": {"Tenant": T, "Account": "child_<<.Account.GetID>>",
                   "BalanceType": "*monetary", "Value": 4},
    })  # fmt: skip
    set_actions(
        engine,
        "RPC",
        act("*cgr_rpc", ExtraParameters=internal, Weight=20),
        act("*cgr_rpc", ExtraParameters=over_tcp, Weight=10),
    )
    assert execute(engine, "RPC", "1002") == "OK"
    assert balances(engine, "child_1002") == [4]
    # an unknown method fails the action (GetRpcParams: NOT_FOUND)
    unknown = json.dumps({"Address": "*internal", "Method": "APIerSv1.Nope", "Params": {}})
    set_actions(engine, "BAD", act("*cgr_rpc", ExtraParameters=unknown))
    bad = {"Tenant": T, "Account": "1002", "ActionsId": "BAD"}
    assert error(engine, "APIerSv1.ExecuteAction", bad) == "PARTIALLY_EXECUTED"


def test_actions_from_a_tariff_plan_and_the_queue_posters(
    engine: EngineProcess, tmp_path: Path
) -> None:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "Actions.csv").write_text(
        HEADER
        + "TOPUP_VOICE,*topup,,,,*voice,,,,,*unlimited,,60s,10,false,false,20\n"
        + 'COND,*topup,,"{""Type"":""*voice"",""Value"":{""*gte"":60000000000}}",'
        + ",*monetary,,,,,,,1.5,,,,10\n"
    )
    load = {"FolderPath": str(plan)}
    assert call(engine, "APIerSv1.LoadTariffPlanFromFolder", load) == "OK"
    assert execute(engine, "COND", "1003") == "OK"  # the filter holds for no balance yet
    assert execute(engine, "TOPUP_VOICE", "1003") == "OK"
    assert balances(engine, "1003", "*voice") == [60_000_000_000]
    assert execute(engine, "COND", "1003") == "OK"
    assert balances(engine, "1003") == [1.5]
    (plan / "Actions.csv").write_text(
        HEADER + "Q,*kafka_json_map,localhost:9092?topic=cgrates,,,,,,,,,,,,,,10\n"
    )
    text = error(engine, "APIerSv1.LoadTariffPlanFromFolder", load)
    assert "Actions.csv:2:2: Action *kafka_json_map is not supported yet" in text


# -- the actions that reach the CDR server and the StorDB ------------------------------------

TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
CDR_CONFIG = {
    "general": {"default_timezone": "UTC"},
    "schedulers": {"enabled": True, "cdrs_conns": ["*internal"]},
    "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
    "rals": {"enabled": True},
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
    "cdrs": {"enabled": True, "chargers_conns": ["*internal"], "rals_conns": ["*internal"]},
}
# the tutorial's 1001 -> 1002 rate: 2m10s costs 0.7169
POSTPAID = {
    "OriginHost": "10.0.0.1",
    "RequestType": "*postpaid",
    "Account": "1001",
    "Destination": "1002",
    "SetupTime": "2024-01-02T09:59:55Z",
    "AnswerTime": "2024-01-02T10:00:00Z",
    "Usage": "2m10s",
}


@pytest.fixture(scope="module")
def cdr_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path_factory.mktemp("actions-cdrs"), CDR_CONFIG).start()
    try:
        load = {"FolderPath": str(TUTORIAL)}
        assert rpc(proc.ports["rpc_json"], "APIerSv1.LoadTariffPlanFromFolder", load,
                   timeout=60) == "OK"  # fmt: skip
        deadline = time.monotonic() + 10  # the *asap plans top up 1001..1003 with 10
        while balances(proc, "1003") != [10] and time.monotonic() < deadline:
            time.sleep(0.1)
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def test_a_topup_with_cdrlog_ends_as_a_stored_cdr(cdr_engine: EngineProcess) -> None:
    set_actions(
        cdr_engine,
        "TOPUP_LOGGED",
        act("*topup", BalanceType="*monetary", BalanceId="BONUS", Units="2.5", Weight=20),
        act("*cdrlog", ExtraParameters='{"Category":"bonus","Destination":"~ActionID"}'),
    )
    assert execute(cdr_engine, "TOPUP_LOGGED", "1003") == "OK"
    assert balances(cdr_engine, "1003") == [10, 2.5]
    query = {"Accounts": ["1003"], "CdrSources": ["*cdrlog"]}
    [cdr] = call(cdr_engine, "APIerSv1.GetCDRs", query)
    assert (cdr["RunID"], cdr["Cost"], cdr["ToR"], cdr["Tenant"]) == (
        "*topup", 2.5, "*monetary", T,
    )  # fmt: skip
    assert (cdr["Category"], cdr["Destination"], cdr["RequestType"]) == (
        "bonus", "TOPUP_LOGGED", "*none",
    )  # fmt: skip
    [v1] = call(cdr_engine, "CDRsV1.GetCDRs", {"Accounts": ["1003"], "Sources": ["*cdrlog"]})
    assert (v1["RunID"], v1["Subject"], v1["OriginHost"]) == ("*topup", "1003", "127.0.0.1")
    # a second run logs a second CDR
    assert execute(cdr_engine, "TOPUP_LOGGED", "1003") == "OK"
    assert len(call(cdr_engine, "APIerSv1.GetCDRs", query)) == 2


def test_cdr_account_restores_the_balances_of_the_last_cdr(cdr_engine: EngineProcess) -> None:
    event = {**POSTPAID, "OriginID": "cdr-account-1"}
    args = {"Flags": ["*rals"], "Tenant": T, "Event": event}
    assert call(cdr_engine, "CDRsV1.ProcessEvent", args) == "OK"
    assert balances(cdr_engine, "1001") == [9.2831]
    # the balance is changed afterwards; *cdr_account puts back what the CDR saw
    topup = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary", "Value": 100,
             "Balance": {"ID": "test"}}  # fmt: skip
    assert call(cdr_engine, "APIerSv1.SetBalance", topup) == "OK"
    assert balances(cdr_engine, "1001") == [100]
    set_actions(cdr_engine, "FROM_CDR", act("*cdr_account"))
    assert execute(cdr_engine, "FROM_CDR", "1001") == "OK"
    assert balances(cdr_engine, "1001") == [9.2831]
    # an account without CDRs: the action fails
    assert error(cdr_engine, "APIerSv1.ExecuteAction",
                 {"Tenant": T, "Account": "nocdrs", "ActionsId": "FROM_CDR"}) == (
        "PARTIALLY_EXECUTED"
    )  # fmt: skip


def test_remove_session_costs_by_an_inline_filter(cdr_engine: EngineProcess) -> None:
    def store(cgrid: str) -> Any:
        cost = {"CGRID": cgrid, "RunID": "*default", "OriginHost": "10.0.0.1",
                "OriginID": cgrid, "CostSource": "*sessions", "Usage": 10**9,
                "CostDetails": {"CGRID": cgrid, "RunID": "*default", "Cost": 0.1}}  # fmt: skip
        return call(cdr_engine, "CDRsV1.StoreSessionCost", {"Cost": cost, "CheckDuplicate": True})

    assert store("sc-1") == "OK"
    assert store("sc-2") == "OK"
    drop = act("*remove_session_costs", ExtraParameters="*string:~*req.CGRID:sc-1")
    set_actions(cdr_engine, "DROP_SC1", drop)
    assert call(cdr_engine, "APIerSv1.ExecuteAction", {"ActionsId": "DROP_SC1"}) == "OK"
    assert store("sc-1") == "OK"  # it was gone: stored again
    with pytest.raises(RpcError, match=r"^SERVER_ERROR: EXISTS$"):
        store("sc-2")  # the other one is still there
