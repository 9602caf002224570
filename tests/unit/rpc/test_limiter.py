from __future__ import annotations

from tollgate.rpc.dispatch import Limiter


async def test_reconfigure_switches_between_busy_queue_and_off() -> None:
    limiter = Limiter(0, "*busy")
    assert not limiter.enabled
    limiter.configure(2, "*queue")
    assert limiter.enabled
    assert limiter.queues
    queue = limiter._sem
    limiter.configure(2, "*queue")
    assert limiter._sem is queue  # unchanged settings keep the queue and its waiters
    limiter.configure(3, "*queue")
    assert limiter._sem is not queue
    limiter.configure(1, "*busy")
    assert limiter.enabled
    assert not limiter.queues
    limiter.configure(0, "*busy")
    assert not limiter.enabled
