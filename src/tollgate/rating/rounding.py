"""``utils.Round`` of CGRateS on Decimals: ``*up``, ``*middle``, ``*down``, anything else = none."""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
)
from enum import StrEnum
from functools import cache
from math import ceil, floor, modf

__all__ = ["Rounding", "go_middle", "money", "round_money"]

_HALF = Decimal("0.5")


class Rounding(StrEnum):
    UP = "*up"
    MIDDLE = "*middle"
    DOWN = "*down"


# bound once as module names: an Enum attribute lookup costs ~50 ns per use
_UP, _MIDDLE, _DOWN = Rounding.UP, Rounding.MIDDLE, Rounding.DOWN
_METHODS = frozenset(Rounding)


@cache
def _steps(decimals: int) -> tuple[Decimal, Decimal]:
    """(10^-decimals, the ``*up`` noise guard 10^-max(7, decimals) in unscaled units)."""
    step = Decimal(1).scaleb(-decimals)
    return step, Decimal(1).scaleb(-max(7, decimals) - decimals)


_STEPS = {decimals: _steps(decimals) for decimals in range(16)}  # a plain dict get is cheaper


def round_money(value: Decimal, decimals: int, method: str) -> Decimal:
    """Scale by 10^decimals, round the way CGRateS does, scale back.

    ``*up`` keeps Go's float-noise guard: a fraction below 10^-max(7, decimals) (in scaled
    units) rounds down. ``*middle`` is half-up on the fraction as Go's ``math.Modf`` sees it
    (so negative values floor). Unknown methods leave the value unrounded.
    """
    if method not in _METHODS:
        return value
    step, guard = _STEPS.get(decimals) or _steps(decimals)
    # one quantize instead of scaleb / to_integral / subtract / scaleb (~3x cheaper); the
    # unary plus first rounds to the context precision exactly as scaleb does
    value = +value
    try:
        if method == _MIDDLE:
            rounded = value.quantize(step, ROUND_HALF_UP if value >= 0 else ROUND_FLOOR)
        else:
            rounded = value.quantize(step, ROUND_FLOOR)
            # Go's Modf fraction of a negative value is <= 0: *up floors it as well
            if method == _UP and value > 0 and value - rounded >= guard:
                rounded = value.quantize(step, ROUND_CEILING)
    except InvalidOperation:  # more digits than the context holds: the long way
        return _round_scaled(value, decimals, method)
    if rounded == rounded.to_integral_value():  # money(), inlined: this runs ~8x per call
        return Decimal(int(rounded))
    return rounded.normalize()


def _round_scaled(value: Decimal, decimals: int, method: str) -> Decimal:
    scaled = value.scaleb(decimals)
    frac = scaled - scaled.to_integral_value(ROUND_DOWN)
    if method == _DOWN:
        up = False
    elif method == _MIDDLE:
        up = frac >= _HALF
    else:
        up = frac >= Decimal(1).scaleb(-max(7, decimals))
    rounded = scaled.to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return money(rounded.scaleb(-decimals))


def money(value: Decimal) -> Decimal:
    """A Decimal as Go prints the float64: no trailing zeros, integral values without exponent."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


_POW10 = [10.0**n for n in range(16)]  # math.Pow(10, n): exact for these n


def go_middle(value: float, decimals: int) -> Decimal:
    """``utils.Round(value, decimals, *middle)`` on a float64, as Go computes it, printed as
    Go prints the result (shortest form).

    Rating uses it where CGRateS divides in float64 and rounds the quotient (a timespan's
    ``duration * rate / unit`` and its split into increments): a quotient that is a tie in
    decimal (0.06667 / 2 = 0.033335) is not one in binary (0.0333349999...), and CGRateS
    rounds it down. The inputs are exact Decimals and the result is a Decimal; only the tie
    is decided as CGRateS decides it.
    """
    pow10 = _POW10[decimals] if decimals < 16 else 10.0**decimals
    scaled = value * pow10
    frac, _ = modf(scaled)
    rounded = ceil(scaled) if frac >= 0.5 else floor(scaled)
    result = rounded / pow10
    if result == int(result) and abs(result) < 2**53:
        return Decimal(int(result))
    return Decimal(repr(result))
