"""Tariff-plan structures of the account files: SharedGroups, Actions, ActionPlans,
ActionTriggers and AccountActions (CGRateS v0.10 ``utils.TP*``, wire-named).

Fields CGRateS keeps as strings stay strings here so GetTP* replies match byte for byte:
``Units`` may be a number, a Go duration (``*voice``) or a JSON value formula,
``BalanceWeight``/``BalanceBlocker``/``BalanceDisabled`` may be empty ("not set") and
times/durations are parsed only when the account subsystem converts them.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = [
    "TPAccountActions",
    "TPAction",
    "TPActionPlan",
    "TPActionTiming",
    "TPActionTrigger",
    "TPActionTriggers",
    "TPActions",
    "TPSharedGroup",
    "TPSharedGroups",
]

_ZERO = Decimal(0)


class TPSharedGroup(msgspec.Struct, kw_only=True):
    """One row of SharedGroups.csv: ``#Id,Account,Strategy,RatingSubject``."""

    Account: str = ""
    Strategy: str = ""
    RatingSubject: str = ""


class TPSharedGroups(msgspec.Struct, kw_only=True):
    """SharedGroups.csv rows sharing one Id, in file order."""

    TPid: str = ""
    ID: str = ""
    SharedGroups: list[TPSharedGroup] = msgspec.field(default_factory=list)


class TPAction(msgspec.Struct, kw_only=True):
    """One row of Actions.csv (``#ActionsId,Action,ExtraParameters,Filter,BalanceId,
    BalanceType,Categories,DestinationIds,RatingSubject,SharedGroup,ExpiryTime,TimingIds,
    Units,BalanceWeight,BalanceBlocker,BalanceDisabled,Weight``).

    ``DestinationIds``, ``Categories``, ``SharedGroups`` and ``TimingTags`` are the
    ``;``-separated cells; a destination may be negated with ``!``.
    """

    Identifier: str = ""
    BalanceId: str = ""
    BalanceUuid: str = ""
    BalanceType: str = ""
    Units: str = ""
    ExpiryTime: str = ""
    Filter: str = ""
    TimingTags: str = ""
    DestinationIds: str = ""
    RatingSubject: str = ""
    Categories: str = ""
    SharedGroups: str = ""
    BalanceWeight: str = ""
    ExtraParameters: str = ""
    BalanceBlocker: str = ""
    BalanceDisabled: str = ""
    Weight: Decimal = _ZERO


class TPActions(msgspec.Struct, kw_only=True):
    """Actions.csv rows sharing one ActionsId, in file order."""

    TPid: str = ""
    ID: str = ""
    Actions: list[TPAction] = msgspec.field(default_factory=list)


class TPActionTiming(msgspec.Struct, kw_only=True):
    """One row of ActionPlans.csv: ``#Id,ActionsId,TimingId,Weight``."""

    ActionsId: str = ""
    TimingId: str = ""
    Weight: Decimal = _ZERO


class TPActionPlan(msgspec.Struct, kw_only=True):
    """ActionPlans.csv rows sharing one Id, in file order."""

    TPid: str = ""
    ID: str = ""
    ActionPlan: list[TPActionTiming] = msgspec.field(default_factory=list)


class TPActionTrigger(msgspec.Struct, kw_only=True):
    """One row of ActionTriggers.csv (21 columns, ``#Tag,UniqueId,ThresholdType,...``)."""

    Id: str = ""
    UniqueID: str = ""
    ThresholdType: str = ""
    ThresholdValue: Decimal = _ZERO
    Recurrent: bool = False
    MinSleep: str = ""
    ExpirationDate: str = ""
    ActivationDate: str = ""
    BalanceId: str = ""
    BalanceType: str = ""
    BalanceDestinationIds: str = ""
    BalanceWeight: str = ""
    BalanceExpirationDate: str = ""
    BalanceTimingTags: str = ""
    BalanceRatingSubject: str = ""
    BalanceCategories: str = ""
    BalanceSharedGroups: str = ""
    BalanceBlocker: str = ""
    BalanceDisabled: str = ""
    ActionsId: str = ""
    Weight: Decimal = _ZERO


class TPActionTriggers(msgspec.Struct, kw_only=True):
    """ActionTriggers.csv rows sharing one Tag, in file order."""

    TPid: str = ""
    ID: str = ""
    ActionTriggers: list[TPActionTrigger] = msgspec.field(default_factory=list)


class TPAccountActions(msgspec.Struct, kw_only=True):
    """One row of AccountActions.csv:
    ``#Tenant,Account,ActionPlanId,ActionTriggersId,AllowNegative,Disabled``."""

    TPid: str = ""
    LoadId: str = ""
    Tenant: str = ""
    Account: str = ""
    ActionPlanId: str = ""
    ActionTriggersId: str = ""
    AllowNegative: bool = False
    Disabled: bool = False

    @property
    def key(self) -> str:
        """``<tenant>:<account>``, the account id CGRateS stores."""
        return f"{self.Tenant}:{self.Account}"
