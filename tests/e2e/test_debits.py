"""Charging accounts over the wire: Responder debits, refunds, APIerSv1 usage and shared
groups against a real engine process, as a switch integration or billing script drives it."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcConnection, RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
SEC = 10**9
START = "2024-01-15T10:00:00Z"

PLAN = {
    "Destinations.csv": "#Id,Prefix\nNAT,0723\nNAT,0724\nMOB,0745\n",
    "Timings.csv": "#Tag,Years,Months,MonthDays,WeekDays,Time\n",
    "Rates.csv": (
        "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"
        "RT_SEC,0,0.6,60s,1s,0s\n"
        "RT_MOB,0.5,0.6,60s,1s,0s\n"
        "RT_DY,0.15,0.05,60s,1s,0s\n"
    ),
    "DestinationRates.csv": (
        "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy\n"
        "DR_NAT,NAT,RT_SEC,*middle,4,0,\n"
        "DR_MOB,MOB,RT_MOB,*middle,4,0,\n"
        "DR_ROUNDED,NAT,RT_DY,*up,2,0,\n"
    ),
    "RatingPlans.csv": (
        "#Id,DestinationRatesId,TimingTag,Weight\n"
        "RP_STD,DR_NAT,*any,10\nRP_STD,DR_MOB,*any,10\nRP_ROUNDED,DR_ROUNDED,*any,10\n"
    ),
    "RatingProfiles.csv": (
        "#Tenant,Category,Subject,ActivationTime,RatingPlanId,RatesFallbackSubject\n"
        "cgrates.org,call,*any,2014-01-01T00:00:00Z,RP_STD,\n"
        "cgrates.org,call,rounded,2014-01-01T00:00:00Z,RP_ROUNDED,\n"
    ),
    "SharedGroups.csv": "#Id,Account,Strategy,RatingSubject\nFAMILY,*any,*highest,\n",
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    plan = tmp_path / "plan"
    plan.mkdir()
    for name, text in PLAN.items():
        (plan / name).write_text(text)
    proc = EngineProcess.prepare(tmp_path / "engine").start()
    try:
        reply = rpc(proc.ports["rpc_json"], "APIerSv1.LoadTariffPlanFromFolder",
                    {"FolderPath": str(plan)}, timeout=60)  # fmt: skip
        assert reply == "OK"
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def _call(proc: EngineProcess, method: str, params: Any, timeout: float = 20) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=timeout)


def _balance(proc: EngineProcess, name: str, kind: str, balance_id: str, value: Any, **extra: Any):
    params = {"Tenant": T, "Account": name, "BalanceType": kind, "Value": value,
              "Balance": {"ID": balance_id, **extra}}  # fmt: skip
    assert _call(proc, "APIerSv1.SetBalance", params) == "OK"


def _values(proc: EngineProcess, name: str) -> dict[str, Any]:
    acc = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": name})
    return {b["ID"]: b["Value"] for kind in acc["BalanceMap"].values() for b in kind}


def _cd(name: str, dest: str, seconds: int, **extra: Any) -> dict[str, Any]:
    begin = dt.datetime(2024, 1, 15, 10, tzinfo=dt.UTC)
    end = (begin + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Category": "call", "Tenant": T, "Account": name, "Subject": name,
            "Destination": dest, "TimeStart": START, "TimeEnd": end, **extra}  # fmt: skip


def test_prepaid_call_max_session_max_debit_and_refund(engine: EngineProcess) -> None:
    _balance(engine, "1001", "*monetary", "MONEY", 1)
    _balance(engine, "1001", "*voice", "MINUTES", 30 * SEC, DestinationIDs="NAT", Weight=10)
    for service in ("Responder", "RALsV1", "APIerSv1"):
        assert _call(engine, f"{service}.Ping", {}) == "Pong"
    # 30 free seconds, then 100 s for the 1.0 at 0.01/s
    got = _call(engine, "Responder.GetMaxSessionTime", _cd("1001", "0723", 59 * 60))
    assert got == 130 * SEC
    cc = _call(engine, "Responder.MaxDebit", _cd("1001", "0723", 3 * 60))
    assert (cc["Cost"], cc["RatedUsage"], cc["ToR"]) == (1, 130 * SEC, "*voice")
    units, money = cc["Timespans"]
    unit_info = units["Increments"][0]["BalanceInfo"]
    assert unit_info["Unit"]["ID"] == "MINUTES"
    assert unit_info["Unit"]["Value"] == 0
    assert unit_info["AccountID"] == "cgrates.org:1001"
    assert units["RateInterval"]["Timing"] is None
    assert units["RatingPlanId"] == "*none"
    money_inc = money["Increments"][0]
    assert (money_inc["CompressFactor"], money_inc["BalanceInfo"]["Monetary"]["ID"]) == (
        100,
        "MONEY",
    )
    summary = cc["AccountSummary"]
    assert (summary["Tenant"], summary["ID"]) == (T, "1001")
    assert {b["ID"]: b["Value"] for b in summary["BalanceSummaries"]} == {
        "MONEY": 0,
        "MINUTES": 0,
    }
    assert _values(engine, "1001") == {"MONEY": 0, "MINUTES": 0}
    # the call ended after 10 s: give back what the reply's increments took
    refund = {"Tenant": T, "Account": "1001", "ToR": "*voice",
              "Increments": money["Increments"]}  # fmt: skip
    acc = _call(engine, "Responder.RefundIncrements", refund)
    assert acc["ID"] == "cgrates.org:1001"
    assert _values(engine, "1001") == {"MONEY": 1, "MINUTES": 0}
    refund["Increments"] = units["Increments"]
    _call(engine, "Responder.RefundIncrements", refund)
    assert _values(engine, "1001") == {"MONEY": 1, "MINUTES": 30 * SEC}


def test_postpaid_debit_goes_negative_unless_denied(engine: EngineProcess) -> None:
    _balance(engine, "1002", "*monetary", "MONEY", 0.2)
    cc = _call(engine, "Responder.Debit", _cd("1002", "0745", 60))
    assert cc["Cost"] == 1.1  # 0.5 connect fee + 0.6
    assert _values(engine, "1002") == {"MONEY": 0, "*default": -0.9}
    denied = _call(engine, "Responder.Debit", _cd("1002", "0723", 60, DenyNegativeAccount=True))
    assert (denied["Cost"], denied["Timespans"]) == (0, None)
    dry = _call(engine, "Responder.Debit", _cd("1002", "0723", 60, DryRun=True))
    assert dry["Cost"] == 0.6
    assert _values(engine, "1002")["*default"] == -0.9
    forced = _cd("1002", "0723", 60, ForceDuration=True)
    with pytest.raises(RpcError, match=r"^INSUFFICIENT_CREDIT$"):
        _call(engine, "Responder.MaxDebit", forced)


def test_rounding_errors_and_usage_methods(engine: EngineProcess) -> None:
    _balance(engine, "rounded", "*monetary", "MONEY", 1)
    cd = _cd("rounded", "0723", 24, PerformRounding=True)
    cc = _call(engine, "Responder.Debit", cd)
    assert cc["Cost"] == 0.17
    assert cc["Timespans"][0]["RoundIncrement"]["Cost"] == 0.00008
    assert _values(engine, "rounded") == {"MONEY": 0.83}
    back = {"Tenant": T, "Account": "rounded",
            "Increments": [{"Cost": -0.03, "BalanceInfo": {"Monetary": {"UUID": _uuid(
                engine, "rounded")}, "AccountID": "cgrates.org:rounded"}}]}  # fmt: skip
    assert _call(engine, "Responder.RefundRounding", back) == 0
    assert _values(engine, "rounded") == {"MONEY": 0.86}

    with pytest.raises(RpcError, match=r"^ACCOUNT_NOT_FOUND$"):
        _call(engine, "Responder.Debit", _cd("nobody", "0723", 60))
    with pytest.raises(RpcError, match=r"^MAX_USAGE_EXCEEDED$"):
        _call(engine, "Responder.GetMaxSessionTime",
              {**_cd("rounded", "0723", 60), "TimeEnd": "2024-01-19T10:00:00Z"})  # fmt: skip

    usage = {"Tenant": T, "Account": "rounded", "Subject": "1001", "Destination": "0723",
             "Usage": "10s", "AnswerTime": START}  # fmt: skip
    assert _call(engine, "APIerSv1.DebitUsage", usage) == "OK"
    assert _values(engine, "rounded") == {"MONEY": 0.76}
    with pytest.raises(RpcError, match=r"^MANDATORY_IE_MISSING: \[Destination Usage\]$"):
        _call(engine, "APIerSv1.DebitUsage", {"Account": "rounded"})
    with pytest.raises(RpcError, match=r"^SERVER_ERROR: ACCOUNT_NOT_FOUND$"):
        _call(engine, "APIerSv1.DebitUsage", {**usage, "Account": "nobody"})
    max_usage = {**usage, "Usage": "5m", "SetupTime": START}
    del max_usage["AnswerTime"]
    assert _call(engine, "APIerSv1.GetMaxUsage", max_usage) == 76 * SEC
    assert _call(engine, "APIerSv1.GetMaxUsage", {**max_usage, "Usage": ""}) == 76 * SEC


def _uuid(proc: EngineProcess, name: str) -> str:
    acc = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": name})
    return str(acc["BalanceMap"]["*monetary"][0]["Uuid"])


def test_shared_group_pays_for_its_members(engine: EngineProcess) -> None:
    _balance(engine, "kid", "*monetary", "POCKET", 0.1, SharedGroups="FAMILY")
    _balance(engine, "parent", "*monetary", "WALLET", 5, SharedGroups="FAMILY")
    group = _call(engine, "APIerSv1.GetSharedGroup", "FAMILY")
    assert group["Id"] == "FAMILY"
    assert group["AccountParameters"] == {"*any": {"Strategy": "*highest", "RatingSubject": ""}}
    assert group["MemberIds"] == {"cgrates.org:kid": True, "cgrates.org:parent": True}
    assert _call(engine, "APIerSv1.GetSharedGroup", "NONE") == {
        "Id": "",
        "AccountParameters": None,
        "MemberIds": None,
    }
    # *highest: the parent's wallet pays the kid's minute
    assert _call(engine, "Responder.GetMaxSessionTime", _cd("kid", "0723", 3600)) == 510 * SEC
    cc = _call(engine, "Responder.MaxDebit", _cd("kid", "0723", 60))
    assert cc["Timespans"][0]["Increments"][0]["BalanceInfo"]["AccountID"] == "cgrates.org:parent"
    assert _values(engine, "parent") == {"WALLET": 4.4}
    assert _values(engine, "kid") == {"POCKET": 0.1}


# -- one hot account, many pipelined requests ----------------------------------------------

DEPTH = 16  # requests open at once on each connection
TENTH = Decimal("0.1")  # ten seconds of RT_SEC: ten 0.01 increments


def _pipelined(
    port: int,
    calls: Iterable[tuple[str, Any]],
    on_reply: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Send ``calls`` over one persistent connection, DEPTH of them open at once, as a
    switch does; the results in call order. ``calls`` may block to wait for its next."""
    pending = iter(calls)
    ids: list[int] = []
    results: dict[int, Any] = {}
    waiting: set[int] = set()
    more = True
    with RpcConnection(port, timeout=120) as conn:
        while True:
            while more and len(waiting) < DEPTH:
                call = next(pending, None)
                if call is None:
                    more = False
                    break
                ids.append(conn.send(*call))
                waiting.add(ids[-1])
            if not waiting:
                return [results[i] for i in ids]
            reply = conn.receive()
            if reply.error is not None:
                raise RpcError(reply.error)
            waiting.remove(reply.id)
            results[reply.id] = reply.result
            if on_reply is not None:
                on_reply(reply.result)


