"""Accounts and balances in CGRateS v0.10's wire shape (``engine.Account``/``engine.Balance``).

The Structs are the reply of APIerSv2.GetAccount field for field; they are also what the
DataDB stores (msgpack), inside a :class:`StoredAccount` that keeps what the wire does not
show. The API argument Structs keep CGRateS's field names.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec

__all__ = [
    "DEFAULT_BALANCE_ID",
    "Account",
    "ActionTrigger",
    "AttrAddBalance",
    "AttrGetAccount",
    "AttrGetAccounts",
    "AttrRemoveAccount",
    "AttrSetAccountV1",
    "AttrSetAccountV2",
    "AttrSetBalance",
    "Balance",
    "BalanceType",
    "CounterFilter",
    "StoredAccount",
    "StoredBalanceFilter",
    "TenantArg",
    "UnitCounter",
    "ValueFormula",
    "legacy_account",
    "parse_string_map",
    "string_map_text",
]

DEFAULT_BALANCE_ID = "*default"
ZERO_TIME_TEXT = "0001-01-01T00:00:00Z"


class BalanceType(StrEnum):
    MONETARY = "*monetary"
    VOICE = "*voice"
    SMS = "*sms"
    DATA = "*data"
    GENERIC = "*generic"
    MMS = "*mms"


def parse_string_map(text: str) -> dict[str, bool]:
    """CGRateS ``ParseStringMap``: ``"NAT;!RET"`` → ``{"NAT": True, "RET": False}``."""
    result: dict[str, bool] = {}
    for raw in text.split(";"):
        part = raw.strip()
        if part.startswith("!"):
            result[part[1:]] = False
        elif part:
            result[part] = True
    return result


def string_map_text(value: dict[str, bool]) -> str:
    """``StringMap.String()``: the keys joined by ``;`` (sorted here; Go's order is random)."""
    return ";".join(sorted(value))


def string_map_includes(have: dict[str, bool], wanted: dict[str, bool]) -> bool:
    """``StringMap.Includes``: every key of ``wanted`` is a key of ``have``."""
    return all(key in have for key in wanted)


class Balance(msgspec.Struct, kw_only=True):
    """One balance; field order and names as ``engine.Balance`` marshals them."""

    Uuid: str = ""
    ID: str = ""
    Value: Decimal = Decimal(0)
    ExpirationDate: str = ZERO_TIME_TEXT
    Weight: Decimal = Decimal(0)
    DestinationIDs: dict[str, bool] = msgspec.field(default_factory=dict)
    RatingSubject: str = ""
    Categories: dict[str, bool] = msgspec.field(default_factory=dict)
    SharedGroups: dict[str, bool] = msgspec.field(default_factory=dict)
    Timings: list[dict[str, Any]] | None = None
    TimingIDs: dict[str, bool] = msgspec.field(default_factory=dict)
    Disabled: bool = False
    Factor: dict[str, Decimal] | None = None
    Blocker: bool = False


class ValueFormula(msgspec.Struct, kw_only=True):
    """``utils.ValueFormula``: a static value, or a named formula over ``Params``."""

    Method: str = ""
    Params: dict[str, Any] | None = None
    Static: Decimal = Decimal(0)


class StoredBalanceFilter(msgspec.Struct, kw_only=True):
    """``engine.BalanceFilter`` as an ActionTrigger or a unit counter holds it (None = unset).

    Unlike :class:`tollgate.accounts.balances.BalanceFilter` (what an action applies) it
    carries the balance ``Type`` and marshals every unset field as ``null``, as Go does.
    """

    Uuid: str | None = None
    ID: str | None = None
    Type: str | None = None
    Value: ValueFormula | None = None
    ExpirationDate: str | None = None
    Weight: Decimal | None = None
    DestinationIDs: dict[str, bool] | None = None
    RatingSubject: str | None = None
    Categories: dict[str, bool] | None = None
    SharedGroups: dict[str, bool] | None = None
    TimingIDs: dict[str, bool] | None = None
    Timings: list[dict[str, Any]] | None = None
    Disabled: bool | None = None
    Factor: dict[str, Decimal] | None = None
    Blocker: bool | None = None


class ActionTrigger(msgspec.Struct, kw_only=True):
    """``engine.ActionTrigger``: ``MinSleep`` in nanoseconds, times in RFC 3339 (zero: unset)."""

    ID: str = ""
    UniqueID: str = ""
    ThresholdType: str = ""
    ThresholdValue: Decimal = Decimal(0)
    Recurrent: bool = False
    MinSleep: int = 0
    ExpirationDate: str = ZERO_TIME_TEXT
    ActivationDate: str = ZERO_TIME_TEXT
    Balance: StoredBalanceFilter | None = None
    Weight: Decimal = Decimal(0)
    ActionsID: str = ""
    MinQueuedItems: int = 0
    Executed: bool = False
    LastExecutionTime: str = ZERO_TIME_TEXT


class CounterFilter(msgspec.Struct, kw_only=True):
    """``engine.CounterFilter``: what one counter has counted, and what it counts."""

    Value: Decimal = Decimal(0)
    Filter: StoredBalanceFilter | None = None


class UnitCounter(msgspec.Struct, kw_only=True):
    """``engine.UnitCounter``: ``*event`` or ``*balance`` counters of one balance type."""

    CounterType: str = ""
    Counters: list[CounterFilter] | None = None


class Account(msgspec.Struct, kw_only=True):
    """``engine.Account``: ``ID`` is ``tenant:account``; BalanceMap lists keep insertion order."""

    ID: str
    BalanceMap: dict[str, list[Balance]] | None = None
    UnitCounters: dict[str, list[UnitCounter]] | None = None
    ActionTriggers: list[ActionTrigger] | None = None
    AllowNegative: bool = False
    Disabled: bool = False
    UpdateTime: str = ZERO_TIME_TEXT

    @property
    def tenant(self) -> str:
        return self.ID.partition(":")[0]


class StoredAccount(msgspec.Struct, kw_only=True):
    """What the ``*accounts`` partition holds: the account and the ids attached to it.

    ``action_plan_ids`` are the action plans the account is bound to (the scheduler runs
    them and keeps this list in step with the plans' ``AccountIDs``);
    ``action_trigger_ids`` the ActionTriggers groups attached to it (their copies live in
    ``Account.ActionTriggers`` and fire on commits).
    """

    account: Account
    action_plan_ids: list[str] = msgspec.field(default_factory=list)
    action_trigger_ids: list[str] = msgspec.field(default_factory=list)


# -- the legacy APIerSv1.GetAccount shape (Account.AsOldStructure) ------------------------------


def _legacy_balance(b: Balance) -> dict[str, Any]:
    return {
        "Uuid": b.Uuid,
        "Id": b.ID,
        "Value": b.Value,
        "ExpirationDate": b.ExpirationDate,
        "Weight": b.Weight,
        "DestinationIds": string_map_text(b.DestinationIDs),
        "RatingSubject": b.RatingSubject,
        "Category": string_map_text(b.Categories),
        "SharedGroup": string_map_text(b.SharedGroups),
        "Timings": b.Timings,
        "TimingIDs": string_map_text(b.TimingIDs),
        "Disabled": b.Disabled,
    }


def legacy_account(acc: Account) -> dict[str, Any]:
    """``Id:"*out:tenant:acc"``, BalanceMap keys suffixed ``*out``, string-joined maps."""
    return {
        "Id": "*out:" + acc.ID,
        "BalanceMap": {
            kind + "*out": [_legacy_balance(b) for b in balances]
            for kind, balances in (acc.BalanceMap or {}).items()
            if balances
        },
        "UnitCounters": [],
        "ActionTriggers": [],
        "AllowNegative": acc.AllowNegative,
        "Disabled": acc.Disabled,
    }


# -- API arguments ---------------------------------------------------------------------------


class _Routed(msgspec.Struct, kw_only=True):
    APIKey: str | None = None
    RouteID: str | None = None


class AttrGetAccount(_Routed, kw_only=True):
    """``{Tenant, Account}``."""

    Tenant: str = ""
    Account: str = ""


class AttrGetAccounts(_Routed, kw_only=True):
    """APIerSv2.GetAccounts: ``{Tenant, AccountIDs, Offset, Limit}``."""

    Tenant: str = ""
    AccountIDs: list[str] | None = None
    Offset: int = 0
    Limit: int = 0


class TenantArg(_Routed, kw_only=True):
    Tenant: str = ""


class AttrRemoveAccount(_Routed, kw_only=True):
    Tenant: str = ""
    Account: str = ""
    ReloadScheduler: bool = False


class AttrSetAccountV2(_Routed, kw_only=True):
    """APIerSv2.SetAccount."""

    Tenant: str = ""
    Account: str = ""
    ActionPlanIDs: list[str] | None = None
    ActionPlansOverwrite: bool = False
    ActionTriggerIDs: list[str] | None = None
    ActionTriggerOverwrite: bool = False
    ExtraOptions: dict[str, bool] | None = None
    ReloadScheduler: bool = False


class AttrSetAccountV1(_Routed, kw_only=True):
    """APIerSv1.SetAccount (``utils.AttrSetAccount``)."""

    Tenant: str = ""
    Account: str = ""
    ActionPlanID: str = ""
    ActionTriggersID: str = ""
    AllowNegative: bool | None = None
    Disabled: bool | None = None
    ReloadScheduler: bool = False


class AttrAddBalance(_Routed, kw_only=True):
    """APIerSv1.AddBalance / DebitBalance; ``Balance`` is the balance filter map."""

    Tenant: str = ""
    Account: str = ""
    BalanceType: str = ""
    Value: Decimal = Decimal(0)
    Balance: dict[str, Any] | None = None
    ActionExtraData: dict[str, Any] | None = None
    Overwrite: bool = False
    Cdrlog: bool = False


class AttrSetBalance(_Routed, kw_only=True):
    """APIerSv1/2.SetBalance and RemoveBalances (``utils.AttrSetBalance``)."""

    Tenant: str = ""
    Account: str = ""
    BalanceType: str = ""
    Value: Decimal = Decimal(0)
    Balance: dict[str, Any] | None = None
    ActionExtraData: dict[str, Any] | None = None
    Cdrlog: bool = False
