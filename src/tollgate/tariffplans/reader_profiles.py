"""Rows of the profile files into TP profiles, merged per Tenant and ID.

CGRateS v0.10 (``engine/model_helpers.go``) merges every row of one Tenant+ID, consecutive
or not: list cells accumulate (FilterIDs, Contexts, ThresholdIDs... as ordered sets; the
Attributes of Attributes.csv, the metrics of Stats.csv, the suppliers of Suppliers.csv and
the hosts of DispatcherProfiles.csv one item per row), and a scalar cell overrides the
earlier rows when it is set to a non-zero value (CGRateS: ``if tp.Weight != 0``). A scalar
overridden with a different value is reported as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tollgate.tariffplans.csvfile import Row, split_items
from tollgate.tariffplans.models_profiles import (
    MetricWithFilters,
    TPActivationInterval,
    TPAttribute,
    TPAttributeProfile,
    TPChargerProfile,
    TPDispatcherHost,
    TPDispatcherHostConn,
    TPDispatcherHostProfile,
    TPDispatcherProfile,
    TPFilter,
    TPFilterProfile,
    TPResourceProfile,
    TPStatProfile,
    TPSupplier,
    TPSupplierProfile,
    TPThresholdProfile,
)
from tollgate.tariffplans.plan import TariffPlan

__all__ = ["COLUMNS", "read_profile_file"]

logger = logging.getLogger(__name__)

_KEY = ("Tenant", "ID")
# Stats.csv: the header of every spec plan and StatMdl put Stored before Blocker
# (cgrates.json's LoaderS template lists them the other way round).
COLUMNS: dict[str, tuple[str, ...]] = {
    "Filters.csv": (*_KEY, "Type", "Element", "Values", "ActivationInterval"),
    "Attributes.csv": (
        *_KEY, "Contexts", "FilterIDs", "ActivationInterval", "AttributeFilterIDs", "Path",
        "Type", "Value", "Blocker", "Weight",
    ),
    "Chargers.csv": (
        *_KEY, "FilterIDs", "ActivationInterval", "RunID", "AttributeIDs", "Weight",
    ),
    "Resources.csv": (
        *_KEY, "FilterIDs", "ActivationInterval", "UsageTTL", "Limit", "AllocationMessage",
        "Blocker", "Stored", "Weight", "ThresholdIDs",
    ),
    "Stats.csv": (
        *_KEY, "FilterIDs", "ActivationInterval", "QueueLength", "TTL", "MinItems",
        "MetricIDs", "MetricFilterIDs", "Stored", "Blocker", "Weight", "ThresholdIDs",
    ),
    "Thresholds.csv": (
        *_KEY, "FilterIDs", "ActivationInterval", "MaxHits", "MinHits", "MinSleep",
        "Blocker", "Weight", "ActionIDs", "Async",
    ),
    "Suppliers.csv": (
        *_KEY, "FilterIDs", "ActivationInterval", "Sorting", "SortingParameters",
        "SupplierID", "SupplierFilterIDs", "SupplierAccountIDs", "SupplierRatingPlanIDs",
        "SupplierResourceIDs", "SupplierStatIDs", "SupplierWeight", "SupplierBlocker",
        "SupplierParameters", "Weight",
    ),
    "DispatcherProfiles.csv": (
        *_KEY, "Subsystems", "FilterIDs", "ActivationInterval", "Strategy",
        "StrategyParameters", "ConnID", "ConnFilterIDs", "ConnWeight", "ConnBlocker",
        "ConnParameters", "Weight",
    ),
    "DispatcherHosts.csv": (*_KEY, "Address", "Transport", "TLS"),
}  # fmt: skip


def _add_unique(target: list[str], items: list[str]) -> None:
    for item in items:
        if item not in target:
            target.append(item)


# reads one column of a row as a typed value (row.text, row.integer, ...)
Reader = Callable[[str], object]


class _Scalars:
    """Tracks which row set each scalar of each profile, to report conflicting overrides."""

    def __init__(self) -> None:
        self._set: dict[tuple[str, str], tuple[str, int]] = {}

    def override(self, row: Row, key: str, column: str, value: object) -> bool:
        """True when ``value`` (non-zero) should replace the profile's scalar."""
        if not value:
            return False
        text = row.text(column)
        previous = self._set.get((key, column))
        self._set[(key, column)] = (text, row.line)
        if previous is not None and previous[0] != text:
            row.warning(
                column,
                f'{column} "{text}" of {key} overrides "{previous[0]}" from line {previous[1]}',
            )
        return True

    def apply(
        self, row: Row, key: str, target: object, fields: Iterable[tuple[str, Reader]]
    ) -> None:
        """Set each ``(column, read)`` on ``target`` (attribute = column) when non-zero."""
        for column, read in fields:
            value = read(column)
            if self.override(row, key, column, value):
                setattr(target, column, value)


