"""A balance's TimingIDs: filled from the stored timings when the balance is set (SetBalance,
AddBalance, balance actions), then limiting when the balance pays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from debit_support import T, call, rating

from tollgate.accounts import AccountService, SharedGroups
from tollgate.accounts.actions import ACTIONS, ActionService
from tollgate.accounts.api import APIerSv1Accounts
from tollgate.accounts.debit_models import DebitOptions
from tollgate.accounts.debit_service import DebitService
from tollgate.accounts.models import AttrAddBalance, AttrSetBalance
from tollgate.accounts.timings import TIMINGS, balance_timings
from tollgate.core.api import CallContext
from tollgate.core.config import load_config
from tollgate.core.errors import PartiallyExecutedError, TollgateError
from tollgate.rpc.pool import ConnManager
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans import ApierTPTiming, TPAction, TPActions

D = Decimal
SEC = 10**9
ACC = f"{T}:1001"
CTX = CallContext()
DAY = "2024-01-15T10:00:00Z"  # a Monday morning
NIGHT = "2024-01-15T21:00:00Z"
SATURDAY = "2024-01-20T10:00:00Z"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path, fsync="no")
    await store.open()
    for timing in (
        ApierTPTiming(ID="OFFPEAK", Time="19:00:00"),
        ApierTPTiming(ID="WEEKEND", WeekDays="6;0", Time="00:00:00"),
        ApierTPTiming(ID="BROKEN", Months="x", Time="00:00:00"),
    ):
        await store.set(TIMINGS, timing.ID, msgspec.msgpack.encode(timing))
    yield store
    await store.close()


@pytest.fixture
def accounts(db: InternalDataDB) -> AccountService:
    return AccountService(lambda: db)


@pytest.fixture
def debits(accounts: AccountService) -> DebitService:
    return DebitService(accounts, rating(), SharedGroups(accounts))


def _set(balance_id: str, value: float, **fields: object) -> AttrSetBalance:
    return AttrSetBalance(
        Tenant=T,
        Account="1001",
        BalanceType="*monetary",
        Value=D(str(value)),
        Balance={"ID": balance_id, **fields},
    )


async def _values(accounts: AccountService) -> dict[str, Decimal]:
    acc = await accounts.get(ACC)
    return {b.ID: b.Value for b in (acc.BalanceMap or {})["*monetary"]}


async def test_timing_ids_resolve_to_the_stored_timings(db: InternalDataDB) -> None:
    timings = await balance_timings(db, {"WEEKEND": True, "OFFPEAK": True, "*any": True})
    assert [t["ID"] for t in timings] == ["*any", "OFFPEAK", "WEEKEND"]
    assert timings[1] == {"ID": "OFFPEAK", "Years": [], "Months": [], "MonthDays": [],
                          "WeekDays": [], "StartTime": "19:00:00", "EndTime": ""}  # fmt: skip
    assert timings[2]["WeekDays"] == [6, 0]
    with pytest.raises(TollgateError, match=r"^could not find timing: NOPE$"):
        await balance_timings(db, {"NOPE": True})
    with pytest.raises(TollgateError, match=r"^timing BROKEN: "):
        await balance_timings(db, {"BROKEN": True})


async def test_set_balance_with_timing_ids_pays_only_inside_them(
    accounts: AccountService, debits: DebitService
) -> None:
    api = APIerSv1Accounts(accounts)
    assert await api.set_balance(_set("NIGHT", 5, Weight=20, TimingIDs="OFFPEAK"), CTX) == "OK"
    night = (await accounts.get(ACC)).BalanceMap["*monetary"][0]  # type: ignore[index]
    assert night.TimingIDs == {"OFFPEAK": True}
    assert [t["StartTime"] for t in night.Timings or ()] == ["19:00:00"]

    # in the morning the balance is not there for the call
    options = DebitOptions()
    assert await debits.max_session_time(call("0723", 600, start=DAY), options) == 0
    cost = await debits.max_debit(call("0723", 60, start=DAY), options)
    assert cost.cc.cost == 0
    assert await _values(accounts) == {"NIGHT": D(5)}
    # at night it pays (0.6/min)
    assert await debits.max_session_time(call("0723", 600, start=NIGHT), options) == 500 * SEC
    await debits.max_debit(call("0723", 60, start=NIGHT), options)
    assert await _values(accounts) == {"NIGHT": D("4.4")}

    # a day balance beside it pays the morning; the night one, heavier, the night
    assert await api.set_balance(_set("DAY", 5, Weight=10), CTX) == "OK"
    await debits.max_debit(call("0723", 60, start=DAY), options)
    await debits.max_debit(call("0723", 60, start=NIGHT), options)
    assert await _values(accounts) == {"NIGHT": D("3.8"), "DAY": D("4.4")}

    # TimingIDs changed by SetBalance take the new timings: weekends only now
    assert await api.set_balance(_set("NIGHT", 0, TimingIDs="WEEKEND"), CTX) == "OK"
    await debits.max_debit(call("0723", 60, start=NIGHT), options)
    await debits.max_debit(call("0723", 60, start=SATURDAY), options)
    assert await _values(accounts) == {"NIGHT": D("3.2"), "DAY": D("3.8")}


async def test_an_unknown_timing_id_is_refused_and_nothing_is_written(
    accounts: AccountService,
) -> None:
    api = APIerSv1Accounts(accounts)
    with pytest.raises(TollgateError, match=r"^could not find timing: NOPE$"):
        await api.set_balance(_set("NIGHT", 5, TimingIDs="OFFPEAK;NOPE"), CTX)
    add = AttrAddBalance(Tenant=T, Account="1001", BalanceType="*monetary", Value=D(1),
                         Balance={"ID": "X", "TimingIDs": "NOPE"})  # fmt: skip
    with pytest.raises(TollgateError, match=r"^could not find timing: NOPE$"):
        await api.add_balance(add, CTX)
    assert await accounts.load(ACC) is None
    add.Balance = {"ID": "X", "TimingIDs": "WEEKEND"}
    assert await api.add_balance(add, CTX) == "OK"
    [x] = (await accounts.get(ACC)).BalanceMap["*monetary"]  # type: ignore[index]
    assert (x.Value, [t["ID"] for t in x.Timings or ()]) == (D(1), ["WEEKEND"])


async def test_balance_actions_take_the_timings_of_their_timing_ids(
    db: InternalDataDB, accounts: AccountService, debits: DebitService
) -> None:
    cfg = load_config(None)
    service = ActionService(lambda: db, accounts, conns=lambda: ConnManager({}), config=lambda: cfg)

    async def store(actions_id: str, timing_tags: str) -> None:
        row = TPAction(Identifier="*topup", BalanceId="NIGHT", BalanceType="*monetary",
                       Units="5", TimingTags=timing_tags, Weight=D(10))  # fmt: skip
        group = TPActions(ID=actions_id, Actions=[row])
        await db.set(ACTIONS, actions_id, msgspec.msgpack.encode(group))

    await store("TOPUP_NIGHT", "OFFPEAK")
    await service.execute("TOPUP_NIGHT", [ACC])
    [night] = (await accounts.get(ACC)).BalanceMap["*monetary"]  # type: ignore[index]
    assert [t["ID"] for t in night.Timings or ()] == ["OFFPEAK"]
    await debits.max_debit(call("0723", 60, start=DAY), DebitOptions())
    await debits.max_debit(call("0723", 60, start=NIGHT), DebitOptions())
    assert await _values(accounts) == {"NIGHT": D("4.4")}

    # an unknown timing fails the action: the account is not written
    await store("TOPUP_BAD", "NOPE")
    with pytest.raises(PartiallyExecutedError):
        await service.execute("TOPUP_BAD", [ACC])
    assert await _values(accounts) == {"NIGHT": D("4.4")}
    await service.close()
