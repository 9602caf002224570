"""Shared groups: balances of several accounts that pay for each other's calls.

A group comes from SharedGroups.csv (``*shared_groups`` DataDB partition of the loaded tariff
plans): per account (or ``*any``) the strategy that orders the group's balances. Its members
are the accounts holding a balance with the group in ``SharedGroups``; CGRateS adds an account
to ``MemberIds`` when such a balance is set, here the member index is derived from the stored
accounts (built on first use, then kept current by a commit hook), so it cannot drift.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

import msgspec

from tollgate.accounts.models import StoredAccount
from tollgate.accounts.service import ACCOUNTS, AccountService, BalanceChange
from tollgate.storage.datadb import DataDB
from tollgate.tariffplans import TPSharedGroups

__all__ = [
    "SHARED_GROUPS",
    "SharedGroup",
    "SharedGroups",
    "SharingParameters",
    "order_by_strategy",
]

logger = logging.getLogger(__name__)

SHARED_GROUPS = "*shared_groups"
ANY = "*any"
MINE_PREFIX = "*mine_"
LOWEST, HIGHEST, RANDOM = "*lowest", "*highest", "*random"
MINE_LOWEST, MINE_HIGHEST, MINE_RANDOM = "*mine_lowest", "*mine_highest", "*mine_random"

_groups_decoder = msgspec.msgpack.Decoder(TPSharedGroups)
_account_decoder = msgspec.msgpack.Decoder(StoredAccount)
_SCAN_BATCH = 500

T = TypeVar("T")


class SharingParameters(msgspec.Struct, kw_only=True):
    """``engine.SharingParameters``."""

    Strategy: str = ""
    RatingSubject: str = ""


class SharedGroup(msgspec.Struct, kw_only=True):
    """``engine.SharedGroup`` as APIerSv1.GetSharedGroup replies it (null maps when empty)."""

    Id: str = ""
    AccountParameters: dict[str, SharingParameters] | None = None
    MemberIds: dict[str, bool] | None = None

    def strategy_for(self, account_id: str) -> str:
        """The account's strategy (else the ``*any`` one); ``*mine_random`` when none."""
        params = self.AccountParameters or {}
        found = params.get(account_id) or params.get(ANY)
        return found.Strategy if found is not None and found.Strategy else MINE_RANDOM

    @property
    def members(self) -> list[str]:
        return sorted(self.MemberIds or ())


def order_by_strategy(
    strategy: str,
    items: list[T],
    value: Callable[[T], Decimal],
    is_mine: Callable[[T], bool],
    rng: random.Random,
) -> list[T]:
    """``SharedGroup.SortBalancesByStrategy``: ``*lowest``/``*highest`` value first, or
    shuffled (``*random`` and anything unknown); a ``*mine_`` strategy then moves the
    initiating balance to the front."""
    out = list(items)
    if strategy in (LOWEST, MINE_LOWEST):
        out.sort(key=value)
    elif strategy in (HIGHEST, MINE_HIGHEST):
        out.sort(key=value, reverse=True)
    else:
        if strategy not in (RANDOM, MINE_RANDOM):
            strategy = MINE_RANDOM  # CGRateS's default for unknown strategies (and "*mine")
        rng.shuffle(out)
    if strategy.startswith(MINE_PREFIX) and out:
        index = next((i for i, item in enumerate(out) if is_mine(item)), 0)
        out[0], out[index] = out[index], out[0]
    return out


def _memberships(stored: StoredAccount) -> set[str]:
    groups: set[str] = set()
    for balances in (stored.account.BalanceMap or {}).values():
        for balance in balances:
            groups.update(g for g, on in balance.SharedGroups.items() if on)
    return groups


class SharedGroups:
    """The loaded shared groups and their members."""

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts
        self._groups: dict[str, dict[str, SharingParameters]] = {}
        self._members: dict[str, set[str]] | None = None  # group id -> account ids
        self._of: dict[str, set[str]] = {}  # account id -> group ids
        self._building: asyncio.Lock | None = None
        # memberships committed before the index exists: applied over the scan when built
        self._pending: dict[str, set[str]] = {}

    # -- definitions ---------------------------------------------------------------------

    async def reload(self, db: DataDB) -> None:
        """Read the groups from the DataDB (at start and after every tariff-plan load)."""
        keys = await db.keys(SHARED_GROUPS)
        groups: dict[str, dict[str, SharingParameters]] = {}
        for data in await db.get_many(SHARED_GROUPS, keys):
            if data is None:
                continue
            tp = _groups_decoder.decode(data)
            groups[tp.ID] = {
                row.Account: SharingParameters(
                    Strategy=row.Strategy, RatingSubject=row.RatingSubject
                )
                for row in tp.SharedGroups
            }
        self._groups = groups

    def defined(self, group_id: str) -> bool:
        return group_id in self._groups

    # -- members -------------------------------------------------------------------------

    async def on_commit(self, stored: StoredAccount, changes: Sequence[BalanceChange]) -> None:
        """Commit hook: keep the member index in step with the account's balances."""
        if self._members is None:
            self._pending[stored.account.ID] = _memberships(stored)
        else:
            self._set_memberships(stored.account.ID, _memberships(stored))

    def _set_memberships(self, account_id: str, groups: set[str]) -> None:
        assert self._members is not None
        old = self._of.get(account_id, set())
        for group_id in old - groups:
            self._members.get(group_id, set()).discard(account_id)
        for group_id in groups - old:
            self._members.setdefault(group_id, set()).add(account_id)
        if groups:
            self._of[account_id] = groups
        else:
            self._of.pop(account_id, None)

    async def _index(self) -> dict[str, set[str]]:
        if self._members is not None:
            return self._members
        if self._building is None:
            self._building = asyncio.Lock()
        async with self._building:
            if self._members is not None:
                return self._members
            found: dict[str, set[str]] = {}
            db = self.accounts.db
            ids = await db.keys(ACCOUNTS)
            for start in range(0, len(ids), _SCAN_BATCH):
                batch = ids[start : start + _SCAN_BATCH]
                for account_id, data in zip(batch, await db.get_many(ACCOUNTS, batch), strict=True):
                    if data is not None:
                        found[account_id] = _memberships(_account_decoder.decode(data))
            # a commit during the scan may have been read before its write: its hook knows better
            found.update(self._pending)
            self._pending = {}
            self._members = {}
            self._of = {}
            for account_id, groups in found.items():
                self._set_memberships(account_id, groups)
            logger.debug("shared group members indexed over %d accounts", len(ids))
            return self._members

    async def get(self, group_id: str) -> SharedGroup | None:
        """The group with its current members, or None when no loaded plan defines it."""
        params = self._groups.get(group_id)
        if params is None:
            return None
        members = (await self._index()).get(group_id)
        return SharedGroup(
            Id=group_id,
            AccountParameters=dict(params),
            MemberIds=dict.fromkeys(sorted(members), True) if members else None,
        )
