"""How one tariff-plan file's TP struct maps onto its ``tp_*`` table, and the cell helpers
the mappings share.

An item is written as rows (the CSV rows CGRateS would keep for it) and read back by
building it from its key columns and merging every row of the same key into it, in row
order. The profile files merge as CGRateS's ``model_helpers.go`` does: list cells
accumulate, a scalar cell set to a non-zero value overrides. Profiles are written with their
profile-wide cells on the first row and one sub-item (filter rule, attribute, metric,
supplier, host) per row, so reading them back gives the same struct.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

from tollgate.tariffplans import TPActivationInterval

__all__ = [
    "TAG",
    "TENANT_ID",
    "Row",
    "TPKind",
    "add_unique",
    "decimal",
    "interval_text",
    "join",
    "parse_interval",
    "set_interval",
    "set_nonzero",
    "split",
    "spread",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Row = dict[str, Any]

# (column, struct attribute) pairs naming one item
TAG: tuple[tuple[str, str], ...] = (("tag", "ID"),)
TENANT_ID: tuple[tuple[str, str], ...] = (("tenant", "Tenant"), ("id", "ID"))


@dataclass(frozen=True, slots=True)
class TPKind(Generic[T]):
    """One TP struct on its table: key columns, rows out, rows merged back in."""

    table: Table
    model: Callable[..., T]
    key: tuple[tuple[str, str], ...]
    rows: Callable[[T], list[Row]]  # the item's rows, past tpid and the key columns
    add: Callable[[T, Row], None]  # merge one more row into the item

    def key_of(self, item: T) -> Row:
        """The key columns' values of ``item``."""
        return {column: getattr(item, attr) for column, attr in self.key}

    def ident(self, row: Row) -> tuple[Any, ...]:
        """The key of the item a row belongs to."""
        return tuple(row[column] for column, _ in self.key)

    def build(self, row: Row) -> T:
        """An empty item named by the key columns of ``row``."""
        return self.model(TPid=row["tpid"], **{attr: row[column] for column, attr in self.key})


def join(items: Iterable[str]) -> str:
    """A list as one ``;``-separated cell."""
    return ";".join(items)


def split(text: str) -> list[str]:
    """A ``;``-separated cell as a list; an empty cell is ``[]``."""
    return text.split(";") if text else []


def add_unique(target: list[str], items: Iterable[str]) -> None:
    """Append the items not in ``target`` yet (CGRateS's string sets, in order)."""
    for item in items:
        if item not in target:
            target.append(item)


def spread(head: Row, subs: list[Row]) -> list[Row]:
    """A profile's rows: the profile-wide cells on the first, one sub-item per row."""
    if not subs:
        return [head]
    return [{**head, **subs[0]}, *subs[1:]]


def interval_text(interval: TPActivationInterval | None) -> str:
    """``ActivationTime;ExpiryTime`` as the CSV writes it ("" when unset, ";" when empty)."""
    if interval is None:
        return ""
    if interval.ExpiryTime or not interval.ActivationTime:
        return f"{interval.ActivationTime};{interval.ExpiryTime}"
    return interval.ActivationTime


def parse_interval(text: str) -> TPActivationInterval | None:
    if not text:
        return None
    activation, _, expiry = text.partition(";")
    return TPActivationInterval(ActivationTime=activation, ExpiryTime=expiry)


def set_interval(profile: Any, row: Row) -> None:
    """A row's ActivationInterval overrides the profile's when the row sets one."""
    if interval := parse_interval(row["activation_interval"]):
        profile.ActivationInterval = interval


def set_nonzero(target: Any, **values: object) -> None:
    """Set each attribute whose value is non-zero (CGRateS: ``if tp.Weight != 0``)."""
    for attr, value in values.items():
        if value:
            setattr(target, attr, value)


def decimal(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)
