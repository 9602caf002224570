"""CDRService against a fake RALs bank, ChargerS, AttributeS and ThresholdS, on a real
SQLite StorDB: the processEvents pipeline, rating, refunds, duplicates, session costs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollgate.cdrs import CDR, CDRService, Event
from tollgate.cdrs.args import SMCost
from tollgate.cdrs.eventcost import dump
from tollgate.core.config import Config, load_config
from tollgate.core.errors import (
    ExistsError,
    MandatoryIeMissingError,
    NotFoundError,
    PartiallyExecutedError,
    ServerError,
    TollgateError,
)
from tollgate.core.times import parse_rfc3339
from tollgate.storage.stordb import CDRsFilter, SMCostRecord, SQLiteStorDB

S = 1_000_000_000
RATE = Decimal("0.01")  # per second


class FakeConns:
    """ConnManager.call over in-process fakes: a bank with one monetary balance per account."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.balances: dict[str, Decimal] = {}
        self.handlers: dict[str, Callable[[Any], Any]] = {
            "Responder.Debit": self.debit,
            "Responder.GetCost": self.get_cost,
            "Responder.RefundIncrements": self.refund,
        }

    async def call(self, conn_ids: Sequence[str], method: str, args: Any) -> Any:
        if not conn_ids:
            raise MandatoryIeMissingError("connIDs")
        self.calls.append((method, args))
        handler = self.handlers.get(method)
        if handler is None:
            raise TollgateError(f"rpc: can't find service {method}")
        return handler(args)

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]

    def _cost(self, args: dict[str, Any], paid: bool) -> dict[str, Any]:
        seconds = args["DurationIndex"] // S
        account = f"{args['Tenant']}:{args['Account']}"
        info = None
        if paid:
            self.balances[account] = self.balances.get(account, Decimal(10)) - RATE * seconds
            info = {"Monetary": {"UUID": f"uuid-{account}", "ID": "m", "Value": 0,
                                 "RateInterval": None}, "AccountID": account}  # fmt: skip
        summary = None
        if paid:
            summary = {"Tenant": args["Tenant"], "ID": args["Account"], "AllowNegative": False,
                       "Disabled": False, "BalanceSummaries": [
                           {"UUID": f"uuid-{account}", "ID": "m", "Type": "*monetary",
                            "Value": self.balances[account], "Disabled": False}]}  # fmt: skip
        spans = []
        if seconds:
            spans.append({
                "TimeStart": args["TimeStart"], "TimeEnd": args["TimeEnd"], "Cost": RATE * seconds,
                "DurationIndex": args["DurationIndex"], "CompressFactor": 1,
                "MatchedSubject": args["Subject"], "MatchedPrefix": "", "MatchedDestId": "",
                "RatingPlanId": "RP", "RateInterval": None,
                "Increments": [{"Duration": S, "Cost": RATE, "CompressFactor": seconds,
                                "BalanceInfo": info}],
            })  # fmt: skip
        return {
            "Category": args["Category"], "Tenant": args["Tenant"], "Subject": args["Subject"],
            "Account": args["Account"], "Destination": args["Destination"], "ToR": args["ToR"],
            "Cost": RATE * seconds, "RatedUsage": args["DurationIndex"],
            "AccountSummary": summary, "Timespans": spans,
        }  # fmt: skip

    def debit(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["Account"] == "broken":
            raise TollgateError("ACCOUNT_NOT_FOUND")
        return self._cost(args, paid=True)

    def get_cost(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._cost(args, paid=False)

    def refund(self, args: dict[str, Any]) -> dict[str, Any]:
        for inc in args["Increments"]:
            info = inc["BalanceInfo"]
            if info and info["Monetary"]:
                account = info["AccountID"]
                self.balances[account] += inc["Cost"] * inc["CompressFactor"]
        return {}


def make_config(**cdrs: Any) -> Config:
    section = {"enabled": True, "rals_conns": ["*internal"], **cdrs}
    return load_config(None).merged({"cdrs": section, "general": {"default_timezone": "UTC"}})


class Harness:
    def __init__(self, db: SQLiteStorDB) -> None:
        self.db = db
        self.conns = FakeConns()
        self.cfg = make_config()
        self.sleeps: list[float] = []
        self.service = self.new_service()

    def new_service(self) -> CDRService:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return CDRService(lambda: self.cfg, lambda: self.conns, lambda: self.db, sleep=sleep)  # type: ignore[arg-type,return-value]

    async def process(self, event: dict[str, Any], *flags: str) -> None:
        await self.service.process_event("cgrates.org", "", dict(event), None, flags)

    async def cdrs(self, **kw: Any) -> list[CDR]:
        return await self.service.get_cdrs(CDRsFilter(**kw))

    def balance(self, account: str = "1001") -> Decimal:
        return self.conns.balances[f"cgrates.org:{account}"]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    db = SQLiteStorDB(tmp_path / "stordb.sqlite3")
    await db.open()
    yield Harness(db)
    await db.close()


CALL = {
    "OriginID": "call1",
    "OriginHost": "10.0.0.1",
    "RequestType": "*postpaid",
    "Account": "1001",
    "Destination": "1002",
    "SetupTime": "2024-01-02T09:59:55Z",
    "AnswerTime": "2024-01-02T10:00:00Z",
    "Usage": "2m",
    "PayPal": "a@b",
}
RUN = {**CALL, "RunID": "*default"}  # a refund finds the stored CDR by CGRID and RunID


def test_default_flags_follow_the_config(h: Harness) -> None:
    svc = h.service
    flags = svc.default_flags()
    assert (flags.store, flags.rals, flags.chargers, flags.attributes, flags.export) == (
        True, False, False, False, False,
    )  # fmt: skip
    h.cfg = make_config(
        chargers_conns=["*internal"], thresholds_conns=["*localhost"], store_cdrs=False
    )
    flags = svc.default_flags(["*rerate", "*chargers:false", "*stats"])
    assert (flags.rerate, flags.rals, flags.chargers, flags.thresholds, flags.stats) == (
        True, True, False, True, True,
    )  # fmt: skip
    assert flags.store is False
    assert svc.default_flags(["*store:true;x"]).store is True
    with pytest.raises(TollgateError, match="UNSUPPORTED_FORMAT"):
        svc.default_flags(["*rals:a:b"])


async def test_a_postpaid_call_is_debited_and_stored(h: Harness) -> None:
    await h.process(CALL, "*rals")
    [debit] = h.conns.calls
    assert debit[0] == "Responder.Debit"
    assert debit[1]["TimeStart"] == "2024-01-02T10:00:00Z"
    assert debit[1]["TimeEnd"] == "2024-01-02T10:02:00Z"
    assert (debit[1]["DurationIndex"], debit[1]["Subject"], debit[1]["Category"]) == (
        120 * S, "1001", "call",
    )  # fmt: skip
    assert h.balance() == Decimal("8.8")
    [cdr] = await h.cdrs()
    assert (cdr.run_id, cdr.tor, cdr.cost, cdr.cost_source) == (
        "*default", "*voice", Decimal("1.2"), "*cdrs",
    )  # fmt: skip
    assert cdr.extra_fields == {"PayPal": "a@b"}
    assert cdr.cost_details is not None
    assert (cdr.cost_details.Usage, cdr.cost_details.Cost) == (120 * S, Decimal("1.2"))


async def test_rated_calls_are_priced_not_debited_and_unanswered_start_at_setup(
    h: Harness,
) -> None:
    event = {**CALL, "RequestType": "*rated", "AnswerTime": ""}
    await h.process(event, "*rals")
    [(method, args)] = h.conns.calls
    assert (method, args["TimeStart"]) == ("Responder.GetCost", "2024-01-02T09:59:55Z")
    assert h.conns.balances == {}
    [cdr] = await h.cdrs()
    assert cdr.cost == Decimal("1.2")


async def test_none_is_not_rated_and_no_rals_flag_keeps_the_events_cost(h: Harness) -> None:
    await h.process({**CALL, "RequestType": "*none"}, "*rals")
    await h.process({**CALL, "OriginID": "call2", "Cost": "0.5"})
    assert h.conns.calls == []
    costs = [c.cost for c in await h.cdrs()]
    assert costs == [Decimal(-1), Decimal("0.5")]


async def test_rating_errors_are_kept_on_the_cdr(h: Harness) -> None:
    await h.process({**CALL, "Account": "broken"}, "*rals")
    h.cfg = make_config(rals_conns=[])
    await h.process({**CALL, "OriginID": "call2"}, "*rals")
    [broken, unconnected] = await h.cdrs()
    assert (broken.cost, broken.extra_info) == (Decimal(-1), "ACCOUNT_NOT_FOUND")
    assert (unconnected.cost, unconnected.extra_info) == (Decimal(-1), "NOT_CONNECTED: RALs")


async def test_duplicates_are_refused_and_rerate_refunds_first(h: Harness) -> None:
    await h.process(RUN, "*rals")
    with pytest.raises(ExistsError):
        await h.process(RUN, "*rals")
    assert h.conns.methods() == ["Responder.Debit"]
    assert h.balance() == Decimal("8.8")
    with pytest.raises(PartiallyExecutedError):  # v0.10 looks the old CDR up by RunID ""
        await h.process({**CALL, "Usage": "1m"}, "*rerate")
    await h.process({**RUN, "Usage": "1m"}, "*rals", "*rerate")
    assert h.conns.methods() == ["Responder.Debit", "Responder.RefundIncrements", "Responder.Debit"]
    assert h.balance() == Decimal("9.4")
    [cdr] = await h.cdrs()
    assert (cdr.usage, cdr.cost, cdr.order_id) == (60 * S, Decimal("0.6"), 1)


async def test_a_duplicate_found_by_the_store_is_exists_and_refunded(h: Harness) -> None:
    await h.process(CALL, "*rals")
    h.service = h.new_service()  # a restarted engine: the CGRID cache is empty
    with pytest.raises(ExistsError):
        await h.process(CALL, "*rals")
    assert h.conns.methods() == [
        "Responder.Debit",
        "Responder.Debit",
        "Responder.RefundIncrements",
    ]
    assert h.balance() == Decimal("8.8")


async def test_refund_without_a_stored_cdr_is_partially_executed(h: Harness) -> None:
    with pytest.raises(PartiallyExecutedError):
        await h.process(RUN, "*refund")
    await h.process(RUN, "*rals")
    await h.process(RUN, "*refund", "*store:false")  # the stored CDR's cost goes back
    assert h.balance() == Decimal(10)


async def test_refund_of_cost_details_given_in_the_event(h: Harness) -> None:
    await h.process(CALL, "*rals")
    [cdr] = await h.cdrs()
    event = {**CALL, "OriginID": "other", "CostDetails": dump(cdr.cost_details)}
    await h.process(event, "*refund")
    assert h.balance() == Decimal(10)
    stored = await h.cdrs(origin_ids=["other"])
    assert stored[0].cost_details is None  # refunded: nothing charged any more


async def test_cost_details_covering_the_usage_are_kept_others_refunded(h: Harness) -> None:
    await h.process(CALL, "*rals")
    [cdr] = await h.cdrs()
    details = dump(cdr.cost_details)
    await h.process({**CALL, "OriginID": "same", "CostDetails": details}, "*rals")
    assert h.conns.methods() == ["Responder.Debit"]
    await h.process({**CALL, "OriginID": "less", "CostDetails": details, "Usage": "1m"}, "*rals")
    assert h.conns.methods()[1:] == ["Responder.RefundIncrements", "Responder.Debit"]
    [less] = await h.cdrs(origin_ids=["less"])
    assert less.cost == Decimal("0.6")


async def test_chargers_fork_and_attributes_alter(h: Harness) -> None:
    def chargers(args: dict[str, Any]) -> list[dict[str, Any]]:
        ev = args["Event"]
        return [
            {"ChargerSProfile": "D", "AttributeSProfiles": None, "AlteredFields": [],
             "CGREvent": {"Tenant": "cgrates.org", "ID": args["ID"],
                          "Event": {**ev, "RunID": "*default"}}},
            {"ChargerSProfile": "R", "AttributeSProfiles": None, "AlteredFields": [],
             "CGREvent": {"Tenant": "cgrates.org", "ID": args["ID"],
                          "Event": {**ev, "RunID": "*raw", "RequestType": "*none"}}},
        ]  # fmt: skip

    def attributes(args: dict[str, Any]) -> dict[str, Any]:
        assert args["Context"] == "*cdrs"
        return {"MatchedProfiles": ["A"], "AlteredFields": ["*req.Subject"],
                "CGREvent": {"Tenant": "cgrates.org", "ID": args["ID"],
                             "Event": {**args["Event"], "Subject": "premium"}}}  # fmt: skip

    h.conns.handlers["ChargerSv1.ProcessEvent"] = chargers
    h.conns.handlers["AttributeSv1.ProcessEvent"] = attributes
    h.cfg = make_config(chargers_conns=["*internal"], attributes_conns=["*internal"])
    await h.process(CALL, "*rals")
    runs = {c.run_id: c for c in await h.cdrs()}
    assert set(runs) == {"*default", "*raw"}
    assert runs["*default"].subject == "premium"
    assert runs["*default"].cost == Decimal("1.2")
    assert runs["*raw"].cost == Decimal(-1)


async def test_attribute_not_found_is_fine_chargers_failing_is_partial(h: Harness) -> None:
    def not_found(args: Any) -> Any:
        raise NotFoundError()

    h.conns.handlers["AttributeSv1.ProcessEvent"] = not_found
    h.cfg = make_config(attributes_conns=["*internal"])
    await h.process(CALL)
    with pytest.raises(PartiallyExecutedError):
        await h.process({**CALL, "OriginID": "x"}, "*chargers")  # no chargers_conns
    assert [c.origin_id for c in await h.cdrs()] == ["call1"]


async def test_thresholds_stats_and_exports_after_storing(h: Harness) -> None:
    seen: list[dict[str, Any]] = []

    def thresholds(args: dict[str, Any]) -> list[str]:
        seen.append(args)
        raise NotFoundError()

    h.conns.handlers["ThresholdSv1.ProcessEvent"] = thresholds
    h.cfg = make_config(thresholds_conns=["*internal"])
    await h.process(CALL, "*rals")
    assert seen[0]["Event"]["EventType"] == "CDR"
    assert seen[0]["Event"]["Cost"] == Decimal("1.2")  # the rated CDR goes to ThresholdS
    with pytest.raises(PartiallyExecutedError):
        await h.process({**CALL, "OriginID": "b"}, "*stats")  # StatS not connected
    h.cfg = make_config(online_cdr_exports=["amqp"])
    with pytest.raises(PartiallyExecutedError):
        await h.process({**CALL, "OriginID": "c"})  # exporters are not built
    assert [c.origin_id for c in await h.cdrs()] == ["call1", "b", "c"]  # stored anyway


async def test_prepaid_cdrs_take_the_session_cost(h: Harness) -> None:
    await h.process({**CALL, "RequestType": "*prepaid", "OriginID": "s1"}, "*rals")
    assert h.sleeps == [1, 1, 2, 3]  # five reads, Fibonacci seconds apart, then RALs
    assert h.conns.methods() == ["Responder.Debit"]
    [rated] = await h.cdrs()
    h.sleeps.clear()
    details = rated.cost_details
    assert details is not None
    cgrid = rated.cgrid.replace(rated.cgrid[:1], "z", 1)
    record = SMCostRecord(cgrid, "*default", "10.0.0.1", "s2", "*sessions", 120 * S, dump(details))
    await h.db.set_sm_cost(record)
    await h.process({**CALL, "RequestType": "*prepaid", "OriginID": "s2", "CGRID": cgrid}, "*rals")
    assert h.sleeps == []
    assert h.conns.methods() == ["Responder.Debit"]  # no second charge
    [from_session] = await h.cdrs(cgrids=[cgrid])
    assert (from_session.cost, from_session.cost_source) == (Decimal("1.2"), "*sessions")


async def test_a_session_cost_for_another_usage_is_refunded_and_rerated(h: Harness) -> None:
    await h.process({**CALL, "OriginID": "first"}, "*rals")
    [first] = await h.cdrs()
    record = SMCostRecord("g", "*default", "10.0.0.1", "x", "*sessions", 120 * S,
                          dump(first.cost_details))  # fmt: skip
    await h.db.set_sm_cost(record)
    event = {**CALL, "RequestType": "*prepaid", "CGRID": "g", "Usage": "1m"}
    await h.process(event, "*rals")
    assert h.conns.methods()[1:] == ["Responder.RefundIncrements", "Responder.Debit"]
    [cdr] = await h.cdrs(cgrids=["g"])
    assert (cdr.cost, cdr.cost_source, cdr.origin_id) == (Decimal("0.6"), "*cdrs", "x")


async def test_store_session_cost(h: Harness) -> None:
    with pytest.raises(TollgateError, match="mandatory information missing: CGRID"):
        await h.service.store_session_cost(SMCost(RunID="r"), check_duplicate=False)
    with pytest.raises(TollgateError, match="mandatory information missing: CGRID"):
        await h.service.store_session_cost(None, check_duplicate=False)
    details = {"CGRID": "g", "Charges": [{"CompressFactor": 1, "Increments": [
        {"Usage": S, "Cost": 0.01, "CompressFactor": 60}]}]}  # fmt: skip
    cost = SMCost(CGRID="g", RunID="*default", OriginID="o", Usage=60 * S, CostDetails=details)
    await h.service.store_session_cost(cost, check_duplicate=True)
    [stored] = await h.db.get_sm_costs("g")
    assert '"Cost":0.6' in (stored.cost_details or "")  # computed before storing
    with pytest.raises(ServerError, match="SERVER_ERROR: EXISTS"):
        await h.service.store_session_cost(cost, check_duplicate=True)
    await h.service.store_session_cost(cost, check_duplicate=False)  # kept, not an error
    with pytest.raises(ServerError, match="EventCost"):
        await h.service.store_session_cost(SMCost(CGRID="b", CostDetails="{x"), False)


async def test_process_cdr_defaults_and_prerated(h: Harness) -> None:
    cdr = CDR(origin_id="p1", account="1001", destination="1002", usage=60 * S,
              answer_time=parse_rfc3339("2024-01-02T10:00:00Z"), pre_rated=True,
              cost=Decimal("0.3"))  # fmt: skip
    await h.service.process_cdr(cdr)
    assert h.conns.calls == []
    [stored] = await h.cdrs()
    assert (stored.request_type, stored.tenant, stored.category, stored.subject) == (
        "*rated", "cgrates.org", "call", "1001",
    )  # fmt: skip
    assert (stored.run_id, stored.cost) == ("*default", Decimal("0.3"))
    await h.service.process_cdr(CDR(origin_id="p2", account="1001", usage=60 * S))
    [rated] = await h.cdrs(origin_ids=["p2"])
    assert rated.cost == Decimal("0.6")


async def test_rate_cdrs(h: Harness) -> None:
    with pytest.raises(NotFoundError):
        await h.service.rate_cdrs(CDRsFilter(), [])
    await h.process({**CALL, "RequestType": "*rated"})  # stored unrated
    [before] = await h.cdrs()
    assert before.cost == Decimal(-1)
    with pytest.raises(ServerError, match="SERVER_ERROR: EXISTS"):
        await h.service.rate_cdrs(CDRsFilter(), [])
    await h.service.rate_cdrs(CDRsFilter(), ["*rerate"])
    [after] = await h.cdrs()
    assert (after.cost, after.order_id) == (Decimal("1.2"), before.order_id)
    with pytest.raises(TollgateError, match="NOT_CONNECTED: ChargerS"):
        await h.service.rate_cdrs(CDRsFilter(), ["*chargers"])


async def test_pipeline_entry_keeps_the_event_tenant(h: Harness) -> None:
    await h.service.process([Event("other.org", {**CALL})], h.service.default_flags())
    [cdr] = await h.cdrs()
    assert cdr.tenant == "other.org"


def test_seen_ids_expire_and_stay_bounded() -> None:
    from tollgate.cdrs.service import _SeenIDs

    clock = [100.0]
    seen = _SeenIDs(lambda: clock[0])
    seen.add("a", 10, -1)
    seen.add("b", 10, -1)
    assert seen.has("a")
    clock[0] = 111.0
    assert not seen.has("a")
    seen.add("c", 10, -1)  # the expired ones are dropped on the way
    assert len(seen) == 1
    for key in "defg":
        seen.add(key, 0, 3)  # no TTL, at most 3 kept
    assert len(seen) == 3
    assert not seen.has("d")
    assert seen.has("g")
    seen.add("h", 10, 0)  # a zero limit caches nothing
    assert not seen.has("h")
