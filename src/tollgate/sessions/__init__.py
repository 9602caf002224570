"""SessionS: real-time call control (CGRateS v0.10 ``sessions``): sessions forked per
ChargerS run, prepaid runs debited as the call goes, disconnects over BiJSON."""

from __future__ import annotations

from tollgate.sessions.api import SessionSv1, SessionSv1Sessions, SMGenericV1
from tollgate.sessions.service import BiJsonClient, SessionService

__all__ = ["BiJsonClient", "SMGenericV1", "SessionService", "SessionSv1", "SessionSv1Sessions"]
