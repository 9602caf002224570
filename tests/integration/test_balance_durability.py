"""Every acknowledged balance change survives ``kill -9`` of the engine, whichever method
made it: ``Responder.MaxDebit``, ``Responder.RefundIncrements``, ``APIerSv1.AddBalance``,
``SetBalance`` and ``DebitBalance``.

Eight clients, each on its own persistent connection with requests pipelined, change one
account as fast as the engine answers (the DataDB snapshots every 100 records, so kills
land around log rotations too). After enough acknowledgements the engine is killed with
SIGKILL, restarted on the same data folder, and each client's balance must hold every
change it was told was made, and nothing more than it asked for: no acknowledged change
is lost and no request is applied twice. The account lock is let go before the fsync wait,
so the changes of one hot account share group commits; these tests prove the reply still
waits for its own write.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from one_rate_plan import write_plan

from tollgate.testing.client import RpcConnection, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
ACCOUNT = "hot"
ACCOUNT_ID = f"{T}:{ACCOUNT}"
CLIENTS = 8
ACKED_BEFORE_KILL = 300
START = Decimal(100000)
COST = Decimal("0.6")  # one minute of RT_SEC


@dataclass
class Stream:
    """One client's requests: sequence number by request id, and what was answered."""

    sent: dict[int, int] = field(default_factory=dict)
    acked: dict[int, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def open(self) -> list[int]:
        """The sequence numbers of the requests left without an answer."""
        return sorted(seq for rid, seq in self.sent.items() if rid not in self.acked)


Request = Callable[[int, int], tuple[str, dict[str, Any]]]  # (client, seq) -> method, params

CALL = {"Category": "call", "Tenant": T, "Account": ACCOUNT, "Subject": ACCOUNT,
        "Destination": "0723", "TimeStart": "2024-01-15T10:00:00Z",
        "TimeEnd": "2024-01-15T10:01:00Z"}  # fmt: skip


def _balance_id(client: int) -> str:
    return f"C{client}"


def _set_balance(port: int, balance_id: str, value: Decimal, weight: int = 0) -> None:
    params = {"Tenant": T, "Account": ACCOUNT, "BalanceType": "*monetary",
              "Value": float(value), "Balance": {"ID": balance_id, "Weight": weight}}  # fmt: skip
    assert rpc(port, "APIerSv1.SetBalance", params) == "OK"


def _values(port: int) -> dict[str, Decimal]:
    acc = rpc(port, "APIerSv2.GetAccount", {"Tenant": T, "Account": ACCOUNT}, timeout=30)
    return {b["ID"]: Decimal(str(b["Value"])) for b in acc["BalanceMap"]["*monetary"]}


def _uuids(port: int) -> dict[str, str]:
    acc = rpc(port, "APIerSv2.GetAccount", {"Tenant": T, "Account": ACCOUNT})
    return {b["ID"]: b["Uuid"] for b in acc["BalanceMap"]["*monetary"]}


# -- the requests: client ``client``'s request number ``seq`` --------------------------------


def _max_debit(client: int, seq: int) -> tuple[str, dict[str, Any]]:
    """A minute (0.6), paid by MONEY: the highest weight and never short."""
    return "Responder.MaxDebit", CALL


def _top_up(client: int, seq: int) -> tuple[str, dict[str, Any]]:
    return "APIerSv1.AddBalance", {
        "Tenant": T, "Account": ACCOUNT, "BalanceType": "*monetary", "Value": 1.5,
        "Balance": {"ID": _balance_id(client)}}  # fmt: skip


def _take(client: int, seq: int) -> tuple[str, dict[str, Any]]:
    return "APIerSv1.DebitBalance", {
        "Tenant": T, "Account": ACCOUNT, "BalanceType": "*monetary", "Value": 0.25,
        "Balance": {"ID": _balance_id(client)}}  # fmt: skip


def _set_value(client: int, seq: int) -> tuple[str, dict[str, Any]]:
    return "APIerSv1.SetBalance", {
        "Tenant": T, "Account": ACCOUNT, "BalanceType": "*monetary", "Value": seq + 1,
        "Balance": {"ID": _balance_id(client)}}  # fmt: skip


def _refund(uuids: dict[str, str]) -> Request:
    """Give 30 increments of 0.01 (0.3) back to the client's balance, by its UUID."""

    def request(client: int, seq: int) -> tuple[str, dict[str, Any]]:
        info = {"Monetary": {"UUID": uuids[_balance_id(client)]}, "AccountID": ACCOUNT_ID}
        return "Responder.RefundIncrements", {
            "Tenant": T, "Account": ACCOUNT, "ToR": "*voice",
            "Increments": [{"Duration": 10**9, "Cost": 0.01, "CompressFactor": 30,
                            "BalanceInfo": info}]}  # fmt: skip

    return request


def _hammer(
    engine: EngineProcess, request: Request, depths: list[int] | None = None, first_seq: int = 0
) -> list[Stream]:
    """Run the clients (``depths``: how many requests each keeps open, 4 by default; their
    sequence numbers from ``first_seq``) until ACKED_BEFORE_KILL answers came, then SIGKILL
    the engine."""
    depths = depths or [4] * CLIENTS
    port = engine.ports["rpc_json"]
    streams = [Stream() for _ in depths]
    lock = threading.Lock()
    acks = [0]
    enough = threading.Event()

    def client(index: int) -> None:
        stream = streams[index]
        seq = first_seq
        try:
            with RpcConnection(port, timeout=60) as conn:
                while True:
                    while len(stream.sent) - len(stream.acked) < depths[index]:
                        rid = conn.send(*request(index, seq))
                        stream.sent[rid] = seq
                        seq += 1
                    reply = conn.receive()
                    stream.acked[reply.id] = reply.result
                    if reply.error is not None:
                        stream.errors.append(reply.error)
                    with lock:
                        acks[0] += 1
                        if acks[0] >= ACKED_BEFORE_KILL:
                            enough.set()
        except OSError:
            return  # the engine is gone

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(depths))]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=120), engine.log()[-3000:]
    engine.signal(signal.SIGKILL)
    assert engine.proc is not None
    assert engine.proc.wait(timeout=30) == -signal.SIGKILL
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    errors = [error for stream in streams for error in stream.errors]
    assert errors == [], errors[:5]
    return streams


