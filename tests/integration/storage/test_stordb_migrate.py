"""Schema revisions (Alembic) and ``tollgate migrator`` on each SQL backend, each on a
database of its own (the shared test database keeps the engine-made schema)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tollgate.cli.migrator import run_migrator
from tollgate.storage.stordb import SQLStorDB, open_stordb
from tollgate.storage.stordb.migrate import (
    BASELINE,
    CURRENT_VERSIONS,
    schema_state,
    upgrade_schema,
)
from tollgate.testing.sqlservers import SQLServer

SERVERS = {"*postgres": "postgres_server", "*mysql": "mariadb_server"}


def _config(request: pytest.FixtureRequest, backend: str, tmp_path: Path, name: str) -> dict:
    if backend not in SERVERS:
        return {"db_type": backend, "db_name": name}
    server: SQLServer = request.getfixturevalue(SERVERS[backend])
    server.create_database(name)
    return server.stor_db(name)


def _store(cfg: dict, tmp_path: Path) -> SQLStorDB:
    store = open_stordb(
        cfg["db_type"],
        data_dir=tmp_path,
        db_name=cfg["db_name"],
        host=cfg.get("db_host", ""),
        port=cfg.get("db_port", 0),
        user=cfg.get("db_user", ""),
        password=cfg.get("db_password", ""),
    )
    assert isinstance(store, SQLStorDB)
    return store


async def _tables_and_revision(store: SQLStorDB) -> tuple[set[str], list[str]]:
    engine = store.create_engine()
    try:
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            revision = []
            if "alembic_version" in names:
                rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
                revision = [r[0] for r in rows]
            return names, revision
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["*sqlite", "*postgres", "*mysql"])
async def test_an_empty_database_is_built_by_the_revisions(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    store = _store(_config(request, backend, tmp_path, "tg_migrate_empty"), tmp_path)
    if backend == "*sqlite":
        (tmp_path / "stordb").mkdir()
    before = await upgrade_schema(store)
    assert (before.current, before.head) == (None, BASELINE)
    tables, revision = await _tables_and_revision(store)
    assert {"cdrs", "sessions_costs", "versions", "tp_rates"} <= tables
    assert revision == [BASELINE]
    assert (await schema_state(store)).up_to_date
    assert (await upgrade_schema(store)).up_to_date  # a second run changes nothing
    await store.open()  # the engine opens a migrated database as it is
    await store.close()


@pytest.mark.parametrize("backend", ["*sqlite", "*postgres", "*mysql"])
async def test_an_engine_made_database_is_stamped_and_versioned(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    cfg = _config(request, backend, tmp_path, "tg_migrate_engine")
    store = _store(cfg, tmp_path)
    await store.open()  # as an engine does at start: tables, no revision
    await store.close()
    assert (await _tables_and_revision(store))[1] == []
    state = await schema_state(store)
    assert (state.current, state.up_to_date) == (BASELINE, True)
    config_file = tmp_path / "cgrates.json"
    config_file.write_text(json.dumps({"stor_db": cfg}))
    argv = ["-config_path", str(config_file), "-data_dir", str(tmp_path)]
    assert await asyncio.to_thread(run_migrator, [*argv, "-exec", "*stordb", "-dry_run"]) == 0
    assert (await _tables_and_revision(store))[1] == []  # the dry run wrote nothing
    assert await asyncio.to_thread(run_migrator, [*argv, "-exec", "*stordb,*set_versions"]) == 0
    assert (await _tables_and_revision(store))[1] == [BASELINE]
    await store.open()
    try:
        assert await store.get_versions() == CURRENT_VERSIONS
    finally:
        await store.close()


def test_the_command_line(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "tollgate", "migrator", "-data_dir", str(tmp_path)]
    done = subprocess.run(
        [*cmd, "-exec", "*set_versions", "-verbose"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "24 version(s) set" in done.stdout
    assert "CostDetails" in done.stdout
    bad = subprocess.run([*cmd, "-exec", "*cdrs"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "unsupported -exec *cdrs" in bad.stderr
    none = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert (none.returncode, "-exec is required" in none.stderr) == (2, True)
