"""Export fields: width/strip/padding, the field types, cost and time formatting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tollgate.cdrs.models import CDR
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import parse_rfc3339
from tollgate.exporters.exporter import export_record
from tollgate.exporters.fields import (
    cdr_data,
    fmt_field_width,
    format_cost,
    go_number,
    parse_fields,
)
from tollgate.filters import DataProvider


def make_cdr(**kw: Any) -> CDR:
    base: dict[str, Any] = {
        "cgrid": "abc",
        "run_id": "*default",
        "order_id": 7,
        "origin_id": "o1",
        "tor": "*voice",
        "request_type": "*rated",
        "tenant": "cgrates.org",
        "category": "call",
        "account": "1001",
        "subject": "1001",
        "destination": "1002",
        "setup_time": parse_rfc3339("2024-01-02T09:59:55Z"),
        "answer_time": parse_rfc3339("2024-01-02T10:00:00Z"),
        "usage": 130 * 10**9,
        "cost": Decimal("0.7169"),
        "extra_fields": {"agent": "PJSIP"},
    }
    base.update(kw)
    return CDR(**base)


async def no_filters(tenant: str, ids: Any, dp: DataProvider) -> bool:
    return "*string:~*req.Account:1001" in ids


@pytest.mark.parametrize(
    ("value", "width", "strip", "padding", "out"),
    [
        ("abc", 0, "", "", "abc"),
        ("abc", 3, "", "", "abc"),
        ("abcdef", 4, "*right", "", "abcd"),
        ("abcdef", 4, "*xright", "", "abcx"),
        ("abcdef", 4, "*left", "", "cdef"),
        ("abcdef", 4, "*xleft", "", "xdef"),
        ("ab", 5, "", "*right", "ab   "),
        ("ab", 5, "", "*left", "   ab"),
        ("12", 5, "", "*zeroleft", "00012"),
    ],
)
def test_width_strip_and_padding(value: str, width: int, strip: str, padding: str,
                                 out: str) -> None:  # fmt: skip
    assert fmt_field_width("F", value, width, strip, padding) == out


def test_width_errors_keep_cgrates_texts() -> None:
    with pytest.raises(TollgateError) as big:
        fmt_field_width("F", "abcdef", 4, "", "")
    assert (
        str(big.value) == "Source abcdef is bigger than the width 4, no strip defied, fieldID: <F>"
    )
    with pytest.raises(TollgateError) as small:
        fmt_field_width("F", "ab", 4, "", "")
    assert str(small.value) == (
        "Source ab is smaller than the width 4, no padding defined, fieldID: <F>"
    )
    with pytest.raises(TollgateError) as empty:
        fmt_field_width("F", "", 4, "", "*left", mandatory=True)
    assert str(empty.value) == "Empty source value for fieldID: <F>"


def test_numbers_and_costs() -> None:
    assert go_number(Decimal("0.71690")) == "0.7169"
    assert go_number(Decimal("2.0")) == "2"
    assert go_number(Decimal(-1)) == "-1"
    assert format_cost(Decimal("0.7169"), 0, 2) == "0.72"
    assert format_cost(Decimal("0.7169"), 2, 0) == "72"
    assert format_cost(Decimal("0.125"), 0, 2) == "0.12"  # the float is 0.125 exactly: even
    assert format_cost(Decimal("1"), 0, 4) == "1.0000"


def test_cdr_values_are_written_as_go_writes_them() -> None:
    data = cdr_data(make_cdr())
    assert data["Usage"] == "2m10s"
    assert data["SetupTime"] == "2024-01-02T09:59:55Z"
    assert data["Cost"] == "0.7169"
    assert data["OrderID"] == "7"
    assert data["agent"] == "PJSIP"


async def test_a_record_of_every_field_type() -> None:
    fields = parse_fields(
        [
            {"path": "*exp.CGRID", "type": "*composed", "value": "~*req.CGRID"},
            {"path": "*exp.Acc", "type": "*composed", "value": "~*req.Account;-;~*req.agent"},
            {"path": "*exp.Const", "type": "*constant", "value": "X", "width": 3,
             "padding": "*left"},
            {"path": "*exp.Fill", "type": "*filler", "value": "ab", "width": 4},
            {"path": "*exp.AnswerTime", "type": "*composed", "value": "~*req.AnswerTime",
             "layout": "20060102150405"},
            {"path": "*exp.When", "type": "*datetime", "value": "~*req.SetupTime",
             "layout": "2006-01-02 15:04:05"},
            {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost",
             "rounding_decimals": 2, "width": 6, "padding": "*zeroleft"},
            {"path": "*exp.Usage", "type": "*composed", "value": "~*req.Usage{*duration_seconds}"},
            {"path": "*exp.Dst", "type": "*composed", "value": "~*req.Destination",
             "width": 2, "strip": "*xleft"},
            {"path": "*exp.Missing", "type": "*composed", "value": "~*req.Nope"},
            {"path": "*exp.Filtered", "type": "*constant", "value": "only1001",
             "filters": ["*string:~*req.Account:1001"]},
            {"path": "*exp.Skipped", "type": "*constant", "value": "never",
             "filters": ["*string:~*req.Account:9999"]},
            {"path": "*hdr.Ignored", "type": "*constant", "value": "H"},
        ]
    )  # fmt: skip
    record = await export_record(make_cdr(), fields, [], no_filters, 4)
    assert record == [
        ("CGRID", "abc"),
        ("Acc", "1001-PJSIP"),
        ("Const", "  X"),
        ("Fill", "ab  "),
        ("AnswerTime", "20240102100000"),
        ("When", "2024-01-02 09:59:55"),
        ("Cost", "000.72"),
        ("Usage", "130"),
        ("Dst", "x2"),
        ("Missing", ""),
        ("Filtered", "only1001"),
    ]


async def test_mandatory_missing_fails_and_combimed_joins_the_runs() -> None:
    mandatory = parse_fields(
        [{"path": "*exp.X", "type": "*composed", "value": "~*req.Nope", "mandatory": True}]
    )
    with pytest.raises(NotFoundError):
        await export_record(make_cdr(), mandatory, [], no_filters, 4)
    combimed = parse_fields([{"path": "*exp.Runs", "type": "*combimed", "value": "~*req.RunID;|"}])
    group = [make_cdr(), make_cdr(run_id="*raw"), make_cdr(cgrid="other", run_id="x")]
    assert await export_record(group[0], combimed, group, no_filters, 4) == [
        ("Runs", "*default|*raw|")
    ]


def test_bad_field_templates() -> None:
    with pytest.raises(TollgateError, match="Unsupported field type: \\*handler"):
        parse_fields([{"path": "*exp.X", "type": "*handler", "value": "*export_id"}])
    with pytest.raises(TollgateError, match="unsupported strip"):
        parse_fields([{"path": "*exp.X", "type": "*constant", "value": "a", "strip": "up"}])
    with pytest.raises(TollgateError, match="unsupported path"):
        parse_fields([{"path": "*cgreq.X", "type": "*constant", "value": "a"}])
