"""RPC methods that charge accounts: Responder.Debit/MaxDebit/GetMaxSessionTime/Refund*,
and APIerSv1.DebitUsage/GetMaxUsage/GetSharedGroup.

Responder errors go out bare (``ACCOUNT_NOT_FOUND``, ``INSUFFICIENT_CREDIT``); APIerSv1's
DebitUsage wraps them as ``SERVER_ERROR: <err>``, as CGRateS does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tollgate.accounts.debit_models import DebitOptions, account_summary
from tollgate.accounts.debit_service import DebitService
from tollgate.accounts.models import Account
from tollgate.accounts.refunds import RefundIncrement
from tollgate.accounts.shared_groups import SharedGroup, SharedGroups
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.durations import parse_duration
from tollgate.core.errors import (
    MaxUsageExceededError,
    ServerError,
    TollgateError,
    mandatory_missing,
)
from tollgate.core.times import GoTime, parse_rfc3339, parse_time_detect_layout
from tollgate.rating import (
    CallCostReply,
    CallDescriptor,
    CallDescriptorArgs,
    DebitInfo,
    Increment,
    MonetaryInfo,
    ToR,
    call_cost_reply,
)

__all__ = [
    "APIerSv1Debits",
    "GetMaxSessionTimeOnAccountsArgs",
    "ResponderAccounts",
    "UsageRecord",
]

_ZERO = Decimal(0)


# -- arguments -------------------------------------------------------------------------------


class _BalanceRef(msgspec.Struct, kw_only=True):
    UUID: str = ""


class _DebitInfoArg(msgspec.Struct, kw_only=True):
    Unit: _BalanceRef | None = None
    Monetary: _BalanceRef | None = None
    AccountID: str = ""


class _IncrementArg(msgspec.Struct, kw_only=True):
    """One of ``CallDescriptor.Increments``: what paid it, by balance UUID."""

    Duration: int = 0
    Cost: Decimal = _ZERO
    CompressFactor: int = 0
    BalanceInfo: _DebitInfoArg | None = None


class GetMaxSessionTimeOnAccountsArgs(msgspec.Struct, kw_only=True):
    """``utils.GetMaxSessionTimeOnAccountsArgs``: SetupTime RFC 3339, Usage int ns."""

    Subject: str = ""
    Destination: str = ""
    Tenant: str = ""
    SetupTime: str = ""
    Usage: int = 0
    AccountIDs: list[str] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


class UsageRecord(msgspec.Struct, kw_only=True):
    """``engine.UsageRecordWithArgDispatcher`` (APIerSv1.DebitUsage / GetMaxUsage)."""

    ToR: str = ""
    RequestType: str = ""
    Tenant: str = ""
    Category: str = ""
    Account: str = ""
    Subject: str = ""
    Destination: str = ""
    SetupTime: str = ""
    AnswerTime: str = ""
    Usage: str = ""
    ExtraFields: dict[str, str] | None = None
    APIKey: str | None = None
    RouteID: str | None = None


def _go_time(text: str) -> GoTime:
    """A ``time.Time`` field: RFC 3339, or the zero time when empty."""
    if not text:
        return parse_time_detect_layout("")
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise ServerError(exc) from None


def descriptor(args: CallDescriptorArgs) -> CallDescriptor:
    """The CallDescriptor of a Responder request."""
    start, end = _go_time(args.TimeStart), _go_time(args.TimeEnd)
    return CallDescriptor(
        args.Category,
        args.Tenant,
        args.Subject,
        args.Destination,
        start.ns,
        end.ns,
        start.tz,
        account=args.Account,
        tor=args.ToR,
        loop_index=args.LoopIndex,
        duration_index=args.DurationIndex,
        max_cost_so_far=args.MaxCostSoFar,
        perform_rounding=args.PerformRounding,
    )


def options(args: CallDescriptorArgs) -> DebitOptions:
    return DebitOptions(
        max_rate=args.MaxRate,
        max_rate_unit=args.MaxRateUnit,
        force_duration=args.ForceDuration,
        dry_run=args.DryRun,
        deny_negative=args.DenyNegativeAccount,
    )


def _increments(value: Any) -> list[_IncrementArg]:
    if value is None:
        return []
    try:
        return msgspec.convert(value, list[_IncrementArg])
    except msgspec.ValidationError as exc:
        raise ServerError(f"Increments: {exc}") from None


def _refunds(value: Any) -> list[RefundIncrement]:
    out = []
    for inc in _increments(value):
        info = inc.BalanceInfo
        out.append(
            RefundIncrement(
                duration=inc.Duration,
                cost=inc.Cost,
                compress_factor=inc.CompressFactor,
                account_id=info.AccountID if info else "",
                unit_uuid=info.Unit.UUID if info and info.Unit else "",
                monetary_uuid=info.Monetary.UUID if info and info.Monetary else "",
                has_info=info is not None,
            )
        )
    return out


def _round_increments(value: Any) -> list[Increment]:
    out = []
    for inc in _increments(value):
        info = inc.BalanceInfo
        if info is None:
            continue
        money = None
        if info.Monetary is not None:
            money = MonetaryInfo(info.Monetary.UUID, "", _ZERO)
        debit_info = DebitInfo(monetary=money, account_id=info.AccountID)
        out.append(Increment(inc.Duration, inc.Cost, inc.CompressFactor, debit_info))
    return out


def _reply(cost: Any) -> CallCostReply:
    reply = call_cost_reply(cost.cc)
    if cost.account is not None:
        reply.AccountSummary = account_summary(cost.account)
    return reply


# -- Responder -------------------------------------------------------------------------------


class ResponderAccounts(Api):
    """The Responder methods that read or change account balances."""

    namespace = "Responder"

    def __init__(self, service: DebitService) -> None:
        self.service = service

    @rpc_method("Debit")
    async def debit(self, args: CallDescriptorArgs, ctx: CallContext) -> CallCostReply:
        """Charge the call to the account (the ``*default`` balance may go negative unless
        DenyNegativeAccount); the CallCost says which balance paid each increment."""
        return _reply(await self.service.debit(descriptor(args), options(args)))

    @rpc_method("MaxDebit")
    async def max_debit(self, args: CallDescriptorArgs, ctx: CallContext) -> CallCostReply:
        """Charge as much of the call as the balances pay (all of it for AllowNegative);
        with ForceDuration anything less is INSUFFICIENT_CREDIT."""
        return _reply(await self.service.max_debit(descriptor(args), options(args)))

    @rpc_method("GetMaxSessionTime")
    async def get_max_session_time(self, args: CallDescriptorArgs, ctx: CallContext) -> int:
        """How many ns of the call the balances pay (-1 for an AllowNegative account)."""
        return await self.service.max_session_time(descriptor(args), options(args))

    @rpc_method("GetMaxSessionTimeOnAccounts")
    async def get_max_session_time_on_accounts(
        self, args: GetMaxSessionTimeOnAccountsArgs, ctx: CallContext
    ) -> dict[str, Any] | None:
        """``{MaxUsage, Cost: 0, Account}`` of the first account the max session time can
        be computed for (as SupplierS asks for ``*suppliers`` accounts)."""
        start = _go_time(args.SetupTime)
        cd = CallDescriptor(
            "*suppliers",
            args.Tenant or self.service.rating.settings.default_tenant,
            args.Subject,
            args.Destination,
            start.ns,
            start.ns + args.Usage,
            start.tz,
        )
        return await self.service.max_session_on_accounts(cd, args.AccountIDs or ())

    @rpc_method("RefundIncrements")
    async def refund_increments(self, args: CallDescriptorArgs, ctx: CallContext) -> Account:
        """Give back what ``Increments`` took (units by ``BalanceInfo.Unit.UUID``, money by
        ``BalanceInfo.Monetary.UUID``, of account ``BalanceInfo.AccountID``); the reply is
        the request's Tenant:Account after the refund."""
        cd = descriptor(args)
        if not self.service.rating.usage_allowed(cd.tor or ToR.VOICE, cd.duration):
            raise MaxUsageExceededError()
        return await self.service.refund_increments(
            args.Tenant, args.Account, args.ToR, _refunds(args.Increments)
        )

    @rpc_method("RefundRounding")
    async def refund_rounding(self, args: CallDescriptorArgs, ctx: CallContext) -> int:
        """Take each increment's Cost (a rounding difference) from the monetary balance
        named by ``BalanceInfo.Monetary.UUID``; replies 0."""
        cd = descriptor(args)
        if not self.service.rating.usage_allowed(cd.tor or ToR.VOICE, cd.duration):
            raise MaxUsageExceededError()
        await self.service.refund_rounding(_round_increments(args.Increments))
        return 0

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        """Answers "Pong"."""
        return "Pong"