def _interval(row: Row) -> TPActivationInterval | None:
    text = row.text("ActivationInterval")
    if not text:
        return None
    parts = [part.strip() for part in text.split(";")]
    if len(parts) > 2:
        row.error(
            "ActivationInterval",
            f'ActivationInterval: expected ActivationTime;ExpiryTime, found "{text}"',
        )
        return None
    for part in parts:
        row.time("ActivationInterval", part)
    return TPActivationInterval(
        ActivationTime=parts[0], ExpiryTime=parts[1] if len(parts) == 2 else ""
    )


_P = TypeVar("_P")


def _profiles(
    name: str, rows: Iterable[Row], plan: TariffPlan, make: Callable[..., _P], out: list[_P]
) -> Iterator[tuple[Row, str, _P, TPActivationInterval | None]]:
    """Each row with its profile key, the profile it merges into and its interval."""
    index: dict[str, _P] = {}
    has_interval = "ActivationInterval" in COLUMNS[name]
    for row in rows:
        tenant, ident = row.required("Tenant"), row.required("ID")
        key = f"{tenant}:{ident}"
        profile = index.get(key)
        if profile is None:
            profile = index[key] = make(TPid=plan.tpid, Tenant=tenant, ID=ident)
            out.append(profile)
            plan.lines[(name, key, 0)] = row.line
        yield row, key, profile, _interval(row) if has_interval else None


def read_profile_file(name: str, rows: Iterable[Row], plan: TariffPlan) -> None:
    """Fill ``plan`` from the rows of one profile file (merging rows per Tenant+ID)."""
    scalars = _Scalars()
    if name == "Filters.csv":
        for row, key, fltr, interval in _profiles(name, rows, plan, TPFilterProfile, plan.filters):
            _merge_filter(row, key, fltr, interval, scalars)
    elif name == "Attributes.csv":
        attrs = _profiles(name, rows, plan, TPAttributeProfile, plan.attributes)
        for row, key, attr, interval in attrs:
            _merge_attribute(row, key, attr, interval, scalars)
    elif name == "Chargers.csv":
        for row, key, chrg, interval in _profiles(
            name, rows, plan, TPChargerProfile, plan.chargers
        ):
            _add_unique(chrg.FilterIDs, row.items("FilterIDs"))
            if scalars.override(row, key, "ActivationInterval", interval):
                chrg.ActivationInterval = interval
            if scalars.override(row, key, "RunID", run_id := row.text("RunID")):
                chrg.RunID = run_id
            chrg.AttributeIDs.extend(row.items("AttributeIDs"))
            if scalars.override(row, key, "Weight", weight := row.decimal("Weight")):
                chrg.Weight = weight
    elif name == "Resources.csv":
        ress = _profiles(name, rows, plan, TPResourceProfile, plan.resources)
        for row, key, res, interval in ress:
            _merge_resource(row, key, res, interval, scalars)
    elif name == "Stats.csv":
        for row, key, stat, interval in _profiles(name, rows, plan, TPStatProfile, plan.stats):
            _merge_stat(row, key, stat, interval, scalars)
    elif name == "Thresholds.csv":
        thds = _profiles(name, rows, plan, TPThresholdProfile, plan.thresholds)
        for row, key, thd, interval in thds:
            _merge_threshold(row, key, thd, interval, scalars)
    elif name == "Suppliers.csv":
        spps = _profiles(name, rows, plan, TPSupplierProfile, plan.suppliers)
        for row, key, spp, interval in spps:
            _merge_supplier(row, key, spp, interval, scalars)
    elif name == "DispatcherProfiles.csv":
        dsps = _profiles(name, rows, plan, TPDispatcherProfile, plan.dispatcher_profiles)
        for row, key, dsp, interval in dsps:
            _merge_dispatcher(row, key, dsp, interval, scalars)
    elif name == "DispatcherHosts.csv":
        hosts = _profiles(name, rows, plan, TPDispatcherHost, plan.dispatcher_hosts)
        for row, _key, host, _interval_none in hosts:
            tls = row.boolean("TLS")
            if address := row.text("Address"):  # CGRateS skips rows without an address
                transport = row.text("Transport") or "*json"
                host.Conns.append(
                    TPDispatcherHostConn(Address=address, Transport=transport, TLS=tls)
                )
    else:  # pragma: no cover - the caller dispatches by COLUMNS
        raise ValueError(name)


