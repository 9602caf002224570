"""Data converters: the ``{*duration_seconds&*round:2}`` part of an RSR rule.

Each converter is built once from its definition (``*round:2:*up``) and then only converts.
Numbers stay ``Decimal`` where CGRateS uses float64; the texts of the errors are v0.10's.
"""

from __future__ import annotations

import ipaddress
import json
import random
from collections.abc import Callable, Sequence
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

import phonenumbers

from tollgate.core.errors import TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.filters.golayout import format_go_layout
from tollgate.filters.values import as_decimal, as_duration, as_string
from tollgate.rating import round_money

__all__ = ["CONVERTER_NAMES", "DataConverter", "convert_string", "new_converter"]

DataConverter = Callable[[Any], Any]

_RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"
_INF = Decimal("Infinity")


def _duration_seconds(value: Any) -> Any:
    return Decimal(int(as_duration(value))).scaleb(-9).normalize()


def _duration_nanoseconds(value: Any) -> Any:
    return int(as_duration(value))


def _duration(value: Any) -> Any:
    return as_duration(value)


def _round(params: str) -> DataConverter:
    parts = params.split(":") if params else []
    if len(parts) > 2:
        raise TollgateError(f"unsupported *round converter parameters: <{params}>")
    decimals, method = 0, "*middle"
    if parts:
        try:
            decimals = int(parts[0])
        except ValueError:
            raise TollgateError(
                f"*round converter needs integer as decimals, have: <{parts[0]}>"
            ) from None
    if len(parts) == 2:
        method = parts[1]

    def convert(value: Any) -> Any:
        return round_money(as_decimal(value), decimals, method)

    return convert


def _factor(params: str) -> Decimal:
    if not params:
        raise TollgateError("mandatory information missing")
    try:
        return as_decimal(params)
    except TollgateError:
        raise TollgateError(f'strconv.ParseFloat: parsing "{params}": invalid syntax') from None


def _multiply(params: str) -> DataConverter:
    factor = _factor(params)

    def convert(value: Any) -> Any:
        return as_decimal(value) * factor

    return convert


def _divide(params: str) -> DataConverter:
    divisor = _factor(params)

    def convert(value: Any) -> Any:
        dividend = as_decimal(value)
        try:
            return dividend / divisor
        except (DivisionByZero, InvalidOperation):  # float64 division: ±Inf (or NaN for 0/0)
            if dividend == 0:
                return Decimal("NaN")
            return _INF if dividend > 0 else -_INF

    return convert


def _ip2hex(value: Any) -> Any:
    text = as_string(value)
    try:
        packed = ipaddress.ip_address(text).packed
    except ValueError:
        return ""  # Go: a nil IP encodes to an empty string
    if len(packed) == 4:  # Go holds IPv4 in its 16-byte form; the tail is the same
        packed = b"\x00" * 10 + b"\xff\xff" + packed
    return "0x" + packed.hex()[-8:]


def _string2hex(value: Any) -> Any:
    out = as_string(value).encode().hex()
    return "0x" + out if out else out


