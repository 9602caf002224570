"""The actions that work on the StorDB's CDR tables: ``*remove_session_costs`` and
``*cdr_account`` (CGRateS v0.10 ``removeSessionCosts`` and ``resetAccountCDR``).

``*remove_session_costs`` reads ExtraParameters as ``;``-separated filter ids (stored
filters of ``general.default_tenant``, or inline ``*type:element:values`` rules) and turns
their rules into a session-costs filter as ``utils.AppendToSMCostFilter`` does: ``*string`` /
``*notstring`` on ``~CGRID``, ``~RunID``, ``~OriginHost``, ``~OriginID``, ``~CostSource``
(also written ``~*req.<Field>``), ``*gte`` / ``*lt`` on ``~Usage``. A filter that is not
found or a rule that is not supported is logged and left out; what remains removes the
matching ``sessions_costs`` rows (all of them when nothing remains, as in CGRateS).

``*cdr_account`` sets the account's balances back to what its last CDR (highest OrderID,
not ``*raw``, with a cost) shows in ``CostDetails.AccountSummary``: each summary balance is
set by UUID (its ID, value and Disabled flag); one the account no longer has is logged and
skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec

from tollgate.accounts.actions_balance import RunState, apply_set_balance, need_account
from tollgate.accounts.actions_posters import ActionHost
from tollgate.accounts.models import StoredBalanceFilter, ValueFormula
from tollgate.core.durations import parse_duration
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.storage.datadb import DataDB
from tollgate.storage.stordb import CDRsFilter, CDRStore, SMCostRecord
from tollgate.tariffplans import TPFilter, TPFilterProfile

__all__ = ["SMCostFilter", "cdr_account_action", "remove_session_costs_action", "sm_cost_filter"]

logger = logging.getLogger(__name__)

_FILTERS = "*filters"
_RAW = "*raw"
_filter_decoder = msgspec.msgpack.Decoder(TPFilterProfile)

CDRStoreFn = Callable[[], CDRStore | None]
CDRAction = Callable[[ActionHost, RunState, int], Awaitable[None]]


@dataclass(slots=True)
class SMCostFilter:
    """``utils.SMCostFilter`` without CreatedAt: what a session cost must match."""

    cgrids: list[str] = field(default_factory=list)
    not_cgrids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    not_run_ids: list[str] = field(default_factory=list)
    origin_hosts: list[str] = field(default_factory=list)
    not_origin_hosts: list[str] = field(default_factory=list)
    origin_ids: list[str] = field(default_factory=list)
    not_origin_ids: list[str] = field(default_factory=list)
    cost_sources: list[str] = field(default_factory=list)
    not_cost_sources: list[str] = field(default_factory=list)
    min_usage: int | None = None
    max_usage: int | None = None

    def simple(self) -> bool:
        """Only inclusion lists the store can delete by directly."""
        return not (
            self.not_cgrids
            or self.not_run_ids
            or self.not_origin_hosts
            or self.not_origin_ids
            or self.cost_sources
            or self.not_cost_sources
            or self.min_usage is not None
            or self.max_usage is not None
        )

    def matches(self, rec: SMCostRecord) -> bool:
        pairs = (
            (rec.cgrid, self.cgrids, self.not_cgrids),
            (rec.run_id, self.run_ids, self.not_run_ids),
            (rec.origin_host, self.origin_hosts, self.not_origin_hosts),
            (rec.origin_id, self.origin_ids, self.not_origin_ids),
            (rec.cost_source, self.cost_sources, self.not_cost_sources),
        )
        for value, wanted, refused in pairs:
            if (wanted and value not in wanted) or value in refused:
                return False
        if self.min_usage is not None and rec.usage < self.min_usage:
            return False
        return self.max_usage is None or rec.usage < self.max_usage


_LISTS = {
    "CGRID": ("cgrids", "not_cgrids"),
    "RunID": ("run_ids", "not_run_ids"),
    "OriginHost": ("origin_hosts", "not_origin_hosts"),
    "OriginID": ("origin_ids", "not_origin_ids"),
    "CostSource": ("cost_sources", "not_cost_sources"),
}


def _field_name(element: str) -> str:
    """``~CGRID`` or ``~*req.CGRID`` → ``CGRID`` (anything else stays as written)."""
    for prefix in ("~*req.", "~"):
        if element.startswith(prefix):
            return element[len(prefix) :]
    return element


def _append(f: SMCostFilter, rule: TPFilter) -> None:
    """``AppendToSMCostFilter``: add one rule; TollgateError for what it does not support."""
    name = _field_name(rule.Element)
    lists = _LISTS.get(name)
    if lists is not None and rule.Type in ("*string", "*notstring"):
        getattr(f, lists[rule.Type == "*notstring"]).extend(rule.Values)
        return
    if name == "Usage" and rule.Type in ("*gte", "*lt") and rule.Values:
        try:
            usage = parse_duration(rule.Values[0])
        except ValueError as exc:
            raise TollgateError(f"Error when converting field: {rule.Element}: {exc}") from None
        if rule.Type == "*gte":
            f.min_usage = usage
        else:
            f.max_usage = usage
        return
    raise TollgateError(f'FilterType: "{rule.Type}" not supported for FieldName: "{rule.Element}"')


def _inline(text: str) -> list[TPFilter]:
    parts = text.split(":", 2)
    if len(parts) != 3:
        raise TollgateError(f"inline parse error for string: <{text}>")
    kind, element, values = parts
    return [TPFilter(Type=kind, Element=element, Values=values.split(";") if values else [])]


async def sm_cost_filter(db: DataDB, tenant: str, extra_parameters: str) -> SMCostFilter:
    """The session-costs filter ExtraParameters' filter ids make (bad parts logged)."""
    result = SMCostFilter()
    for filter_id in extra_parameters.split(";"):
        if not filter_id:
            continue
        try:
            if filter_id.startswith("*"):
                rules = _inline(filter_id)
            else:
                data = await db.get(_FILTERS, f"{tenant}:{filter_id}")
                if data is None:
                    raise NotFoundError()
                rules = _filter_decoder.decode(data).Filters
        except TollgateError as exc:
            logger.warning("<Actions> Error: %s for filter: %s in action: <%s>",
                           exc, filter_id, "*remove_session_costs")  # fmt: skip
            continue
        for rule in rules:
            try:
                _append(result, rule)
            except TollgateError as exc:
                logger.warning("<Actions> %s in action: <%s>", exc, "*remove_session_costs")
    return result


