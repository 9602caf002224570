"""The actions that call other services: ``*cgr_rpc``, ``*publish_account``,
``*publish_balance``, ``*cdrlog``, ``*set_ddestinations`` (the two that read the StorDB's
CDR tables are in :mod:`.actions_cdrs`).

``*cgr_rpc`` renders its ExtraParameters as a Go template with ``<<`` ``>>`` delimiters
(fields of ``.Account``, ``.Action``, ``.Actions``, ``.ExtraData``; ``.Account.GetID``),
reads ``{Address, Transport, Method, Attempts, Async, Params}`` from it and calls the method:
``*internal`` through this engine's router, an ``rpc_conns`` id through its pool, any other
address over a new JSON-RPC connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from tollgate.accounts.actions_balance import RunState, need_account
from tollgate.accounts.actions_models import Action, formula_value, go_float_text
from tollgate.accounts.actions_posters import ActionHost
from tollgate.accounts.models import ZERO_TIME_TEXT, Account, StoredBalanceFilter
from tollgate.apier import PARTITIONS, ApierService
from tollgate.core.errors import NotFoundError, ReplyTimeoutError, TollgateError
from tollgate.core.times import format_rfc3339, parse_rfc3339
from tollgate.rpc.client import RpcClient
from tollgate.rpc.pool import INTERNAL, Conn
from tollgate.tariffplans import TPDestination

__all__ = ["RPC_ACTIONS", "ApierDestinations", "DestinationWriter", "render_template"]

logger = logging.getLogger(__name__)

_STATS_PROCESS = "StatSv1.ProcessEvent"
_THRESHOLDS_PROCESS = "ThresholdSv1.ProcessEvent"
_CDRS_PROCESS = "CDRsV1.ProcessEvent"
_NOT_FOUND = "NOT_FOUND"
_DESTINATIONS = next(p for p in PARTITIONS if p.kind == "*destinations")


class DestinationWriter(Protocol):
    """Reads and replaces one destination (``*set_ddestinations``)."""

    async def destination(self, dest_id: str) -> TPDestination | None: ...

    async def set_destination(self, dest: TPDestination) -> None: ...


class ApierDestinations:
    """Destinations in the DataDB's ``*destinations`` partition, written through
    ``ApierService.apply`` so rating is rebuilt with the new prefixes."""

    def __init__(self, apier: ApierService) -> None:
        self.apier = apier

    async def destination(self, dest_id: str) -> TPDestination | None:
        data = await self.apier.db.get(_DESTINATIONS.kind, dest_id)
        return None if data is None else _DESTINATIONS.decode(data)

    async def set_destination(self, dest: TPDestination) -> None:
        await self.apier.apply({_DESTINATIONS.kind: {dest.ID: _DESTINATIONS.encode(dest)}})


# -- the *cgr_rpc template --------------------------------------------------------------------

_ACTION = re.compile(r"<<-?\s*(.*?)\s*-?>>", re.DOTALL)
_PATH = re.compile(r"\.(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?")
_HTML = {"\0": "\ufffd", '"': "&#34;", "&": "&amp;", "'": "&#39;", "+": "&#43;",
         "<": "&lt;", ">": "&gt;"}  # fmt: skip


class _Struct(dict[str, Any]):
    """A Go struct in the template's eyes: a missing field is an error, not "<no value>"."""

    def __init__(self, type_name: str, fields: dict[str, Any]) -> None:
        super().__init__(fields)
        self.type_name = type_name


def _filter_view(bf: StoredBalanceFilter) -> _Struct:
    return _Struct("*engine.BalanceFilter", msgspec.to_builtins(bf, builtin_types=(Decimal,)))


def _account_view(acc: Account) -> _Struct:
    fields = msgspec.to_builtins(acc, builtin_types=(Decimal,))
    _, sep, name = acc.ID.partition(":")
    fields["GetID"] = name if sep and ":" not in name else ""
    return _Struct("*engine.Account", fields)


