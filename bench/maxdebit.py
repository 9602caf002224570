"""Responder.MaxDebit of one minute, against one hot account and against 10,000 accounts,
next to CoreSv1.Ping, in one engine run.

    cd bench && PYTHONPATH=../src python maxdebit.py --spawn              # throw-away engine
    python bench/maxdebit.py --address 127.0.0.1:2012 --duration 20       # an engine you run
    python bench/maxdebit.py --spawn --fsync everysec                     # trade durability

The engine gets the tutorial plan (``data/tariffplans/tutorial``) and, before the clock
starts, one hot account and ``--accounts`` others (``bench_hot``, ``bench_00000``...), each
with a monetary balance far larger than the run can spend. Every MaxDebit is a 60 s call of
subject 1001 to 1002 (0.6 from the balance, written to the DataDB before the reply): the
hot run queues every request behind one account's lock, the spread run cycles through all
the accounts. Prints requests/s and p50/p99 for each, and each run's share of Ping.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

import ping

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

TUTORIAL = Path(__file__).resolve().parents[1] / "data" / "tariffplans" / "tutorial"
TENANT = "cgrates.org"
HOT = "bench_hot"
BALANCE = 10**9  # never runs out during a run


def _max_debit(account: str) -> bytes:
    params = {
        "Category": "call",
        "Tenant": TENANT,
        "Account": account,
        "Subject": "1001",
        "Destination": "1002",
        "TimeStart": "2026-11-21T10:00:00Z",
        "TimeEnd": "2026-11-21T10:01:00Z",
    }
    return ping.payload("Responder.MaxDebit", json.dumps(params))


def _names(count: int) -> list[str]:
    return [f"bench_{i:05d}" for i in range(count)]


async def _call_all(address: str, requests: list[tuple[str, object]], window: int = 256) -> None:
    """Send the requests pipelined on one connection; fail on the first error reply."""
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 22)
    try:
        for start in range(0, len(requests), window):
            batch = requests[start : start + window]
            writer.write(
                b"".join(
                    json.dumps({"method": m, "params": [p], "id": start + i}).encode() + b"\n"
                    for i, (m, p) in enumerate(batch)
                )
            )
            await writer.drain()
            for _ in batch:
                reply = json.loads(await reader.readline())
                if reply.get("error") is not None:
                    raise RuntimeError(f"setup failed: {reply['error']}")
    finally:
        writer.close()
        await writer.wait_closed()


def _setup_requests(accounts: int, load_plan: bool) -> list[tuple[str, object]]:
    requests: list[tuple[str, object]] = []
    if load_plan:
        requests.append(("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}))
    for name in [HOT, *_names(accounts)]:
        balance = {"Tenant": TENANT, "Account": name, "BalanceType": "*monetary",
                   "Value": BALANCE, "Balance": {"ID": "BENCH"}}  # fmt: skip
        requests.append(("APIerSv1.SetBalance", balance))
    return requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default="127.0.0.1:2012")
    parser.add_argument("--spawn", action="store_true", help="start a throw-away engine")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument(
        "--fsync", default="always", choices=("always", "everysec", "no"),
        help="data_db internal_fsync of the spawned engine",
    )  # fmt: skip
    args = parser.parse_args()
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    runs = (
        ("CoreSv1.Ping", [ping.payload("CoreSv1.Ping", "{}")]),
        ("MaxDebit 1 hot account", [_max_debit(HOT)]),
        (f"MaxDebit {args.accounts:,} accounts", [_max_debit(n) for n in _names(args.accounts)]),
    )

    def measure(address: str, load_plan: bool) -> dict[str, dict[str, float]]:
        runner.run(_call_all(address, _setup_requests(args.accounts, load_plan)))
        return {
            name: runner.run(
                ping.run_load(
                    address,
                    payloads=payloads,
                    conns=args.conns,
                    pipeline=args.pipeline,
                    duration=args.duration,
                )
            )
            for name, payloads in runs
        }

    with runner:
        if args.spawn:
            extra = {"data_db": {"internal_fsync": args.fsync}}
            with ping.spawn_engine(extra, "-load_tariffplan", str(TUTORIAL)) as (address, _):
                figures = measure(address, load_plan=False)
        else:
            figures = measure(args.address, load_plan=True)
    print(
        f"cpus={os.cpu_count()} conns={args.conns} pipeline={args.pipeline} "
        f"duration={args.duration}s accounts={args.accounts} fsync={args.fsync}"
    )
    ping_rps = figures["CoreSv1.Ping"]["rps"]
    for name, result in figures.items():
        share = "" if name == "CoreSv1.Ping" else f"   {result['rps'] / ping_rps:.2%} of Ping"
        print(ping._report(name, result) + share)
    return 0 if all(f["errors"] == 0 for f in figures.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
