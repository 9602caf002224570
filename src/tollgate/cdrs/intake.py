"""HTTP CDR intake (PROTOCOLS.md §6), on the HTTP listener while ``cdrs.enabled``.

* ``http.http_cdrs`` (``/cdr_http``): one CDR per request from the query string and/or an
  urlencoded body (the body wins, the first value of a key counts): the main fields by
  name, ``rated`` as PreRated, ``Cost`` (default -1), ``Usage`` a duration (a bare number
  is ns), Source the client's ``ip:port`` unless given; every other key an extra field.
* ``http.freeswitch_cdrs_url`` (``/freeswitch_json``): a FreeSWITCH ``mod_json_cdr`` body,
  read from its ``variables`` (``cgr_*`` channel variables, else FreeSWITCH's own) with
  ``cdrs.extra_fields`` (``~*req.<name>``) looked up in the variables, else anywhere.

Both hand the CDR to ProcessCDR and answer 200 with an empty body whatever happens
(failures are logged), as v0.10 does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from aiohttp import web

from tollgate.cdrs.models import (
    ACCOUNT,
    ANSWER_TIME,
    CATEGORY,
    CDR,
    CGRID,
    DESTINATION,
    MAIN_CDR_FIELDS,
    ORIGIN_HOST,
    ORIGIN_ID,
    REQUEST_TYPE,
    SETUP_TIME,
    SOURCE,
    SUBJECT,
    TENANT,
    TOR,
    USAGE,
    cgrid_of,
)
from tollgate.cdrs.service import CDRService
from tollgate.core.durations import SECOND, parse_duration
from tollgate.core.errors import TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.filters import RSRParser, as_string

__all__ = ["HttpIntake", "cdr_from_form", "cdr_from_freeswitch"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RATED: Final = "rated"
FS_SOURCE: Final = "freeswitch_json"
REQ_PREFIX: Final = "*req."


def _time(text: str, timezone: str) -> GoTime:
    try:
        return parse_time_detect_layout(text, timezone)
    except ValueError:
        return parse_time_detect_layout("")


def _usage(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError:
        return 0


def cdr_from_form(form: Mapping[str, str], source: str, timezone: str) -> CDR:
    """``CgrCdr.AsCDR``: unreadable times are the zero time, an unreadable usage or cost 0."""
    cdr = CDR(
        cgrid=form.get(CGRID) or cgrid_of(form.get(ORIGIN_ID, ""), form.get(ORIGIN_HOST, "")),
        tor=form.get(TOR, ""),
        origin_id=form.get(ORIGIN_ID, ""),
        origin_host=form.get(ORIGIN_HOST, ""),
        source=form.get(SOURCE, source),
        request_type=form.get(REQUEST_TYPE, ""),
        tenant=form.get(TENANT, ""),
        category=form.get(CATEGORY, ""),
        account=form.get(ACCOUNT, ""),
        subject=form.get(SUBJECT, ""),
        destination=form.get(DESTINATION, ""),
        setup_time=_time(form.get(SETUP_TIME, ""), timezone),
        answer_time=_time(form.get(ANSWER_TIME, ""), timezone),
        usage=_usage(form.get(USAGE, "")),
        extra_fields={k: v for k, v in form.items() if k not in MAIN_CDR_FIELDS},
        cost=Decimal(-1),
    )
    if "Cost" in form:
        try:
            cdr.cost = Decimal(form["Cost"].strip())
        except InvalidOperation:
            cdr.cost = Decimal(0)
    if RATED in form:
        cdr.pre_rated = form[RATED].strip() in ("1", "t", "T", "true", "TRUE", "True")
    return cdr


def _search(name: str, body: Any) -> str:
    """``searchExtraField``: the first string or number under ``name`` anywhere."""
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
                if key == name:
                    return as_string(value)
            elif isinstance(value, dict | list):
                found = _search(name, value)
                if found:
                    return found
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, dict):
                found = _search(name, item)
                if found:
                    return found
    return ""


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def cdr_from_freeswitch(
    body: bytes,
    extra_fields: list[str],
    *,
    request_type: str,
    tenant: str,
    category: str,
    timezone: str,
) -> CDR:
    """``FSCdr.AsCDR``; TollgateError for a body that is not a mod_json_cdr document."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise TollgateError(f"invalid FreeSWITCH JSON CDR: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("variables"), dict):
        raise TollgateError("invalid FreeSWITCH JSON CDR: no variables object")
    variables = doc["variables"]
    bad = sorted(k for k, v in variables.items() if not isinstance(v, str))
    if bad:  # Go panics on these; we refuse the CDR
        raise TollgateError(f"FreeSWITCH JSON CDR variables must be strings: {bad}")
    v: dict[str, str] = variables
    origin_id = v.get("uuid", "")
    origin_host = _first(v.get("cgr_originhost", ""), v.get("FreeSWITCH-IPv4", ""))
    username = _first(v.get("user_name", ""), _search("username", doc))
    extras: dict[str, str] = {}
    for rule in extra_fields:
        try:
            parser = RSRParser(rule)
        except TollgateError as exc:
            logger.warning("<CDRs> cdrs.extra_fields rule %r: %s", rule, exc)
            continue
        if not parser.attr_name.startswith(REQ_PREFIX):
            continue
        name = parser.attr_name[len(REQ_PREFIX) :]
        raw = v[name] if name in v else _search(name, doc)
        try:
            extras[name] = parser.parse_value(raw)
        except TollgateError:
            continue
    try:
        billsec = int(Decimal(v.get("billsec", "0") or "0") * SECOND)
    except InvalidOperation:
        billsec = 0
    return CDR(
        cgrid=cgrid_of(origin_id, origin_host),
        tor="*voice",
        origin_id=origin_id,
        origin_host=origin_host,
        source=FS_SOURCE,
        request_type=_first(v.get("cgr_reqtype", ""), request_type),
        tenant=_first(v.get("cgr_tenant", ""), tenant),
        category=_first(v.get("cgr_category", ""), category),
        account=_first(v.get("cgr_account", ""), username),
        subject=_first(v.get("cgr_subject", ""), v.get("cgr_account", ""), username),
        destination=_first(
            v.get("cgr_destination", ""), v.get("dialed_extension", ""), v.get("sip_req_user", "")
        ),
        setup_time=_time(v.get("start_epoch", ""), timezone),
        answer_time=_time(v.get("answer_epoch", ""), timezone),
        usage=billsec,
        extra_fields=extras,
        cost=Decimal(-1),
    )


