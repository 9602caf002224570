"""ChargerService: fork an event per matching ChargerProfile, each fork through AttributeS
(CGRateS v0.10 ``engine/chargers.go``, manual §6.6 DerivedCharging).

Matching: the filter indexes of the tenant give the candidates; a candidate must be active
at the event's ``Time`` (when it has one) and pass its FilterIDs. Matches are ordered by
Weight, highest first. Each match gives a clone of the event with ``RunID`` set; unless its
AttributeIDs are exactly ``["*none"]`` the clone is sent to ``AttributeSv1.ProcessEvent``
through ``chargers.attributes_conns`` (context: the event's ``Context`` field, else
``*chargers``; the profile's AttributeIDs, empty meaning discovery). AttributeS answering
NOT_FOUND leaves the clone as it is; any other error fails the whole call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.attributes import (
    ActiveWindow,
    AttrArgsProcessEvent,
    AttrSProcessEventReply,
    CGREvent,
    ProfileStore,
    event_time,
    is_not_found,
)
from tollgate.chargers.models import CGREventArgs, ChargerProfile, ChrgSProcessEventReply
from tollgate.chargers.models import profile_from_tp as wire_from_tp
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
)
from tollgate.filters import (
    DataProvider,
    FilterService,
    SimpleRule,
    activation_window,
    as_string,
    pass_simple,
)

if TYPE_CHECKING:
    from tollgate.core.config import Config
    from tollgate.core.config.service_sections import ChargerSCfg
    from tollgate.rpc.pool import ConnManager
    from tollgate.storage.datadb import DataDB

__all__ = ["CHARGER_PROFILES", "ChargerService", "CompiledChargerProfile"]

logger = logging.getLogger(__name__)

CHARGER_PROFILES = "*charger_profiles"
META_NONE = "*none"
META_CHARGERS = "*chargers"
RUN_ID = "RunID"
REQ_RUN_ID = "*req.RunID"


class CompiledChargerProfile:
    """A ChargerProfile ready to match."""

    __slots__ = (
        "attribute_ids",
        "filter_ids",
        "id",
        "run_id",
        "simple",
        "source",
        "weight",
        "window",
    )

    def __init__(
        self,
        item: tp.TPChargerProfile,
        window: ActiveWindow | None,
        simple: tuple[SimpleRule, ...] | None = None,
    ) -> None:
        self.id = item.ID
        self.filter_ids = tuple(item.FilterIDs)
        # the FilterIDs as rules checked in place, when they are simple inline ones
        self.simple = simple
        self.window = window
        self.run_id = item.RunID
        self.attribute_ids = tuple(item.AttributeIDs)
        self.weight: Decimal = item.Weight
        self.source = item

    @property
    def attributes_off(self) -> bool:
        """``AttributeIDs: ["*none"]``: the fork skips AttributeS."""
        return self.attribute_ids == (META_NONE,)


class ChargerService:
    """ChargerS: ``engine.chargers``."""

    name = "chargers"

    def __init__(
        self,
        filters: FilterService,
        *,
        cfg: Callable[[], Config],
        conns: Callable[[], ConnManager],
    ) -> None:
        self.filters = filters
        self._cfg = cfg
        self._conns = conns
        self.store: ProfileStore[tp.TPChargerProfile, CompiledChargerProfile] = ProfileStore(
            CHARGER_PROFILES, tp.TPChargerProfile, self.compile_profile
        )

    @property
    def cfg(self) -> Config:
        return self._cfg()

    @property
    def settings(self) -> ChargerSCfg:
        return self._cfg().chargers

    async def reload(self, db: DataDB) -> None:
        """Compile what changed in ``*charger_profiles`` (an ApierService load hook)."""
        await self.store.reload(db)

    def compile_profile(self, item: tp.TPChargerProfile) -> CompiledChargerProfile:
        """A stored profile compiled; ValueError for a bad activation time."""
        window = activation_window(item.ActivationInterval, self._cfg().general.default_timezone)
        return CompiledChargerProfile(
            item,
            ActiveWindow(*window) if window else None,
            self.filters.simple_rules(item.Tenant, item.FilterIDs),
        )

    def wire_profile(self, profile: CompiledChargerProfile) -> ChargerProfile:
        try:
            return wire_from_tp(profile.source, self._cfg().general.default_timezone)
        except ValueError as exc:
            raise ServerError(exc) from None

    async def matching(
        self, tenant: str, event: dict[str, Any], at_ns: int | None
    ) -> list[CompiledChargerProfile]:
        """The profiles the event matches, highest Weight first; NotFoundError if none."""
        dp = DataProvider(event)
        ids = self.filters.matching_profiles(CHARGER_PROFILES, tenant, dp, self.settings)
        found: list[CompiledChargerProfile] = []
        for profile_id in sorted(ids):
            profile = self.store.get(tenant, profile_id)
            if profile is None:
                continue
            window = profile.window
            if at_ns is not None and window is not None and not window.active_at(at_ns):
                continue
            simple = profile.simple
            if simple is not None:
                if not pass_simple(simple, dp):
                    continue
            elif profile.filter_ids and not await self.filters.pass_filters(
                tenant, profile.filter_ids, dp
            ):
                continue
            found.append(profile)
        if not found:
            raise NotFoundError()
        found.sort(key=lambda p: p.weight, reverse=True)  # stable: ties stay by id
        return found

    async def chargers_for_event(self, args: CGREventArgs) -> list[ChargerProfile]:
        """ChargerSv1.GetChargersForEvent."""
        tenant = args.Tenant or self._cfg().general.default_tenant
        at_ns, _ = event_time(args.Time)
        try:
            profiles = await self.matching(tenant, args.Event or {}, at_ns)
        except TollgateError as exc:
            if is_not_found(exc):
                raise
            raise ServerError(exc) from None
        return [self.wire_profile(p) for p in profiles]

    async def process_event(self, args: CGREventArgs) -> list[ChrgSProcessEventReply]:
        """ChargerSv1.ProcessEvent: one reply per fork."""
        if args.Event is None:
            raise MandatoryIeMissingError("Event")
        tenant = args.Tenant or self._cfg().general.default_tenant
        at_ns, time_text = event_time(args.Time)
        try:
            profiles = await self.matching(tenant, args.Event, at_ns)
            return [await self._fork(p, tenant, args, time_text) for p in profiles]
        except TollgateError as exc:
            if is_not_found(exc):
                raise
            raise ServerError(exc) from None
        except OSError as exc:  # a peer that could not be reached at all
            raise ServerError(exc) from None

    async def _fork(
        self,
        profile: CompiledChargerProfile,
        tenant: str,
        args: CGREventArgs,
        time_text: str | None,
    ) -> ChrgSProcessEventReply:
        event = dict(args.Event or {})
        event[RUN_ID] = profile.run_id
        reply = ChrgSProcessEventReply(
            ChargerSProfile=profile.id,
            AttributeSProfiles=None,
            AlteredFields=[REQ_RUN_ID],
            CGREvent=CGREvent(Tenant=tenant, ID=args.ID, Time=time_text, Event=event),
        )
        conn_ids = self.settings.attributes_conns
        if profile.attributes_off or not conn_ids:
            return reply
        attr_reply = await self._attributes(
            conn_ids,
            AttrArgsProcessEvent(
                AttributeIDs=list(profile.attribute_ids) or None,
                Context=as_string(event.get("Context")) or META_CHARGERS,
                Tenant=tenant,
                ID=args.ID,
                Time=time_text,
                Event=event,
            ),
        )
        if attr_reply is not None and attr_reply.AlteredFields:
            reply.AlteredFields.extend(attr_reply.AlteredFields)
            reply.AttributeSProfiles = attr_reply.MatchedProfiles
            reply.CGREvent = attr_reply.CGREvent
        return reply

    async def _attributes(
        self, conn_ids: Sequence[str], args: AttrArgsProcessEvent
    ) -> AttrSProcessEventReply | None:
        """AttributeSv1.ProcessEvent through the connections; None for NOT_FOUND."""
        try:
            result = await self._conns().call(conn_ids, "AttributeSv1.ProcessEvent", args)
        except TollgateError as exc:
            if str(exc) == "NOT_FOUND":
                return None
            raise
        if isinstance(result, AttrSProcessEventReply):
            return result
        try:
            return msgspec.convert(result, AttrSProcessEventReply)
        except msgspec.ValidationError as exc:
            raise TollgateError(f"AttributeS reply not understood: {exc}") from None
