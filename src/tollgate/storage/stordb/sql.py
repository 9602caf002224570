"""A StorDB over any SQLAlchemy async URL (SQLite, PostgreSQL, MySQL/MariaDB).

Only SQLAlchemy Core and portable statements: no dialect upserts, so one implementation
serves every backend. Driver errors leave as :class:`StorageError` with the cause chained.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tollgate.storage.errors import StorageError
from tollgate.storage.stordb.base import StorDB
from tollgate.storage.stordb.cdrs import CDRStore
from tollgate.storage.stordb.schema import metadata
from tollgate.storage.stordb.schema import versions as versions_table
from tollgate.storage.stordb.tariffplans import TariffPlanStore

__all__ = ["PoolSettings", "SQLStorDB"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """``stor_db``'s connection settings for the server backends (PostgreSQL, MySQL).

    As Go's ``database/sql`` pool in CGRateS: at most ``max_open_conns`` connections (0: no
    limit), ``max_idle_conns`` of them kept open when idle (at least one), each reused for
    ``conn_max_lifetime`` seconds (0: for ever); a statement running longer than
    ``query_timeout`` seconds is cancelled by the server (0: no limit).
    """

    max_open_conns: int = 100
    max_idle_conns: int = 10
    conn_max_lifetime: float = 0
    query_timeout: float = 10

    def engine_options(self) -> dict[str, Any]:
        """``create_async_engine`` keywords for a QueuePool of these sizes."""
        idle = max(1, self.max_idle_conns)
        if self.max_open_conns > 0:
            idle = min(idle, self.max_open_conns)
            overflow = self.max_open_conns - idle
        else:
            overflow = -1  # no limit
        return {
            "pool_size": idle,
            "max_overflow": overflow,
            "pool_recycle": self.conn_max_lifetime if self.conn_max_lifetime > 0 else -1,
        }


class SQLStorDB(CDRStore, TariffPlanStore, StorDB):
    """StorDB on SQLAlchemy Core (async); tables are created on open when missing."""

    def __init__(self, url: str | URL, **engine_options: Any) -> None:
        self.url = url
        self.engine_options = engine_options
        # for messages and logs: never show the password
        self.name = make_url(url).render_as_string(hide_password=True)
        self._engine: AsyncEngine | None = None

    def create_engine(self) -> AsyncEngine:
        """The engine for ``url``; subclasses add dialect settings."""
        return create_async_engine(self.url, **self.engine_options)

    async def open(self) -> None:
        if self._engine is not None:
            raise StorageError(f"StorDB {self.name} is already open")
        engine = self.create_engine()
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        except (SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise StorageError(f"StorDB {self.name}: cannot open: {exc}") from exc
        self._engine = engine
        logger.debug("StorDB %s open", self.name)

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    @asynccontextmanager
    async def transaction(self, what: str) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on success; errors translated."""
        if self._engine is None:
            raise StorageError(f"StorDB {self.name} is not open")
        try:
            async with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"StorDB {self.name}: {what}: {exc}") from exc

    async def ping(self) -> None:
        async with self.transaction("ping") as conn:
            await conn.execute(text("SELECT 1"))

    async def get_versions(self) -> dict[str, int]:
        async with self.transaction("get versions") as conn:
            rows = await conn.execute(select(versions_table.c.item, versions_table.c.version))
            return {row.item: row.version for row in rows}

    async def set_versions(self, versions: Mapping[str, int], overwrite: bool) -> None:
        async with self.transaction("set versions") as conn:
            if overwrite:
                await conn.execute(delete(versions_table))
            elif versions:
                await conn.execute(
                    delete(versions_table).where(versions_table.c.item.in_(list(versions)))
                )
            if versions:
                rows = [{"item": item, "version": v} for item, v in versions.items()]
                await conn.execute(insert(versions_table), rows)

    async def remove_versions(self, items: Sequence[str] | None = None) -> None:
        async with self.transaction("remove versions") as conn:
            if items is None:
                await conn.execute(delete(versions_table))
            elif items:
                await conn.execute(
                    delete(versions_table).where(versions_table.c.item.in_(list(items)))
                )
