"""Each substitution type and write rule of an attribute, on one event (no service)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tollgate.attributes.substitutions import (
    AttributeCompiler,
    Scratch,
    compile_attribute,
    go_sum,
    is_not_found,
)
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.filters import Duration


def _run(
    path: str, kind: str, rules: list[str], event: dict[str, Any], *, decimals: int = 5
) -> tuple[dict[str, Any], str, Scratch]:
    scratch = Scratch(dict(event))
    tenant = compile_attribute(path, kind, rules).apply(scratch, "cgrates.org", decimals)
    return scratch.event, tenant, scratch


def test_constant_sets_the_text_as_written() -> None:
    event, _, _ = _run("*req.Password", "*constant", ["CGRateS.org"], {"Account": "1001"})
    assert event == {"Account": "1001", "Password": "CGRateS.org"}


def test_constant_ignores_the_event_even_for_a_field_rule() -> None:
    event, _, _ = _run("*req.X", "*constant", ["~*req.Account"], {"Account": "1001"})
    assert event["X"] == ""


@pytest.mark.parametrize("kind", ["*variable", ""])
def test_variable_concatenates_its_parsers(kind: str) -> None:
    rules = ["~*req.Account", "@", "~*req.Domain:s/^www\\.(.*)$/${1}/"]
    event, _, _ = _run("*req.User", kind, rules, {"Account": "1001", "Domain": "www.itsyscom.com"})
    assert event["User"] == "1001@itsyscom.com"


def test_variable_turns_numbers_into_text() -> None:
    event, _, _ = _run("*req.Copy", "*variable", ["~*req.Usage"], {"Usage": Decimal("1.5")})
    assert event["Copy"] == "1.5"


def test_variable_reading_a_missing_field_is_not_found() -> None:
    with pytest.raises(NotFoundError) as err:
        _run("*req.Copy", "*variable", ["~*req.Nothing"], {})
    assert is_not_found(err.value)


def test_composed_appends_to_the_field_or_starts_it() -> None:
    ev = {"Subject": "a", "Account": "1"}
    event, _, _ = _run("*req.Subject", "*composed", ["_", "~*req.Account"], ev)
    assert event["Subject"] == "a_1"
    event, _, _ = _run("*req.Subject", "*composed", ["x", "~*req.Account"], {"Account": "1"})
    assert event["Subject"] == "x1"


def test_usage_difference_prints_a_go_duration() -> None:
    ev = {"AnswerTime": "2018-01-07T17:00:10Z", "SetupTime": "2018-01-07T17:00:00Z"}
    event, _, _ = _run("*req.PDD", "*usage_difference", ["~*req.AnswerTime", "~*req.SetupTime"], ev)
    assert event["PDD"] == "10s"
    ev = {"End": "1515344430", "Start": "2018-01-07T17:00:00Z"}  # unix seconds too
    event, _, _ = _run("*req.D", "*usage_difference", ["~*req.End", "~*req.Start"], ev)
    assert event["D"] == "30s"


def test_usage_difference_wants_two_values_and_times() -> None:
    with pytest.raises(TollgateError) as err:
        _run("*req.D", "*usage_difference", ["~*req.A"], {"A": "1"})
    assert str(err.value) == (
        'invalid arguments <[\n {\n  "Rules": "~*req.A",\n  "AllFiltersMatch": true\n }\n]>'
        " to *usage_difference"
    )
    with pytest.raises(TollgateError, match="Unsupported time format"):
        _run("*req.D", "*usage_difference", ["~*req.A", "~*req.A"], {"A": "soon"})


@pytest.mark.parametrize(
    ("rules", "event", "expected"),
    [
        (["10", "~*req.X", "~*req.Y"], {"X": 5, "Y": "2"}, "17"),
        (["1.5", "~*req.X"], {"X": Decimal("2.25")}, "3.75"),
        (["0.1", "0.2"], {}, "0.3"),  # exact decimals where Go's float64 prints 0.30000000000000004
        (["10s", "~*req.Usage"], {"Usage": "1m"}, "1m10s"),
        (["2018-01-07T17:00:00Z", "1h"], {}, "2018-01-07T18:00:00Z"),
        (["abc", "1"], {}, ""),  # a first value of no number kind sums to nothing
    ],
)
def test_sum_follows_the_first_values_kind(
    rules: list[str], event: dict[str, Any], expected: str
) -> None:
    out, _, _ = _run("*req.Total", "*sum", rules, event)
    assert out["Total"] == expected


def test_sum_needs_two_values() -> None:
    with pytest.raises(TollgateError, match="NotEnoughParameters"):
        go_sum([1])
    assert go_sum([Duration(1), 2]) == Duration(3)


@pytest.mark.parametrize(
    ("value", "exp", "decimals", "expected"),
    [
        ("1.23456", "2", 5, "123.456"),
        ("10", "-3", 5, "0.01"),
        ("2", "3", 5, "2000"),
        ("1.0000049", "0", 5, "1"),  # rounded to the engine's decimals, *middle
        ("1.000005", "0", 5, "1.00001"),
    ],
)
def test_value_exponent_scales_and_rounds(
    value: str, exp: str, decimals: int, expected: str
) -> None:
    event, _, _ = _run(
        "*req.Cost", "*value_exponent", ["~*req.Value", exp], {"Value": value}, decimals=decimals
    )
    assert event["Cost"] == expected


def test_value_exponent_errors_as_v010() -> None:
    with pytest.raises(TollgateError, match=r"^invalid value <abc> to \*value_exponent$"):
        _run("*req.C", "*value_exponent", ["~*req.V", "2"], {"V": "abc"})
    with pytest.raises(TollgateError, match=r'^strconv.Atoi: parsing "x": invalid syntax$'):
        _run("*req.C", "*value_exponent", ["~*req.V", "x"], {"V": "1"})
    with pytest.raises(TollgateError, match="invalid arguments"):
        _run("*req.C", "*value_exponent", ["~*req.V"], {"V": "1"})


def test_sipcid_joins_the_call_id_with_the_sorted_tags() -> None:
    rules = ["~*req.CallID", "~*req.ToTag", "~*req.FromTag", "~*req.Missing"]
    ev = {"CallID": "abc@host", "ToTag": "zz", "FromTag": "aa"}
    event, _, _ = _run("*req.SIPCID", "*sipcid", rules, ev)
    assert event["SIPCID"] == "abc@host;aa;zz"
    event, _, _ = _run("*req.SIPCID", "*sipcid", ["~*req.CallID", "~*req.Empty"], {"CallID": "c"})
    assert event["SIPCID"] == "c"


def test_remove_deletes_the_field() -> None:
    event, _, _ = _run("*req.Secret", "*constant", ["*remove"], {"Secret": "x", "Keep": 1})
    assert event == {"Keep": 1}
    event, _, _ = _run("*req.Absent", "*constant", ["*remove"], {"Keep": 1})
    assert event == {"Keep": 1}


def test_none_is_an_ordinary_value() -> None:
    event, _, _ = _run("*req.RequestType", "*constant", ["*none"], {"RequestType": "*prepaid"})
    assert event == {"RequestType": "*none"}


def test_tenant_path_changes_the_tenant_not_the_event() -> None:
    event, tenant, _ = _run("*tenant", "*constant", ["cgrates.com"], {"A": 1})
    assert (event, tenant) == ({"A": 1}, "cgrates.com")
    _, tenant, _ = _run("*tenant", "*composed", [".net"], {})
    assert tenant == "cgrates.org.net"


def test_nested_paths_make_maps_and_never_touch_the_callers_maps() -> None:
    shared = {"Inner": {"A": "1"}}
    event, _, _ = _run("*req.Inner.B", "*constant", ["2"], shared)
    assert event == {"Inner": {"A": "1", "B": "2"}}
    assert shared == {"Inner": {"A": "1"}}
    event, _, _ = _run("*req.New.Deep", "*constant", ["x"], {})
    assert event == {"New": {"Deep": "x"}}
    event, _, _ = _run("*req.Inner.A", "*constant", ["*remove"], shared)
    assert event == {"Inner": {}}
    assert shared == {"Inner": {"A": "1"}}


def test_writing_through_a_value_is_a_wrong_path() -> None:
    with pytest.raises(TollgateError, match=r"^WRONG_PATH$"):
        _run("*req.Account.Sub", "*constant", ["x"], {"Account": "1001"})


def test_other_roots_and_bare_names_stay_out_of_the_event() -> None:
    event, _, scratch = _run("*vars.Seen", "*constant", ["yes"], {"A": 1})
    assert event == {"A": 1}
    assert scratch.dp.field(("*vars", "Seen")) == "yes"
    event, _, scratch = _run("ResourceAllocation", "*constant", ["ResGroup1"], {"A": 1})
    assert event == {"A": 1}
    assert scratch.top == {"ResourceAllocation": "ResGroup1"}


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(TollgateError, match=r"^unsupported type: <\*constnat>$"):
        compile_attribute("*req.A", "*constnat", ["1"])


def test_a_bad_rule_is_refused_at_compile_time() -> None:
    with pytest.raises(TollgateError, match="invalid converter"):
        compile_attribute("*req.A", "*variable", ["~*req.B{*bogus}"])


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (["CGRateS.org"], "CGRateS.org"),
        (["a", "b"], "ab"),
        (["Header=Value"], "Value"),
        (["1m{*duration_seconds}"], "60"),  # a converter: computed at each use
        (["abc(~^a)"], "abc"),  # a filter that passes
        (["~*req.Account"], ""),
    ],
)
def test_constant_gives_the_same_text_computed_once_or_each_time(
    rules: list[str], expected: str
) -> None:
    attribute = compile_attribute("*req.X", "*constant", rules)
    scratch = Scratch({"Account": "1001"})
    attribute.apply(scratch, "cgrates.org", 5)
    assert scratch.event["X"] == expected
    attribute.constant = None  # through the parsers
    scratch = Scratch({"Account": "1001"})
    attribute.apply(scratch, "cgrates.org", 5)
    assert scratch.event["X"] == expected


def test_constant_with_a_failing_filter_still_fails_at_use() -> None:
    attribute = compile_attribute("*req.X", "*constant", ["abc(~^z)"])
    assert attribute.constant is None
    with pytest.raises(TollgateError):
        attribute.apply(Scratch({}), "cgrates.org", 5)


def test_the_compiler_shares_attributes_rules_and_paths_up_to_its_limit() -> None:
    compiler = AttributeCompiler(limit=4)
    one = compiler.attribute("*req.Caller", "*variable", ["~*req.Account"])
    assert compiler.attribute("*req.Caller", "*variable", ["~*req.Account"]) is one
    tag1 = compiler.attribute("*req.Tag", "*composed", ["~*req.Account", "@1"])
    tag2 = compiler.attribute("*req.Tag", "*composed", ["~*req.Account", "@2"])
    assert tag1 is not tag2
    assert tag1.values[0] is tag2.values[0] is one.values[0]  # one parser per rule
    assert tag1.target is tag2.target
    assert tag1.path is tag2.path
    compiler.attribute("*req.A", "*constant", ["x"])
    compiler.attribute("*req.B", "*constant", ["y"])  # past the limit: starts again
    assert compiler.attribute("*req.Caller", "*variable", ["~*req.Account"]) is not one
    assert len(compiler) <= 2 * 4
    scratch = Scratch({"Account": "1001", "Tag": "t"})
    tag2.apply(scratch, "cgrates.org", 5)
    assert scratch.event["Tag"] == "t1001@2"
