"""The engine's own RPC methods: CoreSv1, ConfigSv1 and Go's ``_goRPC_.Cancel``."""

from __future__ import annotations

import asyncio
import datetime as dt
import platform
import resource
from typing import Any, Protocol

from tollgate import __version__
from tollgate.core.api import Api, CallContext, DurationArgs, rpc_method
from tollgate.core.config import ConfigError
from tollgate.core.errors import ServerError, TollgateError
from tollgate.engine.models import (
    CancelArgs,
    ReloadArgs,
    ReloadFromJSONArgs,
    SectionArgs,
    SetConfigArgs,
)

__all__ = ["ConfigSv1", "CoreSv1", "EngineControl", "GoRPC", "size_fmt"]


class EngineControl(Protocol):
    """What the APIs need from the running engine."""

    node_id: str
    started_at: dt.datetime

    def config_section(self, section: str) -> Any: ...

    async def reload_config(self, path: str, section: str) -> None: ...

    async def apply_config(self, overrides: dict[str, Any], *, dry_run: bool = False) -> None: ...


def size_fmt(num: float, suffix: str = "B") -> str:
    """Human size as CGRateS prints it in CoreSv1.Status (``12.5MiB``)."""
    for unit in ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"):
        if abs(num) < 1024.0:
            return f"{num:3.1f}{unit}{suffix}"
        num /= 1024.0
    return f"{num:.1f}Yi{suffix}"


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class CoreSv1(Api):
    """Health and status of the engine."""

    namespace = "CoreSv1"

    def __init__(self, engine: EngineControl) -> None:
        self.engine = engine

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        """Answers "Pong": the engine is up and serving."""
        return "Pong"

    @rpc_method("Status")
    def status(self, args: Any, ctx: CallContext) -> dict[str, Any]:
        """Node id, memory, running tasks, version and uptime."""
        started = self.engine.started_at
        uptime = dt.datetime.now(dt.UTC) - started
        rss = _rss_bytes()
        return {
            "NodeID": self.engine.node_id,
            "MemoryUsage": size_fmt(rss),
            "ActiveGoroutines": len(asyncio.all_tasks()),
            "Footprint": size_fmt(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
            "Version": f"Tollgate@v{__version__}",
            "RunningSince": started.astimezone().strftime("%a %b %e %H:%M:%S %Z %Y"),
            "Uptime": str(uptime).split(".")[0],
            "PythonVersion": platform.python_version(),
        }

    @rpc_method("Sleep")
    async def sleep(self, args: DurationArgs, ctx: CallContext) -> str:
        """Sleeps DurationTime nanoseconds, then answers "OK" (for testing clients)."""
        await asyncio.sleep(max(args.DurationTime, 0) / 1e9)
        return "OK"


class GoRPC(Api):
    """Go clients send ``_goRPC_.Cancel`` when they give up on a call; it is a no-op."""

    namespace = "_goRPC_"

    @rpc_method("Cancel")
    def cancel(self, args: CancelArgs, ctx: CallContext) -> bool:
        """Does nothing and answers false, as CGRateS's mock service does."""
        return False


class ConfigSv1(Api):
    """Read and change the running configuration."""

    namespace = "ConfigSv1"

    def __init__(self, engine: EngineControl) -> None:
        self.engine = engine

    @rpc_method("GetJSONSection", aliases=("GetConfig",))
    def get_json_section(self, args: SectionArgs, ctx: CallContext) -> Any:
        """One config section (or all, when Section is empty) in cgrates.json form."""
        try:
            return self.engine.config_section(args.Section)
        except ConfigError:
            raise TollgateError("Invalid section") from None  # v0.10's exact text

    @rpc_method("ReloadConfigFromPath", aliases=("ReloadConfig",))
    async def reload_config_from_path(self, args: ReloadArgs, ctx: CallContext) -> str:
        """Re-read the config from Path (default: where the engine read it) and apply it."""
        try:
            await self.engine.reload_config(args.Path, args.Section)
        except (ConfigError, OSError) as exc:
            raise ServerError(exc) from exc
        return "OK"

    @rpc_method("ReloadConfigFromJSON")
    async def reload_config_from_json(self, args: ReloadFromJSONArgs, ctx: CallContext) -> str:
        """Apply sections given as JSON on top of the running config."""
        try:
            await self.engine.apply_config(args.JSON)
        except ConfigError as exc:
            raise ServerError(exc) from exc
        return "OK"

    @rpc_method("SetConfig")
    async def set_config(self, args: SetConfigArgs, ctx: CallContext) -> str:
        """Master-era spelling of ReloadConfigFromJSON; DryRun only validates."""
        try:
            await self.engine.apply_config(args.Config, dry_run=args.DryRun)
        except ConfigError as exc:
            raise ServerError(exc) from exc
        return "OK"
