"""Stored Actions.csv rows as the engine runs them, and the shapes GetActions answers with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from tollgate.accounts.actions_models import (
    action_from_tp,
    engine_action_reply,
    formula_value,
    go_float_text,
    parse_units,
    tp_action_reply,
)
from tollgate.accounts.models import ValueFormula
from tollgate.core.errors import TollgateError
from tollgate.core.wire import encode
from tollgate.tariffplans import TPAction

# 2024-02-10 12:00 local: February of a leap year
NOW = int(dt.datetime(2024, 2, 10, 12).timestamp()) * 10**9


@pytest.mark.parametrize(
    ("kind", "units", "static"),
    [
        ("*monetary", "10", Decimal(10)),
        ("*monetary", "0.25", Decimal("0.25")),
        ("*monetary", "1e3", Decimal(1000)),
        ("*voice", "60s", Decimal(60_000_000_000)),
        ("*voice", "1m30s", Decimal(90_000_000_000)),
        ("*voice", "100", Decimal(100)),  # unit-less *voice: nanoseconds
        ("*data", "1024", Decimal(1024)),
    ],
)
def test_units(kind: str, units: str, static: Decimal) -> None:
    assert parse_units(kind, units) == ValueFormula(Static=static)


def test_units_may_be_a_formula() -> None:
    text = '{"Method":"*incremental","Params":{"Units":29,"Interval":"month","Increment":"day"}}'
    vf = parse_units("*monetary", text)
    assert vf.Method == "*incremental"
    assert formula_value(vf, NOW) == 1  # 29 units over the 29 days of February 2024
    week = ValueFormula(Method="*incremental",
                        Params={"Units": 7, "Interval": "week", "Increment": "day"})  # fmt: skip
    assert formula_value(week, NOW) == 1
    assert formula_value(ValueFormula(Method="*other", Static=Decimal(5)), NOW) == 0
    assert formula_value(ValueFormula(Static=Decimal(5)), NOW) == 5
    assert formula_value(None, NOW) == 0


@pytest.mark.parametrize(
    ("kind", "units"), [("*monetary", "ten"), ("*voice", "1.5"), ("*monetary", " 1")]
)
def test_bad_units_are_refused_as_cgrates_says(kind: str, units: str) -> None:
    with pytest.raises(TollgateError) as info:
        parse_units(kind, units)
    assert str(info.value) == f"Invalid value: {units}"


def test_row_conversion_ignores_empty_and_any_cells() -> None:
    row = TPAction(
        Identifier="*topup",
        BalanceId="*any",
        BalanceType="*monetary",
        Units="10",
        DestinationIds="NAT;!RET",
        Categories="*any",
        BalanceWeight="20",
        BalanceBlocker="true",
        BalanceDisabled="",
        ExpiryTime="*unlimited",
        Weight=Decimal(10),
    )
    action = action_from_tp("TOPUP", row)
    bf = action.balance
    assert (action.id, action.action_type, action.expiration_string) == (
        "TOPUP", "*topup", "*unlimited",
    )  # fmt: skip
    assert (bf.ID, bf.Type, bf.Weight, bf.Blocker, bf.Disabled) == (
        None, "*monetary", 20, True, None,
    )  # fmt: skip
    assert bf.DestinationIDs == {"NAT": True, "RET": False}
    assert bf.Categories is None
    assert bf.Value == ValueFormula(Static=Decimal(10))


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("BalanceWeight", "heavy", 'strconv.ParseFloat: parsing "heavy": invalid syntax'),
        ("BalanceBlocker", "yes", 'strconv.ParseBool: parsing "yes": invalid syntax'),
        ("Units", "many", "Invalid value: many"),
    ],
)
def test_bad_cells_fail_the_conversion(field: str, value: str, error: str) -> None:
    row = msgspec.structs.replace(TPAction(Identifier="*topup", BalanceType="*monetary"),
                                  **{field: value})  # fmt: skip
    with pytest.raises(TollgateError) as info:
        action_from_tp("A", row)
    assert str(info.value) == error


def test_get_actions_replies() -> None:
    row = TPAction(
        Identifier="*topup_reset",
        BalanceType="*voice",
        Units="60s",
        DestinationIds="NAT",
        TimingTags="PEAK;OFFPEAK",
        ExpiryTime="*unlimited",
        Weight=Decimal(10),
    )
    action = action_from_tp("VOICE", row)
    v1 = msgspec.json.decode(encode(tp_action_reply(action, NOW)))
    assert v1 == {
        "Identifier": "*topup_reset", "BalanceId": "", "BalanceUuid": "",
        "BalanceType": "*voice", "Units": "60000000000", "ExpiryTime": "*unlimited",
        "Filter": "", "TimingTags": "OFFPEAK;PEAK", "DestinationIds": "NAT",
        "RatingSubject": "", "Categories": "", "SharedGroups": "", "BalanceWeight": "0",
        "ExtraParameters": "", "BalanceBlocker": "false", "BalanceDisabled": "false",
        "Weight": 10,
    }  # fmt: skip
    v2 = msgspec.json.decode(encode(engine_action_reply(action)))
    assert v2 == {
        "Id": "VOICE", "ActionType": "*topup_reset", "ExtraParameters": "", "Filter": "",
        "ExpirationString": "*unlimited", "Weight": 10,
        "Balance": {
            "Uuid": None, "ID": None, "Type": "*voice",
            "Value": {"Method": "", "Params": None, "Static": 60000000000},
            "ExpirationDate": None, "Weight": None, "DestinationIDs": {"NAT": True},
            "RatingSubject": None, "Categories": None, "SharedGroups": None,
            "TimingIDs": {"PEAK": True, "OFFPEAK": True}, "Timings": None, "Disabled": None,
            "Factor": None, "Blocker": None,
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("1.50"), "1.5"), (Decimal("1E+3"), "1000"), (Decimal("-0.000001"), "-0.000001")],
)
def test_go_float_text(value: Decimal, text: str) -> None:
    assert go_float_text(value) == text
