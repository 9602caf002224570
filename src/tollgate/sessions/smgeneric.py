"""SMGenericV1: the pre-rc8 session methods OpenSIPS' ``compat_mode`` calls (v0.10.0
served them on BiJSON too): a flat event in, the usage in (float) seconds or "OK" out."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tollgate.attributes.api import not_served
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.sessions.api import SessionSv1Sessions, seconds
from tollgate.sessions.events import TENANT, event_string
from tollgate.sessions.models import (
    CGREventArgs,
    V1AuthorizeArgs,
    V1InitSessionArgs,
    V1TerminateSessionArgs,
    V1UpdateSessionArgs,
)

__all__ = ["SMGenericV1"]


class SMGenericV1(Api):
    """The pre-rc8 (OpenSIPS ``compat_mode``) methods: a flat event in, seconds out."""

    namespace = "SMGenericV1"

    def __init__(self, sessions: SessionSv1Sessions) -> None:
        self.sessions = sessions

    def _event(self, args: dict[str, Any]) -> CGREventArgs:
        tenant = event_string(args, TENANT) or self.sessions.service.general.default_tenant
        return CGREventArgs(Tenant=tenant, ID=uuid.uuid4().hex[:7], Event=args)

    def _check(self, method: str) -> None:
        if not self.sessions.service.enabled:
            raise not_served(self.namespace, method)

    @rpc_method("GetMaxUsage")
    async def get_max_usage(self, args: dict[str, Any], ctx: CallContext) -> int | Decimal:
        """AuthorizeEvent with GetMaxUsage; the usage in seconds."""
        self._check("GetMaxUsage")
        event = self._event(args)
        reply = await self.sessions.authorize(
            V1AuthorizeArgs(GetMaxUsage=True, Tenant=event.Tenant, ID=event.ID, Event=args)
        )
        return seconds(reply.MaxUsage)

    @rpc_method("InitiateSession")
    async def initiate_session(self, args: dict[str, Any], ctx: CallContext) -> int | Decimal:
        """InitiateSession with InitSession; the usage in seconds."""
        self._check("InitiateSession")
        event = self._event(args)
        reply = await self.sessions.initiate(
            V1InitSessionArgs(InitSession=True, Tenant=event.Tenant, ID=event.ID, Event=args),
            ctx,
        )
        return seconds(reply.MaxUsage)

    @rpc_method("UpdateSession")
    async def update_session(self, args: dict[str, Any], ctx: CallContext) -> int | Decimal:
        """UpdateSession with UpdateSession; the usage in seconds."""
        self._check("UpdateSession")
        event = self._event(args)
        reply = await self.sessions.update_session(
            V1UpdateSessionArgs(UpdateSession=True, Tenant=event.Tenant, ID=event.ID, Event=args),
            ctx,
        )
        return seconds(reply.MaxUsage)

    @rpc_method("TerminateSession")
    async def terminate_session(self, args: dict[str, Any], ctx: CallContext) -> str:
        """TerminateSession with TerminateSession; "OK"."""
        self._check("TerminateSession")
        event = self._event(args)
        return await self.sessions.terminate_session(
            V1TerminateSessionArgs(
                TerminateSession=True, Tenant=event.Tenant, ID=event.ID, Event=args
            ),
            ctx,
        )

    @rpc_method("ProcessCDR")
    async def process_cdr(self, args: dict[str, Any], ctx: CallContext) -> str:
        """ProcessCDR of the event; "OK"."""
        self._check("ProcessCDR")
        return await self.sessions.process_cdr(self._event(args), ctx)
