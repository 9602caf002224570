"""StorDB: CDRs, session costs and offline tariff plans."""

from __future__ import annotations

import logging
from pathlib import Path

from tollgate.storage.stordb.base import StorDB, StorDBType
from tollgate.storage.stordb.cdrs import CDRRecord, CDRsFilter, CDRStore, SMCostRecord
from tollgate.storage.stordb.sql import SQLStorDB
from tollgate.storage.stordb.sqlite import SQLiteStorDB
from tollgate.storage.stordb.tariffplans import TariffPlanStore

__all__ = [
    "CDRRecord",
    "CDRStore",
    "CDRsFilter",
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
) -> StorDB:
    """The StorDB for ``stor_db.db_type``; the caller awaits ``open()`` on it.

    ``*sqlite`` lives in ``<data_dir>/stordb/<db_name>.sqlite3``; host, port, user and
    password are for the server backends.
    """
    if db_type == StorDBType.SQLITE:
        return SQLiteStorDB(Path(data_dir) / "stordb" / f"{db_name}.sqlite3")
    if db_type in (StorDBType.POSTGRES, StorDBType.MYSQL, StorDBType.INTERNAL):
        raise ValueError(f"stor_db db_type {db_type!r} is not built yet; use '*sqlite'")
    raise ValueError(
        f"unknown stor_db db_type {db_type!r}; expected one of "
        f"{', '.join(repr(str(t)) for t in StorDBType)}"
    )
