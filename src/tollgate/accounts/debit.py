"""The debit engine: a call charged to an account's balances, as CGRateS v0.10 does it.

A port of ``Account.debitCreditBalance`` and ``Balance.debitUnits/debitMoney`` as plain
functions over :class:`Account` objects (the caller holds the locks and writes the result):

1. the balances that may pay: units balances of the call's ToR (and ``*generic``), then
   ``*monetary`` ones, each list filtered (disabled, expired, empty, category, destination
   with ``!`` negation) and ordered by destination precision then weight; a balance in a
   shared group stands for the group's balances, ordered by the group's strategy;
2. units balances first: a ``*zero<dur>`` rating subject (the default comes from
   ``rals.balance_rating_subject``) makes the units free in ``<dur>`` steps; a real rating
   subject prices the call with that subject, the units pay the durations and the monetary
   balances the costs (connect fee included);
3. then monetary balances pay the call rated with its own subject;
4. what no balance covered is rated once more and, when going negative is allowed, taken
   from the ``*default`` monetary balance.

Increments stay compressed (one Increment of N equal steps): a run is paid in as few
arithmetic steps as the balances allow, so a three-hour call costs no more than a minute.
Balance values are Decimal and stay rounded to ``rounding_decimals`` (``*middle``) after
every change, as CGRateS's ``Balance.SetValue`` does.
"""

from __future__ import annotations

import dataclasses
import logging
from decimal import ROUND_CEILING, Decimal

from tollgate.accounts.balance_debits import (
    debit_connect_fee,
    debit_money,
    debit_units,
    decompress,
    fee_increment,
    money_info,
    on_grid,
)
from tollgate.accounts.debit_models import (
    DebitContext,
    DebitCost,
    DebitOptions,
    Held,
    Where,
    clone_account,
    default_balance,
    new_call_cost,
)
from tollgate.accounts.models import Account, BalanceType
from tollgate.accounts.refunds import refund_rounding
from tollgate.accounts.selection import all_balances_for_prefix
from tollgate.core.errors import InsufficientCreditError, TollgateError
from tollgate.rating import (
    CallCost,
    CallDescriptor,
    DebitInfo,
    Increment,
    TimeSpan,
    ToR,
    compress_timespans,
    round_money,
)

__all__ = [
    "debit",
    "max_debit",
    "max_session_duration",
]

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)
_MIDDLE = "*middle"
_MONETARY = BalanceType.MONETARY


# -- the whole call ----------------------------------------------------------------------


def _add_part(total: DebitCost, part: DebitCost, cd: CallDescriptor) -> bool:
    """Append a paid part; move the call's start past it. True when the call is covered."""
    total.cc.timespans.extend(part.cc.timespans)
    total.negative_connect_fee = part.negative_connect_fee
    cd.time_start = total.cc.timespans[-1].time_end
    return cd.duration <= 0


def _debit_credit_balance(
    ctx: DebitContext, acc: Account, cd: CallDescriptor, *, dry_run: bool, go_negative: bool
) -> DebitCost:
    """``Account.debitCreditBalance``: units balances, then monetary ones, each tried again
    while any pays; in a dry run a blocker or a ``*disconnect`` MaxCost ends the search.
    What is left is rated and, with ``go_negative``, paid by the ``*default`` balance."""
    where = Where.of(cd)
    units = all_balances_for_prefix(ctx, acc, cd.tor, where)
    money = all_balances_for_prefix(ctx, acc, _MONETARY, where)
    total = DebitCost(new_call_cost(cd), deduct_connect_fee=cd.loop_index == 0, account=acc)
    spans = total.cc.timespans
    more = True
    while more:
        more = False
        for pay, pool in ((debit_units, units), (debit_money, money)):
            again = True
            while again:
                again = False
                for held in pool:
                    part = pay(ctx, held, cd, money, dry_run=dry_run, first=not spans)
                    if part is not None:
                        if _add_part(total, part, cd):
                            return total
                        again = more = True
                        if dry_run and part.max_cost_disconnect:
                            return total
                    if dry_run and held.balance.Blocker:
                        return total
    left = ctx.rate(cd)
    if left.cost == 0 and left.timespans:
        for ts in left.timespans:
            for inc in ts.increments or ():
                if inc.balance_info is None:
                    inc.balance_info = DebitInfo()
                inc.balance_info.account_id = acc.ID
        spans.extend(left.timespans)
    if left.cost > 0 and go_negative:
        _go_negative(ctx, acc, total, decompress(left.timespans), money, dry_run=dry_run)
    return total


