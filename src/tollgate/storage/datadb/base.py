"""The DataDB interface: a small async key-value store partitioned by CGRateS kind.

A *kind* is a CGRateS partition (``"*accounts"``, ``"*destinations"``,
``"*attribute_profiles"``, ...), any string; a *key* is the item id inside it (for most
kinds ``tenant:id``). Values are opaque bytes that the callers encode (msgspec msgpack).
Every backend (``*internal`` now, ``*redis`` later) implements exactly these methods.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Generator, Mapping, Sequence
from enum import StrEnum
from types import TracebackType
from typing import Self

__all__ = ["DataDB", "DataDBType"]

logger = logging.getLogger(__name__)


class _Done:
    """An awaitable that is already complete (no event loop needed to build it)."""

    def __await__(self) -> Generator[None, None, None]:
        return
        yield


_DONE = _Done()


class DataDBType(StrEnum):
    """``data_db.db_type`` values."""

    INTERNAL = "*internal"
    REDIS = "*redis"


class DataDB(abc.ABC):
    """Async key-value store; writes return once durable per the backend's policy."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect or load; the store is usable once this returns."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish pending writes, make them durable, release every resource."""

    @abc.abstractmethod
    async def get(self, kind: str, key: str) -> bytes | None:
        """The value of ``key`` in ``kind``, or ``None``."""

    @abc.abstractmethod
    async def get_many(self, kind: str, keys: Sequence[str]) -> list[bytes | None]:
        """The values of ``keys``, in order, ``None`` where missing."""

    @abc.abstractmethod
    async def set(self, kind: str, key: str, value: bytes) -> None:
        """Store ``value``; returns once durable per the backend's policy."""

    async def set_deferred(self, kind: str, key: str, value: bytes) -> Awaitable[None]:
        """Store ``value`` so that later reads see it; the returned awaitable completes once
        it is durable. Writes keep their order: a later write is never durable before an
        earlier one. (This default waits for durability before returning.)"""
        await self.set(kind, key, value)
        return _DONE

    @abc.abstractmethod
    async def set_many(self, kind: str, items: Mapping[str, bytes]) -> None:
        """Store all ``items`` atomically: after a crash either all or none are there."""

    async def set_many_deferred(self, kind: str, items: Mapping[str, bytes]) -> Awaitable[None]:
        """:meth:`set_many` (all or none after a crash) applied now; the returned awaitable
        completes once the whole group is durable, in order with the other writes as
        :meth:`set_deferred`. (This default waits for durability before returning.)"""
        await self.set_many(kind, items)
        return _DONE

    @abc.abstractmethod
    async def remove(self, kind: str, key: str) -> bool:
        """Delete ``key``; ``True`` when it existed."""

    @abc.abstractmethod
    async def keys(self, kind: str, prefix: str = "") -> list[str]:
        """The keys of ``kind`` starting with ``prefix``, sorted."""

    @abc.abstractmethod
    async def count(self, kind: str, prefix: str = "") -> int:
        """How many keys of ``kind`` start with ``prefix``."""

    @abc.abstractmethod
    async def flush(self) -> None:
        """Remove everything, durably."""

    async def snapshot(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Compact the store's files now; nothing to do for most backends."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
