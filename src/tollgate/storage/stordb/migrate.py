"""StorDB versions and schema upgrades, for ``tollgate migrator`` and the APIer.

``versions`` is CGRateS's record of which format each StorDB item is in; Tollgate writes
the items of v0.10's ``CurrentStorDBVersions`` with its own numbers (the formats it reads).
The table layout itself is versioned by Alembic (``migrations/``): :func:`upgrade_schema`
brings a database to the newest revision. A database an engine created before it was ever
migrated (the engine creates missing tables at start) is at the baseline revision and is
stamped so first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import SQLAlchemyError

from tollgate.storage.errors import StorageError
from tollgate.storage.stordb.sql import SQLStorDB

__all__ = ["BASELINE", "CURRENT_VERSIONS", "SchemaState", "schema_state", "upgrade_schema"]

BASELINE: Final = "0001"
# v0.10's CurrentStorDBVersions items; Tollgate's numbers for the formats it reads and writes
CURRENT_VERSIONS: Final[dict[str, int]] = {
    "CostDetails": 2,
    "SessionSCosts": 3,
    "CDRs": 2,
    "TpRatingPlans": 1,
    "TpFilters": 1,
    "TpDestinationRates": 1,
    "TpActionTriggers": 1,
    "TpAccountActionsV": 1,
    "TpActionPlans": 1,
    "TpActions": 1,
    "TpThresholds": 1,
    "TpSuppliers": 1,
    "TpStats": 1,
    "TpSharedGroups": 1,
    "TpRatingProfiles": 1,
    "TpResources": 1,
    "TpRates": 1,
    "TpTiming": 1,
    "TpResource": 1,
    "TpDestinations": 1,
    "TpRatingPlan": 1,
    "TpRatingProfile": 1,
    "TpChargers": 1,
    "TpDispatchers": 1,
}
_SCRIPTS: Final = Path(__file__).with_name("migrations")


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema stands: ``current`` is None for a database never migrated
    and without tables (an empty one)."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(conn: Connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["connection"] = conn
    return cfg


def _state(conn: Connection) -> SchemaState:
    head = ScriptDirectory.from_config(_config(conn)).get_current_head() or BASELINE
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None and inspect(conn).has_table("cdrs"):
        current = BASELINE  # created by an engine at start, never migrated
    return SchemaState(current, head)


def _upgrade(conn: Connection) -> SchemaState:
    before = _state(conn)
    cfg = _config(conn)
    if MigrationContext.configure(conn).get_current_revision() is None and before.current:
        command.stamp(cfg, before.current)
    if not before.up_to_date:
        command.upgrade(cfg, "head")
    return before


async def schema_state(db: SQLStorDB) -> SchemaState:
    """Where ``db``'s schema stands, changing nothing."""
    return await _run(db, _state, "read the schema revision")


async def upgrade_schema(db: SQLStorDB) -> SchemaState:
    """Bring ``db`` to the newest revision; returns where it stood before."""
    return await _run(db, _upgrade, "upgrade the schema")


async def _run(db: SQLStorDB, work: Callable[[Connection], SchemaState], what: str) -> SchemaState:
    engine = db.create_engine()
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    except SQLAlchemyError as exc:
        raise StorageError(f"StorDB {db.name}: {what}: {exc}") from exc
    finally:
        await engine.dispose()
