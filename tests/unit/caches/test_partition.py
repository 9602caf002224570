"""CachePartition: limit (LRU), ttl with a controllable clock, static_ttl, groups."""

from __future__ import annotations

from tollgate.caches import CachePartition


class Clock:
    def __init__(self) -> None:
        self.now = 1_000

    def __call__(self) -> int:
        return self.now


def test_unbounded_keeps_everything() -> None:
    part = CachePartition("*x")
    for n in range(100):
        part.set(f"k{n}", n)
    assert len(part) == 100
    assert part.get("k0") == 0


def test_limit_evicts_the_least_recently_used() -> None:
    part = CachePartition("*x", limit=2)
    part.set("a", 1)
    part.set("b", 2)
    assert part.get("a") == 1  # a is now the most recent
    part.set("c", 3)
    assert part.keys() == ["a", "c"]
    assert part.get("b") is None


def test_limit_zero_caches_nothing() -> None:
    part = CachePartition("*x", limit=0)
    part.set("a", 1)
    assert part.get("a") is None
    assert len(part) == 0


def test_ttl_expires_and_reads_refresh_it() -> None:
    clock = Clock()
    part = CachePartition("*x", ttl_ns=100, clock=clock)
    part.set("a", 1)
    clock.now += 60
    assert part.get("a") == 1  # refreshed: expires at now + 100
    clock.now += 60
    assert part.get("a") == 1
    assert part.expiry_ns("a") == clock.now + 100
    clock.now += 100
    assert part.get("a") is None
    assert len(part) == 0


def test_static_ttl_is_not_refreshed_by_reads() -> None:
    clock = Clock()
    part = CachePartition("*x", ttl_ns=100, static_ttl=True, clock=clock)
    part.set("a", 1)
    clock.now += 60
    assert part.get("a") == 1
    clock.now += 60
    assert part.get("a") is None
    assert not part.has("a")


def test_expired_items_leave_the_listing() -> None:
    clock = Clock()
    part = CachePartition("*x", ttl_ns=100, clock=clock)
    part.set("a", 1)
    clock.now += 50
    part.set("b", 2)
    clock.now += 60
    assert part.keys() == ["b"]
    assert part.expiry_ns("a") is None


def test_groups() -> None:
    part = CachePartition("*x")
    part.set("a", 1, groups=["g1"])
    part.set("b", 2, groups=["g1", "g2"])
    assert part.group_keys("g1") == ["a", "b"]
    assert part.group_count() == 2
    part.remove_group("g1")
    assert len(part) == 0
    assert not part.has_group("g2")
