"""AttributeS: alter events with the AttributeProfile they match, over one or more process
runs (CGRateS v0.10 ``engine/attributes.go``, ``apier/v1/attributes.go``)."""

from __future__ import annotations

from tollgate.attributes.api import APIerSv1Attributes, APIerSv2Attributes, AttributeSv1
from tollgate.attributes.models import (
    AttrArgsProcessEvent,
    AttributeProfile,
    AttrSProcessEventReply,
    CGREvent,
)
from tollgate.attributes.service import (
    ATTRIBUTE_PROFILES,
    AttributeService,
    CompiledAttributeProfile,
    event_time,
)
from tollgate.attributes.store import ActiveWindow, ProfileStore
from tollgate.attributes.substitutions import AttrType, is_not_found

__all__ = [
    "ATTRIBUTE_PROFILES",
    "APIerSv1Attributes",
    "APIerSv2Attributes",
    "ActiveWindow",
    "AttrArgsProcessEvent",
    "AttrSProcessEventReply",
    "AttrType",
    "AttributeProfile",
    "AttributeService",
    "AttributeSv1",
    "CGREvent",
    "CompiledAttributeProfile",
    "ProfileStore",
    "event_time",
    "is_not_found",
]
