"""The actions that reach outside the account: posts, mail, RPC calls, publishing, CDRs.

Peers are real API objects behind this process's router (``*internal`` conns); HTTP goes
to a recording session and mail to a recording ``send_mail``: no sockets here (the e2e
tests post and mail for real).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import msgspec
import pytest

from tollgate.accounts import AccountService
from tollgate.accounts import actions_posters as posters
from tollgate.accounts.actions import ACTIONS, ActionService
from tollgate.accounts.actions_rpc import render_template
from tollgate.accounts.models import Account, Balance, StoredAccount
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.config import Config, load_config
from tollgate.core.errors import NotFoundError, PartiallyExecutedError, TollgateError
from tollgate.rpc.pool import ConnManager
from tollgate.rpc.router import Router
from tollgate.storage.datadb import InternalDataDB
from tollgate.storage.stordb import CDRRecord, CDRStore, SMCostRecord, open_stordb
from tollgate.tariffplans import (
    TPAction,
    TPActions,
    TPDestination,
    TPFilter,
    TPFilterProfile,
)

ACC = "cgrates.org:1001"
NOW = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z


class Recorder(Api):
    """Peers: every call is kept as (method, args)."""

    namespace = "TestSv1"

    def __init__(self, calls: list[tuple[str, Any]], name: str) -> None:
        self.calls = calls
        self.name = name

    async def _keep(self, method: str, args: Any) -> Any:
        self.calls.append((f"{self.name}.{method}", args))
        return "OK"


class StatS(Recorder):
    namespace = "StatSv1"

    @rpc_method("ProcessEvent")
    async def process_event(self, args: dict[str, Any], ctx: CallContext) -> Any:
        return await self._keep("ProcessEvent", args)

    @rpc_method("GetStatQueue")
    async def get_stat_queue(self, args: dict[str, Any], ctx: CallContext) -> Any:
        self.calls.append(("StatSv1.GetStatQueue", args))
        prefixes = {"SQ1": ["0049", "0040"], "SQ2": ["0040", "0033"]}[args["ID"]]
        return {"ID": args["ID"], "SQMetrics": {"*ddc": {"FieldValues": dict.fromkeys(prefixes)}}}


class ThresholdS(Recorder):
    namespace = "ThresholdSv1"

    @rpc_method("ProcessEvent")
    async def process_event(self, args: dict[str, Any], ctx: CallContext) -> Any:
        return await self._keep("ProcessEvent", args)


class CDRs(Recorder):
    namespace = "CDRsV1"

    @rpc_method("ProcessEvent")
    async def process_event(self, args: dict[str, Any], ctx: CallContext) -> Any:
        return await self._keep("ProcessEvent", args)


class Echo(Recorder):
    namespace = "TestSv1"

    @rpc_method("Echo")
    async def echo(self, args: dict[str, Any], ctx: CallContext) -> Any:
        return await self._keep("Echo", args)

    @rpc_method("Fail")
    async def fail(self, args: dict[str, Any], ctx: CallContext) -> Any:
        raise TollgateError("SERVER_ERROR: no")


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status

    async def __aenter__(self) -> FakeResponse:
        return self

    async def __aexit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def read(self) -> bytes:
        return b""


class FakeSession:
    """Records posts; answers with ``status``."""

    closed = False

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any, dict[str, str]]] = []
        self.status = 200

    def post(self, url: str, *, data: bytes, headers: dict[str, str], **kw: Any) -> FakeResponse:
        self.posts.append((url, json.loads(data), headers))
        return FakeResponse(self.status)

    async def close(self) -> None:
        return None


class Service(ActionService):
    session = FakeSession()

    async def http_session(self) -> aiohttp.ClientSession:
        return self.session  # type: ignore[return-value]


class Destinations:
    def __init__(self) -> None:
        self.items = {"*ddc_home": TPDestination(ID="*ddc_home", Prefixes=["111"])}

    async def destination(self, dest_id: str) -> TPDestination | None:
        return self.items.get(dest_id)

    async def set_destination(self, dest: TPDestination) -> None:
        self.items[dest.ID] = dest


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path / "db")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def calls() -> list[tuple[str, Any]]:
    return []


@pytest.fixture
def setup(db: InternalDataDB, calls: list[tuple[str, Any]], tmp_path: Path) -> dict[str, Any]:
    router = Router()
    for api in (StatS(calls, "StatSv1"), ThresholdS(calls, "ThresholdSv1"),
                CDRs(calls, "CDRsV1"), Echo(calls, "TestSv1")):  # fmt: skip
        router.add_api(api)
    state: dict[str, Any] = {
        "cfg": load_config(None).merged(
            {
                "general": {
                    "default_timezone": "UTC",
                    "poster_attempts": 1,
                    "failed_posts_dir": "*none",
                }
            }
        ),
        "conns": ConnManager({}, router),
        "dests": Destinations(),
        "tmp": tmp_path,
    }
    return state


@pytest.fixture
async def service(db: InternalDataDB, setup: dict[str, Any]) -> AsyncIterator[Service]:
    Service.session = FakeSession()
    accounts = AccountService(lambda: db, clock=lambda: NOW)
    svc = Service(
        lambda: db,
        accounts,
        conns=lambda: setup["conns"],
        config=lambda: setup["cfg"],
        destinations=setup["dests"],
        clock=lambda: NOW,
    )
    yield svc
    await svc.close()


def configure(setup: dict[str, Any], **sections: dict[str, Any]) -> None:
    cfg: Config = setup["cfg"]
    setup["cfg"] = cfg.merged(sections)


async def store(db: InternalDataDB, actions_id: str, *rows: TPAction) -> None:
    group = TPActions(ID=actions_id, Actions=list(rows))
    await db.set(ACTIONS, actions_id, msgspec.msgpack.encode(group))


def row(identifier: str, **fields: Any) -> TPAction:
    return TPAction(Identifier=identifier, Weight=Decimal(fields.pop("Weight", 10)), **fields)


async def put(service: ActionService, acc: Account) -> None:
    async with service.accounts.locked(acc.ID):
        await service.accounts.commit(StoredAccount(account=acc))


MONEY = Account(
    ID=ACC,
    BalanceMap={
        "*monetary": [Balance(Uuid="u1", ID="*default", Value=Decimal("12.5"))],
        "*voice": [
            Balance(Uuid="u2", ID="v", Value=Decimal(60), ExpirationDate="2030-01-01T00:00:00.5Z")
        ],
    },
)


# -- posts -------------------------------------------------------------------------------------


async def test_http_post_sends_the_account(service: Service, db: InternalDataDB) -> None:
    await store(db, "P", row("*topup", BalanceType="*monetary", Units="5", Weight=20),
                row("*http_post", ExtraParameters="http://peer/hook"))  # fmt: skip
    await service.execute("P", [ACC])
    [(url, body, headers)] = service.session.posts
    assert (url, headers["Content-Type"]) == ("http://peer/hook", "application/json")
    assert body["ID"] == ACC
    assert body["BalanceMap"]["*monetary"][0]["Value"] == 5  # the account after the topup


async def test_a_failed_post_fails_the_action_or_is_kept(
    service: Service, db: InternalDataDB, setup: dict[str, Any]
) -> None:
    service.session.status = 500
    await store(db, "P", row("*http_post", ExtraParameters="http://peer/hook"))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("P", [ACC])
    with pytest.raises(NotFoundError):  # the failed run wrote nothing
        await service.accounts.get(ACC)
    folder = setup["tmp"] / "failed"
    configure(setup, general={"failed_posts_dir": str(folder)})
    await service.execute("P", [ACC])
    [kept] = list(folder.iterdir())
    record = json.loads(kept.read_text())
    assert (record["Path"], record["Module"]) == ("http://peer/hook", "act>*http_post")
    assert json.loads(record["Body"])["ID"] == ACC


async def test_async_post_and_post_event(service: Service, db: InternalDataDB) -> None:
    await store(db, "A", row("*http_post_async", ExtraParameters="http://peer/async"))
    await service.execute("A", [ACC])
    await service.wait_background()
    assert [p[0] for p in service.session.posts] == ["http://peer/async"]
    await store(db, "E", row("*post_event", ExtraParameters="http://peer/event"))
    await service.execute("E", [], extra_data={"Event": {"Account": "1001"}})
    assert service.session.posts[-1][:2] == ("http://peer/event", {"Event": {"Account": "1001"}})
    # without account nor data, *http_post sends JSON null
    await store(db, "N", row("*http_post", ExtraParameters="http://peer/null"))
    await service.execute("N", [])
    assert service.session.posts[-1][:2] == ("http://peer/null", None)


async def test_log_writes_the_account(
    service: Service, db: InternalDataDB, caplog: pytest.LogCaptureFixture
) -> None:
    await store(db, "L", row("*log"))
    with caplog.at_level(logging.INFO, logger="tollgate.accounts.actions_posters"):
        await service.execute("L", [ACC])
    assert f'LOG Account: {{"ID":"{ACC}"' in caplog.text


# -- mail --------------------------------------------------------------------------------------


async def test_mail_async_sends_through_the_mailer(
    service: Service, db: InternalDataDB, setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []

    def fake_send(server: str, **kw: Any) -> None:
        sent.append({"server": server, **kw})

    monkeypatch.setattr(posters, "send_mail", fake_send)
    configure(setup, mailer={"server": "mail.example:2525", "auth_user": "u",
                             "auth_password": "p", "from_address": "cgr@example"})  # fmt: skip
    await put(service, MONEY)
    await store(db, "M", row("*mail_async", ExtraParameters="a@example;b@example,extra"))
    await service.execute("M", [ACC])
    await service.wait_background()
    [mail] = sent
    assert (mail["server"], mail["user"], mail["password"], mail["sender"], mail["to"]) == (
        "mail.example:2525", "u", "p", "cgr@example", ["a@example", "b@example"],
    )  # fmt: skip
    text = mail["message"].decode()
    assert text.startswith(
        "To: a@example, b@example\r\n"
        f"Subject: [CGR Notification] Threshold hit on Balance: {ACC}\r\n\r\nTime: \r\n\t"
    )
    assert f'Balance:\r\n\t{{"ID":"{ACC}"' in text
    assert text.endswith("\r\n\r\nYours faithfully,\r\nCGR Balance Monitor\r\n")


def test_send_mail_wants_a_port() -> None:
    with pytest.raises(TollgateError, match="address localhost: missing port in address"):
        posters.send_mail("localhost", user="", password="", sender="a@b", to=["c@d"],
                          message=b"")  # fmt: skip


# -- *cgr_rpc ----------------------------------------------------------------------------------


async def test_cgr_rpc_calls_the_method_with_the_rendered_params(
    service: Service, db: InternalDataDB, calls: list[tuple[str, Any]]
) -> None:
    params = (
        '{"Address":"*internal","Transport":"*json","Method":"TestSv1.Echo","Attempts":1,'
        '"Async":false,"Params":{"Account":"<<.Account.GetID>>","Tenant":"cgrates.org",'
        '"Action":"<< .Action.Id >>","Type":"<<.Action.ActionType>>"}}'
    )
    await store(db, "RPC", row("*cgr_rpc", ExtraParameters=params))
    await service.execute("RPC", [ACC])
    assert calls == [
        ("TestSv1.Echo", {"Account": "1001", "Tenant": "cgrates.org", "Action": "RPC",
                          "Type": "*cgr_rpc"}),
    ]  # fmt: skip


async def test_cgr_rpc_failures(service: Service, db: InternalDataDB) -> None:
    cases = {
        "UNKNOWN": '{"Address":"*internal","Method":"TestSv1.Nope","Params":{}}',
        "FAIL": '{"Address":"*internal","Method":"TestSv1.Fail","Params":{}}',
        "GOB": '{"Address":"127.0.0.1:2013","Transport":"*gob","Method":"TestSv1.Echo"}',
        "NOTJSON": "<<.Action.Id>>",
        "NOACCOUNT": '{"Address":"*internal","Method":"TestSv1.Echo",'
        '"Params":{"A":"<<.Account.GetID>>"}}',
    }
    for name, params in cases.items():
        await store(db, name, row("*cgr_rpc", ExtraParameters=params))
        accounts = [] if name == "NOACCOUNT" else [ACC]
        with pytest.raises(PartiallyExecutedError):
            await service.execute(name, accounts)


async def test_cgr_rpc_async_does_not_wait(
    service: Service, db: InternalDataDB, calls: list[tuple[str, Any]]
) -> None:
    params = '{"Address":"*internal","Method":"TestSv1.Fail","Async":true,"Params":{}}'
    await store(db, "A", row("*cgr_rpc", ExtraParameters=params))
    await service.execute("A", [ACC])  # the failure is only logged
    await service.wait_background()


def test_template_rendering() -> None:
    from tollgate.accounts.actions_rpc import _account_view, _Struct

    data = _Struct("struct", {"Account": _account_view(Account(ID="t:a+b<c>")), "ExtraData": {}})
    assert render_template("<<.Account.ID>>|<<.Account.GetID>>|<<.ExtraData.X>>", data) == (
        "t:a&#43;b&lt;c&gt;|a&#43;b&lt;c&gt;|&lt;no value&gt;"
    )
    for bad in ("<<.Account.Nope>>", "<<printf 1>>"):
        with pytest.raises(TollgateError, match="template: extra_params"):
            render_template(bad, data)


# -- publishing --------------------------------------------------------------------------------


async def test_publish_goes_to_the_configured_conns_only(
    service: Service, db: InternalDataDB, setup: dict[str, Any], calls: list[tuple[str, Any]]
) -> None:
    await put(service, MONEY)
    await store(db, "PA", row("*publish_account"))
    await store(db, "PB", row("*publish_balance"))
    await service.execute("PA", [ACC])
    await service.wait_background()
    assert calls == []  # no rals.stats_conns / thresholds_conns: nothing, as CGRateS
    configure(setup, rals={"stats_conns": ["*internal"], "thresholds_conns": ["*internal"]})
    await service.execute("PA", [ACC])
    await service.wait_background()
    stats = [args for method, args in calls if method == "StatSv1.ProcessEvent"]
    thresholds = [args for method, args in calls if method == "ThresholdSv1.ProcessEvent"]
    assert len(stats) == len(thresholds) == 3  # the account and its two balances
    account_event = next(a for a in thresholds if a["Event"]["EventType"] == "AccountUpdate")
    assert account_event["Tenant"] == "cgrates.org"
    assert account_event["ThresholdIDs"] is None
    assert account_event["Event"] == {
        "EventType": "AccountUpdate", "EventSource": "AccountS", "Account": "1001",
        "AllowNegative": False, "Disabled": False,
    }  # fmt: skip
    voice = next(a for a in stats if a["Event"].get("BalanceID") == "v")
    assert voice["Event"] == {
        "EventType": "BalanceUpdate", "EventSource": "AccountS", "Account": "1001",
        "BalanceID": "v", "Units": 60, "ExpiryTime": "2030-01-01T00:00:00Z",
    }  # fmt: skip
    calls.clear()
    await service.execute("PB", [ACC])
    await service.wait_background()
    assert {a["Event"]["EventType"] for _, a in calls} == {"BalanceUpdate"}


# -- *cdrlog -----------------------------------------------------------------------------------


async def test_cdrlog_needs_a_cdr_server(service: Service, db: InternalDataDB) -> None:
    await store(db, "C", row("*cdrlog"))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("C", [ACC])


async def test_cdrlog_writes_one_cdr_per_balance_action(
    service: Service, db: InternalDataDB, setup: dict[str, Any], calls: list[tuple[str, Any]]
) -> None:
    configure(setup, schedulers={"cdrs_conns": ["*internal"]})
    template = '{"Category":"^ddi","MediationRunId":"^did_run","Prev":"~BalanceValue"}'
    await store(
        db,
        "C",
        row("*topup_reset", BalanceType="*monetary", BalanceId="*default", Units="10", Weight=20),
        row("*cdrlog", ExtraParameters=template, Weight=10),
    )
    await service.execute("C", [ACC])
    [(method, args)] = calls
    event = args["Event"]
    assert method == "CDRsV1.ProcessEvent"
    assert args["Flags"] == ["*chargers:false"]
    assert args["Tenant"] == "cgrates.org"
    assert {k: event[k] for k in ("RunID", "Source", "ToR", "OriginHost", "RequestType",
                                  "Tenant", "Account", "Subject", "Category", "PreRated",
                                  "Usage")} == {
        "RunID": "*topup_reset", "Source": "*cdrlog", "ToR": "*monetary",
        "OriginHost": "127.0.0.1", "RequestType": "*none", "Tenant": "cgrates.org",
        "Account": "1001", "Subject": "1001", "Category": "^ddi", "PreRated": True, "Usage": 1,
    }  # fmt: skip
    assert event["Cost"] == 10
    assert (event["MediationRunId"], event["Prev"]) == ("^did_run", "10")
    assert event["SetupTime"] == event["AnswerTime"] == "2023-11-14T22:13:20Z"


# -- destinations and the CDR-backed actions ----------------------------------------------------


async def test_set_ddestinations_takes_the_prefixes_of_the_stat_queues(
    service: Service, db: InternalDataDB, setup: dict[str, Any], calls: list[tuple[str, Any]]
) -> None:
    configure(setup, rals={"stats_conns": ["*internal"]})
    home = Balance(Uuid="h", Value=Decimal(1), DestinationIDs={"*ddc_home": True})
    await put(service, Account(ID=ACC, BalanceMap={"*voice": [home]}))
    await store(db, "DDC", row("*set_ddestinations", ExtraParameters="SQ1;SQ2"))
    await service.execute("DDC", [ACC])
    assert setup["dests"].items["*ddc_home"].Prefixes == ["0049", "0040", "0033"]
    assert [a["ID"] for _, a in calls] == ["SQ1", "SQ2"]
    # an account without a *ddc destination: NOT_FOUND
    await put(service, Account(ID=ACC, BalanceMap={"*voice": [Balance(Uuid="x")]}))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("DDC", [ACC])


async def test_cdr_backed_actions_need_a_stordb(
    service: Service, db: InternalDataDB, caplog: pytest.LogCaptureFixture
) -> None:
    await store(db, "RSC", row("*remove_session_costs"))
    await store(db, "CA", row("*cdr_account"))
    with caplog.at_level(logging.ERROR):
        for actions_id in ("RSC", "CA"):
            with pytest.raises(PartiallyExecutedError):
                await service.execute(actions_id, [ACC])
    assert "nil cdrStorage for *remove_session_costs action" in caplog.text
    assert "nil cdrStorage for *cdr_account action" in caplog.text


@pytest.fixture
async def cdr_db(tmp_path: Path) -> AsyncIterator[CDRStore]:
    stor = open_stordb("*sqlite", data_dir=tmp_path / "stordb")
    await stor.open()
    assert isinstance(stor, CDRStore)
    yield stor
    await stor.close()


@pytest.fixture
async def with_stordb(
    db: InternalDataDB, setup: dict[str, Any], cdr_db: CDRStore
) -> AsyncIterator[Service]:
    svc = Service(
        lambda: db,
        AccountService(lambda: db, clock=lambda: NOW),
        conns=lambda: setup["conns"],
        config=lambda: setup["cfg"],
        stordb=lambda: cdr_db,  # type: ignore[arg-type,return-value]
        clock=lambda: NOW,
    )
    yield svc
    await svc.close()


async def _cost_ids(cdr_db: CDRStore) -> list[str]:
    return [f"{c.cgrid}/{c.run_id}" for c in await cdr_db.get_sm_costs()]


async def test_remove_session_costs_removes_what_its_filters_match(
    with_stordb: Service, db: InternalDataDB, cdr_db: CDRStore, caplog: pytest.LogCaptureFixture
) -> None:
    async def fill() -> None:
        await cdr_db.remove_sm_costs()
        for cgrid, run_id, origin_id, usage in (
            ("c1", "*default", "o1", 10), ("c1", "run2", "o1", 10),
            ("c2", "*default", "o2", 90), ("c3", "*default", "o3", 30),
        ):  # fmt: skip
            rec = SMCostRecord(cgrid=cgrid, run_id=run_id, origin_host="h", origin_id=origin_id,
                               cost_source="*sessions", usage=usage * 10**9,
                               cost_details='{"Cost":1}')  # fmt: skip
            assert await cdr_db.set_sm_cost(rec)

    fltr = TPFilterProfile(Tenant="cgrates.org", ID="FLTR_C1", Filters=[
        TPFilter(Type="*string", Element="~*req.CGRID", Values=["c1", "c3"]),
        TPFilter(Type="*string", Element="~RunID", Values=["*default"]),
    ])  # fmt: skip
    await db.set("*filters", "cgrates.org:FLTR_C1", msgspec.msgpack.encode(fltr))

    await fill()
    await store(db, "RSC", row("*remove_session_costs", ExtraParameters="FLTR_C1"))
    await with_stordb.execute("RSC", [])  # no account needed
    assert await _cost_ids(cdr_db) == ["c1/run2", "c2/*default"]

    # an inline filter, a usage bound, an unknown filter and an unsupported rule (logged)
    await fill()
    extra = "*notstring:~CGRID:c2;*gte:~Usage:20s;NOPE;*prefix:~OriginID:o"
    await store(db, "RSC2", row("*remove_session_costs", ExtraParameters=extra))
    with caplog.at_level(logging.WARNING):
        await with_stordb.execute("RSC2", [ACC])
    assert await _cost_ids(cdr_db) == ["c1/*default", "c1/run2", "c2/*default"]
    assert "NOT_FOUND for filter: NOPE" in caplog.text
    assert 'FilterType: "*prefix" not supported for FieldName: "~OriginID"' in caplog.text

    # no filter: every session cost goes
    await store(db, "RSC3", row("*remove_session_costs"))
    await with_stordb.execute("RSC3", [])
    assert await _cost_ids(cdr_db) == []


async def test_cdr_account_restores_the_balances_of_the_last_cdr(
    with_stordb: Service, db: InternalDataDB, cdr_db: CDRStore, caplog: pytest.LogCaptureFixture
) -> None:
    await store(db, "CA", row("*cdr_account"))
    acc = Account(ID=ACC, BalanceMap={
        "*monetary": [Balance(Uuid="m", ID="MONEY", Value=Decimal("2.5"))],
        "*voice": [Balance(Uuid="v", ID="MIN", Value=Decimal(0), Disabled=True)],
    })  # fmt: skip
    await put(with_stordb, acc)
    with pytest.raises(PartiallyExecutedError):  # no CDR yet: NOT_FOUND
        await with_stordb.execute("CA", [ACC])

    def summary(money: str, minutes: int, *extra: dict[str, Any]) -> str:
        balances = [
            {"UUID": "m", "ID": "MONEY", "Type": "*monetary", "Value": float(money),
             "Disabled": False},
            {"UUID": "v", "ID": "MIN", "Type": "*voice", "Value": minutes, "Disabled": False},
            *extra,
        ]  # fmt: skip
        return json.dumps({"Cost": 1, "AccountSummary": {"Tenant": "cgrates.org", "ID": "1001",
                           "BalanceSummaries": balances}})  # fmt: skip

    def cdr(
        cgrid: str, run_id: str, details: str | None, cost: str = "1", account: str = "1001"
    ) -> CDRRecord:
        return CDRRecord(cgrid=cgrid, run_id=run_id, tenant="cgrates.org", account=account,
                         cost=Decimal(cost), cost_details=details)  # fmt: skip

    gone = {"UUID": "gone", "ID": "OLD", "Type": "*sms", "Value": 5, "Disabled": False}
    await cdr_db.set_cdr(cdr("a", "*default", summary("7.25", 60 * 10**9, gone)))
    await cdr_db.set_cdr(cdr("b", "*raw", summary("1", 1)))  # *raw runs are not looked at
    await cdr_db.set_cdr(cdr("c", "*default", summary("1", 1), cost="-1"))  # nor failed ones
    await cdr_db.set_cdr(cdr("d", "*default", summary("9", 9), account="1002"))
    with caplog.at_level(logging.WARNING):
        await with_stordb.execute("CA", [ACC])
    got = await with_stordb.accounts.get(ACC)
    assert got.BalanceMap is not None
    assert [(b.ID, b.Value, b.Disabled) for b in got.BalanceMap["*monetary"]] == [
        ("MONEY", Decimal("7.25"), False)
    ]
    assert [(b.ID, b.Value, b.Disabled) for b in got.BalanceMap["*voice"]] == [
        ("MIN", Decimal(60 * 10**9), False)
    ]
    assert "*sms" not in got.BalanceMap
    assert "cannot find balance with uuid: <gone>" in caplog.text

    # the last CDR without an AccountSummary (a rated call): the action fails
    await cdr_db.set_cdr(cdr("e", "*default", json.dumps({"Cost": 1, "AccountSummary": None})))
    caplog.clear()
    with caplog.at_level(logging.ERROR), pytest.raises(PartiallyExecutedError):
        await with_stordb.execute("CA", [ACC])
    assert "nil AccountSummary" in caplog.text
    await cdr_db.set_cdr(cdr("f", "*default", None))
    caplog.clear()
    with caplog.at_level(logging.ERROR), pytest.raises(PartiallyExecutedError):
        await with_stordb.execute("CA", [ACC])
    assert "nil CostDetails" in caplog.text
    # without an account: nil account
    with pytest.raises(PartiallyExecutedError):
        await with_stordb.execute("CA", [])
