"""Properties of the debit engine over generated accounts and calls (hypothesis).

- what a debit reports taking is exactly what the balances lost, and refunding every
  increment of the reply gives it all back (debits + refunds = balance change);
- MaxDebit never takes a prepaid (not AllowNegative) account below zero, and charges
  no more than the max session time it computed;
- a max session time never changes an account and never exceeds the call.
"""

from __future__ import annotations

from decimal import Decimal

from debit_support import account, bal, call, context, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tollgate.accounts.debit import debit, max_debit, max_session_duration
from tollgate.accounts.debit_models import DebitOptions
from tollgate.accounts.models import Account
from tollgate.accounts.refunds import RefundIncrement, refund_increments

SEC = 10**9
DESTS = ["0723", "0724", "0745", "0256"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

money_values = st.decimals(min_value=0, max_value=5, places=3)
dest_ids = st.sampled_from(["", "NAT", "MOB", "RET", "!RET", "NAT;!RET"])


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    monetary = [
        bal(
            f"m{i}",
            draw(money_values),
            Weight=draw(st.integers(0, 30)),
            DestinationIDs=draw(dest_ids) or {},
            Blocker=draw(st.booleans()) and draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    voice = [
        bal(
            f"v{i}",
            draw(st.integers(0, 300)) * SEC,
            Weight=draw(st.integers(0, 30)),
            DestinationIDs=draw(dest_ids) or {},
            RatingSubject=draw(st.sampled_from(["", "*zero1m", "priced", "bundle"])),
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    kinds = {}
    if monetary:
        kinds["monetary"] = monetary
    if voice:
        kinds["voice"] = voice
    return account("1001", **kinds)


calls = st.builds(
    call,
    st.sampled_from(DESTS),
    st.integers(0, 400),
)


def _refunds(total) -> list[RefundIncrement]:
    out = []
    for ts in total.cc.timespans:
        for inc in ts.increments or ():
            info = inc.balance_info
            if info is None or (info.unit is None and info.monetary is None):
                continue
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


def _zero_uuid_defaults(acc: Account) -> dict[str, Decimal]:
    """Balance values by UUID, the ``*default`` one (its UUID is random) by its ID."""
    return {
        (b.ID if b.ID == "*default" else b.Uuid): b.Value
        for balances in (acc.BalanceMap or {}).values()
        for b in balances
    }


@SETTINGS
@given(accounts(), calls)
def test_debits_plus_refunds_equal_the_balance_change(acc: Account, cd) -> None:
    before = values(acc)
    ctx = context(acc)
    total = debit(ctx, acc, cd, dry_run=False, go_negative=True)
    after = values(acc)
    taken = {b.Uuid: amount for entries in ctx.touched().values() for _, amount, b in entries}
    for uuid, amount in taken.items():
        assert before.get(uuid, Decimal(0)) - after[uuid] == amount
    assert all(before[u] == after[u] for u in before if u not in taken)
    # the reply's cost is what the money balances lost (units pay nothing in money)
    money_taken = sum(
        (amount for entries in ctx.touched().values() for kind, amount, _ in entries
         if kind == "*monetary"),
        Decimal(0),
    )  # fmt: skip
    rounds = sum(
        (ts.round_increment.cost for ts in total.cc.timespans if ts.round_increment),
        Decimal(0),
    )
    assert money_taken == total.cc.cost - rounds
    refund = context(acc)
    refund_increments(refund, _refunds(total), "*voice")
    restored = values(acc)
    assert all(restored[u] == v for u, v in before.items())
    assert all(v == 0 for u, v in restored.items() if u not in before)  # the *default


@SETTINGS
@given(accounts(), calls)
def test_max_debit_never_takes_a_prepaid_account_below_zero(acc: Account, cd) -> None:
    limit = max_session_duration(context(acc), acc, call(cd.destination, 0), DebitOptions())
    assert limit == 0
    session = max_session_duration(
        context(acc), acc, call(cd.destination, cd.duration // SEC), DebitOptions()
    )
    ctx = context(acc)
    total = max_debit(ctx, acc, cd, DebitOptions())
    assert all(v >= 0 for v in values(acc).values()), values(acc)
    assert total.cc.rated_usage <= max(session, 0) + 60 * SEC  # whole 20 s/1 min steps
    if session == 0:
        assert total.cc.timespans == [] or cd.duration == 0


@SETTINGS
@given(accounts(), calls)
def test_max_session_time_changes_nothing(acc: Account, cd) -> None:
    before = _zero_uuid_defaults(acc)
    duration = cd.duration
    got = max_session_duration(context(acc), acc, cd, DebitOptions())
    assert 0 <= got <= duration
    assert _zero_uuid_defaults(acc) == before
