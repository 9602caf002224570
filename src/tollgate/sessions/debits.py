"""Charging the runs of a session through RALs (``sessions.rals_conns``).

CGRateS v0.10's ``debitSession``, ``refundSession``, ``roundCost`` and ``endSession``: a
prepaid run debits with ``Responder.MaxDebit`` continuing its call descriptor, first out of
what an earlier debit took beyond the asked usage; at the end the run is charged to its
total usage (``Responder.Debit`` for what is missing, ``Responder.RefundIncrements`` for the
increments beyond it) and its cost rounded (``Responder.RefundRounding``). The caller holds
the session's lock.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from tollgate.core.config import SessionSCfg
from tollgate.core.errors import TollgateError
from tollgate.core.wire import encode
from tollgate.rating import CallDescriptorArgs, money
from tollgate.sessions.charges import Charges, parse_call_cost, refund_increments
from tollgate.sessions.events import (
    ANSWER_TIME,
    COST,
    COST_DETAILS,
    COST_SOURCE,
    ORIGIN_HOST,
    ORIGIN_ID,
    USAGE,
    event_string,
)
from tollgate.sessions.session import RunDescriptor, Session, SRun

__all__ = ["CallFn", "SessionDebits"]

logger = logging.getLogger(__name__)

CallFn = Callable[[Sequence[str], str, Any], Any]  # (conn ids, method, args) -> awaitable
_VOICE = "*voice"
META_SESSIONS = "*sessions"


class SessionDebits:
    """The RALs side of SessionS."""

    def __init__(
        self,
        call: Callable[[Sequence[str], str, Any], Any],
        settings: Callable[[], SessionSCfg],
        rounding_decimals: Callable[[], int],
    ) -> None:
        self._call = call
        self._settings = settings
        self._decimals = rounding_decimals

    async def rals(self, method: str, args: Any) -> Any:
        return await self._call(self._settings().rals_conns, method, args)

    async def event_cost(self, cd: RunDescriptor) -> Decimal:
        """ProcessEvent's ``*cost``: ``Responder.GetCost`` of the descriptor (nothing is
        debited), computed as ``EventCost.GetCost`` (each interval rounded *middle to
        ``rounding_decimals``, then the total)."""
        charged = parse_call_cost(await self.rals("Responder.GetCost", cd.args()))
        charges = Charges()
        charges.merge(charged.spans)
        return money(charges.cost(self._decimals()))

    async def max_session_time(self, sr: SRun) -> int:
        """``Responder.GetMaxSessionTime`` of the run's descriptor."""
        return int(await self.rals("Responder.GetMaxSessionTime", sr.cd.args()))

    async def debit(self, sr: SRun, dur: int, last_used: int | None) -> int:
        """``debitSession``: charge ``dur`` more to the run; the usage it may have."""
        rest = sr.debit_reserve(dur, last_used)
        if rest == 0:
            return dur  # all of it out of what was debited before
        from_reserve = dur - rest
        cd = sr.cd
        if cd.loop_index > 0:
            cd.time_start = cd.time_end
        cd.time_end = cd.time_start + rest
        cd.duration_index += rest
        try:
            reply = await self.rals("Responder.MaxDebit", cd.args())
        except TollgateError:
            sr.extra_duration += from_reserve
            raise
        charged = parse_call_cost(reply)
        # no timespan: nothing was charged, the next debit starts where this one did
        cd.time_end = charged.end if charged.end is not None else cd.time_start
        taken = charged.duration
        if taken > rest:
            sr.extra_duration = taken - rest
        sr.last_usage = dur if taken >= rest else taken + from_reserve
        cd.duration_index += taken - rest
        cd.max_cost_so_far += charged.cost
        cd.loop_index += 1
        sr.total_usage += sr.last_usage
        if sr.charges is None:
            if taken:
                sr.charges = Charges(start=charged.start, tz=cd.tz)
                sr.charges.merge(charged.spans)
        else:
            sr.charges.merge(charged.spans)
        return sr.last_usage

    async def refund(self, s: Session, sr: SRun, usage: int) -> None:
        """``refundSession``: give back the increments beyond ``charges.usage - usage``."""
        if sr.charges is None:
            raise TollgateError("no event cost")
        surplus = sr.charges.trim(sr.charges.usage - usage)
        increments = list(refund_increments(surplus or ()))
        if not increments:
            return
        cd = sr.cd
        args = CallDescriptorArgs(
            CgrID=s.cgrid,
            RunID=cd.run_id,
            Category=cd.category,
            Tenant=cd.tenant,
            Subject=cd.subject,
            Account=cd.account,
            Destination=cd.destination,
            ToR=cd.tor or _VOICE,
            Increments=increments,
        )
        await self.rals("Responder.RefundIncrements", args)

    async def round_cost(self, s: Session, sr: SRun) -> None:
        """``roundCost``: charge (or give back) each span's rounding to its rating."""
        if sr.charges is None:
            return
        corrections = sr.charges.round()
        if not corrections:
            return
        increments = []
        for span, correction in corrections:
            first = span.increments[0]
            wire = first.wire()
            wire.update(Duration=0, Cost=money(correction), CompressFactor=0)
            increments.append(wire)
        cd = sr.cd
        args = CallDescriptorArgs(
            CgrID=s.cgrid,
            RunID=cd.run_id,
            Category=cd.category,
            Tenant=cd.tenant,
            Subject=cd.subject,
            Account=cd.account,
            Destination=cd.destination,
            ToR=cd.tor,
            Increments=increments,
        )
        await self.rals("Responder.RefundRounding", args)

    async def _store_cost(self, s: Session, sr: SRun, details: dict[str, Any]) -> None:
        """``storeSCost``: the run's EventCost to ``CDRsV1.StoreSessionCost``, for its CDR
        to pick up; a cost already stored (EXISTS) refunds the run's last debit."""
        args = {
            "Cost": {
                "CGRID": s.cgrid,
                "RunID": sr.cd.run_id,
                "OriginHost": event_string(s.event_start, ORIGIN_HOST),
                "OriginID": event_string(s.event_start, ORIGIN_ID),
                "CostSource": META_SESSIONS,
                "Usage": sr.total_usage,
                "CostDetails": details,
            },
            "CheckDuplicate": True,
            "Tenant": s.tenant,
        }
        try:
            await self._call(self._settings().cdrs_conns, "CDRsV1.StoreSessionCost", args)
        except TollgateError as exc:
            logger.warning("<SessionS> failed storing session cost for <%s>: %s", s.cgrid, exc)
            if str(exc) == "EXISTS":
                with contextlib.suppress(TollgateError):
                    await self.refund(s, sr, sr.cd.time_end - sr.cd.time_start)

    async def _debit_missing(self, s: Session, sr: SRun, missing: int) -> None:
        """Charge ``missing`` more with ``Responder.Debit`` (terminate found too little)."""
        assert sr.charges is not None
        cd = sr.cd
        if cd.loop_index > 0:
            cd.time_start = cd.time_end
        cd.time_end = cd.time_start + missing
        cd.duration_index += missing
        reply = await self.rals("Responder.Debit", cd.args())
        sr.charges.merge(parse_call_cost(reply).spans)

    async def end_runs(
        self,
        s: Session,
        total: int | None,
        last_used: int | None,
        answer_time: str | None,
        one_shot: bool,
    ) -> None:
        """``endSession`` for the runs: settle each to its total usage, round, set the
        CDR fields. Raises the last RALs error after every run is done."""
        error: TollgateError | None = None
        for index, sr in enumerate(s.runs):
            usage = sr.total_usage
            if total is not None:
                usage = sr.total_usage = total
            elif last_used is not None and sr.last_usage != last_used:
                sr.total_usage += last_used - sr.last_usage
                usage = sr.total_usage
            if sr.charges is not None:
                if not one_shot:
                    not_charged = usage - sr.charges.usage
                    try:
                        if not_charged > 0:
                            await self._debit_missing(s, sr, not_charged)
                        elif not_charged < 0:
                            await self.refund(s, sr, -not_charged)
                    except TollgateError as exc:
                        logger.warning(
                            "<SessionS> failed settling session <%s>, run <%s>: %s",
                            s.cgrid,
                            sr.cd.run_id,
                            exc,
                        )
                        error = exc
                    try:
                        await self.round_cost(s, sr)
                    except TollgateError as exc:
                        logger.warning(
                            "<SessionS> failed rounding session <%s> cost: %s", s.cgrid, exc
                        )
                details = sr.charges.event_cost(s.cgrid, sr.cd.run_id, self._decimals())
                if self._settings().store_session_costs:
                    await self._store_cost(s, sr, details)
                sr.event[COST] = details["Cost"]
                sr.event[COST_DETAILS] = encode(details).decode()
                sr.event[COST_SOURCE] = META_SESSIONS
            if index == 0:
                s.event_start[USAGE] = sr.total_usage
            sr.event[USAGE] = sr.total_usage
            if answer_time is not None:
                sr.event[ANSWER_TIME] = answer_time
        if error is not None:
            raise error
