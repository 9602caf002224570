"""Unit counters: set up from counter triggers, counting debits, reset, the legacy shape."""

from __future__ import annotations

from decimal import Decimal

from tollgate.accounts.counters import (
    add_units,
    filters_equal,
    init_counters,
    legacy_counters,
    reset_counters,
)
from tollgate.accounts.models import (
    Account,
    ActionTrigger,
    Balance,
    StoredBalanceFilter,
    UnitCounter,
)


def trigger(
    threshold: str, unique: str, kind: str = "*monetary", **filter_fields: object
) -> ActionTrigger:
    return ActionTrigger(
        ID="G",
        UniqueID=unique,
        ThresholdType=threshold,
        Balance=StoredBalanceFilter(Type=kind, **filter_fields),  # type: ignore[arg-type]
    )


def counters_of(acc: Account, kind: str = "*monetary") -> list[UnitCounter]:
    return (acc.UnitCounters or {})[kind]


def test_init_counters_one_counter_per_counter_trigger() -> None:
    acc = Account(
        ID="t:a",
        ActionTriggers=[
            trigger("*max_event_counter", "e1", DestinationIDs={"DE": True}),
            trigger("*min_event_counter", "e2"),
            trigger("*max_balance_counter", "b1"),
            trigger("*max_balance", "plain"),  # no counter
            trigger("*max_event_counter", "v1", kind="*voice"),
        ],
    )
    init_counters(acc)
    event, balance = counters_of(acc)
    assert (event.CounterType, balance.CounterType) == ("*event", "*balance")
    ids = [c.Filter.ID for c in event.Counters or () if c.Filter is not None]
    assert ids == ["e1", "e2"]  # the UniqueID names each counter's filter
    assert (event.Counters or [])[0].Filter.DestinationIDs == {"DE": True}  # type: ignore[union-attr]
    assert [uc.CounterType for uc in counters_of(acc, "*voice")] == ["*event"]
    # the trigger's own filter is not changed by it
    assert (acc.ActionTriggers or [])[0].Balance.ID is None  # type: ignore[union-attr]


def test_init_counters_without_counter_triggers_leaves_none() -> None:
    acc = Account(ID="t:a", ActionTriggers=[trigger("*min_balance", "x")])
    init_counters(acc)
    assert acc.UnitCounters is None


def test_init_counters_keeps_values_of_the_same_filter() -> None:
    acc = Account(ID="t:a", ActionTriggers=[trigger("*max_event_counter", "e1")])
    init_counters(acc)
    counters_of(acc)[0].Counters[0].Value = Decimal(7)  # type: ignore[index]
    acc.ActionTriggers = [*(acc.ActionTriggers or []), trigger("*max_event_counter", "e2")]
    init_counters(acc)
    assert [c.Value for c in counters_of(acc)[0].Counters or ()] == [7, 0]


def test_add_units_event_and_balance_counters() -> None:
    acc = Account(
        ID="t:a",
        ActionTriggers=[
            trigger("*max_event_counter", "de", DestinationIDs={"DST_DE": True}),
            trigger("*max_event_counter", "all"),
            trigger("*max_balance_counter", "w10", Weight=Decimal(10)),
        ],
    )
    init_counters(acc)
    counters = acc.UnitCounters or {}
    heavy = Balance(ID="H", Weight=Decimal(10))
    light = Balance(ID="L")
    add_units(counters, Decimal("1.5"), "*monetary", heavy, ["DST_DE"], from_call=True)
    add_units(counters, Decimal(2), "*monetary", light, ["DST_FR"], from_call=True)
    add_units(counters, Decimal(4), "*monetary", light, None, from_call=True)  # no destination
    add_units(counters, Decimal(8), "*voice", heavy, None, from_call=True)  # no *voice counters
    add_units(counters, Decimal(16), "*monetary", None, None, from_call=False)  # not a call
    event, balance = counters["*monetary"]
    assert [c.Value for c in event.Counters or ()] == [Decimal("5.5"), Decimal("7.5")]
    assert [c.Value for c in balance.Counters or ()] == [Decimal("1.5")]


def test_reset_counters_by_type_and_filter() -> None:
    acc = Account(
        ID="t:a",
        ActionTriggers=[
            trigger("*max_event_counter", "m1"),
            trigger("*max_event_counter", "m2"),
            trigger("*max_event_counter", "v1", kind="*voice"),
        ],
    )
    init_counters(acc)
    for counters in (acc.UnitCounters or {}).values():
        for uc in counters:
            for c in uc.Counters or ():
                c.Value = Decimal(3)
    reset_counters(acc, "*monetary", StoredBalanceFilter(ID="m2"))
    assert [c.Value for c in counters_of(acc)[0].Counters or ()] == [3, 0]
    reset_counters(acc, "*voice")
    assert counters_of(acc, "*voice")[0].Counters[0].Value == 0  # type: ignore[index]
    reset_counters(acc)
    assert [c.Value for c in counters_of(acc)[0].Counters or ()] == [0, 0]


def test_filters_equal_by_id_or_whole() -> None:
    a = StoredBalanceFilter(ID="x", Type="*monetary")
    assert filters_equal(a, StoredBalanceFilter(ID="x"))
    assert not filters_equal(a, StoredBalanceFilter(ID="y", Type="*monetary"))
    assert filters_equal(StoredBalanceFilter(Type="*sms"), StoredBalanceFilter(Type="*sms"))
    assert not filters_equal(StoredBalanceFilter(Type="*sms"), StoredBalanceFilter())


def test_legacy_counters_shape() -> None:
    acc = Account(ID="t:a", ActionTriggers=[trigger("*max_event_counter", "e1")])
    init_counters(acc)
    assert legacy_counters(acc) == [
        {
            "Direction": "",
            "BalanceType": "*monetary",
            "Balances": [
                {
                    "Uuid": "",
                    "Id": "e1",
                    "Value": 0,
                    "ExpirationDate": "0001-01-01T00:00:00Z",
                    "Weight": 0,
                    "DestinationIds": "",
                    "RatingSubject": "",
                    "Category": "",
                    "SharedGroup": "",
                    "Timings": None,
                    "TimingIDs": "",
                    "Disabled": False,
                }
            ],
        }
    ]
    assert legacy_counters(Account(ID="t:b")) == []
