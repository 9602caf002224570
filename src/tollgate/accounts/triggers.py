"""Action triggers: thresholds on an account's balances and counters that run actions.

CGRateS v0.10's ``engine.ActionTrigger`` and ``Account.ExecuteActionTriggers``: after every
balance change (the :class:`TriggerService` is an ``AccountService`` change hook) the
account's triggers are checked in Weight order and a met one runs its ActionsID through
the ActionService, under the account's lock, before the account is written. The trigger
definitions live in the ``*action_triggers`` DataDB partition as their tariff-plan rows
(``TPActionTriggers``); :meth:`TriggerService.attach_triggers` copies them onto accounts.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

import msgspec

from tollgate.accounts.balances import BalanceFilter, is_expired, matches
from tollgate.accounts.counters import add_units, filters_equal, init_counters
from tollgate.accounts.models import (
    ZERO_TIME_TEXT,
    ActionTrigger,
    Balance,
    StoredAccount,
    StoredBalanceFilter,
    parse_string_map,
    string_map_text,
)
from tollgate.accounts.service import AccountService, BalanceChange, removes_account
from tollgate.core.durations import parse_duration
from tollgate.core.errors import NotFoundError, ServerError, TollgateError
from tollgate.core.times import format_rfc3339, parse_rfc3339, parse_time_detect_layout
from tollgate.core.wire import go_number
from tollgate.rating.rounding import money
from tollgate.storage.datadb import DataDB
from tollgate.tariffplans.models_accounts import TPActionTrigger, TPActionTriggers

__all__ = [
    "ACTION_TRIGGERS",
    "ActionRunner",
    "Threshold",
    "TriggerService",
    "balance_of_filter",
    "hard_match",
    "legacy_trigger",
    "reset_triggers",
    "set_recurrent",
    "tp_row_of_trigger",
    "trigger_from_tp",
    "trigger_matches_action",
    "triggers_from_tp",
]

logger = logging.getLogger(__name__)

ACTION_TRIGGERS = "*action_triggers"
_ANY = "*any"
# a UniqueID left empty in ActionTriggers.csv gets a UUID derived from the row, so every
# account and every GetActionTriggers sees the same one (CGRateS draws one at load)
_UNIQUE_NS = uuid.UUID("6f1d2c0e-6c1b-4f55-9a57-1d2b8e7c9a30")

_tp_decoder = msgspec.msgpack.Decoder(TPActionTriggers)
_tp_encoder = msgspec.msgpack.Encoder()
_balance_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_balance_decoder = msgspec.msgpack.Decoder(Balance)

# set while a caller that already ran the triggers commits: the hook then only writes
_evaluated: ContextVar[bool] = ContextVar("tollgate_triggers_evaluated", default=False)


class Threshold(StrEnum):
    MIN_BALANCE = "*min_balance"
    MAX_BALANCE = "*max_balance"
    BALANCE_EXPIRED = "*balance_expired"
    MIN_EVENT_COUNTER = "*min_event_counter"
    MAX_EVENT_COUNTER = "*max_event_counter"
    MIN_BALANCE_COUNTER = "*min_balance_counter"
    MAX_BALANCE_COUNTER = "*max_balance_counter"


class ActionRunner(Protocol):
    """What a fired trigger calls: ``ActionService.apply_to_account``."""

    async def apply_to_account(
        self, stored: StoredAccount, actions_id: str
    ) -> list[BalanceChange]: ...


# -- conversions -------------------------------------------------------------------------------


def _time_text(value: str, timezone: str) -> str:
    try:
        return parse_time_detect_layout(value, timezone).rfc3339()
    except ValueError as exc:
        raise TollgateError(str(exc)) from None


def _set(value: str) -> bool:
    return value not in ("", _ANY)


def _parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "t", "true"):
        return True
    if text in ("0", "f", "false"):
        return False
    raise TollgateError(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def _parse_float(value: str) -> Decimal:
    try:
        number = go_number(value.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise TollgateError(f'strconv.ParseFloat: parsing "{value}": invalid syntax')
    return money(number)


def _unique_id(group: TPActionTriggers, index: int, row: TPActionTrigger) -> str:
    if row.UniqueID:
        return row.UniqueID
    return str(uuid.uuid5(_UNIQUE_NS, f"{group.ID}:{index}:{row.ThresholdType}"))


def trigger_from_tp(group: TPActionTriggers, index: int, timezone: str = "UTC") -> ActionTrigger:
    """One ActionTriggers.csv row as the account holds it (``TpReader.LoadActionTriggers``)."""
    row = group.ActionTriggers[index]
    try:
        min_sleep = parse_duration(row.MinSleep)
    except ValueError as exc:
        raise TollgateError(str(exc)) from None
    bf = StoredBalanceFilter()
    if _set(row.BalanceId):
        bf.ID = row.BalanceId
    if _set(row.BalanceType):
        bf.Type = row.BalanceType
    if _set(row.BalanceWeight):
        bf.Weight = _parse_float(row.BalanceWeight)
    if _set(row.BalanceExpirationDate) and row.ExpirationDate != "*unlimited":
        bf.ExpirationDate = _time_text(row.BalanceExpirationDate, timezone)
    if _set(row.BalanceRatingSubject):
        bf.RatingSubject = row.BalanceRatingSubject
    if _set(row.BalanceCategories):
        bf.Categories = parse_string_map(row.BalanceCategories)
    if _set(row.BalanceDestinationIds):
        bf.DestinationIDs = parse_string_map(row.BalanceDestinationIds)
    if _set(row.BalanceSharedGroups):
        bf.SharedGroups = parse_string_map(row.BalanceSharedGroups)
    if _set(row.BalanceTimingTags):
        bf.TimingIDs = parse_string_map(row.BalanceTimingTags)
    if _set(row.BalanceBlocker):
        bf.Blocker = _parse_bool(row.BalanceBlocker)
    if _set(row.BalanceDisabled):
        bf.Disabled = _parse_bool(row.BalanceDisabled)
    return ActionTrigger(
        ID=group.ID,
        UniqueID=_unique_id(group, index, row),
        ThresholdType=row.ThresholdType,
        ThresholdValue=money(row.ThresholdValue),
        Recurrent=row.Recurrent,
        MinSleep=min_sleep,
        ExpirationDate=_time_text(row.ExpirationDate, timezone),
        ActivationDate=_time_text(row.ActivationDate, timezone),
        Balance=bf,
        Weight=money(row.Weight),
        ActionsID=row.ActionsId,
    )


def triggers_from_tp(group: TPActionTriggers, timezone: str = "UTC") -> list[ActionTrigger]:
    return [trigger_from_tp(group, i, timezone) for i in range(len(group.ActionTriggers))]


def _map_text(value: dict[str, bool] | None) -> str:
    if value is None:
        return ""
    return ";".join(key if included else "!" + key for key, included in value.items())


def _opt_bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def tp_row_of_trigger(at: ActionTrigger) -> TPActionTrigger:
    """An ActionTrigger back as its ActionTriggers.csv row (what the partition stores)."""
    bf = at.Balance or StoredBalanceFilter()
    return TPActionTrigger(
        Id=at.ID,
        UniqueID=at.UniqueID,
        ThresholdType=at.ThresholdType,
        ThresholdValue=at.ThresholdValue,
        Recurrent=at.Recurrent,
        MinSleep=str(at.MinSleep) if at.MinSleep else "",
        ExpirationDate="" if at.ExpirationDate == ZERO_TIME_TEXT else at.ExpirationDate,
        ActivationDate="" if at.ActivationDate == ZERO_TIME_TEXT else at.ActivationDate,
        BalanceId=bf.ID or "",
        BalanceType=bf.Type or "",
        BalanceDestinationIds=_map_text(bf.DestinationIDs),
        BalanceWeight="" if bf.Weight is None else str(bf.Weight),
        BalanceExpirationDate=bf.ExpirationDate or "",
        BalanceTimingTags=_map_text(bf.TimingIDs),
        BalanceRatingSubject=bf.RatingSubject or "",
        BalanceCategories=_map_text(bf.Categories),
        BalanceSharedGroups=_map_text(bf.SharedGroups),
        BalanceBlocker=_opt_bool(bf.Blocker),
        BalanceDisabled=_opt_bool(bf.Disabled),
        ActionsId=at.ActionsID,
        Weight=at.Weight,
    )


def legacy_trigger(at: ActionTrigger) -> dict[str, Any]:
    """One trigger in APIerSv1.GetAccount's old shape (``Account.AsOldStructure``)."""
    b = balance_of_filter(at.Balance)
    return {
        "Id": at.ID,
        "ThresholdType": at.ThresholdType,
        "ThresholdValue": at.ThresholdValue,
        "Recurrent": at.Recurrent,
        "MinSleep": at.MinSleep,
        "BalanceId": b.ID,
        "BalanceType": (at.Balance.Type if at.Balance else None) or "",
        "BalanceDirection": "*out",
        "BalanceDestinationIds": string_map_text(b.DestinationIDs),
        "BalanceWeight": b.Weight,
        "BalanceExpirationDate": b.ExpirationDate,
        "BalanceTimingTags": string_map_text(b.TimingIDs),
        "BalanceRatingSubject": b.RatingSubject,
        "BalanceCategory": string_map_text(b.Categories),
        "BalanceSharedGroup": string_map_text(b.SharedGroups),
        "BalanceDisabled": b.Disabled,
        "Weight": at.Weight,
        "ActionsId": at.ActionsID,
        "MinQueuedItems": at.MinQueuedItems,
        "Executed": at.Executed,
    }


