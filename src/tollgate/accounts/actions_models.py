"""Actions as the engine runs them (``engine.Action``), built from the stored TP rows.

A tariff plan's Actions.csv and ``SetActions`` both store :class:`TPAction` rows (strings as
written) in the ``*actions`` DataDB partition; :func:`action_from_tp` turns one into an
:class:`Action` the way CGRateS's TpReader does (``""`` and ``*any`` mean "not given", Units
through ``ParseBalanceFilterValue``). Also here: the value formula, the API argument and
reply shapes of the action methods.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tollgate.accounts.actions_filter import BalanceQuery, compile_filter
from tollgate.accounts.balances import BalanceFilter
from tollgate.accounts.models import (
    StoredBalanceFilter,
    ValueFormula,
    parse_string_map,
    string_map_text,
)
from tollgate.core.durations import parse_duration
from tollgate.core.errors import TollgateError
from tollgate.rating.rounding import money
from tollgate.tariffplans import TPAction
from tollgate.tariffplans.reader_rating import QUEUE_POSTERS

__all__ = [
    "ACTION_TYPES",
    "QUEUE_POSTERS",
    "Action",
    "AttrExecuteAction",
    "AttrGetActions",
    "AttrRemoveActions",
    "AttrSetActionsV1",
    "AttrSetActionsV2",
    "EngineAction",
    "V1TPAction",
    "action_from_tp",
    "formula_value",
    "go_float_text",
    "parse_units",
    "tp_action_reply",
]

# The action types CGRateS v0.10 runs; of its queue posters *amqpv1_json_map and
# *kafka_json_map are not built.
ACTION_TYPES = frozenset(
    {
        "*log", "*reset_triggers", "*cdrlog", "*set_recurrent", "*unset_recurrent",
        "*allow_negative", "*deny_negative", "*reset_account", "*topup_reset", "*topup",
        "*debit_reset", "*debit", "*reset_counters", "*enable_account", "*disable_account",
        "*http_post", "*http_post_async", "*mail_async", "*set_ddestinations",
        "*remove_account", "*remove_balance", "*set_balance", "*transfer_monetary_default",
        "*cgr_rpc", "*topup_zero_negative", "*set_expiry", "*publish_account",
        "*publish_balance", "*remove_session_costs", "*remove_expired", "*post_event",
        "*cdr_account", "*amqp_json_map", "*sqs_json_map", "*s3_json_map",
    }
)  # fmt: skip
_ANY = "*any"
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def queue_poster_error(action_type: str) -> str:
    """Why a queue poster is refused (the loader and SetActions say the same)."""
    return (
        f"action {action_type} is not supported yet: of the queue posters *amqp_json_map, "
        "*sqs_json_map and *s3_json_map are built (*amqpv1_json_map and *kafka_json_map "
        "are not)"
    )


@dataclass(frozen=True, slots=True)
class Action:
    """One action of an actions profile; ``balance`` is its balance filter (``Type`` and
    ``Value`` included), ``query`` the compiled ``Filter``."""

    id: str
    action_type: str
    extra_parameters: str = ""
    filter: str = ""
    expiration_string: str = ""
    weight: Decimal = Decimal(0)
    balance: StoredBalanceFilter = field(default_factory=StoredBalanceFilter)
    query: BalanceQuery | None = None

    @property
    def balance_type(self) -> str:
        """``Balance.GetType()``: the type, ``""`` when not given."""
        return self.balance.Type or ""


def go_float_text(value: Decimal) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``: plain digits, no exponent, no trailing zeros."""
    value = money(value)
    return format(value, "f")


def _parse_float(text: str) -> Decimal:
    """``strconv.ParseFloat`` (finite values) with Go's error text."""
    error = TollgateError(f'strconv.ParseFloat: parsing "{text}": invalid syntax')
    if text != text.strip() or "_" in text:  # Decimal would accept these, Go does not
        raise error
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise error from None
    if not value.is_finite():
        raise error
    return money(value)


