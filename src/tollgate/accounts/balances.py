"""Balance filters and the balance actions APIer runs: ``*topup``, ``*debit``, ``*set_balance``.

Plain functions over an :class:`Account`; the service holds the lock and writes the result.
They follow ``engine.Account.debitBalanceAction``/``setBalanceAction`` and
``removeBalanceAction`` of CGRateS v0.10, including its quirks: a filter without ID or UUID
matches (and tops up) every balance of the type that agrees with its other fields.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tollgate.accounts.models import (
    DEFAULT_BALANCE_ID,
    ZERO_TIME_TEXT,
    Account,
    Balance,
    parse_string_map,
    string_map_includes,
)
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import parse_rfc3339, parse_time_detect_layout
from tollgate.rating.rounding import money, round_money

__all__ = [
    "BalanceFilter",
    "balance_filter",
    "is_expired",
    "matches",
    "modify_balance",
    "remove_balances",
    "set_balance",
    "topup_or_debit",
]

_STRING_MAPS = ("DestinationIDs", "Categories", "SharedGroups", "TimingIDs")


class BalanceFilter(msgspec.Struct, kw_only=True):
    """``engine.BalanceFilter``: None means "not given" (matches anything, changes nothing)."""

    Uuid: str | None = None
    ID: str | None = None
    Value: Decimal | None = None
    ExpirationDate: str | None = None
    Weight: Decimal | None = None
    DestinationIDs: dict[str, bool] | None = None
    RatingSubject: str | None = None
    Categories: dict[str, bool] | None = None
    SharedGroups: dict[str, bool] | None = None
    TimingIDs: dict[str, bool] | None = None
    # what TimingIDs name, filled from the stored timings (accounts.timings) before the
    # filter is applied; not matched on, copied onto the balances it sets
    Timings: list[dict[str, Any]] | None = None
    Disabled: bool | None = None
    Blocker: bool | None = None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {value} to float64")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise TollgateError(
            f"strconv.ParseFloat: parsing {_text(value)!r}: invalid syntax"
        ) from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("true", "1", "t"):
        return True
    if text in ("false", "0", "f", ""):
        return False
    raise TollgateError(f'strconv.ParseBool: parsing "{_text(value)}": invalid syntax')


def balance_filter(fields: dict[str, Any] | None, timezone: str = "UTC") -> BalanceFilter:
    """``NewBalanceFilter``: the request's ``Balance`` map (lists as ``;`` strings)."""
    bf = BalanceFilter()
    if not fields:
        return bf
    if "ID" in fields:
        bf.ID = _text(fields["ID"])
    if "UUID" in fields:
        bf.Uuid = _text(fields["UUID"])
    if "ExpiryTime" in fields:
        try:
            when = parse_time_detect_layout(_text(fields["ExpiryTime"]), timezone)
        except ValueError as exc:
            raise TollgateError(str(exc)) from None
        bf.ExpirationDate = when.rfc3339()
    if "RatingSubject" in fields:
        bf.RatingSubject = _text(fields["RatingSubject"])
    for name in _STRING_MAPS:
        if name in fields:
            setattr(bf, name, parse_string_map(_text(fields[name])))
    if "Weight" in fields:
        bf.Weight = money(_number(fields["Weight"]))
    if "Blocker" in fields:
        bf.Blocker = _bool(fields["Blocker"])
    if "Disabled" in fields:
        bf.Disabled = _bool(fields["Disabled"])
    return bf


def is_expired(balance: Balance, now_ns: int) -> bool:
    if balance.ExpirationDate == ZERO_TIME_TEXT:
        return False
    return parse_rfc3339(balance.ExpirationDate).ns < now_ns


def matches(balance: Balance, bf: BalanceFilter) -> bool:
    """``Balance.MatchFilter`` (ids first: a UUID or ID decides alone)."""
    if bf.Uuid:
        return balance.Uuid == bf.Uuid
    if bf.ID:
        return balance.ID == bf.ID
    if bf.ExpirationDate is not None and bf.ExpirationDate != balance.ExpirationDate:
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


