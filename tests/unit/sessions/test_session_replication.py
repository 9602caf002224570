"""Sessions on the wire between SessionS nodes: what a peer gets back is what was sent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from tollgate.core.errors import TollgateError
from tollgate.core.wire import decode_any, encode
from tollgate.sessions.charges import ChargeIncrement, Charges, ChargeSpan
from tollgate.sessions.replication import removal_wire, session_from_wire, session_wire
from tollgate.sessions.session import RunDescriptor, Session, SRun

S = 1_000_000_000
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def _session() -> Session:
    charges = Charges(
        [
            ChargeSpan(
                (ChargeIncrement(0, Decimal("0.4"), 1, "t:1001", "", "m1"),), 1, "k1", 4, "*up"
            ),
            ChargeSpan(
                (ChargeIncrement(60 * S, Decimal("0.01"), 1, "t:1001", "u1", "m1"),
                 ChargeIncrement(S, Decimal(0), 30, "t:1001", "u2", "")),
                3, "k2", 2, "*middle",
            ),
        ],
        5 * S,
        PLUS2,
    )  # fmt: skip
    cd = RunDescriptor(
        "cg", "*default", "*voice", "t", "call", "1001", "1001", "1002", 5 * S, 95 * S, PLUS2,
        {"DialogID": "7"}, True, 3, 90 * S, Decimal("0.41"),
    )  # fmt: skip
    run = SRun({"RunID": "*default", "DialogID": 7}, cd, charges, 5 * S, 30 * S, 90 * S, 123 * S)
    raw = SRun({"RunID": "*raw"}, RunDescriptor("cg", "*raw", "", "t", "call", "1001", "1001",
                                                "1002", 0, 0, dt.UTC))  # fmt: skip
    return Session("cg", "t", {"OriginID": "o", "DialogID": 7}, "conn1", "res1", 10 * S, [run, raw])


def test_a_session_survives_the_trip() -> None:
    s = _session()
    wire = decode_any(encode(session_wire(s, 5)))  # through JSON, as a peer reads it
    back = session_from_wire(wire)
    assert (back.cgrid, back.tenant, back.client_conn_id, back.resource_id) == (
        "cg", "t", "conn1", "res1")  # fmt: skip
    assert back.event_start == {"OriginID": "o", "DialogID": 7}
    assert back.debit_interval == 10 * S
    run, raw = back.runs
    original = s.runs[0]
    assert run.event == original.event
    assert msgspec.structs.asdict(run.cd.args()) == msgspec.structs.asdict(original.cd.args())
    assert run.charges == original.charges
    assert (run.extra_duration, run.last_usage, run.total_usage, run.next_auto_debit) == (
        5 * S, 30 * S, 90 * S, 123 * S)  # fmt: skip
    assert raw.charges is None
    assert raw.next_auto_debit is None
    assert wire["SRuns"][0]["EventCost"]["Cost"] == Decimal("0.43")
    assert wire["SRuns"][0]["EventCost"]["StartTime"] == "1970-01-01T02:00:05+02:00"
    assert removal_wire("cg") == {"CGRID": "cg", "EventStart": None}


def test_unreadable_sessions_are_refused() -> None:
    with pytest.raises(TollgateError, match="CGRID"):
        session_from_wire({"EventStart": {}})
    with pytest.raises(TollgateError, match=r"SERVER_ERROR: CD\.TimeStart"):
        session_from_wire({"CGRID": "c", "EventStart": {}, "SRuns": [{"CD": {}}]})
    with pytest.raises(TollgateError, match="SERVER_ERROR: EventStart: not an object"):
        session_from_wire({"CGRID": "c", "EventStart": "x"})
