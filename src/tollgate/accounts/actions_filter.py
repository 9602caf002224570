"""An action's ``Filter``: CGRateS's ``structmatcher``, a JSON query over one balance.

``{"Type":"*monetary","Value":{"*gte":10}}`` holds for a ``*monetary`` balance worth at least
10; an action with a filter runs only on an account having a balance that passes. Operators:
``*eq`` ``*gt`` ``*gte`` ``*lt`` ``*lte`` ``*exp`` ``*has`` ``*rsr`` on a field, ``*and``
``*or`` ``*not`` over a list of queries; several keys in one object are and-ed.

The query is compiled once (:func:`compile_filter`) into a predicate over a balance and its
type. Errors keep CGRateS's texts (``INVALID_ARGUMENT: <field>``, ``PARSER_ERROR``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tollgate.accounts.models import ZERO_TIME_TEXT, Balance
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_rfc3339

__all__ = ["BalanceQuery", "compile_filter", "rsr_pass"]

# A compiled query: (balance type, balance, now in ns) -> passes; may raise TollgateError.
BalanceQuery = Callable[[str, Balance, int], bool]

_FIELDS = frozenset(
    {
        "Type", "Uuid", "ID", "Value", "ExpirationDate", "Weight", "DestinationIDs",
        "RatingSubject", "Categories", "SharedGroups", "Timings", "TimingIDs", "Disabled",
        "Factor", "Blocker",
    }
)  # fmt: skip
_NUMBERS = frozenset({"Value", "Weight"})
_MAPS = frozenset({"DestinationIDs", "Categories", "SharedGroups", "TimingIDs"})


class _Expired:
    """The ExpirationDate field as the query sees it: a time, compared with ``*exp``."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _invalid(arg: object) -> TollgateError:
    return TollgateError(f"INVALID_ARGUMENT: {_go_text(arg)}")