def _go_negative(
    ctx: DebitContext,
    acc: Account,
    total: DebitCost,
    rest: list[TimeSpan],
    money: list[Held],
    *,
    dry_run: bool,
) -> None:
    """The part no balance covered goes on the ``*default`` balance, negative if need be."""
    first = not total.cc.timespans
    total.cc.timespans.extend(rest)
    ok, fee_payer = False, None
    if first:
        ok, fee_payer = debit_connect_fee(ctx, acc, total, money)
    if not acc.AllowNegative and not dry_run:
        logger.warning("<RALs> Going negative on account %s with AllowNegative: false", acc.ID)
    default = Held(default_balance(acc), acc, _MONETARY)
    for index, ts in enumerate(rest):
        ri = ts.rate_interval
        kept: list[Increment] = []
        fee = _ZERO if ri is None else ri.rating.connect_fee
        if index == 0 and fee > 0 and ok and total.deduct_connect_fee:
            kept.append(fee_increment(fee, fee_payer, acc))
        for run in ts.increments or ():
            count = max(run.compress_factor, 1)
            if on_grid(run.cost, ctx.decimals) and on_grid(default.balance.Value, ctx.decimals):
                ctx.take(default, run.cost * count)
            else:
                for _ in range(count):
                    ctx.take(default, run.cost)
            info = DebitInfo(monetary=money_info(default.balance), account_id=acc.ID)
            kept.append(Increment(run.duration, run.cost, count, info))
        ts.increments = kept


def _compress(cc: CallCost) -> None:
    """``TimeSpans.Compress``: equal neighbour increments merge (the later value left is
    kept), then equal neighbour spans."""
    for ts in cc.timespans:
        merged: list[Increment] = []
        for inc in ts.increments or ():
            last = merged[-1] if merged else None
            if last is not None and last.same(inc):
                last.compress_factor += max(inc.compress_factor, 1)
                last.balance_info = inc.balance_info
            else:
                if inc.compress_factor == 0:
                    inc.compress_factor = 1
                merged.append(inc)
        if ts.increments is not None:
            ts.increments = merged
    cc.timespans = compress_timespans(cc.timespans)


def _update_cost(cc: CallCost, decimals: int) -> None:
    cost = _ZERO
    for ts in cc.timespans:
        ts.cost = ts.calculate_cost(decimals)
        cost = round_money(cost + ts.cost, decimals, _MIDDLE)
    cc.cost = cost
    cc.rated_usage = sum(ts.time_end - ts.time_start for ts in cc.timespans)


def _round(cc: CallCost, decimals: int) -> list[Increment]:
    """``CallCost.Round``: each monetary-paid span's cost rounded as its rate says; the
    difference is its RoundIncrement (returned, to be charged or refunded)."""
    rounds: list[Increment] = []
    correction = _ZERO
    for ts in cc.timespans:
        if not ts.increments or ts.rate_interval is None:
            continue
        first = ts.increments[0]
        info = first.balance_info
        if info is None or info.monetary is None or first.cost == 0:
            continue
        cost = ts.calculate_cost(decimals)
        rating = ts.rate_interval.rating
        diff = round_money(cost, rating.rounding_decimals, rating.rounding_method) - cost
        if diff:
            ts.round_increment = Increment(0, diff, 0, info)
            ts.cost += diff
            correction += diff
            rounds.append(ts.round_increment)
    cc.cost += correction
    return rounds


def _zero_duration(ctx: DebitContext, cd: CallDescriptor, acc: Account) -> DebitCost:
    """A 0-long call: no debit, one span with the rating info when the call rates."""
    return DebitCost(ctx.rate(cd), deduct_connect_fee=cd.loop_index == 0, account=acc)


