"""Every acknowledged ``Responder.Debit`` survives ``kill -9`` of the engine.

Eight clients debit one account (0.6 per call) as fast as the engine answers; after enough
acknowledgements the engine is killed with SIGKILL, restarted on the same data folder, and
the balance must show every acknowledged debit (and at most one more per client: those
written but killed before their reply left).
"""

from __future__ import annotations

import signal
import threading
from decimal import Decimal
from pathlib import Path

from one_rate_plan import write_plan

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
CLIENTS = 8
ACKED_BEFORE_KILL = 150
COST = Decimal("0.6")
START_VALUE = Decimal(10000)


DEBIT = {
    "Category": "call",
    "Tenant": T,
    "Account": "1001",
    "Subject": "1001",
    "Destination": "0723",
    "TimeStart": "2024-01-15T10:00:00Z",
    "TimeEnd": "2024-01-15T10:01:00Z",
}


def _money(port: int) -> Decimal:
    acc = rpc(port, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1001"})
    return Decimal(str(acc["BalanceMap"]["*monetary"][0]["Value"]))


def test_acknowledged_debits_survive_sigkill(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan")
    engine = EngineProcess.prepare(tmp_path / "engine")
    with engine:
        engine.start()
        port = engine.ports["rpc_json"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(plan)}) == "OK"
        balance = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary",
                   "Value": float(START_VALUE), "Balance": {"ID": "MONEY"}}  # fmt: skip
        assert rpc(port, "APIerSv1.SetBalance", balance) == "OK"

        acked: list[Decimal] = []
        lock = threading.Lock()
        enough = threading.Event()

        def client() -> None:
            while True:
                try:
                    reply = rpc(port, "Responder.Debit", DEBIT, timeout=30)
                except (OSError, RpcError):
                    return  # the engine is gone
                with lock:
                    acked.append(Decimal(str(reply["Cost"])))
                    if len(acked) >= ACKED_BEFORE_KILL:
                        enough.set()

        threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=120), engine.log()[-3000:]
        engine.signal(signal.SIGKILL)
        assert engine.proc is not None
        assert engine.proc.wait(timeout=10) == -signal.SIGKILL
        for thread in threads:
            thread.join(timeout=30)
        with lock:
            paid = list(acked)

        engine.start()
        left = _money(engine.ports["rpc_json"])

    assert all(cost == COST for cost in paid)
    debited = (START_VALUE - left) / COST
    assert debited == int(debited), left
    # every acknowledged debit is there; at most one unacknowledged one per client
    assert len(paid) <= debited <= len(paid) + CLIENTS, (len(paid), debited)
