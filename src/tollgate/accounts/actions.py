"""ActionService: the actions of Actions.csv (``engine.Action`` of CGRateS v0.10) and their run.

Skeleton of the interface other helpers code against; the bodies follow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tollgate.accounts.balances import BalanceFilter
from tollgate.accounts.models import StoredAccount
from tollgate.accounts.service import AccountService, BalanceChange
from tollgate.core.errors import NotImplementedYetError
from tollgate.storage.datadb import DataDB

__all__ = ["REMOVE_ACCOUNT", "Action", "ActionService", "removes_account"]

logger = logging.getLogger(__name__)

# The kind of the marker change apply_to_account returns when a ``*remove_account`` ran:
# the caller removes the account instead of committing it.
REMOVE_ACCOUNT = "*remove_account"


def removes_account(changes: Sequence[BalanceChange]) -> bool:
    """Whether ``changes`` (from :meth:`ActionService.apply_to_account`) remove the account."""
    return any(change.kind == REMOVE_ACCOUNT for change in changes)


@dataclass(slots=True)
class Action:
    """One action (``engine.Action``): its type, parameters and balance filter."""

    id: str
    action_type: str
    extra_parameters: str = ""
    filter: str = ""
    expiration: str = ""
    weight: Decimal = Decimal(0)
    balance_type: str = ""
    balance: BalanceFilter = field(default_factory=BalanceFilter)
    units: Decimal | None = None


class ActionService:
    """Reads actions from the ``*actions`` partition and runs them on accounts."""

    name = "actions"

    def __init__(
        self,
        db: Callable[[], DataDB | None],
        accounts: AccountService,
        *,
        conns: Callable[[], Any] | None = None,
        config: Callable[[], Any] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._db = db
        self.accounts = accounts
        self._conns = conns
        self._config = config
        self.clock = clock

    async def get_actions(self, actions_id: str) -> list[Action]:
        """The actions of ``actions_id`` sorted by Weight (highest first); NOT_FOUND if none."""
        raise NotImplementedYetError()

    async def apply_to_account(self, stored: StoredAccount, actions_id: str) -> list[BalanceChange]:
        """Apply every action of ``actions_id`` to ``stored`` in memory; do not commit.

        The caller holds ``AccountService.locked(stored.account.ID)``. A ``*remove_account``
        adds a ``BalanceChange(REMOVE_ACCOUNT, 0)`` marker to the result
        (:func:`removes_account`); the caller then removes the account instead of committing.
        """
        raise NotImplementedYetError()

    async def execute(self, actions_id: str, account_ids: Sequence[str]) -> None:
        """``ActionTiming.Execute``: run ``actions_id`` on each account (or with none)."""
        raise NotImplementedYetError()