def _money(acc: dict[str, Any]) -> Decimal:
    """What the account's monetary balances hold together."""
    return sum((Decimal(str(b["Value"])) for b in acc["BalanceMap"].get("*monetary") or ()),
               Decimal(0))  # fmt: skip


class _Monitor(threading.Thread):
    """Reads the account on its own connection for as long as the run lasts."""

    def __init__(self, port: int, name: str) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.account = {"Tenant": T, "Account": name}
        self.seen: list[Decimal] = []
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            with RpcConnection(self.port, timeout=60) as conn:
                while not self.done.is_set():
                    self.seen.append(_money(conn.call("APIerSv2.GetAccount", self.account)))
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self) -> list[Decimal]:
        self.done.set()
        self.join(timeout=60)
        assert self.error is None, self.error
        # it read the balance while it was moving, not only before or after
        assert len(set(self.seen)) >= 3, self.seen
        return self.seen


def _cost(cc: dict[str, Any]) -> Decimal:
    return Decimal(str(cc["Cost"]))


def _debit_chain(start: Decimal, replies: list[dict[str, Any]]) -> None:
    """Each MaxDebit's AccountSummary is the balance right after it, under the account's
    lock: taken in that order (highest first), every balance is the one before it less
    that debit's cost. A lost update or two debits of one balance breaks the chain."""
    after = [(_summary_money(cc), _cost(cc)) for cc in replies if _cost(cc)]
    after.sort(key=lambda pair: pair[0], reverse=True)
    before = start
    for left, cost in after:
        assert left == before - cost, (before, cost, left)
        before = left