def modify_balance(balance: Balance, bf: BalanceFilter) -> None:
    """``BalanceFilter.ModifyBalance``: copy every given field onto ``balance``."""
    for name in BalanceFilter.__struct_fields__:
        value = getattr(bf, name)
        if value is not None and name != "Uuid":
            if isinstance(value, dict | list):
                value = value.copy()
            setattr(balance, name, value)


def _new_balance(bf: BalanceFilter) -> Balance:
    balance = Balance(Uuid=str(uuid.uuid4()))
    modify_balance(balance, bf)
    return balance


def _round(value: Decimal, decimals: int) -> Decimal:
    return money(round_money(value, decimals, "*middle"))


def topup_or_debit(
    acc: Account,
    kind: str,
    bf: BalanceFilter,
    amount: Decimal,
    *,
    reset: bool,
    decimals: int,
    now_ns: int,
    reset_if_negative: bool = False,
    factor: dict[str, Decimal] | None = None,
) -> Balance:
    """``debitBalanceAction``: subtract ``amount`` (negative for a top-up) from each match.

    ``reset`` (``*topup_reset``/``*debit_reset``) zeroes a matched balance first,
    ``reset_if_negative`` (``*topup_zero_negative``) only a negative one. With no match a
    new balance is appended, holding ``-amount`` (and ``factor``, an action's ValueFactor).
    Returns the last balance changed.
    """
    balances = (acc.BalanceMap or {}).get(kind)
    found: Balance | None = None
    for balance in balances or ():
        if is_expired(balance, now_ns) or not matches(balance, bf):
            continue
        zero = reset or (reset_if_negative and balance.Value < 0)
        start = Decimal(0) if zero else balance.Value
        balance.Value = _round(start - amount, decimals)
        found = balance
    if found is not None:
        return found
    if bf.ID == DEFAULT_BALANCE_ID:
        new = Balance(Uuid=str(uuid.uuid4()), ID=DEFAULT_BALANCE_ID)
    else:
        new = _new_balance(bf)
        if factor is not None:
            new.Factor = dict(factor)
    new.Value = _round(-amount, decimals)
    _append(acc, kind, new)
    return new


def set_balance(acc: Account, kind: str, bf: BalanceFilter, *, now_ns: int) -> None:
    """``setBalanceAction``: the balance with the filter's UUID or ID takes its fields.

    A missing balance is appended (with a fresh UUID); ``bf.Value`` None leaves the value.
    """
    target: Balance | None = None
    for balance in (acc.BalanceMap or {}).get(kind) or ():
        if is_expired(balance, now_ns):
            continue
        if (bf.Uuid is not None and balance.Uuid == bf.Uuid) or (
            bf.ID is not None and balance.ID == bf.ID
        ):
            target = balance
            break
    if target is None:
        target = Balance(Uuid=str(uuid.uuid4()))
        _append(acc, kind, target)
    if bf.ID == DEFAULT_BALANCE_ID:
        target.ID = DEFAULT_BALANCE_ID
        if bf.Value is not None:
            target.Value = bf.Value
    else:
        modify_balance(target, bf)


def remove_balances(acc: Account, kind: str, bf: BalanceFilter) -> None:
    """``removeBalanceAction``: drop every match; NOT_FOUND when none matched."""
    balance_map = acc.BalanceMap or {}
    if kind not in balance_map:
        raise NotFoundError()
    kept = [b for b in balance_map[kind] if not matches(b, bf)]
    if len(kept) == len(balance_map[kind]):
        raise NotFoundError()
    balance_map[kind] = kept


def _append(acc: Account, kind: str, balance: Balance) -> None:
    if acc.BalanceMap is None:
        acc.BalanceMap = {}
    acc.BalanceMap.setdefault(kind, []).append(balance)
