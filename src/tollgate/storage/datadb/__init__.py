"""DataDB: profiles, accounts and everything the engine reads at run time."""

from __future__ import annotations

import logging
from pathlib import Path

from tollgate.storage.datadb.base import DataDB, DataDBType
from tollgate.storage.datadb.internal import FsyncPolicy, InternalDataDB

__all__ = ["DataDB", "DataDBType", "FsyncPolicy", "InternalDataDB", "open_datadb"]

logger = logging.getLogger(__name__)


def open_datadb(
    db_type: str,
    *,
    data_dir: str | Path,
    fsync: str = "always",
    snapshot_interval: float = 300.0,
    snapshot_records: int = 100_000,
) -> DataDB:
    """The DataDB for ``data_db.db_type``; the caller awaits ``open()`` on it."""
    if db_type == DataDBType.INTERNAL:
        return InternalDataDB(
            data_dir,
            fsync=fsync,
            snapshot_interval=snapshot_interval,
            snapshot_records=snapshot_records,
        )
    if db_type == DataDBType.REDIS:
        raise ValueError("data_db db_type '*redis' is not built yet; use '*internal'")
    raise ValueError(
        f"unknown data_db db_type {db_type!r}; expected one of "
        f"{', '.join(repr(str(t)) for t in DataDBType)}"
    )
