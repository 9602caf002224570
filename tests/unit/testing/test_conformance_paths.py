"""The conformance runner without an engine: path language, comparisons, step checks."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError
from tollgate.testing.conformance import (
    case_methods,
    chains,
    config_sections,
    load_cases,
    run_case,
    substitute,
)
from tollgate.testing.conformance_paths import (
    MISSING,
    PathError,
    compare,
    compile_path,
    evaluate,
    numbers_equal,
)

CASES = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "cases.json"

ACCOUNT: dict[str, Any] = {
    "Tenant": "test",
    "ID": "test:ref",
    "BalanceMap": {
        "*monetary": [{"ID": "moneya", "Uuid": "u-m", "Value": 10.5, "Blocker": False}],
        "*voice": [
            {"ID": "minutea", "Uuid": "u-a", "Value": 1200000000000, "Weight": 20},
            {"ID": "minuteb", "Uuid": "u-b", "Value": 10000000000.0, "Weight": 10},
        ],
        "*sms": None,
    },
    "ActionTriggers": None,
    "Disabled": False,
}
CDRS: list[dict[str, Any]] = [
    {
        "RunID": "*default",
        "Cost": 0.7169,
        "CostDetails": json.dumps({"Cost": 0.7169, "Usage": 130000000000}),
        "Dotted": {"*sum:~*req.Usage": 5},
    },
    {"RunID": "raw", "Cost": -1, "CostDetails": {"Cost": 0, "Usage": 0}},
]


# ------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Disabled", False),
        ("Tenant", "test"),
        ("BalanceMap.*monetary[0].Value", 10.5),
        ("BalanceMap.*monetary[0].Blocker", False),
        ("BalanceMap.*voice[1].Value", 10000000000.0),
        ("BalanceMap.*voice[-1].ID", "minuteb"),
        ("len(BalanceMap)", 3),
        ("len(BalanceMap.*voice)", 2),
        ("len(BalanceMap.*sms)", 0),  # nil slice: Go's len is 0
        ("len(BalanceMap.*data)", 0),  # absent map entry: Go's len is 0
        ("len(ActionTriggers)", 0),
        ("len(Tenant)", 4),
        ("sum(BalanceMap.*voice[*].Value)", 1210000000000),
        ("sum(BalanceMap.*data[*].Value)", 0),
        ("BalanceMap.*voice[*].ID", ["minutea", "minuteb"]),
        ("select(BalanceMap.*monetary, ID=='moneya')[0].Uuid", "u-m"),
        ("select(BalanceMap.*voice, ID=='minuteb')[0].Value", 1e10),
        ('select(BalanceMap.*voice, ID == "minutea")[0].Uuid', "u-a"),
        ("select(BalanceMap.*voice, ID!='minutea')[*].ID", ["minuteb"]),
        ("select(BalanceMap.*voice, Weight==20)[0].ID", "minutea"),
        ("select(BalanceMap.*voice, Weight==20.0)[0].ID", "minutea"),
        ("select(BalanceMap.*voice, ID==minuteb)[0].Weight", 10),
        ("len(select(BalanceMap.*voice, ID=='nope'))", 0),
        ("sum(select(BalanceMap.*voice, Weight==10)[*].Value)", 1e10),
        ("$.Tenant", "test"),
        ('["BalanceMap"]["*monetary"][0]["ID"]', "moneya"),
    ],
)
def test_paths_on_an_account(path: str, expected: Any) -> None:
    got = evaluate(path, ACCOUNT)
    assert compare(expected, got) is None, (path, got)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("len($)", 2),
        ("[0].Cost", 0.7169),
        ("$[1].RunID", "raw"),
        ("[*].RunID", ["*default", "raw"]),
        ("json([0].CostDetails).Usage", 130000000000),
        ("json([1].CostDetails).Cost", 0),  # already an object: returned as is
        ('[0].Dotted["*sum:~*req.Usage"]', 5),
        ("[0].Dotted['*sum:~*req.Usage']", 5),
        ("select($, RunID=='raw')[0].Cost", -1),
        ("sum([*].Cost)", Decimal("-0.2831")),
    ],
)
def test_paths_on_a_list_reply(path: str, expected: Any) -> None:
    got = evaluate(path, CDRS)
    assert compare(expected, got) is None, (path, got)


def test_len_of_the_root() -> None:
    assert evaluate("len($)", ["a", "b", "c"]) == 3
    assert evaluate("len($)", {}) == 0
    assert evaluate("$", 5) == 5


@pytest.mark.parametrize(
    "path",
    [
        "Nope",
        "BalanceMap.*monetary[3].Value",
        "BalanceMap.*monetary.Value",
        "Tenant[0]",
        "Disabled.x",
        "BalanceMap.*sms[0]",
        "json(Tenant)",
        "sum(BalanceMap.*voice[*].ID)",
        "len(Disabled)",
    ],
)
def test_unreachable_paths_are_missing(path: str) -> None:
    assert evaluate(path, ACCOUNT) is MISSING


@pytest.mark.parametrize(
    "path", ["", "a..b", "a[", "a[x]", "len(a", "select(a)", "select(a, b=c)", "a)", "['a"]
)
def test_syntax_errors(path: str) -> None:
    with pytest.raises(PathError):
        compile_path(path)


def test_sum_is_exact() -> None:
    reply = {"B": [{"V": 0.1}, {"V": 0.2}]}
    assert evaluate("sum(B[*].V)", reply) == Decimal("0.3")


def test_a_projection_drops_elements_without_the_field() -> None:
    assert evaluate("L[*].a", {"L": [{"a": 1}, {"b": 2}, {"a": 3}]}) == [1, 3]


# --------------------------------------------------------------------- comparing


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        (0.7169, 0.7169),
        (0.7169, Decimal("0.7169")),
        (0.7169, 0.71690000000001),
        (300000000000, 300000000000.0),
        (10, Decimal("10.000")),
        (1e-12, 0),  # within the absolute 1e-9 below 1
        (128.024, 128.02400000000003),  # float artefact
        (0, -0.0),
    ],
)
def test_equal_numbers(expected: Any, got: Any) -> None:
    assert numbers_equal(expected, got)
    assert compare(expected, got) is None


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        (0.7169, 0.7170),
        (0.30006, 0.3),
        (300000000000, 300000000001),  # ints compare exactly, however large
        (1, True),
        (False, 0),
        ("1", 1),
        (None, 0),
        (None, ""),
        (0.7169, "0.7169"),
    ],
)
def test_different_values(expected: Any, got: Any) -> None:
    assert compare(expected, got) is not None


def test_objects_compare_whole() -> None:
    expected = {"Account": "1001", "Subject": "1001", "Destination": "+491511231234"}
    assert compare(expected, dict(expected)) is None
    assert "unexpected keys ['Usage']" in str(compare(expected, {**expected, "Usage": 1}))
    problem = compare(expected, {**expected, "Subject": "1007"}, "CGREvent.Event")
    assert problem is not None
    assert problem.startswith("CGREvent.Event.Subject:")
    missing = compare(expected, {"Account": "1001", "Subject": "1001"})
    assert missing is not None
    assert "Destination: missing" in missing


def test_nested_objects_and_lists() -> None:
    suppliers = {
        "ProfileID": "SPL_ACNT_1001",
        "Count": 2,
        "SortedSuppliers": [
            {"SupplierID": "supplier1", "SortingData": {"Weight": 20}},
            {"SupplierID": "supplier2", "SortingData": {"Weight": 10}},
        ],
    }
    got = json.loads(json.dumps(suppliers).replace("20", "20.0"))
    assert compare(suppliers, got) is None
    swapped = {**got, "SortedSuppliers": got["SortedSuppliers"][::-1]}
    problem = compare(suppliers, swapped, "Suppliers")
    assert problem is not None
    assert problem.startswith("Suppliers.SortedSuppliers[0].SupplierID")
    assert compare(suppliers, {**got, "SortedSuppliers": got["SortedSuppliers"][:1]}) is not None


def test_operators() -> None:
    assert compare({"$ne": ""}, "res-1") is None
    assert compare({"$ne": ""}, "") is not None
    assert compare({"$ne": ""}, MISSING) is not None
    assert compare({"$ne": "0001-01-01T00:00:00Z"}, "2024-01-01T00:00:00Z") is None
    assert compare({"$ne": "0001-01-01T00:00:00Z"}, "0001-01-01T00:00:00Z") is not None
    assert compare({"$ne": 0}, 0.0) is not None
    unordered = {"$unordered": ["*req.Account", "*req.Subject"]}
    assert compare(unordered, ["*req.Subject", "*req.Account"]) is None
    assert compare(unordered, ["*req.Subject"]) is not None
    assert compare(unordered, ["*req.Subject", "*req.Subject"]) is not None
    assert compare(unordered, "*req.Subject") is not None
    assert compare({"$unordered": [{"a": 1}, {"a": 2.0}]}, [{"a": 2}, {"a": 1.0}]) is None
    assert compare({"$gt": 0}, 0.5) is None
    assert compare({"$gt": 0}, 0) is not None
    assert compare({"$gt": 0}, "1") is not None
    # operators nest inside whole-object expectations
    assert compare({"ID": "x", "Snooze": {"$ne": ""}}, {"ID": "x", "Snooze": "t"}) is None


def test_missing_never_matches() -> None:
    assert compare(None, MISSING) is not None
    assert compare([], MISSING) is not None


# ----------------------------------------------------------------- running cases


class FakeEngine:
    """Replies from a table keyed by method; lists are consumed one reply per call."""

    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, method: str, params: Any) -> Any:
        self.calls.append((method, params))
        reply = self.replies[method]
        if isinstance(reply, list) and reply and isinstance(reply[0], Exception | Reply):
            reply = reply.pop(0)
        if isinstance(reply, Reply):
            reply = reply.value
        if isinstance(reply, Exception):
            raise reply
        return reply


class Reply:
    def __init__(self, value: Any) -> None:
        self.value = value


def test_expect_error_match_and_error_or_ok() -> None:
    case = {
        "id": "loader.load_from_folder_errors",
        "steps": [
            {
                "method": "L",
                "params": {"FolderPath": ""},
                "expect_error": "MANDATORY_IE_MISSING:FolderPath",
                "match": "prefix:MANDATORY_IE_MISSING",
            },
            {"method": "L", "params": {"FolderPath": "/INVALID/"}, "expect_error": "INVALID_PATH"},
            {"method": "S", "params": {}, "expect_error": "NOT_FOUND", "match": "error_or_ok"},
            {"method": "S", "params": {}, "expect_error": "NOT_FOUND", "match": "error_or_ok"},
        ],
    }
    engine = FakeEngine(
        {
            "L": [RpcError("MANDATORY_IE_MISSING: [FolderPath]"), RpcError("INVALID_PATH")],
            "S": [RpcError("NOT_FOUND"), Reply({"Count": 1})],
        }
    )
    result = run_case(case, engine)
    assert result.passed, result.report()
    assert result.calls == 4

    engine = FakeEngine(
        {"L": [RpcError("SERVER_ERROR"), Reply("OK")], "S": [RpcError("x"), Reply(None)]}
    )
    result = run_case(case, engine)
    assert [(f.step, f.what) for f in result.failures] == [
        (0, "error does not start with 'MANDATORY_IE_MISSING'"),
        (1, "expected an error, got a reply"),
        (2, "wrong error"),
    ]


def test_unexpected_error_and_reply_forms() -> None:
    case = {
        "id": "c",
        "steps": [
            {"method": "A", "params": {}, "expect": {"reply": "OK"}},
            {"method": "B", "params": {}, "expect": {"reply_unordered": ["RP_1", "RP_2"]}},
            {"method": "C", "params": {}, "expect": {"reply_gt": 0}},
            {"method": "D", "params": {}},
        ],
    }
    ok = FakeEngine({"A": "OK", "B": ["RP_2", "RP_1"], "C": 3.5, "D": None})
    assert run_case(case, ok).passed
    bad = FakeEngine({"A": RpcError("NOT_FOUND"), "B": ["RP_2"], "C": 0, "D": RpcError("E")})
    result = run_case(case, bad)
    assert [f.step for f in result.failures] == [0, 1, 2, 3]
    assert result.failures[0].got == "error: NOT_FOUND"
    assert "c step 0 A: unexpected error" in result.report()


def test_paths_capture_and_substitution() -> None:
    case = {
        "id": "accounts.engine_csv.refund_increments",
        "steps": [
            {
                "method": "APIerSv2.GetAccount",
                "params": {"Tenant": "test", "Account": "ref"},
                "expect": {},
                "capture": {
                    "UUID_MONEY": "select(BalanceMap.*monetary, ID=='moneya')[0].Uuid",
                    "UUID_B": "select(BalanceMap.*voice, ID=='minuteb')[0].Uuid",
                    "WEIGHT": "BalanceMap.*voice[0].Weight",
                },
            },
            {
                "method": "Responder.RefundIncrements",
                "params": {
                    "Increments": [
                        {"BalanceInfo": {"Monetary": {"UUID": "${UUID_MONEY}"}}},
                        {"BalanceInfo": {"Unit": {"UUID": "${UUID_B}"}, "W": "${WEIGHT}"}},
                    ],
                    "Text": "w=${WEIGHT}",
                },
            },
        ],
    }
    engine = FakeEngine({"APIerSv2.GetAccount": ACCOUNT, "Responder.RefundIncrements": "OK"})
    variables: dict[str, Any] = {}
    result = run_case(case, engine, variables=variables)
    assert result.passed, result.report()
    assert variables == {"UUID_MONEY": "u-m", "UUID_B": "u-b", "WEIGHT": 20}
    params = engine.calls[1][1]
    assert params["Increments"][0]["BalanceInfo"]["Monetary"]["UUID"] == "u-m"
    assert params["Increments"][1]["BalanceInfo"]["W"] == 20  # typed when whole
    assert params["Text"] == "w=20"


def test_capture_of_nothing_and_uncaptured_variables() -> None:
    case = {
        "id": "c",
        "steps": [
            {"method": "A", "params": {}, "capture": {"X": "Nope"}},
            {"method": "A", "params": {"U": "${X}"}},
        ],
    }
    result = run_case(case, FakeEngine({"A": {}}))
    assert [f.what for f in result.failures] == [
        "capture X: nothing at Nope",
        "params use uncaptured variables ['X']",
    ]


def test_paths_repeat_sleep_contiguous_and_unsupported_keys() -> None:
    slept: list[float] = []
    spans = [
        {"TimeStart": "2012-02-27T23:50:00Z", "TimeEnd": "2012-02-28T00:00:00Z"},
        {"TimeStart": "2012-02-28T00:00:00Z", "TimeEnd": "2012-02-28T18:10:00Z"},
    ]
    case = {
        "id": "c",
        "steps": [
            {"method": "_sleep", "params": {"ms": 100}},
            {
                "method": "T",
                "params": {},
                "expect": {"reply": ["THD_RES_1"]},
                "repeat": 3,
                "note": "three hits",
            },
            {
                "method": "G",
                "params": {},
                "expect": {"paths": {"len(Timespans)": 2, "Cost": 1}, "contiguous_timespans": True},
            },
            {"method": "G", "params": {}, "expect": {"reply_sorted": []}},
            {"method": "G", "params": {}, "expect": {"paths": {"len(": 1}}},
            {"method": "G", "params": {}, "expected": {}},
        ],
    }
    engine = FakeEngine(
        {"T": [Reply(["THD_RES_1"]), Reply(["THD_RES_1"]), Reply([])], "G": {"Timespans": spans}}
    )
    result = run_case(case, engine, sleep=slept.append)
    assert slept == [0.1]
    assert [(f.step, f.call) for f in result.failures] == [(1, 3), (2, 1), (3, 1), (4, 1), (5, 1)]
    assert result.failures[0].note == "three hits"
    assert result.failures[1].what == "Cost: missing, expected 1"
    assert "unsupported expectation 'reply_sorted'" in result.failures[2].what
    assert result.failures[3].what.startswith("bad path")
    assert "unsupported step keys ['expected']" in result.failures[4].what

    spans[1]["TimeStart"] = "2012-02-28T00:00:01Z"
    result = run_case({"id": "c", "steps": case["steps"][2:3]}, engine)
    assert any("contiguous_timespans" in f.what for f in result.failures)


def test_substitute_leaves_unknown_variables() -> None:
    assert substitute({"a": ["${A}", "x${B}y"]}, {"A": 1}) == {"a": [1, "x${B}y"]}


def test_config_sections_from_dotted_keys() -> None:
    sections = config_sections(
        {"general.rounding_decimals": 6, "_why": "comment"},
        {"rals.balance_rating_subject": {"*data": "*zero1s"}, "sessions.debit_interval": "0s"},
    )
    assert sections["general"] == {"rounding_decimals": 6}
    assert sections["rals"]["balance_rating_subject"] == {"*data": "*zero1s"}
    assert sections["rals"]["enabled"] is True
    assert sections["sessions"]["debit_interval"] == "0s"
    assert sections["sessions"]["rals_conns"] == ["*internal"]
    assert "_why" not in sections


# --------------------------------------------------------------- the real cases


@pytest.mark.skipif(not CASES.exists(), reason="shared/conformance/cases.json not present")
def test_every_path_and_capture_of_the_real_cases_compiles() -> None:
    cases = load_cases(CASES)
    assert cases
    for case in cases:
        for step in case["steps"]:
            for path in {**step.get("expect", {}).get("paths", {}), **step.get("capture", {})}:
                compile_path(path)
        assert case_methods(case)
    grouped = chains(cases)
    assert sum(len(chain) for chain in grouped) == len(cases)
    for chain in grouped:
        for case in chain[1:]:
            assert case["depends_on"] in {c["id"] for c in chain}


def test_chains_order_and_errors() -> None:
    cases = [
        {"id": "b", "depends_on": "a", "steps": []},
        {"id": "a", "steps": []},
        {"id": "c", "depends_on": "b", "steps": []},
        {"id": "d", "steps": []},
    ]
    assert [[c["id"] for c in chain] for chain in chains(cases)] == [["a", "b", "c"], ["d"]]
    with pytest.raises(ValueError, match="unknown"):
        chains([{"id": "x", "depends_on": "y", "steps": []}])
    with pytest.raises(ValueError, match="cycle"):
        chains([{"id": "x", "depends_on": "y", "steps": []}, {"id": "y", "depends_on": "x"}])