def _merge_filter(
    row: Row, key: str, fltr: TPFilterProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    if scalars.override(row, key, "ActivationInterval", interval):
        fltr.ActivationInterval = interval
    kind = row.text("Type")
    if not kind:  # CGRateS adds no rule for a row without a Type
        if row.text("Element") or row.text("Values"):
            row.error("Type", "missing Type")
        return
    if not kind.startswith("*"):
        row.error("Type", f'Type: unknown filter type "{kind}"')
    fltr.Filters.append(
        TPFilter(Type=kind, Element=row.text("Element"), Values=row.items("Values"))
    )


def _merge_attribute(
    row: Row, key: str, attr: TPAttributeProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    _add_unique(attr.Contexts, row.items("Contexts"))
    _add_unique(attr.FilterIDs, row.items("FilterIDs"))
    if scalars.override(row, key, "ActivationInterval", interval):
        attr.ActivationInterval = interval
    if scalars.override(row, key, "Blocker", blocker := row.boolean("Blocker")):
        attr.Blocker = blocker
    if scalars.override(row, key, "Weight", weight := row.decimal("Weight")):
        attr.Weight = weight
    path = row.text("Path")
    if path:
        attr.Attributes.append(
            TPAttribute(
                FilterIDs=row.items("AttributeFilterIDs"),
                Path=path,
                Type=row.text("Type"),
                Value=row.text("Value"),
            )
        )
    elif row.text("Type") or row.text("Value") or row.text("AttributeFilterIDs"):
        row.warning("Path", f"{key}: attribute without Path is ignored")


def _merge_resource(
    row: Row, key: str, res: TPResourceProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    _add_unique(res.FilterIDs, row.items("FilterIDs"))
    if scalars.override(row, key, "ActivationInterval", interval):
        res.ActivationInterval = interval
    scalars.apply(row, key, res, (
        ("UsageTTL", row.duration), ("Limit", row.decimal_text),
        ("AllocationMessage", row.text), ("Blocker", row.boolean), ("Stored", row.boolean),
        ("Weight", row.decimal),
    ))  # fmt: skip
    _add_unique(res.ThresholdIDs, row.items("ThresholdIDs"))


def _merge_stat(
    row: Row, key: str, stat: TPStatProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    _add_unique(stat.FilterIDs, row.items("FilterIDs"))
    if scalars.override(row, key, "ActivationInterval", interval):
        stat.ActivationInterval = interval
    scalars.apply(row, key, stat, (
        ("QueueLength", row.integer), ("TTL", row.duration), ("MinItems", row.integer),
        ("Stored", row.boolean), ("Blocker", row.boolean), ("Weight", row.decimal),
    ))  # fmt: skip
    metric_filters = row.items("MetricFilterIDs")
    for metric_id in row.items("MetricIDs"):
        metric = next((m for m in stat.Metrics if m.MetricID == metric_id), None)
        if metric is None:
            metric = MetricWithFilters(MetricID=metric_id)
            stat.Metrics.append(metric)
        metric.FilterIDs.extend(metric_filters)
    if metric_filters and not row.text("MetricIDs"):
        row.warning("MetricFilterIDs", f"{key}: MetricFilterIDs without MetricIDs are ignored")
    _add_unique(stat.ThresholdIDs, row.items("ThresholdIDs"))


def _merge_threshold(
    row: Row, key: str, thd: TPThresholdProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    _add_unique(thd.FilterIDs, row.items("FilterIDs"))
    if scalars.override(row, key, "ActivationInterval", interval):
        thd.ActivationInterval = interval
    scalars.apply(row, key, thd, (
        ("MaxHits", row.integer), ("MinHits", row.integer), ("MinSleep", row.duration),
        ("Blocker", row.boolean), ("Weight", row.decimal), ("Async", row.boolean),
    ))  # fmt: skip
    _add_unique(thd.ActionIDs, row.items("ActionIDs"))


def _merge_supplier(
    row: Row, key: str, spp: TPSupplierProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    _add_unique(spp.FilterIDs, row.items("FilterIDs"))
    if scalars.override(row, key, "ActivationInterval", interval):
        spp.ActivationInterval = interval
    if scalars.override(row, key, "Sorting", sorting := row.text("Sorting")):
        spp.Sorting = sorting
    _add_unique(spp.SortingParameters, row.items("SortingParameters"))
    weight = row.decimal("SupplierWeight")
    blocker = row.boolean("SupplierBlocker")
    if supplier_id := row.text("SupplierID"):
        supplier = next((s for s in spp.Suppliers if supplier_id == s.ID), None)
        if supplier is None:
            supplier = TPSupplier(ID=supplier_id)
            spp.Suppliers.append(supplier)
        skey = f"{key}:{supplier_id}"
        supplier.FilterIDs.extend(row.items("SupplierFilterIDs"))
        supplier.AccountIDs.extend(row.items("SupplierAccountIDs"))
        supplier.RatingPlanIDs.extend(row.items("SupplierRatingPlanIDs"))
        supplier.ResourceIDs.extend(row.items("SupplierResourceIDs"))
        supplier.StatIDs.extend(row.items("SupplierStatIDs"))
        if scalars.override(row, skey, "SupplierWeight", weight):
            supplier.Weight = weight
        if scalars.override(row, skey, "SupplierBlocker", blocker):
            supplier.Blocker = blocker
        params = row.text("SupplierParameters")
        if scalars.override(row, skey, "SupplierParameters", params):
            supplier.SupplierParameters = params
    if scalars.override(row, key, "Weight", profile_weight := row.decimal("Weight")):
        spp.Weight = profile_weight


def _merge_dispatcher(
    row: Row, key: str, dsp: TPDispatcherProfile, interval: TPActivationInterval | None,
    scalars: _Scalars,
) -> None:  # fmt: skip
    _add_unique(dsp.Subsystems, row.items("Subsystems"))
    _add_unique(dsp.FilterIDs, row.items("FilterIDs"))
    if scalars.override(row, key, "ActivationInterval", interval):
        dsp.ActivationInterval = interval
    if scalars.override(row, key, "Strategy", strategy := row.text("Strategy")):
        dsp.Strategy = strategy
    dsp.StrategyParams.extend(row.items("StrategyParameters"))
    weight = row.decimal("ConnWeight")
    blocker = row.boolean("ConnBlocker")
    if conn_id := row.text("ConnID"):
        host = next((h for h in dsp.Hosts if conn_id == h.ID), None)
        if host is None:
            host = TPDispatcherHostProfile(ID=conn_id)
            dsp.Hosts.append(host)
        hkey = f"{key}:{conn_id}"
        _add_unique(host.FilterIDs, row.items("ConnFilterIDs"))
        if scalars.override(row, hkey, "ConnWeight", weight):
            host.Weight = weight
        if scalars.override(row, hkey, "ConnBlocker", blocker):
            host.Blocker = blocker
        host.Params.extend(split_items(row.text("ConnParameters")))
    if scalars.override(row, key, "Weight", profile_weight := row.decimal("Weight")):
        dsp.Weight = profile_weight
