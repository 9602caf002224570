"""Compiled filters and the profile partitions the indexes cover.

A :class:`CompiledFilter` is a FilterProfile (or one inline ``*type:element:values``
filter) with its rules compiled, its activation window read and its index keys and
remote references gathered, once, when it is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from tollgate import tariffplans as tp
from tollgate.core.errors import TollgateError
from tollgate.filters.indexes import IndexKey
from tollgate.filters.rules import CompiledRule, compile_rule

__all__ = [
    "BY_ITEM_TYPE",
    "INDEXED_KINDS",
    "KINDS",
    "CompiledFilter",
    "IndexedKind",
    "parse_inline",
]


@dataclass(frozen=True, slots=True)
class IndexedKind:
    """A profile partition kept in filter indexes."""

    kind: str  # DataDB partition
    item_type: str  # GetFilterIndexes ItemType
    prefix: str  # CGRateS key prefix, named in broken-reference errors
    contexts: str | None  # the attribute holding the scopes (Contexts, Subsystems)
    model: type[msgspec.Struct]


INDEXED_KINDS: tuple[IndexedKind, ...] = (
    IndexedKind("*attribute_profiles", "*attributes", "alp_", "Contexts", tp.TPAttributeProfile),
    IndexedKind("*charger_profiles", "*chargers", "cpp_", None, tp.TPChargerProfile),
    IndexedKind("*resource_profiles", "*resources", "rsp_", None, tp.TPResourceProfile),
    IndexedKind("*statqueue_profiles", "*stats", "sqp_", None, tp.TPStatProfile),
    IndexedKind("*threshold_profiles", "*thresholds", "thp_", None, tp.TPThresholdProfile),
    IndexedKind("*supplier_profiles", "*suppliers", "spp_", None, tp.TPSupplierProfile),
    IndexedKind(
        "*dispatcher_profiles", "*dispatchers", "dpp_", "Subsystems", tp.TPDispatcherProfile
    ),
)
KINDS = {k.kind: k for k in INDEXED_KINDS}
BY_ITEM_TYPE = {k.item_type: k for k in INDEXED_KINDS}


class CompiledFilter:
    """A FilterProfile (or one inline filter) ready to pass events."""

    __slots__ = ("activation", "expiry", "id", "keys", "remote", "rules", "tenant")

    def __init__(
        self,
        tenant: str,
        filter_id: str,
        rules: Sequence[CompiledRule],
        window: tuple[int, int] | None = None,
    ) -> None:
        self.tenant = tenant
        self.id = filter_id
        self.rules = tuple(rules)
        self.activation: int | None = None
        self.expiry: int | None = None
        if window is not None:
            self.activation, self.expiry = window
        if len(self.rules) == 1:  # the inline case, built 100,000 times at a load
            self.remote = self.rules[0].remote
            self.keys = self.rules[0].index_keys
        else:
            self.remote = frozenset(ref for rule in self.rules for ref in rule.remote)
            self.keys = tuple(key for rule in self.rules for key in rule.index_keys)

    def active_at(self, now_ns: int) -> bool:
        """``ActivationInterval.IsActiveAtTime``: after activation, before expiry."""
        if self.activation is None or self.expiry is None:
            return True
        if self.activation != _ZERO_NS and not self.activation < now_ns:
            return False
        return self.expiry == _ZERO_NS or self.expiry > now_ns

    def index_keys(self) -> tuple[IndexKey, ...]:
        """The index keys of this filter's ``*string``/``*prefix`` rules on event fields."""
        return self.keys


_ZERO_NS = -62135596800 * 1_000_000_000


def parse_inline(tenant: str, rule_text: str) -> CompiledFilter:
    """``*type:element:values`` (values ``;``-separated; ``:`` after the element belongs to
    the values) as a one-rule filter; raises TollgateError with v0.10's texts."""
    parts = rule_text.split(":", 2)
    if len(parts) != 3:
        raise TollgateError(f"inline parse error for string: <{rule_text}>")
    kind, element, values = parts
    rule = compile_rule(kind, element, values.split(";") if values else [], strict=False)
    return CompiledFilter(tenant, rule_text, [rule])