# -- matching ----------------------------------------------------------------------------------


def balance_of_filter(bf: StoredBalanceFilter | None) -> Balance:
    """``BalanceFilter.CreateBalance``: the balance the filter describes (unset = zero)."""
    bf = bf or StoredBalanceFilter()
    return Balance(
        Uuid=bf.Uuid or "",
        ID=bf.ID or "",
        Value=bf.Value.Static if bf.Value is not None else Decimal(0),
        ExpirationDate=bf.ExpirationDate or ZERO_TIME_TEXT,
        Weight=bf.Weight if bf.Weight is not None else Decimal(0),
        DestinationIDs=dict(bf.DestinationIDs or {}),
        RatingSubject=bf.RatingSubject or "",
        Categories=dict(bf.Categories or {}),
        SharedGroups=dict(bf.SharedGroups or {}),
        Timings=bf.Timings,
        TimingIDs=dict(bf.TimingIDs or {}),
        Disabled=bool(bf.Disabled),
        Factor=dict(bf.Factor) if bf.Factor else None,
        Blocker=bool(bf.Blocker),
    )


def _same_keys(have: dict[str, bool], want: dict[str, bool]) -> bool:
    return have.keys() == want.keys()


def _same_instant(a: str, b: str) -> bool:
    return a == b or parse_rfc3339(a).ns == parse_rfc3339(b).ns


