"""The actions that change an account in memory: balances, flags, triggers, counters.

One function per action type (CGRateS v0.10 ``engine/action.go``), each taking the run's
:class:`RunState` and the action's index in it. They raise :class:`TollgateError` with
CGRateS's text when the action cannot run (``nil account``, ``NOT_FOUND``...); the caller
then stops the run without writing the account, as ``ActionTiming.Execute`` does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.accounts.actions_models import Action, apply_filter, formula_value
from tollgate.accounts.balances import (
    BalanceFilter,
    is_expired,
    matches,
    modify_balance,
    remove_balances,
    topup_or_debit,
)
from tollgate.accounts.counters import init_counters, reset_counters
from tollgate.accounts.models import (
    DEFAULT_BALANCE_ID,
    ZERO_TIME_TEXT,
    Account,
    ActionTrigger,
    Balance,
    StoredBalanceFilter,
)
from tollgate.accounts.service import BalanceChange
from tollgate.accounts.triggers import reset_triggers, set_recurrent, trigger_matches_action
from tollgate.core.errors import AccountNotFoundError, NotFoundError, TollgateError

__all__ = ["ACCOUNT_ACTIONS", "RunState", "apply_set_balance", "need_account"]

_MONETARY = "*monetary"


@dataclass(slots=True)
class RunState:
    """One run of an actions profile on one account (or on none).

    ``filters[i]`` is action ``i``'s balance filter with its ``ExpiryTime`` resolved for this
    run; ``balance_values[i]`` the value of the balance action ``i`` left (``*cdrlog``);
    ``extra_data`` what the caller passed along (CGRateS's ``ExtraData``, usually None).
    """

    account: Account | None
    actions: Sequence[Action]
    filters: list[StoredBalanceFilter]
    now_ns: int
    decimals: int
    extra_data: Any = None
    changes: list[BalanceChange] = field(default_factory=list)
    balance_values: dict[int, Decimal] = field(default_factory=dict)
    removed: bool = False

    def value(self, index: int) -> Decimal:
        """``Balance.GetValue()`` of action ``index``'s filter at this run's time."""
        return formula_value(self.filters[index].Value, self.now_ns)


def need_account(state: RunState) -> Account:
    if state.account is None:
        raise TollgateError("nil account")
    return state.account


def _value_factor(extra: str) -> dict[str, Decimal] | None:
    """A ``ValueFactor`` (``{"*monetary":2}``) from ExtraParameters, if it is one."""
    if not extra:
        return None
    try:
        data = json.loads(extra, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(
        isinstance(v, Decimal) and not isinstance(v, bool) for v in data.values()
    ):
        return None
    return {str(k): v for k, v in data.items()}


def _generic_debit(
    state: RunState, index: int, *, topup: bool, reset: bool, reset_if_negative: bool = False
) -> None:
    """``debitBalanceAction``: a top-up subtracts the negated value (``genericMakeNegative``)."""
    acc = need_account(state)
    action = state.actions[index]
    value = state.value(index)
    amount = -value if topup and value > 0 else value
    kind = action.balance_type
    touched = topup_or_debit(
        acc,
        kind,
        apply_filter(state.filters[index]),
        amount,
        reset=reset,
        decimals=state.decimals,
        now_ns=state.now_ns,
        reset_if_negative=reset_if_negative,
        factor=_value_factor(action.extra_parameters),
    )
    state.balance_values[index] = touched.Value
    # the change names no balance: unit counters count rated debits only (CGRateS's
    # debitBalanceAction does not count), and the trigger hook finds what changed itself
    state.changes.append(BalanceChange(kind, amount))
    init_counters(acc)


def _topup(state: RunState, index: int) -> None:
    _generic_debit(state, index, topup=True, reset=False)


def _topup_reset(state: RunState, index: int) -> None:
    _generic_debit(state, index, topup=True, reset=True)


def _debit(state: RunState, index: int) -> None:
    _generic_debit(state, index, topup=False, reset=False)


def _debit_reset(state: RunState, index: int) -> None:
    _generic_debit(state, index, topup=False, reset=True)


def _topup_zero_negative(state: RunState, index: int) -> None:
    # v0.10 subtracts the action's value as given (no genericMakeNegative) after zeroing
    # the negative matches; with no Units, as tariff plans use it, negatives become 0
    _generic_debit(state, index, topup=False, reset=False, reset_if_negative=True)


def apply_set_balance(acc: Account, stored: StoredBalanceFilter, now_ns: int) -> Balance:
    """``Account.setBalanceAction``: by UUID (which must exist) or by ID, over all types;
    returns the balance set."""
    bf = apply_filter(stored)
    value = formula_value(stored.Value, now_ns)
    if stored.Value is not None:
        bf.Value = value
    target = _find_balance(acc, stored, now_ns)
    if target is None:
        if not stored.Type:
            raise TollgateError("missing balance type")
        target = Balance(Uuid=str(uuid.uuid4()))
        acc.BalanceMap = acc.BalanceMap or {}
        acc.BalanceMap.setdefault(stored.Type, []).append(target)
    if stored.ID == DEFAULT_BALANCE_ID:
        if stored.Value is not None:
            target.ID = DEFAULT_BALANCE_ID
            target.Value = value
    else:
        modify_balance(target, bf)
        if stored.Factor is not None:
            target.Factor = dict(stored.Factor)
    init_counters(acc)
    return target


def _set_balance(state: RunState, index: int) -> None:
    target = apply_set_balance(need_account(state), state.filters[index], state.now_ns)
    state.balance_values[index] = target.Value


def _find_balance(acc: Account, bf: StoredBalanceFilter, now_ns: int) -> Balance | None:
    balances = [b for kind in acc.BalanceMap or {} for b in (acc.BalanceMap or {})[kind]]
    if bf.Uuid:
        for b in balances:
            if b.Uuid == bf.Uuid and not is_expired(b, now_ns):
                return b
        raise TollgateError(f"cannot find balance with uuid: <{bf.Uuid}>")
    if bf.ID is not None:
        for b in balances:
            if b.ID == bf.ID and not is_expired(b, now_ns):
                return b
    return None


def _remove_balance(state: RunState, index: int) -> None:
    acc = need_account(state)
    remove_balances(acc, state.actions[index].balance_type, apply_filter(state.filters[index]))


def _remove_expired(state: RunState, index: int) -> None:
    """``removeExpired``: drop the expired balances of the type; NOT_FOUND if none."""
    acc = need_account(state)
    kind = state.actions[index].balance_type
    balances = (acc.BalanceMap or {}).get(kind)
    if balances is None:
        raise NotFoundError()
    kept = [b for b in balances if not is_expired(b, state.now_ns)]
    assert acc.BalanceMap is not None
    acc.BalanceMap[kind] = kept
    if len(kept) == len(balances):
        raise NotFoundError()


def _set_expiry(state: RunState, index: int) -> None:
    """``setExpiryAction``: matches (expiry not compared) take the filter's ExpirationDate."""
    acc = need_account(state)
    stored = state.filters[index]
    bf = msgspec.structs.replace(apply_filter(stored), ExpirationDate=None)
    for b in (acc.BalanceMap or {}).get(state.actions[index].balance_type) or ():
        if matches(b, bf):
            b.ExpirationDate = stored.ExpirationDate or ZERO_TIME_TEXT


def default_money_balance(acc: Account) -> Balance:
    """``Account.GetDefaultMoneyBalance``: the ``*default`` monetary balance, made if missing."""
    acc.BalanceMap = acc.BalanceMap or {}
    money = acc.BalanceMap.setdefault(_MONETARY, [])
    for b in money:
        if b.ID == DEFAULT_BALANCE_ID:
            return b
    default = Balance(Uuid=str(uuid.uuid4()), ID=DEFAULT_BALANCE_ID)
    money.append(default)
    return default


def _transfer_monetary_default(state: RunState, index: int) -> None:
    """Move the positive value of the matching monetary balances into ``*default``."""
    if state.account is None:
        raise AccountNotFoundError()
    acc = state.account
    if _MONETARY not in (acc.BalanceMap or {}):
        raise NotFoundError()
    default = default_money_balance(acc)
    bf = apply_filter(state.filters[index])
    for b in list((acc.BalanceMap or {})[_MONETARY]):
        if b.Uuid == default.Uuid or b.ID == default.ID or not matches(b, bf):
            continue
        if b.Value > 0:
            default.Value += b.Value
            b.Value = Decimal(0)


def _reset_account(state: RunState, index: int) -> None:
    """``genericReset``: each balance type keeps one zero balance; counters rebuilt, triggers
    reset."""
    acc = need_account(state)
    for kind in acc.BalanceMap or {}:
        assert acc.BalanceMap is not None
        acc.BalanceMap[kind] = [Balance()]
    init_counters(acc)
    reset_triggers(acc.ActionTriggers or ())


def _trigger_match(state: RunState, index: int) -> Callable[[ActionTrigger], bool]:
    """``ActionTrigger.Match`` against action ``index``."""
    action = state.actions[index]
    stored = state.filters[index]
    bf: BalanceFilter = apply_filter(stored)

    def match(at: ActionTrigger) -> bool:
        return trigger_matches_action(at, stored.Type, bf, action.extra_parameters)

    return match


def _reset_triggers(state: RunState, index: int) -> None:
    acc = need_account(state)
    reset_triggers(acc.ActionTriggers or (), _trigger_match(state, index))


def _set_recurrent(state: RunState, index: int) -> None:
    acc = need_account(state)
    set_recurrent(acc.ActionTriggers or (), True, _trigger_match(state, index))


def _unset_recurrent(state: RunState, index: int) -> None:
    acc = need_account(state)
    set_recurrent(acc.ActionTriggers or (), False, _trigger_match(state, index))


def _reset_counters(state: RunState, index: int) -> None:
    acc = need_account(state)
    if acc.UnitCounters:
        reset_counters(acc, state.filters[index].Type, state.filters[index])


def _flag(name: str, value: bool) -> Callable[[RunState, int], None]:
    def apply(state: RunState, index: int) -> None:
        setattr(need_account(state), name, value)

    return apply


# The actions that work on the account in memory; the caller writes the account after.
ACCOUNT_ACTIONS: dict[str, Callable[[RunState, int], None]] = {
    "*topup": _topup,
    "*topup_reset": _topup_reset,
    "*debit": _debit,
    "*debit_reset": _debit_reset,
    "*topup_zero_negative": _topup_zero_negative,
    "*set_balance": _set_balance,
    "*remove_balance": _remove_balance,
    "*remove_expired": _remove_expired,
    "*set_expiry": _set_expiry,
    "*transfer_monetary_default": _transfer_monetary_default,
    "*reset_account": _reset_account,
    "*reset_triggers": _reset_triggers,
    "*set_recurrent": _set_recurrent,
    "*unset_recurrent": _unset_recurrent,
    "*reset_counters": _reset_counters,
    "*allow_negative": _flag("AllowNegative", True),
    "*deny_negative": _flag("AllowNegative", False),
    "*enable_account": _flag("Disabled", False),
    "*disable_account": _flag("Disabled", True),
}
