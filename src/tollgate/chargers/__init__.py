"""ChargerS: derived charging, one fork of an event per matching ChargerProfile, each fork
altered by AttributeS (CGRateS v0.10 ``engine/chargers.go``, ``apier/v1/chargers.go``)."""

from __future__ import annotations

from tollgate.chargers.api import APIerSv1Chargers, ChargerSv1
from tollgate.chargers.models import CGREventArgs, ChargerProfile, ChrgSProcessEventReply
from tollgate.chargers.service import CHARGER_PROFILES, ChargerService, CompiledChargerProfile

__all__ = [
    "CHARGER_PROFILES",
    "APIerSv1Chargers",
    "CGREventArgs",
    "ChargerProfile",
    "ChargerService",
    "ChargerSv1",
    "ChrgSProcessEventReply",
    "CompiledChargerProfile",
]
