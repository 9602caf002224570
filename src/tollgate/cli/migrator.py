"""``tollgate migrator``: cgr-migrator's flags for what Tollgate's stores need.

``-exec`` takes a comma-separated list:

- ``*set_versions``: write the current item versions into the StorDB ``versions`` table
  (what cgr-migrator does after a fresh install or a manual migration);
- ``*stordb``: bring the StorDB schema to the newest Alembic revision, then set versions.

The StorDB comes from ``-config_path`` (``stor_db`` section), each ``-stordb_*`` flag
overriding its key as in cgr-migrator; a ``*sqlite`` StorDB lives in ``-data_dir`` (default:
``general.data_dir``), as the engine's does. ``-dry_run`` says what would change.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["build_parser", "run_migrator"]

_ACTIONS = ("*set_versions", "*stordb")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tollgate migrator",
        description="Set versions and upgrade the schema of Tollgate's StorDB.",
        allow_abbrev=False,
    )

    def flag(name: str, **kw: Any) -> None:
        parser.add_argument(f"--{name}", f"-{name}", **kw)

    flag("exec", default="", help="comma-separated: " + ", ".join(_ACTIONS))
    flag("config_path", help="config file or folder (its stor_db section)")
    flag("data_dir", help="folder of the embedded stores (default: general.data_dir)")
    flag("stordb_type", help="stor_db.db_type: *sqlite, *postgres, *mysql, *internal")
    flag("stordb_host", help="stor_db.db_host")
    flag("stordb_port", help="stor_db.db_port")
    flag("stordb_name", help="stor_db.db_name")
    flag("stordb_user", help="stor_db.db_user")
    flag("stordb_passwd", help="stor_db.db_password")
    flag("dry_run", action="store_true", help="say what would change, change nothing")
    flag("verbose", action="store_true", help="list the versions written")
    return parser


def run_migrator(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    err = Console(stderr=True, highlight=False)
    actions = [a.strip() for a in args.exec.split(",") if a.strip()]
    if not actions:
        err.print(f"tollgate migrator: -exec is required (one of {', '.join(_ACTIONS)})")
        return 2
    unknown = [a for a in actions if a not in _ACTIONS]
    if unknown:
        err.print(f"tollgate migrator: unsupported -exec {', '.join(unknown)} "
                  f"(Tollgate migrates: {', '.join(_ACTIONS)})")  # fmt: skip
        return 2
    from tollgate.core.config import ConfigError, load_config
    from tollgate.core.errors import TollgateError

    try:
        cfg = load_config(args.config_path)
    except ConfigError as exc:
        err.print(f"tollgate migrator: {exc}")
        return 1
    try:
        return asyncio.run(_migrate(args, cfg, actions, Console(highlight=False)))
    except (TollgateError, OSError) as exc:
        err.print(f"tollgate migrator: {exc}")
        return 1


async def _migrate(args: argparse.Namespace, cfg: Any, actions: list[str], out: Console) -> int:
    from tollgate.engine.services import default_data_dir
    from tollgate.storage.stordb import SQLStorDB, open_stordb
    from tollgate.storage.stordb.migrate import CURRENT_VERSIONS, schema_state, upgrade_schema

    sc = cfg.stor_db
    db_type = args.stordb_type or sc.db_type
    if db_type == "*internal":
        out.print("StorDB *internal lives in the engine's memory: nothing to migrate")
        return 0
    db = open_stordb(
        db_type,
        data_dir=args.data_dir or cfg.general.data_dir or default_data_dir(),
        db_name=str(args.stordb_name or sc.db_name),
        host=args.stordb_host or sc.db_host,
        port=int(args.stordb_port or sc.db_port),
        user=args.stordb_user or sc.db_user,
        password=args.stordb_passwd if args.stordb_passwd is not None else sc.db_password,
        sslmode=sc.sslmode,
    )
    if not isinstance(db, SQLStorDB):
        out.print(f"StorDB {db_type}: nothing to migrate")
        return 0
    await db.open()
    try:
        before = await db.get_versions()
    finally:
        await db.close()
    if "*stordb" in actions:
        if args.dry_run:
            state = await schema_state(db)
        else:
            state = await upgrade_schema(db)  # stamps a never-migrated database too
        if state.up_to_date:
            out.print(f"StorDB {db.name}: schema at revision {state.head}, up to date")
        elif args.dry_run:
            out.print(f"StorDB {db.name}: schema would go from {state.current} to {state.head}")
        else:
            out.print(f"StorDB {db.name}: schema upgraded from {state.current} to {state.head}")
    changed = {k: v for k, v in CURRENT_VERSIONS.items() if before.get(k) != v}
    if args.verbose or args.dry_run:
        table = Table(title=f"StorDB versions ({'would set' if args.dry_run else 'set'})")
        for col in ("item", "was", "now"):
            table.add_column(col)
        for item, version in CURRENT_VERSIONS.items():
            table.add_row(item, str(before.get(item, "-")), str(version))
        out.print(table)
    if args.dry_run:
        out.print(f"dry run: {len(changed)} version(s) would change, nothing written")
        return 0
    await db.open()
    try:
        await db.set_versions(CURRENT_VERSIONS, overwrite=False)
    finally:
        await db.close()
    out.print(f"StorDB {db.name}: {len(changed)} version(s) set")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_migrator(sys.argv[1:]))
