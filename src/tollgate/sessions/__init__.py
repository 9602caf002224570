"""SessionS: real-time call control (CGRateS v0.10 ``sessions``): sessions forked per
ChargerS run, prepaid runs debited as the call goes, disconnects over BiJSON."""

from __future__ import annotations

from tollgate.sessions.api import SessionSv1, SessionSv1Sessions
from tollgate.sessions.control import BiJsonClient
from tollgate.sessions.service import SessionService
from tollgate.sessions.smgeneric import SMGenericV1

__all__ = ["BiJsonClient", "SMGenericV1", "SessionService", "SessionSv1", "SessionSv1Sessions"]