def _action_view(action: Action, bf: StoredBalanceFilter) -> _Struct:
    return _Struct(
        "*engine.Action",
        {
            "Id": action.id,
            "ActionType": action.action_type,
            "ExtraParameters": action.extra_parameters,
            "Filter": action.filter,
            "ExpirationString": action.expiration_string,
            "Weight": action.weight,
            "Balance": _filter_view(bf),
        },
    )


def _print(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float):
        return go_float_text(Decimal(str(value)))
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_print(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_print(v) for v in value) + "]"
    return str(value)


def _resolve(path: str, data: _Struct) -> Any:
    value: Any = data
    walked = ""
    for name in path.strip(".").split(".") if path != "." else ():
        if value is None:
            raise TollgateError(
                f'template: extra_params: executing "extra_params" at <{walked}.{name}>: '
                f"nil pointer evaluating {walked or '.'}.{name}"
            )
        if isinstance(value, _Struct):
            if name not in value:
                raise TollgateError(
                    f'template: extra_params: executing "extra_params" at <{walked}.{name}>: '
                    f"can't evaluate field {name} in type {value.type_name}"
                )
            value = value[name]
        elif isinstance(value, dict):
            value = value.get(name, "<no value>")
        else:
            raise TollgateError(
                f'template: extra_params: executing "extra_params" at <{walked}.{name}>: '
                f"can't evaluate field {name} in type {type(value).__name__}"
            )
        walked += f".{name}"
    return value


def render_template(text: str, data: _Struct) -> str:
    """Go's ``html/template`` with ``<<`` ``>>`` delimiters, for field paths only."""
    out: list[str] = []
    pos = 0
    for match in _ACTION.finditer(text):
        out.append(text[pos : match.start()])
        expr = match.group(1)
        if not _PATH.fullmatch(expr):
            raise TollgateError(
                f"template: extra_params: unsupported action <<{expr}>>: only field paths "
                "like <<.Account.ID>> are supported"
            )
        printed = _print(_resolve(expr, data))
        out.append("".join(_HTML.get(ch, ch) for ch in printed))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _field(req: dict[str, Any], name: str) -> Any:
    """``json.Unmarshal``'s case-insensitive field match."""
    if name in req:
        return req[name]
    for key, value in req.items():
        if key.lower() == name.lower():
            return value
    return None


async def _cgr_rpc(host: ActionHost, state: RunState, index: int) -> None:
    action = state.actions[index]
    data = _Struct(
        "struct",
        {
            "Account": _account_view(state.account) if state.account is not None else None,
            "Action": _action_view(action, state.filters[index]),
            "Actions": [_action_view(a, f) for a, f in zip(state.actions, state.filters,
                                                           strict=True)],
            "ExtraData": state.extra_data,
        },
    )  # fmt: skip
    rendered = render_template(action.extra_parameters, data)
    try:
        req = json.loads(rendered, parse_float=Decimal)
    except ValueError as exc:
        raise TollgateError(f"*cgr_rpc: ExtraParameters are not JSON: {exc}") from None
    if not isinstance(req, dict):
        raise TollgateError("*cgr_rpc: ExtraParameters must be a JSON object")
    method = str(_field(req, "Method") or "")
    router = host.conn_manager().router
    if router is None or router.get(method) is None:
        raise NotFoundError()  # GetRpcParams knows only the methods this engine serves
    params = _field(req, "Params") or {}
    address = str(_field(req, "Address") or "")
    conn, owned = _connection(host, address, req)
    timeout = host.cfg().general.reply_timeout / 1e9 or None
    logger.info("<*cgr_rpc> calling: %s with: %s", method, json.dumps(params, default=str))

    async def call() -> Any:
        try:
            if address == INTERNAL:
                # an internal call into an account this run holds would wait forever
                try:
                    return await asyncio.wait_for(conn.call(method, params), timeout)
                except TimeoutError:
                    raise ReplyTimeoutError() from None
            return await conn.call(method, params)
        finally:
            if owned:
                await conn.close()

    if bool(_field(req, "Async")):

        async def background() -> None:
            try:
                result = await call()
            except Exception as exc:
                logger.info("<*cgr_rpc> result: null err: %s", exc)
            else:
                logger.info("<*cgr_rpc> result: %s err: <nil>", result)

        host.spawn(background())
        return
    try:
        result = await call()
    except TollgateError:
        raise
    except Exception as exc:
        raise TollgateError(str(exc) or type(exc).__name__) from exc
    logger.info("<*cgr_rpc> result: %s err: <nil>", result)


