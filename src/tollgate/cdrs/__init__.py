"""CDRs: the CDR server (rating, storing and querying call detail records)."""

from __future__ import annotations

from tollgate.cdrs.api import APIerSv1CDRs, APIerSv2CDRs, CDRsV1, CDRsV2, CdrsV2
from tollgate.cdrs.eventcost import EventCost, event_cost_from_call_cost, parse_event_cost
from tollgate.cdrs.intake import HttpIntake
from tollgate.cdrs.models import CDR, CDRDefaults
from tollgate.cdrs.service import CDRService, Event, Flags

__all__ = [
    "CDR",
    "APIerSv1CDRs",
    "APIerSv2CDRs",
    "CDRDefaults",
    "CDRService",
    "CDRsV1",
    "CDRsV2",
    "CdrsV2",
    "Event",
    "EventCost",
    "Flags",
    "HttpIntake",
    "event_cost_from_call_cost",
    "parse_event_cost",
]
