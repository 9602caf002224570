"""CDR filters from the wire (``RPCCDRsFilter``, APIerSv1's ``AttrGetCdrs``) to the StorDB's
:class:`~tollgate.storage.stordb.CDRsFilter` (``AsCDRsFilter``): times parsed in the default
timezone, usage bounds as durations, ExtraArgs read as v0.10 reads them."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Final

from tollgate.cdrs.args import AttrGetCdrs, RPCCDRsFilter
from tollgate.core.durations import parse_duration
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_time_detect_layout
from tollgate.filters import as_decimal
from tollgate.storage.stordb import CDRsFilter

__all__ = ["legacy_filter", "rpc_filter"]

logger = logging.getLogger(__name__)

ORDER_ID_START: Final = "OrderIDStart"
ORDER_ID_END: Final = "OrderIDEnd"
MIN_COST: Final = "MinCost"
MAX_COST: Final = "MaxCost"


def _time(text: str, timezone: str) -> int | None:
    if not text:
        return None
    try:
        return parse_time_detect_layout(text, timezone).ns
    except ValueError as exc:
        raise TollgateError(str(exc)) from None


def _usage(text: str) -> int | None:
    if not text:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise TollgateError(str(exc)) from None


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {value} to int")
    try:
        return int(value) if not isinstance(value, str) else int(value.strip())
    except (TypeError, ValueError):
        raise TollgateError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def rpc_filter(args: RPCCDRsFilter | None, timezone: str) -> CDRsFilter:
    """``RPCCDRsFilter.AsCDRsFilter``; TollgateError for a bad time, usage or ExtraArg."""
    if args is None:
        return CDRsFilter()
    f = CDRsFilter(
        cgrids=args.CGRIDs or (),
        not_cgrids=args.NotCGRIDs or (),
        run_ids=args.RunIDs or (),
        not_run_ids=args.NotRunIDs or (),
        origin_ids=args.OriginIDs or (),
        not_origin_ids=args.NotOriginIDs or (),
        origin_hosts=args.OriginHosts or (),
        not_origin_hosts=args.NotOriginHosts or (),
        sources=args.Sources or (),
        not_sources=args.NotSources or (),
        tors=args.ToRs or (),
        not_tors=args.NotToRs or (),
        request_types=args.RequestTypes or (),
        not_request_types=args.NotRequestTypes or (),
        tenants=args.Tenants or (),
        not_tenants=args.NotTenants or (),
        categories=args.Categories or (),
        not_categories=args.NotCategories or (),
        accounts=args.Accounts or (),
        not_accounts=args.NotAccounts or (),
        subjects=args.Subjects or (),
        not_subjects=args.NotSubjects or (),
        destination_prefixes=args.DestinationPrefixes or (),
        not_destination_prefixes=args.NotDestinationPrefixes or (),
        costs=args.Costs or (),
        not_costs=args.NotCosts or (),
        extra_fields=args.ExtraFields or {},
        not_extra_fields=args.NotExtraFields or {},
        setup_time_start=_time(args.SetupTimeStart, timezone),
        setup_time_end=_time(args.SetupTimeEnd, timezone),
        answer_time_start=_time(args.AnswerTimeStart, timezone),
        answer_time_end=_time(args.AnswerTimeEnd, timezone),
        created_at_start=_time(args.CreatedAtStart, timezone),
        created_at_end=_time(args.CreatedAtEnd, timezone),
        updated_at_start=_time(args.UpdatedAtStart, timezone),
        updated_at_end=_time(args.UpdatedAtEnd, timezone),
        min_usage=_usage(args.MinUsage),
        max_usage=_usage(args.MaxUsage),
        order_id_start=args.OrderIDStart,
        order_id_end=args.OrderIDEnd,
        min_cost=args.MinCost,
        max_cost=args.MaxCost,
        order_by=args.OrderBy,
        limit=args.Limit,
        offset=args.Offset,
    )
    extra = args.ExtraArgs or {}
    if ORDER_ID_START in extra:
        f.order_id_start = _int(extra[ORDER_ID_START])
    if ORDER_ID_END in extra:
        f.order_id_end = _int(extra[ORDER_ID_END])
    if MIN_COST in extra:
        f.min_cost = as_decimal(extra[MIN_COST])
    if MAX_COST in extra:
        f.max_cost = as_decimal(extra[MAX_COST])
    return f


def legacy_filter(args: AttrGetCdrs | None, timezone: str) -> CDRsFilter:
    """``AttrGetCdrs.AsCDRsFilter``: TimeStart/TimeEnd bound the answer time; SkipRated
    keeps the unrated CDRs, SkipErrors those without rating errors."""
    if args is None:
        return CDRsFilter()
    f = CDRsFilter(
        cgrids=args.CgrIds or (),
        run_ids=args.MediationRunIds or (),
        tors=args.TORs or (),
        origin_hosts=args.CdrHosts or (),
        sources=args.CdrSources or (),
        request_types=args.ReqTypes or (),
        tenants=args.Tenants or (),
        categories=args.Categories or (),
        accounts=args.Accounts or (),
        subjects=args.Subjects or (),
        destination_prefixes=args.DestinationPrefixes or (),
        order_id_start=args.OrderIdStart,
        order_id_end=args.OrderIdEnd,
        answer_time_start=_time(args.TimeStart, timezone),
        answer_time_end=_time(args.TimeEnd, timezone),
        order_by=args.OrderBy,
        limit=args.Limit,
        offset=args.Offset,
    )
    if args.SkipRated:
        f.max_cost = Decimal(-1)
    elif args.SkipErrors:
        f.min_cost, f.max_cost = Decimal(0), Decimal(-1)
    return f