def _connection(host: ActionHost, address: str, req: dict[str, Any]) -> tuple[Conn, bool]:
    """The connection for ``Address``; True when it is a new one the call must close."""
    manager = host.conn_manager()
    if address == INTERNAL or address in host.cfg().rpc_conns:
        return manager.resolve(address), False
    general = host.cfg().general
    attempts = _field(req, "Attempts")
    try:
        client = RpcClient(
            address,
            transport=str(_field(req, "Transport") or "*json"),
            connect_timeout=general.connect_timeout / 1e9,
            reply_timeout=general.reply_timeout / 1e9,
            connect_attempts=attempts if isinstance(attempts, int) and attempts > 0 else 1,
            reconnects=0,
        )
    except ValueError as exc:
        raise TollgateError(str(exc)) from None
    return client, True


# -- publishing -------------------------------------------------------------------------------


def _tenant_and_id(account_id: str) -> tuple[str, str]:
    """``utils.NewTenantID``: ``tenant:id`` (an id without ``:`` has no tenant)."""
    tenant, sep, name = account_id.partition(":")
    return (tenant, name) if sep else ("", account_id)


def _account_event(acc: Account) -> dict[str, Any]:
    tenant, name = _tenant_and_id(acc.ID)
    return {
        "Tenant": tenant,
        "ID": str(uuid.uuid4()),
        "Time": None,
        "Event": {
            "EventType": "AccountUpdate",
            "EventSource": "AccountS",
            "Account": name,
            "AllowNegative": acc.AllowNegative,
            "Disabled": acc.Disabled,
        },
    }


def _balance_events(acc: Account) -> list[dict[str, Any]]:
    tenant, name = _tenant_and_id(acc.ID)
    events = []
    for balances in (acc.BalanceMap or {}).values():
        for b in balances:
            event: dict[str, Any] = {
                "EventType": "BalanceUpdate",
                "EventSource": "AccountS",
                "Account": name,
                "BalanceID": b.ID,
                "Units": b.Value,
            }
            if b.ExpirationDate != ZERO_TIME_TEXT:
                when = parse_rfc3339(b.ExpirationDate)
                event["ExpiryTime"] = format_rfc3339(when.ns - when.ns % 1_000_000_000, when.tz)
            events.append({"Tenant": tenant, "ID": str(uuid.uuid4()), "Time": None,
                           "Event": event})  # fmt: skip
    return events


def _publish(host: ActionHost, events: list[dict[str, Any]]) -> None:
    """Send to ``rals.stats_conns`` and ``rals.thresholds_conns`` in the background (as Go's
    goroutines); nothing when neither is configured."""
    rals = host.cfg().rals
    targets = [
        (rals.stats_conns, _STATS_PROCESS, "StatIDs"),
        (rals.thresholds_conns, _THRESHOLDS_PROCESS, "ThresholdIDs"),
    ]
    for conn_ids, method, ids_field in targets:
        if not conn_ids:
            continue
        for event in events:
            args = {ids_field: None, **event}
            host.spawn(_send(host, list(conn_ids), method, args))


async def _send(host: ActionHost, conn_ids: list[str], method: str, args: dict[str, Any]) -> None:
    try:
        await host.conn_manager().call(conn_ids, method, args)
    except Exception as exc:
        if str(exc) != _NOT_FOUND:
            logger.warning("<AccountS> error: %s processing event %s with %s", exc, args, method)


