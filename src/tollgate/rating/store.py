"""In-memory rating data: destinations with their prefix index, rating plans, rating profiles.

Readers share one :class:`RatingData`; a loader fills it with :meth:`RatingData.load` (merge)
or :meth:`RatingData.replace` (swap everything at once, so a request never sees half a plan).
"""

from __future__ import annotations

from collections.abc import Iterable

from tollgate.rating.models import Destination, RatingPlan, RatingProfile

__all__ = ["RatingData"]


class RatingData:
    """Destinations (and prefix → destination ids), rating plans and rating profiles by id."""

    def __init__(self) -> None:
        self.destinations: dict[str, Destination] = {}
        self.rating_plans: dict[str, RatingPlan] = {}
        self.rating_profiles: dict[str, RatingProfile] = {}
        self._reverse: dict[str, tuple[str, ...]] = {}
        self._max_prefix = 0

    def load(
        self,
        destinations: Iterable[Destination] = (),
        rating_plans: Iterable[RatingPlan] = (),
        rating_profiles: Iterable[RatingProfile] = (),
    ) -> None:
        """Add or overwrite objects by id (a reloaded destination replaces its prefixes)."""
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

    def remove_rating_profile(self, key: str) -> None:
        self.rating_profiles.pop(key, None)

    def remove_rating_plan(self, plan_id: str) -> None:
        self.rating_plans.pop(plan_id, None)

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

    def get_rating_profile(self, key: str) -> RatingProfile | None:
        return self.rating_profiles.get(key)

    def get_rating_plan(self, plan_id: str) -> RatingPlan | None:
        return self.rating_plans.get(plan_id)
