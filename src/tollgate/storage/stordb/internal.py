"""``*internal`` StorDB: an in-memory SQLite database behind the same SQL class.

Tollgate's choice for CGRateS's ``*internal`` StorDB: rather than a second implementation
of every query over Python maps, the same schema and the same SQL filters run in a SQLite
database held in memory, so ``*internal`` answers exactly as ``*sqlite`` does and loses its
content when the engine stops (as v0.10's ``*internal`` does unless it dumps to disk).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from tollgate.storage.stordb.sql import SQLStorDB

__all__ = ["InternalStorDB"]

logger = logging.getLogger(__name__)


class InternalStorDB(SQLStorDB):
    """A StorDB in one in-memory SQLite connection, gone when closed."""

    def __init__(self) -> None:
        super().__init__("sqlite+aiosqlite://")
        self.name = "*internal"
        self._lock = asyncio.Lock()

    def create_engine(self) -> AsyncEngine:
        # StaticPool: every checkout is the one connection that holds the database
        engine = create_async_engine(self.url, poolclass=StaticPool)
        event.listen(engine.sync_engine, "connect", _set_pragmas)
        return engine

    @asynccontextmanager
    async def transaction(self, what: str) -> AsyncIterator[AsyncConnection]:
        # the shared connection carries one transaction at a time: callers take turns
        async with self._lock, super().transaction(what) as conn:
            yield conn


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        # LIKE (prefix and search filters) as case-sensitive as on PostgreSQL and MySQL
        cursor.execute("PRAGMA case_sensitive_like=ON")
    finally:
        cursor.close()
