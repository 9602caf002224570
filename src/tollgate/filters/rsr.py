"""RSR parsers: value templates such as ``~*req.Destination:s/^0([1-9]\\d+)/+49${1}/``,
``~*req.Usage{*duration_seconds&*round:2}(>10)`` or a constant ``1001``.

A rule reads a field (``~path``) or holds a constant, runs its regexp search-and-replace
rules (``:s/search/replace/``, the replacement expanded from the match as Go's
``Regexp.ExpandString`` does), then its converters (``{*conv&*conv}``), then checks its
filters (``(rule&rule)``). Everything is parsed and compiled once, in :func:`parse_rsr`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.filters.converters import DataConverter, convert_string, new_converter
from tollgate.filters.dataprovider import MISSING, DataProvider, Path, compile_path, remote_ref
from tollgate.filters.values import as_string, greater_than, string_to_value

__all__ = [
    "FilterNotPassingError",
    "RSRFilter",
    "RSRFilters",
    "RSRParser",
    "RSRParsers",
    "SearchReplace",
    "compile_go_regexp",
    "parse_rsr",
    "parse_rsr_filters",
    "parse_rsr_list",
]


class FilterNotPassingError(TollgateError):
    """An RSR rule's own filters refused the value (``filter not passing``)."""

    wire = "filter not passing"


def compile_go_regexp(pattern: str) -> re.Pattern[str]:
    """A Go (RE2) regexp in Python's dialect: ``\\z`` is ``\\Z``; errors keep Go's wording."""
    try:
        return re.compile(pattern.replace(r"\z", r"\Z"))
    except re.error as exc:
        raise TollgateError(f"error parsing regexp: {exc}: `{pattern}`") from exc


_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_]+")


def _template_parts(template: str) -> list[tuple[bool, str | int]]:
    """A Go ``Expand`` template as (is_reference, text or group) pairs."""
    parts: list[tuple[bool, str | int]] = []
    literal: list[str] = []
    pos = 0
    while pos < len(template):
        char = template[pos]
        if char != "$" or pos + 1 >= len(template):
            literal.append(char)
            pos += 1
            continue
        nxt = template[pos + 1]
        if nxt == "$":
            literal.append("$")
            pos += 2
            continue
        name: str | None = None
        if nxt == "{":
            end = template.find("}", pos + 2)
            candidate = template[pos + 2 : end] if end != -1 else ""
            if end != -1 and _TEMPLATE_NAME.fullmatch(candidate):
                name, pos = candidate, end + 1
        else:
            match = _TEMPLATE_NAME.match(template, pos + 1)
            if match is not None:
                name, pos = match.group(0), match.end()
        if name is None:  # malformed: the $ stays as text
            literal.append("$")
            pos += 1
            continue
        if literal:
            parts.append((False, "".join(literal)))
            literal = []
        parts.append((True, int(name) if name.isdigit() else name))
    if literal:
        parts.append((False, "".join(literal)))
    return parts


class SearchReplace:
    """One ``s/search/replace/`` rule: the output is the template expanded from the match
    (not the source with the match replaced); a value that does not match passes as is."""

    __slots__ = ("_parts", "regexp", "template")

    def __init__(self, search: str, template: str) -> None:
        self.regexp = compile_go_regexp(search)
        self.template = template
        self._parts = _template_parts(template)

    def process(self, source: str) -> str:
        match = self.regexp.search(source)
        if match is None:
            return source
        out: list[str] = []
        for is_ref, part in self._parts:
            if not is_ref:
                out.append(str(part))
                continue
            with contextlib.suppress(IndexError):  # an unknown group expands to nothing
                out.append(match.group(part) or "")
        return "".join(out)


