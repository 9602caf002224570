"""Compiled profiles of one DataDB partition, kept up to date by diffing what is stored.

AttributeS and ChargerS keep their profiles compiled in memory (v0.10 caches them in the
engine). At start and after every tariff-plan load or API write the store reads the
partition, byte-compares each item with what it compiled last time and compiles only the
new or changed ones, so a write costs the diff plus one pass over the keys. An item that
does not compile is kept with its error, raised when the profile is used.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import msgspec

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
        self.items: dict[str, C] = {}
        self.errors: dict[str, TollgateError] = {}

    def __len__(self) -> int:
        return len(self._raw)

    def get(self, tenant: str, item_id: str) -> C | None:
        """The compiled item; raises the compile error of a stored item that has one."""
        key = f"{tenant}:{item_id}"
        item = self.items.get(key)
        if item is None:
            error = self.errors.get(key)
            if error is not None:
                raise error
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
            self._update(keys, values)
        finally:
            if collecting:
                gc.enable()

    def _update(self, keys: list[str], values: list[bytes | None]) -> None:
        seen = self._raw
        present: set[str] = set()
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            present.add(key)
            if seen.get(key) == value:
                continue
            seen[key] = value
            self.errors.pop(key, None)
            try:
                self.items[key] = self._compile(self._decoder.decode(value))
            except (TollgateError, ValueError, msgspec.DecodeError) as exc:
                self.items.pop(key, None)
                self.errors[key] = TollgateError(str(exc))
                logger.warning("%s %s cannot be used: %s", self.kind, key, exc)
        for key in [key for key in seen if key not in present]:
            del seen[key]
            self.items.pop(key, None)
            self.errors.pop(key, None)
