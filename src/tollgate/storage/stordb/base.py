"""The StorDB interface: CDRs, session costs and offline tariff plans (``tp_*``)."""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import TracebackType
from typing import Self

__all__ = ["StorDB", "StorDBType"]

logger = logging.getLogger(__name__)


class StorDBType(StrEnum):
    """``stor_db.db_type`` values."""

    INTERNAL = "*internal"
    SQLITE = "*sqlite"
    POSTGRES = "*postgres"
    MYSQL = "*mysql"


class StorDB(abc.ABC):
    """Async relational store; grows one group of methods per CGRateS StorDB concern."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create missing tables; usable once this returns."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release every connection."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise :class:`~tollgate.storage.errors.StorageError` unless the store answers."""

    @abc.abstractmethod
    async def get_versions(self) -> dict[str, int]:
        """Every item's data version (empty when none is recorded)."""

    @abc.abstractmethod
    async def set_versions(self, versions: Mapping[str, int], overwrite: bool) -> None:
        """Record ``versions``; with ``overwrite`` every other item is forgotten."""

    @abc.abstractmethod
    async def remove_versions(self, items: Sequence[str] | None = None) -> None:
        """Forget the versions of ``items``, or of every item when ``None``."""

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
