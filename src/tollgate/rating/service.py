"""RatingService: the rating data and settings behind the Responder / APIerSv1 / RALsV1 costs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tollgate.core.durations import HOUR
from tollgate.core.errors import MaxUsageExceededError, UnauthorizedDestinationError
from tollgate.rating.engine import CallCost, CallDescriptor, RatingOptions, get_cost
from tollgate.rating.models import ANY, RatingPlanActivation, RatingProfile, ToR, profile_key
from tollgate.rating.store import RatingData

__all__ = ["DEFAULT_MAX_COMPUTED_USAGE", "RatingService", "RatingSettings"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_COMPUTED_USAGE: dict[str, int] = {
    "*any": 189 * HOUR,
    "*voice": 72 * HOUR,
    "*data": 107374182400,
    "*sms": 10000,
    "*mms": 10000,
}


@dataclass(slots=True, frozen=True)
class RatingSettings:
    """``general.*`` and ``rals.*`` values rating reads."""

    rounding_decimals: int = 5
    default_tenant: str = "cgrates.org"
    default_category: str = "call"
    default_timezone: str = "Local"
    rp_subject_prefix_matching: bool = False
    max_computed_usage: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_MAX_COMPUTED_USAGE)
    )

    @property
    def options(self) -> RatingOptions:
        return RatingOptions(self.rounding_decimals, self.rp_subject_prefix_matching)


class RatingService:
    """Prices calls against one :class:`RatingData` (shared with the loaders)."""

    def __init__(self, data: RatingData | None = None, settings: RatingSettings | None = None):
        self.data = data if data is not None else RatingData()
        self.settings = settings if settings is not None else RatingSettings()

    @property
    def settings(self) -> RatingSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: RatingSettings) -> None:
        self._settings = settings
        self._options = settings.options  # built once per settings, not per call

    def usage_allowed(self, tor: str, usage: int) -> bool:
        """``rals.max_computed_usage`` for the ToR (else its ``*any`` entry)."""
        limits = self._settings.max_computed_usage
        limit = limits.get(tor, limits.get(ANY))
        return limit is None or usage <= limit

    def get_cost(self, cd: CallDescriptor) -> CallCost:
        """``Responder.GetCost``: defaults, the usage limit, then rating."""
        if not cd.tenant:
            cd.tenant = self._settings.default_tenant
        if not cd.category:
            cd.category = self._settings.default_category
        if not cd.subject:
            cd.subject = cd.account
        # an empty ToR is rated as *voice, and limited as such (conformance README §7)
        if not self.usage_allowed(cd.tor or ToR.VOICE, cd.time_end - cd.time_start):
            raise MaxUsageExceededError()
        return get_cost(cd, self.data, self._options)

    def get_cost_on_rating_plans(
        self, cd: CallDescriptor, plan_ids: Sequence[str]
    ) -> tuple[CallCost, str] | None:
        """Price ``cd`` with each plan in turn (activated at the call start) until one
        covers the destination; None when none does (CGRateS GetCostOnRatingPlans /
        GetRatingPlansCost). Other errors propagate."""
        key = profile_key(cd.tenant, cd.category, cd.subject)
        saved = self.data.rating_profiles.get(key)
        try:
            for plan_id in plan_ids:
                profile = RatingProfile(
                    id=key,
                    activations=(
                        RatingPlanActivation(activation_time=cd.time_start, rating_plan_id=plan_id),
                    ),
                )
                self.data.rating_profiles[key] = profile
                attempt = CallDescriptor(
                    cd.category,
                    cd.tenant,
                    cd.subject,
                    cd.destination,
                    cd.time_start,
                    cd.time_end,
                    cd.tz,
                    account=cd.account,
                    tor=cd.tor,
                    duration_index=cd.duration_index,
                    max_cost_so_far=Decimal(0),
                )
                try:
                    return get_cost(attempt, self.data, self._options), plan_id
                except UnauthorizedDestinationError:
                    continue
        finally:
            if saved is None:
                self.data.rating_profiles.pop(key, None)
            else:
                self.data.rating_profiles[key] = saved
        return None
