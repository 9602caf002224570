"""The debit rules of CGRateS v0.10, one test per rule, over the small plan of debit_support.

Money: NAT costs 0.01 a second (0.6/min in 1 s steps), MOB adds a 0.5 connect fee.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from debit_support import account, bal, call, context, value, values

from tollgate.accounts.debit import debit, max_debit, max_session_duration
from tollgate.accounts.debit_models import DebitOptions, account_summary
from tollgate.core.errors import InsufficientCreditError, UnauthorizedDestinationError
from tollgate.core.wire import encode
from tollgate.rating import call_cost_reply

D = Decimal
SEC = 10**9


def _charge(acc, cd, **kw):
    ctx = context(acc)
    kw.setdefault("dry_run", False)
    kw.setdefault("go_negative", True)
    return ctx, debit(ctx, acc, cd, **kw)


# -- order ---------------------------------------------------------------------------------


def test_units_pay_before_money_and_money_by_weight() -> None:
    acc = account(
        "1001",
        monetary=[bal("light", 1, Weight=10), bal("heavy", 1, Weight=20)],
        voice=[bal("minutes", 30 * SEC)],
    )
    _, total = _charge(acc, call("0723", 60))
    # 30 s from the voice balance (free, *zero1s), the other 30 s cost 0.3 from "heavy"
    assert values(acc) == {"light": 1, "heavy": D("0.7"), "minutes": 0}
    assert total.cc.cost == D("0.3")
    assert total.cc.rated_usage == 60 * SEC


def test_a_destination_bound_balance_comes_before_a_heavier_general_one() -> None:
    acc = account(
        "1001",
        voice=[bal("general", 100 * SEC, Weight=50), bal("nat", 100 * SEC, Weight=1,
                                                          DestinationIDs="NAT")],
    )  # fmt: skip
    _charge(acc, call("0723", 10))
    assert values(acc) == {"general": 100 * SEC, "nat": 90 * SEC}


def test_longer_destination_prefix_wins_then_weight() -> None:
    # 0723 is in NAT and RET (both 4 digits): weight decides; 0724 only in NAT
    acc = account(
        "1001",
        voice=[
            bal("nat", 100 * SEC, Weight=10, DestinationIDs="NAT"),
            bal("ret", 100 * SEC, Weight=20, DestinationIDs="RET"),
        ],
    )
    _charge(acc, call("0723", 10))
    _charge(acc, call("0724", 10))
    assert values(acc) == {"nat": 90 * SEC, "ret": 90 * SEC}


def test_generic_balances_pay_units_of_any_tor() -> None:
    acc = account("1001", generic=[bal("g", 100 * SEC)])
    _charge(acc, call("0723", 10))
    assert values(acc) == {"g": 90 * SEC}


# -- which balances are skipped --------------------------------------------------------------


def test_expired_disabled_and_empty_balances_do_not_pay() -> None:
    acc = account(
        "1001",
        monetary=[
            bal("expired", 5, Weight=40, ExpirationDate="2024-01-15T09:59:59Z"),
            bal("later", 5, Weight=30, ExpirationDate="2024-01-15T10:00:01Z"),
            bal("off", 5, Weight=20, Disabled=True),
            bal("empty", 0, Weight=10),
        ],
    )
    _charge(acc, call("0723", 10))
    assert values(acc) == {"expired": 5, "later": D("4.9"), "off": 5, "empty": 0}


def test_categories_restrict_a_balance() -> None:
    acc = account(
        "1001",
        monetary=[bal("sms_only", 5, Weight=20, Categories="sms"), bal("any", 5, Weight=10)],
    )
    _charge(acc, call("0723", 10))
    assert values(acc) == {"sms_only": 5, "any": D("4.9")}


def test_negated_destinations() -> None:
    # NAT but not RET: 0723 is in both, so excluded; 0724 only NAT
    both = bal("nat_not_ret", 100 * SEC, DestinationIDs="NAT;!RET")
    # only exclusions: any known destination but RET
    not_ret = bal("not_ret", 100 * SEC, DestinationIDs="!RET")
    acc = account("1001", voice=[both, not_ret], monetary=[bal("m", 10)])
    _charge(acc, call("0723", 10))
    assert values(acc) == {"nat_not_ret": 100 * SEC, "not_ret": 100 * SEC, "m": D("9.9")}
    _charge(acc, call("0724", 10))
    assert value(acc, "*voice", "nat_not_ret") == 90 * SEC
    _charge(acc, call("0745", 10))  # MOB: not RET, so "not_ret" pays (units: no connect fee)
    assert value(acc, "*voice", "not_ret") == 90 * SEC
    # a number in no destination at all matches no destination-bound balance (and m
    # cannot pay it: no rate covers it)
    with pytest.raises(UnauthorizedDestinationError):
        _charge(acc, call("0999", 10))


def test_balance_timings_limit_when_it_pays() -> None:
    evenings = [{"Years": [], "Months": [], "MonthDays": [], "WeekDays": [],
                 "StartTime": "18:00:00", "EndTime": ""}]  # fmt: skip
    acc = account("1001", monetary=[bal("eve", 5, Weight=20, Timings=evenings), bal("day", 5)])
    _charge(acc, call("0723", 10))
    _charge(acc, call("0723", 10, start="2024-01-15T19:00:00Z"))
    assert values(acc) == {"eve": D("4.9"), "day": D("4.9")}


# -- units balances and their rating subject ---------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "seconds", "consumed"),
    [("", 10, 10), ("*zero1s", 10.5, 11), ("*zero1m", 30, 60), ("*zero20s", 50, 60)],
)
def test_zero_rating_subjects_round_the_units(subject: str, seconds: float, consumed: int) -> None:
    acc = account("1001", voice=[bal("v", 600 * SEC, RatingSubject=subject)])
    _, total = _charge(acc, call("0723", seconds))
    assert value(acc, "*voice", "v") == (600 - consumed) * SEC
    assert total.cc.cost == 0
    [ts] = total.cc.timespans
    assert (ts.rating_plan_id, ts.matched_subject) == ("*none", "v")
    assert ts.time_end - ts.time_start == consumed * SEC


def test_data_units_default_to_one_per_ns() -> None:
    acc = account("1001", data=[bal("d", 2048)])
    _, total = _charge(acc, call("0723", D("0.000001"), tor="*data"))
    assert value(acc, "*data", "d") == 2048 - 1000
    assert total.cc.timespans[0].increments[0].compress_factor == 1000


def test_units_balance_with_a_rating_subject_pays_whole_steps_and_money_the_price() -> None:
    # "bundle": 0.1 connect fee and 0/20 s in 20 s steps; "priced": 0.06 per 20 s step
    acc = account(
        "1001",
        voice=[bal("bundle", 100 * SEC, RatingSubject="bundle", DestinationIDs="NAT")],
        monetary=[bal("m", 1)],
    )
    _, total = _charge(acc, call("0723", 10))
    assert values(acc) == {"bundle": 80 * SEC, "m": D("0.9")}
    assert total.cc.cost == D("0.1")
    fee, step = total.cc.timespans[0].increments
    assert (fee.duration, fee.cost, fee.balance_info.monetary.uuid) == (0, D("0.1"), "m")
    assert (step.duration, step.balance_info.unit.consumed) == (20 * SEC, 20 * SEC)
    priced = account(
        "1002", voice=[bal("p", 100 * SEC, RatingSubject="priced")], monetary=[bal("m", 1)]
    )
    _, total = _charge(priced, call("0723", 50, subject="1002"))
    assert values(priced) == {"p": 40 * SEC, "m": D("0.82")}
    assert total.cc.cost == D("0.18")


def test_units_with_a_price_stop_when_the_money_runs_out() -> None:
    acc = account(
        "1001", voice=[bal("p", 100 * SEC, RatingSubject="priced")], monetary=[bal("m", "0.1")]
    )
    ctx = context(acc)
    # one 20 s step (0.06), then the 0.04 left pays 4 s at the standard 0.01/s
    assert max_session_duration(ctx, acc, call("0723", 100), DebitOptions()) == 24 * SEC
    assert values(acc) == {"p": 100 * SEC, "m": D("0.1")}  # a dry run changes nothing


def test_factor_divides_the_units_a_step_costs() -> None:
    acc = account("1001", voice=[bal("v", 100, Factor={"*voice": D(SEC)})])
    _charge(acc, call("0723", 10))
    assert value(acc, "*voice", "v") == 90


# -- blockers, max cost, max rate --------------------------------------------------------------


def test_a_blocker_ends_the_max_session_search_but_not_a_debit() -> None:
    acc = account(
        "1001",
        monetary=[bal("blocker", "0.1", Weight=20, Blocker=True), bal("more", 10, Weight=10)],
    )
    ctx = context(acc)
    assert max_session_duration(ctx, acc, call("0723", 60), DebitOptions()) == 10 * SEC
    _charge(acc, call("0723", 60))
    assert values(acc) == {"blocker": 0, "more": D("9.5")}


def test_an_empty_blocker_still_blocks() -> None:
    acc = account(
        "1001", monetary=[bal("blocker", 0, Weight=20, Blocker=True), bal("more", 10, Weight=10)]
    )
    assert max_session_duration(context(acc), acc, call("0723", 60), DebitOptions()) == 0


def test_max_cost_disconnect_limits_the_session_and_free_caps_the_cost() -> None:
    acc = account("1001", monetary=[bal("m", 100)])
    ctx = context(acc)
    assert max_session_duration(ctx, acc, call("0900", 60), DebitOptions()) == 3 * SEC
    free = account("free_after", monetary=[bal("m", 100)])
    cd = call("0723", 60, subject="free_after")
    assert max_session_duration(context(free), free, cd, DebitOptions()) == 60 * SEC
    ctx = context(free)
    total = max_debit(ctx, free, call("0723", 60, subject="free_after"), DebitOptions())
    assert total.cc.cost == 5
    assert value(free, "*monetary", "m") == 95


def test_max_rate_stops_at_a_dearer_span() -> None:
    acc = account("1001", monetary=[bal("m", 100)])
    cheap = DebitOptions(max_rate=D("0.02"), max_rate_unit=SEC)
    dear = DebitOptions(max_rate=D("0.005"), max_rate_unit=SEC)
    assert max_session_duration(context(acc), acc, call("0723", 60), cheap) == 60 * SEC
    assert max_session_duration(context(acc), acc, call("0723", 60), dear) == 0


# -- going negative, MaxDebit --------------------------------------------------------------------


def test_debit_goes_negative_on_the_default_balance() -> None:
    acc = account("1001", monetary=[bal("m", "0.2", Weight=10)])
    _, total = _charge(acc, call("0723", 60))
    default = [b for b in acc.BalanceMap["*monetary"] if b.ID == "*default"]
    assert value(acc, "*monetary", "m") == 0
    assert [b.Value for b in default] == [D("-0.4")]
    assert total.cc.cost == D("0.6")
    assert total.cc.rated_usage == 60 * SEC


def test_deny_negative_charges_only_what_the_balances_cover() -> None:
    acc = account("1001", monetary=[bal("m", "0.2")])
    _, total = _charge(acc, call("0723", 60), go_negative=False)
    assert values(acc) == {"m": 0}
    assert total.cc.cost == D("0.2")
    assert total.cc.rated_usage == 20 * SEC


def test_unpaid_connect_fee_means_no_session_and_goes_negative_on_debit() -> None:
    acc = account("1001", monetary=[bal("m", "0.4")])
    assert max_session_duration(context(acc), acc, call("0745", 60), DebitOptions()) == 0
    _charge(acc, call("0745", 10))
    # the fee went on *default, the 0.1 for the seconds came from m
    assert sorted(b.Value for b in acc.BalanceMap["*monetary"]) == [D("-0.5"), D("0.3")]


def test_max_debit_takes_only_what_the_balance_allows() -> None:
    acc = account("1001", monetary=[bal("m", "0.255")])
    ctx = context(acc)
    total = max_debit(ctx, acc, call("0723", 60), DebitOptions())
    assert total.cc.rated_usage == 25 * SEC
    assert total.cc.cost == D("0.25")
    assert value(acc, "*monetary", "m") == D("0.005")
    with pytest.raises(InsufficientCreditError):
        max_debit(context(acc), acc, call("0723", 60), DebitOptions(force_duration=True))
    empty = max_debit(context(acc), acc, call("0723", 60), DebitOptions())
    assert (empty.cc.timespans, empty.cc.cost) == ([], 0)


def test_allow_negative_accounts_have_no_limit() -> None:
    acc = account("1001", monetary=[bal("m", "0.1")])
    acc.AllowNegative = True
    assert max_session_duration(context(acc), acc, call("0723", 60), DebitOptions()) == -1
    total = max_debit(context(acc), acc, call("0723", 60), DebitOptions())
    assert total.cc.cost == D("0.6")
    assert sorted(b.Value for b in acc.BalanceMap["*monetary"]) == [D("-0.5"), 0]


def test_rating_errors_fail_the_debit_when_balances_do_not_cover_it() -> None:
    acc = account("1001", voice=[bal("v", 5 * SEC)], monetary=[bal("m", 10)])
    with pytest.raises(UnauthorizedDestinationError):
        _charge(acc, call("0999", 10))
    covered = account("1001", voice=[bal("v", 50 * SEC)])
    _, total = _charge(covered, call("0999", 10))  # the free units need no rating
    assert total.cc.rated_usage == 10 * SEC


def test_zero_duration_debits_nothing_and_shows_the_rating() -> None:
    acc = account("1001", monetary=[bal("m", 1)])
    _, total = _charge(acc, call("0723", 0))
    assert values(acc) == {"m": 1}
    [ts] = total.cc.timespans
    assert (ts.rating_plan_id, ts.matched_dest_id, total.cc.cost) == ("RP_STD", "NAT", 0)


# -- rounding ------------------------------------------------------------------------------------


def test_perform_rounding_charges_the_rounding_difference() -> None:
    # 0.15 + 24 s at 0.05/min = 0.17 rounded *up to 2 decimals, from 0.16999..
    acc = account("rounded", monetary=[bal("m", 1)])
    _, total = _charge(acc, call("0723", 24, subject="rounded"), perform_rounding=True)
    assert total.cc.cost == D("0.17")
    assert value(acc, "*monetary", "m") == D("0.83")
    assert total.cc.timespans[0].round_increment.cost == D("0.00008")
    plain = account("rounded", monetary=[bal("m", 1)])
    _, unrounded = _charge(plain, call("0723", 24, subject="rounded"))
    assert unrounded.cc.cost == D("0.16992")
    assert value(plain, "*monetary", "m") == D("0.83008")


# -- replies -------------------------------------------------------------------------------------


def test_increments_carry_their_balance_info_on_the_wire() -> None:
    acc = account("1001", monetary=[bal("m", 10, ID="MONEY")], voice=[bal("v", 5 * SEC)])
    _, total = _charge(acc, call("0723", 10))
    wire = call_cost_reply(total.cc)
    units, money = (ts.Increments[0].BalanceInfo for ts in wire.Timespans)
    assert units.Unit.UUID == "v"
    assert units.Unit.Value == 0
    assert units.Unit.ToR == "*voice"
    assert units.Unit.Consumed == SEC
    assert units.AccountID == "cgrates.org:1001"
    assert money.Monetary.ID == "MONEY"
    assert money.Monetary.Value == D("9.95")
    assert wire.Timespans[1].Increments[0].CompressFactor == 5
    assert b'"Timing":null' in encode(wire)  # the *zero1s span's rate interval


def test_account_summary_lists_every_balance() -> None:
    acc = account("1001", monetary=[bal("m", 10)], voice=[bal("v", 5, ID="")])
    summary = account_summary(acc)
    assert (summary.Tenant, summary.ID) == ("cgrates.org", "1001")
    assert [(b.ID, b.Type, b.Value) for b in summary.BalanceSummaries] == [
        ("m", "*monetary", 10),
        ("v", "*voice", 5),  # an empty ID shows the UUID
    ]