class RSRFilter:
    """One ``(...)`` check of an RSR rule: ``~regexp``, ``^prefix``, ``suffix$``, ``^exact$``,
    ``^$`` (empty), ``>=v`` ``<=v`` ``>v`` ``<v``, else "contains"; ``!`` negates."""

    __slots__ = ("_regexp", "negative", "rule")

    def __init__(self, rule: str) -> None:
        self.negative = rule.startswith("!")
        self.rule = rule[1:] if self.negative else rule  # kept without the "!", as v0.10
        self._regexp: re.Pattern[str] | None = None
        if self.rule.startswith("~"):
            self._regexp = compile_go_regexp(self.rule[1:])

    def passes(self, value: str) -> bool:
        rule = self.rule
        if rule == "":
            return not self.negative
        if rule[0] == "~":
            assert self._regexp is not None
            return (self._regexp.search(value) is not None) != self.negative
        if rule == "^$":
            return (value == "") != self.negative
        if rule[0] == "^":
            if rule[-1] == "$":
                return (value == rule[1:-1]) != self.negative
            return value.startswith(rule[1:]) != self.negative
        if rule[-1] == "$":
            return value.endswith(rule[:-1]) != self.negative
        for op, or_equal, flip in ((">=", True, False), ("<=", True, True)):
            if len(rule) > 2 and rule.startswith(op):
                return self._compare(value, rule[2:], or_equal, flip)
        for op, flip in ((">", False), ("<", True)):
            if len(rule) > 1 and rule.startswith(op):
                return self._compare(value, rule[1:], False, flip)
        return (rule in value) != self.negative

    def _compare(self, value: str, limit: str, or_equal: bool, flip: bool) -> bool:
        left, right = string_to_value(value), string_to_value(limit)
        if flip:
            left, right = right, left
        try:
            result = greater_than(left, right, or_equal)
        except TollgateError:  # v0.10 logs the incomparable pair and refuses the value
            return False
        return result != self.negative


class RSRFilters(tuple[RSRFilter, ...]):
    """The filters of one rule; with ``all_match`` each must pass, else any."""

    __slots__ = ()

    def passes(self, value: str, all_match: bool = True) -> bool:
        if not self:
            return True
        matched = False
        for fltr in self:
            matched = fltr.passes(value)
            if all_match:
                if not matched:
                    return False
            elif matched:
                return True
        return matched

    @property
    def rules(self) -> str:
        """The filter rules joined, as ``FilterRules()`` (``^$`` for the empty-value check)."""
        return "".join(f.rule for f in self)


# one shared "no filters" (an empty tuple subclass is a new object each time): the parsers
# of 100,000 profiles read this one instead of as many cold ones
_NO_FILTERS = RSRFilters()


def parse_rsr_filters(text: str, sep: str = "&") -> RSRFilters:
    """``ParseRSRFilters``: ``sep``-separated filter rules; empty ones are skipped."""
    if not text:
        return _NO_FILTERS
    filters = RSRFilters(RSRFilter(part) for part in text.split(sep) if part)
    return filters if filters else _NO_FILTERS


_SEARCH_SPLIT = re.compile(r":s/")
_SEARCH_RULE = re.compile(r"(?:(.*[^\\])/(.*[^\\])*/)+")