def _summary_money(cc: dict[str, Any]) -> Decimal:
    summaries = cc["AccountSummary"]["BalanceSummaries"]
    return sum((Decimal(str(s["Value"])) for s in summaries if s["Type"] == "*monetary"),
               Decimal(0))  # fmt: skip


def _run_debits(engine: EngineProcess, name: str, connections: int, each: int) -> list[Any]:
    port = engine.ports["rpc_json"]
    calls = [("Responder.MaxDebit", _cd(name, "0723", 10))] * each
    with concurrent.futures.ThreadPoolExecutor(max_workers=connections) as pool:
        runs = [pool.submit(_pipelined, port, calls) for _ in range(connections)]
        return [cc for run in runs for cc in run.result(timeout=300)]


def test_pipelined_max_debits_never_overspend_a_prepaid_balance(engine: EngineProcess) -> None:
    start = Decimal("37.77")  # 377 debits of 0.1, one of 0.07 and nothing for the rest
    _balance(engine, "hot", "*monetary", "MONEY", float(start))
    monitor = _Monitor(engine.ports["rpc_json"], "hot")
    monitor.start()
    replies = _run_debits(engine, "hot", connections=6, each=80)
    seen = monitor.finish()

    assert min(seen) >= 0
    costs = [_cost(cc) for cc in replies]
    left = Decimal(str(_values(engine, "hot")["MONEY"]))
    assert sum(costs) == start - left
    assert left == 0  # all that could be sold was
    assert sorted(set(costs)) == [0, Decimal("0.07"), TENTH]
    assert (costs.count(TENTH), costs.count(Decimal("0.07"))) == (377, 1)
    assert all(_summary_money(cc) >= 0 for cc in replies)
    _debit_chain(start, replies)