def _parse_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise TollgateError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def parse_units(balance_type: str, units: str) -> ValueFormula:
    """``ParseBalanceFilterValue``: a number (``*voice``: a duration), or a JSON formula."""
    if balance_type == "*voice":
        try:
            return ValueFormula(Static=Decimal(parse_duration(units)))
        except ValueError:
            pass
    else:
        try:
            return ValueFormula(Static=_parse_float(units))
        except TollgateError:
            pass
    try:
        data = json.loads(units, parse_float=Decimal)
        if isinstance(data, dict):
            return msgspec.convert(data, ValueFormula, strict=False)
    except (ValueError, msgspec.ValidationError):
        pass
    raise TollgateError(f"Invalid value: {units}")


def _days_in_month(when: dt.datetime) -> int:
    return calendar.monthrange(when.year, when.month)[1]


def formula_value(vf: ValueFormula | None, now_ns: int) -> Decimal:
    """``BalanceFilter.GetValue``: the static value, or the ``*incremental`` formula's."""
    if vf is None:
        return Decimal(0)
    if not vf.Method:
        return vf.Static
    if vf.Method != "*incremental":
        return Decimal(0)
    params = vf.Params or {}
    units, interval, increment = (
        params.get("Units"),
        params.get("Interval"),
        params.get("Increment"),
    )
    if isinstance(units, bool) or not isinstance(units, int | float | Decimal):
        return Decimal(0)
    if not isinstance(interval, str) or not isinstance(increment, str):
        return Decimal(0)
    amount = Decimal(str(units))
    now = dt.datetime.fromtimestamp(now_ns / 1e9)
    days_year = 366 if calendar.isleap(now.year) else 365
    divisors = {
        ("day", "week"): 7,
        ("day", "month"): _days_in_month(now),
        ("day", "year"): days_year,
        ("hour", "day"): 24,
        ("hour", "month"): _days_in_month(now) * 24,
        ("hour", "year"): days_year * 24,
        ("minute", "hour"): 60,
    }
    divisor = divisors.get((increment, interval))
    return amount / divisor if divisor else Decimal(0)


def _given(text: str) -> bool:
    return text not in ("", _ANY)


def action_from_tp(actions_id: str, tp: TPAction) -> Action:
    """An :class:`Action` from one stored row (TpReader ``LoadActions``); bad cells raise."""
    bf = StoredBalanceFilter()
    if _given(tp.BalanceId):
        bf.ID = tp.BalanceId
    if _given(tp.BalanceUuid):
        bf.Uuid = tp.BalanceUuid
    if _given(tp.BalanceType):
        bf.Type = tp.BalanceType
    if _given(tp.Units):
        bf.Value = parse_units(tp.BalanceType, tp.Units)
    if _given(tp.BalanceWeight):
        bf.Weight = _parse_float(tp.BalanceWeight)
    if _given(tp.RatingSubject):
        bf.RatingSubject = tp.RatingSubject
    if _given(tp.Categories):
        bf.Categories = parse_string_map(tp.Categories)
    if _given(tp.DestinationIds):
        bf.DestinationIDs = parse_string_map(tp.DestinationIds)
    if _given(tp.SharedGroups):
        bf.SharedGroups = parse_string_map(tp.SharedGroups)
    if _given(tp.TimingTags):
        bf.TimingIDs = parse_string_map(tp.TimingTags)
    if _given(tp.BalanceBlocker):
        bf.Blocker = _parse_bool(tp.BalanceBlocker)
    if _given(tp.BalanceDisabled):
        bf.Disabled = _parse_bool(tp.BalanceDisabled)
    return Action(
        id=actions_id,
        action_type=tp.Identifier,
        extra_parameters=tp.ExtraParameters,
        filter=tp.Filter,
        expiration_string=tp.ExpiryTime,
        weight=tp.Weight,
        balance=bf,
        query=_compiled(tp.Filter),
    )


def _compiled(text: str) -> BalanceQuery:
    try:
        return compile_filter(text)
    except TollgateError as exc:
        error = exc

        def broken(kind: str, balance: Any, now_ns: int) -> bool:
            raise error

        return broken


def check_filter(text: str) -> None:
    """Raise the filter's parse error, if any (SetActions checks before storing)."""
    compile_filter(text)


