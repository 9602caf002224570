"""The CGRateS v0.10 conformance cases (``shared/conformance/cases.json``) against the engine.

One test item per ``depends_on`` chain (most chains are a single case). An item is
skipped, with the methods it still needs, while the engine does not serve every method its
cases call. Otherwise it runs on a fresh engine, and each of its cases must be listed either
in ``expected_pass.txt`` (and pass) or in ``expected_fail.txt`` with the reason (and still
fail: an expected failure that passes fails too, asking to move it); a runnable case listed
in neither fails with a request to list it. See ``README.md`` in this folder.
"""

from __future__ import annotations

import functools
import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.conformance import (
    Case,
    CaseResult,
    case_methods,
    chains,
    config_sections,
    load_cases,
    run_case,
)
from tollgate.testing.engine import EngineProcess, wait_for_port

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1].parent / "shared"
CASES_FILE = SHARED / "conformance" / "cases.json"
TARIFFPLANS = SHARED / "spec" / "cgrates-v0.10" / "tariffplans"
EXPECTED_PASS = HERE / "expected_pass.txt"
EXPECTED_FAIL = HERE / "expected_fail.txt"
LOAD_SETTLE = 0.5  # seconds for the scheduler to run the *asap ActionPlans after a load

if not CASES_FILE.exists():
    pytest.skip(f"{CASES_FILE} not present", allow_module_level=True)


def expected_pass() -> set[str]:
    lines = EXPECTED_PASS.read_text().splitlines() if EXPECTED_PASS.exists() else []
    return {s for line in lines if (s := line.split("#", 1)[0].strip())}


def expected_fail() -> dict[str, str]:
    """Runnable cases known to fail today: id -> why (the text after ``#``, required)."""
    lines = EXPECTED_FAIL.read_text().splitlines() if EXPECTED_FAIL.exists() else []
    known: dict[str, str] = {}
    for line in lines:
        ident, _, why = line.partition("#")
        if ident.strip():
            known[ident.strip()] = why.strip()
    return known


@functools.cache
def served_methods() -> frozenset[str] | str:
    """The engine's method table from ``/openrpc.json`` of one default engine, or an error."""
    with tempfile.TemporaryDirectory(prefix="tollgate-methods-") as tmp:
        engine = EngineProcess.prepare(Path(tmp))
        try:
            engine.start()
            wait_for_port(engine.ports["http"])
            url = f"http://127.0.0.1:{engine.ports['http']}/openrpc.json"
            with urllib.request.urlopen(url, timeout=10) as resp:
                document = json.load(resp)
            return frozenset(str(m["name"]) for m in document["methods"])
        except Exception as exc:
            return f"cannot read the engine's methods: {exc!r}\n{engine.log()[-4000:]}"
        finally:
            engine.kill()


CASES = load_cases(CASES_FILE)
CHAINS = chains(CASES)
LISTED = expected_pass()
KNOWN_FAILING = expected_fail()


def _params() -> list[Any]:
    served = served_methods()
    if isinstance(served, str):  # one failing item rather than a collection error
        return [pytest.param([], id="engine-method-table")]
    params = []
    for chain in CHAINS:
        ident = chain[0]["id"] + (f"+{len(chain) - 1}" if len(chain) > 1 else "")
        needs = sorted(set().union(*(case_methods(c) for c in chain)) - served)
        listed = any(c["id"] in LISTED or c["id"] in KNOWN_FAILING for c in chain)
        marks = []
        if needs and not listed:
            marks.append(pytest.mark.skip(reason=f"not yet: needs {', '.join(needs)}"))
        params.append(pytest.param(chain, id=ident, marks=marks))
    return params


def test_expected_pass_names_known_cases() -> None:
    unknown = sorted(LISTED - {c["id"] for c in CASES})
    assert not unknown, f"expected_pass.txt lists ids not in {CASES_FILE}: {unknown}"


def test_expected_fail_names_known_cases_with_reasons() -> None:
    unknown = sorted(set(KNOWN_FAILING) - {c["id"] for c in CASES})
    assert not unknown, f"expected_fail.txt lists ids not in {CASES_FILE}: {unknown}"
    assert not LISTED & set(KNOWN_FAILING), "a case cannot be expected both to pass and to fail"
    silent = sorted(i for i, why in KNOWN_FAILING.items() if not why)
    assert not silent, f"expected_fail.txt entries need a reason after '#': {silent}"


def _load_tariffplan(port: int, name: str) -> str | None:
    folder = TARIFFPLANS / name
    try:
        reply = rpc(
            port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(folder)}, timeout=60
        )
    except RpcError as exc:
        return f"loading tariff plan {name}: error {exc}"
    if reply != "OK":
        return f"loading tariff plan {name}: reply {reply!r}"
    time.sleep(LOAD_SETTLE)
    return None


def _run_chain(chain: list[Case], workdir: Path) -> tuple[list[CaseResult], str | None, str]:
    """The chain's results, a setup error if any, and the engine log."""
    engine = EngineProcess.prepare(workdir, config_sections(*(c.get("config") for c in chain)))
    results: list[CaseResult] = []
    try:
        engine.start()
        port = engine.ports["rpc_json"]
        if chain[0].get("tariffplan"):
            problem = _load_tariffplan(port, chain[0]["tariffplan"])
            if problem:
                return results, problem, engine.log()
        variables: dict[str, Any] = {}
        for case in chain:
            results.append(
                run_case(case, lambda m, p: rpc(port, m, p, timeout=30), variables=variables)
            )
    except (OSError, RuntimeError) as exc:
        return results, f"engine: {exc!r}", engine.log()
    finally:
        engine.kill()
    return results, None, engine.log()


@pytest.mark.parametrize("chain", _params())
def test_case(chain: list[Case], tmp_path: Path) -> None:
    served = served_methods()
    if isinstance(served, str):
        pytest.fail(served, pytrace=False)
    ids = [c["id"] for c in chain]
    needs = sorted(set().union(*(case_methods(c) for c in chain)) - served)
    if needs:
        pytest.fail(
            f"{', '.join(i for i in ids if i in LISTED)} listed in expected_pass.txt, "
            f"but the engine does not serve {', '.join(needs)}"
        )
    results, problem, log = _run_chain(chain, tmp_path / "engine")
    messages = []
    known_failures = []
    if problem:
        messages.append(f"{ids[0]}: {problem}")
    for result in results:
        if result.case_id in KNOWN_FAILING:
            if result.passed:
                messages.append(
                    f"{result.case_id} now PASSES: move it from expected_fail.txt "
                    "to expected_pass.txt"
                )
            else:
                known_failures.append(f"{result.case_id}: {KNOWN_FAILING[result.case_id]}")
            continue
        if result.case_id not in LISTED:
            verdict = "PASSES" if result.passed else "fails (see below)"
            messages.append(
                f"{result.case_id}: every method is served and the case {verdict}; "
                f"add it to tests/conformance/expected_pass.txt"
            )
        if not result.passed:
            messages.append(result.report())
    if messages:
        tail = "\n".join(log.splitlines()[-40:])
        pytest.fail("\n".join(messages) + f"\n--- engine log (tail) ---\n{tail}", pytrace=False)
    if known_failures:
        pytest.xfail("known failing: " + "; ".join(known_failures))
