"""Arguments of the engine's own RPC methods (CoreSv1, ConfigSv1, _goRPC_)."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "CancelArgs",
    "ReloadArgs",
    "ReloadFromJSONArgs",
    "SectionArgs",
    "SetConfigArgs",
]


class CancelArgs(msgspec.Struct, kw_only=True):
    """_goRPC_.Cancel: the sequence number a Go client gave up on."""

    Seq: int = 0


class SectionArgs(msgspec.Struct, kw_only=True):
    """ConfigSv1.GetJSONSection / GetConfig: a section name, empty for all."""

    Section: str = ""
    APIKey: str | None = None
    RouteID: str | None = None


class ReloadArgs(msgspec.Struct, kw_only=True):
    """ConfigSv1.ReloadConfigFromPath / ReloadConfig: re-read a path (empty: the engine's)."""

    Path: str = ""
    Section: str = ""
    APIKey: str | None = None
    RouteID: str | None = None


class ReloadFromJSONArgs(msgspec.Struct, kw_only=True):
    """ConfigSv1.ReloadConfigFromJSON: sections given as JSON."""

    JSON: dict[str, Any] = msgspec.field(default_factory=dict)
    APIKey: str | None = None
    RouteID: str | None = None


class SetConfigArgs(msgspec.Struct, kw_only=True):
    """ConfigSv1.SetConfig (master-era spelling): sections given as JSON."""

    Config: dict[str, Any] = msgspec.field(default_factory=dict)
    DryRun: bool = False
    APIKey: str | None = None
    RouteID: str | None = None
