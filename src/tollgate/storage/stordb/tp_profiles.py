"""The profile files on their tables, keyed by tenant and id.

Written with the profile-wide cells on the first row and one filter rule, attribute,
metric, supplier, dispatcher host or host connection per row; read back by merging every
row of a profile as CGRateS does (list cells accumulate, non-zero scalars override), which
also reads tables written one row per FilterID, CGRateS's own layout.
"""

from __future__ import annotations

import logging

from tollgate.storage.stordb.schema import (
    tp_attributes,
    tp_chargers,
    tp_dispatcher_hosts,
    tp_dispatcher_profiles,
    tp_filters,
    tp_resources,
    tp_stats,
    tp_suppliers,
    tp_thresholds,
)
from tollgate.storage.stordb.tpkind import (
    TENANT_ID,
    Row,
    TPKind,
    add_unique,
    decimal,
    interval_text,
    join,
    set_interval,
    set_nonzero,
    split,
    spread,
)
from tollgate.tariffplans import (
    MetricWithFilters,
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

__all__ = [
    "ATTRIBUTES",
    "CHARGERS",
    "DISPATCHER_HOSTS",
    "DISPATCHER_PROFILES",
    "FILTERS",
    "RESOURCES",
    "STATS",
    "SUPPLIERS",
    "THRESHOLDS",
]

logger = logging.getLogger(__name__)

# -- filters ------------------------------------------------------------------------------------


def _filter_rows(p: TPFilterProfile) -> list[Row]:
    rules = [{"type": f.Type, "element": f.Element, "values": join(f.Values)} for f in p.Filters]
    return spread({"activation_interval": interval_text(p.ActivationInterval)}, rules)


def _add_filter(p: TPFilterProfile, r: Row) -> None:
    set_interval(p, r)
    if r["type"]:  # CGRateS adds no rule for a row without a Type
        p.Filters.append(TPFilter(Type=r["type"], Element=r["element"], Values=split(r["values"])))


# -- attributes ---------------------------------------------------------------------------------


def _attribute_rows(p: TPAttributeProfile) -> list[Row]:
    head = {
        "contexts": join(p.Contexts),
        "filter_ids": join(p.FilterIDs),
        "activation_interval": interval_text(p.ActivationInterval),
        "blocker": p.Blocker,
        "weight": str(p.Weight),
    }
    attrs = [
        {
            "attribute_filter_ids": join(a.FilterIDs),
            "path": a.Path,
            "type": a.Type,
            "value": a.Value,
        }
        for a in p.Attributes
    ]
    return spread(head, attrs)


def _add_attribute(p: TPAttributeProfile, r: Row) -> None:
    add_unique(p.Contexts, split(r["contexts"]))
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(p, Blocker=r["blocker"], Weight=decimal(r["weight"]))
    if r["path"]:  # CGRateS keeps no attribute without a Path
        p.Attributes.append(
            TPAttribute(
                FilterIDs=split(r["attribute_filter_ids"]),
                Path=r["path"],
                Type=r["type"],
                Value=r["value"],
            )
        )


# -- chargers, resources, thresholds: one row each ----------------------------------------------


def _add_charger(p: TPChargerProfile, r: Row) -> None:
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(p, RunID=r["run_id"], Weight=decimal(r["weight"]))
    p.AttributeIDs.extend(split(r["attribute_ids"]))


def _add_resource(p: TPResourceProfile, r: Row) -> None:
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(
        p,
        UsageTTL=r["usage_ttl"],
        Limit=r["limit"],
        AllocationMessage=r["allocation_message"],
        Blocker=r["blocker"],
        Stored=r["stored"],
        Weight=decimal(r["weight"]),
    )
    add_unique(p.ThresholdIDs, split(r["threshold_ids"]))


def _add_threshold(p: TPThresholdProfile, r: Row) -> None:
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(
        p,
        MaxHits=r["max_hits"],
        MinHits=r["min_hits"],
        MinSleep=r["min_sleep"],
        Blocker=r["blocker"],
        Weight=decimal(r["weight"]),
        Async=r["async"],
    )
    add_unique(p.ActionIDs, split(r["action_ids"]))


# -- stats --------------------------------------------------------------------------------------


def _stat_rows(p: TPStatProfile) -> list[Row]:
    head = {
        "filter_ids": join(p.FilterIDs),
        "activation_interval": interval_text(p.ActivationInterval),
        "queue_length": p.QueueLength,
        "ttl": p.TTL,
        "min_items": p.MinItems,
        "stored": p.Stored,
        "blocker": p.Blocker,
        "weight": str(p.Weight),
        "threshold_ids": join(p.ThresholdIDs),
    }
    metrics = [
        {"metric_ids": m.MetricID, "metric_filter_ids": join(m.FilterIDs)} for m in p.Metrics
    ]
    return spread(head, metrics)


def _add_stat(p: TPStatProfile, r: Row) -> None:
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(
        p,
        QueueLength=r["queue_length"],
        TTL=r["ttl"],
        MinItems=r["min_items"],
        Stored=r["stored"],
        Blocker=r["blocker"],
        Weight=decimal(r["weight"]),
    )
    metric_filters = split(r["metric_filter_ids"])
    for metric_id in split(r["metric_ids"]):
        metric = next((m for m in p.Metrics if m.MetricID == metric_id), None)
        if metric is None:
            metric = MetricWithFilters(MetricID=metric_id)
            p.Metrics.append(metric)
        metric.FilterIDs.extend(metric_filters)
    add_unique(p.ThresholdIDs, split(r["threshold_ids"]))


# -- suppliers ----------------------------------------------------------------------------------


def _supplier_rows(p: TPSupplierProfile) -> list[Row]:
    head = {
        "filter_ids": join(p.FilterIDs),
        "activation_interval": interval_text(p.ActivationInterval),
        "sorting": p.Sorting,
        "sorting_parameters": join(p.SortingParameters),
        "weight": str(p.Weight),
    }
    suppliers = [
        {
            "supplier_id": s.ID,
            "supplier_filter_ids": join(s.FilterIDs),
            "supplier_account_ids": join(s.AccountIDs),
            "supplier_ratingplan_ids": join(s.RatingPlanIDs),
            "supplier_resource_ids": join(s.ResourceIDs),
            "supplier_stat_ids": join(s.StatIDs),
            "supplier_weight": str(s.Weight),
            "supplier_blocker": s.Blocker,
            "supplier_parameters": s.SupplierParameters,
        }
        for s in p.Suppliers
    ]
    return spread(head, suppliers)


def _add_supplier(p: TPSupplierProfile, r: Row) -> None:
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(p, Sorting=r["sorting"], Weight=decimal(r["weight"]))
    add_unique(p.SortingParameters, split(r["sorting_parameters"]))
    if supplier_id := r["supplier_id"]:
        supplier = next((s for s in p.Suppliers if supplier_id == s.ID), None)
        if supplier is None:
            supplier = TPSupplier(ID=supplier_id)
            p.Suppliers.append(supplier)
        supplier.FilterIDs.extend(split(r["supplier_filter_ids"]))
        supplier.AccountIDs.extend(split(r["supplier_account_ids"]))
        supplier.RatingPlanIDs.extend(split(r["supplier_ratingplan_ids"]))
        supplier.ResourceIDs.extend(split(r["supplier_resource_ids"]))
        supplier.StatIDs.extend(split(r["supplier_stat_ids"]))
        set_nonzero(
            supplier,
            Weight=decimal(r["supplier_weight"]),
            Blocker=r["supplier_blocker"],
            SupplierParameters=r["supplier_parameters"],
        )


# -- dispatchers --------------------------------------------------------------------------------


def _dispatcher_rows(p: TPDispatcherProfile) -> list[Row]:
    head = {
        "subsystems": join(p.Subsystems),
        "filter_ids": join(p.FilterIDs),
        "activation_interval": interval_text(p.ActivationInterval),
        "strategy": p.Strategy,
        "strategy_parameters": join(p.StrategyParams),
        "weight": str(p.Weight),
    }
    hosts = [
        {
            "conn_id": h.ID,
            "conn_filter_ids": join(h.FilterIDs),
            "conn_weight": str(h.Weight),
            "conn_blocker": h.Blocker,
            "conn_parameters": join(h.Params),
        }
        for h in p.Hosts
    ]
    return spread(head, hosts)


def _add_dispatcher(p: TPDispatcherProfile, r: Row) -> None:
    add_unique(p.Subsystems, split(r["subsystems"]))
    add_unique(p.FilterIDs, split(r["filter_ids"]))
    set_interval(p, r)
    set_nonzero(p, Strategy=r["strategy"], Weight=decimal(r["weight"]))
    p.StrategyParams.extend(split(r["strategy_parameters"]))
    if conn_id := r["conn_id"]:
        host = next((h for h in p.Hosts if conn_id == h.ID), None)
        if host is None:
            host = TPDispatcherHostProfile(ID=conn_id)
            p.Hosts.append(host)
        add_unique(host.FilterIDs, split(r["conn_filter_ids"]))
        set_nonzero(host, Weight=decimal(r["conn_weight"]), Blocker=r["conn_blocker"])
        host.Params.extend(split(r["conn_parameters"]))


def _add_host_conn(h: TPDispatcherHost, r: Row) -> None:
    if r["address"]:  # CGRateS keeps no connection without an address
        h.Conns.append(
            TPDispatcherHostConn(Address=r["address"], Transport=r["transport"], TLS=r["tls"])
        )


FILTERS: TPKind[TPFilterProfile] = TPKind(
    tp_filters, TPFilterProfile, TENANT_ID, _filter_rows, _add_filter
)
ATTRIBUTES: TPKind[TPAttributeProfile] = TPKind(
    tp_attributes, TPAttributeProfile, TENANT_ID, _attribute_rows, _add_attribute
)
CHARGERS: TPKind[TPChargerProfile] = TPKind(
    tp_chargers,
    TPChargerProfile,
    TENANT_ID,
    lambda p: [
        {
            "filter_ids": join(p.FilterIDs),
            "activation_interval": interval_text(p.ActivationInterval),
            "run_id": p.RunID,
            "attribute_ids": join(p.AttributeIDs),
            "weight": str(p.Weight),
        }
    ],
    _add_charger,
)
RESOURCES: TPKind[TPResourceProfile] = TPKind(
    tp_resources,
    TPResourceProfile,
    TENANT_ID,
    lambda p: [
        {
            "filter_ids": join(p.FilterIDs),
            "activation_interval": interval_text(p.ActivationInterval),
            "usage_ttl": p.UsageTTL,
            "limit": p.Limit,
            "allocation_message": p.AllocationMessage,
            "blocker": p.Blocker,
            "stored": p.Stored,
            "weight": str(p.Weight),
            "threshold_ids": join(p.ThresholdIDs),
        }
    ],
    _add_resource,
)
STATS: TPKind[TPStatProfile] = TPKind(tp_stats, TPStatProfile, TENANT_ID, _stat_rows, _add_stat)
THRESHOLDS: TPKind[TPThresholdProfile] = TPKind(
    tp_thresholds,
    TPThresholdProfile,
    TENANT_ID,
    lambda p: [
        {
            "filter_ids": join(p.FilterIDs),
            "activation_interval": interval_text(p.ActivationInterval),
            "max_hits": p.MaxHits,
            "min_hits": p.MinHits,
            "min_sleep": p.MinSleep,
            "blocker": p.Blocker,
            "weight": str(p.Weight),
            "action_ids": join(p.ActionIDs),
            "async": p.Async,
        }
    ],
    _add_threshold,
)
SUPPLIERS: TPKind[TPSupplierProfile] = TPKind(
    tp_suppliers, TPSupplierProfile, TENANT_ID, _supplier_rows, _add_supplier
)
DISPATCHER_PROFILES: TPKind[TPDispatcherProfile] = TPKind(
    tp_dispatcher_profiles, TPDispatcherProfile, TENANT_ID, _dispatcher_rows, _add_dispatcher
)
DISPATCHER_HOSTS: TPKind[TPDispatcherHost] = TPKind(
    tp_dispatcher_hosts,
    TPDispatcherHost,
    TENANT_ID,
    lambda h: (
        [{"address": c.Address, "transport": c.Transport, "tls": c.TLS} for c in h.Conns] or [{}]
    ),
    _add_host_conn,
)
