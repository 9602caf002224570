"""``*sqlite`` StorDB: the file, WAL, reopening, older databases, the factory.

What every backend does alike is in tests/integration/storage (one fixture, four backends).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, inspect

from tollgate.storage.errors import StorageError
from tollgate.storage.stordb import (
    InternalStorDB,
    MySQLStorDB,
    PoolSettings,
    PostgresStorDB,
    SQLiteStorDB,
    SQLStorDB,
    open_stordb,
)
from tollgate.storage.stordb.schema import TP_TABLES, metadata
from tollgate.tariffplans import TPDestination, read_folder

ROOT = Path(__file__).resolve().parents[3]
SPEC_PLANS = ROOT.parent / "shared" / "spec" / "cgrates-v0.10" / "tariffplans"
RATING_TABLES = (
    "tp_timings", "tp_destinations", "tp_rates", "tp_destination_rates", "tp_rating_plans",
    "tp_rating_profiles",
)  # fmt: skip

SERVER = {"db_name": "cgrates", "host": "127.0.0.1", "port": 3306, "user": "cgr", "password": "pw"}


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
    assert isinstance(open_stordb("*internal", data_dir=tmp_path), InternalStorDB)
    pg = open_stordb("*postgres", data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]
    assert isinstance(pg, PostgresStorDB)
    assert pg.name == "postgresql+asyncpg://cgr:***@127.0.0.1:3306/cgrates"
    my = open_stordb("*mysql", data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]
    assert isinstance(my, MySQLStorDB)
    assert my.name == "mysql+asyncmy://cgr:***@127.0.0.1:3306/cgrates?charset=utf8mb4"
    # -1 (CGRateS's "*dynamic") and 0 take the backend's own port
    for port, expected in ((-1, 5432), (0, 5432)):
        pg = open_stordb("*postgres", data_dir=tmp_path, port=port, host="db", user="u")
        assert isinstance(pg, PostgresStorDB)
        assert pg.name == f"postgresql+asyncpg://u@db:{expected}/cgrates"
    my = open_stordb("*mysql", data_dir=tmp_path, port=-1)
    assert isinstance(my, MySQLStorDB)
    assert ":3306/" in my.name
    with pytest.raises(ValueError, match="sslmode 'on' is not one of disable, allow"):
        open_stordb("*postgres", data_dir=tmp_path, sslmode="on")
    with pytest.raises(ValueError, match="unknown stor_db db_type '\\*mongo'"):
        open_stordb("*mongo", data_dir=tmp_path, **SERVER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        (PoolSettings(), {"pool_size": 10, "max_overflow": 90, "pool_recycle": -1}),
        (PoolSettings(max_open_conns=5, max_idle_conns=10, conn_max_lifetime=30),
         {"pool_size": 5, "max_overflow": 0, "pool_recycle": 30}),
        (PoolSettings(max_open_conns=0, max_idle_conns=0),
         {"pool_size": 1, "max_overflow": -1, "pool_recycle": -1}),
    ],
)  # fmt: skip
def test_pool_settings_map_go_sql_limits_to_a_queue_pool(
    pool: PoolSettings, expected: dict[str, float]
) -> None:
    assert pool.engine_options() == expected


async def test_tables_persist_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "stordb.sqlite3"
    async with SQLiteStorDB(path) as db:
        await db.set_tp_destinations([TPDestination(TPid="TP1", ID="A", Prefixes=["1"])])
    async with SQLiteStorDB(path) as db:
        assert (await db.get_tp_destinations("TP1", "A"))[0].Prefixes == ["1"]


async def test_a_database_from_before_the_account_and_profile_tables_gains_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    old = MetaData()
    for name in (*RATING_TABLES, "versions"):
        metadata.tables[name].to_metadata(old)
    sync = create_engine(f"sqlite:///{path}")
    old.create_all(sync)
    sync.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO tp_destinations (tpid, tag, prefix) VALUES ('OLD', 'D', '49')")
        conn.execute("INSERT INTO versions (item, version) VALUES ('TpDestinations', 1)")
    conn.close()
    async with SQLiteStorDB(path) as store:
        assert await store.get_versions() == {"TpDestinations": 1}
        assert await store.get_tp_destinations("OLD") == [
            TPDestination(TPid="OLD", ID="D", Prefixes=["49"])
        ]
        await store.set_tariff_plan(read_folder(SPEC_PLANS / "engine_csv", tpid="NEW"))
        assert (await store.get_tariff_plan("NEW")).thresholds
    sync = create_engine(f"sqlite:///{path}")
    assert set(TP_TABLES) <= set(inspect(sync).get_table_names())
    sync.dispose()
