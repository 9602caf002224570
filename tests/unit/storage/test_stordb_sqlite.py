"""``*sqlite`` StorDB: versions, persistence, the factory."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tollgate.storage.errors import StorageError
from tollgate.storage.stordb import SQLiteStorDB, SQLStorDB, StorDB, open_stordb

SERVER = {"db_name": "cgrates", "host": "127.0.0.1", "port": 3306, "user": "cgr", "password": "pw"}


@pytest.fixture
async def stordb(tmp_path: Path) -> AsyncIterator[StorDB]:
    db = open_stordb("*sqlite", data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]
    await db.open()
    yield db
    await db.close()


async def test_versions_round_trip(stordb: StorDB) -> None:
    await stordb.ping()
    assert await stordb.get_versions() == {}
    await stordb.set_versions({"Accounts": 3, "Actions": 2, "CDRs": 2}, overwrite=False)
    assert await stordb.get_versions() == {"Accounts": 3, "Actions": 2, "CDRs": 2}
    await stordb.set_versions({"Accounts": 4, "Filters": 1}, overwrite=False)  # merge
    assert await stordb.get_versions() == {"Accounts": 4, "Actions": 2, "CDRs": 2, "Filters": 1}
    await stordb.set_versions({"CDRs": 3}, overwrite=True)  # replace everything
    assert await stordb.get_versions() == {"CDRs": 3}


async def test_remove_versions(stordb: StorDB) -> None:
    await stordb.set_versions({"Accounts": 3, "Actions": 2, "CDRs": 2}, overwrite=True)
    await stordb.remove_versions(["Actions", "NotThere"])
    assert await stordb.get_versions() == {"Accounts": 3, "CDRs": 2}
    await stordb.remove_versions([])
    assert await stordb.get_versions() == {"Accounts": 3, "CDRs": 2}
    await stordb.remove_versions(None)
    assert await stordb.get_versions() == {}


async def test_versions_persist_across_reopen_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "stordb" / "cgrates.sqlite3"
    db = SQLiteStorDB(path)
    await db.open()
    await db.set_versions({"Accounts": 3}, overwrite=True)
    await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    again = SQLiteStorDB(path)
    await again.open()
    assert await again.get_versions() == {"Accounts": 3}
    await again.close()


async def test_closed_or_unopenable_store_raises_storage_error(tmp_path: Path) -> None:
    db = SQLiteStorDB(tmp_path / "x.sqlite3")
    with pytest.raises(StorageError, match="is not open"):
        await db.get_versions()
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StorageError, match="cannot open"):
        await SQLiteStorDB(tmp_path / "dir.sqlite3").open()
    # aiosqlite stops the worker thread of a failed connect without awaiting it; let it
    # finish while this loop still runs, or it reports into a closed loop later
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)


def test_url_in_messages_hides_the_password() -> None:
    db = SQLStorDB("postgresql+asyncpg://cgr:secret@db.example:5432/cgrates")
    assert "secret" not in db.name
    assert "db.example" in db.name


def test_factory(tmp_path: Path) -> None:
    db = open_stordb("*sqlite", data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]
    assert isinstance(db, SQLiteStorDB)
    assert db.path == tmp_path / "stordb" / "cgrates.sqlite3"
    for later in ("*postgres", "*mysql", "*internal"):
        with pytest.raises(ValueError, match=f"'\\{later}' is not built yet"):
            open_stordb(later, data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown stor_db db_type '\\*mongo'"):
        open_stordb("*mongo", data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]
