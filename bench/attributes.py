"""AttributeSv1.ProcessEvent with 10 and with 100,000 AttributeProfiles loaded (indexed),
next to CoreSv1.Ping, in one engine run.

    cd bench && PYTHONPATH=../src python attributes.py --spawn              # throw-away engine
    python bench/attributes.py --address 127.0.0.1:2012 --duration 20       # an engine you run
    python bench/attributes.py --spawn --profiles 1000000                   # a bigger table

Two tenants share the engine: ``small.bench`` holds 10 profiles, ``large.bench`` holds
``--profiles`` (100,000 by default); both are written as one tariff-plan folder
(Attributes.csv) and loaded before the clock starts. Every profile is in context
``*sessions``, matches one account (``*string:~*req.Account:acc<n>``) and sets three fields
(a constant, a copy of another field, a composed value). The requests cycle through a
fixed-seed random set of accounts of the tenant, so each one matches through the string
index. With indexes the two figures should be within 20% of each other: the lookup reads
the event's fields, not the profiles. Prints requests/s and p50/p99 of each and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
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
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    runs = (
        ("CoreSv1.Ping", [ping.payload("CoreSv1.Ping", "{}")]),
        ("ProcessEvent 10 profiles", process_payloads(SMALL, 500, 10)),
        (f"ProcessEvent {args.profiles:,}", process_payloads(LARGE, 500, args.profiles)),
    )

    def measure(address: str) -> dict[str, dict[str, float]]:
        for _name, payloads in runs[1:]:
            runner.run(_check(address, payloads[0]))
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

    with runner, tempfile.TemporaryDirectory(prefix="tollgate-attrs-") as tmp:
        write_plan(Path(tmp), {SMALL: 10, LARGE: args.profiles})
        if args.spawn:
            extra = {"attributes": {"enabled": True, "indexed_selects": True}}
            with ping.spawn_engine(extra, "-load_tariffplan", tmp) as (address, _):
                figures = measure(address)
        else:
            load = ping.payload(
                "APIerSv1.LoadTariffPlanFromFolder", json.dumps({"FolderPath": tmp})
            )
            runner.run(_check(args.address, load))
            figures = measure(args.address)
    print(
        f"cpus={os.cpu_count()} conns={args.conns} pipeline={args.pipeline} "
        f"duration={args.duration}s profiles={args.profiles}"
    )
    for name, result in figures.items():
        print(ping._report(name, result))
    ping_rps = figures["CoreSv1.Ping"]["rps"]
    small = figures["ProcessEvent 10 profiles"]["rps"]
    large = figures[f"ProcessEvent {args.profiles:,}"]["rps"]
    print(f"ProcessEvent (10) / Ping = {small / ping_rps:.1%}")
    print(f"ProcessEvent ({args.profiles:,}) / ProcessEvent (10) = {large / small:.1%}")
    return 0 if all(f["errors"] == 0 for f in figures.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
