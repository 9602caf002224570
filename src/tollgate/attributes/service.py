"""AttributeService: find the AttributeProfile an event matches and apply its attributes,
over one or more process runs (CGRateS v0.10 ``engine/attributes.go``).

Selection: explicit ``AttributeIDs`` are taken as given (their contexts are not checked);
otherwise the candidates come from the filter indexes of the ``tenant:context`` scope, or,
when that scope has none, of ``tenant:*any``. A candidate must be active at the event's
``Time`` (when the event has one) and pass its FilterIDs; the highest Weight wins.

Process runs: each run selects again on the event as the previous run left it. The loop
stops after ``ProcessRuns`` runs, when no profile matches (NOT_FOUND only fails the first
run), when a run selects a profile already applied, or after a Blocker profile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollgate import tariffplans as tp
from tollgate.attributes.models import (
    AttrArgsProcessEvent,
    Attribute,
    AttributeProfile,
    AttrSProcessEventReply,
    CGREvent,
    RSRParserWire,
    profile_from_tp,
    split_rules,
)
from tollgate.attributes.store import ActiveWindow, ProfileStore
from tollgate.attributes.substitutions import (
    AttributeCompiler,
    CompiledAttribute,
    Scratch,
    compile_attribute,
    is_not_found,
)
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
    TollgateError,
)
from tollgate.core.times import format_rfc3339, parse_rfc3339
from tollgate.filters import (
    DataProvider,
    FilterService,
    SimpleRule,
    activation_window,
    pass_simple,
)

if TYPE_CHECKING:
    from tollgate.core.config import Config
    from tollgate.core.config.service_sections import AttributeSCfg
    from tollgate.storage.datadb import DataDB

__all__ = [
    "ANY_CONTEXT",
    "ATTRIBUTE_PROFILES",
    "DEFAULT_CONTEXT",
    "AttributeService",
    "CompiledAttributeProfile",
    "event_time",
]

logger = logging.getLogger(__name__)

ATTRIBUTE_PROFILES = "*attribute_profiles"
DEFAULT_CONTEXT = "*default"
ANY_CONTEXT = "*any"
META_ATTRIBUTES = "*attributes"  # an event value AttributeS must replace


class CompiledAttributeProfile:
    """An AttributeProfile ready to match and apply; ``source`` is the stored profile
    (None for an inline ``*type:path:value`` one)."""

    __slots__ = (
        "attributes",
        "blocker",
        "contexts",
        "filter_ids",
        "id",
        "simple",
        "source",
        "tenant",
        "weight",
        "window",
    )

    def __init__(
        self,
        tenant: str,
        profile_id: str,
        attributes: Sequence[CompiledAttribute],
        *,
        contexts: Sequence[str] = (ANY_CONTEXT,),
        filter_ids: Sequence[str] = (),
        window: ActiveWindow | None = None,
        blocker: bool = False,
        weight: Decimal = Decimal(0),
        source: tp.TPAttributeProfile | None = None,
        simple: tuple[SimpleRule, ...] | None = None,
    ) -> None:
        self.tenant = tenant
        self.id = profile_id
        self.attributes = tuple(attributes)
        self.contexts = frozenset(contexts)
        self.filter_ids = tuple(filter_ids)
        self.window = window
        self.blocker = blocker
        self.weight = weight
        self.source = source
        # the FilterIDs as rules checked in place, when they are simple inline ones
        self.simple = simple


def event_time(text: str | None) -> tuple[int | None, str | None]:
    """A CGREvent ``Time`` (RFC 3339 or null): its ns instant and its echo on the wire."""
    if text is None:
        return None, None
    try:
        value = parse_rfc3339(text)
    except ValueError as exc:
        raise TollgateError(str(exc)) from None
    return value.ns, format_rfc3339(value.ns, value.tz)


class AttributeService:
    """AttributeS: ``engine.attributes``."""

    name = "attributes"

    def __init__(self, filters: FilterService, *, cfg: Callable[[], Config]) -> None:
        self.filters = filters
        self._cfg = cfg
        self.store: ProfileStore[tp.TPAttributeProfile, CompiledAttributeProfile] = ProfileStore(
            ATTRIBUTE_PROFILES, tp.TPAttributeProfile, self.compile_profile
        )
        self._inline: dict[str, CompiledAttributeProfile] = {}
        # one compiler for every profile compiled until the next reload, whether at a load
        # or on first use: profiles share their identical attributes, rules and paths
        self._compiler = AttributeCompiler()

    # -- settings ----------------------------------------------------------------------------

    @property
    def cfg(self) -> Config:
        return self._cfg()

    @property
    def settings(self) -> AttributeSCfg:
        return self._cfg().attributes

    @property
    def separator(self) -> str:
        return self._cfg().general.rsr_separator or ";"

    # -- profiles -----------------------------------------------------------------------------

    async def reload(self, db: DataDB) -> None:
        """Compile what changed in ``*attribute_profiles`` (an ApierService load hook)."""
        self._compiler.clear()  # what the old profiles shared is not held for the new ones
        await self.store.reload(db)

    def compile_profile(self, item: tp.TPAttributeProfile) -> CompiledAttributeProfile:
        """A stored profile compiled; raises TollgateError/ValueError for a bad one."""
        sep = self.separator
        window = activation_window(item.ActivationInterval, self._cfg().general.default_timezone)
        compiler = self._compiler
        return CompiledAttributeProfile(
            item.Tenant,
            item.ID,
            [
                compiler.attribute(a.Path, a.Type, split_rules(a.Value, sep), a.FilterIDs)
                for a in item.Attributes
            ],
            contexts=item.Contexts,
            filter_ids=item.FilterIDs,
            window=ActiveWindow(*window) if window is not None else None,
            blocker=item.Blocker,
            weight=item.Weight,
            source=item,
            simple=self.filters.simple_rules(item.Tenant, item.FilterIDs),
        )

    def inline_profile(self, tenant: str, rule: str) -> CompiledAttributeProfile:
        """``*type:path:value`` (as ChargerProfile AttributeIDs name one) as a profile of
        one attribute, in every context; TollgateError when it does not parse."""
        compiled = self._inline.get(rule)
        if compiled is None:
            parts = rule.split(":", 2)
            if len(parts) < 3:
                raise TollgateError(f"inline parse error for string: <{rule}>")
            kind, path, value = parts
            attribute = compile_attribute(path, kind, split_rules(value, self.separator))
            compiled = CompiledAttributeProfile("", rule, [attribute])
            if len(self._inline) >= 10_000:  # ids come from requests: bound the memo
                self._inline.clear()
            self._inline[rule] = compiled
        return compiled

    def profile(self, tenant: str, profile_id: str) -> CompiledAttributeProfile | None:
        """The profile an id names (inline or stored), None when there is none."""
        if profile_id.startswith("*"):
            return self.inline_profile(tenant, profile_id)
        return self.store.get(tenant, profile_id)

    def wire_profile(self, profile: CompiledAttributeProfile, tenant: str) -> AttributeProfile:
        """``engine.AttributeProfile`` of a compiled profile."""
        if profile.source is not None:
            try:
                return profile_from_tp(
                    profile.source, self._cfg().general.default_timezone, self.separator
                )
            except ValueError as exc:
                raise ServerError(exc) from None
        return AttributeProfile(
            Tenant=tenant,
            ID=profile.id,
            Contexts=[ANY_CONTEXT],
            Attributes=[
                Attribute(
                    Path=attr.path,
                    Type=profile.id.split(":", 1)[0],
                    Value=[
                        RSRParserWire(Rules=p.rules, AllFiltersMatch=p.all_filters_match)
                        for p in attr.values
                    ],
                )
                for attr in profile.attributes
            ],
        )

    # -- selection -----------------------------------------------------------------------------

    def _in_context(self, tenant: str, ids: set[str], context: str) -> set[str]:
        find = self.store.find
        out = set()
        for profile_id in ids:
            profile = find(f"{tenant}:{profile_id}")
            if profile is not None and context in profile.contexts:
                out.add(profile_id)
        return out

    def candidates(self, tenant: str, dp: DataProvider, context: str) -> list[str]:
        """The profile ids of ``context`` (or of ``*any`` when it has none) the indexes
        find for the event, in a stable order."""
        settings = self.settings
        found = self.filters.matching_profiles(
            ATTRIBUTE_PROFILES, tenant, dp, settings, context=context
        )
        if not settings.indexed_selects:
            found = self._in_context(tenant, found, context)
        if not found and context != ANY_CONTEXT:
            found = self.filters.matching_profiles(
                ATTRIBUTE_PROFILES, tenant, dp, settings, context=ANY_CONTEXT
            )
            if not settings.indexed_selects:
                found = self._in_context(tenant, found, ANY_CONTEXT)
        return sorted(found)

    async def select(
        self,
        tenant: str,
        dp: DataProvider,
        context: str,
        attribute_ids: Sequence[str] | None,
        at_ns: int | None,
    ) -> CompiledAttributeProfile:
        """The matching profile of highest Weight; NotFoundError when none matches."""
        ids = attribute_ids if attribute_ids else self.candidates(tenant, dp, context)
        best: CompiledAttributeProfile | None = None
        for profile_id in ids:
            profile = self.profile(tenant, profile_id)
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
            if best is None or profile.weight > best.weight:
                best = profile
        if best is None:
            raise NotFoundError()
        return best

    async def apply(
        self, profile: CompiledAttributeProfile, scratch: Scratch, tenant: str, decimals: int
    ) -> tuple[str, list[str]]:
        """Run the profile's attributes into ``scratch``: (the tenant after them, the
        Paths they altered)."""
        altered: list[str] = []
        new_tenant = tenant
        for attribute in profile.attributes:
            if attribute.filter_ids and not await self.filters.pass_filters(
                tenant, attribute.filter_ids, scratch.dp
            ):
                continue
            new_tenant = attribute.apply(scratch, new_tenant, decimals)
            if attribute.path not in altered:
                altered.append(attribute.path)
        return new_tenant, altered

    # -- AttributeSv1 -----------------------------------------------------------------------------

    async def process_event(self, args: AttrArgsProcessEvent) -> AttrSProcessEventReply:
        """AttributeSv1.ProcessEvent."""
        if args.Event is None:
            raise MandatoryIeMissingError("Event")
        cfg = self._cfg()
        tenant = args.Tenant or cfg.general.default_tenant
        runs = args.ProcessRuns if args.ProcessRuns and args.ProcessRuns > 0 else 0
        runs = max(runs or cfg.attributes.process_runs, 1)
        context = args.Context or DEFAULT_CONTEXT
        at_ns, time_text = event_time(args.Time)
        decimals = cfg.general.rounding_decimals
        event: dict[str, Any] = args.Event
        matched: list[str] = []
        altered: list[str] = []
        for run in range(runs):
            scratch = Scratch(dict(event))
            try:
                profile = await self.select(tenant, scratch.dp, context, args.AttributeIDs, at_ns)
                if profile.id in matched:  # the chain came back to a profile: done
                    break
                new_tenant, fields = await self.apply(profile, scratch, tenant, decimals)
            except TollgateError as exc:
                if not is_not_found(exc):
                    raise ServerError(exc) from None
                if run == 0:
                    _check_populated(event)
                    raise
                break
            matched.append(profile.id)
            tenant, event = new_tenant, scratch.event
            altered.extend(f for f in fields if f not in altered)
            if profile.blocker:
                break
        _check_populated(event)
        return AttrSProcessEventReply(
            MatchedProfiles=matched,
            AlteredFields=altered or None,
            CGREvent=CGREvent(Tenant=tenant, ID=args.ID, Time=time_text, Event=event),
        )

    async def attribute_for_event(self, args: AttrArgsProcessEvent) -> AttributeProfile:
        """AttributeSv1.GetAttributeForEvent: the profile ProcessEvent's first run applies."""
        tenant = args.Tenant or self._cfg().general.default_tenant
        at_ns, _ = event_time(args.Time)
        dp = DataProvider(args.Event or {})
        try:
            profile = await self.select(
                tenant, dp, args.Context or DEFAULT_CONTEXT, args.AttributeIDs, at_ns
            )
        except TollgateError as exc:
            if is_not_found(exc):
                raise
            raise ServerError(exc) from None
        return self.wire_profile(profile, tenant)


def _check_populated(event: dict[str, Any]) -> None:
    """Fields sent as ``*attributes`` must have been replaced (MANDATORY_IE_MISSING)."""
    for name, value in event.items():
        if value == META_ATTRIBUTES:
            raise MandatoryIeMissingError(name)
