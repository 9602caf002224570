"""Filter indexes: which profiles of a subsystem an event can possibly match.

Kept as CGRateS v0.10 keeps them, per profile partition and per *scope* (the tenant, or
``tenant:context`` for AttributeS contexts and DispatcherS subsystems): every ``*string``
or ``*prefix`` rule on an event field (``~*req.<field>``) with constant values puts the
profile under ``<type>:~*req.<field>:<value>``; a profile with no such rule (no filters,
only ``*gte``, ``*rsr``...) goes under ``*none:*any:*any`` and is a candidate for every
event. A lookup reads only the event's values of the indexed fields, so its cost does not
grow with the number of profiles.

Two deliberate differences from v0.10 (docs/filters.md): an indexed field the lookup does
not query (not in ``string_indexed_fields`` / ``prefix_indexed_fields``, or nested with
``nested_fields`` off) makes its profiles candidates instead of invisible, and a prefix
lookup collects the profiles of every prefix of the value, not only of the longest one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tollgate.filters.dataprovider import MISSING, DataProvider, Path, compile_path
from tollgate.filters.values import as_string

__all__ = [
    "ANY_KEY",
    "IndexKey",
    "IndexSelects",
    "ProfileIndex",
    "ScopeIndex",
    "normalize_fields",
]

# (type, field under *req, value); the *none entry is ("*none", "*any", "*any")
IndexKey = tuple[str, str, str]
ANY_KEY: IndexKey = ("*none", "*any", "*any")


class IndexSelects(Protocol):
    """The index settings of a subsystem's config section (``attributes``, ...)."""

    @property
    def indexed_selects(self) -> bool: ...

    @property
    def string_indexed_fields(self) -> Sequence[str] | None: ...

    @property
    def prefix_indexed_fields(self) -> Sequence[str] | None: ...

    @property
    def nested_fields(self) -> bool: ...


_NORMALIZED: dict[int, tuple[Sequence[str], frozenset[str]]] = {}


def normalize_fields(fields: Sequence[str] | None) -> frozenset[str] | None:
    """Configured field names as paths under ``*req``: ``Account``, ``*req.Account`` and
    ``~*req.Account`` all name the event's Account. Memoised per config list (a lookup
    runs per event; the config changes only on reload)."""
    if fields is None:
        return None
    memo = _NORMALIZED.get(id(fields))
    if memo is not None and memo[0] is fields:
        return memo[1]
    normalized = _normalize(fields)
    if len(_NORMALIZED) > 64:
        _NORMALIZED.clear()
    _NORMALIZED[id(fields)] = (fields, normalized)  # the list is held: its id stays its own
    return normalized


def _normalize(fields: Sequence[str]) -> frozenset[str]:
    out = set()
    for name in fields:
        text = name[1:] if name.startswith("~") else name
        if text.startswith("*req."):
            text = text[5:]
        out.add(text)
    return frozenset(out)


def key_text(key: IndexKey) -> str:
    """``*string:~*req.Account:1001`` (``*none:*any:*any``), as GetFilterIndexes lists it."""
    kind, fld, value = key
    if kind == "*none":
        return "*none:*any:*any"
    return f"{kind}:~*req.{fld}:{value}"


@dataclass(slots=True)
class _FieldIndex:
    """One indexed (type, field): value -> profile ids, and every profile it holds.

    A value most profiles have alone (an account, a number) maps to the id itself, not to
    a one-id set: at 100,000 values that is 100,000 fewer objects, and a lookup reads one
    object fewer (each one a likely cache miss in a big table).
    """

    path: Path
    by_value: dict[str, str | set[str]] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)  # id -> number of values

    def add(self, value: str, item: str) -> None:
        ids = self.by_value.get(value)
        if ids is None:
            self.by_value[value] = item
        elif isinstance(ids, str):
            if ids == item:
                return
            self.by_value[value] = {ids, item}
        elif item in ids:
            return
        else:
            ids.add(item)
        self.members[item] = self.members.get(item, 0) + 1

    def remove(self, value: str, item: str) -> None:
        ids = self.by_value.get(value)
        if ids is None:
            return
        if isinstance(ids, str):
            if ids != item:
                return
            del self.by_value[value]
        else:
            if item not in ids:
                return
            ids.discard(item)
            if len(ids) == 1:
                self.by_value[value] = next(iter(ids))
        left = self.members[item] - 1
        if left:
            self.members[item] = left
        else:
            del self.members[item]


