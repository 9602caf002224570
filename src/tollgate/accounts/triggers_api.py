"""APIerSv1/APIerSv2 action-trigger methods: trigger definitions and the triggers on accounts.

Argument and reply shapes are CGRateS v0.10's (``apier/v1/triggers.go``): definitions are
read and written in the ``*action_triggers`` DataDB partition (through
``ApierService.apply``, like a tariff-plan load), account triggers under the account lock.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tollgate.accounts.models import (
    ActionTrigger,
    StoredAccount,
    StoredBalanceFilter,
)
from tollgate.accounts.triggers import (
    ACTION_TRIGGERS,
    TriggerService,
    tp_row_of_trigger,
    triggers_from_tp,
)
from tollgate.apier.service import ApierService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.durations import parse_duration
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
    mandatory_missing,
)
from tollgate.core.times import parse_time_detect_layout
from tollgate.core.wire import go_number
from tollgate.rating.rounding import money
from tollgate.tariffplans.models_accounts import TPActionTriggers

__all__ = ["APIerSv1Triggers", "APIerSv2Triggers"]


# -- arguments ---------------------------------------------------------------------------------


class _Routed(msgspec.Struct, kw_only=True):
    APIKey: str | None = None
    RouteID: str | None = None


class AttrAcntAction(_Routed, kw_only=True):
    """``{Tenant, Account}``."""

    Tenant: str = ""
    Account: str = ""


class AttrAddAccountActionTriggers(_Routed, kw_only=True):
    Tenant: str = ""
    Account: str = ""
    ActionTriggerIDs: list[str] | None = None
    ActionTriggerOverwrite: bool = False
    ActivationDate: str = ""
    Executed: bool = False


class AttrRemoveAccountActionTriggers(_Routed, kw_only=True):
    Tenant: str = ""
    Account: str = ""
    GroupID: str = ""
    UniqueID: str = ""


class AttrResetAccountActionTriggers(_Routed, kw_only=True):
    Tenant: str = ""
    Account: str = ""
    GroupID: str = ""
    UniqueID: str = ""
    Executed: bool = False


class AttrSetActionTrigger(_Routed, kw_only=True):
    """``{GroupID, UniqueID, ActionTrigger: {field: value}}`` (SetActionTrigger)."""

    GroupID: str = ""
    UniqueID: str = ""
    ActionTrigger: dict[str, Any] | None = None


class AttrSetAccountActionTriggers(AttrSetActionTrigger, kw_only=True):
    """APIerSv1.SetAccountActionTriggers: the SetActionTrigger fields plus the account."""

    Tenant: str = ""
    Account: str = ""


class AttrSetAccountActionTriggersV2(_Routed, kw_only=True):
    """APIerSv2.SetAccountActionTriggers: flat optional fields (None = leave alone)."""

    Tenant: str = ""
    Account: str = ""
    GroupID: str | None = None
    UniqueID: str | None = None
    ThresholdType: str | None = None
    ThresholdValue: Decimal | None = None
    Recurrent: bool | None = None
    Executed: bool | None = None
    MinSleep: str | None = None
    ExpirationDate: str | None = None
    ActivationDate: str | None = None
    BalanceID: str | None = None
    BalanceType: str | None = None
    BalanceDestinationIds: list[str] | None = None
    BalanceWeight: Decimal | None = None
    BalanceExpirationDate: str | None = None
    BalanceTimingTags: list[str] | None = None
    BalanceRatingSubject: str | None = None
    BalanceCategories: list[str] | None = None
    BalanceSharedGroups: list[str] | None = None
    BalanceBlocker: bool | None = None
    BalanceDisabled: bool | None = None
    MinQueuedItems: int | None = None
    ActionsID: str | None = None


class AttrRemoveActionTrigger(_Routed, kw_only=True):
    GroupID: str = ""
    UniqueID: str = ""


class AttrGetActionTriggers(_Routed, kw_only=True):
    GroupIDs: list[str] | None = None


class AttrAddActionTrigger(_Routed, kw_only=True):
    """AddTriggeredAction (deprecated in CGRateS for AddAccountActionTriggers)."""

    ActionTriggersId: str = ""
    ActionTriggersUniqueId: str = ""
    Tenant: str = ""
    Account: str = ""
    ThresholdType: str = ""
    ThresholdValue: Decimal = Decimal(0)
    BalanceId: str = ""
    BalanceType: str = ""
    BalanceDestinationIds: str = ""
    BalanceRatingSubject: str = ""
    BalanceWeight: Decimal = Decimal(0)
    BalanceExpiryTime: str = ""
    BalanceSharedGroup: str = ""
    Weight: Decimal = Decimal(0)
    ActionsId: str = ""


# -- values of the ActionTrigger map (CGRateS's IfaceAs* conversions) --------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _shown(value: Any) -> str:
    """A value in an error text as Go's ``%v`` prints it (``[<nil> 3]``, ``1e+30``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_shown(v)}" for k, v in value.items()) + "]"
    if isinstance(value, Decimal | float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(int(value)) < 10**21:
            return str(int(value))
        return repr(float(value))
    return str(value)


def _float(value: Any) -> Decimal:
    """``IfaceAsFloat64`` (NaN and infinities refused: nothing could compare with them)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TollgateError(f"cannot convert field: {_shown(value)} to float64")
    try:
        number = go_number(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise TollgateError(f'strconv.ParseFloat: parsing "{_shown(value)}": invalid syntax')
    return money(number)


def _bool(value: Any) -> bool:
    """``IfaceAsBool``: bools, numbers (non-zero) and ``strconv.ParseBool`` strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value != 0
    if not isinstance(value, str):
        raise TollgateError(f"cannot convert field: {_shown(value)} to bool")
    text = value.strip().lower()
    if text in ("1", "t", "true"):
        return True
    if text in ("0", "f", "false"):
        return False
    raise TollgateError(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def _int(value: Any) -> int:
    """``IfaceAsInt64``: numbers (truncated) and ``strconv.ParseInt`` strings."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        raise TollgateError(f"cannot convert field: {_shown(value)} to int")
    try:
        return int(value.strip())
    except ValueError:
        raise TollgateError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def _duration(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise TollgateError(f"cannot convert field: {_shown(value)} to time.Duration")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise TollgateError(str(exc)) from None


def _time(value: Any, timezone: str) -> str:
    try:
        return parse_time_detect_layout(_text(value), timezone).rfc3339()
    except ValueError as exc:
        raise TollgateError(str(exc)) from None


def _string_list(value: Any) -> dict[str, bool]:
    if not isinstance(value, list):
        raise TollgateError(f"cannot convert field: {_shown(value)} to []string")
    return _string_map([_text(v) for v in value])


def _string_map(values: list[str]) -> dict[str, bool]:
    """``utils.NewStringMap``: a leading ``!`` excludes the id."""
    result: dict[str, bool] = {}
    for raw in values:
        item = raw.strip()
        if item.startswith("!"):
            result[item[1:]] = False
        elif item:
            result[item] = True
    return result


def _update_trigger(
    at: ActionTrigger, group_id: str, unique_id: str, fields: dict[str, Any], timezone: str
) -> bool:
    """``AttrSetActionTrigger.UpdateActionTrigger``: apply ``fields`` when ``at`` matches.

    A new trigger (empty ID) needs GroupID, ThresholdType and ThresholdValue.
    """
    if not at.ID:
        if not group_id:
            raise MandatoryIeMissingError("GroupID")
        missing = [f for f in ("ThresholdType", "ThresholdValue") if f not in fields]
        if missing:
            raise MandatoryIeMissingError(*missing)
        at.ID = group_id
        if unique_id:
            at.UniqueID = unique_id
    if group_id and group_id != at.ID:
        return False
    if unique_id and unique_id != at.UniqueID:
        return False
    if "ThresholdType" in fields:
        at.ThresholdType = _text(fields["ThresholdType"])
    if "ThresholdValue" in fields:
        at.ThresholdValue = _float(fields["ThresholdValue"])
    if "Recurrent" in fields:
        at.Recurrent = _bool(fields["Recurrent"])
    if "Executed" in fields:
        at.Executed = _bool(fields["Executed"])
    if "MinSleep" in fields:
        at.MinSleep = _duration(fields["MinSleep"])
    if "ExpirationDate" in fields:
        at.ExpirationDate = _time(fields["ExpirationDate"], timezone)
    if "ActivationDate" in fields:
        at.ActivationDate = _time(fields["ActivationDate"], timezone)
    bf = at.Balance = at.Balance or StoredBalanceFilter()
    if "BalanceID" in fields:
        bf.ID = _text(fields["BalanceID"])
    if "BalanceType" in fields:
        bf.Type = _text(fields["BalanceType"])
    if "BalanceDestinationIds" in fields:
        bf.DestinationIDs = _string_list(fields["BalanceDestinationIds"])
    if "BalanceWeight" in fields:
        bf.Weight = _float(fields["BalanceWeight"])
    if "BalanceExpirationDate" in fields:
        bf.ExpirationDate = _time(fields["BalanceExpirationDate"], timezone)
    if "BalanceTimingTags" in fields:
        bf.TimingIDs = _string_list(fields["BalanceTimingTags"])
    if "BalanceRatingSubject" in fields:
        bf.RatingSubject = _text(fields["BalanceRatingSubject"])
    if "BalanceCategories" in fields:
        bf.Categories = _string_list(fields["BalanceCategories"])
    if "BalanceSharedGroups" in fields:
        bf.SharedGroups = _string_list(fields["BalanceSharedGroups"])
    if "BalanceBlocker" in fields:
        bf.Blocker = _bool(fields["BalanceBlocker"])
    if "BalanceDisabled" in fields:
        bf.Disabled = _bool(fields["BalanceDisabled"])
    if "MinQueuedItems" in fields:
        at.MinQueuedItems = _int(fields["MinQueuedItems"])
    if "ActionsID" in fields:
        at.ActionsID = _text(fields["ActionsID"])
    return True


def _v2_fields(args: AttrSetAccountActionTriggersV2) -> dict[str, Any]:
    """The given (non-None) fields of the v2 arguments as the v1 ActionTrigger map."""
    fields: dict[str, Any] = {}
    for name in AttrSetAccountActionTriggersV2.__struct_fields__:
        if name in ("Tenant", "Account", "GroupID", "UniqueID", "APIKey", "RouteID"):
            continue
        value = getattr(args, name)
        if value is not None:
            fields[name] = value
    return fields


# -- the APIs ----------------------------------------------------------------------------------


def _require(obj: object, *names: str) -> None:
    if (err := mandatory_missing(obj, names)) is not None:
        raise err


class _Triggers(Api):
    def __init__(
        self,
        triggers: TriggerService,
        apier: ApierService,
        timezone: Callable[[], str] = lambda: "UTC",
    ) -> None:
        self.triggers = triggers
        self.apier = apier
        self.timezone = timezone

    @property
    def accounts(self) -> Any:
        return self.triggers.accounts

    async def _account_triggers(self, args: AttrAcntAction) -> list[ActionTrigger]:
        _require(args, "Tenant", "Account")
        stored = await self.accounts.load(f"{args.Tenant}:{args.Account}")
        if stored is None:
            raise ServerError(NotFoundError())
        return stored.account.ActionTriggers or []

    async def _locked_change(
        self,
        tenant: str,
        account: str,
        change: Callable[[StoredAccount], Any],
        *,
        evaluated: bool = False,
    ) -> str:
        """Run ``change`` on the account under its lock and commit; NOT_FOUND if missing.

        ``evaluated``: ``change`` ran the triggers itself; the commit hook does not again.
        """
        account_id = f"{tenant}:{account}"
        async with self.accounts.locked(account_id):
            stored = await self.accounts.load(account_id)
            if stored is None:
                raise NotFoundError()
            await change(stored)
            token = self.triggers.mark_evaluated() if evaluated else None
            try:
                await self.accounts.commit(stored)
            finally:
                if token is not None:
                    self.triggers.unmark(token)
        return "OK"

    async def _reset(self, args: AttrResetAccountActionTriggers) -> str:
        _require(args, "Tenant", "Account")

        async def change(stored: StoredAccount) -> None:
            for at in stored.account.ActionTriggers or ():
                if (not args.UniqueID or at.UniqueID == args.UniqueID) and (
                    not args.GroupID or args.GroupID == at.ID
                ):
                    at.Executed = args.Executed
            if not args.Executed:
                await self.triggers.execute(stored, set(), now=self.triggers.clock())

        return await self._locked_change(args.Tenant, args.Account, change, evaluated=True)

    async def _set_account_trigger(
        self, tenant: str, account: str, group_id: str, unique_id: str, fields: dict[str, Any]
    ) -> str:
        timezone = self.timezone()

        async def change(stored: StoredAccount) -> None:
            acc = stored.account
            found = False
            for at in acc.ActionTriggers or ():
                if _update_trigger(at, group_id, unique_id, fields, timezone):
                    found = True
            if not found:
                at = ActionTrigger()
                if _update_trigger(at, group_id, unique_id, fields, timezone):
                    acc.ActionTriggers = [*(acc.ActionTriggers or ()), at]
            await self.triggers.execute(stored, set(), now=self.triggers.clock())

        return await self._locked_change(tenant, account, change, evaluated=True)

    @rpc_method("GetAccountActionTriggers")
    async def get_account_action_triggers(
        self, args: AttrAcntAction, ctx: CallContext
    ) -> list[ActionTrigger]:
        """The account's triggers (``[]`` when it has none)."""
        return await self._account_triggers(args)

    @rpc_method("ResetAccountActionTriggers")
    async def reset_account_action_triggers(
        self, args: AttrResetAccountActionTriggers, ctx: CallContext
    ) -> str:
        """Set Executed on the triggers matching GroupID/UniqueID (all when empty); with
        Executed false the triggers are checked again at once."""
        return await self._reset(args)


class APIerSv1Triggers(_Triggers):
    """APIerSv1's trigger methods."""

    namespace = "APIerSv1"

    @rpc_method("AddAccountActionTriggers")
    async def add_account_action_triggers(
        self, args: AttrAddAccountActionTriggers, ctx: CallContext
    ) -> str:
        """Attach trigger groups to an existing account (ActivationDate/Executed on each)."""
        _require(args, "Tenant", "Account")
        activation = _time(args.ActivationDate, self.timezone())
        ids = args.ActionTriggerIDs

        async def change(stored: StoredAccount) -> None:
            if ids is None:  # CGRateS leaves the triggers alone, but rebuilds the counters
                await self.triggers.attach_triggers(stored, [], overwrite=False)
                return
            await self.triggers.attach_triggers(
                stored,
                ids,
                overwrite=args.ActionTriggerOverwrite,
                activation_date=activation,
                executed=args.Executed,
            )

        return await self._locked_change(args.Tenant, args.Account, change)

    @rpc_method("RemoveAccountActionTriggers")
    async def remove_account_action_triggers(
        self, args: AttrRemoveAccountActionTriggers, ctx: CallContext
    ) -> str:
        """Drop the account's triggers matching GroupID/UniqueID (all when both empty)."""
        _require(args, "Tenant", "Account")

        async def change(stored: StoredAccount) -> None:
            acc = stored.account
            kept = [
                at
                for at in acc.ActionTriggers or ()
                if not (
                    (not args.UniqueID or at.UniqueID == args.UniqueID)
                    and (not args.GroupID or args.GroupID == at.ID)
                )
            ]
            acc.ActionTriggers = kept or None
            await self.triggers.attach_triggers(stored, [], overwrite=False)

        return await self._locked_change(args.Tenant, args.Account, change)

    @rpc_method("SetAccountActionTriggers")
    async def set_account_action_triggers(
        self, args: AttrSetAccountActionTriggers, ctx: CallContext
    ) -> str:
        """Update the account's triggers matching GroupID/UniqueID with the ActionTrigger
        fields, or add a new one (GroupID, ThresholdType and ThresholdValue needed)."""
        _require(args, "Tenant", "Account")
        return await self._set_account_trigger(
            args.Tenant, args.Account, args.GroupID, args.UniqueID, args.ActionTrigger or {}
        )

    @rpc_method("GetActionTriggers")
    async def get_action_triggers(
        self, args: AttrGetActionTriggers, ctx: CallContext
    ) -> list[ActionTrigger]:
        """The trigger definitions of GroupIDs (all when empty); NOT_FOUND if there are none."""
        ids = args.GroupIDs or await self.triggers.group_ids()
        if not ids:
            raise NotFoundError()
        found: list[ActionTrigger] = []
        for group_id in ids:
            found.extend(await self.triggers.get_triggers(group_id))
        return found

    @rpc_method("SetActionTrigger")
    async def set_action_trigger(self, args: AttrSetActionTrigger, ctx: CallContext) -> str:
        """Create or update (by UniqueID) one trigger of the group GroupID."""
        _require(args, "GroupID")
        try:
            group = await self.triggers.get_group(args.GroupID)
        except NotFoundError:
            group = TPActionTriggers(ID=args.GroupID)
        timezone = self.timezone()
        current = self._group_triggers(group)
        target = next(
            (at for at in current if args.UniqueID and at.UniqueID == args.UniqueID), None
        )
        if target is None:
            target = ActionTrigger()
            current.append(target)
        target.ID = args.GroupID
        target.UniqueID = args.UniqueID or str(uuid.uuid4())
        _update_trigger(target, args.GroupID, target.UniqueID, args.ActionTrigger or {}, timezone)
        await self._store_group(group, current)
        return "OK"

    @rpc_method("RemoveActionTrigger")
    async def remove_action_trigger(self, args: AttrRemoveActionTrigger, ctx: CallContext) -> str:
        """Remove the group GroupID, or only its trigger UniqueID."""
        _require(args, "GroupID")
        if not args.UniqueID:
            await self.apier.apply({}, {ACTION_TRIGGERS: [args.GroupID]})
            return "OK"
        group = await self.triggers.get_group(args.GroupID)
        kept = [at for at in self._group_triggers(group) if at.UniqueID != args.UniqueID]
        await self._store_group(group, kept)
        return "OK"

    @rpc_method("AddTriggeredAction")
    async def add_triggered_action(self, args: AttrAddActionTrigger, ctx: CallContext) -> str:
        """Append one trigger, given field by field, to an existing account."""
        _require(args, "Tenant", "Account")
        bf = StoredBalanceFilter()
        if args.BalanceId:
            bf.ID = args.BalanceId
        if args.BalanceType:
            bf.Type = args.BalanceType
        if args.BalanceDestinationIds:
            bf.DestinationIDs = dict.fromkeys(args.BalanceDestinationIds.split(";"), True)
        if args.BalanceRatingSubject:
            bf.RatingSubject = args.BalanceRatingSubject
        if args.BalanceWeight:
            bf.Weight = _float(args.BalanceWeight)
        try:
            bf.ExpirationDate = _time(args.BalanceExpiryTime, self.timezone())
        except TollgateError as exc:
            raise ServerError(exc) from None
        if args.BalanceSharedGroup:
            bf.SharedGroups = {args.BalanceSharedGroup: True}
        at = ActionTrigger(
            ID=args.ActionTriggersId,
            UniqueID=args.ActionTriggersUniqueId,
            ThresholdType=args.ThresholdType,
            ThresholdValue=_float(args.ThresholdValue),
            Balance=bf,
            Weight=_float(args.Weight),
            ActionsID=args.ActionsId,
        )

        async def change(stored: StoredAccount) -> None:
            stored.account.ActionTriggers = [*(stored.account.ActionTriggers or ()), at]

        return await self._locked_change(args.Tenant, args.Account, change)

    # -- definitions in the *action_triggers partition ---------------------------------------

    def _group_triggers(self, group: TPActionTriggers) -> list[ActionTrigger]:
        return triggers_from_tp(group, self.timezone())

    async def _store_group(self, group: TPActionTriggers, triggers: list[ActionTrigger]) -> None:
        rows = [tp_row_of_trigger(at) for at in triggers]
        stored = TPActionTriggers(TPid=group.TPid, ID=group.ID, ActionTriggers=rows)
        await self.apier.apply({ACTION_TRIGGERS: {group.ID: self.triggers.encode_group(stored)}})


class APIerSv2Triggers(_Triggers):
    """APIerSv2's trigger methods (SetAccountActionTriggers with flat optional fields)."""

    namespace = "APIerSv2"

    @rpc_method("SetAccountActionTriggers")
    async def set_account_action_triggers(
        self, args: AttrSetAccountActionTriggersV2, ctx: CallContext
    ) -> str:
        """As APIerSv1.SetAccountActionTriggers, the ActionTrigger fields given flat."""
        _require(args, "Tenant", "Account")
        fields = _v2_fields(args)
        if "BalanceDestinationIds" in fields:
            fields["BalanceDestinationIds"] = list(fields["BalanceDestinationIds"])
        return await self._set_account_trigger(
            args.Tenant, args.Account, args.GroupID or "", args.UniqueID or "", fields
        )
