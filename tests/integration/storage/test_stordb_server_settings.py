"""What only the server backends have: query_timeout, sslmode, logins, the pool."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tollgate.storage.errors import StorageError
from tollgate.storage.stordb import PoolSettings, SQLStorDB, open_stordb
from tollgate.testing.sqlservers import SQLServer

SLEEP = {"*postgres": "SELECT pg_sleep(3)", "*mysql": "SELECT SLEEP(3)"}


@pytest.fixture(params=["*postgres", "*mysql"])
def server(request: pytest.FixtureRequest) -> SQLServer:
    name = "postgres_server" if request.param == "*postgres" else "mariadb_server"
    found: SQLServer = request.getfixturevalue(name)
    return found


def _open(server: SQLServer, tmp_path: Path, **kw: object) -> SQLStorDB:
    cfg = server.stor_db()
    args: dict[str, object] = {
        "db_name": cfg["db_name"],
        "host": cfg["db_host"],
        "port": cfg["db_port"],
        "user": cfg["db_user"],
        "password": cfg["db_password"],
        **kw,
    }
    store = open_stordb(server.db_type, data_dir=tmp_path, **args)  # type: ignore[arg-type]
    assert isinstance(store, SQLStorDB)
    return store


async def test_a_statement_past_query_timeout_fails_and_the_store_goes_on(
    server: SQLServer, tmp_path: Path
) -> None:
    store = _open(server, tmp_path, pool=PoolSettings(max_open_conns=1, query_timeout=0.3))
    await store.open()
    try:
        with pytest.raises(StorageError, match="slow query"):
            async with store.transaction("slow query") as conn:
                await conn.execute(text(SLEEP[server.db_type]))
        await store.ping()  # the one pooled connection still serves
        assert await store.get_versions() == {}
    finally:
        await store.close()


async def test_a_wrong_password_is_a_storage_error_that_does_not_show_it(
    server: SQLServer, tmp_path: Path
) -> None:
    store = _open(server, tmp_path, password="not-the-password")
    with pytest.raises(StorageError, match="cannot open") as info:
        await store.open()
    assert "not-the-password" not in str(info.value)


async def test_postgres_sslmode_require_refuses_a_server_without_tls(
    postgres_server: SQLServer, tmp_path: Path
) -> None:
    store = _open(postgres_server, tmp_path, sslmode="require")
    with pytest.raises(StorageError, match="cannot open"):
        await store.open()
    prefer = _open(postgres_server, tmp_path, sslmode="prefer")
    await prefer.open()  # falls back to plain TCP
    await prefer.close()