async def _publish_account(host: ActionHost, state: RunState, index: int) -> None:
    acc = need_account(state)
    _publish(host, [_account_event(acc), *_balance_events(acc)])


async def _publish_balance(host: ActionHost, state: RunState, index: int) -> None:
    _publish(host, _balance_events(need_account(state)))


# -- *cdrlog ------------------------------------------------------------------------------------

_LOGGED = frozenset({"*debit", "*debit_reset", "*set_balance", "*topup", "*topup_reset"})
_CDR_TEXT = frozenset(
    {"CGRID", "RunID", "OriginHost", "Source", "OriginID", "ToR", "RequestType", "Tenant",
     "Category", "Account", "Subject", "Destination", "ExtraInfo", "CostSource"}
)  # fmt: skip
_CDR_INT = frozenset({"OrderID", "Usage"})
_CDR_OTHER = frozenset(
    {"SetupTime", "AnswerTime", "ExtraFields", "Partial", "PreRated", "CostDetails"}
)
_DEFAULT_TEMPLATE = {
    "ToR": "~BalanceType",
    "OriginHost": "127.0.0.1",
    "RequestType": "*none",
    "Tenant": "~Tenant",
    "Account": "~Account",
    "Subject": "~Account",
    "Cost": "~ActionValue",
}


def _cdrlog_field(state: RunState, index: int, name: str) -> str:
    """``cdrLogProvider.FieldAsInterface``: what ``~name`` reads for action ``index``."""
    action, bf = state.actions[index], state.filters[index]
    acc = state.account
    tenant, account = _tenant_and_id(acc.ID) if acc is not None else ("", "")
    values: dict[str, Callable[[], str]] = {
        "AccountID": lambda: acc.ID if acc is not None else "",
        "Tenant": lambda: tenant,
        "Account": lambda: account,
        "ActionID": lambda: action.id,
        "ActionType": lambda: action.action_type,
        "ActionValue": lambda: go_float_text(formula_value(bf.Value, state.now_ns)),
        "BalanceType": lambda: bf.Type or "",
        "BalanceUUID": lambda: bf.Uuid or "",
        "BalanceID": lambda: bf.ID or "",
        "BalanceValue": lambda: go_float_text(state.balance_values.get(index, Decimal(0))),
        "DestinationIDs": lambda: ";".join(sorted(bf.DestinationIDs or {})),
        "ExtraParameters": lambda: action.extra_parameters,
        "RatingSubject": lambda: bf.RatingSubject or "",
        "Category": lambda: ";".join(sorted(bf.Categories or {})),
        "SharedGroups": lambda: ";".join(sorted(bf.SharedGroups or {})),
    }
    getter = values.get(name)
    return getter() if getter is not None else name


def _rsr_value(rules: str, sep: str, state: RunState, index: int) -> str:
    """An RSR template value: ``~Field`` parts read the provider, the rest is literal."""
    parts = rules.split(sep) if sep else [rules]
    return "".join(
        _cdrlog_field(state, index, part[1:].split(":", 1)[0])
        if part.startswith("~") and len(part) > 1
        else part
        for part in parts
    )


