"""One StorDB per test on each backend: ``*internal``, ``*sqlite``, ``*postgres``, ``*mysql``.

The server backends share one database per session; each test starts on emptied tables
whose row ids count from 1 again, as a new SQLite file would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tollgate.storage.stordb import SQLStorDB, open_stordb
from tollgate.storage.stordb.schema import metadata
from tollgate.testing.sqlservers import SQLServer

BACKENDS = ("*internal", "*sqlite", "*postgres", "*mysql")
SERVER_FIXTURES = {"*postgres": "postgres_server", "*mysql": "mariadb_server"}


async def _empty(store: SQLStorDB) -> None:
    """Delete every row and restart the row ids, cheaply: only tables that had rows."""
    engine = store._engine
    assert engine is not None
    names = sorted(metadata.tables)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
            return
        used = await conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND (auto_increment > 1 OR table_rows > 0)"
            )
        )
        for (name,) in used:
            await conn.execute(text(f"TRUNCATE TABLE `{name}`"))
        await conn.execute(text("DELETE FROM versions"))


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLStorDB]:
    """An open, empty StorDB of the backend this test runs on."""
    backend: str = request.param
    if backend in SERVER_FIXTURES:
        server: SQLServer = request.getfixturevalue(SERVER_FIXTURES[backend])
        cfg = server.stor_db()
        store = open_stordb(
            backend,
            data_dir=tmp_path,
            db_name=cfg["db_name"],
            host=cfg["db_host"],
            port=cfg["db_port"],
            user=cfg["db_user"],
            password=cfg["db_password"],
        )
    else:
        store = open_stordb(backend, data_dir=tmp_path)
    assert isinstance(store, SQLStorDB)
    await store.open()
    if backend in SERVER_FIXTURES:
        await _empty(store)
    yield store
    await store.close()
