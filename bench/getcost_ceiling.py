"""How close to Ping can APIerSv1.GetCost get in CPython? The ceiling, measured in-process.

    PYTHONPATH=src python bench/getcost_ceiling.py --ping-rps 400000

Times one request through the engine's real dispatcher (frame decode, argument decode,
handler, reply encode) for three methods on the same router:

- ``CoreSv1.Ping``;
- ``APIerSv1.GetCost`` (the getcost.py mix on the tutorial plan);
- ``Bench.Replay``: GetCost's arguments decoded, then a reply prepared beforehand (the
  EventCost of that very request) handed back and encoded: rating costs nothing at all.

The rest of a request over TCP (socket reads and writes, framing) is what a Ping costs over
TCP minus what it costs here; ``--ping-rps`` is the Ping rate of a getcost.py or ping.py run
on the same machine. Adding that to each method's in-process time gives its best possible
TCP rate, and the share of Ping that even free rating would reach.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import msgspec

from profile_getcost import tutorial_costs
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.engine.api import CoreSv1
from tollgate.rating.args import AttrGetCost
from tollgate.rpc.codec import decode_message
from tollgate.rpc.dispatch import Dispatcher
from tollgate.rpc.router import Router


class _Engine:
    def config_section(self, section: str) -> Any:  # pragma: no cover - never called
        raise NotImplementedError


class Replay(Api):
    """Hands back the reply computed beforehand for the same arguments."""

    namespace = "Bench"

    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = replies

    @rpc_method("Replay")
    def replay(self, args: AttrGetCost, ctx: CallContext) -> Any:
        return self.replies[args.Usage or ""]


def _frames(method: str, params: list[dict[str, Any]]) -> list[bytes]:
    return [
        msgspec.json.encode({"method": method, "params": [p], "id": i})
        for i, p in enumerate(params)
    ]


def _per_call(dispatcher: Dispatcher, frames: list[bytes], rounds: int) -> float:
    ctx = CallContext()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for frame in frames:
            out = dispatcher.handle(decode_message(frame), ctx)
            assert isinstance(out, bytes), out
            assert b'"error":null' in out, out
        best = min(best, (time.perf_counter() - t) / len(frames))
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ping-rps", type=float, required=True, help="Ping req/s over TCP")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    costs = tutorial_costs()
    rnd = random.Random(7)
    params = []
    for usage in rnd.sample(range(1, 7201), 500):
        params.append(
            {
                "Tenant": "cgrates.org",
                "Category": "call",
                "Subject": "1001",
                "Destination": rnd.choice(["1002", "1003"]),
                "AnswerTime": "2026-11-21T10:00:00Z",
                "Usage": f"{usage}s",
            }
        )
    ctx = CallContext()
    replies = {q["Usage"]: costs.get_cost(msgspec.convert(q, AttrGetCost), ctx) for q in params}
    router = Router()
    for api in (CoreSv1(_Engine()), costs, Replay(replies)):  # type: ignore[arg-type]
        router.add_api(api)
    dispatcher = Dispatcher(router)
    runs = {
        "CoreSv1.Ping": _frames("CoreSv1.Ping", [{}] * 500),
        "APIerSv1.GetCost": _frames("APIerSv1.GetCost", params),
        "Bench.Replay (rating free)": _frames("Bench.Replay", params),
    }
    micros = {name: _per_call(dispatcher, frames, args.rounds) for name, frames in runs.items()}
    transport = 1e6 / args.ping_rps - micros["CoreSv1.Ping"]
    print(f"transport per request (TCP Ping time - in-process Ping time): {transport:.2f} µs")
    ping_total = transport + micros["CoreSv1.Ping"]
    for name, us in micros.items():
        total = transport + us
        print(
            f"{name:28} {us:7.2f} µs in-process  -> best TCP rate {1e6 / total:9,.0f} req/s"
            f"  = {ping_total / total:6.1%} of Ping"
        )


if __name__ == "__main__":
    main()
