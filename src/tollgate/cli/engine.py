"""``tollgate engine``: cgr-engine's flags, signals and exit codes.

Flags take one or two dashes (``-config_path`` as cgr-engine, ``--config_path``).
Exit status 1 with a clear message when the config is wrong or a service cannot start,
before any port is opened. SIGTERM/SIGINT stop cleanly; SIGHUP reloads the config.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from tollgate import __version__

__all__ = ["build_parser", "run_engine"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tollgate engine",
        description="Run the Tollgate charging engine (CGRateS v0.10 compatible).",
        allow_abbrev=False,
    )

    def flag(name: str, **kw: object) -> None:
        parser.add_argument(f"--{name}", f"-{name}", **kw)  # type: ignore[arg-type]

    flag("config_path", help="config file, or folder of *.json files merged alphabetically")
    flag(
        "data_dir",
        help="folder of the embedded stores (default: general.data_dir, "
        "else $XDG_DATA_HOME/tollgate or ~/.local/share/tollgate)",
    )
    flag("node_id", help="the node ID of the engine (default: general.node_id or random)")
    flag("pid", help="write the process id to this file")
    flag("log_level", type=int, help="log level, 0 (emergency) to 7 (debug)")
    flag("logger", choices=["*stdout", "*syslog"], help="where logs go")
    flag("scheduled_shutdown", help="stop the engine after this duration (e.g. 1h)")
    flag(
        "load_tariffplan",
        help="load this tariff-plan folder once started (as `tollgate loader -path` would)",
    )
    flag("version", action="store_true", help="print the version and exit")
    return parser


def run_engine(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.version:
        print(f"Tollgate v{__version__} (CGRateS v0.10 compatible)")
        return 0
    from tollgate.core.config import ConfigError, load_config
    from tollgate.core.durations import parse_duration
    from tollgate.engine.logs import setup_logging

    try:
        cfg = load_config(args.config_path)
    except ConfigError as exc:
        print(f"tollgate engine: invalid configuration: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tollgate engine: cannot read configuration: {exc}", file=sys.stderr)
        return 1
    level = args.log_level if args.log_level is not None else cfg.general.log_level
    setup_logging(args.logger or cfg.general.logger, level)
    for warning in cfg.warnings:
        logger.warning("config: %s", warning)
    shutdown_after = 0.0
    if args.scheduled_shutdown:
        try:
            shutdown_after = parse_duration(args.scheduled_shutdown) / 1e9
        except ValueError as exc:
            print(f"tollgate engine: -scheduled_shutdown: {exc}", file=sys.stderr)
            return 1
    return _run(_serve(cfg, args, shutdown_after))


def _run(coro: object) -> int:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(coro)  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


async def _serve(cfg: object, args: argparse.Namespace, shutdown_after: float) -> int:
    from tollgate.core.config import Config, ConfigError
    from tollgate.core.registry import ServiceStartError
    from tollgate.engine.app import Engine

    assert isinstance(cfg, Config)
    engine = Engine(
        cfg,
        config_path=args.config_path,
        data_dir=args.data_dir,
        node_id=args.node_id,
        preload=(args.load_tariffplan,) if args.load_tariffplan else (),
    )
    try:
        await engine.start()
    except ServiceStartError as exc:
        logger.critical("%s", exc)
        print(f"tollgate engine: {exc}", file=sys.stderr)
        return 1
    pid_file = Path(args.pid) if args.pid else None
    if pid_file is not None:
        pid_file.write_text(f"{os.getpid()}\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def reload() -> None:
        async def _reload() -> None:
            try:
                await engine.reload_config()
            except (ConfigError, OSError) as exc:
                logger.error("config reload refused, keeping the running config: %s", exc)

        loop.create_task(_reload())  # noqa: RUF006 - fire and forget, logs its own errors

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload)
    if shutdown_after > 0:
        loop.call_later(shutdown_after, stop.set)
    print(
        f"Tollgate engine {engine.node_id} running; ports: "
        + ", ".join(f"{s.name}={s.bound_address}" for s in engine.listeners if s.bound_address),
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        logger.info("stopping")
        await engine.stop()
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)
    return 0
