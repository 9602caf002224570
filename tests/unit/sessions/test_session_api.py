"""SessionSv1's methods over the fake peers of test_session_service: ProcessEvent's flags
(SupplierS options in both spellings, ``*cost``), the client-side method names, and the
1.0-era argument spellings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
from test_session_service import ANSWER, Bank, config, event, service

from tollgate.core.api import CallContext
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_rfc3339
from tollgate.core.wire import encode
from tollgate.sessions import SessionSv1Sessions
from tollgate.sessions.models import (
    V1AuthorizeArgs,
    V1ProcessEventArgs,
    V1ProcessEventReply,
    V1ProcessMessageArgs,
)

S = 1_000_000_000


class Peers(Bank):
    """The bank plus Responder.GetCost (nothing debited) and a SupplierS that records
    what it was asked."""

    def __init__(self, money: str) -> None:
        super().__init__(money)
        self.asked: list[Any] = []

    def handle(self, method: str, args: Any) -> Any:
        if method == "Responder.GetCost":
            self.calls.append(method)
            self.asked.append(args)
            if args.Account == "nobody":
                raise TollgateError("ACCOUNT_NOT_FOUND")
            begin = parse_rfc3339(args.TimeStart).ns
            seconds = -(-(parse_rfc3339(args.TimeEnd).ns - begin) // S)
            return self._cost(seconds, begin)
        if method == "SupplierSv1.GetSuppliers":
            self.asked.append(args)
            return {"ProfileID": "SPL_1", "Sorting": "*least_cost", "Count": 0,
                    "SortedSuppliers": []}  # fmt: skip
        return super().handle(method, args)


def api(peers: Peers, **settings: Any) -> SessionSv1Sessions:
    return SessionSv1Sessions(service(peers, config(**settings)))


async def process(sessions: SessionSv1Sessions, *flags: str, **ev: Any) -> V1ProcessEventReply:
    args = V1ProcessEventArgs(Flags=list(flags), Event=event("pe-1", **ev))
    return await sessions.process_event(args, CallContext())


@pytest.mark.parametrize(
    ("flags", "ignore_errors", "max_cost"),
    [
        (["*suppliers"], False, ""),
        (["*suppliers:*ignore_errors;*event_cost"], True, "*event_cost"),
        (["*suppliers", "*suppliers_ignore_errors"], True, ""),
        (["*suppliers", "*suppliers_event_cost"], False, "*event_cost"),
        (["*suppliers", "*suppliers_maxcost:0.5"], False, "0.5"),
        (["*suppliers", "*suppliers_maxcost:0.5", "*suppliers_event_cost"], False, "*event_cost"),
        (["*routes", "*routes_ignore_errors", "*routes_event_cost"], True, "*event_cost"),
        (["*routes", "*routes_maxcost:2"], False, "2"),
    ],
)
async def test_process_event_reads_every_supplier_option_spelling(
    flags: list[str], ignore_errors: bool, max_cost: str
) -> None:
    peers = Peers("10")
    sessions = api(peers, suppliers_conns=["*internal"])
    reply = await process(sessions, *flags)
    assert reply.Suppliers is not None
    (asked,) = peers.asked
    assert (asked["IgnoreErrors"], asked["MaxCost"]) == (ignore_errors, max_cost)


async def test_authorize_takes_the_routes_spellings_of_the_supplier_arguments() -> None:
    peers = Peers("10")
    sessions = api(peers, suppliers_conns=["*internal"])
    args = msgspec.convert(
        {"GetRoutes": True, "RoutesMaxCost": "*event_cost", "RoutesIgnoreErrors": True,
         "Event": event("auth-1")},
        V1AuthorizeArgs,
    )  # fmt: skip
    reply = await sessions.authorize_event(args, CallContext())
    assert reply.Suppliers is not None
    (asked,) = peers.asked
    assert (asked["IgnoreErrors"], asked["MaxCost"]) == (True, "*event_cost")
    message = msgspec.convert({"GetRoutes": True, "Event": event("msg-1")}, V1ProcessMessageArgs)
    assert (await sessions.process_message(message, CallContext())).Suppliers is not None
    assert peers.asked[1]["MaxCost"] == ""


async def test_cost_asks_rals_for_the_event_without_debiting() -> None:
    peers = Peers("10")
    sessions = api(peers)
    reply = await process(sessions, "*cost", Usage="90s", Category="call")
    assert reply.Cost == Decimal("0.9")
    assert peers.money == Decimal("10")  # nothing debited, no session kept
    assert peers.calls == ["Responder.GetCost"]  # the event as it is, not forked
    assert sessions.service.active == {}
    (cd,) = peers.asked
    assert (cd.Category, cd.Subject, cd.Account, cd.Destination, cd.ToR) == (
        "call", "1001", "1001", "1003", "*voice"
    )  # fmt: skip
    assert (cd.TimeStart, cd.TimeEnd) == (ANSWER, "2024-01-08T10:01:30Z")
    wire = msgspec.json.decode(encode(reply))
    assert list(wire) == ["MaxUsage", "Cost", "ResourceAllocation", "Attributes", "Suppliers",
                          "ThresholdIDs", "StatQueueIDs"]  # fmt: skip
    assert wire["Cost"] == 0.9


async def test_cost_defaults_category_and_start_time() -> None:
    peers = Peers("10")
    sessions = api(peers)
    ev = {"AnswerTime": "", "SetupTime": ANSWER, "Usage": "3s"}
    reply = await process(sessions, "*cost", **ev)
    assert reply.Cost == Decimal("0.03")
    (cd,) = peers.asked
    assert cd.Category == "call"  # general.default_category
    assert cd.TimeStart == ANSWER
    assert msgspec.json.decode(encode(await process(sessions)))["Cost"] is None


async def test_cost_errors_come_back_as_rals_gives_them() -> None:
    sessions = api(Peers("10"), rals_conns=[])
    with pytest.raises(TollgateError, match=r"^MANDATORY_IE_MISSING: \[connIDs\]$"):
        await process(sessions, "*cost", Usage="1s")
    sessions = api(Peers("10"))
    with pytest.raises(TollgateError, match=r"^ACCOUNT_NOT_FOUND$"):
        await process(sessions, "*cost", Usage="1s", Account="nobody")
