"""Tollgate storage: the DataDB (run-time data) and the StorDB (CDRs, costs, tariff plans)."""

from __future__ import annotations

from tollgate.storage.datadb import DataDB, DataDBType, InternalDataDB, open_datadb
from tollgate.storage.errors import CorruptDataError, DataDirLockedError, StorageError
from tollgate.storage.stordb import SQLiteStorDB, SQLStorDB, StorDB, StorDBType, open_stordb

__all__ = [
    "CorruptDataError",
    "DataDB",
    "DataDBType",
    "DataDirLockedError",
    "InternalDataDB",
    "SQLStorDB",
    "SQLiteStorDB",
    "StorDB",
    "StorDBType",
    "StorageError",
    "open_datadb",
    "open_stordb",
]
