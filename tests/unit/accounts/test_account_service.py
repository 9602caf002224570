"""AccountService over a real internal DataDB: balance actions, locking, durability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tollgate.accounts import AccountService, balance_filter
from tollgate.accounts.models import legacy_account
from tollgate.core.errors import NotFoundError, PartiallyExecutedError
from tollgate.core.wire import encode
from tollgate.storage.datadb import InternalDataDB

ACC = "cgrates.org:1001"
NOW = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def service(db: InternalDataDB) -> AccountService:
    return AccountService(lambda: db, clock=lambda: NOW)


async def test_topup_creates_the_account_then_accumulates(service: AccountService) -> None:
    with pytest.raises(NotFoundError):
        await service.get(ACC)
    await service.topup(ACC, "*monetary", balance_filter({"ID": "M"}), Decimal(10), reset=False)
    await service.topup(ACC, "*monetary", balance_filter({"ID": "M"}), Decimal("2.5"), reset=False)
    acc = await service.get(ACC)
    [money] = acc.BalanceMap["*monetary"]  # type: ignore[index]
    assert (money.ID, money.Value) == ("M", Decimal("12.5"))
    assert acc.UpdateTime == "2023-11-14T22:13:20Z"
    # *topup_reset is idempotent
    for _ in range(2):
        await service.topup(ACC, "*monetary", balance_filter({"ID": "M"}), Decimal(3), reset=True)
    assert (await service.get(ACC)).BalanceMap["*monetary"][0].Value == 3  # type: ignore[index]


async def test_debit_goes_negative_and_rounds(service: AccountService) -> None:
    await service.topup(ACC, "*monetary", balance_filter({"ID": "M"}), Decimal(1), reset=False)
    await service.debit(
        ACC, "*monetary", balance_filter({"ID": "M"}), Decimal("1.123456"), reset=False
    )
    assert (await service.get(ACC)).BalanceMap["*monetary"][0].Value == Decimal("-0.12346")  # type: ignore[index]
    # a debit of a balance that is not there appends one holding the negative amount
    await service.debit(ACC, "*voice", balance_filter({"ID": "V"}), Decimal(60), reset=False)
    assert (await service.get(ACC)).BalanceMap["*voice"][0].Value == -60  # type: ignore[index]


async def test_filter_without_id_tops_up_every_matching_balance(service: AccountService) -> None:
    for bid, dest in (("A", "NAT"), ("B", "RET"), ("C", "NAT;RET")):
        await service.set_balance(
            ACC, "*voice", balance_filter({"ID": bid, "DestinationIDs": dest})
        )
    await service.topup(
        ACC, "*voice", balance_filter({"DestinationIDs": "NAT"}), Decimal(5), reset=False
    )
    values = {b.ID: b.Value for b in (await service.get(ACC)).BalanceMap["*voice"]}  # type: ignore[index]
    assert values == {"A": 5, "B": 0, "C": 5}


async def test_set_balance_keeps_order_and_fields(service: AccountService) -> None:
    first = balance_filter(
        {"ID": "B1", "Weight": 20, "DestinationIDs": "NAT;!RET", "Blocker": True}
    )
    first.Value = Decimal(7)
    await service.set_balance(ACC, "*monetary", first)
    await service.set_balance(ACC, "*monetary", balance_filter({"ID": "*default"}))
    # set again without a value: fields change, the value stays
    await service.set_balance(ACC, "*monetary", balance_filter({"ID": "B1", "RatingSubject": "rs"}))
    b1, default = (await service.get(ACC)).BalanceMap["*monetary"]  # type: ignore[index]
    assert (b1.ID, b1.Value, b1.Weight, b1.Blocker, b1.RatingSubject) == ("B1", 7, 20, True, "rs")
    assert b1.DestinationIDs == {"NAT": True, "RET": False}
    assert (default.ID, default.Value) == ("*default", 0)
    assert len({b1.Uuid, default.Uuid} - {""}) == 2


async def test_remove_balances(service: AccountService) -> None:
    with pytest.raises(NotFoundError):
        await service.remove_balances(ACC, "*monetary", balance_filter({"ID": "X"}))
    await service.set_balance(ACC, "*monetary", balance_filter({"ID": "X"}))
    await service.set_balance(ACC, "*monetary", balance_filter({"ID": "Y"}))
    await service.remove_balances(ACC, "*monetary", balance_filter({"ID": "X"}))
    assert [b.ID for b in (await service.get(ACC)).BalanceMap["*monetary"]] == ["Y"]  # type: ignore[index]
    with pytest.raises(PartiallyExecutedError):
        await service.remove_balances(ACC, "*monetary", balance_filter({"ID": "X"}))


async def test_expired_balances_are_not_topped_up(service: AccountService) -> None:
    await service.set_balance(
        ACC, "*sms", balance_filter({"ID": "S", "ExpiryTime": "2020-01-01T00:00:00Z"})
    )
    await service.topup(ACC, "*sms", balance_filter({"ID": "S"}), Decimal(1), reset=False)
    sms = (await service.get(ACC)).BalanceMap["*sms"]  # type: ignore[index]
    assert [(b.ExpirationDate, b.Value) for b in sms] == [
        ("2020-01-01T00:00:00Z", 0),
        ("0001-01-01T00:00:00Z", 1),
    ]


async def test_concurrent_topups_are_all_kept(service: AccountService, db: InternalDataDB) -> None:
    filt = balance_filter({"ID": "M"})
    replies = await asyncio.gather(
        *(service.topup(ACC, "*monetary", filt, Decimal("0.01"), reset=False) for _ in range(200))
    )
    assert len(replies) == 200
    assert (await service.get(ACC)).BalanceMap["*monetary"][0].Value == Decimal("2.00")  # type: ignore[index]
    assert len(service.locked) == 0  # no lock left behind
    # what was acknowledged is in the DataDB, not only in memory
    fresh = AccountService(lambda: db)
    assert (await fresh.get(ACC)).BalanceMap["*monetary"][0].Value == 2  # type: ignore[index]


async def test_set_account_options_and_ids(service: AccountService) -> None:
    await service.set_account(ACC, allow_negative=True, action_plan_ids=["P1"])
    await service.set_account(ACC, disabled=True, action_plan_ids=["P2"])
    stored = await service.load(ACC)
    assert stored is not None
    assert (stored.account.AllowNegative, stored.account.Disabled) == (True, True)
    assert stored.action_plan_ids == ["P1", "P2"]
    await service.set_account(ACC, action_plan_ids=["P3"], action_plans_overwrite=True)
    assert (await service.load(ACC)).action_plan_ids == ["P3"]  # type: ignore[union-attr]
    assert await service.count("cgrates.org:") == 1
    assert await service.remove(ACC) is True
    assert await service.count("cgrates.org:") == 0


async def test_wire_shapes(service: AccountService) -> None:
    filt = balance_filter({"ID": "V", "DestinationIDs": "RET;NAT", "Weight": "10.0"})
    await service.topup(ACC, "*voice", filt, Decimal(60_000_000_000), reset=False)
    acc = await service.get(ACC)
    wire = msgspec.json.decode(encode(acc))
    assert list(wire) == [
        "ID", "BalanceMap", "UnitCounters", "ActionTriggers", "AllowNegative", "Disabled",
        "UpdateTime",
    ]  # fmt: skip
    voice = wire["BalanceMap"]["*voice"][0]
    assert list(voice) == [
        "Uuid", "ID", "Value", "ExpirationDate", "Weight", "DestinationIDs", "RatingSubject",
        "Categories", "SharedGroups", "Timings", "TimingIDs", "Disabled", "Factor", "Blocker",
    ]  # fmt: skip
    assert (voice["Value"], voice["Weight"], voice["DestinationIDs"]) == (
        60_000_000_000,
        10,
        {"RET": True, "NAT": True},
    )
    legacy = msgspec.json.decode(encode(legacy_account(acc)))
    assert legacy["Id"] == "*out:cgrates.org:1001"
    [old] = legacy["BalanceMap"]["*voice*out"]
    assert (old["Id"], old["DestinationIds"], old["Value"]) == ("V", "NAT;RET", 60_000_000_000)


class _HeldAcks:
    """An InternalDataDB wrapper whose write acknowledgements the test releases by hand."""

    def __init__(self, db: InternalDataDB) -> None:
        self.db = db
        self.acks: list[asyncio.Future[None]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.db, name)

    async def set_deferred(self, kind: str, key: str, value: bytes) -> asyncio.Future[None]:
        durable = await self.db.set_deferred(kind, key, value)
        held: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def release_after() -> None:
            await durable
            await held

        self.acks.append(held)
        return asyncio.ensure_future(release_after())


async def test_the_next_change_does_not_wait_for_the_previous_ones_durability(
    db: InternalDataDB,
) -> None:
    held = _HeldAcks(db)
    service = AccountService(lambda: held, clock=lambda: NOW)  # type: ignore[arg-type,return-value]
    bf = balance_filter({"ID": "M"})
    first = asyncio.create_task(service.topup(ACC, "*monetary", bf, Decimal(1), reset=False))
    second = asyncio.create_task(service.topup(ACC, "*monetary", bf, Decimal(2), reset=False))
    for _ in range(100):  # both write, under the lock one after the other
        await asyncio.sleep(0)
    assert len(held.acks) == 2
    assert not first.done()  # neither answers before it is durable
    assert not second.done()
    stored = await service.load(ACC)
    assert stored is not None
    assert stored.account.BalanceMap is not None
    assert stored.account.BalanceMap["*monetary"][0].Value == 3  # the second saw the first
    for ack in held.acks:
        ack.set_result(None)
    await asyncio.gather(first, second)
