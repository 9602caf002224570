"""The pure trigger rules: which triggers an action selects, conversions, legacy shape."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tollgate.accounts.balances import BalanceFilter
from tollgate.accounts.models import ActionTrigger, Balance, StoredBalanceFilter
from tollgate.accounts.triggers import (
    hard_match,
    legacy_trigger,
    reset_triggers,
    set_recurrent,
    tp_row_of_trigger,
    trigger_from_tp,
    trigger_matches_action,
)
from tollgate.accounts.triggers_api import _update_trigger
from tollgate.core.errors import MandatoryIeMissingError, TollgateError
from tollgate.tariffplans.models_accounts import TPActionTrigger, TPActionTriggers


def at(
    unique: str, kind: str = "*monetary", threshold: str = "*min_balance", **bf: object
) -> ActionTrigger:
    return ActionTrigger(
        ID="GROUP",
        UniqueID=unique,
        ThresholdType=threshold,
        Balance=StoredBalanceFilter(Type=kind, **bf),  # type: ignore[arg-type]
        Executed=True,
    )


def test_an_action_selects_triggers_by_type_filter_and_extra_parameters() -> None:
    money = at("m", ID="MAIN", Weight=Decimal(10))
    voice = at("v", kind="*voice", threshold="*max_balance")
    assert trigger_matches_action(money)  # no balance, no parameters: every trigger
    assert trigger_matches_action(money, "*monetary")
    assert not trigger_matches_action(voice, "*monetary")
    assert trigger_matches_action(money, "*monetary", BalanceFilter(ID="MAIN"))
    assert not trigger_matches_action(money, "*monetary", BalanceFilter(ID="OTHER"))
    assert trigger_matches_action(money, None, BalanceFilter(Weight=Decimal(10)))
    assert not trigger_matches_action(money, None, BalanceFilter(Weight=Decimal(5)))
    assert trigger_matches_action(voice, None, None, '{"UniqueID":"v"}')
    assert not trigger_matches_action(money, None, None, '{"UniqueID":"v"}')
    assert trigger_matches_action(money, None, None, '{"GroupID":"GROUP"}')
    assert trigger_matches_action(voice, None, None, '{"ThresholdType":"*max_balance"}')
    assert not trigger_matches_action(money, None, None, '{"ThresholdType":"*max_balance"}')
    assert trigger_matches_action(money, None, None, "not json")  # ignored, as CGRateS does


def test_reset_and_recurrent_flags() -> None:
    triggers = [at("a"), at("b", kind="*voice")]
    reset_triggers(triggers, lambda t: trigger_matches_action(t, "*voice"))
    assert [t.Executed for t in triggers] == [True, False]
    reset_triggers(triggers)
    assert [t.Executed for t in triggers] == [False, False]
    set_recurrent(triggers, True, lambda t: t.UniqueID == "a")
    assert [t.Recurrent for t in triggers] == [True, False]


def test_hard_match_wants_equal_maps() -> None:
    bf = StoredBalanceFilter(DestinationIDs={"DE": True}, Weight=Decimal(10))
    assert hard_match(Balance(DestinationIDs={"DE": True}, Weight=Decimal(10)), bf)
    assert not hard_match(Balance(DestinationIDs={"DE": True, "FR": True}, Weight=Decimal(10)), bf)
    assert not hard_match(Balance(DestinationIDs={"DE": True}), bf)
    assert hard_match(Balance(ID="X"), StoredBalanceFilter(ID="X", Weight=Decimal(3)))
    assert hard_match(Balance(), None)


def test_tp_row_round_trip() -> None:
    row = TPActionTrigger(
        UniqueID="u",
        ThresholdType="*max_event_counter",
        ThresholdValue=Decimal("2.5"),
        Recurrent=True,
        MinSleep="1m30s",
        ExpirationDate="2031-02-03T04:05:06Z",
        BalanceType="*sms",
        BalanceDestinationIds="A;!B",
        BalanceWeight="7",
        BalanceDisabled="false",
        ActionsId="ACT",
        Weight=Decimal(15),
    )
    group = TPActionTriggers(ID="G", ActionTriggers=[row])
    first = trigger_from_tp(group, 0)
    assert first.MinSleep == 90 * 10**9
    again = trigger_from_tp(TPActionTriggers(ID="G", ActionTriggers=[tp_row_of_trigger(first)]), 0)
    assert again == first


def test_bad_tp_values_are_designed_errors() -> None:
    bad = TPActionTriggers(ID="G", ActionTriggers=[TPActionTrigger(BalanceBlocker="maybe")])
    with pytest.raises(TollgateError, match='ParseBool: parsing "maybe"'):
        trigger_from_tp(bad, 0)
    bad = TPActionTriggers(ID="G", ActionTriggers=[TPActionTrigger(MinSleep="soon")])
    with pytest.raises(TollgateError, match="invalid duration"):
        trigger_from_tp(bad, 0)


def test_legacy_trigger_shape() -> None:
    trigger = at("u", ID="B1", DestinationIDs={"DE": True}, Weight=Decimal(5))
    trigger.ThresholdValue = Decimal(3)
    trigger.ActionsID = "ACT"
    assert legacy_trigger(trigger) == {
        "Id": "GROUP",
        "ThresholdType": "*min_balance",
        "ThresholdValue": 3,
        "Recurrent": False,
        "MinSleep": 0,
        "BalanceId": "B1",
        "BalanceType": "*monetary",
        "BalanceDirection": "*out",
        "BalanceDestinationIds": "DE",
        "BalanceWeight": 5,
        "BalanceExpirationDate": "0001-01-01T00:00:00Z",
        "BalanceTimingTags": "",
        "BalanceRatingSubject": "",
        "BalanceCategory": "",
        "BalanceSharedGroup": "",
        "BalanceDisabled": False,
        "Weight": 0,
        "ActionsId": "ACT",
        "MinQueuedItems": 0,
        "Executed": True,
    }


def test_update_trigger_from_the_api_map() -> None:
    fields = {
        "ThresholdType": "*max_balance",
        "ThresholdValue": "12.5",
        "Recurrent": "true",
        "MinSleep": 1_000_000_000,
        "ActivationDate": "2020-01-01T00:00:00Z",
        "BalanceType": "*data",
        "BalanceCategories": ["call", "!sms"],
        "BalanceWeight": 3,
        "MinQueuedItems": "4",
        "ActionsID": "ACT",
    }
    new = ActionTrigger()
    assert _update_trigger(new, "G", "", fields, "UTC")
    assert (new.ID, new.ThresholdValue, new.Recurrent, new.MinSleep) == (
        "G",
        Decimal("12.5"),
        True,
        10**9,
    )
    assert new.Balance is not None
    assert new.Balance.Categories == {"call": True, "sms": False}
    assert new.MinQueuedItems == 4
    # a trigger of another group is left alone
    other = ActionTrigger(ID="H", UniqueID="x")
    assert not _update_trigger(other, "G", "", {"ThresholdValue": 1}, "UTC")
    with pytest.raises(MandatoryIeMissingError, match=r"\[ThresholdType ThresholdValue\]"):
        _update_trigger(ActionTrigger(), "G", "", {}, "UTC")
    with pytest.raises(MandatoryIeMissingError, match=r"\[GroupID\]"):
        _update_trigger(ActionTrigger(), "", "", fields, "UTC")
    with pytest.raises(TollgateError, match="cannot convert field: DE to \\[\\]string"):
        _update_trigger(ActionTrigger(ID="G"), "G", "", {"BalanceDestinationIds": "DE"}, "UTC")
    with pytest.raises(TollgateError, match='ParseFloat: parsing "lots"'):
        _update_trigger(ActionTrigger(ID="G"), "G", "", {"ThresholdValue": "lots"}, "UTC")
    with pytest.raises(TollgateError, match="Unsupported time format"):
        _update_trigger(ActionTrigger(ID="G"), "G", "", {"ExpirationDate": "someday"}, "UTC")
