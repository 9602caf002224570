"""One balance pays: CGRateS's ``Balance.debitUnits`` / ``debitMoney`` and
``Account.DebitConnectionFee``, over compressed increment runs."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal

from tollgate.accounts.debit_models import (
    DebitContext,
    DebitCost,
    Held,
    PrefixesFn,
    default_balance,
    new_call_cost,
)
from tollgate.accounts.models import Account, Balance, BalanceType
from tollgate.accounts.selection import is_active
from tollgate.core.durations import parse_go_duration
from tollgate.core.errors import ServerError
from tollgate.rating import (
    UNTIMED,
    CallDescriptor,
    DebitInfo,
    Increment,
    MaxCostStrategy,
    MonetaryInfo,
    Rate,
    RateInterval,
    RIRate,
    TimeSpan,
    UnitInfo,
    round_money,
)

__all__ = [
    "debit_connect_fee",
    "debit_money",
    "debit_units",
    "decompress",
    "fee_increment",
    "money_info",
    "on_grid",
    "zero_step",
]

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)
_MIDDLE = "*middle"
_UP = "*up"
_ANY = "*any"
_ZERO_PREFIX = "*zero"
_MONETARY = BalanceType.MONETARY
_FREE = MaxCostStrategy.FREE
_DISCONNECT = MaxCostStrategy.DISCONNECT
_NONE_PLAN = "*none"


# -- helpers of the per-balance debits ---------------------------------------------------


def zero_step(tor: str, subject: str, defaults: Mapping[str, str]) -> int | None:
    """``ParseZeroRatingSubject``: the step of a ``*zero<dur>`` subject (a bare number is
    nanoseconds), the ToR's default subject when empty; None when not a usable one."""
    subject = subject.strip()
    if not subject:
        subject = defaults.get(tor) or defaults.get(_ANY, "")
    if not subject.startswith(_ZERO_PREFIX):
        return None
    text = subject[len(_ZERO_PREFIX) :]
    try:
        Decimal(text)
        text += "ns"
    except ArithmeticError:
        pass
    try:
        step = parse_go_duration(text)
    except ValueError:
        return None
    return step if step > 0 else None  # CGRateS divides by it


def on_grid(value: Decimal, decimals: int) -> bool:
    return round_money(value, decimals, _MIDDLE) == value


