"""Every data converter: one table of (definition, input, output) and the bad definitions."""

from __future__ import annotations

import pytest

from tollgate.core.errors import TollgateError
from tollgate.filters.converters import CONVERTER_NAMES, convert_string, new_converter

CASES: list[tuple[str, str, str]] = [
    ("*duration_seconds", "1m30s", "90"),
    ("*duration_seconds", "1500ms", "1.5"),
    ("*duration_seconds", "90000000000", "90"),  # a bare number is nanoseconds
    ("*duration_nanoseconds", "1m", "60000000000"),
    ("*duration_nanoseconds", "15", "15"),
    ("*duration", "90000000000", "1m30s"),
    ("*duration", "1h2m3.5s", "1h2m3.5s"),
    ("*duration", "0", "0s"),
    ("*round", "2.5", "3"),
    ("*round:2", "1.23456", "1.23"),
    ("*round:2:*up", "1.23156", "1.24"),
    ("*round:2:*down", "1.23956", "1.23"),
    ("*round:1:*middle", "1.25", "1.3"),
    ("*round:0", "-1.5", "-2"),
    ("*multiply:1000", "1.5", "1500"),
    ("*multiply:0.5", "3", "1.5"),
    ("*divide:60", "90", "1.5"),
    ("*divide:3", "1", "0.3333333333333333333333333333"),
    ("*divide:0", "1", "+Inf"),
    ("*ip2hex", "192.168.0.1", "0xc0a80001"),
    ("*ip2hex", "10.0.0.255", "0x0a0000ff"),
    ("*ip2hex", "::ffff:192.168.0.1", "0xc0a80001"),
    ("*ip2hex", "2001:db8::1", "0x00000001"),
    ("*ip2hex", "not an ip", ""),
    ("*string2hex", "abc", "0x616263"),
    ("*string2hex", "", ""),
    ("*libphonenumber:DE", "+4986517174963", "08651 7174963"),
    ("*libphonenumber:DE:0", "08651 7174963", "+4986517174963"),
    ("*libphonenumber:DE:1", "+4986517174963", "+49 8651 7174963"),
    ("*libphonenumber:US:3", "+1 650-253-0000", "tel:+1-650-253-0000"),
    ("*sipuri_host", "sip:1001@cgrates.org:5060;transport=udp", "cgrates.org:5060"),
    ("*sipuri_host", '"Bob" <sip:bob@biloxi.com>', "biloxi.com"),
    ("*sipuri_user", "sip:1001@cgrates.org", "1001"),
    ("*sipuri_user", "INVITE sip:1002@10.0.0.1 SIP/2.0", "1002"),
    ("*sipuri_method", "INVITE sip:1002@10.0.0.1 SIP/2.0", "INVITE"),
    ("*unixtime", "2018-01-07T17:00:10Z", "1515344410"),
    ("*time_string", "2018-01-07T17:00:10Z", "2018-01-07T17:00:10Z"),
    ("*time_string:2006-01-02 15:04:05", "2018-01-07T17:00:10+02:00", "2018-01-07 17:00:10"),
    ("*time_string:02.01.2006 Mon Jan 3PM", "2018-01-07T17:00:10Z", "07.01.2018 Sun Jan 5PM"),
    ("*time_string:20060102150405.000", "2018-01-07T17:00:10.5Z", "20180107170010.500"),
    ("*len", "abcd", "4"),
    ("*len", "", "0"),
    ("*slice", '["a","b"]', '["a","b"]'),
    ("*slice", "plain", "plain"),
    ("*float64", "1.50", "1.5"),
    ("*e164domain", "4.3.2.1.0.e164.arpa", "e164.arpa"),
    ("*e164", "4.3.2.1.0.e164.arpa", "01234"),
    ("*join", "abc", "abc"),
]


@pytest.mark.parametrize(("definition", "value", "expected"), CASES)
def test_converters(definition: str, value: str, expected: str) -> None:
    assert convert_string([new_converter(definition)], value) == expected


def test_every_converter_is_in_the_table() -> None:
    named = {definition.split(":")[0] for definition, _, _ in CASES}
    assert CONVERTER_NAMES - named == {"*random"}


def test_converters_chain() -> None:
    chain = [new_converter(d) for d in ("*duration_seconds", "*divide:60", "*round:1")]
    assert convert_string(chain, "2m30s") == "2.5"
    joined = [new_converter("*slice"), new_converter("*join:;")]
    assert convert_string(joined, '["a","b","c"]') == "a;b;c"


def test_random() -> None:
    bounded = new_converter("*random:5:7")
    assert {int(convert_string([bounded], "")) for _ in range(200)} == {5, 6}
    assert 0 <= int(convert_string([new_converter("*random::3")], "")) < 3


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("*nope", "unsupported converter definition: <*nope>"),
        ("*round:x", "*round converter needs integer as decimals, have: <x>"),
        ("*round:1:*up:x", "unsupported *round converter parameters: <1:*up:x>"),
        ("*multiply", "mandatory information missing"),
        ("*divide:abc", 'strconv.ParseFloat: parsing "abc": invalid syntax'),
        ("*libphonenumber", "unsupported *libphonenumber converter parameters: <>"),
    ],
)
def test_bad_definitions(definition: str, message: str) -> None:
    with pytest.raises(TollgateError) as info:
        new_converter(definition)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("definition", "value"),
    [
        ("*duration", "abc"),
        ("*duration_seconds", "1x"),
        ("*round:2", "abc"),
        ("*e164", "no.domain"),
        ("*libphonenumber:DE", "not a number"),
        ("*unixtime", "yesterday"),
    ],
)
def test_bad_inputs_raise(definition: str, value: str) -> None:
    with pytest.raises(TollgateError):
        convert_string([new_converter(definition)], value)
