"""JSON as CGRateS's Go engine reads and writes it.

* Non-integral JSON numbers decode to ``Decimal`` (never float): money stays exact, and a
  value sent as ``30.0`` is echoed as ``30`` as Go's float64 formatting does.
* Replies encode ``Decimal`` as a JSON number, ``datetime`` as RFC 3339 and durations as
  int nanoseconds (they are ints inside).

A ``Decimal`` is written as its ``str()``: ``Decimal("10800.0")`` would go out as
``10800.0`` where Go writes ``10800``. Code that computes wire numbers returns them through
:func:`go_float` / :func:`go_number` (or money rounding that does the same), never raw
arithmetic results; Python floats never reach a reply.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "ZERO_TIME",
    "decode_any",
    "encode",
    "go_float",
    "go_number",
]

ZERO_TIME = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def go_number(text: str) -> Decimal:
    """``float_hook`` for decoders: exact Decimal, integral values without a fraction."""
    value = Decimal(text)
    if value == value.to_integral_value() and abs(value) < Decimal("1e21"):
        return Decimal(int(value))
    return value


def go_float(value: float | Decimal | int) -> int | Decimal:
    """A float about to go on the wire, written as Go writes a float64 (no ``.0``)."""
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        return Decimal(repr(value))
    return go_number(str(value))


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_encoder = msgspec.json.Encoder(decimal_format="number", enc_hook=_enc_hook)
_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(float_hook=go_number)

encode = _encoder.encode


def decode_any(data: bytes | str) -> Any:
    """Decode JSON into plain Python values, non-integral numbers as Decimal."""
    return _any_decoder.decode(data)
