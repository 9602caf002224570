"""DebitService: the debit engine run against stored accounts, under their locks.

Every operation locks the accounts it may change (the call's account, and the members of
the shared groups its balances belong to) in one fixed order, by account id, so two calls
of accounts sharing a group never wait for each other in a circle. It loads them, runs the
pure debit of :mod:`.debit`, and writes every account it changed through
``AccountService.commit_many`` (so counters and triggers see one BalanceChange per balance)
as one group write before answering: an acknowledged debit is durable, and a crash keeps
all the accounts of one shared-group debit or none.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from tollgate.accounts.debit import debit, max_debit, max_session_duration
from tollgate.accounts.debit_models import (
    DebitContext,
    DebitCost,
    DebitOptions,
    plain_cost,
)
from tollgate.accounts.models import Account, StoredAccount
from tollgate.accounts.refunds import RefundIncrement, refund_increments, refund_rounding
from tollgate.accounts.selection import member_ids
from tollgate.accounts.service import AccountService, BalanceChange
from tollgate.accounts.shared_groups import SharedGroup, SharedGroups
from tollgate.core.config import Config
from tollgate.core.errors import (
    AccountDisabledError,
    AccountNotFoundError,
    MaxUsageExceededError,
    NotFoundError,
    ServerError,
    TollgateError,
)
from tollgate.core.times import parse_rfc3339
from tollgate.rating import CallDescriptor, Increment, RatingService, ToR

__all__ = ["DebitService", "DebitSettings", "debit_settings"]

logger = logging.getLogger(__name__)

_LAST_NS = parse_rfc3339("9999-01-01T00:00:00Z").ns
_LOCK_ROUNDS = 8  # how often the member set may grow under us before we give up


@dataclass(frozen=True, slots=True)
class DebitSettings:
    """What the debit reads from the config (besides rating's settings)."""

    balance_rating_subject: Mapping[str, str] = field(
        default_factory=lambda: {"*any": "*zero1ns", "*voice": "*zero1s"}
    )
    default_timezone: str = "UTC"
    default_usage: Mapping[str, int] = field(default_factory=dict)


def debit_settings(cfg: Config) -> DebitSettings:
    return DebitSettings(
        balance_rating_subject=dict(cfg.rals.balance_rating_subject),
        default_timezone=cfg.general.default_timezone,
        default_usage=dict(cfg.sessions.default_usage),
    )


@dataclass(slots=True)
class _Session:
    """The accounts one operation holds locked, as loaded (None: not stored)."""

    primary: str
    loaded: dict[str, StoredAccount | None]
    groups: dict[str, SharedGroup]
    counts: dict[str, int] = field(default_factory=dict)  # balances per account at load

    @property
    def account(self) -> Account:
        stored = self.loaded[self.primary]
        assert stored is not None
        return stored.account


def _balance_count(acc: Account) -> int:
    return sum(len(b) for b in (acc.BalanceMap or {}).values())


class DebitService:
    """Debit, MaxDebit, max session time and refunds of stored accounts."""

    def __init__(
        self,
        accounts: AccountService,
        rating: RatingService,
        groups: SharedGroups,
        config: Callable[[], Config] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.accounts = accounts
        self.rating = rating
        self.groups = groups
        self.config = config
        self.rng = rng or random.Random()
        self._settings: tuple[Config | None, DebitSettings] = (None, DebitSettings())

    def settings(self) -> DebitSettings:
        """The config's debit settings, rebuilt only when the config object changes."""
        if self.config is None:
            return self._settings[1]
        cfg = self.config()
        if self._settings[0] is not cfg:
            self._settings = (cfg, debit_settings(cfg))
        return self._settings[1]

    # -- the call descriptor --------------------------------------------------------------

    def prepare(self, cd: CallDescriptor) -> str:
        """Responder defaults and the usage limit; returns the account key."""
        settings = self.rating.settings
        if not cd.tenant:
            cd.tenant = settings.default_tenant
        if not cd.category:
            cd.category = settings.default_category
        if not cd.subject:
            cd.subject = cd.account
        if not self.rating.usage_allowed(cd.tor or ToR.VOICE, cd.duration):
            raise MaxUsageExceededError()
        if max(cd.time_start, cd.time_end) >= _LAST_NS:  # replies could not print the spans
            raise ServerError("TimeStart and TimeEnd must be before 9999-01-01T00:00:00Z")
        return f"{cd.tenant}:{cd.account or cd.subject}"

    # -- locking and loading --------------------------------------------------------------

    async def _groups_of(
        self, acc: Account, cd: CallDescriptor
    ) -> tuple[dict[str, SharedGroup], set[str]]:
        """The shared groups the call's balances are in, and all their members."""
        group_ids = member_ids(acc, cd, self.rating.data.prefixes_of)
        groups: dict[str, SharedGroup] = {}
        members: set[str] = set()
        for group_id in group_ids:
            group = await self.groups.get(group_id)
            if group is None:  # CGRateS fails the whole call on a group it cannot load
                logger.warning("Could not get shared group: %s", group_id)
                raise NotFoundError()
            groups[group_id] = group
            members.update(group.members)
        return groups, members

    async def _open(self, stack: AsyncExitStack, account_id: str, cd: CallDescriptor) -> _Session:
        """Lock and load the account and its shared-group partners (ids ascending)."""
        locked: list[str] = []
        wanted = [account_id]
        for _ in range(_LOCK_ROUNDS):
            if locked and min(set(wanted) - set(locked)) < max(locked):
                # a partner sorts before what we hold: start over in order
                await stack.aclose()
                locked = []
            for other in sorted(set(wanted) - set(locked)):
                await stack.enter_async_context(self.accounts.locked(other))
                locked.append(other)
            loaded = {i: await self.accounts.load(i) for i in locked}
            stored = loaded[account_id]
            if stored is None:
                raise AccountNotFoundError()
            if stored.account.Disabled:
                raise AccountDisabledError()
            groups, members = await self._groups_of(stored.account, cd)
            missing = members - set(locked)
            if not missing:
                counts = {i: _balance_count(s.account) for i, s in loaded.items() if s is not None}
                return _Session(account_id, loaded, groups, counts)
            wanted = sorted(set(locked) | members)
        raise ServerError("shared group members keep changing")

    def _context(self, session: _Session) -> DebitContext:
        options = self.rating.settings.options
        data = self.rating.data
        return DebitContext(
            accounts={i: s.account for i, s in session.loaded.items() if s is not None},
            rate=lambda cd: plain_cost(cd, data, options),
            prefixes_of=data.prefixes_of,
            groups=session.groups,
            zero_subjects=self.settings().balance_rating_subject,
            decimals=options.rounding_decimals,
            rng=self.rng,
        )

    async def _commit(
        self,
        loaded: Mapping[str, StoredAccount | None],
        ctx: DebitContext,
        destination: str,
        counts: Mapping[str, int] | None = None,
        category: str = "",
    ) -> None:
        """Write every account the debit changed (a balance value, or a new balance), all
        in one group write: a crash keeps the whole debit or none of it."""
        touched = ctx.touched()
        changed: list[tuple[StoredAccount, list[BalanceChange]]] = []
        for account_id, stored in loaded.items():
            if stored is None:
                continue
            entries = touched.get(account_id)
            grown = counts is not None and _balance_count(stored.account) != counts.get(account_id)
            if not entries and not grown:
                continue
            changes = [
                BalanceChange(
                    str(kind), amount, balance, destination, rated=True, category=category
                )
                for kind, amount, balance in entries or ()
            ]
            changed.append((stored, changes))
        await self.accounts.commit_many(changed)

    # -- operations -----------------------------------------------------------------------

    async def debit(self, cd: CallDescriptor, options: DebitOptions) -> DebitCost:
        """``Responder.Debit``: charge the whole call, going negative unless denied."""
        account_id = self.prepare(cd)
        destination = cd.destination
        async with AsyncExitStack() as stack:
            session = await self._open(stack, account_id, cd)
            ctx = self._context(session)
            total = debit(
                ctx,
                session.account,
                cd,
                dry_run=options.dry_run,
                go_negative=not options.deny_negative,
                perform_rounding=cd.perform_rounding,
            )
            if not options.dry_run:
                await self._commit(
                    session.loaded, ctx, destination, session.counts, category=cd.category
                )
            return total

    async def max_debit(self, cd: CallDescriptor, options: DebitOptions) -> DebitCost:
        """``Responder.MaxDebit``: charge as much of the call as the balances pay."""
        account_id = self.prepare(cd)
        destination = cd.destination
        async with AsyncExitStack() as stack:
            session = await self._open(stack, account_id, cd)
            ctx = self._context(session)
            total = max_debit(ctx, session.account, cd, options)
            if not options.dry_run:
                await self._commit(
                    session.loaded, ctx, destination, session.counts, category=cd.category
                )
            return total

    async def max_session_time(self, cd: CallDescriptor, options: DebitOptions) -> int:
        """``Responder.GetMaxSessionTime``: ns the balances pay (-1 for AllowNegative)."""
        account_id = self.prepare(cd)
        async with AsyncExitStack() as stack:
            session = await self._open(stack, account_id, cd)
            return max_session_duration(self._context(session), session.account, cd, options)

    async def max_session_on_accounts(
        self, base: CallDescriptor, account_names: Iterable[str]
    ) -> dict[str, object] | None:
        """``Responder.GetMaxSessionTimeOnAccounts``: the first account a max session time
        can be computed for; the last error when none."""
        error: TollgateError | None = None
        for name in account_names:
            cd = CallDescriptor(
                base.category,
                base.tenant,
                base.subject,
                base.destination,
                base.time_start,
                base.time_end,
                base.tz,
                account=name,
                duration_index=base.duration,
            )
            try:
                usage = await self.max_session_time(cd, DebitOptions())
            except TollgateError as exc:
                logger.warning("<Responder> ignoring cost for account: %s, err: %s", name, exc)
                error = exc
                continue
            return {"MaxUsage": usage, "Cost": 0, "Account": name}
        if error is not None:
            raise error
        return None

    async def refund_increments(
        self, tenant: str, account: str, tor: str, increments: list[RefundIncrement]
    ) -> Account:
        """``Responder.RefundIncrements``: give back what the increments took; the reply is
        the request's account as refunded (an empty account when it was not refunded)."""
        ids = sorted({inc.account_id for inc in increments if inc.unit_uuid or inc.monetary_uuid})
        async with AsyncExitStack() as stack:
            loaded = await self._lock_all(stack, ids)
            ctx = self._refund_context(loaded)
            refund_increments(ctx, increments, tor or ToR.VOICE)
            await self._commit(loaded, ctx, "")
            stored = loaded.get(f"{tenant}:{account}")
            return stored.account if stored is not None else Account(ID="")

    async def refund_rounding(self, increments: list[Increment]) -> None:
        """``Responder.RefundRounding``: charge (or give back) rounding differences."""
        ids = sorted({inc.balance_info.account_id for inc in increments if inc.balance_info})
        async with AsyncExitStack() as stack:
            loaded = await self._lock_all(stack, ids)
            ctx = self._refund_context(loaded)
            refund_rounding(ctx, increments)
            await self._commit(loaded, ctx, "")

    async def _lock_all(
        self, stack: AsyncExitStack, ids: list[str]
    ) -> dict[str, StoredAccount | None]:
        for account_id in ids:  # sorted: the same order as every other multi-account lock
            await stack.enter_async_context(self.accounts.locked(account_id))
        return {account_id: await self.accounts.load(account_id) for account_id in ids}

    def _refund_context(self, loaded: Mapping[str, StoredAccount | None]) -> DebitContext:
        options = self.rating.settings.options
        data = self.rating.data
        return DebitContext(
            accounts={i: s.account for i, s in loaded.items() if s is not None},
            rate=lambda cd: plain_cost(cd, data, options),
            prefixes_of=data.prefixes_of,
            decimals=options.rounding_decimals,
        )