class HttpIntake:
    """The two HTTP handlers, bound to the CDR service."""

    def __init__(self, service: CDRService) -> None:
        self.service = service

    def routes(self) -> list[tuple[str, str, Handler]]:
        """``(method, path, handler)`` for the configured, non-empty URLs."""
        http = self.service.cfg().http
        out: list[tuple[str, str, Handler]] = []
        if http.http_cdrs:
            out.append(("*", http.http_cdrs, self.cgr_cdr))
        if http.freeswitch_cdrs_url:
            out.append(("*", http.freeswitch_cdrs_url, self.freeswitch_cdr))
        return out

    async def cgr_cdr(self, request: web.Request) -> web.Response:
        form: dict[str, str] = {}
        for key in request.query:
            form.setdefault(key, request.query.getone(key))
        if request.content_type == "application/x-www-form-urlencoded":
            posted = await request.post()
            for key in posted:
                value = posted.getone(key)
                if isinstance(value, str):
                    form[key] = value
        peer = request.transport.get_extra_info("peername") if request.transport else None
        source = f"{peer[0]}:{peer[1]}" if peer else ""
        cdr = cdr_from_form(form, source, self.service.timezone)
        await self._process(cdr)
        return web.Response(status=200)

    async def freeswitch_cdr(self, request: web.Request) -> web.Response:
        general = self.service.cfg().general
        try:
            cdr = cdr_from_freeswitch(
                await request.read(),
                list(self.service.settings.extra_fields),
                request_type=general.default_request_type,
                tenant=general.default_tenant,
                category=general.default_category,
                timezone=general.default_timezone,
            )
        except TollgateError as exc:
            logger.error("<CDRs> could not create CDR entry: %s", exc)
            return web.Response(status=200)
        await self._process(cdr)
        return web.Response(status=200)

    async def _process(self, cdr: CDR) -> None:
        try:
            await self.service.process_cdr(cdr)
        except TollgateError as exc:
            logger.warning("<CDRs> processing CDR <%s>: %s", cdr.cgrid, exc)
