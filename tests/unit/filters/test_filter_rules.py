"""Every filter type, its *not and *ni forms, against events: one table, v0.10's answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.filters import CompiledFilter, DataProvider, FilterService, StaticEnv, parse_inline
from tollgate.filters.rules import compile_rule, pass_simple
from tollgate.rating import RITiming

DESTINATIONS = {"DE": ["+49"], "EU_LANDLINE": ["+49", "+33"], "DE_MOBILE": ["+4915"]}
TIMINGS = {
    "WORKDAYS": RITiming(week_days=(1, 2, 3, 4, 5)),
    "WEEKENDS": RITiming(week_days=(6, 0)),
    "MORNING": RITiming(start_time="08:00:00", end_time="12:00:00"),
}

EVENT: dict[str, Any] = {
    "Account": "1007",
    "Subject": "1007",
    "Tenant": "cgrates.org",
    "Destination": "+4986517174963",
    "Weight": 20,
    "Cost": Decimal("1.5"),
    "Usage": "1m20s",
    "UsageNs": 80_000_000_000,
    "AnswerTime": "2018-01-08T09:00:00Z",  # a Monday
    "SundayTime": "2018-01-07T09:00:00Z",
    "EmptyString": "",
    "EmptySlice": [],
    "EmptyMap": {},
    "Null": None,
    "Slice": [""],
    "Map": {"Sub": {"Leaf": "x"}},
    "Flag": True,
    "Other": "1007",
    "Limit": "30",
}

# (filter id, expected pass) against EVENT; each type, its negation and its index-free form
CASES: list[tuple[str, bool]] = [
    # *string: exact match of any value
    ("*string:~*req.Account:1007", True),
    ("*string:~*req.Account:1001;1007", True),
    ("*string:~*req.Account:1001", False),
    ("*string:~*req.Account:1007:error", False),  # ":" after the element is in the value
    ("*string:~*req.Missing:1007", False),
    ("*string:~*req.Weight:20", True),  # numbers compare as their text
    ("*string:~*req.Cost:1.5", True),
    ("*string:~*req.Flag:true", True),
    ("*string:~*req.Account:~*req.Other", True),  # a value read from the event
    ("*string:~*req.Account:~*req.Missing", False),
    ("*string:~*req.Map.Sub.Leaf:x", True),  # nested fields
    ("*notstring:~*req.Account:1007", False),
    ("*notstring:~*req.Account:1001", True),
    ("*notstring:~*req.Missing:1001", True),
    ("*nistring:~*req.Account:1007", True),
    ("*nistring:~*req.Account:1001", False),
    # *prefix / *suffix
    ("*prefix:~*req.Account:10", True),
    ("*prefix:~*req.Account:20;100", True),
    ("*prefix:~*req.Account:20", False),
    ("*prefix:~*req.Missing:10", False),
    ("*notprefix:~*req.Account:10", False),
    ("*notprefix:~*req.Account:20", True),
    ("*niprefix:~*req.Destination:+49", True),
    ("*suffix:~*req.Account:07", True),
    ("*suffix:~*req.Account:01", False),
    ("*notsuffix:~*req.Account:07", False),
    ("*notsuffix:~*req.Account:01", True),
    ("*nisuffix:~*req.Destination:963", True),
    # *empty: missing, null, "", [], {} are empty
    ("*empty:~*req.EmptyString:", True),
    ("*empty:~*req.EmptySlice:", True),
    ("*empty:~*req.EmptyMap:", True),
    ("*empty:~*req.Null:", True),
    ("*empty:~*req.Missing:", True),
    ("*empty:~*req.Account:", False),
    ("*empty:~*req.Slice:", False),
    ("*empty:~*req.Weight:", False),
    ("*notempty:~*req.Account:", True),
    ("*notempty:~*req.EmptyString:", False),
    # *exists
    ("*exists:~*req.Account:", True),
    ("*exists:~*req.EmptyString:", True),
    ("*exists:~*req.Null:", True),
    ("*exists:~*req.Missing:", False),
    ("*notexists:~*req.Missing:", True),
    ("*notexists:~*req.Account:", False),
    ("*niexists:~*req.Account:", True),
    # *timings: the element's time within one of the timings
    ("*timings:~*req.AnswerTime:WORKDAYS", True),
    ("*timings:~*req.AnswerTime:WEEKENDS", False),
    ("*timings:~*req.SundayTime:WEEKENDS", True),
    ("*timings:~*req.AnswerTime:MORNING", True),
    ("*timings:~*req.AnswerTime:UNKNOWN;MORNING", True),
    ("*timings:~*req.Missing:WORKDAYS", False),
    ("*nottimings:~*req.AnswerTime:WEEKENDS", True),
    ("*nottimings:~*req.AnswerTime:WORKDAYS", False),
    # *destinations: any prefix of the number in one of the destinations
    ("*destinations:~*req.Destination:DE", True),
    ("*destinations:~*req.Destination:EU_LANDLINE", True),
    ("*destinations:~*req.Destination:EU", False),
    ("*destinations:~*req.Destination:DE_MOBILE", False),
    ("*destinations:~*req.Missing:DE", False),
    ("*notdestinations:~*req.Destination:DE", False),
    ("*notdestinations:~*req.Destination:DE_MOBILE", True),
    # *rsr: the element is empty, the rules carry their own paths and filters
    ("*rsr::~*req.Tenant(~^cgr.*\\.org$)", True),
    ("*rsr::~*req.Tenant(~^itsys)", False),
    ("*rsr::~Tenant(~^cgr.*\\.org$)", False),  # no such map: missing
    ("*rsr::~*req.Missing(^$)", True),  # a missing field is the empty value
    ("*rsr::~*req.Usage{*duration}(>10s)", True),
    ("*rsr::~*req.Usage{*duration}(>2m)", False),
    ("*rsr::~*req.Subject(~^1.*7$);~*req.Destination(+49)", True),
    ("*rsr::~*req.Subject(~^1.*1$);~*req.Destination(+49)", False),
    ("*notrsr::~*req.Tenant(~^cgr.*\\.org$)", False),
    ("*notrsr::~*req.Tenant(~^itsys)", True),
    # comparisons: numbers, durations, times
    ("*gte:~*req.Weight:20", True),
    ("*gte:~*req.Weight:21", False),
    ("*gt:~*req.Weight:20", False),
    ("*gt:~*req.Weight:19.5", True),
    ("*lt:~*req.Weight:20", False),
    ("*lt:~*req.Weight:30;10", True),
    ("*lte:~*req.Weight:20", True),
    ("*lte:~*req.Weight:19", False),
    ("*gte:~*req.Cost:1.5", True),
    ("*lt:~*req.Cost:1.50001", True),
    ("*gte:~*req.Usage:1m", True),
    ("*lt:~*req.Usage:1m", False),
    ("*gt:~*req.UsageNs:1m", True),  # ns number against a duration
    ("*gte:~*req.AnswerTime:2018-01-01T00:00:00Z", True),
    ("*lt:~*req.AnswerTime:2018-01-01T00:00:00Z", False),
    ("*gt:~*req.Weight:~*req.Limit", False),  # a value read from the event, as a number
    ("*lt:~*req.Weight:~*req.Limit", True),
    ("*gte:~*req.Missing:1", False),
    ("*eq:~*req.Weight:20", True),
    ("*eq:~*req.Weight:20.0", True),
    ("*eq:~*req.Weight:21", False),
    ("*eq:~*req.Account:1007", True),
    ("*eq:~*req.Usage:80s", True),
    ("*eq:~*req.Missing:1", False),
    ("*noteq:~*req.Weight:21", True),
    ("*noteq:~*req.Weight:20", False),
]


@pytest.fixture
def service() -> FilterService:
    return FilterService(env=StaticEnv(DESTINATIONS, TIMINGS, "UTC"))


@pytest.mark.parametrize(("filter_id", "expected"), CASES)
async def test_filter_types(service: FilterService, filter_id: str, expected: bool) -> None:
    dp = DataProvider(EVENT)
    assert await service.pass_filters("cgrates.org", [filter_id], dp) is expected
    assert service.passes("cgrates.org", [filter_id], dp) is expected


@pytest.mark.parametrize(
    ("filter_id", "message"),
    [
        ("*gte:~*req.Account:2018-01-01T00:00:00Z", "incomparable"),  # number vs time
        ("*gt:~*req.Map:1", "incomparable"),
        ("*eq:~*req.Flag:true", "unsupported comparison type: bool"),
        ("*gt:~*req.Tenant:5", "incomparable: <<nil>> with <5>"),
        ("*timings:~*req.Account:WORKDAYS", "Unsupported time format"),
    ],
)
async def test_comparison_errors(service: FilterService, filter_id: str, message: str) -> None:
    with pytest.raises(TollgateError, match=message):
        await service.pass_filters("cgrates.org", [filter_id], DataProvider(EVENT))


async def test_all_filters_must_pass(service: FilterService) -> None:
    dp = DataProvider(EVENT)
    ids = ["*string:~*req.Account:1007", "*prefix:~*req.Destination:+49", "*gte:~*req.Weight:10"]
    assert await service.pass_filters("cgrates.org", ids, dp)
    assert not await service.pass_filters("cgrates.org", [*ids, "*string:~*req.Subject:1"], dp)
    assert await service.pass_filters("cgrates.org", [], dp)  # no filters: passes


async def test_unknown_filter_id_is_not_found(service: FilterService) -> None:
    with pytest.raises(NotFoundError, match=r"^NOT_FOUND:FLTR_NONE$"):
        await service.pass_filters("cgrates.org", ["FLTR_NONE"], DataProvider(EVENT))
    # a failing filter before it stops the check first, as v0.10 does
    assert not await service.pass_filters(
        "cgrates.org", ["*string:~*req.Account:1", "FLTR_NONE"], DataProvider(EVENT)
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("*string", "inline parse error for string: <*string>"),
        ("*string:~*req.Account", "inline parse error for string: <*string:~*req.Account>"),
        ("*foo:~*req.Account:1", "Unsupported filter Type: *foo"),
        ("*notlt:~*req.Weight:1", "Unsupported filter Type: *notlt"),
        ("*rsr::~*req.A(~[)", "error parsing regexp"),
        ("*rsr::~*req.A{*nope}", "unsupported converter definition: <*nope>"),
    ],
)
def test_inline_parse_errors(rule: str, message: str) -> None:
    with pytest.raises(TollgateError) as info:
        parse_inline("cgrates.org", rule)
    assert message in str(info.value)


def test_inline_values_split_on_semicolons() -> None:
    compiled = parse_inline("cgrates.org", "*string:~*req.Account:1001;1002;1003:x")
    (rule,) = compiled.rules
    assert [v.text for v in rule.values] == ["1001", "1002", "1003:x"]
    assert parse_inline("cgrates.org", "*exists:~*req.A:").rules[0].values == ()


@pytest.mark.parametrize(
    ("kind", "element", "values", "message"),
    [
        ("*string", "", ["1"], "Element is mandatory for Type: \\*string"),
        ("*gte", "~*req.A", [], "Values is mandatory for Type: \\*gte"),
        ("*bogus", "~*req.A", ["1"], "Unsupported filter Type: \\*bogus"),
    ],
)
def test_strict_rules(kind: str, element: str, values: list[str], message: str) -> None:
    with pytest.raises(TollgateError, match=message):
        compile_rule(kind, element, values)


def test_rules_need_what_their_type_reads() -> None:
    compile_rule("*rsr", "", ["~*req.A(x)"])  # *rsr has no element
    compile_rule("*exists", "~*req.A", [])  # *exists/*empty have no values


def _ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp()) * 1_000_000_000


async def test_activation_interval_of_filter_profiles() -> None:
    now = _ns("2020-06-01T00:00:00+00:00")
    service = FilterService(clock=lambda: now)
    passing = [compile_rule("*string", "~*req.Account", ["1007"])]
    failing = [compile_rule("*string", "~*req.Account", ["1001"])]
    zero = -62135596800 * 1_000_000_000
    service._filters[("t", "ACTIVE")] = CompiledFilter("t", "ACTIVE", passing, (zero, zero))
    service._filters[("t", "EXPIRED")] = CompiledFilter(
        "t", "EXPIRED", failing, (zero, _ns("2019-01-01T00:00:00+00:00"))
    )
    service._filters[("t", "FUTURE")] = CompiledFilter(
        "t", "FUTURE", failing, (_ns("2021-01-01T00:00:00+00:00"), zero)
    )
    dp = DataProvider({"Account": "1007"})
    assert await service.pass_filters("t", ["ACTIVE"], dp)
    # inactive filters are skipped, even failing ones...
    assert await service.pass_filters("t", ["ACTIVE", "EXPIRED", "FUTURE"], dp)
    # ...but at least one must be active
    assert not await service.pass_filters("t", ["EXPIRED", "FUTURE"], dp)


# the CASES that are simple rules: *string/*prefix (and their *not/*ni forms) on an event
# field with constant values, which profiles check in place (FilterService.simple_rules)
SIMPLE_CASES = [
    (filter_id, expected)
    for filter_id, expected in CASES
    if filter_id.split(":", 1)[0]
    in {"*string", "*notstring", "*nistring", "*prefix", "*notprefix", "*niprefix"}
    and "~" not in filter_id.split(":", 2)[2]
]


def test_the_simple_cases_cover_every_form() -> None:
    kinds = {filter_id.split(":", 1)[0] for filter_id, _ in SIMPLE_CASES}
    assert kinds == {"*string", "*notstring", "*nistring", "*prefix", "*notprefix", "*niprefix"}
    assert {expected for _, expected in SIMPLE_CASES} == {True, False}


@pytest.mark.parametrize(("filter_id", "expected"), SIMPLE_CASES)
async def test_simple_rules_answer_as_the_filters(
    service: FilterService, filter_id: str, expected: bool
) -> None:
    rules = service.simple_rules("cgrates.org", [filter_id])
    assert rules is not None
    dp = DataProvider(EVENT)
    assert pass_simple(rules, dp) is expected
    assert await service.pass_filters("cgrates.org", [filter_id], dp) is expected


@pytest.mark.parametrize(
    "filter_ids",
    [
        [],  # no filters: nothing to check in place
        ["*string:~*req.Account:~*req.Other"],  # a value read from the event
        ["*string:~*accounts.1001.ID:1001"],  # a field another service holds
        ["*suffix:~*req.Account:07"],
        ["*gte:~*req.Weight:20"],
        ["*string:~*req.Account:1007", "*gte:~*req.Weight:20"],  # one of them is not simple
        ["FLTR_ACC"],  # a FilterProfile: it can change or have an ActivationInterval
        ["*string:~*req.Account"],  # does not parse: passing it reports the error
        ["*bogus:~*req.Account:1"],
    ],
)
def test_what_is_not_simple(service: FilterService, filter_ids: list[str]) -> None:
    assert service.simple_rules("cgrates.org", filter_ids) is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"Account": "1007", "Destination": "+4986"}, True),
        ({"Account": "1007", "Destination": "+3386"}, False),
        ({"Account": "1001", "Destination": "+4986"}, False),
        ({"Account": "1007", "Destination": "+4986", "Subject": "x"}, False),
        ({"Destination": "+4986"}, False),
    ],
)
async def test_several_simple_filters_must_all_pass(
    service: FilterService, event: dict[str, Any], expected: bool
) -> None:
    ids = ["*string:~*req.Account:1007;1008", "*prefix:~*req.Destination:+49",
           "*notstring:~*req.Subject:x"]  # fmt: skip
    rules = service.simple_rules("cgrates.org", ids)
    assert rules is not None
    assert len(rules) == 3
    assert pass_simple(rules, DataProvider(event)) is expected
    assert await service.pass_filters("cgrates.org", ids, DataProvider(event)) is expected


@pytest.mark.parametrize(
    "filter_id", ["*string:~*req.Account:", "*prefix:~*req.Account:", "*notstring:~*req.Account:"]
)
async def test_simple_rules_without_values(service: FilterService, filter_id: str) -> None:
    rules = service.simple_rules("cgrates.org", [filter_id])
    assert rules is not None
    for event in (EVENT, {}):
        expected = await service.pass_filters("cgrates.org", [filter_id], DataProvider(event))
        assert pass_simple(rules, DataProvider(event)) is expected