def _go_text(value: object) -> str:
    """``fmt.Sprintf("%v", value)`` for the values a balance holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | float | int):
        number = Decimal(str(value))
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_text(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, _Expired):
        return value.text
    if value is None:
        return "<nil>"
    return str(value)


def _field(name: str, kind: str, balance: Balance) -> Any:
    if name == "Type":
        return kind
    value = getattr(balance, name)
    if name == "ExpirationDate":
        return _Expired(value)
    return value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return Decimal(str(value))


def _compare(op: str) -> Callable[[Any, Any, int], bool]:
    def check(field: Any, value: Any, now_ns: int) -> bool:
        left, right = _number(field), _number(value)
        if left is None or not isinstance(field, Decimal):
            raise _invalid(field)
        if right is None:
            raise _invalid(value)
        if op == "*gt":
            return left > right
        if op == "*gte":
            return left >= right
        if op == "*lt":
            return left < right
        return left <= right

    return check


def _equal(field: Any, value: Any, now_ns: int = 0) -> bool:
    if isinstance(field, Decimal):
        number = _number(value)
        return number is not None and number == field
    if isinstance(field, bool) or isinstance(value, bool):
        return field is value
    if isinstance(field, str):
        return isinstance(value, str) and field == value
    return False  # maps, times and lists are not comparable this way


def _expired(field: Any, value: Any, now_ns: int) -> bool:
    if not isinstance(field, _Expired):
        raise _invalid(field)
    if not isinstance(value, bool):
        raise _invalid(value)
    zero = field.text == ZERO_TIME_TEXT
    when = 0 if zero else parse_rfc3339(field.text).ns
    if value:
        return not zero and when < now_ns
    return zero or when > now_ns


def _has(field: Any, value: Any, now_ns: int) -> bool:
    if not isinstance(field, dict):
        raise _invalid(field)
    if not isinstance(value, list):
        raise _invalid(value)
    return all(isinstance(item, str) and field.get(item) is True for item in value)


def _rsr(field: Any, value: Any, now_ns: int) -> bool:
    if not isinstance(value, str):
        raise _invalid(value)
    return rsr_pass(value, _go_text(field))


_OPERATORS: dict[str, Callable[[Any, Any, int], bool]] = {
    "*eq": _equal,
    "*gt": _compare("*gt"),
    "*gte": _compare("*gte"),
    "*lt": _compare("*lt"),
    "*lte": _compare("*lte"),
    "*exp": _expired,
    "*has": _has,
    "*rsr": _rsr,
}


def rsr_pass(rule: str, value: str) -> bool:
    """CGRateS ``RSRFilter.Pass``: ``!`` negates; ``~regexp``, ``^prefix``, ``suffix$``,
    ``^exact$``, ``^$`` (empty), ``>=``/``<=``/``>``/``<`` numbers, else "contains"."""
    negative = rule.startswith("!")
    if negative:
        rule = rule[1:]
    if not rule:
        return not negative
    if rule.startswith("~"):
        try:
            found = re.search(rule[1:], value) is not None
        except re.error as exc:
            raise TollgateError(f"error parsing regexp: {exc}") from None
        return found != negative
    if rule == "^$":
        return (value == "") != negative
    if rule.startswith("^"):
        if rule.endswith("$"):
            return (value == rule[1:-1]) != negative
        return value.startswith(rule[1:]) != negative
    if rule.endswith("$"):
        return value.endswith(rule[:-1]) != negative
    for prefix in (">=", "<=", ">", "<"):
        if rule.startswith(prefix) and len(rule) > len(prefix):
            try:
                left, right = Decimal(value), Decimal(rule[len(prefix) :])
            except ArithmeticError:
                return negative
            passed = {
                ">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right,
            }[prefix]  # fmt: skip
            return passed != negative
    return (rule in value) != negative


def _key_value(key: str, value: Any) -> BalanceQuery:
    def check(kind: str, balance: Balance, now_ns: int) -> bool:
        if key not in _FIELDS:
            raise _invalid(key)
        return _equal(_field(key, kind, balance), value)

    return check


def _no_field(name: str) -> BalanceQuery:
    def check(kind: str, balance: Balance, now_ns: int) -> bool:
        raise _invalid(name)

    return check


def _operator(op: str, value: Any, key: str | None) -> BalanceQuery:
    func = _OPERATORS.get(op)

    def check(kind: str, balance: Balance, now_ns: int) -> bool:
        if func is None:
            return False  # an unknown operator never holds
        if key is None:  # an operator straight on the balance, as Go's reflection sees it
            raise _invalid(balance)
        if key not in _FIELDS:
            raise _invalid(key)
        return func(_field(key, kind, balance), value, now_ns)

    return check


def _all(parts: list[BalanceQuery]) -> BalanceQuery:
    def check(kind: str, balance: Balance, now_ns: int) -> bool:
        result = True
        for part in parts:  # every part runs, as Go's accumulator does (errors surface)
            result = part(kind, balance, now_ns) and result
        return result

    return check


def _slice(op: str, parts: list[BalanceQuery]) -> BalanceQuery:
    every = _all(parts)

    def check(kind: str, balance: Balance, now_ns: int) -> bool:
        if op == "*or":
            return any(part(kind, balance, now_ns) for part in parts)
        if op == "*and":
            return every(kind, balance, now_ns)
        if op == "*not":
            return not every(kind, balance, now_ns)
        return False

    return check


def _load(query: dict[str, Any], key: str | None) -> list[BalanceQuery]:
    parts: list[BalanceQuery] = []
    for name, value in query.items():
        if isinstance(value, list):
            if name == "*has":
                parts.append(_operator(name, value, key))
                continue
            children: list[BalanceQuery] = []
            for item in value:
                if not isinstance(item, dict):
                    raise TollgateError("PARSER_ERROR")
                children.append(_joined(_load(item, key)))
            parts.append(_slice(name, children))
        elif isinstance(value, dict):
            parts.append(_joined(_load(value, name)))
        elif name.startswith("*"):
            parts.append(_operator(name, value, key))
        elif key is None:
            parts.append(_key_value(name, value))
        else:  # a field of a field: balance fields have none
            parts.append(_no_field(name))
    return parts


def _joined(parts: list[BalanceQuery]) -> BalanceQuery:
    if not parts:
        raise TollgateError("PARSER_ERROR")
    return parts[0] if len(parts) == 1 else _all(parts)


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def compile_filter(text: str) -> BalanceQuery:
    """The predicate for an action's ``Filter``; ``""`` always holds.

    Raises TollgateError for text that is not a JSON object or an empty query.
    """
    if not text:
        return lambda kind, balance, now_ns: True
    try:
        query = json.loads(text, parse_float=_decimal, parse_int=_decimal)
    except ValueError as exc:
        raise TollgateError(f"invalid character in filter: {exc}") from None
    if not isinstance(query, dict):
        raise TollgateError(
            f"json: cannot unmarshal {type(query).__name__} into Go value of type "
            "map[string]interface {}"
        )
    return _joined(_load(query, None))
