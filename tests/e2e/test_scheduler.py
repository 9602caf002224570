"""Action plans and the scheduler against a real engine: the *asap plans of a load, a timed
plan running when due, restarts (graceful and kill -9) that neither repeat nor forget a
run, and the action-plan APIs."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
TUTORIAL2 = Path(__file__).resolve().parents[3] / "shared/spec/cgrates-v0.10/tariffplans/tutorial2"
SCHEDULER_ON = {
    "general": {"default_timezone": "UTC"},
    "schedulers": {"enabled": True},
    "apiers": {"scheduler_conns": ["*internal"]},
}

pytestmark = pytest.mark.skipif(not TUTORIAL2.is_dir(), reason=f"{TUTORIAL2} not present")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine", SCHEDULER_ON).start()
    try:
        yield proc
    finally:
        proc.kill()


def _call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=60)


def _error(proc: EngineProcess, method: str, params: Any) -> str:
    with pytest.raises(RpcError) as info:
        _call(proc, method, params)
    return str(info.value)


def _load(proc: EngineProcess) -> None:
    assert _call(proc, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL2)}) == "OK"


def _values(proc: EngineProcess, account: str) -> dict[str, dict[str, float]]:
    acc = _call(proc, "APIerSv2.GetAccount", {"Tenant": T, "Account": account})
    return {
        kind: {b["ID"]: b["Value"] for b in balances}
        for kind, balances in (acc["BalanceMap"] or {}).items()
    }


def _bonus(proc: EngineProcess) -> float | None:
    return _values(proc, "1001").get("*sms", {}).get("BONUS_SMSes")


def _wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def _soon(seconds: int) -> tuple[str, float]:
    """A daily ``HH:MM:SS`` (UTC) ``seconds`` from now, and when it falls (epoch seconds)."""
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=seconds)
    return when.strftime("%H:%M:%S"), when.timestamp()


def _bind_bonus_plan(proc: EngineProcess, seconds: int) -> float:
    """AP_SOON tops up BONUS_SMSes (+10, *topup) on 1001 once a day, next in ``seconds``."""
    clock, when = _soon(seconds)
    plan = {"Id": "AP_SOON", "ActionPlan": [
        {"ActionsId": "TOPUP_BONUS_10SMS", "Time": clock, "Weight": 10},
    ]}  # fmt: skip
    assert _call(proc, "APIerSv1.SetActionPlan", plan) == "OK"
    bind = {"Tenant": T, "Account": "1001", "ActionPlanIDs": ["AP_SOON"], "ReloadScheduler": True}
    assert _call(proc, "APIerSv2.SetAccount", bind) == "OK"
    return when


def test_a_load_runs_the_asap_plans_and_a_restart_does_not_repeat_them(
    engine: EngineProcess,
) -> None:
    _load(engine)
    expected = {
        "*monetary": {"*default": 10},
        "*voice": {"FREE_MINS": 300_000_000_000, "PER_CALL": 600_000_000_000},
        "*sms": {"FREE_SMSes": 100},
        "*data": {"FREE_DATA": 1024},
    }
    for account in ("1001", "1002", "1003"):
        assert _values(engine, account) == expected
    acc = _call(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1001"})
    assert len(acc["ActionTriggers"]) == 1
    # the TM_NOON timing of STANDARD_PLAN is queued for the three accounts
    (queued,) = _call(engine, "APIerSv1.GetScheduledActions", {})
    assert (queued["ActionPlanID"], queued["ActionsID"], queued["Accounts"]) == (
        "STANDARD_PLAN", "TOPUP_RST_1024_DATA", 3,
    )  # fmt: skip
    assert queued["NextRunTime"].endswith("T12:00:00Z")

    add = {"Tenant": T, "Account": "1001", "BalanceType": "*monetary", "Value": 5,
           "Balance": {"ID": "*default"}}  # fmt: skip
    assert _call(engine, "APIerSv1.AddBalance", add) == "OK"
    assert engine.stop() == 0
    engine.start()
    assert _values(engine, "1001")["*monetary"] == {"*default": 15}  # not topped up again
    _load(engine)  # a new load runs them again, as CGRateS (a *topup_reset: back to 10)
    assert _values(engine, "1001")["*monetary"] == {"*default": 10}


def test_a_timed_plan_runs_when_due_and_kill_9_does_not_repeat_it(
    engine: EngineProcess,
) -> None:
    _load(engine)
    due = _bind_bonus_plan(engine, 3)
    scheduled = _call(engine, "APIerSv1.GetScheduledActions", {"Account": "1001"})
    assert "AP_SOON" in [s["ActionPlanID"] for s in scheduled]
    assert _bonus(engine) is None
    _wait_for(lambda: _bonus(engine) is not None)
    assert time.time() >= due - 1
    assert _bonus(engine) == 10
    engine.kill()  # SIGKILL right after the run
    engine.start()
    time.sleep(2)
    assert _bonus(engine) == 10  # the run is not repeated...
    (soon,) = [
        s
        for s in _call(engine, "APIerSv1.GetScheduledActions", {"Account": "1001"})
        if s["ActionPlanID"] == "AP_SOON"
    ]
    next_run = dt.datetime.fromisoformat(soon["NextRunTime"]).timestamp()
    assert 86_000 < next_run - due <= 86_400  # ...it is next due tomorrow


def test_a_run_missed_while_the_engine_was_down_runs_once_at_start(
    engine: EngineProcess,
) -> None:
    _load(engine)
    due = _bind_bonus_plan(engine, 3)
    assert engine.stop() == 0
    time.sleep(max(0.0, due - time.time()) + 1.5)
    engine.start()
    _wait_for(lambda: _bonus(engine) is not None)
    time.sleep(1.5)
    assert _bonus(engine) == 10


def test_asap_tasks_queued_while_the_scheduler_is_off_run_when_it_starts(
    tmp_path: Path,
) -> None:
    off = {"general": {"default_timezone": "UTC"}}
    proc = EngineProcess.prepare(tmp_path / "engine", off).start()
    try:
        _load(proc)
        assert _values(proc, "1001") == {}  # the account exists; nothing ran its plan
        error = _error(proc, "APIerSv1.GetScheduledActions", {})
        assert error == "SCHEDULLER_NOT_RUNNING"
        assert _error(proc, "SchedulerSv1.Ping", {}).startswith("rpc: can't find service")
        bind = {"Tenant": T, "Account": "1001", "ActionPlanIDs": ["STANDARD_PLAN"],
                "ReloadScheduler": True}  # fmt: skip
        assert _error(proc, "APIerSv2.SetAccount", bind) == "SCHEDULLER_NOT_RUNNING"
        assert proc.stop() == 0
        proc.config = {**proc.config, **SCHEDULER_ON}
        proc.write_config()
        proc.start()
        assert _values(proc, "1001")["*monetary"] == {"*default": 10}
        assert _call(proc, "SchedulerSv1.Ping", {}) == "Pong"
    finally:
        proc.kill()


def test_action_plan_apis_round_trip(engine: EngineProcess) -> None:
    _load(engine)
    plan = {"Id": "AP_API", "ActionPlan": [
        {"ActionsId": "TOPUP_BONUS_10SMS", "MonthDays": "1", "Time": "00:00:00", "Weight": 20},
        {"ActionsId": "TOPUP_RST_100_SMS", "Time": "*asap", "Weight": 10},
    ]}  # fmt: skip
    assert _call(engine, "APIerSv1.SetActionPlan", plan) == "OK"
    assert _error(engine, "APIerSv2.SetActionPlan", plan) == "EXISTS"
    broken = {"Id": "AP_X", "ActionPlan": [{"ActionsId": "NOPE", "Time": "*asap", "Weight": 1}]}
    assert _error(engine, "APIerSv1.SetActionPlan", broken) == "BROKEN_REFERENCE:NOPE"
    (stored,) = _call(engine, "APIerSv1.GetActionPlan", {"ID": "AP_API"})
    assert stored["AccountIDs"] is None
    monthly, asap = stored["ActionTimings"]
    assert monthly["Timing"]["Timing"]["MonthDays"] == [1]
    assert (asap["ActionsID"], asap["Timing"]["Timing"]["StartTime"]) == (
        "TOPUP_RST_100_SMS", "*asap",
    )  # fmt: skip

    bind = {"Tenant": T, "Account": "1005", "ActionPlanID": "AP_API", "ReloadScheduler": True}
    assert _call(engine, "APIerSv1.SetAccount", bind) == "OK"
    assert _values(engine, "1005") == {"*sms": {"FREE_SMSes": 100}}  # its *asap timing ran
    timings = _call(engine, "APIerSv1.GetAccountActionPlan", {"Tenant": T, "Account": "1005"})
    assert [(t["ActionPlanId"], t["ActionsId"]) for t in timings] == [
        ("AP_API", "TOPUP_BONUS_10SMS"), ("AP_API", "TOPUP_RST_100_SMS"),
    ]  # fmt: skip
    assert timings[0]["NextExecTime"].endswith("-01T00:00:00Z")

    run = {"ActionPlanID": "AP_API"}
    assert _call(engine, "APIerSv1.ExecuteScheduledActions", run) == "OK"
    assert _values(engine, "1005")["*sms"]["BONUS_SMSes"] == 10  # the timed timing, now

    unbind = {"ActionPlanId": "AP_API", "Tenant": T, "Account": "1005"}
    assert _call(engine, "APIerSv1.RemoveActionTiming", unbind) == "OK"
    assert _call(engine, "APIerSv1.GetAccountActionPlan", {"Tenant": T, "Account": "1005"}) == []
    assert _call(engine, "APIerSv1.RemoveActionPlan", {"ID": "AP_API"}) == "OK"
    assert _error(engine, "APIerSv1.GetActionPlan", {"ID": "AP_API"}) == "NOT_FOUND"
    assert _call(engine, "SchedulerSv1.Reload", {}) == "OK"


def test_load_account_actions_from_the_stordb(engine: EngineProcess) -> None:
    tp = {"TPid": "T2", "FolderPath": str(TUTORIAL2)}
    assert _call(engine, "APIerSv1.ImportTariffPlanFromFolder", tp) == "OK"
    assert _error(engine, "APIerSv1.LoadAccountActions", {}) == "MANDATORY_IE_MISSING: [TPid]"
    missing = {"TPid": "T2", "Account": "9999"}
    assert _error(engine, "APIerSv1.LoadAccountActions", missing) == "SERVER_ERROR: NOT_FOUND"
    for account in ("1002", "1003"):
        one = {"TPid": "T2", "LoadId": "CSVLOAD", "Tenant": T, "Account": account}
        assert _call(engine, "APIerSv1.LoadAccountActions", one) == "OK"
        assert _values(engine, account)["*data"] == {"FREE_DATA": 1024}
    assert _error(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1001"}) == "NOT_FOUND"
    (plan,) = _call(engine, "APIerSv1.GetActionPlan", {"ID": "STANDARD_PLAN"})
    assert plan["AccountIDs"] == {"cgrates.org:1002": True, "cgrates.org:1003": True}
    acc = _call(engine, "APIerSv2.GetAccount", {"Tenant": T, "Account": "1003"})
    assert len(acc["ActionTriggers"]) == 1
