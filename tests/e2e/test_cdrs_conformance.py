"""The CDR conformance case as CGRateS ran it.

``cdrs.testit.process_event_voice_balances_duplicate_and_rerate`` comes from a test whose
engine (``data/conf/samples/cdrsv1internal``) has no ``cdrs.chargers_conns``; the suite's
base config (tutinternal) has them, so there the event is forked into testit's three charger
runs and the case is an expected failure (tests/conformance/expected_fail.txt). Here it runs
on its original CDRs settings, ChargerS off, and must pass step for step.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tollgate.testing.client import rpc
from tollgate.testing.conformance import config_sections, load_cases, run_case
from tollgate.testing.engine import EngineProcess

SHARED = Path(__file__).resolve().parents[3] / "shared"
CASES = SHARED / "conformance" / "cases.json"
TARIFFPLANS = SHARED / "spec" / "cgrates-v0.10" / "tariffplans"
CASE_ID = "cdrs.testit.process_event_voice_balances_duplicate_and_rerate"

if not CASES.exists():
    pytest.skip(f"{CASES} not present", allow_module_level=True)


def test_the_cdrs_case_on_its_original_config(tmp_path: Path) -> None:
    [case] = [c for c in load_cases(CASES) if c["id"] == CASE_ID]
    sections = config_sections(case.get("config"), {"cdrs.chargers_conns": []})
    engine = EngineProcess.prepare(tmp_path / "engine", sections).start()
    try:
        port = engine.ports["rpc_json"]
        folder = TARIFFPLANS / case["tariffplan"]
        assert rpc(port, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(folder)}) == "OK"
        time.sleep(0.5)
        result = run_case(case, lambda m, p: rpc(port, m, p, timeout=30), variables={})
        assert result.passed, "\n".join(str(f) for f in result.failures)
    finally:
        assert engine.stop() == 0, engine.log()
