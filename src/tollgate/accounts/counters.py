"""Unit counters: what an account has consumed, counted for its counter triggers.

CGRateS v0.10's ``engine.UnitCounters``: per balance type a list of counters, each
``*event`` (counts the debits of calls matching a destination/category filter) or
``*balance`` (counts what was debited from balances matching a filter). Counters exist
only for the account's ``*_counter`` triggers (:func:`init_counters`); their values are
what ``*min/max_event_counter`` and ``*max_balance_counter`` compare with.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.accounts.models import (
    ZERO_TIME_TEXT,
    Account,
    Balance,
    CounterFilter,
    StoredBalanceFilter,
    UnitCounter,
    string_map_includes,
    string_map_text,
)
from tollgate.core.times import parse_rfc3339
from tollgate.rating.rounding import money

__all__ = [
    "COUNTER_BALANCE",
    "COUNTER_EVENT",
    "add_units",
    "filters_equal",
    "init_counters",
    "legacy_counters",
    "match_counted_balance",
    "reset_counters",
]

COUNTER_EVENT = "*event"
COUNTER_BALANCE = "*balance"


def _clone(bf: StoredBalanceFilter | None) -> StoredBalanceFilter:
    if bf is None:
        return StoredBalanceFilter()
    return msgspec.convert(msgspec.to_builtins(bf, builtin_types=(Decimal,)), StoredBalanceFilter)


def filters_equal(a: StoredBalanceFilter | None, b: StoredBalanceFilter | None) -> bool:
    """``BalanceFilter.Equal``: by ID when both have one, else every field."""
    if a is None or b is None:
        return a is b
    if a.ID is not None and b.ID is not None:
        return a.ID == b.ID
    return a == b


def match_counted_balance(balance: Balance, bf: StoredBalanceFilter | None) -> bool:
    """``Balance.MatchFilter(filter, skipIds=true)``: a ``*balance`` counter's test."""
    if bf is None:
        return True
    if bf.ExpirationDate is not None and (
        parse_rfc3339(balance.ExpirationDate).ns != parse_rfc3339(bf.ExpirationDate).ns
    ):
        return False
    includes = string_map_includes
    return (
        (bf.Weight is None or balance.Weight == bf.Weight)
        and (bf.Blocker is None or balance.Blocker == bf.Blocker)
        and (bf.Disabled is None or balance.Disabled == bf.Disabled)
        and (bf.DestinationIDs is None or includes(balance.DestinationIDs, bf.DestinationIDs))
        and (bf.Categories is None or includes(balance.Categories, bf.Categories))
        and (bf.TimingIDs is None or includes(balance.TimingIDs, bf.TimingIDs))
        and (bf.SharedGroups is None or includes(balance.SharedGroups, bf.SharedGroups))
        and (bf.RatingSubject is None or balance.RatingSubject == bf.RatingSubject)
    )


def _match_event(
    bf: StoredBalanceFilter | None, destination_ids: list[str] | None, category: str
) -> bool:
    """``CallCost.MatchCCFilter``: a call of a category the filter does not list (or
    negates) does not count; with destination ids in the filter, a call to a destination
    must belong to one of them (``None``: the call had none)."""
    if bf is None:
        return True
    if bf.Categories is not None and category and not bf.Categories.get(category, False):
        return False
    if bf.DestinationIDs is None or destination_ids is None:
        return True
    return any(dest in bf.DestinationIDs for dest in destination_ids)


def add_units(
    counters: dict[str, list[UnitCounter]],
    amount: Decimal,
    kind: str,
    balance: Balance | None,
    destination_ids: Iterable[str] | None,
    *,
    from_call: bool,
    category: str = "",
) -> None:
    """``UnitCounters.addUnits``: add ``amount`` to the ``kind`` counters that match.

    ``*balance`` counters match ``balance`` against their filter; ``*event`` counters count
    only debits of a call (``from_call``), matching ``destination_ids`` (the ids the call's
    destination belongs to; None when the call had no destination).
    """
    ids = None if destination_ids is None else list(destination_ids)
    for uc in counters.get(kind) or ():
        if not uc.CounterType:
            uc.CounterType = COUNTER_EVENT
        for c in uc.Counters or ():
            if uc.CounterType == COUNTER_EVENT:
                if from_call and _match_event(c.Filter, ids, category):
                    c.Value = money(c.Value + amount)
            elif (
                uc.CounterType == COUNTER_BALANCE
                and balance is not None
                and match_counted_balance(balance, c.Filter)
            ):
                c.Value = money(c.Value + amount)


