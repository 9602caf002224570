"""``utils.Round`` of CGRateS on Decimals: ``*up``, ``*down``, ``*middle``, anything else = none."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from enum import StrEnum

__all__ = ["Rounding", "money", "round_money"]

_HALF = Decimal("0.5")


class Rounding(StrEnum):
    UP = "*up"
    MIDDLE = "*middle"
    DOWN = "*down"


def round_money(value: Decimal, decimals: int, method: str) -> Decimal:
    """Scale by 10^decimals, round the way CGRateS does, scale back.

    ``*up`` keeps Go's float-noise guard: a fraction below 10^-max(7, decimals) (in scaled
    units) rounds down. ``*middle`` is half-up on the fraction as Go's ``math.Modf`` sees it
    (so negative values floor). Unknown methods leave the value unrounded.
    """
    if method not in (Rounding.UP, Rounding.MIDDLE, Rounding.DOWN):
        return value
    scaled = value.scaleb(decimals)
    frac = scaled - scaled.to_integral_value(ROUND_DOWN)
    if method == Rounding.DOWN:
        up = False
    elif method == Rounding.MIDDLE:
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
