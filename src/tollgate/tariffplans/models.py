"""Tariff-plan data as CGRateS v0.10 carries it: one Struct per CSV file, wire-named.

These are the ``utils.TP*`` shapes of the APIerSv1.SetTP*/GetTP* methods and of StorDB's
``tp_*`` tables; the CSV reader produces them and the rating and accounting subsystems
convert them into their run-time objects. Money and weights are ``Decimal``; durations stay
as the strings the files hold (``"60s"``, ``"0"``) until conversion.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = [
    "ApierTPTiming",
    "DestinationRate",
    "RateSlot",
    "TPDestination",
    "TPDestinationRate",
    "TPRate",
    "TPRatingActivation",
    "TPRatingPlan",
    "TPRatingPlanBinding",
    "TPRatingProfile",
]

_ZERO = Decimal(0)


class TPDestination(msgspec.Struct, kw_only=True):
    """Destinations.csv: ``#Id,Prefix`` (one row per prefix)."""

    TPid: str = ""
    ID: str = ""
    Prefixes: list[str] = msgspec.field(default_factory=list)


class ApierTPTiming(msgspec.Struct, kw_only=True):
    """Timings.csv: ``#Tag,Years,Months,MonthDays,WeekDays,Time``.

    List columns are ``;``-separated strings as in the file; ``*any`` means every value.
    ``Time`` is ``HH:MM:SS`` (or ``*any`` / empty for midnight).
    """

    TPid: str = ""
    ID: str = ""
    Years: str = ""
    Months: str = ""
    MonthDays: str = ""
    WeekDays: str = ""
    Time: str = ""


class RateSlot(msgspec.Struct, kw_only=True):
    """One row of Rates.csv: ``#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart``."""

    ConnectFee: Decimal = _ZERO
    Rate: Decimal = _ZERO
    RateUnit: str = ""
    RateIncrement: str = ""
    GroupIntervalStart: str = ""


class TPRate(msgspec.Struct, kw_only=True):
    """Rates.csv rows sharing one Id, in file order."""

    TPid: str = ""
    ID: str = ""
    RateSlots: list[RateSlot] = msgspec.field(default_factory=list)


class DestinationRate(msgspec.Struct, kw_only=True):
    """One row of DestinationRates.csv:
    ``#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy``.

    ``DestinationId`` may be ``*any``. ``Rate`` is filled by readers that resolve it.
    """

    DestinationId: str = ""
    RateId: str = ""
    Rate: TPRate | None = None
    RoundingMethod: str = ""
    RoundingDecimals: int = 0
    MaxCost: Decimal = _ZERO
    MaxCostStrategy: str = ""


class TPDestinationRate(msgspec.Struct, kw_only=True):
    """DestinationRates.csv rows sharing one Id, in file order."""

    TPid: str = ""
    ID: str = ""
    DestinationRates: list[DestinationRate] = msgspec.field(default_factory=list)


class TPRatingPlanBinding(msgspec.Struct, kw_only=True):
    """One row of RatingPlans.csv: ``#Id,DestinationRatesId,TimingTag,Weight``."""

    DestinationRatesId: str = ""
    TimingId: str = ""
    Weight: Decimal = _ZERO


class TPRatingPlan(msgspec.Struct, kw_only=True):
    """RatingPlans.csv rows sharing one Id, in file order."""

    TPid: str = ""
    ID: str = ""
    RatingPlanBindings: list[TPRatingPlanBinding] = msgspec.field(default_factory=list)


class TPRatingActivation(msgspec.Struct, kw_only=True):
    """One row of RatingProfiles.csv past the key columns.

    ``ActivationTime`` as written (RFC 3339, ``*asap``/empty...), ``FallbackSubjects`` the
    ``;``-separated RatesFallbackSubject column.
    """

    ActivationTime: str = ""
    RatingPlanId: str = ""
    FallbackSubjects: str = ""


class TPRatingProfile(msgspec.Struct, kw_only=True):
    """RatingProfiles.csv: ``#Tenant,Category,Subject,ActivationTime,RatingPlanId,
    RatesFallbackSubject``; rows sharing Tenant, Category and Subject, in file order."""

    TPid: str = ""
    LoadId: str = ""
    Tenant: str = ""
    Category: str = ""
    Subject: str = ""
    RatingPlanActivations: list[TPRatingActivation] = msgspec.field(default_factory=list)

    @property
    def key(self) -> str:
        """``*out:<tenant>:<category>:<subject>``, the rating profile id CGRateS matches."""
        return f"*out:{self.Tenant}:{self.Category}:{self.Subject}"