class ScopeIndex:
    """The indexes of one scope (``tenant`` or ``tenant:context``)."""

    __slots__ = ("_fields", "_items", "none")

    def __init__(self) -> None:
        self._fields: dict[tuple[str, str], _FieldIndex] = {}
        self._items: dict[str, tuple[IndexKey, ...]] = {}  # id -> its keys
        self.none: set[str] = set()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def add(self, item: str, keys: Iterable[IndexKey]) -> None:
        """Index ``item`` under ``keys`` (replacing what it had)."""
        if item in self._items:
            self.remove(item)
        keys = tuple(keys)
        if len(keys) > 1:
            keys = tuple(dict.fromkeys(keys))
        self._items[item] = keys
        for key in keys:
            kind, fld, value = key
            if kind == "*none":
                self.none.add(item)
                continue
            index = self._fields.get((kind, fld))
            if index is None:
                index = self._fields[(kind, fld)] = _FieldIndex(compile_path("*req." + fld))
            index.add(value, item)

    def remove(self, item: str) -> None:
        keys = self._items.pop(item, None)
        if keys is None:
            return
        for kind, fld, value in keys:
            if kind == "*none":
                self.none.discard(item)
                continue
            index = self._fields.get((kind, fld))
            if index is not None:
                index.remove(value, item)
                if not index.members:
                    del self._fields[(kind, fld)]

    def entries(self) -> Iterator[tuple[IndexKey, str]]:
        """(key, item id) for every indexed pair."""
        for item, keys in self._items.items():
            for key in keys:
                yield key, item

    def match(
        self,
        dp: DataProvider,
        string_fields: frozenset[str] | None,
        prefix_fields: frozenset[str] | None,
        nested: bool,
    ) -> set[str]:
        """The ids an event can match: index hits, the ``*none`` ones, and those of the
        indexed fields this lookup does not query."""
        found = set(self.none)
        for (kind, fld), index in self._fields.items():
            allowed = string_fields if kind == "*string" else prefix_fields
            queried = (
                fld in allowed
                if allowed is not None
                else (nested or ("." not in fld and "[" not in fld))
            )
            if not queried:
                found.update(index.members)
                continue
            value = dp.field(index.path)
            if value is MISSING:
                continue
            text = as_string(value)
            by_value = index.by_value
            if kind == "*string":
                ids = by_value.get(text)
                if ids is not None:
                    if type(ids) is str:
                        found.add(ids)
                    else:
                        found.update(ids)
                continue
            for size in range(len(text), 0, -1):
                ids = by_value.get(text[:size])
                if ids is not None:
                    if type(ids) is str:
                        found.add(ids)
                    else:
                        found.update(ids)
        return found


class ProfileIndex:
    """The indexes of one profile partition (``*attribute_profiles``...), by scope."""

    __slots__ = ("kind", "scopes")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.scopes: dict[str, ScopeIndex] = {}

    def scope(self, name: str) -> ScopeIndex:
        index = self.scopes.get(name)
        if index is None:
            index = self.scopes[name] = ScopeIndex()
        return index

    def add(self, scope: str, item: str, keys: Iterable[IndexKey]) -> None:
        self.scope(scope).add(item, keys)

    def remove(self, scope: str, item: str) -> None:
        index = self.scopes.get(scope)
        if index is not None:
            index.remove(item)
            if not len(index):
                del self.scopes[scope]

    def drop_scope(self, scope: str) -> None:
        """Forget every index of ``scope`` (RemoveFilterIndexes)."""
        self.scopes.pop(scope, None)

    def match(self, scope: str, dp: DataProvider, settings: IndexSelects) -> set[str]:
        index = self.scopes.get(scope)
        if index is None:
            return set()
        return index.match(
            dp,
            normalize_fields(settings.string_indexed_fields),
            normalize_fields(settings.prefix_indexed_fields),
            settings.nested_fields,
        )

    def listing(self, scope: str) -> list[str]:
        """``<key>:<item id>`` for every entry of ``scope``, sorted."""
        index = self.scopes.get(scope)
        if index is None:
            return []
        return sorted(f"{key_text(key)}:{item}" for key, item in index.entries())


def scopes_of(tenant: str, contexts: Sequence[str] | None) -> list[str]:
    """The scopes a profile is indexed in: its tenant, or ``tenant:<context>`` for each
    context when the partition is split by context (attributes, dispatchers)."""
    if contexts is None:
        return [tenant]
    return [f"{tenant}:{ctx}" for ctx in dict.fromkeys(contexts)]
