"""SessionService against fake peers: a ChargerS forking *default and *raw runs and a bank
charging 0.01 a second in 1s increments (Responder.MaxDebit/Debit/RefundIncrements/
GetMaxSessionTime answered as a remote RALs would, maps on the wire)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tollgate.core.config import Config, load_config
from tollgate.core.errors import ExistsError, TollgateError
from tollgate.core.times import format_rfc3339, parse_rfc3339
from tollgate.sessions import SessionService
from tollgate.sessions.models import SessionFilter

S = 1_000_000_000
RATE = Decimal("0.01")
ANSWER = "2024-01-08T10:00:00Z"


class Bank:
    """Money of one account, 0.01/s, charged by whole seconds."""

    def __init__(self, money: str) -> None:
        self.money = Decimal(money)
        self.calls: list[str] = []

    def _cost(self, seconds: int, start: int) -> dict[str, Any]:
        if not seconds:
            return {**self._cc(), "Cost": 0, "Timespans": None}
        ts = {
            "TimeStart": format_rfc3339(start), "TimeEnd": format_rfc3339(start + seconds * S),
            "Cost": RATE * seconds, "DurationIndex": 0, "CompressFactor": 1,
            "MatchedSubject": "", "MatchedPrefix": "", "MatchedDestId": "", "RatingPlanId": "RP",
            "RateInterval": None,
            "Increments": [{"Duration": S, "Cost": RATE, "CompressFactor": seconds,
                            "BalanceInfo": {"Unit": None, "Monetary": {"UUID": "m1", "ID": "",
                                            "Value": 0, "RateInterval": None},
                                            "AccountID": "cgrates.org:1001"}}],
        }  # fmt: skip
        return {**self._cc(), "Cost": RATE * seconds, "Timespans": [ts]}

    @staticmethod
    def _cc() -> dict[str, Any]:
        return {"Category": "call", "Tenant": "cgrates.org", "Subject": "1001", "Account": "1001",
                "Destination": "1003", "ToR": "*voice", "RatedUsage": 0}  # fmt: skip

    def handle(self, method: str, args: Any) -> Any:
        self.calls.append(method)
        if method.startswith("Responder."):
            if args.Account == "nobody":
                raise TollgateError("ACCOUNT_NOT_FOUND")
            if method == "Responder.RefundIncrements":
                for inc in args.Increments:
                    self.money += Decimal(inc["Cost"]) * inc["CompressFactor"]
                return {"ID": "cgrates.org:1001"}
            if method == "Responder.RefundRounding":
                return 0
            start = parse_rfc3339(args.TimeStart).ns
            seconds = -(-(parse_rfc3339(args.TimeEnd).ns - start) // S)
            affordable = min(seconds, int(self.money // RATE))
            if method == "Responder.GetMaxSessionTime":
                return affordable * S
            if method == "Responder.MaxDebit":
                self.money -= RATE * affordable
                return self._cost(affordable, start)
            if method == "Responder.Debit":
                self.money -= RATE * seconds
                return self._cost(seconds, start)
        if method == "ChargerSv1.ProcessEvent":
            event = args.Event
            return [
                {"CGREvent": {"Tenant": args.Tenant, "Event": {**event, "RunID": "*default"}}},
                {"CGREvent": {"Tenant": args.Tenant,
                              "Event": {**event, "RunID": "*raw", "RequestType": "*none"}}},
            ]  # fmt: skip
        raise TollgateError(f"rpc: can't find service {method}")


class FakeConns:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    async def call(self, conn_ids: Sequence[str], method: str, args: Any) -> Any:
        if not conn_ids:
            raise TollgateError("MANDATORY_IE_MISSING: [connIDs]")
        await asyncio.sleep(0)
        return self.bank.handle(method, args)


class FakeFilters:
    async def pass_filters(self, tenant: str, filter_ids: Sequence[str], dp: Any) -> bool:
        _, path, values = filter_ids[0].split(":", 2)
        return dp._maps["*req"].get(path.removeprefix("~*req.")) in values.split("|")


class Client:
    conn_id = "client-1"

    def __init__(self, answer: str | None = "OK") -> None:
        self.answer = answer
        self.calls: list[tuple[str, Any]] = []

    async def call(self, method: str, params: Any, *, timeout: float = 2.0) -> Any:
        self.calls.append((method, params))
        if self.answer is None:
            raise TollgateError("DialogID parameter is invalid or not found")
        return self.answer


def config(**sessions: Any) -> Config:
    base = {"enabled": True, "chargers_conns": ["*internal"], "rals_conns": ["*internal"]}
    return load_config(None).merged({"sessions": {**base, **sessions}})


def service(bank: Bank, cfg: Config, client: Client | None = None) -> SessionService:
    clients = {client.conn_id: client} if client else {}
    return SessionService(
        lambda: cfg,
        lambda: FakeConns(bank),  # type: ignore[arg-type,return-value]
        FakeFilters(),  # type: ignore[arg-type]
        lambda: clients,
        "node1",
    )


def event(origin_id: str = "call-1", **extra: Any) -> dict[str, Any]:
    return {"ToR": "*voice", "OriginID": origin_id, "RequestType": "*prepaid",
            "Account": "1001", "Destination": "1003", "AnswerTime": ANSWER, **extra}  # fmt: skip


async def test_initiate_update_terminate_with_last_used() -> None:
    bank = Bank("10")
    svc = service(bank, config())
    assert await svc.initiate("cgrates.org", event(Usage="120s"), "", False) == 120 * S
    assert bank.money == Decimal("8.80")
    assert svc.active_runs() == 2
    # 90s used of the 120s reserved, 120s more asked: 90s to debit
    update = event(Usage="120s", LastUsed="90s")
    assert await svc.update("cgrates.org", update, "", False) == 120 * S
    assert bank.money == Decimal("7.90")
    await svc.terminate("cgrates.org", event(Usage="100s"), "", False)
    assert bank.money == Decimal("9.00")  # the 210s charged are settled to 100s
    assert svc.active_runs() == 0
    closed = svc.closed(_cgrid("call-1"))
    assert closed is not None
    assert closed.runs[0].event["Cost"] == Decimal("1")
    assert closed.runs[0].event["Usage"] == 100 * S
    assert "Cost" not in closed.runs[1].event  # the *raw run is not charged


def _cgrid(origin_id: str) -> str:
    from tollgate.sessions.events import cgrid_of

    return cgrid_of(origin_id, "")


async def test_terminate_of_an_unknown_session_charges_it_once() -> None:
    bank = Bank("10")
    svc = service(bank, config(terminate_attempts=2))
    await svc.terminate("cgrates.org", event("late", Usage="30s"), "", False)
    assert bank.money == Decimal("9.70")
    assert svc.active == {}


async def test_initiating_twice_and_missing_chargers() -> None:
    bank = Bank("10")
    svc = service(bank, config())
    await svc.initiate("cgrates.org", event(Usage="1s"), "", False)
    with pytest.raises(ExistsError):
        await svc.initiate("cgrates.org", event(Usage="1s"), "", False)
    svc = service(bank, config(chargers_conns=[]))
    with pytest.raises(TollgateError, match=r"^ChargerS is disabled$"):
        await svc.initiate("cgrates.org", event("c2", Usage="1s"), "", False)


async def test_authorize_is_the_smallest_run_capped_at_the_usage() -> None:
    bank = Bank("0.5")
    svc = service(bank, config())
    assert await svc.authorize("cgrates.org", event(Usage="10s"), False) == 10 * S
    assert await svc.authorize("cgrates.org", event(Usage="2m"), False) == 50 * S
    no_usage = event()
    assert await svc.authorize("cgrates.org", no_usage, False) == 50 * S
    assert no_usage["Usage"] == 3 * 3600 * S  # the voice default usage
    postpaid = event(Usage="2m", RequestType="*postpaid")
    assert await svc.authorize("cgrates.org", postpaid, False) == 120 * S
    with pytest.raises(TollgateError, match=r"^RALS_ERROR:ACCOUNT_NOT_FOUND$"):
        await svc.authorize("cgrates.org", event(Account="nobody"), False)
    assert bank.money == Decimal("0.5")  # authorizing charges nothing


async def test_debit_loop_disconnects_on_the_client_when_credit_ends() -> None:
    bank = Bank("0.02")
    client = Client()
    svc = service(bank, config(debit_interval="100ms"), client)
    ev = event(DialogID=1183)
    assert await svc.initiate("cgrates.org", ev, client.conn_id, False) == 3 * 3600 * S
    for _ in range(250):
        if client.calls:
            break
        await asyncio.sleep(0.02)
    ((method, params),) = client.calls
    assert method == "SessionSv1.DisconnectSession"
    assert params["Reason"] == "INSUFFICIENT_CREDIT"
    assert params["EventStart"]["DialogID"] == 1183
    assert params["EventStart"]["Usage"] == 2 * S  # two 1s increments were debited
    assert list(params["EventStart"]) == sorted(params["EventStart"])
    assert svc.active_runs() == 2  # the switch hangs up and terminates it
    await svc.terminate("cgrates.org", event(Usage="1500ms"), client.conn_id, False)
    assert bank.money == Decimal("0")  # 1.5s uses both whole seconds
    await svc.stop()


async def test_a_client_that_cannot_disconnect_gets_the_session_ended() -> None:
    bank = Bank("0.01")  # one second: ten 100ms debits out of the first increment
    client = Client(answer=None)
    svc = service(bank, config(debit_interval="100ms", terminate_attempts=3), client)
    await svc.initiate("cgrates.org", event(), client.conn_id, False)
    for _ in range(250):
        if svc.active_runs() == 0:
            break
        await asyncio.sleep(0.02)
    assert svc.active_runs() == 0
    await asyncio.sleep(0.05)
    reasons = [p["Reason"] for _, p in client.calls]
    assert reasons == ["INSUFFICIENT_CREDIT"] * 3 + ["FORCED_DISCONNECT"]
    assert bank.money == Decimal("0")
    await svc.stop()


async def test_session_ttl_charges_the_ttl_usage() -> None:
    bank = Bank("10")
    svc = service(bank, config(session_ttl="50ms", session_ttl_usage="5s"))
    await svc.initiate("cgrates.org", event(Usage="2s"), "", False)
    assert bank.money == Decimal("9.98")
    await asyncio.sleep(0.2)
    assert svc.active_runs() == 0
    assert bank.money == Decimal("9.95")
    await svc.stop()


async def test_updates_rearm_the_ttl() -> None:
    bank = Bank("10")
    svc = service(bank, config(session_ttl="150ms"))
    await svc.initiate("cgrates.org", event(Usage="1s"), "", False)
    for _ in range(4):
        await asyncio.sleep(0.08)
        await svc.update("cgrates.org", event(Usage="1s"), "", False)
    assert svc.active_runs() == 2
    await asyncio.sleep(0.3)
    assert svc.active_runs() == 0
    await svc.stop()


async def test_queries_and_forced_disconnect() -> None:
    bank = Bank("10")
    svc = service(bank, config())
    await svc.initiate("cgrates.org", event("a", Usage="1s", EventName="E1"), "", False)
    await svc.initiate("cgrates.org", event("b", Usage="1s"), "", False)
    everything = await svc.matching_runs(SessionFilter())
    assert len(everything) == 4
    assert len(await svc.matching_runs(SessionFilter(Limit=3))) == 3
    raw = await svc.matching_runs(SessionFilter(Filters=["*string:~*req.RunID:*raw"]))
    assert {sr.cd.run_id for _, sr in raw} == {"*raw"}
    external = svc.external(*everything[0])
    wire = msgspec.to_builtins(external)
    assert wire["Source"] == "SessionS_E1"
    assert wire["AnswerTime"] == ANSWER
    assert wire["SetupTime"] == "0001-01-01T00:00:00Z"
    assert wire["Usage"] == S
    assert wire["NodeID"] == "node1"
    assert await svc.control.force_disconnect([s.cgrid for s, _ in raw]) is True
    assert svc.active == {}
    assert bank.money == Decimal("9.98")


async def test_shutdown_settles_the_active_sessions() -> None:
    bank = Bank("10")
    svc = service(bank, config(debit_interval="10s"))
    await svc.initiate("cgrates.org", event(), "", False)
    await asyncio.sleep(0.05)
    assert bank.money == Decimal("9.90")  # 10s debited in advance
    await svc.stop()
    assert svc.active == {}
    assert bank.money == Decimal("9.90")  # ended at what was charged


async def test_session_indexes_narrow_the_search() -> None:
    bank = Bank("10")
    svc = service(bank, config(session_indexes=["Account"]))
    for n in range(30):
        ev = event(f"i{n}", Usage="1s", Account="1001" if n % 3 else "1002")
        await svc.initiate("cgrates.org", ev, "", False)
    assert svc._candidates(["*string:~*req.Account:1002"]) is not None
    found = await svc.matching_runs(SessionFilter(Filters=["*string:~*req.Account:1002"]))
    assert len(found) == 20  # ten calls, two runs each
    both = ["*string:~*req.Account:1002|1001", "*string:~*req.OriginID:i3|i4"]
    assert len(await svc.matching_runs(SessionFilter(Filters=both))) == 4
    assert svc._candidates(["*prefix:~*req.Account:10"]) is None  # not an index: a scan
    one = await svc.matching_runs(SessionFilter(Filters=["*string:~*req.OriginID:i7"]))
    assert {s.cgrid for s, _ in one} == {_cgrid("i7")}
    await svc.terminate("cgrates.org", event("i7", Usage="1s"), "", False)
    assert await svc.matching_runs(SessionFilter(Filters=["*string:~*req.OriginID:i7"])) == []
    assert ("OriginID", "i7") not in svc._index


async def test_pseudoprepaid_is_authorized_and_rated_is_not_and_neither_is_debited() -> None:
    bank = Bank("0.5")
    svc = service(bank, config())
    pseudo = event("pp", Usage="2m", RequestType="*pseudoprepaid")
    assert await svc.authorize("cgrates.org", pseudo, False) == 50 * S  # what 0.5 pays
    rated = event("rt", Usage="2m", RequestType="*rated")
    assert await svc.authorize("cgrates.org", rated, False) == 120 * S
    assert bank.calls.count("Responder.GetMaxSessionTime") == 1  # only the pseudoprepaid
    for ev in (event("pp", Usage="2m", RequestType="*pseudoprepaid"),
               event("rt", Usage="2m", RequestType="*rated")):  # fmt: skip
        assert await svc.initiate("cgrates.org", ev, "", False) == 120 * S
        await svc.terminate("cgrates.org", {**ev, "Usage": "3m"}, "", False)
    assert bank.money == Decimal("0.5")  # CDRs charge them later
    assert not {"Responder.MaxDebit", "Responder.Debit"} & set(bank.calls)


async def test_alterable_fields_reach_every_run_and_others_only_the_start_event() -> None:
    bank = Bank("10")
    svc = service(bank, config(alterable_fields=["Carrier"]))
    await svc.initiate("cgrates.org", event(Usage="1s"), "", False)
    await svc.update("cgrates.org", event(Usage="1s", Carrier="A", Note="n"), "", False)
    (s,) = svc.active.values()
    assert [sr.event.get("Carrier") for sr in s.runs] == ["A", "A"]
    assert [sr.event.get("Note") for sr in s.runs] == [None, None]
    assert s.event_start["Note"] == "n"
    await svc.terminate("cgrates.org", event(Usage="2s", Carrier="B"), "", False)
    assert [sr.event["Carrier"] for sr in s.runs] == ["B", "B"]
    assert svc.closed(s.cgrid) is s  # ProcessCDR finds it with the altered runs
    without = service(Bank("10"), config())
    await without.initiate("cgrates.org", event(Usage="1s"), "", False)
    await without.update("cgrates.org", event(Usage="1s", Carrier="A"), "", False)
    assert [sr.event.get("Carrier") for sr in next(iter(without.active.values())).runs] == [
        None, None
    ]  # fmt: skip


async def test_initial_origin_id_relocates_the_session() -> None:
    bank = Bank("10")
    svc = service(bank, config())
    await svc.initiate("cgrates.org", event("leg-a", Usage="10s"), "", False)
    moved = event("leg-b", Usage="5s", InitialOriginID="leg-a")
    assert await svc.update("cgrates.org", moved, "", False) == 5 * S
    assert set(svc.active) == {_cgrid("leg-b")}
    (s,) = svc.active.values()
    assert s.event_start["OriginID"] == "leg-b"
    assert {sr.event["CGRID"] for sr in s.runs} == {_cgrid("leg-b")}
    assert bank.money == Decimal("9.85")  # one session: 10s then 5s more
    await svc.terminate("cgrates.org", event("leg-b", Usage="12s"), "", False)
    assert svc.active == {}
    assert bank.money == Decimal("9.88")  # settled to 12s, the rest refunded
    # without the initial id an unknown OriginID is a new session
    await svc.update("cgrates.org", event("leg-c", Usage="1s"), "", False)
    assert set(svc.active) == {_cgrid("leg-c")}
    await svc.stop()
