"""Rating a CDR through RALs (v0.10's ``rateCDR``, ``getCostFromRater``, ``refundEventCost``).

* ``*none`` CDRs are not rated.
* A ``*prepaid`` CDR with usage and no CostDetails takes the cost SessionS stored in
  ``sessions_costs`` (asked ``session_cost_retries`` times, Fibonacci seconds apart); a
  stored cost for another usage is refunded and the CDR rated again.
* CostDetails covering the CDR's usage are kept; others are refunded first.
* ``*prepaid``/``*postpaid``/``*pseudoprepaid`` are debited (``Responder.Debit``), the rest
  (``*rated``) only priced (``Responder.GetCost``), over ``cdrs.rals_conns``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from tollgate.cdrs.eventcost import (
    EventCost,
    compute,
    event_cost_from_call_cost,
    parse_event_cost,
    refund_descriptor,
)
from tollgate.cdrs.models import CDR
from tollgate.core.errors import NotConnectedError, TollgateError
from tollgate.core.times import format_rfc3339
from tollgate.rating import money
from tollgate.storage.stordb import CDRStore

__all__ = [
    "ACCOUNTABLE_REQUEST_TYPES",
    "DEBITED_REQUEST_TYPES",
    "Rater",
]

logger = logging.getLogger(__name__)

META_NONE: Final = "*none"
META_CDRS: Final = "*cdrs"
LAST_USED: Final = "LastUsed"
ORIGIN_ID_PREFIX: Final = "OriginIDPrefix"
PREPAID_REQUEST_TYPES: Final = frozenset({"*prepaid", "prepaid"})
# ``reqTypes``: debited through Responder.Debit, the rest priced through GetCost
DEBITED_REQUEST_TYPES: Final = frozenset(
    {"*pseudoprepaid", "*postpaid", "*prepaid", "pseudoprepaid", "postpaid", "prepaid"}
)
# ``utils.AccountableRequestTypes``: whose CostDetails are refunded
ACCOUNTABLE_REQUEST_TYPES: Final = frozenset({"*prepaid", "*postpaid", "*pseudoprepaid"})

Call = Callable[[Sequence[str], str, Any], Awaitable[Any]]


def _fib_seconds() -> Callable[[], int]:
    a, b = 0, 1

    def step() -> int:
        nonlocal a, b
        a, b = b, a + b
        return a

    return step


@dataclass(slots=True)
class Rater:
    """Rates and refunds CDRs over RALs; ``call`` is ConnManager.call."""

    call: Call
    rals_conns: Sequence[str]
    decimals: int
    store: Callable[[], CDRStore]
    session_cost_retries: int = 5
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def refund(self, ec: EventCost | None, request_type: str, tor: str) -> bool:
        """``refundEventCost``: give the CostDetails' charges back; True when it did."""
        if not self.rals_conns:
            raise NotConnectedError("RALs")
        if ec is None or request_type not in ACCOUNTABLE_REQUEST_TYPES:
            return False
        cd = refund_descriptor(ec, tor, self.decimals)
        if not cd["Increments"]:
            return False
        await self.call(self.rals_conns, "Responder.RefundIncrements", cd)
        return True

    async def cost_from_rater(self, cdr: CDR) -> EventCost:
        """``getCostFromRater``: debit or price the CDR's usage from its answer time (the
        setup time when unanswered); the CostDetails of the reply."""
        if not self.rals_conns:
            raise NotConnectedError("RALs")
        start = cdr.setup_time if cdr.answer_time.is_zero else cdr.answer_time
        args = {
            "Category": cdr.category,
            "Tenant": cdr.tenant,
            "Subject": cdr.subject,
            "Account": cdr.account,
            "Destination": cdr.destination,
            "TimeStart": format_rfc3339(start.ns, start.tz),
            "TimeEnd": format_rfc3339(start.ns + cdr.usage, start.tz),
            "DurationIndex": cdr.usage,
            "ToR": cdr.tor,
            "PerformRounding": True,
        }
        method = (
            "Responder.Debit" if cdr.request_type in DEBITED_REQUEST_TYPES else "Responder.GetCost"
        )
        reply = await self.call(self.rals_conns, method, args)
        cdr.cost_source = META_CDRS
        return event_cost_from_call_cost(reply, cdr.cgrid, cdr.run_id, self.decimals)

    async def rate(self, cdr: CDR) -> list[CDR]:
        """``rateCDR``: the rated CDR (several when session costs matched by OriginID
        prefix), none for ``*none``; TollgateError when RALs fails."""
        if cdr.request_type == META_NONE:
            return []
        cdr.usage = max(cdr.usage, 0)
        cdr.extra_info = ""  # a re-rating clears the previous error
        if (
            cdr.request_type in PREPAID_REQUEST_TYPES
            and (cdr.usage != 0 or LAST_USED in cdr.extra_fields)
            and cdr.cost_details is None
        ):
            rated = await self._from_session_costs(cdr)
            if rated:
                return rated
            logger.warning(
                "<CDRs> no session cost for cgrid <%s>, runid <%s>, originID <%s>, "
                "originHost <%s>: will recalculate",
                cdr.cgrid,
                cdr.run_id,
                cdr.origin_id,
                cdr.origin_host,
            )
        if cdr.cost_details is not None:
            ec = compute(cdr.cost_details, self.decimals)
            if cdr.usage == ec.Usage:  # already rated for the whole usage
                cdr.cost = money(ec.Cost if ec.Cost is not None else cdr.cost)
                return [cdr]
            await self.refund(cdr.cost_details, cdr.request_type, cdr.tor)
            cdr.cost_details = None
        ec = await self.cost_from_rater(cdr)
        cdr.cost = money(ec.Cost) if ec.Cost is not None else cdr.cost
        cdr.cost_details = ec
        return [cdr]

    async def rate_with_error(self, cdr: CDR) -> list[CDR]:
        """``rateCDRWithErr``: a failed rating leaves Cost -1 and the error in ExtraInfo."""
        try:
            return await self.rate(cdr)
        except TollgateError as exc:
            cdr.cost = Decimal(-1)
            cdr.extra_info = str(exc)
            return [cdr]

    async def _from_session_costs(self, cdr: CDR) -> list[CDR]:
        prefix = cdr.extra_fields.get(ORIGIN_ID_PREFIX, "")
        cgrid = "" if ORIGIN_ID_PREFIX in cdr.extra_fields else cdr.cgrid
        store = self.store()
        fib = _fib_seconds()
        costs = []
        for attempt in range(self.session_cost_retries):
            costs = await store.get_sm_costs(cgrid, cdr.run_id, cdr.origin_host, prefix)
            if costs or attempt == self.session_cost_retries - 1:
                break
            await self.sleep(fib())
        out = []
        for sm in costs:
            clone = cdr.clone()
            clone.origin_id = sm.origin_id
            ec = parse_event_cost(sm.cost_details)
            if ec is None:
                continue
            cost_source = sm.cost_source
            if cdr.usage == 0:
                clone.usage = sm.usage
            elif sm.usage != cdr.usage:  # charged for another usage: give it back, rate again
                await self.refund(ec, clone.request_type, clone.tor)
                clone.cost_details = None
                ec = await self.cost_from_rater(clone)
                cost_source = META_CDRS
            compute(ec, self.decimals)
            clone.cost = money(ec.Cost) if ec.Cost is not None else clone.cost
            clone.cost_details = ec
            clone.cost_source = cost_source
            out.append(clone)
        return out
