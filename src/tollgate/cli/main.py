"""``tollgate``: one command, the CGRateS tools as subcommands."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tollgate import __version__

__all__ = ["main"]

# subcommand -> (summary, the issue that builds it, or "" when it is here)
_COMMANDS: dict[str, tuple[str, str]] = {
    "engine": ("run the charging engine (cgr-engine)", ""),
    "loader": ("check a tariff plan and load it into the engine (cgr-loader)", ""),
    "console": ("interactive console to the engine (cgr-console)", "a later issue"),
    "tester": ("load generator against a running engine (cgr-tester)", "a later issue"),
    "migrator": ("set versions and upgrade the StorDB schema (cgr-migrator)", ""),
}


def _overview() -> str:
    lines = [
        f"Tollgate v{__version__}: a real-time charging engine, a drop-in for CGRateS v0.10.",
        "",
    ]
    lines.append(
        "usage: tollgate <command> [options]   (tollgate <command> --help for its options)"
    )
    lines.append("")
    lines.append("commands:")
    for name, (summary, pending) in _COMMANDS.items():
        note = f"  [not built yet: comes with {pending}]" if pending else ""
        lines.append(f"  {name:<9} {summary}{note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_overview())
        return 0
    if args[0] in ("--version", "-version"):
        print(f"Tollgate v{__version__} (CGRateS v0.10 compatible)")
        return 0
    command, rest = args[0], args[1:]
    if command == "engine":
        from tollgate.cli.engine import run_engine

        return run_engine(rest)
    if command == "loader":
        from tollgate.cli.loader import run_loader

        return run_loader(rest)
    if command == "migrator":
        from tollgate.cli.migrator import run_migrator

        return run_migrator(rest)
    if command in _COMMANDS:
        print(
            f"tollgate {command}: not built yet; it comes with {_COMMANDS[command][1]}.",
            file=sys.stderr,
        )
        return 2
    print(f"tollgate: unknown command {command!r}\n\n{_overview()}", file=sys.stderr)
    return 2