def hard_match(balance: Balance, bf: StoredBalanceFilter | None) -> bool:
    """``Balance.HardMatchFilter``: ids decide alone; string maps must be equal, not included."""
    if bf is None:
        return True
    if bf.Uuid:
        return balance.Uuid == bf.Uuid
    if bf.ID:
        return balance.ID == bf.ID
    return (
        (bf.ExpirationDate is None or _same_instant(balance.ExpirationDate, bf.ExpirationDate))
        and (bf.Weight is None or balance.Weight == bf.Weight)
        and (bf.Blocker is None or balance.Blocker == bf.Blocker)
        and (bf.Disabled is None or balance.Disabled == bf.Disabled)
        and (bf.DestinationIDs is None or _same_keys(balance.DestinationIDs, bf.DestinationIDs))
        and (bf.Categories is None or _same_keys(balance.Categories, bf.Categories))
        and (bf.TimingIDs is None or _same_keys(balance.TimingIDs, bf.TimingIDs))
        and (bf.SharedGroups is None or _same_keys(balance.SharedGroups, bf.SharedGroups))
        and (bf.RatingSubject is None or balance.RatingSubject == bf.RatingSubject)
    )


def _extra_parameters(text: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return {}  # CGRateS ignores the unmarshal error
    return value if isinstance(value, dict) else {}


def trigger_matches_action(
    at: ActionTrigger,
    balance_type: str | None = None,
    bf: BalanceFilter | None = None,
    extra_parameters: str = "",
) -> bool:
    """``ActionTrigger.Match``: does an action (its balance type and filter) select ``at``?

    ``extra_parameters`` may name ``GroupID`` or ``UniqueID`` (which decide alone) or a
    ``ThresholdType``. An action without balance type or filter matches every trigger.
    """
    if balance_type is None and bf is None and not extra_parameters:
        return True
    at_type = (at.Balance.Type if at.Balance else None) or ""
    if balance_type and balance_type != at_type:
        return False
    threshold_ok = True
    if extra_parameters:
        params = _extra_parameters(extra_parameters)
        if group := str(params.get("GroupID") or ""):
            return group == at.ID
        if unique := str(params.get("UniqueID") or ""):
            return at.UniqueID == unique
        wanted = str(params.get("ThresholdType") or "")
        threshold_ok = not wanted or at.ThresholdType == wanted
    return threshold_ok and (bf is None or matches(balance_of_filter(at.Balance), bf))


def reset_triggers(
    triggers: Iterable[ActionTrigger], match: Callable[[ActionTrigger], bool] | None = None
) -> None:
    """``Account.ResetActionTriggers`` (without the re-run the next commit does): the
    matching triggers may fire again."""
    for at in triggers:
        if match is None or match(at):
            at.Executed = False


def set_recurrent(
    triggers: Iterable[ActionTrigger],
    recurrent: bool,
    match: Callable[[ActionTrigger], bool] | None = None,
) -> None:
    """``Account.SetRecurrent``: ``*set_recurrent`` / ``*unset_recurrent``."""
    for at in triggers:
        if match is None or match(at):
            at.Recurrent = recurrent


def _active(at: ActionTrigger, now_ns: int) -> bool:
    if at.ExpirationDate != ZERO_TIME_TEXT and now_ns > parse_rfc3339(at.ExpirationDate).ns:
        return False
    return at.ActivationDate == ZERO_TIME_TEXT or now_ns > parse_rfc3339(at.ActivationDate).ns


def _trigger_expired(at: ActionTrigger, now_ns: int) -> bool:
    return at.ExpirationDate != ZERO_TIME_TEXT and now_ns > parse_rfc3339(at.ExpirationDate).ns


# -- the service -------------------------------------------------------------------------------


class TriggerService:
    """Trigger definitions, their copies on accounts, and their evaluation on every change.

    ``actions`` returns the ActionService (None until it exists); ``destination_ids``
    gives the destination ids a number belongs to (``*event`` counters with destinations).
    """

    name = "triggers"

    def __init__(
        self,
        db: Callable[[], DataDB | None],
        accounts: AccountService,
        actions: Callable[[], ActionRunner | None],
        *,
        destination_ids: Callable[[str], Iterable[str]] = lambda number: (),
        timezone: Callable[[], str] = lambda: "UTC",
        remove_expired: Callable[[], bool] = lambda: True,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._db = db
        self.accounts = accounts
        self._actions = actions
        self.destination_ids = destination_ids
        self.timezone = timezone
        self.remove_expired = remove_expired
        self.clock = clock

    @property
    def db(self) -> DataDB:
        db = self._db()
        if db is None:
            raise ServerError("DataDB is not open")
        return db

    # -- definitions -------------------------------------------------------------------------

    async def get_group(self, group_id: str) -> TPActionTriggers:
        """The stored ``TPActionTriggers`` of ``group_id``, or NOT_FOUND."""
        data = await self.db.get(ACTION_TRIGGERS, group_id)
        if data is None:
            raise NotFoundError()
        return _tp_decoder.decode(data)

    async def get_triggers(self, group_id: str) -> list[ActionTrigger]:
        """``DataManager.GetActionTriggers``: the group as account triggers, or NOT_FOUND."""
        return triggers_from_tp(await self.get_group(group_id), self.timezone())

    async def group_ids(self) -> list[str]:
        return await self.db.keys(ACTION_TRIGGERS)

    @staticmethod
    def encode_group(group: TPActionTriggers) -> bytes:
        return _tp_encoder.encode(group)

    # -- triggers on an account --------------------------------------------------------------

    async def attach_triggers(
        self,
        stored: StoredAccount,
        trigger_ids: Sequence[str],
        *,
        overwrite: bool,
        activation_date: str | None = None,
        executed: bool | None = None,
    ) -> None:
        """Copy the trigger groups ``trigger_ids`` onto the account and set up its counters.

        ``overwrite`` drops the account's triggers first; a trigger already on the account
        (same ID and UniqueID) is kept as it is. ``activation_date``/``executed`` (from
        AddAccountActionTriggers) are set on every trigger of the groups. NOT_FOUND for an
        unknown id, before the account is touched. The caller holds the account's lock.
        """
        groups = [await self.get_triggers(group_id) for group_id in trigger_ids]
        acc = stored.account
        current = [] if overwrite else list(acc.ActionTriggers or ())
        for group in groups:
            for at in group:
                if activation_date is not None:
                    at.ActivationDate = activation_date
                if executed is not None:
                    at.Executed = executed
                if not any(old.ID == at.ID and old.UniqueID == at.UniqueID for old in current):
                    current.append(at)
        acc.ActionTriggers = current
        base = [] if overwrite else stored.action_trigger_ids
        stored.action_trigger_ids = list(dict.fromkeys([*base, *trigger_ids]))
        init_counters(acc)

    async def check_groups(self, trigger_ids: Sequence[str]) -> None:
        """NOT_FOUND unless every trigger group exists."""
        for group_id in trigger_ids:
            if await self.db.get(ACTION_TRIGGERS, group_id) is None:
                raise NotFoundError()

    async def set_account_triggers(
        self, account_id: str, trigger_ids: Sequence[str], *, overwrite: bool
    ) -> None:
        """SetAccount's ActionTriggerIDs: attach the groups to the account and write it."""
        await self.check_groups(trigger_ids)
        async with self.accounts.locked(account_id):
            stored = await self.accounts.load(account_id)
            if stored is None:
                raise NotFoundError()
            await self.attach_triggers(stored, trigger_ids, overwrite=overwrite)
            await self.accounts.commit(stored)

    # -- evaluation --------------------------------------------------------------------------

    async def on_change(self, stored: StoredAccount, changes: Sequence[BalanceChange]) -> None:
        """The AccountService change hook: count units, then run the triggers that are met."""
        if _evaluated.get():
            return
        acc = stored.account
        now = self.clock()
        if acc.UnitCounters:
            for change in changes:
                # CGRateS counts only what a rated debit took (countUnits in debitUnits and
                # debitMoney), not top-ups or *debit actions
                if change.rated and change.balance is not None and change.amount > 0:
                    add_units(
                        acc.UnitCounters,
                        change.amount,
                        change.kind,
                        change.balance,
                        self.destination_ids(change.destination) if change.destination else None,
                        from_call=True,
                        category=change.category,
                    )
        if acc.ActionTriggers:
            dirty = await self._dirty(stored, changes)
            if changes or dirty:
                await self.execute(stored, dirty, now=now)
                return
        if changes:
            self._clean_expired(stored, now)

    async def _dirty(self, stored: StoredAccount, changes: Sequence[BalanceChange]) -> set[str]:
        """The UUIDs of the balances this change touched (CGRateS's ``dirty`` flag)."""
        named = {c.balance.Uuid for c in changes if c.balance is not None}
        if changes and all(c.balance is not None for c in changes):
            return named
        before = await self.accounts.load(stored.account.ID)
        old: dict[str, Balance] = {}
        if before is not None:
            for balances in (before.account.BalanceMap or {}).values():
                old.update((b.Uuid, b) for b in balances)
        for balances in (stored.account.BalanceMap or {}).values():
            for b in balances:
                if old.get(b.Uuid) != b:
                    named.add(b.Uuid)
        return named

    async def execute(self, stored: StoredAccount, dirty: set[str], *, now: int) -> None:
        """``Account.ExecuteActionTriggers(nil)``: every active, unexecuted trigger in Weight
        order; balance thresholds look only at ``dirty`` balances (except *balance_expired).

        Changes made by the actions a trigger runs are not counted and do not start another
        round, as in CGRateS; they do mark the balances they touch for the triggers later
        in the same round.
        """
        acc = stored.account
        triggers = acc.ActionTriggers or []
        triggers.sort(key=lambda at: at.Weight, reverse=True)
        for at in list(triggers):
            if not _active(at, now) or at.Executed:
                continue
            kind = at.ThresholdType
            if "counter" not in kind and "balance" not in kind:
                continue
            if "counter" in kind:
                await self._check_counters(stored, at, dirty, now)
            else:
                await self._check_balances(stored, at, dirty, now)
        self._clean_expired(stored, now)

    async def _check_counters(
        self, stored: StoredAccount, at: ActionTrigger, dirty: set[str], now: int
    ) -> None:
        if at.Balance is None:
            at.Balance = StoredBalanceFilter()
        # CGRateS names the trigger's filter by its UniqueID here (InitCounters does the
        # same for the counter's filter), so the two compare by id
        if (at.Balance.ID is None or at.Balance.ID != "") and at.UniqueID:
            at.Balance.ID = at.UniqueID
        is_max = at.ThresholdType.startswith("*max")
        for counters in list((stored.account.UnitCounters or {}).values()):
            for uc in counters:
                if not uc.CounterType or uc.CounterType[1:] not in at.ThresholdType:
                    continue
                for c in uc.Counters or ():
                    if not filters_equal(c.Filter, at.Balance):
                        continue
                    met = c.Value >= at.ThresholdValue if is_max else c.Value <= at.ThresholdValue
                    if met:
                        await self._fire(stored, at, dirty, now)

    async def _check_balances(
        self, stored: StoredAccount, at: ActionTrigger, dirty: set[str], now: int
    ) -> None:
        kind = (at.Balance.Type if at.Balance else None) or ""
        for b in list((stored.account.BalanceMap or {}).get(kind) or ()):
            if at.ThresholdType == Threshold.BALANCE_EXPIRED:
                if hard_match(b, at.Balance) and is_expired(b, now):
                    await self._fire(stored, at, dirty, now)
                continue
            if b.Uuid not in dirty:
                continue
            if at.ThresholdType == Threshold.MAX_BALANCE:
                met = b.Value >= at.ThresholdValue
            elif at.ThresholdType == Threshold.MIN_BALANCE:
                met = b.Value <= at.ThresholdValue
            else:
                continue
            if met and hard_match(b, at.Balance):
                await self._fire(stored, at, dirty, now)

    async def _fire(
        self, stored: StoredAccount, at: ActionTrigger, dirty: set[str], now: int
    ) -> None:
        """``ActionTrigger.Execute``: MinSleep, then the actions (the trigger marked executed
        first, so what they change cannot fire it again)."""
        last = at.LastExecutionTime
        if at.Recurrent and last != ZERO_TIME_TEXT and now - parse_rfc3339(last).ns < at.MinSleep:
            return
        at.LastExecutionTime = format_rfc3339(now)
        acc = stored.account
        if acc.Disabled:
            logger.warning("account %s is disabled and trigger %s is met", acc.ID, at.UniqueID)
            return
        runner = self._actions()
        if runner is None:
            logger.error("trigger %s met but no ActionService runs actions", at.UniqueID)
            return
        before = _fingerprints(stored)
        at.Executed = True
        try:
            changes = await runner.apply_to_account(stored, at.ActionsID)
        except NotFoundError:
            at.Executed = False
            logger.error("trigger %s: failed to get actions %s", at.UniqueID, at.ActionsID)
            return
        except TollgateError as exc:
            logger.error("trigger %s: actions %s failed: %s", at.UniqueID, at.ActionsID, exc)
            changes = []
        if removes_account(changes):
            self.accounts.request_removal(acc.ID)
        if at.Recurrent:
            at.Executed = False
        dirty.update(c.balance.Uuid for c in changes if c.balance is not None)
        after = _fingerprints(stored)
        dirty.update(key for key, value in after.items() if before.get(key) != value)

    def _clean_expired(self, stored: StoredAccount, now: int) -> None:
        """``Account.CleanExpiredStuff``: expired balances (with ``rals.remove_expired``)
        and expired triggers leave the account."""
        acc = stored.account
        if self.remove_expired() and acc.BalanceMap:
            for kind, balances in acc.BalanceMap.items():
                if any(is_expired(b, now) for b in balances):
                    acc.BalanceMap[kind] = [b for b in balances if not is_expired(b, now)]
        if acc.ActionTriggers and any(_trigger_expired(at, now) for at in acc.ActionTriggers):
            acc.ActionTriggers = [at for at in acc.ActionTriggers if not _trigger_expired(at, now)]

    def mark_evaluated(self) -> Any:
        """For a caller that ran :meth:`execute` itself: the next commit in this task skips
        the hook. Returns the token :meth:`unmark` takes."""
        return _evaluated.set(True)

    @staticmethod
    def unmark(token: Any) -> None:
        _evaluated.reset(token)


def _fingerprints(stored: StoredAccount) -> dict[str, bytes]:
    return {
        b.Uuid: _balance_encoder.encode(b)
        for balances in (stored.account.BalanceMap or {}).values()
        for b in balances
    }
