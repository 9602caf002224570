"""Which rating plans rate a call: profile lookup, activations, destinations, fallbacks.

CGRateS's ``LoadRatingPlans``: the profile ``*out:tenant:category:subject`` (optionally by
subject prefix), else the ``*any`` subject; each activation period in force during the call
becomes a :class:`RatingInfo` holding the rate intervals bound to the longest matching
destination prefix (or the plan's ``*any`` destination). Periods left uncovered try the
RatesFallbackSubject profiles, at most three levels deep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tollgate.core.errors import RatingPlanNotFoundError, UnauthorizedDestinationError
from tollgate.rating.models import ANY, RatingPlanActivation, RatingProfile, profile_key
from tollgate.rating.store import RatingData
from tollgate.rating.timespans import RatingInfo

__all__ = ["RatingQuery", "load_rating_infos"]

_MAX_DEPTH = 3


@dataclass(slots=True)
class RatingQuery:
    """The part of a CallDescriptor the lookup reads (and the infos it collects)."""

    tenant: str
    category: str
    subject: str
    destination: str
    time_start: int
    time_end: int
    infos: list[RatingInfo] = field(default_factory=list)

    def key(self, subject: str) -> str:
        return profile_key(self.tenant, self.category, subject)

    def continuous(self) -> bool:
        """Rating info covers the whole call (CGRateS ``continousRatingInfos``)."""
        if not self.infos or self.infos[0].activation_time > self.time_start:
            return False
        return None not in [info.rate_intervals for info in self.infos]

    def add_infos(self, new: list[RatingInfo]) -> None:
        if not self.infos:
            self.infos.extend(new)
            return
        self.infos.sort(key=lambda i: i.activation_time)
        head = self.infos[0].activation_time
        if head > self.time_start and new[0].activation_time < head:
            self.infos.append(new[0])
            self.infos.sort(key=lambda i: i.activation_time)


def _find_profile(data: RatingData, key: str, prefix_matching: bool) -> RatingProfile | None:
    profile = data.rating_profiles.get(key)
    if profile is not None or not prefix_matching or key.endswith(ANY):
        return profile
    cut = key.rfind(":")
    base, subject = key[:cut], key[cut:]
    for i in range(1, len(subject) - 1):
        profile = data.get_rating_profile(base + subject[: len(subject) - i])
        if profile is not None:
            return profile
    return None


def _active_for_call(
    acts: tuple[RatingPlanActivation, ...], q: RatingQuery
) -> tuple[RatingPlanActivation, ...]:
    last_before, first_after = 0, len(acts)
    for index, act in enumerate(acts):
        if act.activation_time <= q.time_start:
            last_before = index
        if act.activation_time > q.time_end:
            first_after = index
            break
    return acts[last_before:first_after]


def _infos_from_profile(data: RatingData, profile: RatingProfile, q: RatingQuery) -> bool:
    """CGRateS ``RatingProfile.GetRatingPlansForPrefix``; False means NOT_FOUND."""
    found: list[RatingInfo] = []
    for index, act in enumerate(_active_for_call(profile.activations, q)):
        plan = data.rating_plans.get(act.rating_plan_id)
        if plan is None:
            continue
        prefix = dest_id = ""
        intervals = None
        if q.destination in (ANY, ""):
            q.destination = ANY
            if ANY in plan.intervals:
                intervals, prefix, dest_id = plan.intervals[ANY], ANY, ANY
        else:
            binding = data.binding(plan, q.destination)
            if binding is not None:
                intervals, prefix, dest_id = binding
        if index == 0 and q.time_start < act.activation_time:
            found.append(RatingInfo("", "", "", "", q.time_start, None, (q.key(ANY),)))
        if prefix:
            found.append(
                RatingInfo(
                    profile.id,
                    plan.id,
                    prefix,
                    dest_id,
                    act.activation_time,
                    list(intervals or ()),
                    act.fallback_keys,
                )
            )
        elif act.fallback_keys:
            found.append(RatingInfo("", "", "", "", act.activation_time, None, act.fallback_keys))
    if not found:
        return False
    q.add_infos(found)
    return True


def _for_key(
    data: RatingData, q: RatingQuery, key: str, depth: int, prefix_matching: bool
) -> tuple[bool, int]:
    """(found, depth) like CGRateS ``getRatingPlansForPrefix``."""
    if depth > _MAX_DEPTH:
        return False, depth
    profile = _find_profile(data, key, prefix_matching)
    if profile is None:
        return False, depth
    if _infos_from_profile(data, profile, q) and q.continuous():
        return True, depth
    depth += 1
    index = 0
    while index < len(q.infos):
        info = q.infos[index]
        if info.rate_intervals or not info.fallback_keys:
            index += 1
            continue
        last = index == len(q.infos) - 1
        temp = RatingQuery(
            q.tenant,
            q.category,
            "",
            q.destination,
            q.time_start if index == 0 else info.activation_time,
            q.time_end if last else q.infos[index + 1].activation_time,
        )
        for fallback in info.fallback_keys:
            ok, _ = _for_key(data, temp, fallback, depth, prefix_matching)
            if not ok:
                continue
            for new_index, new_info in enumerate(temp.infos):
                if not new_info.rate_intervals:
                    continue
                if new_index == 0:
                    q.infos[index] = new_info
                else:
                    q.infos.insert(index + new_index, new_info)
            if temp.continuous():
                break
        index += 1
    return True, depth


def load_rating_infos(
    data: RatingData, q: RatingQuery, *, prefix_matching: bool = False
) -> list[RatingInfo]:
    """Fill ``q.infos`` for the whole call or raise RATING_PLAN_NOT_FOUND /
    UNAUTHORIZED_DESTINATION."""
    found, depth = _for_key(data, q, q.key(q.subject), 1, prefix_matching)
    if not found and depth == 1:
        found, _ = _for_key(data, q, q.key(ANY), 1, prefix_matching)
    if not found:
        raise RatingPlanNotFoundError()
    if not q.continuous():
        raise UnauthorizedDestinationError()
    return q.infos
