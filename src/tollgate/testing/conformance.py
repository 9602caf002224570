"""Run the CGRateS v0.10 conformance cases (``shared/conformance/cases.json``).

A case is a JSON object ``{id, tariffplan, config, depends_on, steps[]}``; the case language
is specified in ``shared/conformance/README.md`` §1. This module loads cases, groups
``depends_on`` chains, turns a case ``config`` into engine config sections and runs the
steps of a case through a ``call(method, params)`` function (which raises
:class:`~tollgate.testing.client.RpcError` for an RPC error), collecting every failed
expectation. The path language and comparisons live in :mod:`.conformance_paths`.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from tollgate.testing.client import RpcError
from tollgate.testing.conformance_paths import (
    MISSING,
    PathError,
    compare,
    compile_path,
    evaluate,
    is_number,
)

__all__ = [
    "BASE_CONFIG",
    "SLEEP_METHOD",
    "Case",
    "CaseResult",
    "StepFailure",
    "case_methods",
    "chains",
    "config_sections",
    "load_cases",
    "run_case",
    "substitute",
]

Case = dict[str, Any]
Call = Callable[[str, Any], Any]

SLEEP_METHOD: Final = "_sleep"
LOAD_METHOD: Final = "APIerSv1.LoadTariffPlanFromFolder"

# The services the original tests ran with (CGRateS data/conf/samples/tutinternal):
# every subsystem on, wired over *internal. A case's own ``config`` goes on top.
BASE_CONFIG: Final[Mapping[str, Mapping[str, Any]]] = {
    "rals": {"enabled": True, "thresholds_conns": ["*internal"], "stats_conns": ["*internal"]},
    "schedulers": {"enabled": True},
    "cdrs": {"enabled": True, "chargers_conns": ["*internal"], "rals_conns": ["*internal"]},
    "resources": {"enabled": True, "thresholds_conns": ["*internal"]},
    "stats": {"enabled": True, "thresholds_conns": ["*internal"]},
    "thresholds": {"enabled": True},
    "suppliers": {
        "enabled": True,
        "stats_conns": ["*internal"],
        "resources_conns": ["*internal"],
        "rals_conns": ["*internal"],
    },
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
    "sessions": {
        "enabled": True,
        **{
            f"{s}_conns": ["*internal"]
            for s in (
                "attributes",
                "cdrs",
                "chargers",
                "rals",
                "resources",
                "thresholds",
                "stats",
                "suppliers",
            )
        },
    },
    "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
}

_STEP_KEYS: Final = frozenset(
    {"method", "params", "expect", "expect_error", "match", "capture", "repeat", "note"}
)
_EXPECT_KEYS: Final = frozenset(
    {"reply", "reply_unordered", "reply_gt", "paths", "contiguous_timespans"}
)
# expect key -> the expected-value operator it stands for ("" = plain deep equality)
_REPLY_FORMS: Final = {"reply": "", "reply_unordered": "$unordered", "reply_gt": "$gt"}
_VAR: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_cases(path: str | Path) -> list[Case]:
    cases = json.loads(Path(path).read_text())
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise ValueError(f"{path}: expected a JSON list of case objects")
    return cases


def case_methods(case: Case) -> set[str]:
    """Every RPC method running ``case`` calls (the tariff-plan load included)."""
    methods = {str(s["method"]) for s in case["steps"]} - {SLEEP_METHOD}
    if case.get("tariffplan"):
        methods.add(LOAD_METHOD)
    return methods


def chains(cases: Iterable[Case]) -> list[list[Case]]:
    """Cases grouped so each ``depends_on`` case follows its dependency, in file order."""
    cases = list(cases)
    by_id = {c["id"]: c for c in cases}
    children: dict[str, list[Case]] = {}
    roots = []
    for case in cases:
        parent = case.get("depends_on")
        if not parent:
            roots.append(case)
        elif parent not in by_id:
            raise ValueError(f"{case['id']}: depends_on unknown case {parent!r}")
        else:
            children.setdefault(parent, []).append(case)
    out = []
    for root in roots:
        chain: list[Case] = []
        todo = [root]
        while todo:
            case = todo.pop(0)
            chain.append(case)
            todo[:0] = children.get(case["id"], [])
        out.append(chain)
    if sum(len(c) for c in out) != len(cases):
        raise ValueError("depends_on forms a cycle")
    return out


# Where a case's original sample config (its ``_orig``) wires a subsystem differently from
# tutinternal in a way the case's replies show: cdrsv1internal gives CDRs no ChargerS, so
# one CDR per event instead of one per charger run.
ORIG_CONFIG: Final[Mapping[str, Mapping[str, Any]]] = {
    "data/conf/samples/cdrsv1internal": {"cdrs.chargers_conns": []},
}


def config_sections(*configs: Mapping[str, Any] | None) -> dict[str, Any]:
    """BASE_CONFIG plus the cases' dotted keys (``general.rounding_decimals``) as sections.

    Keys starting with ``_`` are comments, except ``_orig``, whose known differences
    (:data:`ORIG_CONFIG`) apply before the case's own keys. Later configs override earlier
    ones.
    """
    out: dict[str, Any] = {name: dict(values) for name, values in BASE_CONFIG.items()}
    for config in configs:
        orig = ORIG_CONFIG.get(str((config or {}).get("_orig", "")), {})
        for dotted, value in [*orig.items(), *(config or {}).items()]:
            if dotted.startswith("_"):
                continue
            *parents, leaf = dotted.split(".")
            node = out
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
    return out


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """``"${VAR}"`` replaced by a captured value (kept typed when it is the whole string)."""
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return _VAR.sub(
            lambda m: str(variables.get(m.group(1), m.group(0))),
            value,
        )
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def _undefined(value: Any, variables: Mapping[str, Any]) -> set[str]:
    text = json.dumps(value, default=str)
    return {name for name in _VAR.findall(text) if name not in variables}


@dataclass
class StepFailure:
    """One unmet expectation of one step (``call`` counts the repeats from 1)."""

    case_id: str
    step: int
    method: str
    what: str
    expected: Any = None
    got: Any = None
    call: int = 1
    note: str | None = None

    def __str__(self) -> str:
        head = f"{self.case_id} step {self.step} {self.method}"
        if self.call > 1:
            head += f" (call {self.call})"
        lines = [f"{head}: {self.what}"]
        if self.expected is not None:
            lines.append(f"    expected: {_short(self.expected)}")
        if self.got is not None:
            lines.append(f"    got:      {_short(self.got)}")
        if self.note:
            lines.append(f"    note: {self.note}")
        return "\n".join(lines)


def _short(value: Any, limit: int = 1500) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


@dataclass
class CaseResult:
    case_id: str
    failures: list[StepFailure] = field(default_factory=list)
    calls: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self) -> str:
        if self.passed:
            return f"{self.case_id}: passed ({self.calls} calls)"
        body = "\n".join(str(f) for f in self.failures)
        return f"{self.case_id}: {len(self.failures)} failed expectation(s)\n{body}"


def _check_reply(expect: Mapping[str, Any], reply: Any) -> list[tuple[str, Any, Any]]:
    """(what, expected, got) for every unmet expectation on a successful reply."""
    problems: list[tuple[str, Any, Any]] = []
    for key in sorted(set(expect) - _EXPECT_KEYS):
        problems.append((f"unsupported expectation {key!r}", expect[key], None))
    for key, operator in _REPLY_FORMS.items():
        if key in expect:
            wanted = {operator: expect[key]} if operator else expect[key]
            if (p := compare(wanted, reply)) is not None:
                problems.append((f"{key}: {p}", expect[key], reply))
    for path, wanted in (expect.get("paths") or {}).items():
        try:
            got = evaluate(path, reply)
        except PathError as exc:
            problems.append((f"bad path: {exc}", wanted, None))
            continue
        if (p := compare(wanted, got, path)) is not None:
            problems.append((p, wanted, None if got is MISSING else got))
    if expect.get("contiguous_timespans"):
        problems.extend(_contiguous(reply))
    return problems


def _contiguous(reply: Any) -> list[tuple[str, Any, Any]]:
    spans = evaluate("Timespans", reply)
    if not isinstance(spans, list):
        return [("contiguous_timespans: no Timespans list", None, spans)]
    for i in range(len(spans) - 1):
        end = evaluate("TimeEnd", spans[i])
        start = evaluate("TimeStart", spans[i + 1])
        if end is MISSING or end != start:
            what = f"contiguous_timespans: Timespans[{i}].TimeEnd != Timespans[{i + 1}].TimeStart"
            return [(what, end, start)]
    return []


def _check_step(step: Mapping[str, Any], reply: Any, error: str | None) -> list[Any]:
    expect_error = step.get("expect_error")
    match = step.get("match")
    if match is not None and match != "error_or_ok" and not str(match).startswith("prefix:"):
        return [(f"unsupported match {match!r}", None, None)]
    if error is not None:
        if expect_error is None:
            return [("unexpected error", step.get("expect"), f"error: {error}")]
        if isinstance(match, str) and match.startswith("prefix:"):
            prefix = match.removeprefix("prefix:")
            if not error.startswith(prefix):
                return [(f"error does not start with {prefix!r}", expect_error, error)]
        elif error != expect_error:
            return [("wrong error", expect_error, error)]
        return []
    if expect_error is not None and match != "error_or_ok":
        return [("expected an error, got a reply", expect_error, reply)]
    return _check_reply(step.get("expect") or {}, reply)


def run_case(
    case: Case,
    call: Call,
    *,
    variables: dict[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    error_types: tuple[type[BaseException], ...] = (RpcError,),
) -> CaseResult:
    """Run every step of ``case`` through ``call``; errors of ``error_types`` are RPC errors.

    ``variables`` holds the ``capture``\\ d values; pass the same dict along a chain.
    """
    variables = {} if variables is None else variables
    result = CaseResult(str(case["id"]))
    for index, step in enumerate(case["steps"]):
        method = str(step["method"])
        make = functools.partial(StepFailure, result.case_id, index, method, note=step.get("note"))

        def fail(what: str, expected: Any = None, got: Any = None, n: int = 1) -> None:
            result.failures.append(make(what, expected, got, n))  # noqa: B023 (same iteration)

        unknown = sorted(set(step) - _STEP_KEYS)
        if unknown:
            fail(f"unsupported step keys {unknown}")
            continue
        missing = _undefined(step.get("params"), variables)
        if missing:
            fail(f"params use uncaptured variables {sorted(missing)}")
            continue
        params = substitute(step.get("params", {}), variables)
        if method == SLEEP_METHOD:
            ms = params.get("ms", 0) if isinstance(params, dict) else 0
            sleep(float(ms) / 1000 if is_number(ms) else 0.0)
            continue
        checked = substitute(step, variables)
        for n in range(1, int(step.get("repeat", 1)) + 1):
            error: str | None = None
            reply: Any = None
            try:
                reply = call(method, params)
            except error_types as exc:
                error = str(exc)
            result.calls += 1
            for what, expected, got in _check_step(checked, reply, error):
                fail(what, expected, got, n)
            if error is None:
                _capture(step.get("capture") or {}, reply, variables, fail)
    return result


def _capture(
    capture: Mapping[str, str],
    reply: Any,
    variables: dict[str, Any],
    fail: Callable[..., None],
) -> None:
    for name, path in capture.items():
        try:
            value = compile_path(path)(reply)
        except PathError as exc:
            fail(f"capture {name}: {exc}")
            continue
        if value is MISSING:
            fail(f"capture {name}: nothing at {path}", None, reply)
        else:
            variables[name] = value
