"""RSR parsers: constants, paths, search-and-replace, converters and their own filters."""

from __future__ import annotations

import pytest

from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.filters import DataProvider, FilterNotPassingError, parse_rsr, parse_rsr_list
from tollgate.filters.rsr import RSRFilter, parse_rsr_filters

EVENT = {
    "Account": "1001",
    "Destination": "0211555",
    "Usage": "1m30s",
    "Cost": "1.23456",
    "Number": "+4986517174963",
    "Tenant": "cgrates.org",
    "Nested": {"List": [{"Name": "first"}, {"Name": "second"}]},
    "Empty": "",
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("1001", "1001"),  # a constant
        ("Header=Value", "Value"),  # a named constant
        ("~*req.Account", "1001"),
        ("~*req.Nested.List[1].Name", "second"),
        (r"~*req.Destination:s/^0([1-9]\d+)/+49${1}/", "+49211555"),
        (r"~*req.Account:s/^1(\d+)/2$1/", "2001"),
        (r"~*req.Number:s/^\+49(\d+)/0$1/:s/^0(\d{4})/$1-/", "8651-"),  # rules run in turn
        (r"~*req.Account:s/^9(\d+)/x$1/", "1001"),  # no match: unchanged
        (r"~*req.Account:s/^(?P<head>\d)(\d+)/${head}-$$-$2/", "1-$-001"),  # names and $$
        (r"~*req.Account:s/(\d+)/<$9>/", "<>"),  # unknown group: empty
        ("~*req.Usage{*duration_seconds}", "90"),
        ("~*req.Cost{*round:2:*up}", "1.24"),
        ("~*req.Usage{*duration_seconds&*divide:60}", "1.5"),
        ("~*req.Account(1001)", "1001"),
        ("~*req.Usage{*duration}(>1m)", "1m30s"),
        ("~*req.Empty(^$)", ""),
        ("~*req.Missing(^$)", ""),  # a missing field is the empty value for ^$
    ],
)
def test_parse(rule: str, expected: str) -> None:
    assert parse_rsr(rule).parse(DataProvider(EVENT)) == expected


def test_missing_field_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        parse_rsr("~*req.Missing").parse(DataProvider(EVENT))
    with pytest.raises(NotFoundError):
        parse_rsr("~*req.Missing(1001)").parse(DataProvider(EVENT))


@pytest.mark.parametrize(
    "rule",
    ["~*req.Account(1002)", "~*req.Usage{*duration}(<1m)", "~*req.Tenant(~^itsys)"],
)
def test_own_filters_refuse(rule: str) -> None:
    with pytest.raises(FilterNotPassingError) as info:
        parse_rsr(rule).parse(DataProvider(EVENT))
    assert str(info.value) == "filter not passing"


def test_parsers_concatenate() -> None:
    parsers = parse_rsr_list("~*req.Account;@;~*req.Tenant")
    assert parsers.parse(DataProvider(EVENT)) == "1001@cgrates.org"
    assert parsers.rules == "~*req.Account;@;~*req.Tenant"
    assert parse_rsr_list(["~*req.Account", "-x"]).parse(DataProvider(EVENT)) == "1001-x"
    assert parse_rsr_list("").parse(DataProvider(EVENT)) == ""


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("(x)", "invalid RSRFilter start rule in string: <(x)>"),
        ("~*req.A{*duration", "invalid converter terminator in rule: <~*req.A{*duration>"),
        ("~*req.A{*nope}", "invalid converter value in string: <*nope>, err: unsupported"),
        ("a=b=c", "invalid RSRField static rules: <a=b=c>"),
        ("~*req.A:s/x", "not enough members in Search&Replace"),
        ("~*req.A:s/(/x/", "invalid Search&Replace subfield rule: <(>"),
        ("~*req.A(~[)", "Invalid FilterValue in string: ~[, err: error parsing regexp"),
    ],
)
def test_bad_rules(rule: str, message: str) -> None:
    with pytest.raises(TollgateError) as info:
        parse_rsr(rule)
    assert str(info.value).startswith(message)


def test_empty_rule() -> None:
    with pytest.raises(TollgateError, match="emtpy RSRParser"):
        parse_rsr("")


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("", "x", True),
        ("!", "x", False),
        ("~^1.*1$", "1001", True),
        ("!~^1.*1$", "1001", False),
        ("^$", "", True),
        ("^$", "x", False),
        ("!^$", "x", True),
        ("^10", "1001", True),
        ("^20", "1001", False),
        ("^1001$", "1001", True),
        ("^100$", "1001", False),
        ("01$", "1001", True),
        (">=1000", "1001", True),
        (">=1002", "1001", False),
        ("<=1001", "1001", True),
        (">1001", "1001", False),
        (">10s", "1m", True),
        ("<1h", "59m", True),
        (">abc", "1001", False),  # incomparable: refused
        ("00", "1001", True),  # contains
        ("!00", "1001", False),
    ],
)
def test_rsr_filter(rule: str, value: str, expected: bool) -> None:
    assert RSRFilter(rule).passes(value) is expected


def test_rsr_filters_all_or_any() -> None:
    filters = parse_rsr_filters("^10&01$")
    assert filters.passes("1001", all_match=True)
    assert not filters.passes("1002", all_match=True)
    assert filters.passes("1002", all_match=False)
    assert parse_rsr_filters("").passes("anything")