def debit(
    ctx: DebitContext,
    acc: Account,
    cd: CallDescriptor,
    *,
    dry_run: bool,
    go_negative: bool,
    perform_rounding: bool = False,
) -> DebitCost:
    """``CallDescriptor.debit``: charge the call; with ``perform_rounding`` each span is
    rounded as its rate says and the difference charged (not in a dry run)."""
    if cd.duration == 0:
        return _zero_duration(ctx, cd, acc)
    if not cd.tor:
        cd.tor = ToR.VOICE
    total = _debit_credit_balance(ctx, acc, cd, dry_run=dry_run, go_negative=go_negative)
    cc = total.cc
    _update_cost(cc, ctx.decimals)
    _compress(cc)
    if perform_rounding:
        rounds = _round(cc, ctx.decimals)
        if rounds and not dry_run:
            refund_rounding(ctx, rounds)
    return total


def max_session_duration(
    ctx: DebitContext, acc: Account, cd: CallDescriptor, options: DebitOptions
) -> int:
    """``getMaxSessionDuration``: how much of the call the balances pay, from a dry-run
    debit on copies (-1 for an AllowNegative account); 0 when the connect fee is unpaid."""
    if acc.AllowNegative:
        return -1
    cd.duration_index = max(cd.duration_index, cd.duration)
    if not cd.tor:
        cd.tor = ToR.VOICE
    work = ctx.dry_copy()
    account = work.accounts.get(acc.ID) or clone_account(acc)
    trial = dataclasses.replace(cd)
    initial = trial.duration
    default = default_balance(account)
    value = default.Value
    total = debit(work, account, trial, dry_run=True, go_negative=False)
    if total.negative_connect_fee:
        return 0
    done = 0
    for ts in decompress(total.cc.timespans):
        ri = ts.rate_interval
        if options.max_rate > 0 and options.max_rate_unit > 0 and ri is not None:
            rate = ri.rating.rate_at(ts.group_start)
            if rate is not None and (
                rate.value / rate.rate_unit > options.max_rate / options.max_rate_unit
            ):
                return min(initial, done)
        for run in ts.increments or ():
            count, step, cost = max(run.compress_factor, 1), run.duration, run.cost
            info = run.balance_info
            ok = count
            if (
                info is not None
                and info.monetary is not None
                and info.monetary.uuid == default.Uuid
            ):
                if cost > 0:
                    ok = min(count, int(value // cost)) if value >= 0 else 0
                elif value - cost < 0:
                    ok = 0
                value -= cost * count
            if step > 0:
                reach = int(((Decimal(initial - done)) / step).to_integral_value(ROUND_CEILING))
                if 0 < reach <= ok:
                    return initial
            elif done >= initial and ok:
                return initial
            if ok < count:  # this increment would have been paid with debt
                return min(initial, done + ok * step)
            done += count * step
    return min(initial, done)


def max_debit(
    ctx: DebitContext, acc: Account, cd: CallDescriptor, options: DebitOptions
) -> DebitCost:
    """``CallDescriptor.MaxDebit``: debit as much of the call as the balances pay."""
    try:
        remaining = max_session_duration(ctx, acc, cd, options)
    except TollgateError:
        if cd.duration > 0:
            raise
        remaining = 0
    if options.force_duration and not acc.AllowNegative and remaining < cd.duration:
        raise InsufficientCreditError()
    if remaining == 0:
        if cd.duration == 0:
            return _zero_duration(ctx, cd, acc)
        return DebitCost(new_call_cost(cd), deduct_connect_fee=cd.loop_index == 0, account=acc)
    go_negative = not options.deny_negative
    if remaining > 0:  # a prepaid account (AllowNegative ones answer -1)
        initial = cd.duration
        cd.time_end = cd.time_start + remaining
        cd.duration_index -= initial - remaining
        # Deliberate: the debit takes the dry run's path, so nothing goes negative
        ctx.prepaid, go_negative = True, False
    return debit(
        ctx,
        acc,
        cd,
        dry_run=options.dry_run,
        go_negative=go_negative,
        perform_rounding=cd.perform_rounding,
    )
