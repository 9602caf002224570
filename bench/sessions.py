"""Full call lifecycles over BiJSON (AuthorizeEvent, InitiateSession, two UpdateSession,
TerminateSession, ProcessCDR) per second with ``--sessions`` calls in progress at once, the
engine's memory per active session, and CoreSv1.Ping in the same run for scale.

    cd bench && PYTHONPATH=../src python sessions.py               # throw-away engine
    cd bench && PYTHONPATH=../src python sessions.py --sessions 200 --duration 5

The spawned engine has the tutorial plan (``data/tariffplans/tutorial``), SessionS and
ChargerS (the tutorial's *default and *raw runs) over ``*internal``, ``debit_interval`` 0,
and account ``bench`` with a balance the run cannot spend. Each of ``--conns`` BiJSON
connections works as one OpenSIPS worker: one request at a time, json-c spaced output.
The ``--sessions`` calls are spread over them; each call runs its lifecycle again and again
(prepaid, subject 1001 to 1002, 60s per update); ProcessCDR stores the CDRs of both runs
in the StorDB (``--no-cdr`` leaves it out); failures are counted, not fatal.

Memory: the engine's RSS is read (``/proc/<pid>/status``) with no session, then with
``--sessions`` calls initiated and held, and the difference divided by their number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ping

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

TUTORIAL = Path(__file__).resolve().parents[1] / "data" / "tariffplans" / "tutorial"
TENANT = "cgrates.org"
CONFIG: dict[str, Any] = {
    "general": {"log_level": 3},
    "schedulers": {"enabled": True},
    "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
    "chargers": {"enabled": True},
    "cdrs": {"enabled": True, "rals_conns": ["*internal"]},
    "sessions": {
        "enabled": True,
        "chargers_conns": ["*internal"],
        "rals_conns": ["*internal"],
        "cdrs_conns": ["*internal"],
        "debit_interval": "0s",
    },
}


def _json_c(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)}: {_json_c(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[ " + ", ".join(_json_c(v) for v in value) + " ]"
    return json.dumps(value).replace("/", "\\/")


class Worker:
    """One BiJSON connection, one request at a time (as an OpenSIPS worker)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = json.JSONDecoder()
        self.buffer = ""
        self.seq = 0
        self.lock = asyncio.Lock()

    async def call(self, method: str, params: Any) -> Any:
        async with self.lock:
            self.seq += 1
            self.writer.write(
                _json_c({"method": method, "id": self.seq, "params": [params]}).encode()
            )
            while True:
                text = self.buffer.lstrip()
                try:
                    obj, end = self.decoder.raw_decode(text)
                except json.JSONDecodeError:
                    chunk = await self.reader.read(65536)
                    if not chunk:
                        raise ConnectionError("engine closed the connection") from None
                    self.buffer = text + chunk.decode()
                    continue
                self.buffer = text[end:]
                if obj.get("method"):  # the engine calling us: answer like OpenSIPS
                    answer = {"error": None, "result": "OK", "id": obj.get("id")}
                    self.writer.write(_json_c(answer).encode())
                    continue
                return obj


def _event(origin_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "ToR": "*voice", "OriginID": origin_id, "OriginHost": "bench", "RequestType": "*prepaid",
        "Account": "bench", "Subject": "1001", "Destination": "1002",
        "SetupTime": "2026-11-23T10:00:00Z", "AnswerTime": "2026-11-23T10:00:05Z", **extra,
    }  # fmt: skip


class Lifecycles:
    def __init__(self, with_cdr: bool) -> None:
        self.with_cdr = with_cdr
        self.done = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.measuring = False
        self.stop = False

    async def run(self, worker: Worker, origin_id: str) -> None:
        n = 0
        while not self.stop:
            n += 1
            oid = f"{origin_id}-{n}"
            started = time.perf_counter()
            steps = [
                ("SessionSv1.AuthorizeEvent", {"GetMaxUsage": True, "Event": _event(oid)}),
                ("SessionSv1.InitiateSession",
                 {"InitSession": True, "Event": _event(oid, Usage="60s")}),
                ("SessionSv1.UpdateSession",
                 {"UpdateSession": True, "Event": _event(oid, Usage="60s", LastUsed="60s")}),
                ("SessionSv1.UpdateSession",
                 {"UpdateSession": True, "Event": _event(oid, Usage="60s", LastUsed="60s")}),
                ("SessionSv1.TerminateSession",
                 {"TerminateSession": True, "Event": _event(oid, Usage="150s")}),
            ]  # fmt: skip
            if self.with_cdr:
                steps.append(("SessionSv1.ProcessCDR", {"Event": _event(oid, Usage="150s")}))
            failed = False
            for method, params in steps:
                reply = await worker.call(method, {"Tenant": TENANT, **params})
                failed = failed or reply.get("error") is not None
            if self.measuring:
                self.done += 1
                self.errors += failed
                self.latencies.append(time.perf_counter() - started)


