"""DebitService over a real internal DataDB: locking, commits, hooks, shared groups."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from debit_support import T, account, bal, call, rating, values

from tollgate.accounts import AccountService, BalanceChange, SharedGroups, StoredAccount
from tollgate.accounts.debit_models import DebitOptions
from tollgate.accounts.debit_service import DebitService
from tollgate.accounts.models import Account
from tollgate.accounts.refunds import RefundIncrement
from tollgate.accounts.service import ACCOUNTS
from tollgate.core.errors import (
    AccountDisabledError,
    AccountNotFoundError,
    MaxUsageExceededError,
    NotFoundError,
)
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans import TPSharedGroup, TPSharedGroups

D = Decimal
SEC = 10**9


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path, fsync="no")
    await store.open()
    yield store
    await store.close()


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, list[BalanceChange]]] = []

    async def __call__(self, stored: StoredAccount, changes: Sequence[BalanceChange]) -> None:
        self.seen.append((stored.account.ID, list(changes)))


@pytest.fixture
def parts(db: InternalDataDB) -> tuple[DebitService, AccountService, SharedGroups, Recorder]:
    accounts = AccountService(lambda: db)
    groups = SharedGroups(accounts)
    accounts.change_hooks.append(groups.on_commit)
    recorder = Recorder()
    accounts.change_hooks.append(recorder)
    return DebitService(accounts, rating(), groups), accounts, groups, recorder


async def _store(accounts: AccountService, *accs: Account) -> None:
    for acc in accs:
        async with accounts.locked(acc.ID):
            await accounts.commit(StoredAccount(account=acc))


async def _stored_values(accounts: AccountService, account_id: str) -> dict[str, Decimal]:
    return values(await accounts.get(account_id))


async def test_debit_commits_with_one_change_per_balance(parts) -> None:
    service, accounts, _, recorder = parts
    await _store(accounts, account("1001", monetary=[bal("m", 10)], voice=[bal("v", 30 * SEC)]))
    recorder.seen.clear()
    total = await service.debit(call("0723", 60), DebitOptions())
    assert total.cc.cost == D("0.3")
    assert await _stored_values(accounts, f"{T}:1001") == {"m": D("9.7"), "v": 0}
    [(account_id, changes)] = recorder.seen
    assert account_id == f"{T}:1001"
    assert sorted((c.kind, c.amount, c.balance.Uuid, c.destination) for c in changes) == [
        ("*monetary", D("0.3"), "m", "0723"),
        ("*voice", 30 * SEC, "v", "0723"),
    ]
    assert total.account is not None
    assert values(total.account)["m"] == D("9.7")


async def test_dry_runs_and_max_session_time_write_nothing(parts) -> None:
    service, accounts, _, recorder = parts
    await _store(accounts, account("1001", monetary=[bal("m", 1)]))
    recorder.seen.clear()
    total = await service.debit(call("0723", 60), DebitOptions(dry_run=True))
    assert total.cc.cost == D("0.6")
    assert await service.max_session_time(call("0723", 600), DebitOptions()) == 100 * SEC
    assert recorder.seen == []
    assert await _stored_values(accounts, f"{T}:1001") == {"m": 1}


async def test_account_errors(parts) -> None:
    service, accounts, _, _ = parts
    with pytest.raises(AccountNotFoundError):
        await service.debit(call("0723", 60, subject="nobody"), DebitOptions())
    off = account("off", monetary=[bal("m", 1)])
    off.Disabled = True
    await _store(accounts, off)
    with pytest.raises(AccountDisabledError):
        await service.max_debit(call("0723", 60, subject="off"), DebitOptions())
    with pytest.raises(MaxUsageExceededError):
        await service.max_session_time(call("0723", 73 * 3600), DebitOptions())


async def test_defaults_and_account_key(parts) -> None:
    service, accounts, _, _ = parts
    await _store(accounts, account("acc", monetary=[bal("m", 1)]))
    cd = call("0723", 10, subject="someone", account_name="acc")
    cd.tenant, cd.category = "", ""
    await service.debit(cd, DebitOptions())
    assert (cd.tenant, cd.category) == (T, "call")
    assert await _stored_values(accounts, f"{T}:acc") == {"m": D("0.9")}


async def test_concurrent_max_debits_never_overspend(parts) -> None:
    service, accounts, _, _ = parts
    await _store(accounts, account("hot", monetary=[bal("m", "7.77")]))

    async def one() -> Decimal:
        total = await service.max_debit(call("0723", 60, subject="hot"), DebitOptions())
        return total.cc.cost

    costs = await asyncio.gather(*(one() for _ in range(200)))
    left = (await _stored_values(accounts, f"{T}:hot"))["m"]
    assert left >= 0
    assert sum(costs) == D("7.77") - left
    assert left < D("0.01")  # everything payable was sold


async def test_shared_group_partners_are_locked_and_written(parts, db) -> None:
    service, accounts, groups, recorder = parts
    sg = TPSharedGroups(ID="SG", SharedGroups=[TPSharedGroup(Account="*any", Strategy="*highest")])
    await db.set("*shared_groups", "SG", msgspec.msgpack.encode(sg))
    await groups.reload(db)
    a = account("a", monetary=[bal("a", 1, SharedGroups="SG")])
    b = account("b", monetary=[bal("b", 5, SharedGroups="SG")])
    await _store(accounts, a, b)
    group = await groups.get("SG")
    assert group is not None
    assert group.members == [f"{T}:a", f"{T}:b"]
    recorder.seen.clear()

    # a debits b's shared balance (highest first) while b debits its own: locks are taken
    # in id order, so neither waits for the other forever
    async def spend(name: str) -> None:
        await service.debit(call("0723", 100, subject=name), DebitOptions())

    await asyncio.wait_for(asyncio.gather(*(spend(n) for n in "abab")), timeout=30)
    assert await _stored_values(accounts, f"{T}:a") == {"a": 1}
    assert await _stored_values(accounts, f"{T}:b") == {"b": 1}
    assert {account_id for account_id, _ in recorder.seen} == {f"{T}:b"}


async def test_a_shared_group_debit_is_one_group_write(parts, db, tmp_path: Path) -> None:
    """Every crash image taken while the debit's bytes reach the log (each prefix of them)
    holds both partners as before the debit or both as after it, never half."""
    service, accounts, groups, _ = parts
    sg = TPSharedGroups(ID="SG", SharedGroups=[TPSharedGroup(Account="*any", Strategy="*highest")])
    await db.set("*shared_groups", "SG", msgspec.msgpack.encode(sg))
    await groups.reload(db)
    await _store(
        accounts,
        account("a", monetary=[bal("a", 1, SharedGroups="SG")]),
        account("b", monetary=[bal("b", 5, SharedGroups="SG")]),
    )
    log = sorted(db.folder.glob("datadb-*.log"))[-1]
    before = log.stat().st_size
    # 9 minutes at 0.6: b's 5 first (highest), then 0.4 of a's 1
    await service.debit(call("0723", 540, subject="a"), DebitOptions())
    after = log.stat().st_size
    assert after > before
    data = log.read_bytes()

    seen = set()
    for cut in sorted({*range(before, after + 1, 37), after - 1, after}):
        image = tmp_path / f"image{cut}"
        shutil.copytree(db.folder, image / "datadb")
        (image / "datadb" / log.name).write_bytes(data[:cut])
        crashed = InternalDataDB(image, fsync="no")
        await crashed.open()
        try:
            got = {}
            for name in ("a", "b"):
                raw = await crashed.get(ACCOUNTS, f"{T}:{name}")
                assert raw is not None
                got[name] = values(msgspec.msgpack.decode(raw, type=StoredAccount).account)[name]
        finally:
            await crashed.close()
        seen.add((got["a"], got["b"]))
    assert seen == {(D(1), D(5)), (D("0.6"), D(0))}


async def test_an_unknown_shared_group_fails_the_call(parts) -> None:
    service, accounts, _, _ = parts
    await _store(accounts, account("x", monetary=[bal("x", 1, SharedGroups="NOPE")]))
    with pytest.raises(NotFoundError):
        await service.debit(call("0723", 10, subject="x"), DebitOptions())


async def test_member_index_follows_commits(parts, db) -> None:
    _service, accounts, groups, _ = parts
    sg = TPSharedGroups(ID="SG", SharedGroups=[TPSharedGroup(Account="*any", Strategy="*lowest")])
    await db.set("*shared_groups", "SG", msgspec.msgpack.encode(sg))
    await groups.reload(db)
    await _store(accounts, account("a", monetary=[bal("a", 1, SharedGroups="SG")]))
    assert (await groups.get("SG")).MemberIds == {f"{T}:a": True}  # built by a scan
    await _store(accounts, account("b", monetary=[bal("b", 1, SharedGroups="SG")]))
    await _store(accounts, account("a", monetary=[bal("a", 1)]))  # a leaves the group
    assert (await groups.get("SG")).MemberIds == {f"{T}:b": True}
    assert await groups.get("OTHER") is None


async def test_refund_increments_returns_the_refunded_account(parts) -> None:
    service, accounts, _, recorder = parts
    await _store(accounts, account("r", monetary=[bal("m", 1)], voice=[bal("v", 0)]))
    recorder.seen.clear()
    acc = await service.refund_increments(
        T,
        "r",
        "*voice",
        [
            RefundIncrement(2 * SEC, D("0.5"), 2, f"{T}:r", unit_uuid="v", monetary_uuid="m"),
            RefundIncrement(0, D(1), 1, f"{T}:ghost", monetary_uuid="m"),
        ],
    )
    assert values(acc) == {"m": 2, "v": 4 * SEC}
    assert await _stored_values(accounts, f"{T}:r") == {"m": 2, "v": 4 * SEC}
    [(_, changes)] = recorder.seen
    assert sorted(c.amount for c in changes) == [-4 * SEC, -1]
    other = await service.refund_increments(T, "nobody", "*voice", [])
    assert other.ID == ""
