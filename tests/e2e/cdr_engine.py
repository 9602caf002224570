"""An engine for the exporter tests: the tutorial plan, ChargerS and the CDR server, with two
postpaid calls of 2m10s stored (1001 -> 1002 and 1002 -> 1001, 0.7169 each per run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tollgate.testing.client import rpc
from tollgate.testing.engine import EngineProcess, merge_sections

T = "cgrates.org"
TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
CALL = {
    "OriginHost": "10.0.0.9",
    "RequestType": "*postpaid",
    "SetupTime": "2024-01-02T09:59:55Z",
    "Usage": "2m10s",
}
MAP_FIELDS = [
    {"path": "*exp.Account", "type": "*composed", "value": "~*req.Account"},
    {"path": "*exp.RunID", "type": "*composed", "value": "~*req.RunID"},
    {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost", "rounding_decimals": 4},
]


def call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=30)


def config(
    failed_dir: Path, cdre: dict[str, Any], online: list[str], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The engine's config: ``cdre`` profiles, ``online`` of them in online_cdr_exports."""
    base = {
        "general": {"default_timezone": "UTC", "failed_posts_dir": str(failed_dir)},
        "schedulers": {"enabled": True},
        "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
        "rals": {"enabled": True},
        "attributes": {"enabled": True},
        "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
        "cdrs": {
            "enabled": True,
            "chargers_conns": ["*internal"],
            "rals_conns": ["*internal"],
            "online_cdr_exports": online,
        },
        "cdre": cdre,
    }
    return merge_sections(base, extra or {})


def start(workdir: Path, cfg: dict[str, Any], prefix: str) -> EngineProcess:
    """Start the engine, load the tutorial and store the calls ``<prefix>1`` (1001 -> 1002,
    10:00) and ``<prefix>2`` (1002 -> 1001, 11:00), both runs, not exported."""
    proc = EngineProcess.prepare(workdir, cfg).start()
    try:
        assert call(proc, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == (
            "OK"
        )
        for n, account, dest, answer in (
            (1, "1001", "1002", "2024-01-02T10:00:00Z"),
            (2, "1002", "1001", "2024-01-02T11:00:00Z"),
        ):
            event = {**CALL, "OriginID": f"{prefix}{n}", "Account": account,
                     "Destination": dest, "AnswerTime": answer}  # fmt: skip
            flags = ["*rals", "*store", "*export:false"]
            args = {"Flags": flags, "Tenant": T, "Event": event}
            assert call(proc, "CDRsV1.ProcessEvent", args) == "OK"
    except BaseException:
        proc.stop()
        raise
    return proc
