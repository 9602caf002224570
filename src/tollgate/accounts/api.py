"""APIerSv1/APIerSv2 account methods: set, get, list, remove accounts; change balances."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tollgate.accounts.balances import BalanceFilter, balance_filter
from tollgate.accounts.counters import legacy_counters
from tollgate.accounts.models import (
    Account,
    AttrAddBalance,
    AttrGetAccount,
    AttrGetAccounts,
    AttrRemoveAccount,
    AttrSetAccountV1,
    AttrSetAccountV2,
    AttrSetBalance,
    TenantArg,
    legacy_account,
)
from tollgate.accounts.service import AccountService
from tollgate.accounts.timings import balance_timings
from tollgate.accounts.triggers import TriggerService, legacy_trigger
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import MandatoryIeMissingError, NotFoundError, mandatory_missing
from tollgate.rating.rounding import money

__all__ = ["APIerSv1Accounts", "APIerSv2Accounts"]


class PlanBinder(Protocol):
    """What SetAccount and RemoveAccount need of the scheduler (``engine.scheduler``)."""

    async def bind_account(
        self,
        account_id: str,
        plan_ids: Sequence[str],
        *,
        overwrite: bool,
        v1: bool,
        save: Callable[[list[str]], Awaitable[object]],
    ) -> bool: ...

    async def unbind_account(self, account_id: str) -> None: ...

    async def request_reload(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _PlanBinding:
    """SetAccount's action-plan arguments (v1: ActionPlanID replaces every other plan)."""

    plan_ids: list[str]
    overwrite: bool
    v1: bool
    reload_scheduler: bool


def _require(obj: object, *names: str) -> None:
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


def _account_id(tenant: str, account: str) -> str:
    return f"{tenant}:{account}"


def _set_balance_filter(args: AttrSetBalance, timezone: str) -> BalanceFilter:
    """SetBalance's filter: Value 0 leaves the value alone; an ID or UUID is required."""
    _require(args, "Tenant", "Account", "BalanceType")
    bf = balance_filter(args.Balance, timezone)
    if args.Value:
        bf.Value = money(abs(args.Value))
    if not bf.ID and not bf.Uuid:
        raise MandatoryIeMissingError("BalanceID", "or", "BalanceUUID")
    return bf


class _Accounts(Api):
    def __init__(
        self,
        service: AccountService,
        timezone: str = "UTC",
        triggers: TriggerService | None = None,
        plans: PlanBinder | None = None,
    ) -> None:
        self.service = service
        self.timezone = timezone
        self.triggers = triggers
        self.plans = plans

    async def _set_account(
        self,
        account_id: str,
        trigger_ids: list[str] | None,
        *,
        overwrite_triggers: bool,
        binding: _PlanBinding | None = None,
        **options: Any,
    ) -> None:
        """Create/update the account, then attach real triggers (an unknown trigger group
        is NOT_FOUND before anything is written). ``binding`` goes through the scheduler,
        which binds the plans, queues their ``*asap`` timings and then has the account
        written here with its new plan list."""
        if binding is not None and self.plans is not None:
            if self.triggers is not None and trigger_ids:
                await self.triggers.check_groups(trigger_ids)

            async def save(plan_ids: list[str]) -> None:
                await self._set_account(
                    account_id,
                    trigger_ids,
                    overwrite_triggers=overwrite_triggers,
                    action_plan_ids=plan_ids,
                    action_plans_overwrite=True,
                    **options,
                )

            needs_reload = await self.plans.bind_account(
                account_id, binding.plan_ids, overwrite=binding.overwrite, v1=binding.v1, save=save
            )
            if binding.reload_scheduler and needs_reload:
                await self.plans.request_reload()
            return
        if binding is not None:  # no scheduler: keep the ids only
            options.update(
                action_plan_ids=binding.plan_ids, action_plans_overwrite=binding.overwrite
            )
        if self.triggers is None or trigger_ids is None:
            await self.service.set_account(
                account_id,
                action_trigger_ids=trigger_ids,
                action_triggers_overwrite=overwrite_triggers,
                **options,
            )
            return
        await self.triggers.check_groups(trigger_ids)
        await self.service.set_account(account_id, **options)
        await self.triggers.set_account_triggers(
            account_id, trigger_ids, overwrite=overwrite_triggers
        )

    async def _with_timings(self, bf: BalanceFilter) -> BalanceFilter:
        """The balance takes the timings its TimingIDs name (``could not find timing``)."""
        if bf.TimingIDs is not None:
            bf.Timings = await balance_timings(self.service.db, bf.TimingIDs)
        return bf

    async def _set_balance(self, args: AttrSetBalance) -> str:
        bf = await self._with_timings(_set_balance_filter(args, self.timezone))
        await self.service.set_balance(_account_id(args.Tenant, args.Account), args.BalanceType, bf)
        return "OK"


