"""``*sqlite`` StorDB: one file, WAL journal, through aiosqlite."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tollgate.storage.errors import StorageError
from tollgate.storage.stordb.sql import SQLStorDB

__all__ = ["SQLiteStorDB"]

logger = logging.getLogger(__name__)


class SQLiteStorDB(SQLStorDB):
    """A StorDB in the SQLite file at ``path`` (its folder is created on open)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(f"sqlite+aiosqlite:///{self.path}")

    def create_engine(self) -> AsyncEngine:
        engine = create_async_engine(self.url)
        event.listen(engine.sync_engine, "connect", _set_pragmas)
        return engine

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"StorDB {self.path}: cannot create its folder: {exc}") from exc
        await super().open()


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers (CDR queries) never block the writer; NORMAL is crash-safe under WAL
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # LIKE (prefix and search filters) as case-sensitive as on PostgreSQL and MySQL
        cursor.execute("PRAGMA case_sensitive_like=ON")
    finally:
        cursor.close()
