"""ActionService: the actions of Actions.csv (CGRateS v0.10 ``engine.Action``) and their run.

Actions live in the ``*actions`` DataDB partition as their tariff-plan rows (``TPActions``,
written by a load or by ``SetActions``); they are converted once per load and kept until
the next one. Running an actions profile follows ``ActionTiming.Execute``:

- per account, under the account's lock: load it (a missing one is created), run every
  action in Weight order (an action with a ``Filter`` only when a balance passes it), then
  write the account through ``AccountService.commit`` (triggers and counters run there);
  an action that fails or is unknown stops the run and the account is not written;
- with no account, the actions that need none run; the others fail with ``nil account``;
- any failure makes the whole execution answer ``PARTIALLY_EXECUTED``.

:meth:`ActionService.apply_to_account` is the in-memory part, for callers that hold the
lock and commit themselves (action triggers). A ``*remove_account`` shows in its result as a
:data:`REMOVE_ACCOUNT` change (see :func:`removes_account`): the caller removes the account
instead of committing it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

from tollgate.accounts.actions_balance import ACCOUNT_ACTIONS, RunState
from tollgate.accounts.actions_cdrs import cdr_account_action, remove_session_costs_action
from tollgate.accounts.actions_models import Action, action_from_tp
from tollgate.accounts.actions_posters import POSTER_ACTIONS, ActionHost
from tollgate.accounts.actions_rpc import RPC_ACTIONS, DestinationWriter, set_ddestinations_action
from tollgate.accounts.models import Account, StoredAccount, StoredBalanceFilter
from tollgate.accounts.service import (
    REMOVE_ACCOUNT,
    AccountService,
    BalanceChange,
    removes_account,
)
from tollgate.accounts.timings import balance_timings
from tollgate.core.config import Config
from tollgate.core.errors import NotFoundError, PartiallyExecutedError, ServerError, TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.posters import AMQPPoster, AWSPoster
from tollgate.rpc.pool import ConnManager
from tollgate.storage.datadb import DataDB
from tollgate.storage.stordb import CDRStore, StorDB
from tollgate.tariffplans import TPActions

__all__ = [
    "ACTIONS",
    "REMOVE_ACCOUNT",
    "Action",
    "ActionFilterError",
    "ActionService",
    "ActionsFailedError",
    "removes_account",
]

logger = logging.getLogger(__name__)

ACTIONS = "*actions"

_decoder = msgspec.msgpack.Decoder(TPActions)


class ActionsFailedError(PartiallyExecutedError):
    """An action failed (or its type is unknown); the run stopped there.

    ``str()`` is ``PARTIALLY_EXECUTED``; ``action`` and ``cause`` say which and why,
    ``changes`` holds what the actions before it changed (the account keeps those changes
    in memory).
    """

    def __init__(self, action: Action, cause: str, changes: list[BalanceChange]) -> None:
        super().__init__()
        self.action = action
        self.cause = cause
        self.changes = changes


class ActionFilterError(TollgateError):
    """An action's ``Filter`` could not be evaluated: CGRateS skips the account silently."""


