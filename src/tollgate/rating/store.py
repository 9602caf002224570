"""In-memory rating data: destinations with their prefix index, rating plans, rating profiles.

Readers share one :class:`RatingData`; a loader fills it with :meth:`RatingData.load` (merge)
or :meth:`RatingData.replace` (swap everything at once, so a request never sees half a plan).
"""

from __future__ import annotations

from collections.abc import Iterable

from tollgate.rating.models import ANY, Destination, RateInterval, RatingPlan, RatingProfile

__all__ = ["Binding", "RatingData"]

# what a plan binds to a number: (rate intervals, matched prefix, destination id)
Binding = tuple[tuple[RateInterval, ...], str, str]
_BINDINGS_MAX = 65536  # numbers come from requests: bound the memo


class RatingData:
    """Destinations (and prefix → destination ids), rating plans and rating profiles by id."""

    def __init__(self) -> None:
        self.destinations: dict[str, Destination] = {}
        self.rating_plans: dict[str, RatingPlan] = {}
        self.rating_profiles: dict[str, RatingProfile] = {}
        self._reverse: dict[str, tuple[str, ...]] = {}
        self._max_prefix = 0
        # (plan id, number) -> (plan, its binding): the prefix walk once per number, not per
        # call; the plan is kept to notice a plan replaced behind our back
        self._bindings: dict[tuple[str, str], tuple[RatingPlan, Binding | None]] = {}

    def load(
        self,
        destinations: Iterable[Destination] = (),
        rating_plans: Iterable[RatingPlan] = (),
        rating_profiles: Iterable[RatingProfile] = (),
    ) -> None:
        """Add or overwrite objects by id (a reloaded destination replaces its prefixes)."""
        self._bindings = {}
        dests = list(destinations)
        for dest in dests:
            self.destinations[dest.id] = dest
        if dests:
            self._reindex()
        for plan in rating_plans:
            self.rating_plans[plan.id] = plan
        for profile in rating_profiles:
            self.rating_profiles[profile.id] = profile

    def replace(
        self,
        destinations: Iterable[Destination] = (),
        rating_plans: Iterable[RatingPlan] = (),
        rating_profiles: Iterable[RatingProfile] = (),
    ) -> None:
        """Drop everything and hold exactly the given objects."""
        fresh = RatingData()
        fresh.load(destinations, rating_plans, rating_profiles)
        self.destinations = fresh.destinations
        self.rating_plans = fresh.rating_plans
        self.rating_profiles = fresh.rating_profiles
        self._reverse = fresh._reverse
        self._max_prefix = fresh._max_prefix
        self._bindings = {}

    def remove_rating_profile(self, key: str) -> None:
        self.rating_profiles.pop(key, None)

    def remove_rating_plan(self, plan_id: str) -> None:
        self.rating_plans.pop(plan_id, None)
        self._bindings = {}

    def remove_destination(self, dest_id: str) -> None:
        if self.destinations.pop(dest_id, None) is not None:
            self._reindex()

    def _reindex(self) -> None:
        reverse: dict[str, list[str]] = {}
        for dest in self.destinations.values():
            for prefix in dest.prefixes:
                ids = reverse.setdefault(prefix, [])
                if dest.id not in ids:
                    ids.append(dest.id)
        self._reverse = {prefix: tuple(ids) for prefix, ids in reverse.items()}
        self._max_prefix = max((len(p) for p in self._reverse), default=0)
        self._bindings = {}

    def reverse_destination(self, prefix: str) -> tuple[str, ...]:
        """The ids of the destinations holding exactly ``prefix``."""
        return self._reverse.get(prefix, ())

    def prefixes_of(self, number: str) -> Iterable[tuple[str, tuple[str, ...]]]:
        """(prefix, destination ids) for each known prefix of ``number``, longest first."""
        for size in range(min(len(number), self._max_prefix), 0, -1):
            prefix = number[:size]
            ids = self._reverse.get(prefix)
            if ids:
                yield prefix, ids

    def match_destination(self, number: str) -> tuple[str, tuple[str, ...]] | None:
        """The longest known prefix of ``number`` and its destination ids, or None."""
        return next(iter(self.prefixes_of(number)), None)

    def binding(self, plan: RatingPlan, number: str) -> Binding | None:
        """The rate intervals ``plan`` applies to ``number`` (not ``*any``/empty): those of
        the longest matching prefix whose destinations the plan binds (the heaviest such
        destination), else the plan's ``*any`` ones; None when neither exists."""
        key = (plan.id, number)
        cached = self._bindings.get(key)
        if cached is not None and cached[0] is plan:
            return cached[1]
        found = self._find_binding(plan, number)
        if len(self._bindings) >= _BINDINGS_MAX:
            self._bindings = {}
        self._bindings[key] = (plan, found)
        return found

    def _find_binding(self, plan: RatingPlan, number: str) -> Binding | None:
        for candidate, dest_ids in self.prefixes_of(number):
            best: Binding | None = None
            best_weight = None
            for did in dest_ids:
                bound = plan.intervals.get(did)
                if bound is None:
                    continue
                weight = max((ri.weight for ri in bound), default=0)
                weight = max(weight, 0)
                if best_weight is None or weight > best_weight:
                    best_weight, best = weight, (bound, candidate, did)
            if best is not None:
                return best
        if ANY in plan.intervals:
            return plan.intervals[ANY], ANY, ANY
        return None

    def get_rating_profile(self, key: str) -> RatingProfile | None:
        return self.rating_profiles.get(key)

    def get_rating_plan(self, plan_id: str) -> RatingPlan | None:
        return self.rating_plans.get(plan_id)
