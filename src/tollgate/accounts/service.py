"""AccountService: accounts in the DataDB's ``*accounts`` partition, changed under a lock.

Every read-modify-write of one account runs inside ``async with service.locked(id)`` (the
"guardian" of CGRateS), so two concurrent top-ups never lose one; the change is written
through the DataDB before the caller is answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from tollgate.accounts.balances import (
    BalanceFilter,
    remove_balances,
    set_balance,
    topup_or_debit,
)
from tollgate.accounts.models import Account, Balance, StoredAccount
from tollgate.core.errors import NotFoundError, PartiallyExecutedError, ServerError
from tollgate.core.times import format_rfc3339
from tollgate.storage.datadb import DataDB

__all__ = [
    "ACCOUNTS",
    "REMOVE_ACCOUNT",
    "AccountRemovedHook",
    "AccountService",
    "BalanceChange",
    "ChangeHook",
    "removes_account",
]

logger = logging.getLogger(__name__)

ACCOUNTS = "*accounts"

_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoder = msgspec.msgpack.Decoder(StoredAccount)


@dataclass(slots=True)
class BalanceChange:
    """One change a commit carries, for unit counters and action triggers.

    ``amount`` is positive for money or units taken off the balance (a debit) and negative
    for a top-up; ``balance`` is the balance changed (None when no single balance took it);
    ``rated`` marks what a rated call paid (the debits CGRateS's unit counters count, unlike
    top-ups and ``*debit`` actions), with the call's ``destination`` and ``category``
    (``*event`` counters match them against the counter's filter).
    """

    kind: str
    amount: Decimal
    balance: Balance | None = None
    destination: str = ""
    rated: bool = False
    category: str = ""


# The kind of the marker change an action run returns when a ``*remove_account`` ran: the
# account is removed instead of written.
REMOVE_ACCOUNT = "*remove_account"


def removes_account(changes: Sequence[BalanceChange]) -> bool:
    """Whether ``changes`` (from an action run) remove the account."""
    return any(change.kind == REMOVE_ACCOUNT for change in changes)


# Called with the id of an account a ``*remove_account`` removed, its lock still held (the
# scheduler drops it from its action plans).
AccountRemovedHook = Callable[[str], Awaitable[None]]

# Called under the account's lock with the changed account before it is written: action
# triggers and unit counters live behind this. A hook may change ``stored`` further (a
# triggered ``*disable_account``); it must not take the lock of the same account again.
ChangeHook = Callable[[StoredAccount, Sequence[BalanceChange]], Awaitable[None]]


# The durability acknowledgements of the account writes made under the innermost
# ``locked()`` of the running task (see _Guardian).
_PENDING_ACKS: ContextVar[list[Awaitable[None]] | None] = ContextVar("pending_acks", default=None)


async def _durable(ack: Awaitable[None]) -> None:
    """Hand a write's durability wait to the innermost ``locked()`` (or wait here)."""
    pending = _PENDING_ACKS.get()
    if pending is None:  # not under locked(): wait here
        await ack
    else:
        pending.append(ack)


class _Guardian:
    """One asyncio lock per key, dropped when nobody holds or waits for it.

    Writes made under the lock are in memory (visible to the next holder) at once; their
    durability is awaited after the lock is let go and before the block is left, so the
    caller still answers only once its change is durable, while the next change of the
    same account does not wait for this one's fsync (group commit). The DataDB's log keeps
    write order, so a later change is never durable without an earlier one.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        acks: list[Awaitable[None]] = []
        token = _PENDING_ACKS.set(acks)
        try:
            async with lock:
                yield
        finally:
            _PENDING_ACKS.reset(token)
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
        for ack in acks:
            await ack

    def __len__(self) -> int:
        return len(self._locks)


class AccountService:
    """Reads and changes accounts; ``db`` returns the open DataDB (None before start)."""

    name = "accounts"

    def __init__(
        self,
        db: Callable[[], DataDB | None],
        *,
        rounding_decimals: int = 5,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._db = db
        self.rounding_decimals = rounding_decimals
        self.clock = clock
        self.locked = _Guardian()
        self.change_hooks: list[ChangeHook] = []
        self.removed_hooks: list[AccountRemovedHook] = []
        self._removals: set[str] = set()

    @property
    def db(self) -> DataDB:
        db = self._db()
        if db is None:
            raise ServerError("DataDB is not open")
        return db

    # -- storage -----------------------------------------------------------------------------

    async def load(self, account_id: str) -> StoredAccount | None:
        data = await self.db.get(ACCOUNTS, account_id)
        return None if data is None else _decoder.decode(data)

    async def commit(self, stored: StoredAccount, changes: Sequence[BalanceChange] = ()) -> None:
        """Run the change hooks on ``stored`` and write it; call with the account's lock held.

        When a hook asked for the account's removal (a triggered ``*remove_account``), the
        account is removed instead and the removed hooks run.
        """
        account_id = stored.account.ID
        try:
            for hook in self.change_hooks:
                await hook(stored, changes)
            if account_id in self._removals:
                await self.remove_locked(account_id)
                return
        finally:
            self._removals.discard(account_id)
        await self._save(stored)

    async def commit_many(
        self, items: Sequence[tuple[StoredAccount, Sequence[BalanceChange]]]
    ) -> None:
        """:meth:`commit` for several accounts changed by one operation (a shared-group
        debit), each lock held: every hook runs first, then the accounts are written as one
        group (``DataDB.set_many_deferred``), so a crash keeps all of them or none.

        An account a hook asked to remove is removed on its own, before the group write."""
        kept: list[StoredAccount] = []
        for stored, changes in items:
            account_id = stored.account.ID
            try:
                for hook in self.change_hooks:
                    await hook(stored, changes)
                if account_id in self._removals:
                    await self.remove_locked(account_id)
                    continue
            finally:
                self._removals.discard(account_id)
            kept.append(stored)
        if len(kept) == 1:
            await self._save(kept[0])
        elif kept:
            await self._save_many(kept)

    def request_removal(self, account_id: str) -> None:
        """From a change hook: the commit in progress removes the account (lock held)."""
        self._removals.add(account_id)

    async def remove_locked(self, account_id: str) -> None:
        """Remove the account whose lock the caller holds, and tell the removed hooks."""
        await self.db.remove(ACCOUNTS, account_id)
        for hook in self.removed_hooks:
            await hook(account_id)

    async def _save(self, stored: StoredAccount) -> None:
        stored.account.UpdateTime = format_rfc3339(self.clock())
        await _durable(
            await self.db.set_deferred(ACCOUNTS, stored.account.ID, _encoder.encode(stored))
        )

    async def _save_many(self, accounts: Sequence[StoredAccount]) -> None:
        now = format_rfc3339(self.clock())
        items: dict[str, bytes] = {}
        for stored in accounts:
            stored.account.UpdateTime = now
            items[stored.account.ID] = _encoder.encode(stored)
        await _durable(await self.db.set_many_deferred(ACCOUNTS, items))

    async def get(self, account_id: str) -> Account:
        """The account, or NOT_FOUND."""
        stored = await self.load(account_id)
        if stored is None:
            raise NotFoundError()
        return stored.account

    async def ids(self, prefix: str = "") -> list[str]:
        return await self.db.keys(ACCOUNTS, prefix)

    async def count(self, prefix: str = "") -> int:
        return await self.db.count(ACCOUNTS, prefix)

    async def remove(self, account_id: str) -> bool:
        async with self.locked(account_id):
            return await self.db.remove(ACCOUNTS, account_id)

    # -- changes -----------------------------------------------------------------------------

    async def set_account(
        self,
        account_id: str,
        *,
        allow_negative: bool | None = None,
        disabled: bool | None = None,
        action_plan_ids: list[str] | None = None,
        action_plans_overwrite: bool = False,
        action_trigger_ids: list[str] | None = None,
        action_triggers_overwrite: bool = False,
    ) -> Account:
        """Create the account or update its options; given plan/trigger ids are attached."""
        async with self.locked(account_id):
            stored = await self.load(account_id) or StoredAccount(account=Account(ID=account_id))
            if action_plan_ids is not None:
                base = [] if action_plans_overwrite else stored.action_plan_ids
                stored.action_plan_ids = list(dict.fromkeys([*base, *action_plan_ids]))
            if action_trigger_ids is not None:
                base = [] if action_triggers_overwrite else stored.action_trigger_ids
                stored.action_trigger_ids = list(dict.fromkeys([*base, *action_trigger_ids]))
            if allow_negative is not None:
                stored.account.AllowNegative = allow_negative
            if disabled is not None:
                stored.account.Disabled = disabled
            await self.commit(stored)
            return stored.account

    async def topup(
        self, account_id: str, kind: str, bf: BalanceFilter, amount: Decimal, *, reset: bool
    ) -> Account:
        """``*topup`` (``*topup_reset`` with ``reset``); creates a missing account."""
        return await self._change_value(account_id, kind, bf, -abs(amount), reset=reset)

    async def debit(
        self, account_id: str, kind: str, bf: BalanceFilter, amount: Decimal, *, reset: bool
    ) -> Account:
        """``*debit`` (``*debit_reset``): take ``amount`` off, without rating."""
        return await self._change_value(account_id, kind, bf, abs(amount), reset=reset)

    async def _change_value(
        self, account_id: str, kind: str, bf: BalanceFilter, amount: Decimal, *, reset: bool
    ) -> Account:
        async with self.locked(account_id):
            stored = await self.load(account_id) or StoredAccount(account=Account(ID=account_id))
            topup_or_debit(
                stored.account,
                kind,
                bf,
                amount,
                reset=reset,
                decimals=self.rounding_decimals,
                now_ns=self.clock(),
            )
            await self.commit(stored, [BalanceChange(kind, amount)])
            return stored.account

    async def set_balance(self, account_id: str, kind: str, bf: BalanceFilter) -> Account:
        """``*set_balance``; creates a missing account."""
        async with self.locked(account_id):
            stored = await self.load(account_id) or StoredAccount(account=Account(ID=account_id))
            set_balance(stored.account, kind, bf, now_ns=self.clock())
            await self.commit(stored)
            return stored.account

    async def remove_balances(self, account_id: str, kind: str, bf: BalanceFilter) -> Account:
        """``*remove_balance``: NOT_FOUND for a missing account, PARTIALLY_EXECUTED for no match."""
        async with self.locked(account_id):
            stored = await self.load(account_id)
            if stored is None:
                raise NotFoundError()
            try:
                remove_balances(stored.account, kind, bf)
            except NotFoundError:
                # the action fails inside ActionTiming.Execute, which reports it this way
                raise PartiallyExecutedError() from None
            await self.commit(stored)
            return stored.account
