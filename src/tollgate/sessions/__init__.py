"""SessionS: real-time call control (the full service arrives with its own issue)."""

from __future__ import annotations

from tollgate.sessions.api import SessionSv1

__all__ = ["SessionSv1"]