def _cdr_event(state: RunState, index: int, template: dict[str, str], sep: str) -> dict[str, Any]:
    now = format_rfc3339(state.now_ns)
    origin_id = str(uuid.uuid4())
    cdr: dict[str, Any] = {
        "CGRID": hashlib.sha1(origin_id.encode(), usedforsecurity=False).hexdigest(),
        "RunID": state.actions[index].action_type, "OrderID": 0, "OriginHost": "",
        "Source": "*cdrlog", "OriginID": origin_id, "ToR": "", "RequestType": "",
        "Tenant": "", "Category": "", "Account": "", "Subject": "", "Destination": "",
        "SetupTime": now, "AnswerTime": now, "Usage": 1, "ExtraInfo": "", "Partial": False,
        "PreRated": True, "CostSource": "", "Cost": 0, "CostDetails": None,
    }  # fmt: skip
    extra: dict[str, str] = {}
    for key, rules in template.items():
        value = _rsr_value(rules, sep, state, index)
        if key in _CDR_TEXT:
            cdr[key] = value
        elif key == "Cost":
            try:
                cdr[key] = Decimal(value)
            except ArithmeticError:
                continue
        elif key in _CDR_INT:
            if value.lstrip("+-").isdigit():
                cdr[key] = int(value)
        elif key not in _CDR_OTHER:
            extra[key] = value
    return {**extra, **cdr}


async def _cdrlog(host: ActionHost, state: RunState, index: int) -> None:
    """``cdrLogAction``: one CDR per balance action of the run, sent to ``CDRsV1.ProcessEvent``
    through ``schedulers.cdrs_conns``."""
    cfg = host.cfg()
    conns = list(cfg.schedulers.cdrs_conns)
    if not conns:
        raise TollgateError("No connection with CDR Server")
    action = state.actions[index]
    template = dict(_DEFAULT_TEMPLATE)
    if action.extra_parameters:
        try:
            custom = json.loads(action.extra_parameters)
        except ValueError as exc:
            raise TollgateError(str(exc)) from None
        if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
            raise TollgateError("json: cannot unmarshal ExtraParameters into map[string]string")
        template.update(custom)
    if isinstance(state.extra_data, dict):
        template.update({str(k): _plain(v) for k, v in state.extra_data.items()})
    sep = cfg.general.rsr_separator
    for i, other in enumerate(state.actions):
        if other.action_type not in _LOGGED:
            continue
        event = _cdr_event(state, i, template, sep)
        args = {
            "Flags": ["*chargers:false"],
            "Tenant": event["Tenant"],
            "ID": str(uuid.uuid4()),
            "Time": event["AnswerTime"],
            "Event": event,
        }
        await host.conn_manager().call(conns, _CDRS_PROCESS, args)


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


# -- destinations -------------------------------------------------------------------------------


def set_ddestinations_action(
    writer: DestinationWriter | None,
) -> Callable[[ActionHost, RunState, int], Awaitable[None]]:
    async def run(host: ActionHost, state: RunState, index: int) -> None:
        """``setddestinations``: the account's ``*ddc`` destination takes the prefixes the
        ``*ddc`` metric of the StatQueues in ExtraParameters has seen."""
        acc = need_account(state)
        ddc_id = next(
            (
                dest
                for balances in (acc.BalanceMap or {}).values()
                for b in balances
                for dest in sorted(b.DestinationIDs)
                if dest.startswith("*ddc")
            ),
            "",
        )
        if not ddc_id:
            raise NotFoundError()
        cfg = host.cfg()
        prefixes: dict[str, None] = {}
        for stat_id in state.actions[index].extra_parameters.split(";"):
            if not stat_id:
                continue
            queue = await host.conn_manager().call(
                list(cfg.rals.stats_conns),
                "StatSv1.GetStatQueue",
                {"Tenant": cfg.general.default_tenant, "ID": stat_id},
            )
            metric = ((queue or {}).get("SQMetrics") or {}).get("*ddc")
            for prefix in (metric or {}).get("FieldValues") or {}:
                prefixes[str(prefix)] = None
        if writer is None or await writer.destination(ddc_id) is None:
            raise NotFoundError()
        await writer.set_destination(TPDestination(ID=ddc_id, Prefixes=list(prefixes)))

    return run


RpcAction = Callable[[ActionHost, RunState, int], Awaitable[None]]

RPC_ACTIONS: dict[str, RpcAction] = {
    "*cgr_rpc": _cgr_rpc,
    "*publish_account": _publish_account,
    "*publish_balance": _publish_balance,
    "*cdrlog": _cdrlog,
}