class APIerSv1Accounts(_Accounts):
    """APIerSv1's account and balance methods."""

    namespace = "APIerSv1"

    @rpc_method("SetAccount")
    async def set_account(self, args: AttrSetAccountV1, ctx: CallContext) -> str:
        """Create or update an account (``AllowNegative``/``Disabled`` when given)."""
        _require(args, "Tenant", "Account")
        await self._set_account(
            _account_id(args.Tenant, args.Account),
            [args.ActionTriggersID] if args.ActionTriggersID else None,
            overwrite_triggers=True,  # v1 replaces the account's triggers
            allow_negative=args.AllowNegative,
            disabled=args.Disabled,
            binding=_PlanBinding(
                [args.ActionPlanID], overwrite=True, v1=True, reload_scheduler=args.ReloadScheduler
            )
            if args.ActionPlanID
            else None,
        )
        return "OK"

    @rpc_method("GetAccount")
    async def get_account(self, args: AttrGetAccount, ctx: CallContext) -> dict[str, Any]:
        """The account in v0.10's legacy shape (``Id:"*out:tenant:acc"``)."""
        acc = await self.service.get(_account_id(args.Tenant, args.Account))
        reply = legacy_account(acc)
        reply["UnitCounters"] = legacy_counters(acc)
        reply["ActionTriggers"] = [legacy_trigger(at) for at in acc.ActionTriggers or ()]
        return reply

    @rpc_method("GetAccountsCount")
    async def get_accounts_count(self, args: TenantArg, ctx: CallContext) -> int:
        """How many accounts the tenant has."""
        _require(args, "Tenant")
        return await self.service.count(args.Tenant + ":")

    @rpc_method("RemoveAccount")
    async def remove_account(self, args: AttrRemoveAccount, ctx: CallContext) -> str:
        """Delete an account (a missing one is not an error, as with CGRateS's drivers)."""
        _require(args, "Tenant", "Account")
        if self.plans is not None:
            await self.plans.unbind_account(_account_id(args.Tenant, args.Account))
        await self.service.remove(_account_id(args.Tenant, args.Account))
        return "OK"

    async def _modify(self, args: AttrAddBalance, *, debit: bool) -> str:
        _require(args, "Tenant", "Account", "BalanceType", "Value")
        bf = await self._with_timings(balance_filter(args.Balance, self.timezone))
        amount = money(abs(args.Value))
        bf.Value = amount
        change = self.service.debit if debit else self.service.topup
        await change(
            _account_id(args.Tenant, args.Account),
            args.BalanceType,
            bf,
            amount,
            reset=args.Overwrite,
        )
        return "OK"

    @rpc_method("AddBalance")
    async def add_balance(self, args: AttrAddBalance, ctx: CallContext) -> str:
        """``*topup`` (``*topup_reset`` with Overwrite); creates the account if missing."""
        return await self._modify(args, debit=False)

    @rpc_method("DebitBalance")
    async def debit_balance(self, args: AttrAddBalance, ctx: CallContext) -> str:
        """``*debit`` (``*debit_reset`` with Overwrite) without rating."""
        return await self._modify(args, debit=True)

    @rpc_method("SetBalance")
    async def set_balance(self, args: AttrSetBalance, ctx: CallContext) -> str:
        """``*set_balance`` on the balance named by ``Balance.ID`` or ``Balance.UUID``."""
        return await self._set_balance(args)

    @rpc_method("RemoveBalances")
    async def remove_balances(self, args: AttrSetBalance, ctx: CallContext) -> str:
        """Remove the balances matching the filter; NOT_FOUND for a missing account."""
        _require(args, "Tenant", "Account", "BalanceType")
        bf = balance_filter(args.Balance, self.timezone)
        if args.Value:
            bf.Value = money(abs(args.Value))
        await self.service.remove_balances(
            _account_id(args.Tenant, args.Account), args.BalanceType, bf
        )
        return "OK"


class APIerSv2Accounts(_Accounts):
    """APIerSv2's account methods (``engine.Account`` replies)."""

    namespace = "APIerSv2"

    @rpc_method("SetAccount")
    async def set_account(self, args: AttrSetAccountV2, ctx: CallContext) -> str:
        """Create or update an account; ExtraOptions sets AllowNegative/Disabled."""
        _require(args, "Tenant", "Account")
        options = args.ExtraOptions or {}
        await self._set_account(
            _account_id(args.Tenant, args.Account),
            args.ActionTriggerIDs,
            overwrite_triggers=args.ActionTriggerOverwrite,
            allow_negative=options.get("AllowNegative"),
            disabled=options.get("Disabled"),
            binding=_PlanBinding(
                list(args.ActionPlanIDs),
                overwrite=args.ActionPlansOverwrite,
                v1=False,
                reload_scheduler=args.ReloadScheduler,
            )
            if args.ActionPlanIDs is not None
            else None,
        )
        return "OK"

    @rpc_method("GetAccount")
    async def get_account(self, args: AttrGetAccount, ctx: CallContext) -> Account:
        """The account, or NOT_FOUND."""
        return await self.service.get(_account_id(args.Tenant, args.Account))

    @rpc_method("GetAccounts")
    async def get_accounts(self, args: AttrGetAccounts, ctx: CallContext) -> list[Account] | None:
        """The tenant's accounts (all, or those in AccountIDs), paged by Offset/Limit."""
        _require(args, "Tenant")
        if args.AccountIDs:
            ids = [_account_id(args.Tenant, a) for a in args.AccountIDs if a]
        else:
            ids = await self.service.ids(args.Tenant + ":")
        if not ids:
            return None
        end = args.Offset + args.Limit if args.Limit else None
        found: list[Account] = []
        for account_id in ids[args.Offset : end]:
            try:
                found.append(await self.service.get(account_id))
            except NotFoundError:
                continue
        return found

    @rpc_method("SetBalance")
    async def set_balance(self, args: AttrSetBalance, ctx: CallContext) -> str:
        """As APIerSv1.SetBalance."""
        return await self._set_balance(args)