def _has_counter(counters: list[CounterFilter], c: CounterFilter) -> bool:
    return any(filters_equal(old.Filter, c.Filter) for old in counters)


def _copy_values(uc: UnitCounter, old: UnitCounter) -> bool:
    """``UnitCounter.CopyCounterValues``: keep what counters of the same filter counted."""
    if uc.CounterType != old.CounterType:
        return False
    for c in uc.Counters or ():
        for old_c in old.Counters or ():
            if filters_equal(c.Filter, old_c.Filter):
                c.Value = old_c.Value
                break
    return True


def init_counters(acc: Account) -> None:
    """``Account.InitCounters``: one counter per counter trigger (by balance type and
    counter type), values carried over from the counters it replaces."""
    old = acc.UnitCounters or {}
    fresh: dict[str, list[UnitCounter]] = {}
    by_key: dict[str, UnitCounter] = {}
    for at in acc.ActionTriggers or ():
        if "counter" not in at.ThresholdType:
            continue
        counter_type = COUNTER_BALANCE if "balance" in at.ThresholdType else COUNTER_EVENT
        kind = (at.Balance.Type if at.Balance else None) or ""
        uc = by_key.get(kind + counter_type)
        if uc is None:
            uc = by_key[kind + counter_type] = UnitCounter(CounterType=counter_type, Counters=[])
            fresh.setdefault(kind, []).append(uc)
        c = CounterFilter(Filter=_clone(at.Balance))
        if c.Filter is not None and not c.Filter.ID and at.UniqueID:
            c.Filter.ID = at.UniqueID
        assert uc.Counters is not None
        if not _has_counter(uc.Counters, c):
            uc.Counters.append(c)
    for kind, counters in fresh.items():
        for uc in counters:
            for old_uc in old.get(kind) or ():
                if _copy_values(uc, old_uc):
                    break
    acc.UnitCounters = fresh or None


def reset_counters(
    acc: Account, balance_type: str | None = None, bf: StoredBalanceFilter | None = None
) -> None:
    """``UnitCounters.resetCounters`` (``*reset_counters``): zero the counters of
    ``balance_type`` whose filter equals ``bf``; all of them when neither is given."""
    for kind, counters in (acc.UnitCounters or {}).items():
        if balance_type and balance_type != kind:
            continue
        for uc in counters:
            for c in uc.Counters or ():
                if bf is None or filters_equal(c.Filter, bf):
                    c.Value = Decimal(0)


def legacy_counters(acc: Account) -> list[dict[str, Any] | None]:
    """``UnitCounters`` in APIerSv1.GetAccount's old shape (``Account.AsOldStructure``).

    As CGRateS builds it: one slot per balance type, filled by position within each type's
    counter list (so a later type overwrites an earlier one's slot; unfilled slots null),
    each counter shown as a balance made from its filter.
    """
    counters = acc.UnitCounters or {}
    result: list[dict[str, Any] | None] = [None] * len(counters)
    for kind, ucs in counters.items():
        for i, uc in enumerate(ucs):
            if i >= len(result):
                break  # Go would panic here; more counter types than balance types is odd
            result[i] = {
                "Direction": "",
                "BalanceType": kind,
                "Balances": [_legacy_filter_balance(c.Filter) for c in uc.Counters or ()],
            }
    return result


def _legacy_filter_balance(bf: StoredBalanceFilter | None) -> dict[str, Any]:
    bf = bf or StoredBalanceFilter()
    return {
        "Uuid": bf.Uuid or "",
        "Id": bf.ID or "",
        "Value": bf.Value.Static if bf.Value is not None else Decimal(0),
        "ExpirationDate": bf.ExpirationDate or ZERO_TIME_TEXT,
        "Weight": bf.Weight if bf.Weight is not None else Decimal(0),
        "DestinationIds": string_map_text(bf.DestinationIDs or {}),
        "RatingSubject": bf.RatingSubject or "",
        "Category": string_map_text(bf.Categories or {}),
        "SharedGroup": string_map_text(bf.SharedGroups or {}),
        "Timings": bf.Timings,
        "TimingIDs": string_map_text(bf.TimingIDs or {}),
        "Disabled": bool(bf.Disabled),
    }
