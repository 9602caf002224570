"""SessionControl through SessionService with fake peers (test_session_service): the
disconnect of client_protocol 0 and the session TTL's settings."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from test_session_service import Bank, Client, config, event, service

S = 1_000_000_000


async def test_client_protocol_0_disconnects_with_smgclientv1() -> None:
    bank = Bank("0.01")
    client = Client()
    svc = service(bank, config(debit_interval="100ms", client_protocol=0), client)
    await svc.initiate("cgrates.org", event(DialogID=7), client.conn_id, False)
    for _ in range(250):
        if client.calls:
            break
        await asyncio.sleep(0.02)
    ((method, params),) = client.calls
    assert method == "SMGClientV1.DisconnectSession"  # OpenSIPS 2.3's name
    assert params["Reason"] == "INSUFFICIENT_CREDIT"
    assert params["EventStart"]["DialogID"] == 7
    await svc.stop()


async def test_ttl_last_usage_from_the_config_and_from_the_event() -> None:
    bank = Bank("10")
    svc = service(bank, config(session_ttl="50ms", session_last_usage="3s"))
    await svc.initiate("cgrates.org", event("t1", Usage="2s"), "", False)
    # the event's SessionTTLLastUsage wins over session_last_usage
    await svc.initiate("cgrates.org", event("t2", Usage="2s", SessionTTLLastUsage="1s"), "", False)
    assert bank.money == Decimal("9.96")
    for _ in range(100):
        if svc.active_runs() == 0:
            break
        await asyncio.sleep(0.02)
    assert svc.active_runs() == 0
    assert bank.money == Decimal("9.92")  # 3s more for t1, 1s more for t2
    await svc.stop()


async def test_ttl_max_delay_postpones_the_end_by_at_most_the_delay() -> None:
    bank = Bank("10")
    svc = service(bank, config(session_ttl="100ms", session_ttl_max_delay="150ms"))
    await svc.initiate("cgrates.org", event(Usage="1s"), "", False)
    await asyncio.sleep(0.06)
    assert svc.active_runs() == 2  # not before the TTL itself
    for _ in range(100):
        if svc.active_runs() == 0:
            break
        await asyncio.sleep(0.02)
    assert svc.active_runs() == 0  # ended within TTL + max delay (plus scheduling)
    await svc.stop()
