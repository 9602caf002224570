"""In-process µs per AttributeSv1.ProcessEvent among 10 and among N profiles, and a cProfile top.

PYTHONPATH=src python bench/profile_attributes.py                 # 100,000 profiles
PYTHONPATH=src python bench/profile_attributes.py --profiles 10000 --top 30

The profiles and events are those of ``attributes.py`` (one ``*string`` account filter and
three attributes per profile); the two tenants live in one engine-like set of services, and
the passes alternate between them so both see the same machine. A pass is timed in CPU time
of this process, so time other processes of a shared machine take is not counted (what
they do to the caches still is).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import random
import tempfile
import time
from decimal import Decimal
from typing import Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.attributes import AttrArgsProcessEvent, AttributeService
from tollgate.core.config import load_config
from tollgate.core.wire import encode
from tollgate.filters import FilterService
from tollgate.storage.datadb import InternalDataDB

SMALL, LARGE = "small.bench", "large.bench"


def _profile(tenant: str, n: int) -> tp.TPAttributeProfile:
    return tp.TPAttributeProfile(
        Tenant=tenant,
        ID=f"ATTR_{n}",
        Contexts=["*sessions"],
        FilterIDs=[f"*string:~*req.Account:acc{n}"],
        Attributes=[
            tp.TPAttribute(Path="*req.Subject", Type="*constant", Value=f"sub{n}"),
            tp.TPAttribute(Path="*req.Caller", Type="*variable", Value="~*req.Account"),
            tp.TPAttribute(Path="*req.Tag", Type="*composed", Value=f"~*req.Destination;@{n}"),
        ],
        Weight=Decimal(10),
    )


def _events(tenant: str, count: int, profiles: int) -> list[AttrArgsProcessEvent]:
    rnd = random.Random(11)
    return [
        AttrArgsProcessEvent(
            Tenant=tenant,
            ID=f"bench{i}",
            Context="*sessions",
            Event={"Account": f"acc{rnd.randrange(profiles)}", "Destination": "1002"},
        )
        for i in range(count)
    ]


async def _run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = InternalDataDB(folder, fsync="no")
        await db.open()
        cfg = load_config(None).merged({"attributes": {"enabled": True}})
        filters = FilterService(lambda: db, cfg=lambda: cfg)
        attributes = AttributeService(filters, cfg=lambda: cfg)
        items: dict[str, bytes] = {}
        for tenant, count in ((SMALL, 10), (LARGE, args.profiles)):
            for n in range(count):
                items[f"{tenant}:ATTR_{n}"] = msgspec.msgpack.encode(_profile(tenant, n))
        await db.set_many("*attribute_profiles", items)
        t = time.perf_counter()
        await filters.reload()
        await attributes.reload(db)
        print(f"load: {time.perf_counter() - t:.1f} s for {len(items)} profiles")
        gc.collect()
        if args.freeze:
            gc.freeze()
        if args.nogc:
            gc.disable()
        sets = {SMALL: _events(SMALL, 4000, 10), LARGE: _events(LARGE, 4000, args.profiles)}

        async def one_pass(tenant: str) -> float:
            t = time.process_time()
            for a in sets[tenant]:
                encode(await attributes.process_event(a))
            return (time.process_time() - t) / len(sets[tenant]) * 1e6

        best = {SMALL: float("inf"), LARGE: float("inf")}
        for _ in range(args.rounds):
            for tenant in (SMALL, LARGE):
                best[tenant] = min(best[tenant], await one_pass(tenant))
        print(
            f"µs/ProcessEvent: 10 profiles {best[SMALL]:.1f}, {args.profiles} profiles "
            f"{best[LARGE]:.1f}; rate ratio {best[SMALL] / best[LARGE]:.1%}"
        )
        if args.top:
            for tenant in (SMALL, LARGE):
                prof = cProfile.Profile()
                prof.enable()
                await one_pass(tenant)
                prof.disable()
                print(f"--- {tenant}")
                pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7, help="timed passes; the best counts")
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() after the load")
    parser.add_argument("--nogc", action="store_true", help="no cyclic GC while timing")
    args: Any = parser.parse_args()
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
