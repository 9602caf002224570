"""Giving back: ``RefundIncrements`` (units and money of increments, by balance UUID) and
``RefundRounding`` (the rounding differences of a debit)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tollgate.accounts.debit_models import DebitContext, Held
from tollgate.accounts.models import Account, Balance, BalanceType
from tollgate.rating import (
    Increment,
)

__all__ = [
    "RefundIncrement",
    "refund_increments",
    "refund_rounding",
]

logger = logging.getLogger(__name__)

_MONETARY = BalanceType.MONETARY


# -- refunds -----------------------------------------------------------------------------


@dataclass(slots=True)
class RefundIncrement:
    """An increment to give back: which balances paid it (by UUID) and for whom."""

    duration: int
    cost: Decimal
    compress_factor: int = 1
    account_id: str = ""
    unit_uuid: str = ""
    monetary_uuid: str = ""
    has_info: bool = True


def _by_uuid(acc: Account, kind: str, balance_uuid: str) -> Balance | None:
    for balance in (acc.BalanceMap or {}).get(kind) or ():
        if balance.Uuid == balance_uuid:
            return balance
    return None


def refund_increments(ctx: DebitContext, increments: Iterable[RefundIncrement], tor: str) -> None:
    """``refundIncrements``: units balances get the durations back, monetary ones the costs.

    As CGRateS: an increment naming a balance the account no longer has ends the refund
    (what came before stays refunded); an unknown account is skipped."""
    for inc in increments:
        if not inc.has_info or not (inc.unit_uuid or inc.monetary_uuid):
            continue
        acc = ctx.accounts.get(inc.account_id)
        if acc is None:
            logger.warning("Could not get the account to be refunded: %s", inc.account_id)
            continue
        count = max(inc.compress_factor, 1)
        unit = _by_uuid(acc, tor, inc.unit_uuid) if inc.unit_uuid else None
        if inc.unit_uuid and unit is None:
            return
        money = _by_uuid(acc, _MONETARY, inc.monetary_uuid) if inc.monetary_uuid else None
        if inc.monetary_uuid and money is None:
            if unit is not None:  # CGRateS gave back the first of the run's units, then stopped
                ctx.take(Held(unit, acc, tor), -Decimal(inc.duration))
            return
        if unit is not None:
            ctx.take(Held(unit, acc, tor), -Decimal(inc.duration) * count)
        if money is not None:
            ctx.take(Held(money, acc, _MONETARY), -inc.cost * count)


def refund_rounding(ctx: DebitContext, increments: Iterable[Increment]) -> None:
    """``refundRounding``: each round increment's cost is taken from (a negative one given
    back to) the monetary balance that paid the span."""
    for inc in increments:
        info = inc.balance_info
        if info is None:
            continue
        acc = ctx.accounts.get(info.account_id)
        if acc is None:
            logger.warning("Could not get the account to be refunded: %s", info.account_id)
            continue
        if info.monetary is None:
            continue
        balance = _by_uuid(acc, _MONETARY, info.monetary.uuid)
        if balance is None:
            return
        ctx.take(Held(balance, acc, _MONETARY), inc.cost * max(inc.compress_factor, 1))
