"""APIerSv1.GetStorDBVersions and APIerSv1.SetStorDBVersions: the StorDB ``versions`` table."""

from __future__ import annotations

from typing import Any

import msgspec

from tollgate.apier.tp_api import StorDBSource
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import NotFoundError, ServerError
from tollgate.storage.stordb import SQLStorDB
from tollgate.storage.stordb.migrate import CURRENT_VERSIONS

__all__ = ["APIerSv1StorDBVersions", "SetVersionsArg"]


class SetVersionsArg(msgspec.Struct, kw_only=True):
    """``v1.SetVersionsArg``: no Versions writes the current ones (as cgr-migrator does)."""

    Versions: dict[str, int] | None = None
    Overwrite: bool = False


class APIerSv1StorDBVersions(Api):
    """The StorDB item versions cgr-migrator reads and writes."""

    namespace = "APIerSv1"

    def __init__(self, stordb: StorDBSource) -> None:
        self._stordb = stordb

    def _db(self) -> SQLStorDB:
        db = self._stordb()
        if not isinstance(db, SQLStorDB):
            raise ServerError("StorDB is not open")
        return db

    @rpc_method("GetStorDBVersions")
    async def get_versions(self, args: Any, ctx: CallContext) -> dict[str, int]:
        """Item -> version; ``NOT_FOUND`` when none was ever written."""
        versions = await self._db().get_versions()
        if not versions:
            raise NotFoundError()
        return versions

    @rpc_method("SetStorDBVersions")
    async def set_versions(self, args: SetVersionsArg, ctx: CallContext) -> str:
        """Write ``Versions`` (default: the current ones), replacing all with ``Overwrite``."""
        versions = CURRENT_VERSIONS if args.Versions is None else args.Versions
        await self._db().set_versions(versions, args.Overwrite)
        return "OK"