def _restarted(engine: EngineProcess) -> int:
    engine.start()
    return engine.ports["rpc_json"]


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    plan = write_plan(tmp_path / "plan")
    extra = {"data_db": {"internal_snapshot_records": 100}}
    with EngineProcess.prepare(tmp_path / "engine", extra) as proc:
        proc.start()
        reply = rpc(proc.ports["rpc_json"], "APIerSv1.LoadTariffPlanFromFolder",
                    {"FolderPath": str(plan)}, timeout=60)  # fmt: skip
        assert reply == "OK"
        yield proc


# -- the checks ----------------------------------------------------------------------------


def _check_count(index: int, stream: Stream, moved_by: Decimal, unit: Decimal) -> None:
    """The client's balance moved by ``unit`` once per acknowledged request at least, and
    once per sent request at most."""
    moved = moved_by / unit
    assert moved == int(moved), (index, moved_by)
    assert len(stream.acked) <= moved <= len(stream.sent), (
        f"client {index}: {moved} changes applied, {len(stream.acked)} acknowledged, "
        f"{len(stream.sent)} sent"
    )


def _check_set(index: int, stream: Stream, got: Decimal, before: Decimal = Decimal(0)) -> None:
    """With one request open at a time, the value left is the last acknowledged one (the
    value ``before`` the run when none was) or the one the client was still waiting for."""
    last = max((stream.sent[rid] + 1 for rid in stream.acked), default=before)
    allowed = {last} | {seq + 1 for seq in stream.open}
    assert got in allowed, f"client {index}: {got}, last acknowledged {last}"


def _check_max_debits(streams: list[Stream], left: Decimal, before: Decimal = START) -> None:
    """Every acknowledged MaxDebit took its 0.6; none was applied without being sent."""
    costs = [Decimal(str(cc["Cost"])) for stream in streams for cc in stream.acked.values()]
    assert costs
    assert set(costs) == {COST}
    debited = (before - left) / COST
    assert debited == int(debited), left
    sent = sum(len(stream.sent) for stream in streams)
    assert len(costs) <= debited <= sent, (len(costs), debited, sent)


