"""CDRsV1.ProcessEvent (``*rals``, ``*store``) per StorDB backend, and CDRsV1.GetCDRs with
an account + time-range filter over a million stored CDRs, next to CoreSv1.Ping.

    cd bench && PYTHONPATH=../src python cdrs.py                          # all four backends
    cd bench && PYTHONPATH=../src python cdrs.py --backends '*sqlite' --cdrs 100000

For each backend (``*internal``, ``*sqlite``, ``*postgres``, ``*mysql``; the servers are
started on loopback by ``tollgate.testing.sqlservers``, as the tests do) the StorDB is first
filled with ``--cdrs`` CDRs (1,000 accounts, answer times spread over 30 days, written in
bulk before the engine starts; ``*internal`` lives in the engine, so it gets none), then an
engine with the tutorial plan and the CDR server is spawned and measured:

- Ping;
- ProcessEvent of a rated 60 s call (RatingPlan lookup, the cost, the CDR written to the
  StorDB), every request a new OriginID, ``--conns`` x ``--pipeline``;
- CDRsV1.GetCDRs of one account over one day of answer times (about 33 CDRs each; the
  RPCCDRsFilter's Accounts, AnswerTimeStart/End — APIerSv1.GetCDRs' older filter names the
  range TimeStart/TimeEnd), ``--query-conns`` connections one request at a time: the
  latency a user waits, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import ping

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

TUTORIAL = Path(__file__).resolve().parents[1] / "data" / "tariffplans" / "tutorial"
TENANT = "cgrates.org"
ACCOUNTS = 1000
DAYS = 30
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
_NS = 1_000_000_000


class _UniqueConn(ping._Conn):
    """A pipelined connection whose requests each get a new ``@OID@`` (the OriginID)."""

    def _send(self, count: int) -> None:
        if self.stats.stopping or self.transport is None:
            return
        now = time.perf_counter_ns()
        tag = f"{id(self):x}-".encode()
        parts = []
        for _ in range(count):
            self.next_id += 1
            self.sent[self.next_id] = now
            head, tail = self.parts[self.next_id % len(self.parts)]
            rid = str(self.next_id).encode()
            parts.append((head + rid + tail).replace(b"@OID@", tag + rid))
        self.transport.write(b"".join(parts))


def _process_event() -> bytes:
    event = {
        "OriginID": "@OID@",
        "OriginHost": "10.0.0.1",
        "RequestType": "*rated",
        "Tenant": TENANT,
        "Category": "call",
        "Account": "1001",
        "Subject": "1001",
        "Destination": "1002",
        "SetupTime": "2026-11-21T10:00:00Z",
        "AnswerTime": "2026-11-21T10:00:00Z",
        "Usage": "60s",
    }
    params = {"Flags": ["*rals", "*store", "*export:false"], "Tenant": TENANT, "Event": event}
    return ping.payload("CDRsV1.ProcessEvent", json.dumps(params))


def _get_cdrs(count: int, seed: int = 11) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        day = START + dt.timedelta(days=rnd.randrange(DAYS))
        params = {
            "Accounts": [f"acc{rnd.randrange(ACCOUNTS):04d}"],
            "AnswerTimeStart": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "AnswerTimeEnd": (day + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        out.append(ping.payload("CDRsV1.GetCDRs", json.dumps(params)))
    return out


async def _fill(stor_db: dict[str, Any], data_dir: Path, total: int) -> float:
    """Write ``total`` CDRs in bulk; seconds taken."""
    from tollgate.storage.stordb import CDRRecord, SQLStorDB, open_stordb

    db = open_stordb(
        stor_db["db_type"],
        data_dir=data_dir,
        db_name=stor_db.get("db_name", "cgrates"),
        host=stor_db.get("db_host", ""),
        port=stor_db.get("db_port", 0),
        user=stor_db.get("db_user", ""),
        password=stor_db.get("db_password", ""),
    )
    assert isinstance(db, SQLStorDB)
    await db.open()
    started = time.perf_counter()
    span = DAYS * 86400 * _NS
    base = int(START.timestamp()) * _NS
    try:
        batch = []
        for i in range(total):
            answer = base + (i * 7919 * _NS) % span
            batch.append(
                CDRRecord(
                    cgrid=f"{i:040x}",
                    run_id="*default",
                    origin_host="10.0.0.2",
                    origin_id=f"fill{i}",
                    tor="*voice",
                    request_type="*postpaid",
                    tenant=TENANT,
                    category="call",
                    account=f"acc{i % ACCOUNTS:04d}",
                    subject=f"acc{i % ACCOUNTS:04d}",
                    destination=f"49{i % 100000:07d}",
                    setup_time=answer,
                    answer_time=answer,
                    usage=(30 + i % 600) * _NS,
                    cost=Decimal(i % 1000) / 100,
                    cost_source="*cdrs",
                )
            )
            if len(batch) == 10_000:
                await db.add_cdrs(batch)
                batch = []
        await db.add_cdrs(batch)
    finally:
        await db.close()
    return time.perf_counter() - started


@contextmanager
def _server(backend: str) -> Iterator[dict[str, Any]]:
    """The ``stor_db`` section of ``backend``, its server running meanwhile."""
    from tollgate.testing.sqlservers import start_mariadb, start_postgres

    if backend not in ("*postgres", "*mysql"):
        yield {"db_type": backend}
        return
    server = start_postgres() if backend == "*postgres" else start_mariadb()
    try:
        yield server.stor_db()
    finally:
        server.stop()


def _measure(backend: str, args: argparse.Namespace, runner: asyncio.Runner) -> dict[str, Any]:
    from tollgate.testing.engine import EngineProcess

    out: dict[str, Any] = {}
    with _server(backend) as stor_db, tempfile.TemporaryDirectory(prefix="tollgate-b-") as tmp:
        config = {
            "general": {"log_level": 3},
            "stor_db": stor_db,
            "rals": {"enabled": True},
            "apiers": {"enabled": True},
            "cdrs": {"enabled": True, "rals_conns": ["*internal"]},
        }
        engine = EngineProcess.prepare(Path(tmp), config)
        if backend != "*internal" and args.cdrs:
            out["fill_s"] = runner.run(_fill(stor_db, engine.data_dir, args.cdrs))
        engine.start("-load_tariffplan", str(TUTORIAL))
        try:
            address = f"127.0.0.1:{engine.ports['rpc_json']}"
            load = {"duration": args.duration}
            out["ping"] = runner.run(
                ping.run_load(
                    address,
                    payloads=[ping.payload("CoreSv1.Ping", "{}")],
                    conns=args.conns,
                    pipeline=args.pipeline,
                    **load,
                )
            )
            original = ping._Conn
            ping._Conn = _UniqueConn  # type: ignore[misc]
            try:
                out["process"] = runner.run(
                    ping.run_load(
                        address,
                        payloads=[_process_event()],
                        conns=args.conns,
                        pipeline=args.pipeline,
                        **load,
                    )
                )
            finally:
                ping._Conn = original  # type: ignore[misc]
            if backend != "*internal" and args.cdrs:
                out["get"] = runner.run(
                    ping.run_load(
                        address, payloads=_get_cdrs(2000), conns=args.query_conns, pipeline=1,
                        **load,
                    )
                )  # fmt: skip
        finally:
            engine.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="*internal,*sqlite,*postgres,*mysql")
    parser.add_argument("--cdrs", type=int, default=1_000_000, help="CDRs stored first")
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--query-conns", type=int, default=4)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    errors = 0
    print(
        f"cpus={os.cpu_count()} conns={args.conns} pipeline={args.pipeline} "
        f"duration={args.duration}s cdrs={args.cdrs:,}"
    )
    with runner:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            figures = _measure(backend, args, runner)
            print(f"== {backend}" + (f" (filled in {figures['fill_s']:.0f} s)" if "fill_s" in
                                      figures else ""))  # fmt: skip
            for key, name in (("ping", "CoreSv1.Ping"), ("process", "CDRsV1.ProcessEvent"),
                              ("get", "CDRsV1.GetCDRs")):  # fmt: skip
                if key in figures:
                    print(ping._report(name, figures[key]))
                    errors += int(figures[key]["errors"])
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