def _fits(value: Decimal, each: Decimal, limit: int, decimals: int) -> int:
    """How many of ``limit`` steps pass ``value >= each`` while ``each`` is taken off.

    Only values already on the rounding grid are stepped at once (subtraction is then
    exact, as CGRateS's per-step rounding would leave it); otherwise one step, after which
    the taken balance is on the grid."""
    if limit <= 0:
        return 0
    if each <= 0:
        return limit if value >= each else 0
    if value < each:
        return 0
    if not (on_grid(value, decimals) and on_grid(each, decimals)):
        return 1
    return min(limit, int(value // each))


def _until_max_cost(rating: RIRate, so_far: Decimal, cost: Decimal, limit: int) -> int:
    """Steps of ``cost`` before MaxCostSoFar reaches a ``*free``/``*disconnect`` MaxCost."""
    strategy = rating.max_cost_strategy
    if strategy not in (_FREE, _DISCONNECT) or cost <= 0 or so_far >= rating.max_cost:
        return limit
    steps = ((rating.max_cost - so_far) / cost).to_integral_value(ROUND_CEILING)
    return min(limit, int(steps))


def _max_cost_reached(rating: RIRate, so_far: Decimal, strategy: str) -> bool:
    return rating.max_cost_strategy == strategy and so_far >= rating.max_cost


def _unit_amount(balance: Balance, duration: int, tor: str, decimals: int) -> Decimal:
    amount = Decimal(duration)
    factor = (balance.Factor or {}).get(tor)
    if factor is not None and factor != 1:
        amount = round_money(amount / factor, decimals, _UP)
    return amount


def money_info(b: Balance, rate_interval: RateInterval | None = None) -> MonetaryInfo:
    return MonetaryInfo(b.Uuid, b.ID, b.Value, rate_interval)


def decompress(spans: list[TimeSpan]) -> list[TimeSpan]:
    """Spans with CompressFactor N become N spans (increments stay compressed runs)."""
    out: list[TimeSpan] = []
    for ts in spans:
        count = max(ts.compress_factor, 1)
        if count == 1:
            ts.compress_factor = 1
            out.append(ts)
            continue
        unit, cost = ts.duration // count, ts.cost / count
        for i in range(count - 1, -1, -1):
            piece = dataclasses.replace(
                ts,
                time_end=ts.time_end - i * unit,
                duration_index=ts.duration_index - i * unit,
                cost=cost,
                compress_factor=1,
                increments=[dataclasses.replace(inc) for inc in ts.increments or ()],
            )
            piece.time_start = piece.time_end - unit
            out.append(piece)
    return out


def _keep_paid(
    part: DebitCost, index: int, ts: TimeSpan, kept: list[Increment]
) -> DebitCost | None:
    """Stop at the first unpaid increment of span ``index``: the span keeps the paid ones
    (``SplitByIncrement``), later spans go. Deliberate fix: the cut falls after the paid
    durations (CGRateS multiplies the index by the first increment's duration, 0 when that
    is the connect fee)."""
    spans = part.cc.timespans
    if kept:
        paid = sum(inc.duration * inc.compress_factor for inc in kept)
        cut = ts.duration - paid
        ts.time_end = ts.time_start + paid
        ts.duration_index = max(ts.duration_index - cut, 0)
        ts.increments = kept
        del spans[index + 1 :]
    else:
        del spans[index:]
    return part if spans else None


def _balance_cost(ctx: DebitContext, balance: Balance, cd: CallDescriptor) -> DebitCost:
    """``Balance.GetCost(cd, true)``: the call rated with the balance's rating subject when
    it has a real one, else with the call's own subject."""
    subject = balance.RatingSubject
    if subject and not subject.startswith(_ZERO_PREFIX):
        sub = dataclasses.replace(cd, subject=subject, account=subject)
        cc = ctx.rate(sub)
        cd.destination, cd.tor, cd.duration_index = sub.destination, sub.tor, sub.duration_index
    else:
        cc = ctx.rate(cd)
    return DebitCost(cc, deduct_connect_fee=cd.loop_index == 0)


def debit_connect_fee(
    ctx: DebitContext, owner: Account, part: DebitCost, money: list[Held]
) -> tuple[bool, Held | None]:
    """``DebitConnectionFee``: the first monetary balance able to pay it does (a blocker
    met before stops with False); none able: the owner's ``*default`` goes negative."""
    if not part.deduct_connect_fee:
        return True, None
    fee = part.cc.connect_fee
    for held in money:
        if held.balance.Value >= fee:
            ctx.take(held, fee)
            return True, held
        if held.balance.Blocker:
            return False, None
    if fee > 0:
        if ctx.prepaid and not owner.AllowNegative:
            return False, None
        part.negative_connect_fee = True
        held = Held(default_balance(owner), owner, _MONETARY)
        ctx.take(held, fee)
        return True, held
    return True, None


def fee_increment(fee: Decimal, payer: Held | None, owner: Account) -> Increment:
    info = DebitInfo(account_id=owner.ID)
    if payer is not None:
        info.monetary = money_info(payer.balance)
    return Increment(0, fee, 1, info)


# -- one balance pays --------------------------------------------------------------------


def _zero_rate_interval(step: int) -> RateInterval:
    return RateInterval(
        timing=UNTIMED,
        rating=RIRate(
            rates=(Rate(group_interval_start=0, value=_ZERO, rate_increment=step, rate_unit=step),)
        ),
    )


def _matching_prefix(balance: Balance, number: str, prefixes_of: PrefixesFn) -> tuple[str, str]:
    """``getMatchingPrefixAndDestID``: the prefix and destination id the balance matched."""
    dests = balance.DestinationIDs
    if dests and not dests.get(_ANY):
        for prefix, dest_ids in prefixes_of(number):
            for dest_id in dest_ids:
                if dests.get(dest_id):
                    return prefix, dest_id
    return number, _ANY


def _debit_zero_units(
    ctx: DebitContext, held: Held, cd: CallDescriptor, step: int
) -> DebitCost | None:
    """A ``*zero<step>`` units balance: the call rounded up to whole steps, each step free
    and paid with ``step`` units (divided by the balance's Factor)."""
    b, owner = held.balance, held.account
    part = DebitCost(new_call_cost(cd), deduct_connect_fee=cd.loop_index == 0)
    ts = TimeSpan(cd.time_start, cd.time_end, cd.tz)
    duration = ts.duration
    target = step if step >= duration else -(-duration // step) * step
    if target > duration:
        ts.time_end = ts.time_start + target
        ts.duration_index += target - duration
    ts.rate_interval = _zero_rate_interval(step)
    prefix, dest_id = _matching_prefix(b, cd.destination, ctx.prefixes_of)
    ts.matched_subject, ts.matched_prefix, ts.matched_dest_id = b.Uuid, prefix, dest_id
    ts.rating_plan_id = _NONE_PLAN
    count = ts.duration // step
    amount = _unit_amount(b, step, cd.tor, ctx.decimals)
    kept: list[Increment] = []
    left = count
    while left:
        n = _fits(b.Value, amount, left, ctx.decimals)
        if n == 0:
            break
        ctx.take(held, amount * n)
        info = UnitInfo(b.Uuid, b.ID, b.Value, part.cc.destination, amount, part.cc.tor)
        kept.append(Increment(step, _ZERO, n, DebitInfo(unit=info, account_id=owner.ID)))
        left -= n
    ts.increments = kept
    part.cc.timespans = [ts]
    if left:
        return _keep_paid(part, 0, ts, kept)
    return part


def _payer(money: list[Held], cost: Decimal) -> Held | None:
    for held in money:
        if held.balance.Value >= cost:
            return held
    return None


def debit_units(
    ctx: DebitContext,
    held: Held,
    cd: CallDescriptor,
    money: list[Held],
    *,
    dry_run: bool,
    first: bool,
) -> DebitCost | None:
    """``Balance.debitUnits``."""
    b, owner = held.balance, held.account
    if not is_active(b, cd.time_start, cd.tz) or b.Value <= 0:
        return None
    step = zero_step(cd.tor, b.RatingSubject, ctx.zero_subjects)
    if step is not None:
        return _debit_zero_units(ctx, held, cd, step)
    part = _balance_cost(ctx, b, cd)
    ok, fee_payer = False, None
    if first:
        ok, fee_payer = debit_connect_fee(ctx, owner, part, money)
        if not ok:
            return None  # a blocker balance stood before any that could pay the fee
    spans = part.cc.timespans = decompress(part.cc.timespans)
    decimals = ctx.decimals
    for index, ts in enumerate(spans):
        ri = ts.rate_interval
        if ri is None:
            raise ServerError("timespan with no rate interval assigned")
        rating = ri.rating
        kept: list[Increment] = []
        if index == 0 and ok and part.deduct_connect_fee and rating.connect_fee > 0:
            kept.append(fee_increment(rating.connect_fee, fee_payer, owner))
        for run in ts.increments or ():
            amount = _unit_amount(b, run.duration, cd.tor, decimals)
            cost = run.cost
            left = max(run.compress_factor, 1)
            while left:
                if _max_cost_reached(rating, cd.max_cost_so_far, _DISCONNECT):
                    part.max_cost_disconnect = True
                    if dry_run:
                        return _keep_paid(part, index, ts, kept)
                if _max_cost_reached(rating, cd.max_cost_so_far, _FREE):
                    info = DebitInfo(monetary=money_info(b, ri), account_id=owner.ID)
                    kept.append(Increment(run.duration, _ZERO, left, info))
                    break
                n = _fits(
                    b.Value,
                    amount,
                    _until_max_cost(rating, cd.max_cost_so_far, cost, left),
                    decimals,
                )
                payer: Held | None = None
                if n and cost != 0:
                    payer = _payer(money, cost)
                    if payer is not None:
                        n = _fits(payer.balance.Value, cost, n, decimals)
                    elif owner.AllowNegative or not (dry_run or ctx.prepaid):
                        logger.warning(
                            "<RALs> Going negative on account %s with AllowNegative: %s",
                            owner.ID,
                            owner.AllowNegative,
                        )
                        payer = Held(default_balance(owner), owner, _MONETARY)
                    else:
                        n = 0
                if n == 0:
                    return _keep_paid(part, index, ts, kept)
                ctx.take(held, amount * n)
                info = DebitInfo(
                    unit=UnitInfo(
                        b.Uuid, b.ID, b.Value, part.cc.destination, amount, part.cc.tor, ri
                    ),
                    account_id=owner.ID,
                )
                if payer is not None:
                    ctx.take(payer, cost * n)
                    info.monetary = money_info(payer.balance)
                    cd.max_cost_so_far += cost * n
                kept.append(Increment(run.duration, cost, n, info))
                left -= n
        ts.increments = kept
    return part if spans else None


def debit_money(
    ctx: DebitContext,
    held: Held,
    cd: CallDescriptor,
    money: list[Held],
    *,
    dry_run: bool,
    first: bool,
) -> DebitCost | None:
    """``Balance.debitMoney``."""
    b, owner = held.balance, held.account
    if not is_active(b, cd.time_start, cd.tz) or b.Value <= 0:
        return None
    part = _balance_cost(ctx, b, cd)
    ok, fee_payer = False, None
    if first:
        ok, fee_payer = debit_connect_fee(ctx, owner, part, money)
        if not ok:
            return None
    spans = part.cc.timespans = decompress(part.cc.timespans)
    decimals = ctx.decimals
    for index, ts in enumerate(spans):
        ri = ts.rate_interval
        if ri is None:
            raise ServerError("timespan with no rate interval assigned")
        rating = ri.rating
        subject_ri = ri if b.RatingSubject else None
        kept: list[Increment] = []
        if index == 0 and ok and part.deduct_connect_fee and rating.connect_fee > 0:
            kept.append(fee_increment(rating.connect_fee, fee_payer, owner))
        for run in ts.increments or ():
            cost = run.cost
            left = max(run.compress_factor, 1)
            while left:
                if _max_cost_reached(rating, cd.max_cost_so_far, _DISCONNECT):
                    part.max_cost_disconnect = True
                    if dry_run:
                        return _keep_paid(part, index, ts, kept)
                if _max_cost_reached(rating, cd.max_cost_so_far, _FREE):
                    info = DebitInfo(monetary=money_info(b, subject_ri), account_id=owner.ID)
                    kept.append(Increment(run.duration, _ZERO, left, info))
                    break
                n = _fits(
                    b.Value, cost, _until_max_cost(rating, cd.max_cost_so_far, cost, left), decimals
                )
                if n == 0:
                    return _keep_paid(part, index, ts, kept)
                ctx.take(held, cost * n)
                cd.max_cost_so_far += cost * n
                info = DebitInfo(monetary=money_info(b, subject_ri), account_id=owner.ID)
                kept.append(Increment(run.duration, cost, n, info))
                left -= n
        ts.increments = kept
    return part if spans else None
