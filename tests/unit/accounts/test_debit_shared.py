"""Shared groups and refunds in the debit engine."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from debit_support import account, bal, call, context, group, value, values

from tollgate.accounts.debit import debit, max_session_duration
from tollgate.accounts.debit_models import DebitOptions
from tollgate.accounts.refunds import RefundIncrement, refund_increments, refund_rounding
from tollgate.accounts.selection import member_ids
from tollgate.accounts.shared_groups import order_by_strategy
from tollgate.rating import DebitInfo, Increment, MonetaryInfo

D = Decimal
SEC = 10**9


def _members(strategy: str, *, disabled_c: bool = False):
    a = account("A", monetary=[bal("a", 5, SharedGroups="SG")])
    b = account("B", monetary=[bal("b", 2, SharedGroups="SG"), bal("b_own", 50)])
    c = account("C", monetary=[bal("c", 10, SharedGroups="SG")])
    c.Disabled = disabled_c
    return a, b, c, {"SG": group("SG", strategy, a, b, c)}


def _debit(a, b, c, groups, seconds: float = 300):
    ctx = context(a, b, c, groups=groups)
    total = debit(ctx, a, call("0723", seconds, subject="A"), dry_run=False, go_negative=True)
    return ctx, total


def test_lowest_pays_from_the_smallest_shared_balance_first() -> None:
    a, b, c, groups = _members("*lowest")
    ctx, total = _debit(a, b, c, groups)
    assert (value(a, "*monetary", "a"), value(b, "*monetary", "b")) == (4, 0)
    assert value(c, "*monetary", "c") == 10
    assert value(b, "*monetary", "b_own") == 50  # not in the group
    assert total.cc.cost == 3
    # the increments name the account that paid
    payers = [ts.increments[0].balance_info.account_id for ts in total.cc.timespans]
    assert payers == ["cgrates.org:B", "cgrates.org:A"]
    assert set(ctx.touched()) == {"cgrates.org:A", "cgrates.org:B"}


def test_highest_and_mine_strategies() -> None:
    a, b, c, groups = _members("*highest")
    _debit(a, b, c, groups)
    assert [value(x, "*monetary", x.ID[-1].lower()) for x in (a, b, c)] == [5, 2, 7]
    a, b, c, groups = _members("*mine_highest")
    _debit(a, b, c, groups, seconds=600)  # 6: a's 5, then the highest (c)
    assert [value(x, "*monetary", x.ID[-1].lower()) for x in (a, b, c)] == [0, 2, 9]
    a, b, c, groups = _members("*mine_random")
    _debit(a, b, c, groups, seconds=100)
    assert value(a, "*monetary", "a") == 4


def test_disabled_members_do_not_share() -> None:
    a, b, c, groups = _members("*highest", disabled_c=True)
    _debit(a, b, c, groups)
    assert [value(x, "*monetary", x.ID[-1].lower()) for x in (a, b, c)] == [2, 2, 10]


def test_shared_balances_count_in_the_max_session() -> None:
    a, b, c, groups = _members("*lowest")
    ctx = context(a, b, c, groups=groups)
    assert max_session_duration(ctx, a, call("0723", 3600, subject="A"), DebitOptions()) == (
        1700 * SEC
    )
    assert values(b) == {"b": 2, "b_own": 50}  # dry run


def test_member_ids_name_the_groups_of_the_paying_balances() -> None:
    a, _, _, _groups = _members("*lowest")
    rating_prefixes = context(a).prefixes_of
    assert member_ids(a, call("0723", 10, subject="A"), rating_prefixes) == ["SG"]
    plain = account("P", monetary=[bal("p", 1)])
    assert member_ids(plain, call("0723", 10, subject="P"), rating_prefixes) == []


def test_an_unknown_group_is_skipped_by_the_engine() -> None:
    a = account("A", monetary=[bal("a", 5, SharedGroups="NOPE"), bal("m", 5)])
    ctx = context(a)
    debit(ctx, a, call("0723", 100, subject="A"), dry_run=False, go_negative=True)
    assert values(a) == {"a": 5, "m": 4}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("*lowest", [1, 2, 3]),
        ("*highest", [3, 2, 1]),
        ("*mine_lowest", [2, 1, 3]),
        ("*mine_highest", [2, 3, 1]),
    ],
)
def test_order_by_strategy(strategy: str, expected: list[int]) -> None:
    items = [3, 1, 2]
    out = order_by_strategy(strategy, items, D, lambda x: x == 2, random.Random(1))
    assert out == expected


def test_random_strategies_shuffle_and_mine_comes_first() -> None:
    items = list(range(20))
    shuffled = order_by_strategy("*random", items, D, lambda x: False, random.Random(3))
    assert sorted(shuffled) == items
    assert shuffled != items
    for strategy in ("*mine_random", "*mine", "bogus"):
        out = order_by_strategy(strategy, items, D, lambda x: x == 7, random.Random(3))
        assert out[0] == 7
        assert sorted(out) == items


# -- refunds ---------------------------------------------------------------------------------


def _refunds_of(total) -> list[RefundIncrement]:
    out = []
    for ts in total.cc.timespans:
        for inc in ts.increments or ():
            info = inc.balance_info
            out.append(
                RefundIncrement(
                    duration=inc.duration,
                    cost=inc.cost,
                    compress_factor=inc.compress_factor,
                    account_id=info.account_id,
                    unit_uuid=info.unit.uuid if info.unit else "",
                    monetary_uuid=info.monetary.uuid if info.monetary else "",
                )
            )
    return out


def test_refunding_every_increment_restores_the_balances() -> None:
    acc = account(
        "1001",
        voice=[bal("p", 40 * SEC, RatingSubject="priced", DestinationIDs="NAT")],
        monetary=[bal("m", 10), bal("m2", "0.3", Weight=20)],
    )
    before = values(acc)
    ctx = context(acc)
    # priced units, then money; then a connect fee with money going negative
    nat = debit(ctx, acc, call("0723", 100), dry_run=False, go_negative=True)
    mob = debit(ctx, acc, call("0745", 1000), dry_run=False, go_negative=True)
    assert values(acc) != before
    refund = context(acc)
    refund_increments(refund, _refunds_of(nat) + _refunds_of(mob), "*voice")
    assert {k: v for k, v in values(acc).items() if k in before} == before
    # what the refund gave back is what the debit took, balance by balance
    took = {b.Uuid: amount for entries in ctx.touched().values() for _, amount, b in entries}
    gave = {b.Uuid: amount for entries in refund.touched().values() for _, amount, b in entries}
    assert took == {uuid: -amount for uuid, amount in gave.items()}
    assert set(took) == {*before, *(set(values(acc)) - set(before))}  # the *default too


def test_a_refund_stops_at_a_balance_that_is_gone() -> None:
    acc = account("1001", voice=[bal("v", 0)], monetary=[bal("m", 0)])
    ctx = context(acc)
    refund_increments(
        ctx,
        [
            RefundIncrement(SEC, D(0), 3, "cgrates.org:1001", unit_uuid="v"),
            RefundIncrement(SEC, D(1), 1, "cgrates.org:1001", monetary_uuid="gone"),
            RefundIncrement(SEC, D(1), 1, "cgrates.org:1001", monetary_uuid="m"),
            RefundIncrement(SEC, D(1), 1, "cgrates.org:nobody", monetary_uuid="m"),
        ],
        "*voice",
    )
    assert values(acc) == {"v": 3 * SEC, "m": 0}


def test_refund_rounding_charges_the_difference() -> None:
    acc = account("1001", monetary=[bal("m", 1)])
    info = DebitInfo(monetary=MonetaryInfo("m", "", D(0)), account_id="cgrates.org:1001")
    ctx = context(acc)
    refund_rounding(ctx, [Increment(0, D("0.0001"), 0, info), Increment(0, D("-0.5"), 1, info)])
    assert value(acc, "*monetary", "m") == D("1.4999")