def _sip_uri(value: Any) -> tuple[str, str]:
    """(user, host) of a SIP URI such as ``"Bob" <sip:bob@host:5060;transport=udp>``."""
    text = as_string(value).strip()
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1 : text.index(">")]
    else:  # a request line (INVITE sip:... SIP/2.0) or a bare URI
        for token in text.split():
            if token.lower().startswith(("sip:", "sips:", "tel:")):
                text = token
                break
    for scheme in ("sips:", "sip:", "tel:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
            break
    for stop in (";", "?", ">"):
        text = text.split(stop, 1)[0]
    user, sep, host = text.rpartition("@")
    return (user, host) if sep else ("", text)


def _sipuri_host(value: Any) -> Any:
    return _sip_uri(value)[1]


def _sipuri_user(value: Any) -> Any:
    return _sip_uri(value)[0]


def _sipuri_method(value: Any) -> Any:
    parts = as_string(value).split()
    return parts[0] if parts and not parts[0].lower().startswith(("sip:", "sips:")) else ""


def _parse_time(value: Any) -> GoTime:
    if isinstance(value, GoTime):
        return value
    try:
        return parse_time_detect_layout(as_string(value), "")
    except ValueError as exc:
        raise TollgateError(str(exc)) from exc


def _unixtime(value: Any) -> Any:
    return _parse_time(value).ns // 1_000_000_000


def _time_string(layout: str) -> DataConverter:
    def convert(value: Any) -> Any:
        return format_go_layout(_parse_time(value), layout)

    return convert


def _len(value: Any) -> Any:
    if isinstance(value, str | list | tuple):
        return len(value)
    return len(as_string(value))


def _slice(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value
    text = as_string(value)
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text, parse_float=Decimal)
        except ValueError:
            return text
        if isinstance(parsed, list):
            return parsed
    return text


def _float64(value: Any) -> Any:
    return as_decimal(value)


def _e164_domain(value: Any) -> Any:
    name = as_string(value)
    index = name.find(".e164.")
    if index != -1:
        name = name[index:]
    return name.strip(".")


def _e164(value: Any) -> Any:
    name = as_string(value)
    index = name.find(".e164.")
    if index == -1:
        raise TollgateError("unknown format")
    return name[:index].replace(".", "")[::-1]


def _libphonenumber(params: str) -> DataConverter:
    parts = params.split(":") if params else []
    if len(parts) not in (1, 2):
        raise TollgateError(f"unsupported *libphonenumber converter parameters: <{params}>")
    country = parts[0]
    fmt = 2  # NATIONAL, as CGRateS defaults
    if len(parts) == 2:
        try:
            fmt = int(parts[1])
        except ValueError:
            raise TollgateError(f'strconv.Atoi: parsing "{parts[1]}": invalid syntax') from None

    def convert(value: Any) -> Any:
        try:
            number = phonenumbers.parse(as_string(value), country or None)
        except phonenumbers.NumberParseException as exc:
            raise TollgateError(str(exc.args[0]) if exc.args else str(exc)) from exc
        return phonenumbers.format_number(number, fmt)

    return convert


def _random(params: str) -> DataConverter:
    parts = params.split(":") if params else []
    begin = end = 0
    try:
        if len(parts) >= 1 and parts[0]:
            begin = int(parts[0])
        if len(parts) >= 2 and parts[1]:
            end = int(parts[1])
    except ValueError as exc:
        raise TollgateError(str(exc)) from exc
    rng = random.Random()

    def convert(value: Any) -> Any:
        if not begin:
            return rng.randrange(end) if end else rng.getrandbits(63)
        if not end:
            return rng.getrandbits(63) + begin
        return rng.randrange(begin, end)

    return convert


def _join(sep: str) -> DataConverter:
    def convert(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return sep.join(as_string(item) for item in value)
        if isinstance(value, str):
            return value
        raise TollgateError(f"cannot convert field: {type(value).__name__} to []string")

    return convert


_SIMPLE: dict[str, DataConverter] = {
    "*duration_seconds": _duration_seconds,
    "*duration_nanoseconds": _duration_nanoseconds,
    "*duration": _duration,
    "*ip2hex": _ip2hex,
    "*string2hex": _string2hex,
    "*sipuri_host": _sipuri_host,
    "*sipuri_user": _sipuri_user,
    "*sipuri_method": _sipuri_method,
    "*unixtime": _unixtime,
    "*len": _len,
    "*slice": _slice,
    "*float64": _float64,
    "*e164domain": _e164_domain,
    "*e164": _e164,
}

_WITH_PARAMS: dict[str, Callable[[str], DataConverter]] = {
    "*round": _round,
    "*multiply": _multiply,
    "*divide": _divide,
    "*libphonenumber": _libphonenumber,
    "*time_string": lambda p: _time_string(p or _RFC3339_LAYOUT),
    "*random": _random,
    "*join": lambda p: _join(p if p else ","),
}

CONVERTER_NAMES = frozenset((*_SIMPLE, *_WITH_PARAMS))


def new_converter(definition: str) -> DataConverter:
    """Build the converter a definition names (``*round:2:*up``); raises on a bad one."""
    simple = _SIMPLE.get(definition)
    if simple is not None:
        return simple
    for name, factory in _WITH_PARAMS.items():
        if definition == name:
            return factory("")
        if definition.startswith(name + ":"):
            return factory(definition[len(name) + 1 :])
    raise TollgateError(f"unsupported converter definition: <{definition}>")


def convert_string(converters: Sequence[DataConverter], text: str) -> str:
    """``DataConverters.ConvertString``: each converter on the previous output, as text."""
    out: Any = text
    for converter in converters:
        out = converter(out)
    return as_string(out)