def apply_filter(bf: StoredBalanceFilter, expiration: str | None = None) -> BalanceFilter:
    """What the balance functions match and copy: the filter without Type, Value, Factor."""
    return BalanceFilter(
        Uuid=bf.Uuid,
        ID=bf.ID,
        ExpirationDate=expiration if expiration is not None else bf.ExpirationDate,
        Weight=bf.Weight,
        DestinationIDs=dict(bf.DestinationIDs) if bf.DestinationIDs is not None else None,
        RatingSubject=bf.RatingSubject,
        Categories=dict(bf.Categories) if bf.Categories is not None else None,
        SharedGroups=dict(bf.SharedGroups) if bf.SharedGroups is not None else None,
        TimingIDs=dict(bf.TimingIDs) if bf.TimingIDs is not None else None,
        Timings=list(bf.Timings) if bf.Timings is not None else None,
        Disabled=bf.Disabled,
        Blocker=bf.Blocker,
    )


# -- replies ----------------------------------------------------------------------------------


def tp_action_reply(action: Action, now_ns: int) -> TPAction:
    """APIerSv1.GetActions: the action back as a ``utils.TPAction`` (v0.10's field choices)."""
    bf = action.balance
    return TPAction(
        Identifier=action.action_type,
        BalanceId=bf.ID or "",
        BalanceType=bf.Type or "",
        Units=go_float_text(formula_value(bf.Value, now_ns)),
        ExpiryTime=action.expiration_string,
        Filter=action.filter,
        TimingTags=string_map_text(bf.TimingIDs or {}),
        DestinationIds=string_map_text(bf.DestinationIDs or {}),
        RatingSubject=bf.RatingSubject or "",
        Categories=string_map_text(bf.Categories or {}),
        SharedGroups=string_map_text(bf.SharedGroups or {}),
        BalanceWeight=go_float_text(bf.Weight or Decimal(0)),
        ExtraParameters=action.extra_parameters,
        BalanceBlocker="true" if bf.Blocker else "false",
        BalanceDisabled="true" if bf.Disabled else "false",
        Weight=money(action.weight),
    )


class EngineAction(msgspec.Struct, kw_only=True):
    """APIerSv2.GetActions: one ``engine.Action`` as it marshals."""

    Id: str
    ActionType: str
    ExtraParameters: str
    Filter: str
    ExpirationString: str
    Weight: Decimal
    Balance: StoredBalanceFilter | None


def engine_action_reply(action: Action) -> EngineAction:
    return EngineAction(
        Id=action.id,
        ActionType=action.action_type,
        ExtraParameters=action.extra_parameters,
        Filter=action.filter,
        ExpirationString=action.expiration_string,
        Weight=money(action.weight),
        Balance=action.balance,
    )


# -- API arguments ------------------------------------------------------------------------------


class _Routed(msgspec.Struct, kw_only=True):
    APIKey: str | None = None
    RouteID: str | None = None


class AttrExecuteAction(_Routed, kw_only=True):
    """``utils.AttrExecuteAction``: run ``ActionsId`` on ``Tenant:Account`` (or on none)."""

    Tenant: str = ""
    Account: str = ""
    ActionsId: str = ""


class V1TPAction(msgspec.Struct, kw_only=True):
    """APIerSv1.SetActions' action: ``Units`` a number, ``BalanceWeight`` a number or null."""

    Identifier: str = ""
    BalanceId: str = ""
    BalanceUuid: str = ""
    BalanceType: str = ""
    Units: Decimal = Decimal(0)
    ExpiryTime: str = ""
    Filter: str = ""
    TimingTags: str = ""
    DestinationIds: str = ""
    RatingSubject: str = ""
    Categories: str = ""
    SharedGroups: str = ""
    BalanceWeight: Decimal | None = None
    ExtraParameters: str = ""
    BalanceBlocker: str = ""
    BalanceDisabled: str = ""
    Weight: Decimal = Decimal(0)


class AttrSetActionsV1(_Routed, kw_only=True):
    """``V1AttrSetActions``."""

    ActionsId: str = ""
    Overwrite: bool = False
    Actions: list[V1TPAction] | None = None


class AttrSetActionsV2(_Routed, kw_only=True):
    """``utils.AttrSetActions``: the actions as ``utils.TPAction`` (strings as in the CSV)."""

    ActionsId: str = ""
    Overwrite: bool = False
    Actions: list[TPAction] | None = None


class AttrGetActions(_Routed, kw_only=True):
    """APIerSv2.GetActions: these ids (all when empty), paged."""

    ActionIDs: list[str] | None = None
    Offset: int = 0
    Limit: int = 0


class AttrRemoveActions(_Routed, kw_only=True):
    ActionIDs: list[str] | None = None
