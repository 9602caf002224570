"""APIerSv1.GetCost against the tutorial plan, next to CoreSv1.Ping, in one engine run.

    python bench/getcost.py                 # spawns an engine with the tutorial plan
    python bench/getcost.py --duration 20 --conns 8 --pipeline 64

The GetCost requests cycle through a fixed-seed random set of tutorial subjects,
destinations (1001/1002/1003, SMS) and durations from 1 s to 2 h, so every run prices the
same mix. Prints both figures and the ratio (goal: GetCost at >= 60% of Ping).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
from pathlib import Path

import ping

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

TUTORIAL = Path(__file__).resolve().parents[1] / "data" / "tariffplans" / "tutorial"
SUBJECTS = {"1001": ["1002", "1003"], "1002": ["1001"], "1003": ["1001"]}


def getcost_payloads(count: int, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        subject = rnd.choice(sorted(SUBJECTS))
        params = {
            "Tenant": "cgrates.org",
            "Category": "call",
            "Subject": subject,
            "Destination": rnd.choice(SUBJECTS[subject]),
            "AnswerTime": "2026-11-21T10:00:00Z",
            "Usage": f"{rnd.randint(1, 7200)}s",
        }
        out.append(ping.payload("APIerSv1.GetCost", json.dumps(params)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    figures = {}
    with runner, ping.spawn_engine(None, "-load_tariffplan", str(TUTORIAL)) as (address, _):
        for name, payloads in (
            ("CoreSv1.Ping", [ping.payload("CoreSv1.Ping", "{}")]),
            ("APIerSv1.GetCost", getcost_payloads(500)),
        ):
            figures[name] = runner.run(
                ping.run_load(
                    address,
                    payloads=payloads,
                    conns=args.conns,
                    pipeline=args.pipeline,
                    duration=args.duration,
                )
            )
    print(
        f"cpus={os.cpu_count()} conns={args.conns} pipeline={args.pipeline} "
        f"duration={args.duration}s"
    )
    for name, result in figures.items():
        print(ping._report(name, result))
    ratio = figures["APIerSv1.GetCost"]["rps"] / figures["CoreSv1.Ping"]["rps"]
    print(f"GetCost / Ping = {ratio:.1%}")
    return 0 if all(f["errors"] == 0 for f in figures.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