async def _connect(port: int, count: int) -> list[Worker]:
    workers = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
        workers.append(Worker(reader, writer))
    return workers


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _setup(port: int) -> None:
    (worker,) = await _connect(port, 1)
    for method, params in (
        ("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}),
        ("APIerSv2.SetBalance", {"Tenant": TENANT, "Account": "bench",
                                 "BalanceType": "*monetary", "Value": 10**9,
                                 "Balance": {"ID": "bench"}}),
    ):  # fmt: skip
        reply = await worker.call(method, params)
        if reply.get("error") is not None:
            raise RuntimeError(f"{method}: {reply['error']}")
    worker.writer.close()


async def _memory(port: int, pid: int, sessions: int, conns: int) -> float:
    """KiB of RSS per session held active."""
    workers = await _connect(port, conns)
    before = _rss_kib(pid)

    async def hold(worker: Worker, first: int, count: int) -> None:
        for n in range(first, first + count):
            params = {"Tenant": TENANT, "InitSession": True,
                      "Event": _event(f"mem-{n}", Usage="60s")}  # fmt: skip
            reply = await worker.call("SessionSv1.InitiateSession", params)
            if reply.get("error") is not None:
                raise RuntimeError(reply["error"])

    share = sessions // conns
    await asyncio.gather(*(hold(w, i * share, share) for i, w in enumerate(workers)))
    await asyncio.sleep(0.5)
    after = _rss_kib(pid)
    for i, worker in enumerate(workers):  # end them again
        for n in range(i * share, i * share + share):
            params = {"Tenant": TENANT, "TerminateSession": True,
                      "Event": _event(f"mem-{n}", Usage="60s")}  # fmt: skip
            await worker.call("SessionSv1.TerminateSession", params)
        worker.writer.close()
    return (after - before) / max(share * conns, 1)


async def _lifecycles(port: int, args: argparse.Namespace) -> dict[str, float]:
    workers = await _connect(port, args.conns)
    load = Lifecycles(with_cdr=not args.no_cdr)
    tasks = [
        asyncio.create_task(load.run(workers[n % len(workers)], f"call-{n}"))
        for n in range(args.sessions)
    ]
    await asyncio.sleep(1.0)
    load.measuring = True
    started = time.perf_counter()
    await asyncio.sleep(args.duration)
    load.measuring = False
    elapsed = time.perf_counter() - started
    load.stop = True
    await asyncio.gather(*tasks, return_exceptions=True)
    for worker in workers:
        worker.writer.close()
    latencies = sorted(load.latencies) or [0.0]
    return {
        "lifecycles/s": load.done / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "failed": load.errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000, help="calls in progress at once")
    parser.add_argument("--conns", type=int, default=50, help="BiJSON connections")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--no-cdr", action="store_true", help="leave ProcessCDR out")
    args = parser.parse_args()
    from tollgate.testing.engine import EngineProcess

    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    with tempfile.TemporaryDirectory(prefix="tollgate-bench-") as tmp, runner:
        engine = EngineProcess.prepare(Path(tmp), CONFIG).start()
        try:
            assert engine.proc is not None
            port, pid = engine.ports["bijson"], engine.proc.pid
            address = f"127.0.0.1:{engine.ports['rpc_json']}"
            runner.run(_setup(engine.ports["rpc_json"]))
            ping_figures = runner.run(
                ping.run_load(
                    address, payloads=[ping.payload("CoreSv1.Ping", "{}")], conns=8,
                    pipeline=64, duration=args.duration,
                )
            )  # fmt: skip
            per_session = runner.run(_memory(port, pid, args.sessions, args.conns))
            figures = runner.run(_lifecycles(port, args))
        finally:
            engine.stop()
    print(f"cpus={os.cpu_count()} sessions={args.sessions} conns={args.conns} "
          f"duration={args.duration}s cdr={not args.no_cdr}")  # fmt: skip
    print(ping._report("CoreSv1.Ping", ping_figures))
    print(
        f"{'lifecycles':<24} {figures['lifecycles/s']:>10,.1f} /s      "
        f"p50 {figures['p50_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms   "
        f"failed {int(figures['failed'])}   "
        f"({figures['lifecycles/s'] * (5 + (not args.no_cdr)) / ping_figures['rps']:.2%} "
        "of Ping in requests)"
    )
    print(f"{'memory per session':<24} {per_session:>10,.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