def _acked(streams: list[Stream]) -> int:
    return sum(len(stream.acked) for stream in streams)


# -- one method at a time ------------------------------------------------------------------


def test_acknowledged_max_debits_survive_sigkill(engine: EngineProcess) -> None:
    _set_balance(engine.ports["rpc_json"], "MONEY", START)
    streams = _hammer(engine, _max_debit)
    _check_max_debits(streams, _values(_restarted(engine))["MONEY"])


def test_acknowledged_top_ups_survive_sigkill(engine: EngineProcess) -> None:
    streams = _hammer(engine, _top_up)
    values = _values(_restarted(engine))
    for index, stream in enumerate(streams):
        got = values.get(_balance_id(index), Decimal(0))
        _check_count(index, stream, got, Decimal("1.5"))
    assert _acked(streams) >= ACKED_BEFORE_KILL


def test_acknowledged_balance_debits_survive_sigkill(engine: EngineProcess) -> None:
    for client in range(CLIENTS):
        _set_balance(engine.ports["rpc_json"], _balance_id(client), START)
    streams = _hammer(engine, _take)
    values = _values(_restarted(engine))
    for index, stream in enumerate(streams):
        _check_count(index, stream, START - values[_balance_id(index)], Decimal("0.25"))
    assert _acked(streams) >= ACKED_BEFORE_KILL


def test_acknowledged_refunds_survive_sigkill(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    for client in range(CLIENTS):
        _set_balance(port, _balance_id(client), START)
    streams = _hammer(engine, _refund(_uuids(port)))
    values = _values(_restarted(engine))
    for index, stream in enumerate(streams):
        _check_count(index, stream, values[_balance_id(index)] - START, Decimal("0.3"))
    assert _acked(streams) >= ACKED_BEFORE_KILL


def test_acknowledged_set_balances_survive_sigkill(engine: EngineProcess) -> None:
    streams = _hammer(engine, _set_value, [1] * CLIENTS)
    values = _values(_restarted(engine))
    for index, stream in enumerate(streams):
        _check_set(index, stream, values.get(_balance_id(index), Decimal(0)))
    assert _acked(streams) >= ACKED_BEFORE_KILL


# -- all of them at once on one account, killed twice ----------------------------------------


def test_acknowledged_changes_of_every_kind_on_one_account_survive_sigkill(
    engine: EngineProcess,
) -> None:
    """Two clients of each method change one account together: each write of the account
    carries every balance, so a change lost to another method's write shows too. The
    engine is killed, restarted and checked twice: the second run appends to the log the
    first one recovered."""
    port = engine.ports["rpc_json"]
    kinds = ["max_debit", "top_up", "take", "refund", "set"] * 2
    _set_balance(port, "MONEY", START, weight=100)  # the MaxDebits take only this one
    for client, kind in enumerate(kinds):
        if kind in ("take", "refund"):
            _set_balance(port, _balance_id(client), START)
    refund = _refund(_uuids(port))
    requests: dict[str, Request] = {"max_debit": _max_debit, "top_up": _top_up,
                                    "take": _take, "refund": refund,
                                    "set": _set_value}  # fmt: skip

    def request(client: int, seq: int) -> tuple[str, dict[str, Any]]:
        return requests[kinds[client]](client, seq)

    depths = [1 if kind == "set" else 4 for kind in kinds]
    before = _values(port)
    for run in range(2):
        streams = _hammer(engine, request, depths, first_seq=run * 100_000)
        values = _values(_restarted(engine))
        debits = [s for s, k in zip(streams, kinds, strict=True) if k == "max_debit"]
        _check_max_debits(debits, values["MONEY"], before["MONEY"])
        for index, (stream, kind) in enumerate(zip(streams, kinds, strict=True)):
            was = before.get(_balance_id(index), Decimal(0))
            got = values.get(_balance_id(index), Decimal(0))
            if kind == "top_up":
                _check_count(index, stream, got - was, Decimal("1.5"))
            elif kind == "take":
                _check_count(index, stream, was - got, Decimal("0.25"))
            elif kind == "refund":
                _check_count(index, stream, got - was, Decimal("0.3"))
            elif kind == "set":
                _check_set(index, stream, got, was)
        assert all(stream.acked for stream in streams)
        before = values
