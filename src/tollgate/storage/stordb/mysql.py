"""``*mysql`` StorDB: MySQL or MariaDB through asyncmy.

Tables are created in utf8mb4 with the binary collation (see :data:`.schema.MYSQL_TABLE`)
and the connection speaks utf8mb4, so IDs compare case-sensitively as on every backend.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from tollgate.storage.stordb.sql import PoolSettings, SQLStorDB

__all__ = ["MySQLStorDB"]

logger = logging.getLogger(__name__)

DEFAULT_PORT = 3306


class MySQLStorDB(SQLStorDB):
    """A StorDB in the MySQL/MariaDB database ``db_name`` at ``host:port``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        db_name: str = "cgrates",
        user: str = "cgrates",
        password: str = "",
        pool: PoolSettings | None = None,
    ) -> None:
        self.pool = pool or PoolSettings()
        url = URL.create(
            "mysql+asyncmy",
            username=user or None,
            password=password or None,
            host=host or "127.0.0.1",
            port=port or DEFAULT_PORT,
            database=db_name,
            query={"charset": "utf8mb4"},
        )
        super().__init__(url, **self.pool.engine_options())

    def create_engine(self) -> AsyncEngine:
        engine = super().create_engine()
        if self.pool.query_timeout > 0:
            event.listen(engine.sync_engine, "connect", self._set_statement_timeout)
        return engine

    def _set_statement_timeout(self, dbapi_connection: Any, _record: Any) -> None:
        seconds = self.pool.query_timeout
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT VERSION()")
            (version,) = cursor.fetchone()
            if "mariadb" in str(version).lower():  # any statement, in seconds
                cursor.execute(f"SET SESSION max_statement_time = {seconds:.3f}")
            else:  # MySQL limits only SELECTs, in ms
                cursor.execute(f"SET SESSION max_execution_time = {max(1, round(seconds * 1000))}")
        finally:
            cursor.close()
