"""AttributeSv1.ProcessEvent with 10 and with 100,000 AttributeProfiles loaded (indexed),
next to CoreSv1.Ping, in one engine run.

    cd bench && PYTHONPATH=../src python attributes.py --spawn              # throw-away engine
    python bench/attributes.py --address 127.0.0.1:2012 --duration 20       # an engine you run
    python bench/attributes.py --spawn --profiles 1000000                   # a bigger table
    cd bench && PYTHONPATH=../src python attributes.py --spawn --duration 6 --rounds 3

Two tenants share the engine: ``small.bench`` holds 10 profiles, ``large.bench`` holds
``--profiles`` (100,000 by default); both are written as one tariff-plan folder
(Attributes.csv) and loaded before the clock starts. Every profile is in context
``*sessions``, matches one account (``*string:~*req.Account:acc<n>``) and sets three fields
(a constant, a copy of another field, a composed value). The requests cycle through a
fixed-seed random set of accounts of the tenant, so each one matches through the string
index. With indexes the two figures should be within 20% of each other: the lookup reads
the event's fields, not the profiles. Prints requests/s and p50/p99 of each and the ratios;
with ``--rounds`` the three are measured again and again, the two ProcessEvent cases taking
turns going first, and the large/small ratio of each round is printed (on a shared machine
the load drifts between measurements; a round's two figures are seconds apart).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import ping

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

SMALL, LARGE = "small.bench", "large.bench"
HEADER = "#Tenant,ID,Contexts,FilterIDs,ActivationInterval,AttributeFilterIDs,Path,Type,Value,Blocker,Weight\n"  # noqa: E501


def write_plan(folder: Path, sizes: dict[str, int]) -> None:
    """Attributes.csv with ``sizes[tenant]`` profiles per tenant (three rows each)."""
    with (folder / "Attributes.csv").open("w") as out:
        out.write(HEADER)
        for tenant, count in sizes.items():
            for n in range(count):
                pid = f"ATTR_{n}"
                out.write(
                    f"{tenant},{pid},*sessions,*string:~*req.Account:acc{n},,,"
                    f"*req.Subject,*constant,sub{n},false,10\n"
                    f"{tenant},{pid},,,,,*req.Caller,*variable,~*req.Account,,\n"
                    f"{tenant},{pid},,,,,*req.Tag,*composed,~*req.Destination;@{n},,\n"
                )


def process_payloads(tenant: str, count: int, profiles: int, seed: int = 11) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        params = {
            "Tenant": tenant,
            "ID": f"bench{i}",
            "Context": "*sessions",
            "Event": {"Account": f"acc{rnd.randrange(profiles)}", "Destination": "1002"},
        }
        out.append(ping.payload("AttributeSv1.ProcessEvent", json.dumps(params)))
    return out


@contextlib.contextmanager
def spawn_loaded_engine(plan: str, start_timeout: float = 300.0) -> Iterator[str]:
    """``ping.spawn_engine`` with the plan loaded at start, waiting as long as loading
    100,000s of profiles takes on a busy machine (not the usual 20 s)."""
    from tollgate.testing.engine import EngineProcess, wait_for_port

    with tempfile.TemporaryDirectory(prefix="tollgate-bench-") as tmp:
        extra = {
            "general": {"log_level": 3},
            "attributes": {"enabled": True, "indexed_selects": True},
        }
        engine = EngineProcess.prepare(Path(tmp), extra)
        engine.start("-load_tariffplan", plan, wait=False)
        try:
            assert engine.proc is not None
            wait_for_port(engine.ports["rpc_json"], timeout=start_timeout, proc=engine.proc)
            yield f"127.0.0.1:{engine.ports['rpc_json']}"
        finally:
            engine.stop()


async def _check(address: str, payload: bytes) -> None:
    """One request before the clock (a check, or the load): it must not fail."""
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(payload.replace(b"@ID@", b"1"))
        reply = json.loads(await reader.readline())
        if reply.get("error") is not None:
            raise RuntimeError(f"ProcessEvent failed: {reply['error']}")
    finally:
        writer.close()
        await writer.wait_closed()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default="127.0.0.1:2012")
    parser.add_argument("--spawn", action="store_true", help="start a throw-away engine")
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each case this many times, interleaved"
    )
    args = parser.parse_args()
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    small_name, large_name = "ProcessEvent 10 profiles", f"ProcessEvent {args.profiles:,}"
    runs = {
        "CoreSv1.Ping": [ping.payload("CoreSv1.Ping", "{}")],
        small_name: process_payloads(SMALL, 500, 10),
        large_name: process_payloads(LARGE, 500, args.profiles),
    }

    def load(address: str, name: str) -> dict[str, float]:
        return runner.run(
            ping.run_load(
                address,
                payloads=runs[name],
                conns=args.conns,
                pipeline=args.pipeline,
                duration=args.duration,
            )
        )

    def measure(address: str) -> list[dict[str, dict[str, float]]]:
        for name in (small_name, large_name):
            runner.run(_check(address, runs[name][0]))
        rounds = []
        for n in range(args.rounds):
            # a shared machine's load drifts: the two cases take turns going first
            order = (small_name, large_name) if n % 2 == 0 else (large_name, small_name)
            figures = {"CoreSv1.Ping": load(address, "CoreSv1.Ping")}
            figures.update({name: load(address, name) for name in order})
            rounds.append(figures)
        return rounds

    with runner, tempfile.TemporaryDirectory(prefix="tollgate-attrs-") as tmp:
        write_plan(Path(tmp), {SMALL: 10, LARGE: args.profiles})
        if args.spawn:
            with spawn_loaded_engine(tmp) as address:
                rounds = measure(address)
        else:
            load_plan = ping.payload(
                "APIerSv1.LoadTariffPlanFromFolder", json.dumps({"FolderPath": tmp})
            )
            runner.run(_check(args.address, load_plan))
            rounds = measure(args.address)
    print(
        f"cpus={os.cpu_count()} conns={args.conns} pipeline={args.pipeline} "
        f"duration={args.duration}s rounds={args.rounds} profiles={args.profiles}"
    )
    ratios = []
    for n, figures in enumerate(rounds, 1):
        if args.rounds > 1:
            print(f"round {n}")
        for name in runs:
            print(ping._report(name, figures[name]))
        ping_rps = figures["CoreSv1.Ping"]["rps"]
        small, large = figures[small_name]["rps"], figures[large_name]["rps"]
        ratios.append(large / small)
        print(f"ProcessEvent (10) / Ping = {small / ping_rps:.1%}")
        print(f"ProcessEvent ({args.profiles:,}) / ProcessEvent (10) = {large / small:.1%}")
    if args.rounds > 1:
        ratios.sort()
        print(
            f"{args.profiles:,} / 10 over {args.rounds} rounds: {ratios[0]:.1%} - "
            f"{ratios[-1]:.1%}, median {ratios[len(ratios) // 2]:.1%}"
        )
    ok = all(f["errors"] == 0 for figures in rounds for f in figures.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
