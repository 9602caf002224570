"""StorDB: CDRs, session costs and offline tariff plans."""

from __future__ import annotations

import logging
from pathlib import Path

from tollgate.storage.stordb.base import StorDB, StorDBType
from tollgate.storage.stordb.cdrs import CDRRecord, CDRsFilter, CDRStore, SMCostRecord
from tollgate.storage.stordb.internal import InternalStorDB
from tollgate.storage.stordb.mysql import DEFAULT_PORT as MYSQL_PORT
from tollgate.storage.stordb.mysql import MySQLStorDB
from tollgate.storage.stordb.postgres import DEFAULT_PORT as POSTGRES_PORT
from tollgate.storage.stordb.postgres import PostgresStorDB
from tollgate.storage.stordb.sql import PoolSettings, SQLStorDB
from tollgate.storage.stordb.sqlite import SQLiteStorDB
from tollgate.storage.stordb.tariffplans import TariffPlanStore

__all__ = [
    "CDRRecord",
    "CDRStore",
    "CDRsFilter",
    "InternalStorDB",
    "MySQLStorDB",
    "PoolSettings",
    "PostgresStorDB",
    "SMCostRecord",
    "SQLStorDB",
    "SQLiteStorDB",
    "StorDB",
    "StorDBType",
    "TariffPlanStore",
    "open_stordb",
]

logger = logging.getLogger(__name__)


def open_stordb(
    db_type: str,
    *,
    data_dir: str | Path,
    db_name: str = "cgrates",
    host: str = "",
    port: int | str = 0,
    user: str = "",
    password: str = "",
    sslmode: str = "disable",
    pool: PoolSettings | None = None,
) -> StorDB:
    """The StorDB for ``stor_db.db_type``; the caller awaits ``open()`` on it.

    ``*sqlite`` lives in ``<data_dir>/stordb/<db_name>.sqlite3``; ``*internal`` in memory;
    host, port (0 or -1: the backend's default), user, password, ``sslmode`` and ``pool``
    are for the server backends.
    """
    if db_type == StorDBType.SQLITE:
        return SQLiteStorDB(Path(data_dir) / "stordb" / f"{db_name}.sqlite3")
    if db_type == StorDBType.INTERNAL:
        return InternalStorDB()
    port = int(port)
    if db_type == StorDBType.POSTGRES:
        return PostgresStorDB(
            host=host,
            port=port if port > 0 else POSTGRES_PORT,
            db_name=db_name,
            user=user,
            password=password,
            sslmode=sslmode,
            pool=pool,
        )
    if db_type == StorDBType.MYSQL:
        return MySQLStorDB(
            host=host,
            port=port if port > 0 else MYSQL_PORT,
            db_name=db_name,
            user=user,
            password=password,
            pool=pool,
        )
    raise ValueError(
        f"unknown stor_db db_type {db_type!r}; expected one of "
        f"{', '.join(repr(str(t)) for t in StorDBType)}"
    )