class ActionService:
    """Reads actions from the ``*actions`` partition and runs them on accounts.

    ``conns`` returns the engine's ConnManager (``*internal`` and ``rpc_conns``), ``config``
    the running Config, ``destinations`` what ``*set_ddestinations`` writes through,
    ``stordb`` the open StorDB (``*remove_session_costs``, ``*cdr_account``).
    A ``*remove_account`` removes through :meth:`AccountService.remove_locked`, whose
    ``removed_hooks`` tell the scheduler to drop the account from its action plans.
    """

    name = "actions"

    def __init__(
        self,
        db: Callable[[], DataDB | None],
        accounts: AccountService,
        *,
        conns: Callable[[], ConnManager],
        config: Callable[[], Config],
        destinations: DestinationWriter | None = None,
        stordb: Callable[[], StorDB | None] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._db = db
        self.accounts = accounts

        def cdr_store() -> CDRStore | None:
            store = stordb() if stordb is not None else None
            return store if isinstance(store, CDRStore) else None

        self._conns = conns
        self._config = config
        self.clock = clock
        self._cache: dict[str, list[Action]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._amqp = AMQPPoster()
        self._aws = AWSPoster()
        self._background: set[asyncio.Task[None]] = set()
        self._effects: dict[str, Callable[[ActionHost, RunState, int], Awaitable[None]]] = {
            **POSTER_ACTIONS,
            **RPC_ACTIONS,
            "*set_ddestinations": set_ddestinations_action(destinations),
            "*remove_session_costs": remove_session_costs_action(lambda: self.db, cdr_store),
            "*cdr_account": cdr_account_action(cdr_store),
        }

    # -- what the side-effect actions use (ActionHost) ----------------------------------------

    def cfg(self) -> Config:
        return self._config()

    def conn_manager(self) -> ConnManager:
        return self._conns()

    async def http_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def amqp(self) -> AMQPPoster:
        """The AMQP links shared by the ``*amqp_json_map`` action and the CDR exporters."""
        return self._amqp

    def aws(self) -> AWSPoster:
        """The SQS/S3 clients shared by the queue-poster actions and the CDR exporters."""
        return self._aws

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background (async posts, mail); :meth:`close` ends them."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def wait_background(self) -> None:
        """Wait for the background work started so far (tests, a clean stop)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def close(self) -> None:
        """Cancel what still runs in the background and close the HTTP session."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._amqp.close()
        await asyncio.to_thread(self._aws.close)

    # -- the actions ------------------------------------------------------------------------

    @property
    def db(self) -> DataDB:
        db = self._db()
        if db is None:
            raise ServerError("DataDB is not open")
        return db

    async def on_load(self, db: DataDB) -> None:
        """ApierService reload hook: forget the converted actions (a load may change them)."""
        self._cache.clear()

    async def get_actions(self, actions_id: str) -> list[Action]:
        """The actions of ``actions_id`` by Weight, highest first; NOT_FOUND if none."""
        actions = await self.stored_actions(actions_id)
        return sorted(actions, key=lambda a: a.weight, reverse=True)

    async def stored_actions(self, actions_id: str) -> list[Action]:
        """The actions of ``actions_id`` in the order they were stored; NOT_FOUND if none."""
        cached = self._cache.get(actions_id)
        if cached is None:
            data = await self.db.get(ACTIONS, actions_id) if actions_id else None
            if data is None:
                raise NotFoundError()
            group = _decoder.decode(data)
            try:
                cached = [action_from_tp(actions_id, tp) for tp in group.Actions]
            except TollgateError as exc:
                raise ServerError(f"actions {actions_id}: {exc}") from exc
            self._cache[actions_id] = cached
        if not cached:
            raise NotFoundError()
        return list(cached)

    async def ids(self) -> list[str]:
        return await self.db.keys(ACTIONS)

    async def apply_to_account(
        self, stored: StoredAccount, actions_id: str, *, extra_data: Any = None
    ) -> list[BalanceChange]:
        """Apply every action of ``actions_id`` to ``stored`` in memory; do not commit.

        The caller holds ``AccountService.locked(stored.account.ID)``. Side effects (posts,
        mail, RPC calls) happen here. A ``*remove_account`` adds a
        ``BalanceChange(REMOVE_ACCOUNT, 0)`` to the result (:func:`removes_account`); the
        caller then removes the account instead of committing. Raises NOT_FOUND for unknown
        actions, :class:`ActionsFailedError` when an action fails, :class:`ActionFilterError`
        when a Filter cannot be evaluated.
        """
        actions = await self.get_actions(actions_id)
        state = await self._run(stored.account, actions, extra_data)
        changes = state.changes
        if state.removed:
            changes.append(BalanceChange(REMOVE_ACCOUNT, Decimal(0)))
        return changes

    async def execute(
        self, actions_id: str, account_ids: Sequence[str], *, extra_data: Any = None
    ) -> None:
        """``ActionTiming.Execute``: run ``actions_id`` on each account, or with no account.

        NOT_FOUND for unknown actions; PARTIALLY_EXECUTED when an action failed on some
        account (that account is not written; the others are).
        """
        actions = await self.get_actions(actions_id)
        partial = False
        for account_id in account_ids:
            async with self.accounts.locked(account_id):
                stored = await self.accounts.load(account_id)
                if stored is None:
                    stored = StoredAccount(account=Account(ID=account_id))
                try:
                    state = await self._run(stored.account, actions, extra_data)
                except ActionFilterError as exc:
                    logger.warning("actions %s skip account %s: %s", actions_id, account_id, exc)
                    continue
                except ActionsFailedError as exc:
                    logger.error("Error executing action %s: %s!", exc.action.action_type,
                                 exc.cause)  # fmt: skip
                    partial = True
                    continue
                if state.removed:
                    await self.accounts.remove_locked(account_id)
                else:
                    await self.accounts.commit(stored, state.changes)
        if not account_ids:
            partial = not await self._run_without_account(actions, extra_data)
        if partial:
            raise PartiallyExecutedError()

    # -- running ------------------------------------------------------------------------------

    def _filters(self, actions: Sequence[Action], now_ns: int) -> list[StoredBalanceFilter]:
        """Each action's balance filter with its ExpiryTime resolved now (a bad one is
        ignored, as CGRateS does)."""
        timezone = self.cfg().general.default_timezone
        now = GoTime(now_ns, dt.UTC)  # relative expiries (+720h, *monthly) print in UTC
        filters = []
        for action in actions:
            bf = action.balance
            if action.expiration_string:
                try:
                    when = parse_time_detect_layout(action.expiration_string, timezone, now=now)
                except ValueError:
                    pass
                else:
                    bf = msgspec.structs.replace(bf, ExpirationDate=when.rfc3339())
            filters.append(bf)
        return filters

    def _state(self, account: Account | None, actions: Sequence[Action], extra: Any) -> RunState:
        now = self.clock()
        return RunState(
            account=account,
            actions=actions,
            filters=self._filters(actions, now),
            now_ns=now,
            decimals=self.cfg().general.rounding_decimals,
            extra_data=extra,
        )

    async def _run(self, account: Account, actions: Sequence[Action], extra_data: Any) -> RunState:
        state = self._state(account, actions, extra_data)
        for index, action in enumerate(actions):
            if action.query is not None and action.filter:
                try:
                    if not _passes(action, account, state.now_ns):
                        continue
                except TollgateError as exc:
                    raise ActionFilterError(str(exc)) from exc
            await self._one(state, index)
            if action.action_type == REMOVE_ACCOUNT:
                state.removed = True
        return state

    async def _one(self, state: RunState, index: int) -> None:
        """Run action ``index``; ActionsFailedError when it fails or is unknown."""
        action = state.actions[index]
        kind = action.action_type
        try:
            bf = state.filters[index]
            if bf.TimingIDs is not None and bf.Timings is None:
                # the balance it sets takes the timings its TimingIDs name, as now stored
                timings = await balance_timings(self.db, bf.TimingIDs)
                state.filters[index] = msgspec.structs.replace(bf, Timings=timings)
            if kind in ACCOUNT_ACTIONS:
                ACCOUNT_ACTIONS[kind](state, index)
            elif kind in self._effects:
                await self._effects[kind](self, state, index)
            elif kind == REMOVE_ACCOUNT:
                await self._remove_without_account(state, index)
            else:
                logger.error("Function type %s not available, aborting execution!", kind)
                raise ActionsFailedError(action, f"unknown action type {kind}", state.changes)
        except ActionsFailedError:
            raise
        except TollgateError as exc:
            raise ActionsFailedError(action, str(exc), state.changes) from exc

    async def _run_without_account(self, actions: Sequence[Action], extra_data: Any) -> bool:
        """The account-less run; False when an action failed (the rest do not run)."""
        state = self._state(None, actions, extra_data)
        for index, action in enumerate(actions):
            try:
                await self._one(state, index)
            except ActionsFailedError as exc:
                logger.error("Error executing accountless action %s: %s!", action.action_type,
                             exc.cause)  # fmt: skip
                return False
        return True

    async def _remove_without_account(self, state: RunState, index: int) -> None:
        """``*remove_account`` run on an account only marks it; without one it removes the
        account named by ExtraParameters ``{"Tenant":..,"Account":..}``."""
        if state.account is not None:
            return
        extra = state.actions[index].extra_parameters
        info: dict[str, Any] = {}
        if extra:
            try:
                decoded = msgspec.json.decode(extra)
            except msgspec.DecodeError as exc:
                raise TollgateError(str(exc)) from None
            if not isinstance(decoded, dict):
                raise TollgateError("json: cannot unmarshal ExtraParameters into an account")
            info = decoded
        account_id = f"{info.get('Tenant') or ''}:{info.get('Account') or ''}"
        async with self.accounts.locked(account_id):
            await self.accounts.remove_locked(account_id)


def _passes(action: Action, account: Account, now_ns: int) -> bool:
    """``Account.matchActionFilter``: some balance of the account passes the Filter."""
    assert action.query is not None
    for kind, balances in (account.BalanceMap or {}).items():
        for balance in balances:
            if action.query(kind, balance, now_ns):
                return True
    return False
