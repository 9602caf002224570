"""In-process µs per APIerSv1.GetCost (tutorial plan, the getcost.py mix) and a cProfile top.

PYTHONPATH=src python bench/profile_getcost.py            # timing and the top 18 by tottime
PYTHONPATH=src python bench/profile_getcost.py --top 40 --sort cumtime
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time
from pathlib import Path

from tollgate.core.api import CallContext
from tollgate.core.wire import encode
from tollgate.rating import APIerSv1Costs, RatingService, convert_tariff_plan
from tollgate.rating.args import AttrGetCost
from tollgate.tariffplans import read_folder

TUTORIAL = Path(__file__).resolve().parents[1] / "data" / "tariffplans" / "tutorial"


def tutorial_costs() -> APIerSv1Costs:
    """APIerSv1's cost methods over the tutorial plan, in process (UTC timings)."""
    p = read_folder(TUTORIAL)
    conv = convert_tariff_plan(
        p.destinations,
        p.timings,
        p.rates,
        p.destination_rates,
        p.rating_plans,
        p.rating_profiles,
        timezone="UTC",
    )
    svc = RatingService()
    svc.data.replace(conv.destinations, conv.rating_plans, conv.rating_profiles)
    return APIerSv1Costs(svc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=18)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes; the best counts")
    args = parser.parse_args()
    api = tutorial_costs()
    rnd = random.Random(7)
    calls = [
        AttrGetCost(
            Tenant="cgrates.org",
            Category="call",
            Subject="1001",
            Destination=rnd.choice(["1002", "1003"]),
            AnswerTime="2026-11-21T10:00:00Z",
            Usage=f"{rnd.randint(1, 7200)}s",
        )
        for _ in range(500)
    ] * 4
    ctx = CallContext()
    best = float("inf")
    for _ in range(args.rounds):
        t = time.perf_counter()
        for a in calls:
            encode(api.get_cost(a, ctx))
        best = min(best, (time.perf_counter() - t) / len(calls) * 1e6)
    print(f"per call: {best:.1f} µs (best of {args.rounds} x {len(calls)})")
    if not args.top:
        return
    prof = cProfile.Profile()
    prof.enable()
    for a in calls:
        encode(api.get_cost(a, ctx))
    prof.disable()
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