def test_pipelined_max_debits_of_an_allow_negative_account(engine: EngineProcess) -> None:
    start = Decimal("5.5")
    acc = {"Tenant": T, "Account": "open", "AllowNegative": True}
    assert _call(engine, "APIerSv1.SetAccount", acc) == "OK"
    _balance(engine, "open", "*monetary", "MONEY", float(start))
    monitor = _Monitor(engine.ports["rpc_json"], "open")
    monitor.start()
    replies = _run_debits(engine, "open", connections=6, each=80)
    seen = monitor.finish()

    costs = [_cost(cc) for cc in replies]
    assert set(costs) == {TENTH}  # the whole call, every time
    left = _money(_call(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "open"}))
    assert sum(costs) == start - left
    assert left == start - 480 * TENTH
    assert min(seen) < 0 <= max(seen)
    _debit_chain(start, replies)


def test_pipelined_debits_top_ups_and_refunds_add_up(engine: EngineProcess) -> None:
    """Debits, top-ups and the refunds of the debits' unused seconds, all at once."""
    port = engine.ports["rpc_json"]
    start = Decimal(2)
    _balance(engine, "busy", "*monetary", "MONEY", float(start))
    topup = {"Tenant": T, "Account": "busy", "BalanceType": "*monetary", "Value": 0.25,
             "Balance": {"ID": "MONEY"}}  # fmt: skip
    done: queue.Queue[dict[str, Any] | None] = queue.Queue()
    refunded: list[Decimal] = []

    def refunds() -> Iterator[tuple[str, Any]]:
        """For each debit that took money, give back (up to) 3 of its seconds."""
        while (cc := done.get()) is not None:
            if not _cost(cc):
                continue
            unused = []
            for inc in (inc for span in cc["Timespans"] for inc in span["Increments"]):
                seconds = min(3, inc["CompressFactor"])
                unused.append({**inc, "CompressFactor": seconds})
                refunded.append(Decimal(str(inc["Cost"])) * seconds)
            yield "Responder.RefundIncrements", {"Tenant": T, "Account": "busy",
                                                 "ToR": "*voice", "Increments": unused}  # fmt: skip

    monitor = _Monitor(port, "busy")
    monitor.start()
    calls = [("Responder.MaxDebit", _cd("busy", "0723", 10))] * 80
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        debits = [pool.submit(_pipelined, port, calls, done.put) for _ in range(4)]
        topups = pool.submit(_pipelined, port, [("APIerSv1.AddBalance", topup)] * 40)
        refunding = pool.submit(_pipelined, port, refunds())
        replies = [cc for run in debits for cc in run.result(timeout=300)]
        done.put(None)
        assert topups.result(timeout=300) == ["OK"] * 40
        refund_replies = refunding.result(timeout=300)
    seen = monitor.finish()

    assert min(seen) >= 0
    debited = sum(_cost(cc) for cc in replies)
    assert len(refund_replies) == sum(1 for cc in replies if _cost(cc))
    assert all(acc["ID"] == "cgrates.org:busy" for acc in refund_replies)
    left = Decimal(str(_values(engine, "busy")["MONEY"]))
    assert left == start + 40 * Decimal("0.25") - debited + sum(refunded)
    assert left >= 0
    assert all(_summary_money(cc) >= 0 for cc in replies)
    # the money ran out (some calls got less than asked, or nothing), and the top-ups
    # and refunds kept the account paying for longer than its start alone would have
    assert any(_cost(cc) < TENTH for cc in replies)
    assert debited > start


def test_debits_survive_a_restart(engine: EngineProcess, tmp_path: Path) -> None:
    _balance(engine, "keep", "*monetary", "MONEY", 2)
    _call(engine, "Responder.Debit", _cd("keep", "0723", 30))
    assert engine.stop() == 0
    engine.start()
    assert _values(engine, "keep") == {"MONEY": 1.7}
