"""``tollgate loader``: cgr-loader's flags; checks a tariff plan, then has the engine load it.

The embedded DataDB belongs to the running engine, so the loader does not write it: it
reads and validates the folder here (errors name file, line and column; nothing is sent
when there is one), shows what it found, then calls the engine's
``APIerSv1.LoadTariffPlanFromFolder`` on ``-caches_address`` (default: the config's
``loader.caches_conns``, i.e. ``*localhost`` = 127.0.0.1:2012), which stores the plan and
reloads the subsystems. The folder must be readable by the engine (same machine).

``-to_stordb -tpid X`` imports every file of the folder into the engine's StorDB tariff-plan
tables instead (``APIerSv1.ImportTariffPlanFromFolder``; ``-flush_stordb`` empties X first,
``-import_id`` names the load: ``CSVLOAD_<id>``) and ``-from_stordb -tpid X`` loads X from
them into the DataDB (``APIerSv1.LoadTariffPlanFromStorDb``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

__all__ = ["build_parser", "run_loader"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tollgate loader",
        description="Check a CGRateS tariff-plan folder and load it into a running engine.",
        allow_abbrev=False,
    )

    def flag(name: str, **kw: Any) -> None:
        parser.add_argument(f"--{name}", f"-{name}", **kw)

    flag("path", default="./", help="the tariff-plan folder (default ./)")
    flag("config_path", help="config file or folder, for loader.* and rpc_conns")
    flag("caches_address", help="engine to load into: host:port, *localhost, or a conn id")
    flag("tpid", default="", help="tariff plan id (for StorDB loads)")
    flag("verbose", action="store_true", help="list every warning")
    flag("dry_run", action="store_true", help="check the folder, load nothing")
    flag("validate", action="store_true", help="treat dangling references as errors")
    flag("to_stordb", action="store_true", help="import into the StorDB tp_* tables")
    flag("from_stordb", action="store_true", help="load from the StorDB tp_* tables")
    flag("flush_stordb", action="store_true", help="empty the StorDB tp_* tables of -tpid first")
    flag("import_id", default="", help="-to_stordb: load id suffix (CSVLOAD_<import_id>)")
    return parser


def run_loader(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    console = Console(stderr=False, highlight=False)
    err = Console(stderr=True, highlight=False)
    if (args.to_stordb or args.from_stordb) and not args.tpid:
        err.print("tollgate loader: -to_stordb and -from_stordb need -tpid")
        return 2
    if args.flush_stordb and not args.to_stordb:
        err.print("tollgate loader: -flush_stordb goes with -to_stordb")
        return 2
    if args.to_stordb and args.from_stordb:
        err.print("tollgate loader: choose one of -to_stordb and -from_stordb")
        return 2
    if args.from_stordb:
        return _call_engine(
            args,
            console,
            err,
            method="APIerSv1.LoadTariffPlanFromStorDb",
            params={"TPid": args.tpid, "Validate": args.validate, "DryRun": args.dry_run},
            done=f"loaded StorDB tariff plan {args.tpid} into the engine at {{address}}",
        )
    from tollgate.tariffplans import TariffPlanError, read_folder

    folder = Path(args.path).resolve()
    if not folder.is_dir():
        err.print(f"tollgate loader: no tariff-plan folder at {folder}")
        return 1
    started = time.perf_counter()
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task(f"reading {folder.name}", total=None)

            def advance(name: str, done: int, total: int) -> None:
                bar.update(task, description=f"reading {name}", completed=done, total=total)

            plan = read_folder(folder, tpid=args.tpid, strict=args.validate, progress=advance)
            bar.update(task, completed=bar.tasks[0].total or 0)
            warnings = list(plan.warnings)
    except TariffPlanError as exc:
        err.print(f"tollgate loader: {folder} has errors, nothing was loaded:")
        for line in exc.errors:
            err.print(f"  {line}", markup=False)
        return 1
    _summary(
        console,
        folder,
        counts=plan.counts(),
        warnings=warnings,
        verbose=args.verbose,
        seconds=time.perf_counter() - started,
    )
    if args.dry_run:
        console.print("dry run: nothing was loaded")
        return 0
    if args.to_stordb:
        return _call_engine(
            args,
            console,
            err,
            method="APIerSv1.ImportTariffPlanFromFolder",
            params={
                "TPid": args.tpid,
                "FolderPath": str(folder),
                "Flush": args.flush_stordb,
                "RunId": args.import_id,
            },
            done=f"imported into the StorDB of the engine at {{address}} as TPid {args.tpid}",
        )
    return _call_engine(
        args,
        console,
        err,
        method="APIerSv1.LoadTariffPlanFromFolder",
        params={"FolderPath": str(folder), "Validate": args.validate},
        done="loaded into the engine at {address}",
    )


def _call_engine(
    args: argparse.Namespace,
    console: Console,
    err: Console,
    *,
    method: str,
    params: dict[str, Any],
    done: str,
) -> int:
    try:
        address = _engine_address(args)
        asyncio.run(_call(address, method, params))
    except (OSError, ValueError, RuntimeError) as exc:
        err.print(f"tollgate loader: {exc}", markup=False)
        return 1
    console.print(done.format(address=address))
    return 0


def _summary(
    console: Console,
    folder: Path,
    *,
    counts: dict[str, int],
    warnings: list[str],
    verbose: bool,
    seconds: float,
) -> None:
    table = Table(title=f"{folder}", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        if count:
            table.add_row(name, str(count))
    console.print(table)
    console.print(f"{sum(counts.values())} rows read in {seconds:.2f}s, {len(warnings)} warnings")
    for warning in warnings if verbose else warnings[:5]:
        console.print(f"  warning: {warning}", markup=False)
    if warnings and not verbose and len(warnings) > 5:
        console.print(f"  ... {len(warnings) - 5} more (-verbose lists them)")


def _engine_address(args: argparse.Namespace) -> str:
    from tollgate.core.config import ConfigError, load_config

    target = args.caches_address
    try:
        cfg = load_config(args.config_path)
    except ConfigError as exc:
        raise ValueError(f"invalid configuration: {exc}") from exc
    if not target:
        conns = cfg.loader.caches_conns
        target = conns[0] if conns else "*localhost"
    if ":" in target and not target.startswith("*"):
        return str(target)
    conn = cfg.rpc_conns.get(target)
    if conn is None or not conn.conns:
        if target == "*localhost":
            return "127.0.0.1:2012"
        raise ValueError(f"connection id {target!r} is not defined in rpc_conns")
    return str(conn.conns[0].address)


async def _call(address: str, method: str, params: dict[str, Any]) -> None:
    from tollgate.core.errors import DisconnectedError
    from tollgate.rpc.client import RpcClient
    from tollgate.rpc.codec import RemoteError

    client = RpcClient(address, connect_attempts=1, reconnects=0, reply_timeout=600.0)
    try:
        await client.call(method, params)
    except DisconnectedError:
        raise RuntimeError(
            f"cannot reach the engine at {address}; start it with `tollgate engine`"
        ) from None
    except RemoteError as exc:
        raise RuntimeError(f"the engine refused {method}: {exc}") from None
    finally:
        await client.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_loader(sys.argv[1:]))