# -- APIerSv1 --------------------------------------------------------------------------------


class APIerSv1Debits(Api):
    """APIerSv1's usage debit, max usage and shared group methods."""

    namespace = "APIerSv1"

    def __init__(self, service: DebitService, groups: SharedGroups) -> None:
        self.service = service
        self.groups = groups

    def _descriptor(self, record: UsageRecord, *, start_field: str) -> CallDescriptor:
        """``UsageRecord.AsCallDescriptor`` after the APIer defaults."""
        settings = self.service.rating.settings
        record.ToR = record.ToR or ToR.VOICE
        record.Tenant = record.Tenant or settings.default_tenant
        record.Category = record.Category or settings.default_category
        record.Subject = record.Subject or record.Account
        if not getattr(record, start_field):
            setattr(record, start_field, "*now")
        timezone = self.service.settings().default_timezone
        try:
            start = parse_time_detect_layout(record.AnswerTime or record.SetupTime, timezone)
            usage = parse_duration(record.Usage)
        except ValueError as exc:
            raise ServerError(exc) from None
        return CallDescriptor(
            record.Category,
            record.Tenant,
            record.Subject,
            record.Destination,
            start.ns,
            start.ns + usage,
            start.tz,
            account=record.Account,
            tor=record.ToR,
        )

    @rpc_method("DebitUsage")
    async def debit_usage(self, args: UsageRecord, ctx: CallContext) -> str:
        """Debit the cost of Usage (AnswerTime defaults to now) from Account, going negative
        on its ``*default`` balance if the balances do not cover it."""
        if (missing := mandatory_missing(args, ("Account", "Destination", "Usage"))) is not None:
            raise missing
        cd = self._descriptor(args, start_field="AnswerTime")
        try:
            await self.service.debit(cd, DebitOptions())
        except TollgateError as exc:
            raise ServerError(exc) from None
        return "OK"

    @rpc_method("GetMaxUsage")
    async def get_max_usage(self, args: UsageRecord, ctx: CallContext) -> int:
        """The usage (ns) the account's balances allow for the record, -1 without limit.

        Not in v0.10's method list but in its APIerSv1: Usage defaults to the ToR's
        ``sessions.default_usage`` (3h for voice)."""
        if not args.Usage:
            defaults = self.service.settings().default_usage
            usage = defaults.get(args.ToR or ToR.VOICE, defaults.get("*any", 0))
            args.Usage = str(usage)
        cd = self._descriptor(args, start_field="SetupTime")
        return await self.service.max_session_time(cd, DebitOptions())

    @rpc_method("GetSharedGroup")
    async def get_shared_group(self, args: str, ctx: CallContext) -> SharedGroup:
        """A shared group of the loaded tariff plans with its members (an empty group when
        unknown, as CGRateS answers)."""
        return await self.groups.get(args) or SharedGroup()
