"""HTTP intake: /cdr_http forms and FreeSWITCH mod_json_cdr bodies as CDRs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tollgate.cdrs.intake import cdr_from_form, cdr_from_freeswitch
from tollgate.cdrs.models import cgrid_of
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_rfc3339

S = 1_000_000_000


def test_form_main_fields_extra_fields_and_defaults() -> None:
    form = {
        "OriginID": "abc", "OriginHost": "10.0.0.1", "ToR": "*voice", "RequestType": "*postpaid",
        "Tenant": "cgrates.org", "Category": "call", "Account": "1001", "Subject": "1001",
        "Destination": "1002", "SetupTime": "2024-01-01T10:00:00Z",
        "AnswerTime": "2024-01-01T10:00:05Z", "Usage": "35s", "field_extr1": "val1",
        "RunID": "swallowed", "CostDetails": "swallowed", "rated": "true",
    }  # fmt: skip
    cdr = cdr_from_form(form, "127.0.0.1:5555", "UTC")
    assert cdr.cgrid == cgrid_of("abc", "10.0.0.1")
    assert (cdr.source, cdr.usage, cdr.cost, cdr.pre_rated) == (
        "127.0.0.1:5555", 35 * S, Decimal(-1), True,
    )  # fmt: skip
    assert cdr.answer_time.ns == parse_rfc3339("2024-01-01T10:00:05Z").ns
    assert cdr.extra_fields == {"field_extr1": "val1"}
    assert cdr.run_id == ""  # filled by ProcessCDR


def test_form_unreadable_values_and_explicit_ones() -> None:
    cdr = cdr_from_form(
        {"CGRID": "given", "Source": "sbc1", "SetupTime": "never", "Usage": "35",
         "Cost": "abc"}, "ip:1", "UTC",
    )  # fmt: skip
    assert (cdr.cgrid, cdr.source) == ("given", "sbc1")
    assert cdr.setup_time.is_zero
    assert (cdr.usage, cdr.cost) == (35, Decimal(0))  # a bare number is ns; bad cost 0
    assert cdr_from_form({"Cost": "1.25"}, "", "UTC").cost == Decimal("1.25")


FS_BODY = {
    "core-uuid": "x",
    "variables": {
        "uuid": "0a30e7b2-1",
        "FreeSWITCH-IPv4": "10.0.0.9",
        "cgr_reqtype": "*prepaid",
        "user_name": "1001",
        "dialed_extension": "1002",
        "start_epoch": "1704189600",
        "answer_epoch": "1704189605",
        "billsec": "65",
        "sip_user_agent": "PJSIP/2.0",
    },
    "callflow": [{"caller_profile": {"username": "9999", "network_addr": "10.1.1.1"}}],
}
FS_ARGS = {"request_type": "*rated", "tenant": "cgrates.org", "category": "call", "timezone": "UTC"}


def test_freeswitch_body() -> None:
    rules = ["~*req.sip_user_agent", "~*req.network_addr", "~*req.missing", "plain"]
    cdr = cdr_from_freeswitch(json.dumps(FS_BODY).encode(), rules, **FS_ARGS)
    assert (cdr.origin_id, cdr.origin_host) == ("0a30e7b2-1", "10.0.0.9")
    assert cdr.cgrid == cgrid_of("0a30e7b2-1", "10.0.0.9")
    assert (cdr.source, cdr.tor, cdr.request_type, cdr.tenant) == (
        "freeswitch_json", "*voice", "*prepaid", "cgrates.org",
    )  # fmt: skip
    assert (cdr.account, cdr.subject, cdr.destination) == ("1001", "1001", "1002")
    assert cdr.setup_time.ns == parse_rfc3339("2024-01-02T10:00:00Z").ns
    assert cdr.usage == 65 * S
    assert cdr.extra_fields == {
        "sip_user_agent": "PJSIP/2.0",
        "network_addr": "10.1.1.1",  # found outside the variables
        "missing": "",
    }


def test_freeswitch_fallbacks() -> None:
    body = json.loads(json.dumps(FS_BODY))
    variables = body["variables"]
    for key in ("user_name", "dialed_extension", "cgr_reqtype"):
        del variables[key]
    variables.update(cgr_originhost="pbx1", sip_req_user="1003", cgr_subject="S")
    cdr = cdr_from_freeswitch(json.dumps(body).encode(), [], **FS_ARGS)
    assert (cdr.origin_host, cdr.account, cdr.subject) == ("pbx1", "9999", "S")
    assert (cdr.destination, cdr.request_type) == ("1003", "*rated")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"no": "variables"}', b'{"variables": {"billsec": 65}}'],
)
def test_freeswitch_refuses_what_is_not_a_json_cdr(body: bytes) -> None:
    with pytest.raises(TollgateError):
        cdr_from_freeswitch(body, [], **FS_ARGS)
