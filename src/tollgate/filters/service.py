"""FilterService: filters compiled once, passed against events, and the filter indexes.

Everything durable lives in the DataDB: FilterProfiles in ``*filters`` (as TPFilterProfile),
the profiles of the other subsystems in their own partitions. At start and after every
tariff-plan load or API write (:meth:`ApierService.on_load`) the service reads what changed
since the last time (byte-compares the stored items), compiles the changed FilterProfiles
and re-indexes the profiles whose filters or FilterIDs changed; untouched profiles keep
their index entries, so a write costs the diff, not a rebuild.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from tollgate import tariffplans as tp
from tollgate.caches.heap import settle_after_load
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import GoTime
from tollgate.filters.compiled import (
    INDEXED_KINDS,
    KINDS,
    CompiledFilter,
    IndexedKind,
    parse_inline,
)
from tollgate.filters.dataprovider import DataProvider
from tollgate.filters.indexes import (
    ANY_KEY,
    IndexKey,
    IndexSelects,
    ProfileIndex,
    key_text,
    scopes_of,
)
from tollgate.filters.models import activation_window
from tollgate.filters.rules import FilterEnv, SimpleRule, compile_rule, simple_rule
from tollgate.rating import RITiming
from tollgate.rating.convert import convert_timing

if TYPE_CHECKING:
    from tollgate.accounts import AccountService
    from tollgate.core.config import Config
    from tollgate.rating import RatingData
    from tollgate.rpc.pool import ConnManager
    from tollgate.storage.datadb import DataDB

__all__ = ["FILTERS", "TIMINGS", "FilterService"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

FILTERS = "*filters"
TIMINGS = "*timings"


@dataclass(slots=True)
class _Item:
    tenant: str
    id: str
    filter_ids: tuple[str, ...]
    scopes: tuple[str, ...]


class _Env:
    """The FilterEnv of a running engine: rating destinations, stored timings, the zone."""

    def __init__(self, service: FilterService) -> None:
        self._service = service

    def destination_ids(self, number: str) -> Iterable[tuple[str, Sequence[str]]]:
        data = self._service.rating_data
        if data is None:
            return ()
        return data.prefixes_of(number)

    def timing_active(self, timing_id: str, at: GoTime) -> bool | None:
        timing = self._service.timings.get(timing_id)
        if timing is None:
            return None
        return timing.is_active_at(at.ns, at.tz)

    @property
    def timezone(self) -> str:
        return self._service.timezone


class FilterService:
    """FilterS: ``engine.filters``.

    ``pass_filters`` decides whether an event passes a profile's FilterIDs;
    ``matching_profiles`` is the index lookup the profile subsystems start from.
    """

    name = "filters"

    def __init__(
        self,
        datadb: Callable[[], DataDB | None] | None = None,
        *,
        cfg: Callable[[], Config] | None = None,
        rating_data: Callable[[], RatingData | None] | None = None,
        accounts: AccountService | None = None,
        conns: Callable[[], ConnManager] | None = None,
        clock: Callable[[], int] = time.time_ns,
        env: FilterEnv | None = None,
    ) -> None:
        self._datadb = datadb
        self._cfg = cfg
        self._rating_data = rating_data
        self._accounts = accounts
        self._conns = conns
        self.clock = clock
        self.env: FilterEnv = env if env is not None else _Env(self)
        self.timings: dict[str, RITiming] = {}
        self._filters: dict[tuple[str, str], CompiledFilter] = {}
        self._broken: dict[tuple[str, str], TollgateError] = {}
        # inline filters: those profiles name (kept while indexed) and ad-hoc ones
        self._inline: dict[str, CompiledFilter] = {}
        self._adhoc: dict[str, CompiledFilter] = {}
        self._inline_users: dict[str, int] = {}
        self._raw: dict[str, dict[str, bytes]] = {}
        self._items: dict[str, dict[str, _Item]] = {k.kind: {} for k in INDEXED_KINDS}
        self._by_tenant: dict[str, dict[str, set[str]]] = {k.kind: {} for k in INDEXED_KINDS}
        self._refs: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self.indexes: dict[str, ProfileIndex] = {
            k.kind: ProfileIndex(k.kind) for k in INDEXED_KINDS
        }

    # -- settings ------------------------------------------------------------------------

    @property
    def timezone(self) -> str:
        return self._cfg().general.default_timezone if self._cfg is not None else "UTC"

    @property
    def rating_data(self) -> RatingData | None:
        return self._rating_data() if self._rating_data is not None else None

    # -- compiled filters ------------------------------------------------------------------

    def get_compiled(self, tenant: str, filter_id: str) -> CompiledFilter:
        """The compiled filter an id names: an inline rule or a stored FilterProfile.

        Raises ``NOT_FOUND:<id>`` for an unknown id and TollgateError for a bad inline rule.
        """
        if filter_id.startswith("*"):
            compiled = self._inline.get(filter_id) or self._adhoc.get(filter_id)
            if compiled is None:
                compiled = parse_inline(tenant, filter_id)
                if len(self._adhoc) >= 10_000:  # ids a request names: bounded
                    self._adhoc.clear()
                self._adhoc[filter_id] = compiled
            return compiled
        compiled = self._filters.get((tenant, filter_id))
        if compiled is None:
            broken = self._broken.get((tenant, filter_id))
            if broken is not None:
                raise broken
            raise NotFoundError(f"NOT_FOUND:{filter_id}")
        return compiled

    def has_filter(self, tenant: str, filter_id: str) -> bool:
        return (tenant, filter_id) in self._filters or (tenant, filter_id) in self._broken

    def validate_filter_ids(
        self, tenant: str, filter_ids: Iterable[str], *, kind: str = "", item_id: str = ""
    ) -> None:
        """Check a profile's FilterIDs before it is stored: inline rules must parse and
        stored ids exist (``broken reference to filter: <id> for itemType: ...``)."""
        for filter_id in filter_ids:
            if filter_id.startswith("*"):
                self.get_compiled(tenant, filter_id)
                continue
            if not self.has_filter(tenant, filter_id):
                prefix = KINDS[kind].prefix if kind in KINDS else kind
                raise TollgateError(
                    f"broken reference to filter: {filter_id} for itemType: {prefix} "
                    f"and ID: {item_id}"
                )

    # -- passing -----------------------------------------------------------------------------

    async def pass_filters(self, tenant: str, filter_ids: Sequence[str], dp: DataProvider) -> bool:
        """Whether ``dp`` passes every filter of ``filter_ids`` (inline or FilterProfile ids).

        An inactive FilterProfile (ActivationInterval, against now) is skipped; at least
        one filter must be active and pass. No ids: passes. Unknown ids raise
        ``NOT_FOUND:<id>``; ``*accounts``/``*resources``/``*stats`` fields are fetched
        (once per DataProvider) before the rules run.
        """
        if not filter_ids:
            return True
        env = self.env
        now: int | None = None
        passed = False
        for filter_id in filter_ids:
            compiled = self.get_compiled(tenant, filter_id)
            if compiled.activation is not None:
                if now is None:
                    now = self.clock()
                if not compiled.active_at(now):
                    continue
            if compiled.remote:
                await self._fetch_remote(tenant, dp, compiled.remote)
            for rule in compiled.rules:
                if not rule.passes(dp, env):
                    return False
            passed = True
        return passed

    def simple_rules(self, tenant: str, filter_ids: Sequence[str]) -> tuple[SimpleRule, ...] | None:
        """A profile's FilterIDs as :data:`SimpleRule`s when every one is an inline filter
        of such a rule (never changes, never inactive, never fetches), else None.

        ``pass_simple(rules, dp)`` then answers as :meth:`pass_filters` does, from data the
        profile holds: a request among 100,000 profiles reads no filter object (each one
        would be a cache miss).
        """
        if not filter_ids:
            return None
        rules = []
        for filter_id in filter_ids:
            if not filter_id.startswith("*"):
                return None  # a FilterProfile can change or have an ActivationInterval
            try:
                compiled = self.get_compiled(tenant, filter_id)
            except TollgateError:
                return None  # passing it reports the error
            if len(compiled.rules) != 1:
                return None
            rule = simple_rule(compiled.rules[0])
            if rule is None:
                return None
            rules.append(rule)
        return tuple(rules)

    def passes(self, tenant: str, filter_ids: Sequence[str], dp: DataProvider) -> bool:
        """:meth:`pass_filters` without fetching: remote fields read as missing unless the
        DataProvider already holds them."""
        if not filter_ids:
            return True
        env = self.env
        now: int | None = None
        passed = False
        for filter_id in filter_ids:
            compiled = self.get_compiled(tenant, filter_id)
            if compiled.activation is not None:
                if now is None:
                    now = self.clock()
                if not compiled.active_at(now):
                    continue
            for rule in compiled.rules:
                if not rule.passes(dp, env):
                    return False
            passed = True
        return passed

    async def _fetch_remote(
        self, tenant: str, dp: DataProvider, refs: Iterable[tuple[str, str]]
    ) -> None:
        for ref in dp.remote_wanted(refs):
            try:
                value = await self._fetch(tenant, *ref)
            except NotFoundError:
                value = None
            except TollgateError as exc:
                value = exc
            if value is not None:
                dp.set_remote(ref, value)
            else:
                dp.set_remote(ref, _NOTHING)

    async def _fetch(self, tenant: str, root: str, item_id: str) -> Any:
        if root == "*accounts":
            if self._accounts is None:
                raise TollgateError("NOT_CONNECTED: RALs")
            account = await self._accounts.get(f"{tenant}:{item_id}")
            return msgspec.to_builtins(account, builtin_types=(Decimal,))
        cfg = self._cfg() if self._cfg is not None else None
        if root == "*stats":
            conn_ids = list(cfg.filters.stats_conns) if cfg is not None else []
            method, subsystem = "StatSv1.GetQueueFloatMetrics", "StatS"
        else:
            conn_ids = list(cfg.filters.resources_conns) if cfg is not None else []
            method, subsystem = "ResourceSv1.GetResource", "ResourceS"
        if not conn_ids or self._conns is None:
            raise TollgateError(f"NOT_CONNECTED: {subsystem}")
        return await self._conns().call(conn_ids, method, {"Tenant": tenant, "ID": item_id})

    # -- index lookups -----------------------------------------------------------------------

    def matching_profiles(
        self,
        kind: str,
        tenant: str,
        dp: DataProvider,
        settings: IndexSelects,
        *,
        context: str | None = None,
    ) -> set[str]:
        """The ids of the ``kind`` profiles (``"*attribute_profiles"``...) of ``tenant``
        an event may match: candidates to check with :meth:`pass_filters`.

        ``context`` selects the AttributeS context (or DispatcherS subsystem) scope; callers
        also ask for ``*any``. With ``indexed_selects`` off every profile of the tenant is a
        candidate (contexts unchecked: the caller checks them, as v0.10 does).
        """
        if not settings.indexed_selects:
            return set(self._by_tenant[kind].get(tenant, ()))
        scope = tenant if context is None else f"{tenant}:{context}"
        return self.indexes[kind].match(scope, dp, settings)

    def profile_ids(self, kind: str, tenant: str) -> set[str]:
        """Every profile id of ``kind`` the service knows in ``tenant``."""
        return set(self._by_tenant[kind].get(tenant, ()))

    # -- (re)building from the DataDB ------------------------------------------------------

    def _db(self) -> DataDB:
        db = self._datadb() if self._datadb is not None else None
        if db is None:
            raise TollgateError("SERVER_ERROR: DataDB is not open")
        return db

    async def reload(self, db: DataDB | None = None) -> None:
        """Bring filters, timings and indexes up to what the DataDB holds (a diff)."""
        db = db if db is not None else self._db()
        # every read first, then the changes in one synchronous stretch: a lookup running
        # meanwhile sees the old state or the new one, never half of each
        kinds = (TIMINGS, FILTERS, *(spec.kind for spec in INDEXED_KINDS))
        changes = {kind: await self._changes(db, kind) for kind in kinds}
        # the cyclic GC would rescan the growing heap again and again while a load builds
        # 100,000s of small objects (half the time of a big load); nothing here is cyclic
        collecting = gc.isenabled()
        gc.disable()
        try:
            for kind, (changed, removed) in changes.items():
                seen = self._raw.setdefault(kind, {})
                for key in removed:
                    del seen[key]
                seen.update(changed)
            self._reload_timings(*changes[TIMINGS])
            changed_filters = self._reload_filters(*changes[FILTERS])
            for spec in INDEXED_KINDS:
                self._reload_items(spec, *changes[spec.kind], changed_filters)
        finally:
            if collecting:
                gc.enable()
        settle_after_load(sum(len(changed) + len(removed) for changed, removed in changes.values()))

    async def _changes(self, db: DataDB, kind: str) -> tuple[dict[str, bytes], list[str]]:
        """(new or changed items, removed keys) of a partition since the last reload."""
        keys = await db.keys(kind)
        values = await db.get_many(kind, keys)
        seen = self._raw.get(kind, {})
        changed: dict[str, bytes] = {}
        present = set()
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            present.add(key)
            if seen.get(key) != value:
                changed[key] = value
        removed = [key for key in seen if key not in present]
        return changed, removed

    def _reload_timings(self, changed: dict[str, bytes], removed: list[str]) -> None:
        for key in removed:
            self.timings.pop(key, None)
        for key, value in changed.items():
            try:
                self.timings[key] = convert_timing(_decode(value, tp.ApierTPTiming))
            except ValueError as exc:
                logger.warning("timing %s left out of *timings filters: %s", key, exc)

    def _reload_filters(
        self, changed: dict[str, bytes], removed: list[str]
    ) -> set[tuple[str, str]]:
        touched: set[tuple[str, str]] = set()
        for key in removed:
            tenant, _, filter_id = key.partition(":")
            self._filters.pop((tenant, filter_id), None)
            self._broken.pop((tenant, filter_id), None)
            touched.add((tenant, filter_id))
        for key, value in changed.items():
            try:
                item = _decode(value, tp.TPFilterProfile)
            except ValueError as exc:
                logger.error("*filters %s cannot be read: %s", key, exc)
                continue
            ref = (item.Tenant, item.ID)
            touched.add(ref)
            self._broken.pop(ref, None)
            try:
                self._filters[ref] = self.compile_profile(item)
            except (TollgateError, ValueError) as exc:
                self._filters.pop(ref, None)
                self._broken[ref] = TollgateError(str(exc))
                logger.warning("filter %s:%s cannot be used: %s", *ref, exc)
        return touched

    def compile_profile(self, item: tp.TPFilterProfile) -> CompiledFilter:
        """A stored FilterProfile compiled; raises TollgateError/ValueError on a bad one."""
        rules = [compile_rule(r.Type, r.Element, r.Values) for r in item.Filters]
        window = activation_window(item.ActivationInterval, self.timezone)
        return CompiledFilter(item.Tenant, item.ID, rules, window)

    def _reload_items(
        self,
        spec: IndexedKind,
        changed: dict[str, bytes],
        removed: list[str],
        changed_filters: set[tuple[str, str]],
    ) -> None:
        items = self._items[spec.kind]
        for key in removed:
            old = items.get(key)
            if old is not None:
                self._unindex(spec, key, old)
        dirty: dict[str, _Item] = {}
        for key, value in changed.items():
            try:
                profile: Any = _decode(value, spec.model)
            except ValueError as exc:
                logger.error("%s %s cannot be read: %s", spec.kind, key, exc)
                continue
            contexts = getattr(profile, spec.contexts) if spec.contexts else None
            dirty[key] = _Item(
                profile.Tenant,
                profile.ID,
                tuple(profile.FilterIDs),
                tuple(scopes_of(profile.Tenant, contexts)),
            )
        # profiles whose FilterProfiles changed index again, with the new rules
        for ref in changed_filters:
            for kind, key in self._refs.get(ref, ()):
                if kind == spec.kind and key not in dirty and key in items:
                    dirty[key] = items[key]
        for key, item in dirty.items():
            old = items.get(key)
            if old is not None:
                self._unindex(spec, key, old)
            self._index(spec, key, item)

    def _index(self, spec: IndexedKind, key: str, item: _Item) -> None:
        self._items[spec.kind][key] = item
        self._by_tenant[spec.kind].setdefault(item.tenant, set()).add(item.id)
        for filter_id in item.filter_ids:
            if not filter_id.startswith("*"):
                self._refs.setdefault((item.tenant, filter_id), set()).add((spec.kind, key))
                continue
            users = self._inline_users.get(filter_id, 0)
            if not users:
                compiled = self._adhoc.pop(filter_id, None)
                try:
                    self._inline[filter_id] = compiled or parse_inline(item.tenant, filter_id)
                except TollgateError as exc:
                    logger.warning("%s %s: filter %s unusable: %s", spec.kind, key, filter_id, exc)
                    continue
            self._inline_users[filter_id] = users + 1
        keys = self.item_keys(item.tenant, item.filter_ids)
        index = self.indexes[spec.kind]
        for scope in item.scopes:
            index.add(scope, item.id, keys)

    def _unindex(self, spec: IndexedKind, key: str, item: _Item) -> None:
        self._items[spec.kind].pop(key, None)
        ids = self._by_tenant[spec.kind].get(item.tenant)
        if ids is not None:
            ids.discard(item.id)
            if not ids:
                del self._by_tenant[spec.kind][item.tenant]
        for filter_id in item.filter_ids:
            users = self._inline_users.get(filter_id)
            if users is not None:
                if users > 1:
                    self._inline_users[filter_id] = users - 1
                else:
                    del self._inline_users[filter_id]
                    self._inline.pop(filter_id, None)
                continue
            refs = self._refs.get((item.tenant, filter_id))
            if refs is not None:
                refs.discard((spec.kind, key))
                if not refs:
                    del self._refs[(item.tenant, filter_id)]
        index = self.indexes[spec.kind]
        for scope in item.scopes:
            index.remove(scope, item.id)

    def item_keys(self, tenant: str, filter_ids: Sequence[str]) -> list[IndexKey]:
        """The index keys of a profile with ``filter_ids``; ``*none`` when it has no
        indexable rule (or a filter that cannot be read)."""
        keys: list[IndexKey] = []
        for filter_id in filter_ids:
            try:
                compiled = self.get_compiled(tenant, filter_id)
            except TollgateError:
                continue  # passing it reports the error; the profile stays a candidate
            keys.extend(compiled.keys)
        return keys or [ANY_KEY]

    # -- index administration (APIerSv1 *FilterIndex* methods) -------------------------------

    def compiled_filter_refs(self) -> list[tuple[str, str]]:
        """(tenant, id) of every compiled FilterProfile (CacheS's ``*filters``)."""
        return list(self._filters)

    def index_keys(self, kind: str) -> set[str]:
        """``<scope>:<index key>`` of every index entry of ``kind`` (CacheS's
        ``*attribute_filter_indexes``...)."""
        out: set[str] = set()
        for scope, index in self.indexes[kind].scopes.items():
            out.update(f"{scope}:{key_text(key)}" for key, _ in index.entries())
        return out

    def index_listing(self, kind: str, scope: str) -> list[str]:
        return self.indexes[kind].listing(scope)

    def remove_indexes(self, kind: str, scope: str) -> None:
        """Drop a scope's indexes: its profiles are found again after a compute."""
        self.indexes[kind].drop_scope(scope)

    def compute_indexes(
        self, kind: str, tenant: str, context: str | None, ids: Iterable[str] | None
    ) -> None:
        """Index again (all of the tenant's, or ``ids``) in the tenant or tenant:context
        scope; with a context, the profiles of that context (every profile for ``*any``).

        Raises NOT_FOUND for an id the partition does not hold.
        """
        spec = KINDS[kind]
        items = self._items[kind]
        index = self.indexes[kind]
        if ids is None:
            if spec.contexts is None:
                index.drop_scope(tenant)
            elif context is not None:
                index.drop_scope(f"{tenant}:{context}")
            selected = [item for item in items.values() if item.tenant == tenant]
        else:
            selected = []
            for item_id in ids:
                item = items.get(f"{tenant}:{item_id}")
                if item is None:
                    raise NotFoundError()
                selected.append(item)
        for item in selected:
            if spec.contexts is None:
                scope = tenant
            elif context is None:
                continue
            else:
                scope = f"{tenant}:{context}"
                if scope not in item.scopes and context != "*any":
                    continue
            index.add(scope, item.id, self.item_keys(item.tenant, item.filter_ids))


def _decode(data: bytes, model: type[_T]) -> _T:
    """A stored item; ValueError when the bytes are not one (never written by us)."""
    try:
        return msgspec.msgpack.decode(data, type=model)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from exc


# a remote object that does not exist: every field of it reads as missing
_NOTHING: Mapping[str, Any] = {}
