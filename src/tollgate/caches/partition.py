"""One cache partition: a bounded LRU map with an optional time to live (v0.10 ``ltcache``).

``limit`` -1 is unbounded, 0 caches nothing, N keeps the N most recently used items (the
least recently used one is evicted on the N+1th set). ``ttl_ns`` > 0 expires an item that
long after it was set; unless ``static_ttl`` every read starts its time again. The clock is
injectable so tests can move time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["CachePartition"]


class CachePartition:
    """``name``'s items by key; ``get`` refreshes recency (and the ttl unless static)."""

    def __init__(
        self,
        name: str,
        *,
        limit: int = -1,
        ttl_ns: int = 0,
        static_ttl: bool = False,
        precache: bool = False,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.name = name
        self.limit = limit
        self.ttl_ns = ttl_ns
        self.static_ttl = static_ttl
        self.precache = precache
        self.clock = clock
        self._items: dict[str, Any] = {}
        self._expiry: dict[str, int] = {}
        self._groups: dict[str, set[str]] = {}
        self._item_groups: dict[str, tuple[str, ...]] = {}
        # unbounded and without ttl: a plain dict read, nothing to track
        self._plain = limit < 0 and ttl_ns <= 0

    def __len__(self) -> int:
        self._expire_all()
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return self.has(key)

    def get(self, key: str) -> Any | None:
        items = self._items
        if self._plain:
            return items.get(key)
        value = items.get(key)
        if value is None:
            return None
        if self.ttl_ns > 0:
            now = self.clock()
            if self._expiry[key] <= now:
                self._drop(key)
                return None
            if not self.static_ttl:
                self._expiry[key] = now + self.ttl_ns
        if self.limit > 0:  # most recently used goes last
            del items[key]
            items[key] = value
        return value

    def peek(self, key: str) -> Any | None:
        """The item without touching its recency or ttl (None when absent or expired)."""
        value = self._items.get(key)
        if value is not None and self.ttl_ns > 0 and self._expiry[key] <= self.clock():
            self._drop(key)
            return None
        return value

    def has(self, key: str) -> bool:
        return self.peek(key) is not None

    def set(self, key: str, value: Any, groups: Iterable[str] = ()) -> None:
        if self.limit == 0:
            return
        items = self._items
        if key in items:
            self._drop(key)
        items[key] = value
        if self.ttl_ns > 0:
            self._expiry[key] = self.clock() + self.ttl_ns
        group_ids = tuple(groups)
        if group_ids:
            self._item_groups[key] = group_ids
            for group in group_ids:
                self._groups.setdefault(group, set()).add(key)
        if self.limit > 0:
            while len(items) > self.limit:
                self._drop(next(iter(items)))

    def remove(self, key: str) -> None:
        if key in self._items:
            self._drop(key)

    def clear(self) -> None:
        self._items.clear()
        self._expiry.clear()
        self._groups.clear()
        self._item_groups.clear()

    def expiry_ns(self, key: str) -> int | None:
        """When ``key`` expires (a monotonic-clock instant), 0 when never, None if absent."""
        if not self.has(key):
            return None
        return self._expiry.get(key, 0)

    def keys(self, prefix: str = "") -> list[str]:
        self._expire_all()
        return sorted(k for k in self._items if k.startswith(prefix))

    # -- groups ---------------------------------------------------------------------------

    def has_group(self, group: str) -> bool:
        self._expire_all()
        return bool(self._groups.get(group))

    def group_keys(self, group: str) -> list[str]:
        self._expire_all()
        return sorted(self._groups.get(group, ()))

    def remove_group(self, group: str) -> None:
        for key in list(self._groups.get(group, ())):
            self._drop(key)

    def group_count(self) -> int:
        self._expire_all()
        return sum(1 for members in self._groups.values() if members)

    # -- internals ------------------------------------------------------------------------

    def _drop(self, key: str) -> None:
        del self._items[key]
        self._expiry.pop(key, None)
        for group in self._item_groups.pop(key, ()):
            members = self._groups.get(group)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._groups[group]

    def _expire_all(self) -> None:
        if self.ttl_ns <= 0 or not self._expiry:
            return
        now = self.clock()
        for key in [k for k, at in self._expiry.items() if at <= now]:
            self._drop(key)
