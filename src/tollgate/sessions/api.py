"""SessionSv1 methods served so far: the ones that need no session state.

Everything else of SessionSv1 (AuthorizeEvent, InitiateSession, ...) comes with SessionS.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from tollgate.core.api import Api, CallContext, DurationArgs, rpc_method

__all__ = ["SessionSv1"]


class _Node(Protocol):
    node_id: str


class SessionSv1(Api):
    """SessionS on every JSON-RPC transport and on the BiJSON port."""

    namespace = "SessionSv1"

    def __init__(self, engine: _Node) -> None:
        self.engine = engine

    @rpc_method("Ping")
    def ping(self, args: Any, ctx: CallContext) -> str:
        """Answers "Pong"."""
        return "Pong"

    @rpc_method("Sleep")
    async def sleep(self, args: DurationArgs, ctx: CallContext) -> str:
        """Sleeps DurationTime nanoseconds, then answers "OK"."""
        await asyncio.sleep(max(args.DurationTime, 0) / 1e9)
        return "OK"

    @rpc_method("RegisterInternalBiJSONConn")
    def register_internal_bijson_conn(self, args: Any, ctx: CallContext) -> str:
        """Re-registers the calling BiJSON connection under the engine's node id."""
        conn = ctx.conn
        rename = getattr(getattr(conn, "server", None), "rename", None)
        if rename is not None:
            rename(conn, self.engine.node_id)
        return "OK"