def _need_store(store: CDRStoreFn, action: str) -> CDRStore:
    db = store()
    if db is None:
        raise TollgateError(f"nil cdrStorage for {action} action")
    return db


def remove_session_costs_action(db: Callable[[], DataDB], store: CDRStoreFn) -> CDRAction:
    async def run(host: ActionHost, state: RunState, index: int) -> None:
        """``removeSessionCosts``: runs with or without an account."""
        cdrs = _need_store(store, "*remove_session_costs")
        tenant = host.cfg().general.default_tenant
        f = await sm_cost_filter(db(), tenant, state.actions[index].extra_parameters)
        if f.simple():
            await cdrs.remove_sm_costs(f.cgrids, f.run_ids, f.origin_hosts, f.origin_ids)
            return
        for rec in await cdrs.get_sm_costs():
            if f.matches(rec):
                await cdrs.remove_sm_costs(
                    [rec.cgrid], [rec.run_id], [rec.origin_host], [rec.origin_id]
                )

    return run


class _BalanceSummary(msgspec.Struct):
    UUID: str = ""
    ID: str = ""
    Type: str = ""
    Value: Decimal = Decimal(0)
    Disabled: bool = False


class _AccountSummary(msgspec.Struct):
    BalanceSummaries: list[_BalanceSummary | None] | None = None


class _CostDetails(msgspec.Struct):
    AccountSummary: _AccountSummary | None = None


_details_decoder = msgspec.json.Decoder(_CostDetails | None)


def cdr_account_action(store: CDRStoreFn) -> CDRAction:
    async def run(host: ActionHost, state: RunState, index: int) -> None:
        """``resetAccountCDR``: the balances as the account's last CDR left them."""
        acc = need_account(state)
        cdrs = _need_store(store, "*cdr_account")
        tenant, _, name = acc.ID.partition(":")
        found = await cdrs.get_cdrs(
            CDRsFilter(
                tenants=[tenant],
                accounts=[name],
                not_run_ids=[_RAW],
                not_costs=[Decimal(-1)],
                order_by="OrderID;desc",
                limit=1,
            )
        )
        if not found:
            raise NotFoundError()
        try:
            details = _details_decoder.decode(found[0].cost_details or "null")
        except msgspec.DecodeError as exc:
            raise TollgateError(f"CostDetails: {exc}") from None
        if details is None:
            raise TollgateError("nil CostDetails")
        if details.AccountSummary is None:
            raise TollgateError("nil AccountSummary")
        for summary in details.AccountSummary.BalanceSummaries or ():
            if summary is None:
                continue
            bf = StoredBalanceFilter(
                Uuid=summary.UUID,
                ID=summary.ID,
                Type=summary.Type,
                Value=ValueFormula(Static=summary.Value),
                Disabled=summary.Disabled,
            )
            try:
                apply_set_balance(acc, bf, state.now_ns)
            except TollgateError as exc:
                logger.warning("<Actions> Error %s setting balance %s for account: %s",
                               exc, summary.UUID, name)  # fmt: skip

    return run
