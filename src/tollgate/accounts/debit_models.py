"""What a debit works with: the balances that may pay, the accounts involved and what
was taken from them, the CallCost being built; and the AccountSummary of replies."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from tollgate.accounts.models import DEFAULT_BALANCE_ID, Account, Balance, BalanceType
from tollgate.accounts.shared_groups import SharedGroup
from tollgate.rating import (
    CallCost,
    CallDescriptor,
    RatingData,
    RatingOptions,
    get_cost,
    round_money,
)
from tollgate.rating import money as wire_decimal

__all__ = [
    "AccountSummary",
    "BalanceSummary",
    "DebitContext",
    "DebitCost",
    "DebitOptions",
    "Held",
    "PrefixesFn",
    "RateFn",
    "Where",
    "account_summary",
    "clone_account",
    "default_balance",
    "new_call_cost",
    "plain_cost",
]

_ZERO = Decimal(0)
_MIDDLE = "*middle"
_MONETARY = BalanceType.MONETARY

RateFn = Callable[[CallDescriptor], CallCost]
PrefixesFn = Callable[[str], Iterable[tuple[str, tuple[str, ...]]]]

# -- what a debit works with -------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Held:
    """A balance that may pay, with the account holding it (``Balance.account`` in Go)."""

    balance: Balance
    account: Account
    kind: str
    precision: int = 0


@dataclass(slots=True)
class DebitOptions:
    """The CallDescriptor fields only a debit reads."""

    max_rate: Decimal = _ZERO
    max_rate_unit: int = 0
    force_duration: bool = False
    dry_run: bool = False
    deny_negative: bool = False


@dataclass(slots=True)
class DebitContext:
    """Everything a debit reads and changes: the accounts involved (the caller's working
    copies, by ID), shared groups, rating, and what was taken from which balance."""

    accounts: dict[str, Account]
    rate: RateFn
    prefixes_of: PrefixesFn
    groups: Mapping[str, SharedGroup] = field(default_factory=dict)
    zero_subjects: Mapping[str, str] = field(
        default_factory=lambda: {"*any": "*zero1ns", "*voice": "*zero1s"}
    )
    decimals: int = 5
    rng: random.Random = field(default_factory=random.Random)
    # MaxDebit of a prepaid account: no balance of a non-AllowNegative account may go
    # negative (CGRateS's real debit may take a path its dry run refused, see docs)
    prepaid: bool = False
    # (account id, id(balance)) -> [kind, amount taken off, balance, account]
    taken: dict[tuple[str, int], list[Any]] = field(default_factory=dict)

    def take(self, held: Held, amount: Decimal) -> None:
        """Take ``amount`` off the balance (a negative amount gives it back)."""
        balance = held.balance
        balance.Value = round_money(balance.Value - amount, self.decimals, _MIDDLE)
        if not amount:
            return
        key = (held.account.ID, id(balance))
        entry = self.taken.get(key)
        if entry is None:
            self.taken[key] = [held.kind, amount, balance, held.account]
        else:
            entry[1] += amount

    def dry_copy(self) -> DebitContext:
        """A context over copies of the accounts, for a debit whose changes are dropped."""
        return dataclasses.replace(
            self, accounts={k: clone_account(v) for k, v in self.accounts.items()}, taken={}
        )

    def touched(self) -> dict[str, list[tuple[str, Decimal, Balance]]]:
        """Per account id, the (kind, amount, balance) of every balance changed."""
        out: dict[str, list[tuple[str, Decimal, Balance]]] = {}
        for (account_id, _), (kind, amount, balance, _acc) in self.taken.items():
            out.setdefault(account_id, []).append((kind, amount, balance))
        return out


@dataclass(slots=True)
class DebitCost:
    """A CallCost with the flags CGRateS keeps beside it while debiting."""

    cc: CallCost
    deduct_connect_fee: bool
    negative_connect_fee: bool = False
    max_cost_disconnect: bool = False
    account: Account | None = None  # whose summary the reply shows


_account_codec = (
    msgspec.msgpack.Encoder(decimal_format="string"),
    msgspec.msgpack.Decoder(Account),
)


def clone_account(acc: Account) -> Account:
    encoder, decoder = _account_codec
    return decoder.decode(encoder.encode(acc))


def plain_cost(cd: CallDescriptor, data: RatingData, options: RatingOptions) -> CallCost:
    """CGRateS's ``cd.getCost()`` (what balances are priced with): rating's GetCost without
    its connect-fee increment and MaxCost capping; the connect fee counts in ``cost`` only.

    ``cd`` changes as in CGRateS (ToR, DurationIndex, an ``*any`` destination), not its
    MaxCostSoFar."""
    so_far = cd.max_cost_so_far
    try:
        cc = get_cost(cd, data, options)
    finally:
        cd.max_cost_so_far = so_far
    if cd.duration == 0 or not cc.timespans:
        return cc
    decimals = options.rounding_decimals
    cost = _ZERO
    for index, ts in enumerate(cc.timespans):
        ri = ts.rate_interval
        if index == 0 and ri is not None and cd.loop_index == 0:
            if ts.increments and ts.increments[0].duration == 0:
                ts.increments = ts.increments[1:]  # the connect fee GetCost put in front
            cost += ri.rating.connect_fee
        ts.cost = ts.calculate_cost(decimals)
        cost += ts.cost
    rounding_decimals, method = cc.longest_rounding()
    cc.cost = round_money(cost, rounding_decimals, method)
    return cc


def new_call_cost(cd: CallDescriptor) -> CallCost:
    return CallCost(
        cd.category, cd.tenant, cd.subject, cd.account, cd.destination, cd.tor, tz=cd.tz
    )


def default_balance(acc: Account) -> Balance:
    """``GetDefaultMoneyBalance``: the ``*default`` monetary balance, created when missing."""
    if acc.BalanceMap is None:
        acc.BalanceMap = {}
    balances = acc.BalanceMap.setdefault(_MONETARY, [])
    for balance in balances:
        if balance.ID == DEFAULT_BALANCE_ID:
            return balance
    balance = Balance(Uuid=str(uuid.uuid4()), ID=DEFAULT_BALANCE_ID)
    balances.append(balance)
    return balance


# -- account summary ---------------------------------------------------------------------


class BalanceSummary(msgspec.Struct, kw_only=True):
    UUID: str
    ID: str
    Type: str
    Value: Decimal
    Disabled: bool


class AccountSummary(msgspec.Struct, kw_only=True):
    """``engine.AccountSummary`` (in CallCost and EventCost replies)."""

    Tenant: str
    ID: str
    BalanceSummaries: list[BalanceSummary] | None
    AllowNegative: bool
    Disabled: bool


def account_summary(acc: Account) -> AccountSummary:
    """``Account.AsAccountSummary``: balances in BalanceMap order, ID the UUID when empty."""
    tenant, sep, name = acc.ID.partition(":")
    if not sep:
        tenant, name = "", acc.ID
    summaries = [
        BalanceSummary(
            UUID=b.Uuid,
            ID=b.ID or b.Uuid,
            Type=kind,
            Value=wire_decimal(b.Value),
            Disabled=b.Disabled,
        )
        for kind, balances in (acc.BalanceMap or {}).items()
        for b in balances
    ]
    return AccountSummary(
        Tenant=tenant,
        ID=name,
        BalanceSummaries=summaries or None,
        AllowNegative=acc.AllowNegative,
        Disabled=acc.Disabled,
    )


class Where(NamedTuple):
    """What balances are matched against: the call's destination, category and start."""

    destination: str
    category: str
    at: int

    @classmethod
    def of(cls, cd: CallDescriptor) -> Where:
        return cls(cd.destination, cd.category, cd.time_start)