class RSRParser:
    """One compiled rule; :meth:`parse` reads it from a DataProvider."""

    __slots__ = (
        "all_filters_match",
        "attr_name",
        "converters",
        "filters",
        "path",
        "remote",
        "rules",
        "search_replace",
        "static",
    )

    def __init__(self, rules: str, all_filters_match: bool = True) -> None:
        self.rules = rules
        self.all_filters_match = all_filters_match
        self.filters = _NO_FILTERS
        self.converters: tuple[DataConverter, ...] = ()
        self.search_replace: tuple[SearchReplace, ...] = ()
        self.static: str = ""
        self.attr_name = ""
        self.path: Path = ()
        self.remote: tuple[str, str] | None = None
        text = rules
        if text.endswith(")"):
            start = text.rfind("(")
            if start < 1:
                raise TollgateError(f"invalid RSRFilter start rule in string: <{rules}>")
            value = text[start + 1 : -1]
            try:
                self.filters = parse_rsr_filters(value)
            except TollgateError as exc:
                raise TollgateError(f"Invalid FilterValue in string: {value}, err: {exc}") from None
            text = text[:start]
        conv_at = text.find("{*")
        if conv_at != -1:
            if not text.endswith("}"):
                raise TollgateError(f"invalid converter terminator in rule: <{text}>")
            converters: list[DataConverter] = []
            for definition in text[conv_at + 1 : -1].split("&"):
                try:
                    converters.append(new_converter(definition))
                except TollgateError as exc:
                    raise TollgateError(
                        f"invalid converter value in string: <{definition}>, err: {exc}"
                    ) from None
            self.converters = tuple(converters)
            text = text[:conv_at]
        if not text.startswith("~"):
            # a constant; "Header=Value" names it (":" is common in times, so "=")
            parts = text.split("=")
            if len(parts) > 2:
                raise TollgateError(f"invalid RSRField static rules: <{text}>")
            if len(parts) == 2:
                self.attr_name, self.static = parts
            else:
                self.static = parts[0]
            return
        pieces = _SEARCH_SPLIT.split(text)
        self.attr_name = pieces[0][1:]
        self.path = compile_path(self.attr_name)
        self.remote = remote_ref(self.path)
        rules_out: list[SearchReplace] = []
        for piece in pieces[1:]:
            match = _SEARCH_RULE.match(piece)
            if match is None:
                raise TollgateError(
                    f"not enough members in Search&Replace, ruleStr: <{piece}>, matches: [], "
                )
            try:
                rules_out.append(SearchReplace(match.group(1), match.group(2) or ""))
            except TollgateError:
                raise TollgateError(
                    f"invalid Search&Replace subfield rule: <{match.group(1)}>"
                ) from None
        self.search_replace = tuple(rules_out)

    @property
    def is_static(self) -> bool:
        return not self.path

    def parse_value(self, value: Any) -> str:
        """The rule applied to ``value``; raises FilterNotPassingError."""
        out = self.static if self.static else as_string(value)
        if not self.static:
            for rule in self.search_replace:
                out = rule.process(out)
        if self.converters:
            out = convert_string(self.converters, out)
        if self.filters and not self.filters.passes(out, self.all_filters_match):
            raise FilterNotPassingError()
        return out

    def parse(self, dp: DataProvider) -> str:
        """Read the field (constants need none) and apply the rule.

        A missing field raises NotFoundError, unless the rule's filter is exactly ``^$``
        (which then checks the empty value, as v0.10 does).
        """
        value: Any = None
        if not self.static:
            value = dp.field(self.path)
            if value is MISSING:
                if self.filters.rules != "^$":
                    raise NotFoundError()
                value = None
        return self.parse_value(value)

    def __repr__(self) -> str:
        return f"RSRParser({self.rules!r})"


class RSRParsers(tuple[RSRParser, ...]):
    """Rules whose outputs concatenate (``~*req.Account;@;~*req.Tenant``)."""

    __slots__ = ()

    def parse(self, dp: DataProvider) -> str:
        """Each rule read and applied, joined; the first error stops it."""
        return "".join(parser.parse(dp) for parser in self)

    def parse_value(self, value: Any) -> str:
        return "".join(parser.parse_value(value) for parser in self)

    @property
    def rules(self) -> str:
        return ";".join(p.rules for p in self)

    def remote_refs(self) -> Iterator[tuple[str, str]]:
        return (p.remote for p in self if p.remote is not None)


def parse_rsr(rules: str, all_filters_match: bool = True) -> RSRParser:
    """Compile one rule; raises TollgateError with v0.10's texts on a bad one."""
    if not rules:
        raise TollgateError(f"emtpy RSRParser in rule: <{rules}>")  # sic, v0.10's text
    return RSRParser(rules, all_filters_match)


def parse_rsr_list(
    rules: str | Iterable[str], all_filters_match: bool = True, sep: str = ";"
) -> RSRParsers:
    """Compile ``;``-separated rules (or a list of them) into one :class:`RSRParsers`."""
    items: Sequence[str] = (
        (rules.split(sep) if rules else []) if isinstance(rules, str) else list(rules)
    )
    return RSRParsers(parse_rsr(item, all_filters_match) for item in items)
