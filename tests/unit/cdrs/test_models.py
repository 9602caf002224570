"""The CDR: from events, ProcessCDR arguments, ExternalCDRs and rows; to events and replies."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tollgate.cdrs.args import CDRArgs, ExternalCDR
from tollgate.cdrs.eventcost import EventCost
from tollgate.cdrs.models import CDR, CDRDefaults, cgrid_of
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_rfc3339
from tollgate.core.wire import decode_any, encode

S = 1_000_000_000
DEFAULTS = CDRDefaults(request_type="*rated", tenant="cgrates.org", category="call", timezone="UTC")


def test_cgrid_is_sha1_of_origin_id_and_host() -> None:
    # the CGRID the sessions conformance case expects for OriginID TestSSv1It2/TestSSv1It3
    assert cgrid_of("TestSSv1It2", "TestSSv1It3") == "f7f5cf1029905f9b98be1a608e4bd975b8e51413"
    assert cgrid_of("TestSSv1It1", "") == "5668666d6b8e44eb949042f25ce0796ec3592ff9"


def test_from_event_reads_main_fields_and_keeps_the_rest_as_strings() -> None:
    event = {
        "OriginID": "abc",
        "OriginHost": "10.0.0.1",
        "RequestType": "*postpaid",
        "Account": "1001",
        "Destination": "1002",
        "SetupTime": "2024-01-02 10:00:00",
        "AnswerTime": "1704189605",
        "Usage": "2m10s",
        "Cost": Decimal("0.5"),
        "PreRated": "true",
        "Partial": False,
        "OrderID": "7",
        "rated": "true",
        "PayPal": "a@b",
        "Count": 3,
        "Ratio": Decimal("0.25"),
        "Flag": True,
    }
    cdr = CDR.from_event(event, "cgrates.org", DEFAULTS)
    assert cdr.cgrid == cgrid_of("abc", "10.0.0.1")
    assert (cdr.run_id, cdr.tor, cdr.tenant, cdr.category) == (
        "*default",
        "*voice",
        "cgrates.org",
        "call",
    )
    assert (cdr.account, cdr.subject, cdr.request_type) == ("1001", "1001", "*postpaid")
    assert cdr.setup_time.ns == parse_rfc3339("2024-01-02T10:00:00Z").ns
    assert cdr.answer_time.ns == parse_rfc3339("2024-01-02T10:00:05Z").ns
    assert (cdr.usage, cdr.cost, cdr.pre_rated, cdr.order_id) == (130 * S, Decimal("0.5"), True, 7)
    assert cdr.extra_fields == {"PayPal": "a@b", "Count": "3", "Ratio": "0.25", "Flag": "true"}


def test_from_event_without_defaults_and_with_event_tenant() -> None:
    cdr = CDR.from_event({"Tenant": "t2", "Usage": 5}, "t1", None)
    assert (cdr.tenant, cdr.usage, cdr.run_id, cdr.cgrid, cdr.cost) == (
        "t2",
        5,
        "",
        "",
        Decimal(-1),
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("AnswerTime", 1704189605, "to time.Time"),
        ("AnswerTime", "yesterday-ish", "Unsupported time format"),
        ("Usage", "forever", "invalid duration"),
        ("Cost", "cheap", "invalid syntax"),
        ("PreRated", "maybe", "invalid syntax"),
        ("OrderID", "first", "invalid syntax"),
        ("CostDetails", "{nope", "EventCost"),
    ],
)
def test_from_event_refuses_bad_main_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(TollgateError, match=message):
        CDR.from_event({field: value}, "cgrates.org", DEFAULTS)


def test_as_event_round_trips_through_json() -> None:
    cdr = CDR.from_event(
        {"OriginID": "abc", "Account": "1001", "AnswerTime": "2024-01-02T10:00:05+02:00",
         "Usage": 60 * S, "x": "y", "CostDetails": {"Usage": 60 * S, "Cost": 0.2}},
        "cgrates.org", DEFAULTS,
    )  # fmt: skip
    event = decode_any(encode(cdr.as_event()))
    assert event["AnswerTime"] == "2024-01-02T10:00:05+02:00"
    assert event["Usage"] == 60 * S
    assert event["CostDetails"]["Cost"] == Decimal("0.2")
    again = CDR.from_event(event, "cgrates.org", DEFAULTS)
    assert again == cdr


def test_reply_and_external_shapes() -> None:
    cdr = CDR(cgrid="c", run_id="*default", tor="*voice", usage=130 * S, cost=Decimal("0.71690"),
              setup_time=parse_rfc3339("2024-01-02T10:00:00.5Z"),
              cost_details=EventCost(CGRID="c", Usage=130 * S))  # fmt: skip
    reply = msgspec.to_builtins(cdr.to_reply(), builtin_types=(Decimal,))
    assert list(reply) == [
        "CGRID", "RunID", "OrderID", "OriginHost", "Source", "OriginID", "ToR", "RequestType",
        "Tenant", "Category", "Account", "Subject", "Destination", "SetupTime", "AnswerTime",
        "Usage", "ExtraFields", "ExtraInfo", "Partial", "PreRated", "CostSource", "Cost",
        "CostDetails",
    ]  # fmt: skip
    assert reply["SetupTime"] == "2024-01-02T10:00:00.5Z"
    assert reply["AnswerTime"] == "0001-01-01T00:00:00Z"
    assert reply["Cost"] == Decimal("0.7169")
    ext = cdr.to_external()
    assert (ext.Usage, ext.SetupTime, ext.Cost) == (
        "2m10s",
        "2024-01-02T10:00:00Z",
        Decimal("0.7169"),
    )
    assert decode_any(ext.CostDetails)["CGRID"] == "c"
    cdr.tor, cdr.usage, cdr.cost_details = "*data", 2048, None
    assert (cdr.to_external().Usage, cdr.to_external().CostDetails) == ("2048", "null")


def test_record_round_trip_drops_only_what_the_table_lacks() -> None:
    cdr = CDR.from_event(
        {"OriginID": "abc", "Account": "1001", "AnswerTime": "2024-01-02T10:00:05Z",
         "Usage": 60 * S, "PreRated": True, "x": "y", "Cost": Decimal("1.5"),
         "CostDetails": {"CGRID": "c", "Usage": 60 * S, "Cost": 1.5}},
        "cgrates.org", DEFAULTS,
    )  # fmt: skip
    back = CDR.from_record(cdr.to_record())
    assert back.pre_rated is False  # v0.10 keeps no PreRated column
    back.pre_rated = True
    assert back == cdr


def test_from_args_and_from_external() -> None:
    args = msgspec.convert(
        {"OriginID": "o", "SetupTime": "2024-01-02T10:00:00Z", "Usage": 5 * S, "Cost": 1,
         "CostDetails": '{"Usage": 5000000000}', "ExtraFields": {"a": "b"}},
        CDRArgs,
    )  # fmt: skip
    cdr = CDR.from_args(args)
    assert cdr.setup_time.ns == parse_rfc3339("2024-01-02T10:00:00Z").ns
    assert cdr.cost_details is not None
    assert (cdr.usage, cdr.cost, cdr.extra_fields) == (5 * S, Decimal(1), {"a": "b"})
    with pytest.raises(TollgateError, match="SetupTime"):
        CDR.from_args(CDRArgs(SetupTime="2024-01-02 10:00:00"))
    ext = ExternalCDR(OriginID="o", OriginHost="h", SetupTime="1704189600", Usage="1m",
                      AnswerTime="2024-01-02T10:00:05Z", CostDetails='{"Cost": 2}')  # fmt: skip
    cdr = CDR.from_external(ext, "UTC")
    assert (cdr.cgrid, cdr.usage) == (cgrid_of("o", "h"), 60 * S)
    assert cdr.setup_time.ns == parse_rfc3339("2024-01-02T10:00:00Z").ns
    assert cdr.cost_details == EventCost(Cost=Decimal(2))
    with pytest.raises(TollgateError, match="Unsupported time format"):
        CDR.from_external(ExternalCDR(SetupTime="soon"), "UTC")


def test_clone_is_deep() -> None:
    cdr = CDR(extra_fields={"a": "1"}, cost_details=EventCost(Cost=Decimal(1)))
    copy = cdr.clone()
    copy.extra_fields["a"] = "2"
    assert copy.cost_details is not None
    copy.cost_details.Cost = Decimal(2)
    assert cdr.extra_fields == {"a": "1"}
    assert cdr.cost_details is not None
    assert cdr.cost_details.Cost == Decimal(1)
