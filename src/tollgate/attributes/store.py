"""Compiled profiles of one DataDB partition, kept up to date by diffing what is stored.

AttributeS and ChargerS keep their profiles compiled in a cache partition (``cache``, a
:class:`~tollgate.caches.CachePartition` CacheS configures from ``caches``) in front of the
DataDB copy the store keeps. At start the store reads the partition and compiles everything
only when the partition precaches; otherwise a profile is compiled the first time it is
used. After every tariff-plan load or API write the store byte-compares each item with what
it saw last time and recompiles the new or changed ones into the cache (v0.10's ``*reload``
cache action), so a write costs the diff plus one pass over the keys. An item evicted by
the partition's limit or ttl is compiled again on its next use. An item that does not
compile is kept with its error, raised when the profile is used.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import msgspec

from tollgate.caches.heap import settle_after_load
from tollgate.caches.partition import CachePartition
from tollgate.core.errors import TollgateError

if TYPE_CHECKING:
    from tollgate.storage.datadb import DataDB

__all__ = ["ActiveWindow", "ProfileStore"]

logger = logging.getLogger(__name__)

S = TypeVar("S", bound=msgspec.Struct)
C = TypeVar("C")

_ZERO_NS = -62135596800 * 1_000_000_000  # Go's zero time


class ActiveWindow:
    """A profile's ActivationInterval as ns instants (Go's zero time for an unset end)."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def active_at(self, at_ns: int) -> bool:
        """``IsActiveAtTime``: after the activation time, before the expiry time."""
        if self.start != _ZERO_NS and not self.start < at_ns:
            return False
        return self.end == _ZERO_NS or self.end > at_ns


class ProfileStore(Generic[S, C]):
    """``kind``'s items (``Tenant:ID`` keys) decoded as ``model`` and compiled."""

    def __init__(self, kind: str, model: type[S], compile_item: Callable[[S], C]) -> None:
        self.kind = kind
        self._decoder = msgspec.msgpack.Decoder(model)
        self._compile = compile_item
        self._raw: dict[str, bytes] = {}
        self.cache = CachePartition(kind)
        self.errors: dict[str, TollgateError] = {}
        self._started = False
        self._compiled_on_use = 0  # since the heap was last settled

    def __len__(self) -> int:
        return len(self._raw)

    def keys(self) -> list[str]:
        """Every stored key (``Tenant:ID``), cached or not."""
        return list(self._raw)

    def get(self, tenant: str, item_id: str) -> C | None:
        """The compiled item; raises the compile error of a stored item that has one."""
        return self.get_key(f"{tenant}:{item_id}")

    def get_key(self, key: str) -> C | None:
        """:meth:`get` by ``Tenant:ID`` key: from the cache, else compiled and cached."""
        item: C | None = self.cache.get(key)
        if item is not None:
            return item
        error = self.errors.get(key)
        if error is not None:
            raise error
        if key not in self._raw:
            return None
        compiled = self._compile_key(key)
        if compiled is None:
            raise self.errors[key]
        # profiles compiled on use pile up like a load's (without precache, after a restart):
        # every BIG_LOAD of them the heap is settled too, so full collections stay short
        self._compiled_on_use += 1
        if settle_after_load(self._compiled_on_use):
            self._compiled_on_use = 0
        return compiled

    def find(self, key: str) -> C | None:
        """:meth:`get_key` with None for an item that does not compile."""
        try:
            return self.get_key(key)
        except TollgateError:
            return None

    def load_key(self, key: str) -> bool:
        """(Re)compile ``key`` into the cache (CacheSv1.ReloadCache); False when not stored."""
        if key not in self._raw:
            self.cache.remove(key)
            return False
        self.errors.pop(key, None)
        self._compile_key(key)
        return True

    def apply_cache_option(self, key: str, option: str | None, previous: object) -> None:
        """A Set/Remove API's ``Cache`` option, after the write recompiled ``key``
        (``*reload``/``*load``, the default): ``*remove`` drops it from the cache, ``*clear``
        empties the partition, ``*none`` leaves the cache as it was before the write
        (``previous``, the entry :meth:`CachePartition.peek` gave then)."""
        if option == "*remove":
            self.cache.remove(key)
        elif option == "*clear":
            self.cache.clear()
        elif option == "*none":
            if previous is None:
                self.cache.remove(key)
            else:
                self.cache.set(key, previous)

    def precache(self) -> None:
        """Compile every stored item into the cache (the partition's ``precache``)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            for key in list(self._raw):
                if not self.cache.has(key) and key not in self.errors:
                    self._compile_key(key)
        finally:
            if collecting:
                gc.enable()

    def _compile_key(self, key: str) -> C | None:
        try:
            item = self._compile(self._decoder.decode(self._raw[key]))
        except (TollgateError, ValueError, msgspec.DecodeError) as exc:
            self.cache.remove(key)
            self.errors[key] = TollgateError(str(exc))
            logger.warning("%s %s cannot be used: %s", self.kind, key, exc)
            return None
        self.cache.set(key, item)
        return item

    async def reload(self, db: DataDB) -> None:
        """Bring the compiled items up to what the DataDB holds."""
        keys = await db.keys(self.kind)
        values = await db.get_many(self.kind, keys)
        # the cyclic GC would rescan the growing heap again and again while a big load
        # compiles 100,000s of small objects (most of the time of such a load)
        collecting = gc.isenabled()
        gc.disable()
        try:
            changed = self._update(keys, values, compile_changed=self._started)
            if not self._started and self.cache.precache:
                self.precache()
                changed = len(self._raw)
        finally:
            if collecting:
                gc.enable()
        self._started = True
        if settle_after_load(changed):
            self._compiled_on_use = 0

    def _update(self, keys: list[str], values: list[bytes | None], *, compile_changed: bool) -> int:
        """Take the stored items in; the number of new, changed and removed ones."""
        seen = self._raw
        changed = 0
        present: set[str] = set()
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            present.add(key)
            if seen.get(key) == value:
                continue
            changed += 1
            seen[key] = value
            self.errors.pop(key, None)
            if compile_changed:
                self._compile_key(key)
            else:
                self.cache.remove(key)
        for key in [key for key in seen if key not in present]:
            changed += 1
            del seen[key]
            self.cache.remove(key)
            self.errors.pop(key, None)
        return changed
